"""A run folder belongs to one run.

A fresh run into a folder that holds a checkpoint is refused (it would replace another run's
checkpoint and mix two runs in one TensorBoard log), and so is a second process on a folder
that a running one holds. The hold is an advisory lock on ``<folder>/.lock``: the operating
system drops it when the process ends, however it ends, so a crashed run leaves nothing stuck.
"""
import os
import time
from pathlib import Path

from torch_ref.errors import HandgradError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the checkpoint rule still holds
    fcntl = None


def run_folder(*words):
    """runs/<words>-<time>: the one naming of a fresh run's folder."""
    return Path("runs") / "-".join([*words, time.strftime("%Y%m%d-%H%M%S")])


class RunDir:
    """The folder of one run, held for as long as the run is."""

    def __init__(self, path, resuming=False):
        self.path = Path(path)
        self.checkpoint = self.path / "checkpoint.pt"
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.path / ".lock", "a")
        except OSError as err:
            raise HandgradError(f"cannot write in {self.path} ({err.strerror}); choose a "
                                "writable --logdir") from None
        if fcntl is not None:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._lock.close()
                raise HandgradError(f"another handgrad process is writing to {self.path}; "
                                    "wait for it to end, or choose another --logdir") from None
        if not resuming and self.checkpoint.exists():
            self.release()
            raise HandgradError(f"{self.path} holds a run already: continue it with --resume "
                                f"{self.checkpoint}, or choose another --logdir")
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(f"{os.getpid()}\n")  # who holds it, for a curious reader
        self._lock.flush()

    def release(self):
        """Drop the hold; a folder left with nothing but its lock (a run that failed before
        it wrote anything) is removed."""
        self._lock.close()  # closing drops the lock
        lock = self.path / ".lock"
        if [p.name for p in self.path.iterdir()] == [lock.name]:
            lock.unlink()
            self.path.rmdir()
