"""Training the notes' CNN on MNIST or Fashion-MNIST, logged to TensorBoard.

Notes sections: 卷积神经网络 (CNN), 交叉熵, 随机梯度下降 (Mini Batch GD), 学习率的优化 (Warm Up),
梯度下降算法停止条件 (验证集早停 Early Stopping).

``Trainer`` reads top to bottom: build the run, then epoch after epoch train (loop.py),
validate, log (run_log.py) and write the checkpoint (checkpoint.py), then test. ``Parts``
carries what the caller wires in, manual or built-in: the ops backend, the optimizer, the
warm-up, the stop rules and the data parallelism (crosscheck/commands/train.py chooses them).
The data set lives on the training device and is batched by indexing with a seeded
permutation per epoch, so a run is reproducible on the CPU and resumes exactly from a
checkpoint, even one written mid-epoch.

Over N processes (rank.py) each takes its share of every batch, the same batches as one
process would take, and the gradients are averaged over the processes (manual/distributed.py
derives why that is the batch's gradient): every process then holds the same parameters and
optimizer state, so rank 0 alone logs and writes the checkpoint, whose position counts whole
batches and so resumes with any N. Every process validates and tests on the whole split (the
same figures everywhere, so every one takes the same stop decision without a message).
"""
from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from shlex import quote
from types import ModuleType
from typing import Callable

import torch
from tqdm import tqdm

from torch_ref.cnn import checkpoint, data, saved_model
from torch_ref.cnn.config import WARMUP_START_FACTOR
from torch_ref.cnn.device import resolve_device
from torch_ref.cnn.loop import evaluate, train_step
from torch_ref.cnn.rank import ALONE
from torch_ref.cnn.run_dir import Alongside, RunDir, run_folder
from torch_ref.cnn.run_log import NonFiniteLoss, RunLog, hparams
from torch_ref.errors import HandgradError, Interrupted
from torch_ref.model import CNN

RESULT = "result.json"  # a finished run's figures, beside its checkpoint
LOG_EVERY = 20  # steps between reads of the loss from the device (each read is a sync)
DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class Parts:
    """What the caller wires in: manual or built-in."""

    ops: object  # conv2d, relu, max_pool2d, flatten, linear, cross_entropy
    optimizer: Callable  # optimizer(params, lr=..., weight_decay=...)
    warmup: type  # WarmupLR(optimizer, warmup_steps, start_factor, ...)
    stopping: ModuleType  # StopRules, EarlyStopping, NonFiniteLoss, Progress
    parallel: ModuleType | None = None  # all_reduce, DataParallel: over several processes


def load_data(cfg, device):
    """The data set on ``device``; a few batches of each split for a dry run."""
    d = data.load(cfg.dataset, cfg.data_dir, device, cfg.val_size, cfg.seed, cfg.train_size,
                  DTYPES[cfg.dtype])
    if cfg.dry_run:
        n = 3 * cfg.batch_size
        for split in ("train", "val", "test"):
            setattr(d, f"{split}_x", getattr(d, f"{split}_x")[:n])
            setattr(d, f"{split}_y", getattr(d, f"{split}_y")[:n])
    return d


