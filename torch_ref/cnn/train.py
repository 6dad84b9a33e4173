"""Training the notes' CNN on MNIST or Fashion-MNIST, logged to TensorBoard.

Notes sections: 卷积神经网络 (CNN), 交叉熵, 随机梯度下降 (Mini Batch GD), 学习率的优化 (Warm Up),
梯度下降算法停止条件 (验证集早停 Early Stopping).

One ``Trainer`` serves both sides: ``Parts`` carries the ops backend, the optimizer class,
the warm-up scheduler class and the stop rules, and the command (crosscheck/commands/train.py)
wires in the manual ones or the built-in ones. The data set lives on the training device and
is batched by indexing with a seeded permutation per epoch, so a run is reproducible on the
CPU and resumes exactly from a checkpoint, even one written mid-epoch.
"""
import math
import time
from dataclasses import asdict, dataclass
from types import ModuleType

import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from torch_ref.cnn import checkpoint, data, pictures
from torch_ref.cnn.config import Config
from torch_ref.cnn.device import resolve_device
from torch_ref.cnn.model import CNN
from torch_ref.cnn.optimizers import OPTIMIZERS
from torch_ref.cnn.run_dir import RunDir, run_folder
from torch_ref.errors import HandgradError

LOG_EVERY = 20  # steps between reads of the loss from the device (each read is a sync)
DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class Parts:
    """What the caller wires in: manual or built-in."""

    ops: object  # conv2d, relu, max_pool2d, flatten, linear, cross_entropy
    optimizer: type  # a torch.optim.Optimizer class, SGD ... Adam
    warmup: type  # WarmupLR(optimizer, warmup_steps, start_factor, ...)
    stopping: ModuleType  # StopRules, EarlyStopping, NonFiniteLoss, Progress


def load_data(cfg, device):
    """The data set on ``device``; a few batches of each split for a dry run."""
    train_size = 3 * cfg.batch_size if cfg.dry_run else cfg.train_size
    d = data.load(cfg.dataset, cfg.data_dir, device, cfg.val_size, cfg.seed, train_size,
                  DTYPES[cfg.dtype])
    if cfg.dry_run:
        n = 3 * cfg.batch_size
        d.val_x, d.val_y, d.test_x, d.test_y = d.val_x[:n], d.val_y[:n], d.test_x[:n], d.test_y[:n]
    return d


def _tally():
    """What an epoch adds up as it goes; kept in the checkpoint, so an epoch that is
    interrupted and resumed reports all of its batches."""
    return {"loss_sum": 0.0, "batches": 0, "images": 0, "seconds": 0.0}


