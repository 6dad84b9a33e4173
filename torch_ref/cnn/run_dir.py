"""A run folder belongs to one run.

A fresh run into a folder that holds a checkpoint, or the TensorBoard log of a run that
stopped before its first one, is refused (it would replace another run's checkpoint and mix
two runs in one TensorBoard log), and so is a second process on a folder
that a running one holds. The hold is an advisory lock on ``<folder>/.lock``: the operating
system drops it when the process ends, however it ends, so a crashed run leaves nothing stuck.
"""
import errno
import os
import shutil
import time
from pathlib import Path
from shlex import quote

from torch_ref.errors import HandgradError

FULL = (errno.ENOSPC, errno.EDQUOT)  # the errors of a full disk (or quota)

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the checkpoint rule still holds
    fcntl = None  # type: ignore[assignment]


def run_folder(*words):
    """runs/<words>-<time>: the one naming of a fresh run's folder."""
    return Path("runs") / "-".join([*words, time.strftime("%Y%m%d-%H%M%S")])


class RunDir:
    """The folder of one run (or of one comparison of runs), held for as long as it runs.
    ``marker`` is the file whose presence says the folder holds a run already; ``resume``
    the command that continues it."""

    def __init__(self, path, resuming=False, marker="checkpoint.pt", resume=None):
        self.path = Path(path)
        self.checkpoint = self.path / "checkpoint.pt"
        resume = resume or f"handgrad train --resume {quote(str(self.checkpoint))}"
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
        if not resuming and (self.path / marker).exists():
            self.release()
            raise HandgradError(f"{self.path} holds a run already: continue it with {resume}, "
                                "or choose another --logdir")
        if not resuming and next(self.path.glob("events.out.tfevents.*"), None):
            self.release()
            raise HandgradError(f"{self.path} holds the TensorBoard log of a run that stopped "
                                "before its first checkpoint: choose another --logdir (or "
                                "remove that folder)")
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(f"{os.getpid()}\n")  # who holds it, for a curious reader
        self._lock.flush()

    def write(self, name, text):
        """A small file of the run's, written whole or not at all."""
        path, tmp = self.path / name, self.path / f"{name}.tmp"
        try:
            tmp.write_text(text)
            os.replace(tmp, path)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise HandgradError(f"cannot write {path} ({err.strerror})") from None

    def disk_full(self, err):
        """A full disk as one line (the folder, what is free, what is kept), or None where
        ``err`` is another error."""
        if err.errno not in FULL:
            return None
        free = shutil.disk_usage(self.path).free / 2**20
        kept = (f"the last checkpoint is intact: continue with handgrad train --resume "
                f"{quote(str(self.checkpoint))} once there is room" if self.checkpoint.exists()
                else "no checkpoint was written yet")
        return HandgradError(f"the disk holding {self.path} is full ({free:.1f} MB free): "
                             f"{kept}")

    def release(self):
        """Drop the hold; a folder left with nothing but its lock (a run that failed before
        it wrote anything) is removed."""
        self._lock.close()  # closing drops the lock
        lock = self.path / ".lock"
        if [p.name for p in self.path.iterdir()] == [lock.name]:
            lock.unlink()
            self.path.rmdir()


class Alongside:
    """The run's folder as a process other than rank 0 sees it: rank 0 holds and writes it,
    so here nothing is held and nothing written."""

    def __init__(self, path):
        self.path = Path(path)
        self.checkpoint = self.path / "checkpoint.pt"

    def write(self, name, text):
        pass

    def disk_full(self, err):
        return None

    def release(self):
        pass