class Trainer:
    """One training run: the model and its optimizer, the data, the log, and where it is.
    ``state``: a loaded checkpoint to continue from (its settings already in ``cfg``);
    ``place``: this process's rank among those that train together."""

    def __init__(self, cfg, parts, state=None, place=ALONE):
        self.cfg, self.parts, self.place = cfg, parts, place
        place.share(cfg.batch_size)
        self.device = resolve_device(cfg.device)
        folder = cfg.logdir or run_folder(cfg.dataset, cfg.impl, cfg.optimizer,
                                          cfg.optimizer_impl)
        self.run = RunDir(folder, resuming=state is not None) if place.leads else \
            Alongside(folder)  # before minutes of data loading
        try:
            self._build(state)
        except BaseException:
            self.run.release()
            raise

    def _build(self, state):
        cfg, parts = self.cfg, self.parts
        if self.device == "cuda":
            torch.backends.cudnn.benchmark = True  # the built-in convs pick their fastest kernel
        torch.manual_seed(cfg.seed)
        self.model = CNN(parts.ops, cfg.channels, cfg.hidden).to(self.device, DTYPES[cfg.dtype])
        self.optimizer = parts.optimizer(self.model.parameters(), lr=cfg.lr,
                                         weight_decay=cfg.weight_decay)
        self.scheduler = (parts.warmup(self.optimizer, cfg.warmup_steps,
                                       start_factor=WARMUP_START_FACTOR)
                          if cfg.warmup_steps else None)
        self.early = (parts.stopping.EarlyStopping(cfg.early_stop_patience)
                      if cfg.early_stop_patience is not None else None)
        self.rules = parts.stopping.StopRules(*([self.early] if self.early else []),
                                              parts.stopping.NonFiniteLoss())
        self.data = load_data(cfg, self.device)
        self.at = checkpoint.Position()
        self.saved_epoch = None  # the epoch the checkpoint on disk has finished
        resumed = self._resume(state) if state else None
        # the parameters as resumed, then rank 0's on every process (the wrapper sends them)
        self.replica = parts.parallel.DataParallel(self.model) if self.place.world > 1 else None
        self.log = RunLog(self.run.path, purge_step=self.at.step + 1 if state else None,
                          writes=self.place.leads)
        if resumed:
            self.log.text("resume", resumed, self.at.step)

    def _resume(self, state):
        """Continue where the checkpoint stopped; returns what changed, in words."""
        self.at = checkpoint.restore(state, self.model, self.optimizer, self.scheduler,
                                     self.early)
        self.saved_epoch = self.at.epoch
        change = checkpoint.apply_lr(self.optimizer, self.scheduler,
                                     state["config"]["lr"] or self.cfg.lr, self.cfg.lr)
        print(f"resumed from {self.cfg.resume}: epoch {self.at.epoch + 1}, batch "
              f"{self.at.batch}, step {self.at.step}{change}")
        return f"resumed at step {self.at.step}{change}"

    def save(self):
        if self.place.leads:  # the same on every process: rank 0 writes it
            checkpoint.save(self.run.checkpoint, checkpoint.capture(
                self.cfg, self.model, self.optimizer, self.scheduler, self.early, self.at))
        self.saved_epoch = self.at.epoch

    # -- training ---------------------------------------------------------------------------

    def train_step(self, x, y):
        loss, grad_norm, lr = train_step(self.model, self.optimizer, self.scheduler, x, y,
                                         self.replica)
        if self.replica is not None:  # the batch's loss: the mean of the equal shares' losses
            loss = self.parts.parallel.all_reduce(loss.clone()) / self.place.world
        self.at.step += 1
        self.at.tally["images"] += x.shape[0] * self.place.world
        self.log.step(self.at.step, loss, grad_norm, lr)

    def flush(self):
        """Log the steps not yet read off the device and tally them; returns the last loss.
        A NaN or infinite loss stops the run with what to do next."""
        try:
            read = self.log.flush()
        except NonFiniteLoss as err:
            raise HandgradError(self._not_finite(err)) from None
        for step, loss in read:
            self.at.losses.append((step, loss))
            self.at.tally["loss_sum"] += loss
            self.at.tally["batches"] += 1
        return read[-1][1] if read else None

    def _not_finite(self, err):
        """The NaN message: where, which checkpoint exists, and a finite rate to try."""
        lower = self.cfg.lower_lr
        if self.saved_epoch is None:
            then = (f"no checkpoint was written yet; start again with --lr {lower:g} and "
                    "another --logdir (this one keeps the stopped run's log)")
        else:
            then = (f"the checkpoint after epoch {self.saved_epoch} is intact: continue with "
                    f"handgrad train --resume {quote(str(self.run.checkpoint))} --lr {lower:g}")
        return f"{err} (epoch {self.at.epoch + 1}) with lr {self.cfg.lr:g}; {then}"

    def train_epoch(self):
        """One pass over the training set in this epoch's seeded order, from ``batch`` on."""
        cfg, at, place = self.cfg, self.at, self.place
        n = self.data.train_x.shape[0]
        n += data.padding(n, place.world)  # the examples an epoch deals out
        order = torch.Generator().manual_seed(cfg.seed * 100_003 + at.epoch)
        bar = tqdm(total=math.ceil(n / cfg.batch_size), initial=at.batch,
                   desc=f"epoch {at.epoch + 1}/{cfg.epochs}", unit="batch", leave=False,
                   dynamic_ncols=True, disable=None if place.leads else True)  # on terminals
        start = time.perf_counter()
        try:
            for x, y in self.data.batches("train", cfg.batch_size, order, skip=at.batch,
                                          rank=place.rank, world=place.world):
                self.train_step(x, y)
                at.batch += 1
                bar.update()
                if at.step % LOG_EVERY == 0:
                    loss = self.flush()
                    rate = at.tally["images"] / (at.tally["seconds"] + time.perf_counter() - start)
                    bar.set_postfix(loss=f"{loss:.4f}", img_s=f"{rate:,.0f}")
            self.flush()
        finally:  # an interrupted epoch keeps its time too
            at.tally["seconds"] += time.perf_counter() - start
            bar.close()

    def end_epoch(self):
        """Validate and log, then apply the stop rules and write the checkpoint that says the
        epoch is done (an interrupt before it validates again on resume). Returns a Stop or
        None."""
        t, epoch = self.at.tally, self.at.epoch + 1
        record = {"epoch": epoch, "train_loss": t["loss_sum"] / max(t["batches"], 1),
                  "seconds": t["seconds"], "images_per_s": t["images"] / max(t["seconds"], 1e-9)}
        line, val_loss = f"train loss {record['train_loss']:.4f}", None
        if len(self.data.val_y):  # --val-size 0: nothing to validate on
            val_loss, val_acc = evaluate(self.model, self.data, "val")
            record.update(val_loss=val_loss, val_accuracy=val_acc)
            line += f", val loss {val_loss:.4f}, val accuracy {val_acc:.2%}"
        self.log.epoch(self.at.step, record, self.model, self.data.test_x[:1])
        tqdm.write(f"epoch {epoch}/{self.cfg.epochs}: {line}, {record['seconds']:.1f} s, "
                   f"{record['images_per_s']:,.0f} images/s")
        stop = self.rules(self.parts.stopping.Progress(epoch, val_loss=val_loss,
                                                       model=self.model))
        self.at.next_epoch(record)
        self.save()
        return stop

    # -- the run ----------------------------------------------------------------------------

    def fit(self):
        """Train, validate every epoch, test at the end; returns the run's figures."""
        settings = self._announce()
        try:
            stop = None
            while self.at.epoch < self.cfg.epochs and stop is None:
                self.train_epoch()
                stop = self.end_epoch()
            return self.finish(stop, settings)
        except KeyboardInterrupt:
            self.flush()  # a NaN here raises instead: the last good checkpoint stays
            self.save()
            print(f"\ninterrupted: checkpoint written to {self.run.checkpoint}")
            self.close()
            raise Interrupted(f"handgrad train --resume {quote(str(self.run.checkpoint))}") \
                from None
        except OSError as err:
            self.close()
            raise self.run.disk_full(err) or err from None
        except BaseException:
            self.close()
            raise

    def _announce(self):
        """What the run is, printed and logged; returns its settings as logged."""
        cfg, d = self.cfg, self.data
        print(f"{cfg.dataset} from {d.source}: {len(d.train_y)} train / {len(d.val_y)} val / "
              f"{len(d.test_y)} test images on {self.device}; ops {cfg.impl}, optimizer "
              f"{cfg.optimizer}:{cfg.optimizer_impl} lr {cfg.lr:g}; logs in "
              f"{self.run.path} (tensorboard --logdir {quote(str(self.run.path.parent))})")
        if self.replica is not None:
            print(self._shares())
        if cfg.train_size is None and len(d.val_y) > len(d.train_y) and self.place.leads:
            print(f"warning: --val-size {cfg.val_size} holds out more images than are left "
                  f"to train on ({len(d.train_y)})", file=sys.stderr)
        settings = hparams(cfg, self.device)
        self.log.text("config", "\n".join(f"    {k}: {v}" for k, v in settings.items()))
        return settings

    def _shares(self):
        """How the processes share the work, in words."""
        n, world, size = len(self.data.train_y), self.place.world, self.cfg.batch_size
        share = self.place.share(size)
        how = "by hand" if self.cfg.impl == "manual" else "by DistributedDataParallel"
        line = (f"{world} processes ({torch.distributed.get_backend()}), each on {share} "
                f"of every batch of {size}, their gradients averaged {how}")
        if data.padding(n, world):
            line += (f"; the {n} training images do not divide among {world}: each epoch "
                     f"repeats the first {data.padding(n, world)} of its order, as "
                     "DistributedSampler does")
        return line

    def close(self):
        self.log.close()
        self.run.release()

    def finish(self, stop, settings):
        if stop:
            print(f"stopped by {stop.rule}: {stop.reason}")
            self.log.text("stop", f"{stop.rule}: {stop.reason}")
        if self.early and self.early.restore(self.model):
            print(f"restored the parameters of epoch {self.early.best_step} (best validation loss)")
        test_loss, test_acc = evaluate(self.model, self.data, "test")
        history = self.at.history
        self.log.finish(self.at.step, test_loss, test_acc, settings,
                        history[-1].get("val_loss", math.nan) if history else math.nan)
        result = {"test_accuracy": test_acc, "test_loss": test_loss, "history": history,
                  "train_losses": self.at.losses, "stop": stop.reason if stop else None,
                  "dir": str(self.run.path)}
        self.run.write(RESULT, json.dumps(result))  # what compare reads back
        if self.cfg.save_model and self.place.leads:
            path = self.run.path / saved_model.MODEL
            saved_model.save(path, self.cfg, self.model, test_loss, test_acc)
            print(f"model saved to {path} (handgrad evaluate {quote(str(path))})")
        self.close()
        print(f"test accuracy {test_acc:.2%} (test loss {test_loss:.4f}) after "
              f"{self.at.epoch} epochs")
        return {**result, "parameters": {k: v.detach().cpu()
                                         for k, v in self.model.state_dict().items()}}