class Trainer:
    """One training run: the model and its optimizer, the data, the logs, and where it is."""

    def __init__(self, cfg, parts):
        self.cfg, self.parts = cfg, parts
        self.device = resolve_device(cfg.device)
        self.run = RunDir(cfg.logdir or run_folder(cfg.dataset, cfg.impl, cfg.optimizer),
                          resuming=bool(cfg.resume))  # before minutes of data loading
        try:
            self._build(cfg, parts)
        except BaseException:
            self.run.release()
            raise

    def _build(self, cfg, parts):
        if self.device == "cuda":
            torch.backends.cudnn.benchmark = True  # the built-in convs pick their fastest kernel
        torch.manual_seed(cfg.seed)
        self.model = CNN(parts.ops, cfg.channels, cfg.hidden).to(self.device, DTYPES[cfg.dtype])
        self.optimizer = parts.optimizer(
            self.model.parameters(), **{**OPTIMIZERS[cfg.optimizer].kwargs,
                                        "lr": cfg.learning_rate, "weight_decay": cfg.weight_decay})
        self.scheduler = (parts.warmup(self.optimizer, cfg.warmup_steps, start_factor=0.1)
                          if cfg.warmup_steps else None)
        self.early = (parts.stopping.EarlyStopping(cfg.early_stop_patience)
                      if cfg.early_stop_patience is not None else None)
        self.rules = parts.stopping.StopRules(*([self.early] if self.early else []),
                                              parts.stopping.NonFiniteLoss())
        self.data = load_data(cfg, self.device)
        self.epoch = self.batch = self.step = 0  # batch: batches done in the current epoch
        self.tally = _tally()
        self.saved_epoch = None  # the epoch the checkpoint on disk has finished
        self.buffer = []  # (loss, grad norm, lr) of steps not yet read off the device
        self.history = []  # one record per epoch
        self.losses = []  # (step, training loss) of every step this process ran
        resumed = self.resume(cfg.resume) if cfg.resume else None
        # on resume, TensorBoard drops what an earlier process logged after the checkpoint
        self.writer = SummaryWriter(str(self.run.path), purge_step=self.step + 1 if cfg.resume
                                    else None)
        if resumed:
            self.writer.add_text("resume", resumed, self.step)

    # -- checkpoints ------------------------------------------------------------------------

    def state(self):
        rng = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        cfg = self.cfg
        return {"impl": cfg.impl, "optimizer": f"{cfg.optimizer}:{cfg.optimizer_impl}",
                "dataset": cfg.dataset, "model_config": self.model.config,
                "model": self.model.state_dict(), "optimizer_state": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler else None,
                "early_stopping": self.early.state_dict() if self.early else None, "rng": rng,
                "epoch": self.epoch, "batch": self.batch, "step": self.step,
                "tally": self.tally, "history": self.history,
                "config": {k: v for k, v in asdict(cfg).items() if k != "resume"}}

    def save(self):
        checkpoint.save(self.run.checkpoint, self.state())
        self.saved_epoch = self.epoch

    def resume(self, path):
        """Continue from the checkpoint at ``path``; returns what changed, in words."""
        cfg = self.cfg
        s = checkpoint.load(path, {"impl": cfg.impl, "model_config": self.model.config,
                                   "optimizer": f"{cfg.optimizer}:{cfg.optimizer_impl}",
                                   "dataset": cfg.dataset})
        self.model.load_state_dict(s["model"])
        self.optimizer.load_state_dict(s["optimizer_state"])
        if self.scheduler and s["scheduler"]:
            self.scheduler.load_state_dict(s["scheduler"])
        if self.early and s["early_stopping"]:
            self.early.load_state_dict(s["early_stopping"])
        torch.set_rng_state(s["rng"]["torch"])
        self.epoch, self.batch, self.step = s["epoch"], s["batch"], s["step"]
        self.tally, self.history, self.saved_epoch = s["tally"], s["history"], s["epoch"]
        was = Config(**{**s["config"], "channels": tuple(s["config"]["channels"])}).learning_rate
        change = self._set_lr(was, cfg.learning_rate)
        print(f"resumed from {path}: epoch {self.epoch + 1}, batch {self.batch}, step "
              f"{self.step}{change}")
        return f"resumed at step {self.step}{change}"

    def _set_lr(self, was, now):
        """A new base learning rate from here on; the warm-up's factor still applies."""
        if was == now:
            return ""
        for group in self.optimizer.param_groups:
            group["lr"] *= now / was
            group["initial_lr"] = now
        if self.scheduler:
            self.scheduler.base_lrs = [now for _ in self.scheduler.base_lrs]
        return f"; lr {was:g} -> {now:g} from here on"

    # -- training ---------------------------------------------------------------------------

    def train_step(self, x, y):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.model.loss(x, y)
        loss.backward()
        grads = [p.grad for p in self.model.parameters() if p.grad is not None]
        grad_norm = torch.stack([g.norm() for g in grads]).norm()
        lr = self.optimizer.param_groups[0]["lr"]
        self.optimizer.step()
        if self.scheduler:
            self.scheduler.step()
        self.step += 1
        self.tally["images"] += x.shape[0]
        self.buffer.append((loss.detach(), grad_norm.to(loss.dtype), lr))  # read in flush()

    def flush(self):
        """Read the buffered losses off the device, log and tally them, and stop on a NaN or
        inf. Returns the last loss read."""
        if not self.buffer:
            return None
        values = torch.stack([torch.stack(b[:2]) for b in self.buffer]).tolist()  # one sync
        first = self.step - len(values) + 1
        for i, ((loss, grad_norm), (_, _, lr)) in enumerate(zip(values, self.buffer)):
            if not math.isfinite(loss):
                raise HandgradError(self._not_finite(loss, first + i))
            self.writer.add_scalar("loss/train", loss, first + i)
            self.losses.append((first + i, loss))
            self.writer.add_scalar("grad_norm", grad_norm, first + i)
            self.writer.add_scalar("lr", lr, first + i)
            self.tally["loss_sum"] += loss
            self.tally["batches"] += 1
        self.buffer.clear()
        return values[-1][0]

    def _not_finite(self, loss, step):
        """The NaN message: where, which checkpoint exists, and a finite rate to try."""
        rate = self.cfg.learning_rate
        lower = min(rate / 10, OPTIMIZERS[self.cfg.optimizer].kwargs["lr"])
        if self.saved_epoch is None:
            then = f"no checkpoint was written yet; start again with --lr {lower:g}"
        else:
            then = (f"the checkpoint after epoch {self.saved_epoch} is intact: continue with "
                    f"--resume {self.run.checkpoint} --lr {lower:g}")
        return (f"the loss became {loss} at step {step} (epoch {self.epoch + 1}) with lr "
                f"{rate:g}; {then}")

    def train_epoch(self):
        """One pass over the training set in this epoch's seeded order, from ``batch`` on."""
        cfg, n = self.cfg, self.data.train_x.shape[0]
        order = torch.Generator().manual_seed(cfg.seed * 100_003 + self.epoch)
        bar = tqdm(total=math.ceil(n / cfg.batch_size), initial=self.batch,
                   desc=f"epoch {self.epoch + 1}/{cfg.epochs}", unit="batch", leave=False,
                   dynamic_ncols=True, disable=None)  # a bar on terminals only
        start = time.perf_counter()
        try:
            for x, y in self.data.batches("train", cfg.batch_size, order, skip=self.batch):
                self.train_step(x, y)
                self.batch += 1
                bar.update()
                if self.step % LOG_EVERY == 0:
                    loss = self.flush()
                    rate = self.tally["images"] / (self.tally["seconds"]
                                                   + time.perf_counter() - start)
                    bar.set_postfix(loss=f"{loss:.4f}", img_s=f"{rate:,.0f}")
            self.flush()
        finally:  # an interrupted epoch keeps its time too
            self.tally["seconds"] += time.perf_counter() - start
            bar.close()

    @torch.no_grad()
    def evaluate(self, split):
        """Mean loss and accuracy over a split, in batches."""
        loss_sum = torch.zeros((), device=self.data.train_x.device, dtype=torch.float64)
        correct, n = torch.zeros_like(loss_sum), 0
        for x, y in self.data.batches(split, 1000):
            logits = self.model(x)
            loss_sum += self.model.ops.cross_entropy(logits, y, reduction="sum").double()
            correct += (logits.argmax(1) == y).sum()
            n += y.shape[0]
        if n == 0:
            return math.nan, math.nan
        return loss_sum.item() / n, correct.item() / n

    def end_epoch(self):
        """Validate and log, then apply the stop rules and write the checkpoint that says the
        epoch is done (an interrupt before it validates again on resume). Returns a Stop or
        None."""
        t, w, epoch = self.tally, self.writer, self.epoch + 1
        record = {"train_loss": t["loss_sum"] / max(t["batches"], 1), "seconds": t["seconds"],
                  "images_per_s": t["images"] / max(t["seconds"], 1e-9)}
        line, val_loss = f"train loss {record['train_loss']:.4f}", None
        if len(self.data.val_y):  # --val-size 0: nothing to validate on
            val_loss, val_acc = self.evaluate("val")
            record.update(val_loss=val_loss, val_accuracy=val_acc)
            w.add_scalar("loss/val", val_loss, self.step)  # on the steps' axis, to overlay
            w.add_scalar("accuracy/val", val_acc, self.step)
            line += f", val loss {val_loss:.4f}, val accuracy {val_acc:.2%}"
        w.add_scalar("images_per_second", record["images_per_s"], self.step)
        pictures.log_epoch(w, self.model, self.data.test_x[:1], self.step)
        w.flush()  # the epoch's logs are on disk before the checkpoint that says it is done
        tqdm.write(f"epoch {epoch}/{self.cfg.epochs}: {line}, {record['seconds']:.1f} s, "
                   f"{record['images_per_s']:,.0f} images/s")
        stop = self.rules(self.parts.stopping.Progress(epoch, val_loss=val_loss,
                                                       model=self.model))
        self.history.append({"epoch": epoch, **record})
        self.epoch, self.batch, self.tally = epoch, 0, _tally()
        self.save()
        return stop

    def hparams(self):
        """The run's settings as logged: the real learning rate and the resolved device.
        TensorBoard sorts hyperparameters by name, so the four that tell runs apart are
        capitalized to come first."""
        cfg = self.cfg
        lead = {"LR": cfg.learning_rate, "Optimizer": cfg.optimizer,
                "Optimizer side": cfg.optimizer_impl, "Ops": cfg.impl}
        rest = {k: v for k, v in asdict(cfg).items() if k not in
                ("lr", "optimizer", "optimizer_impl", "impl", "logdir", "resume")}
        return {**lead, **rest, "device": str(self.device), "channels": str(cfg.channels)}

    def fit(self):
        """Train, validate every epoch, test at the end; returns the run's figures."""
        cfg, d = self.cfg, self.data
        print(f"{cfg.dataset} from {d.source}: {len(d.train_y)} train / {len(d.val_y)} val / "
              f"{len(d.test_y)} test images on {self.device}; ops {cfg.impl}, optimizer "
              f"{cfg.optimizer}:{cfg.optimizer_impl} lr {cfg.learning_rate:g}; logs in "
              f"{self.run.path} (tensorboard --logdir {self.run.path.parent})")
        if cfg.train_size is None and len(d.val_y) > len(d.train_y):
            print(f"warning: --val-size {cfg.val_size} holds out more images than are left "
                  f"to train on ({len(d.train_y)})")
        self.writer.add_text("config", "\n".join(f"    {k}: {v}"
                                                 for k, v in self.hparams().items()))
        stop = None
        try:
            while self.epoch < cfg.epochs and stop is None:
                self.train_epoch()
                stop = self.end_epoch()
        except KeyboardInterrupt:
            self.flush()  # a NaN here raises instead: the last good checkpoint stays
            self.save()
            print(f"\ninterrupted: checkpoint written to {self.run.checkpoint}; continue "
                  f"with --resume {self.run.checkpoint}")
            self.close()
            raise
        except BaseException:
            self.close()
            raise
        return self.finish(stop)

    def close(self):
        self.writer.close()
        self.run.release()

    def finish(self, stop):
        w = self.writer
        if stop:
            print(f"stopped by {stop.rule}: {stop.reason}")
            w.add_text("stop", f"{stop.rule}: {stop.reason}")
        if self.early and self.early.restore(self.model):
            print(f"restored the parameters of epoch {self.early.best_step} (best validation loss)")
        test_loss, test_acc = self.evaluate("test")
        w.add_scalar("accuracy/test", test_acc, self.step)
        w.add_scalar("loss/test", test_loss, self.step)
        last = self.history[-1] if self.history else {}
        hparams = {k: v for k, v in self.hparams().items()
                   if isinstance(v, (int, float, str, bool)) and v is not None}
        w.add_hparams(hparams, {"hparams/test_accuracy": test_acc,
                                "hparams/val_loss": last.get("val_loss", math.nan)}, run_name=".")
        self.close()
        print(f"test accuracy {test_acc:.2%} (test loss {test_loss:.4f}) after {self.epoch} epochs")
        return {"test_accuracy": test_acc, "test_loss": test_loss, "history": self.history,
                "train_losses": self.losses, "stop": stop.reason if stop else None,
                "dir": str(self.run.path),
                "parameters": {k: v.detach().cpu() for k, v in self.model.state_dict().items()}}
