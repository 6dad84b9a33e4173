"""What a training run logs to TensorBoard: per step the loss, gradient norm and learning
rate; per epoch the validation figures, speed, histograms and pictures; at the end the
test figures and the hyperparameters.

Step figures stay on the device until ``flush`` reads them all at once (each read is a
sync); a NaN or infinite loss among them stops the run there.
"""
import math
import threading
from dataclasses import asdict

import torch
from torch.utils.tensorboard import SummaryWriter

from torch_ref.cnn import pictures
from torch_ref.cnn.run_dir import FULL


class NonFiniteLoss(Exception):
    """The loss became NaN or infinite at ``step``."""

    def __init__(self, step, value):
        super().__init__(f"the loss became {value} at step {step}")
        self.step, self.value = step, value


def hparams(cfg, device):
    """The run's settings as logged: the real learning rate and the resolved device.
    TensorBoard sorts hyperparameters by name, so the four that tell runs apart are
    capitalized to come first."""
    lead = {"LR": cfg.lr, "Optimizer": cfg.optimizer, "Optimizer side": cfg.optimizer_impl,
            "Ops": cfg.impl}
    rest = {k: v for k, v in asdict(cfg).items() if k not in
            ("lr", "optimizer", "optimizer_impl", "impl", "logdir", "resume")}
    return {**lead, **rest, "device": str(device), "channels": str(cfg.channels)}


def _quiet_full_disk(args, default=threading.excepthook):
    """TensorBoard writes from a thread of its own: a full disk there is reported by the run
    in one line (the thread's error comes back on the next flush), not as a traceback."""
    if not (issubclass(args.exc_type, OSError) and args.exc_value.errno in FULL):
        default(args)


class _Unwritten:
    """The writer of a process other than rank 0, which logs the run for all of them."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class RunLog:
    """``writes``: False in a process other than rank 0 (it still reads its losses)."""

    def __init__(self, path, purge_step=None, writes=True):
        threading.excepthook = _quiet_full_disk
        # on resume, TensorBoard drops what an earlier process logged after the checkpoint
        self.writer = SummaryWriter(str(path), purge_step=purge_step) if writes else \
            _Unwritten()
        self.writes = writes
        self.pending = []  # (step, loss, grad norm, lr): the first two still on the device

    def step(self, step, loss, grad_norm, lr):
        self.pending.append((step, loss, grad_norm, lr))

    def flush(self):
        """Read the pending steps off the device and log them; returns [(step, loss)].
        Raises NonFiniteLoss at the first NaN or infinite loss (those before it logged)."""
        if not self.pending:
            return []
        values = torch.stack([torch.stack(p[1:3]) for p in self.pending]).tolist()  # one sync
        read = []
        for (step, _, _, lr), (loss, grad_norm) in zip(self.pending, values):
            if not math.isfinite(loss):
                self.pending.clear()
                raise NonFiniteLoss(step, loss)
            self.writer.add_scalar("loss/train", loss, step)
            self.writer.add_scalar("grad_norm", grad_norm, step)
            self.writer.add_scalar("lr", lr, step)
            read.append((step, loss))
        self.pending.clear()
        return read

    def epoch(self, step, record, model, image):
        """An epoch's validation figures and speed on the steps' axis (so they overlay the
        training loss), and its pictures; on disk before the checkpoint that ends it."""
        if "val_loss" in record:
            self.writer.add_scalar("loss/val", record["val_loss"], step)
            self.writer.add_scalar("accuracy/val", record["val_accuracy"], step)
        self.writer.add_scalar("images_per_second", record["images_per_s"], step)
        if self.writes:
            pictures.log_epoch(self.writer, model, image, step)
        self.writer.flush()

    def text(self, tag, text, step=None):
        self.writer.add_text(tag, text, step)

    def finish(self, step, test_loss, test_acc, settings, val_loss):
        self.writer.add_scalar("accuracy/test", test_acc, step)
        self.writer.add_scalar("loss/test", test_loss, step)
        plain = {k: v for k, v in settings.items()
                 if isinstance(v, (int, float, str, bool)) and v is not None}
        self.writer.add_hparams(plain, {"hparams/test_accuracy": test_acc,
                                        "hparams/val_loss": val_loss}, run_name=".")

    def close(self):
        """Close the log; a write that fails now (a full disk) was reported already."""
        try:
            self.writer.close()
        except OSError as err:
            if err.errno not in FULL:
                raise
