"""A training run's settings, resolved once into plain values, and which of them a
checkpoint fixes on resume."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from shlex import quote

from torch_ref.errors import HandgradError
from torch_ref.optimizers import default_lr

# what a checkpoint fixes: a resumed run takes these from it (lr, epochs, early stopping,
# device, processes and data folder may change)
FIXED_ON_RESUME = ("dataset", "impl", "optimizer", "optimizer_impl", "batch_size", "val_size",
                   "train_size", "seed", "channels", "hidden", "dtype", "warmup_steps",
                   "weight_decay", "dry_run")
# the warm-up starts at this fraction of the rate (torch's LinearLR and WarmupLR default to
# 1/3; a tenth is gentler on Adam's first, unreliable steps)
WARMUP_START_FACTOR = 0.1


@dataclass
class Config:
    dataset: str = "mnist"
    data_dir: str = "data"
    impl: str = "torch"  # the ops
    optimizer: str = "adam"
    optimizer_impl: str = "torch"  # the optimizer's and the warm-up's side
    lr: float | None = None  # None: the optimizer's default, filled in at construction
    epochs: int = 3
    batch_size: int = 128
    val_size: int = 5000
    train_size: int | None = None
    warmup_steps: int = 0
    weight_decay: float = 0.0
    device: str = "auto"
    seed: int = 0
    logdir: str | None = None
    resume: str | None = None
    early_stop_patience: int | None = None
    dry_run: bool = False
    channels: tuple = (32, 64)
    hidden: int = 128
    dtype: str = "float32"
    save_model: bool = False  # write the tested parameters as model.pt (saved_model.py)
    nproc: int = 1  # processes, each on its share of every batch (launch.py, rank.py)

    def __post_init__(self):
        self.lr = default_lr(self.optimizer) if self.lr is None else self.lr
        self.channels = tuple(self.channels)

    @classmethod
    def from_args(cls, args, **overrides):
        """The fields that the parsed command line has, then ``overrides``."""
        given = {f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)}
        return cls(**{**given, **overrides})

    @property
    def lower_lr(self):
        """A rate to try after a NaN loss: a tenth of this one, or the optimizer's default
        where that is lower."""
        return min(self.lr / 10, default_lr(self.optimizer))

    def resumed(self, saved, given=None):
        """This run continuing the checkpoint whose config is ``saved``: a setting not in
        ``given`` (the flags typed; None: every setting counts as given) comes from the
        checkpoint; one given is applied if it may change, and refused if the checkpoint
        fixes it (never silently dropped)."""
        taken = {}
        for name in (f.name for f in fields(self) if f.name not in ("resume", "logdir")):
            if name not in saved:  # a setting the checkpoint predates: this run's
                continue
            theirs = tuple(saved[name]) if name == "channels" else saved[name]
            if given is not None and name not in given:
                taken[name] = theirs
            elif name in FIXED_ON_RESUME and getattr(self, name) != theirs:
                flag = "--" + name.replace("_", "-").replace("optimizer-impl", "optimizer side")
                raise HandgradError(f"--resume: the checkpoint fixes {flag} {theirs}, this "
                                    f"run gives {getattr(self, name)}; drop it, or start a "
                                    "new run")
        path = Path(self.resume)
        folder = path.parent
        if path.name != "checkpoint.pt":  # the run would write its folder's checkpoint.pt
            new = str(folder.parent / f"{path.stem}-resumed")
            target = quote(f"{new}/checkpoint.pt")
            raise HandgradError(f"--resume {path}: a run continues in its folder as "
                                f"checkpoint.pt, which would not be this file; to continue "
                                f"it: mkdir {quote(new)} && cp {quote(str(path))} {target} && "
                                f"handgrad train --resume {target}")
        if self.logdir and Path(self.logdir).resolve() != folder.resolve():
            raise HandgradError(f"--resume: the run lives in {folder}; drop --logdir "
                                f"{self.logdir}, or start a new run there")
        return replace(self, **taken, logdir=str(folder))
