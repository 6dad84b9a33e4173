"""One training process among several: where it stands, how it joins the others and leaves
them, and what it tells the launcher when it fails.

torchrun, and ``handgrad train --nproc N`` through the same elastic launcher (launch.py),
start the processes with RANK, LOCAL_RANK and WORLD_SIZE in their environment and the
rendezvous at MASTER_ADDR:MASTER_PORT. A process that finds them joins a process group:
gloo on the CPU, NCCL on CUDA (one GPU each, the LOCAL_RANK-th). Rank 0 leads: it alone
prints, logs to TensorBoard and writes the checkpoint; the others train alongside, silent.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from torch_ref.cnn.device import resolve_device
from torch_ref.errors import HandgradError, first_line

REPORTS = "HANDGRAD_REPORTS"  # the folder where each process says why it failed (launch.py)


@dataclass(frozen=True)
class Rank:
    """This process's place: ``rank`` of ``world``, the ``local``-th on its machine."""

    rank: int = 0
    world: int = 1
    local: int = 0

    @property
    def leads(self) -> bool:
        return self.rank == 0

    def share(self, batch_size: int) -> int:
        """This process's part of every batch; a batch that does not divide is refused."""
        if batch_size % self.world:
            raise HandgradError(f"--batch-size {batch_size} does not divide among {self.world} "
                                "processes: each takes an equal share of every batch; choose a "
                                f"multiple of {self.world}")
        return batch_size // self.world


ALONE = Rank()


def launched() -> bool:
    """Whether torchrun (or --nproc) started this process as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


@contextlib.contextmanager
def joined(device: str) -> Iterator[Rank]:
    """This process in the group for the ``with`` block, on ``device`` ('auto', 'cpu' or
    'cuda'); the group is left at its end. Under launch.py, an error is not printed but
    written for the launcher, which says the one that matters."""
    with _reported():
        rank = Rank(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]),
                    int(os.environ.get("LOCAL_RANK", "0")))
        if not rank.leads:  # rank 0 speaks for the run
            sys.stdout = open(os.devnull, "w")
            warnings.simplefilter("ignore")
        cuda = resolve_device(device) == "cuda"
        if cuda and rank.local >= torch.cuda.device_count():
            raise HandgradError(f"process {rank.rank} takes GPU {rank.local}, and this machine "
                                f"has {torch.cuda.device_count()}: start at most that many "
                                "processes on it, or use --device cpu")
        if cuda:
            torch.cuda.set_device(rank.local)
        dist.init_process_group("nccl" if cuda else "gloo")
        try:
            yield rank
        finally:
            dist.destroy_process_group()


@contextlib.contextmanager
def _reported() -> Iterator[None]:
    """Under launch.py, why this process failed, as a file for the launcher: 'said' (a
    HandgradError, the user's words), 'interrupted', or 'crashed' (with its traceback),
    and the exit status that goes with it."""
    folder = os.environ.get(REPORTS)
    try:
        yield
    except BaseException as err:
        if folder is None or isinstance(err, SystemExit):
            raise
        kind, status = (("said", 2) if isinstance(err, HandgradError) else
                        ("interrupted", 130) if isinstance(err, KeyboardInterrupt) else
                        ("crashed", 1))
        report = {"kind": kind, "line": str(err) if kind == "said" else
                  f"{type(err).__name__}: {first_line(err, 300)}",
                  "traceback": traceback.format_exc() if kind == "crashed" else None}
        Path(folder, os.environ["RANK"]).write_text(json.dumps(report))
        raise SystemExit(status) from None
