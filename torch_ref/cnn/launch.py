"""``handgrad train --nproc N``: N training processes on this machine, started by torch's
elastic launcher as ``torchrun --standalone --nproc-per-node N -m crosscheck train ...``
starts them, and, where one fails, the one line that says why.

Each process runs the same command line (rank.py finds its place from the environment).
The launcher stops the others as soon as one ends badly; a process that was killed sends
no word, so the line names it from its exit status, and says which checkpoint is left:
rank 0 writes it atomically, so the last one is whole however the run ended.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from shlex import quote

import torch
from torch.distributed.elastic.multiprocessing.api import SignalException
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.launcher.api import LaunchConfig, elastic_launch

from torch_ref.cnn import checkpoint
from torch_ref.cnn.device import resolve_device
from torch_ref.cnn.rank import REPORTS, Rank
from torch_ref.errors import HandgradError, Interrupted


def able(nproc: int, device: str, batch_size: int) -> None:
    """Refuse, before any process starts, what N processes cannot do."""
    Rank(0, nproc).share(batch_size)
    if resolve_device(device) == "cuda" and torch.cuda.device_count() < nproc:
        raise HandgradError(f"--nproc {nproc} on CUDA takes one GPU per process, and this "
                            f"machine has {torch.cuda.device_count()}; use --nproc "
                            f"{torch.cuda.device_count()} or --device cpu")


def start(argv: list[str], nproc: int, folder: Path) -> None:
    """``handgrad train argv`` in ``nproc`` processes, writing to ``folder``; returns when
    all of them have finished, or raises with the line that says why one did not."""
    config = LaunchConfig(min_nodes=1, max_nodes=1, nproc_per_node=nproc, max_restarts=0,
                          run_id=uuid.uuid4().hex, rdzv_backend="c10d",
                          rdzv_endpoint="localhost:0")
    threads = str(max(1, (os.cpu_count() or 1) // nproc))  # the cores shared, as torchrun
    with tempfile.TemporaryDirectory(prefix="handgrad-") as reports, \
            _environment({REPORTS: reports, "OMP_NUM_THREADS": threads}), _launcher_quiet():
        try:
            elastic_launch(config, sys.executable)("-u", "-m", "crosscheck", "train", *argv)
        except ChildFailedError as failed:
            raise HandgradError(cause(failed.failures, _reports(reports), folder)) from None
        except SignalException:  # Ctrl-C: the processes got it too, and rank 0 saved
            resume = folder / "checkpoint.pt"
            raise (Interrupted(f"handgrad train --resume {quote(str(resume))}")
                   if resume.exists() else KeyboardInterrupt()) from None


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in the environment the processes inherit (OMP_NUM_THREADS only where the
    user has not set it), for the ``with`` block."""
    before = dict(os.environ)
    os.environ.update({k: v for k, v in values.items() if k != "OMP_NUM_THREADS"})
    os.environ.setdefault("OMP_NUM_THREADS", values["OMP_NUM_THREADS"])
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)


@contextlib.contextmanager
def _launcher_quiet() -> Iterator[None]:
    """The launcher's own log (its settings, each process it stops) kept off the console:
    what went wrong is said in one line instead."""
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _reports(folder: str) -> dict[int, dict]:
    """What each process that failed wrote (rank.py), by rank."""
    return {int(p.name): json.loads(p.read_text()) for p in Path(folder).iterdir()}


def cause(failures: dict, reports: dict[int, dict], folder: Path) -> str:
    """The line for a run whose processes did not all finish: a process's own words where
    one said why (a NaN loss, a missing data set), else one that was killed, else one that
    crashed (its traceback printed first); with the checkpoint that is left."""
    said = sorted(r for r, report in reports.items() if report["kind"] == "said")
    if said:
        line = reports[said[0]]["line"]
        return line if said[0] == 0 else f"process {said[0]}: {line}"
    # SIGTERM is how the launcher stops the others: a process killed otherwise comes first
    killed = sorted((r for r, failure in failures.items() if failure.exitcode < 0),
                    key=lambda r: (failures[r].exitcode == -signal.SIGTERM, r))
    crashed = sorted(r for r, report in reports.items() if report["kind"] == "crashed")
    if killed:
        failure = failures[killed[0]]
        what = f"was killed by {failure.signal_name()}"
        rank, pid = killed[0], failure.pid
    elif crashed:
        print(reports[crashed[0]]["traceback"], end="", file=sys.stderr)
        rank, pid, what = crashed[0], failures[crashed[0]].pid, \
            f"failed: {reports[crashed[0]]['line']}"
    else:
        rank = min(failures)
        pid, what = failures[rank].pid, f"ended with exit status {failures[rank].exitcode}"
    return f"process {rank} (pid {pid}) {what}, and the others were stopped; {left(folder)}"


def left(folder: Path) -> str:
    """The checkpoint a stopped run leaves, in words, with the command that continues it."""
    path = folder / "checkpoint.pt"
    if not path.exists():
        return "no checkpoint was written yet"
    try:
        state = checkpoint.load(path)
    except HandgradError as err:
        return f"the checkpoint cannot be read ({err})"
    where = f"epoch {state['epoch']}" + (f" and {state['batch']} batches of the next"
                                         if state["batch"] else "")
    return (f"the checkpoint after {where} is intact: continue with handgrad train --resume "
            f"{quote(str(path))} (with any --nproc)")
