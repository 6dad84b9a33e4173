"""Checkpoints: what a run is at the end of an epoch (or on Ctrl-C), written atomically and
read back with torch.load(weights_only=True), and how a run resumes from one.

A checkpoint is a dict of tensors, numbers and strings only, so loading one runs no code.
It is read once per resume (``load``); what it fixes is checked once (``Config.resumed``);
``restore`` puts the run back where it was, and a new learning rate is applied once
(``apply_lr``).
"""
import io
import os
import pickle
import shutil
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch

from torch_ref.cnn.config import Config
from torch_ref.errors import HandgradError, first_line, one_line

FORMAT = "handgrad-cnn-checkpoint/1"
REQUIRED = ("config", "model", "optimizer_state", "scheduler", "early_stopping", "rng", "epoch",
            "batch", "step", "tally", "history")
CONFIG = [f.name for f in fields(Config) if f.name not in ("resume", "save_model", "nproc")]
# (what a run writes at its end, how it is run, not what it is; nproc newer than format 1)


def _tally():
    return {"loss_sum": 0.0, "batches": 0, "images": 0, "seconds": 0.0}


@dataclass
class Position:
    """Where a run is: epochs done, batches done in the current epoch, steps done, what the
    current epoch adds up as it goes (kept, so that an epoch that is interrupted and
    resumed reports all of its batches), and one record per finished epoch."""

    epoch: int = 0
    batch: int = 0
    step: int = 0
    tally: dict = field(default_factory=_tally)
    history: list = field(default_factory=list)
    losses: list = field(default_factory=list)  # (step, training loss) of every step so far

    def next_epoch(self, record):
        self.history.append(record)
        self.epoch, self.batch, self.tally = self.epoch + 1, 0, _tally()


def save(path, state, fmt=FORMAT):
    """Write to a temporary file in the same folder, then rename: a crash mid-write leaves
    the previous checkpoint intact. A full disk is one line that names the folder and the
    space needed; no temporary file is left. ``fmt``: what the file says it is."""
    path = Path(path)
    buffer = io.BytesIO()
    torch.save({"format": fmt, **state}, buffer)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(buffer.getbuffer())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        free = shutil.disk_usage(path.parent).free
        kept = f"the last checkpoint, {path}, is kept" if path.exists() else "none is written"
        raise HandgradError(f"cannot write a checkpoint in {path.parent} ({err.strerror}): it "
                            f"needs {_mb(buffer.tell())}, {_mb(free)} free there; {kept}") \
            from None


def _mb(size):
    return f"{size / 2**20:.1f} MB"


def load(path):
    """The checkpoint at ``path``, refused in one line if it is not one of handgrad's."""
    return read(path, FORMAT, REQUIRED, "--resume", "checkpoint", "resume it")


def read(path, fmt, required, flag, what, use):
    """The file at ``path`` in format ``fmt`` with the keys ``required`` and a whole config,
    read without running code (torch.load weights_only), or one line that says why not,
    led by ``flag`` (if any) and the path; ``what`` the file is called, ``use`` what to do
    with the handgrad that wrote it."""
    path = Path(path)
    lead = f"{flag} {path}" if flag else str(path)
    if not path.is_file():
        raise HandgradError(f"{lead}: no such file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise HandgradError(f"{lead}: refused, it holds more than tensors and numbers "
                            f"({first_line(err, 100)})") from None
    except Exception as err:  # torch.load raises several types on a file that is no pickle
        raise HandgradError(f"{lead}: not a {what} ({type(err).__name__})") from None
    found = state.get("format") if isinstance(state, dict) else None
    if isinstance(found, str) and found.startswith(fmt.split("/")[0] + "/") and found != fmt:
        raise HandgradError(f"{lead}: a {what} in format {found}, and this handgrad "
                            f"reads {fmt}: {use} with the handgrad that wrote it")
    if found != fmt:
        raise HandgradError(f"{lead}: not a handgrad CNN {what}")
    missing = [k for k in required if k not in state]
    missing += [k for k in CONFIG if k not in state.get("config", {})]
    if missing:
        raise HandgradError(f"{lead}: the {what} has no {missing[0]!r}; it is "
                            "damaged or from another version of handgrad")
    return state


def capture(cfg, model, optimizer, scheduler, early, at):
    """Everything a run needs to go on exactly: parameters, optimizer and schedule state,
    the random state, the position, and the settings."""
    rng = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    return {"model": model.state_dict(), "optimizer_state": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler else None,
            "early_stopping": early.state_dict() if early else None, "rng": rng,
            **asdict(at), "config": {k: v for k, v in asdict(cfg).items() if k != "resume"}}


def restore(state, model, optimizer, scheduler, early):
    """Put a run back where the checkpoint says it was; returns its Position. Parameters or
    optimizer state that do not fit the model (a damaged or edited checkpoint) are one line."""
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer_state"])
    except (RuntimeError, ValueError, KeyError) as err:
        raise HandgradError(f"--resume: the checkpoint's parameters do not fit the CNN "
                            f"({one_line(err, 200)}); it is damaged, or was edited") from None
    if scheduler and state["scheduler"]:
        scheduler.load_state_dict(state["scheduler"])
    if early and state["early_stopping"]:
        early.load_state_dict(state["early_stopping"])
    torch.set_rng_state(state["rng"]["torch"])
    return Position(state["epoch"], state["batch"], state["step"], state["tally"],
                    state["history"], state.get("losses", []))


def apply_lr(optimizer, scheduler, was, now):
    """A new base learning rate from here on (the warm-up's factor still applies); returns
    what changed, in words."""
    if was == now:
        return ""
    for group in optimizer.param_groups:
        group["lr"] *= now / was
        group["initial_lr"] = now
    if scheduler:
        scheduler.base_lrs = [now for _ in scheduler.base_lrs]
    return f"; lr {was:g} -> {now:g} from here on"
