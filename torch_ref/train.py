"""Training the seed's CNN on MNIST or Fashion-MNIST, logged to TensorBoard.

Seed sections: 卷积神经网络 (CNN), 交叉熵, 随机梯度下降 (Mini Batch GD), 学习率的优化 (Warm Up),
梯度下降算法停止条件 (验证集早停 Early Stopping).

The trainer is one loop for both sides: ``Parts`` carries the ops backend, the optimizer
classes, the warm-up scheduler class and the stop rules, and the command line
(crosscheck/cli.py) wires in the manual ones or the built-in ones. The data set lives on the
training device and is batched by indexing with a seeded permutation per epoch, so a run is
reproducible on the CPU and resumes exactly from a checkpoint, even one written mid-epoch.
"""
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType

import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from torch_ref import checkpoint, data, pictures
from torch_ref.errors import HandgradError
from torch_ref.model import CNN

OPTIMIZERS = {  # name -> (class, its arguments); lr is the default, --lr overrides it
    "sgd": ("SGD", {"lr": 0.05}),
    "momentum": ("SGD", {"lr": 0.01, "momentum": 0.9}),
    "adagrad": ("Adagrad", {"lr": 0.01}),
    "rmsprop": ("RMSprop", {"lr": 1e-3}),
    "adam": ("Adam", {"lr": 2e-3}),
}
LOG_EVERY = 20  # steps between reads of the loss from the device (each read is a sync)


@dataclass
class Config:
    dataset: str = "mnist"
    data_dir: str = "data"
    impl: str = "torch"
    optimizer: str = "adam"
    optimizer_impl: str = "torch"
    lr: float = None
    epochs: int = 3
    batch_size: int = 128
    val_size: int = 5000
    train_size: int = None
    warmup_steps: int = 0
    weight_decay: float = 0.0
    device: str = "auto"
    seed: int = 0
    logdir: str = None
    resume: str = None
    early_stop_patience: int = None
    dry_run: bool = False
    channels: tuple = (32, 64)
    hidden: int = 128
    dtype: str = "float32"

    @property
    def learning_rate(self):
        return self.lr if self.lr is not None else OPTIMIZERS[self.optimizer][1]["lr"]


@dataclass
class Parts:
    """What the caller wires in: manual or built-in."""

    ops: object  # conv2d, relu, max_pool2d, flatten, linear, cross_entropy
    optim: ModuleType  # SGD, Adagrad, RMSprop, Adam
    warmup: type  # WarmupLR(optimizer, warmup_steps, start_factor, ...)
    stopping: ModuleType  # StopRules, EarlyStopping, NonFiniteLoss, Progress


@dataclass
class Run:
    """The state of one training run."""

    cfg: Config
    parts: Parts
    model: CNN
    optimizer: torch.optim.Optimizer
    scheduler: object
    early: object
    data: data.Data
    writer: SummaryWriter
    dir: Path
    epoch: int = 0
    batch: int = 0  # batches done in the current epoch
    step: int = 0
    buffer: list = field(default_factory=list)  # (loss, grad norm, lr) not yet logged
    history: list = field(default_factory=list)  # one record per epoch
    losses: list = field(default_factory=list)  # the training loss of every step, this process


def resolve_device(name):
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise HandgradError("--device cuda: CUDA is not available on this machine "
                            "(torch.cuda.is_available() is False); use --device cpu")
    if name not in ("cpu", "cuda"):
        raise HandgradError(f"--device must be auto, cpu or cuda, got {name!r}")
    return name


def make_optimizer(cfg, parts, params):
    if cfg.optimizer not in OPTIMIZERS:
        raise HandgradError(f"unknown optimizer {cfg.optimizer!r}; choose from "
                            f"{', '.join(OPTIMIZERS)}")
    cls_name, kwargs = OPTIMIZERS[cfg.optimizer]
    kwargs = {**kwargs, "lr": cfg.learning_rate, "weight_decay": cfg.weight_decay}
    return getattr(parts.optim, cls_name)(params, **kwargs)


def run_dir(cfg):
    if cfg.logdir:
        return Path(cfg.logdir)
    if cfg.resume:
        return Path(cfg.resume).parent
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{cfg.dataset}-{cfg.impl}-{cfg.optimizer}-{stamp}"


def setup(cfg, parts):
    device = resolve_device(cfg.device)
    if cfg.resume and not Path(cfg.resume).is_file():  # before minutes of data loading
        raise HandgradError(f"--resume {cfg.resume}: no such file")
    if device == "cuda":
        torch.backends.cudnn.benchmark = True  # the built-in convs pick their fastest kernel
    dtype = {"float32": torch.float32, "float64": torch.float64}[cfg.dtype]
    torch.manual_seed(cfg.seed)
    model = CNN(parts.ops, cfg.channels, cfg.hidden).to(device, dtype)
    optimizer = make_optimizer(cfg, parts, model.parameters())
    scheduler = (parts.warmup(optimizer, cfg.warmup_steps, start_factor=0.1)
                 if cfg.warmup_steps else None)
    early = (parts.stopping.EarlyStopping(cfg.early_stop_patience)
             if cfg.early_stop_patience is not None else None)
    if early and cfg.val_size == 0:
        raise HandgradError("--early-stop-patience watches the validation loss: it needs "
                            "--val-size > 0")
    train_size = 3 * cfg.batch_size if cfg.dry_run else cfg.train_size
    d = data.load(cfg.dataset, cfg.data_dir, device, cfg.val_size, cfg.seed, train_size, dtype)
    if cfg.dry_run:  # a few batches of each split
        n = 3 * cfg.batch_size
        d.val_x, d.val_y, d.test_x, d.test_y = d.val_x[:n], d.val_y[:n], d.test_x[:n], d.test_y[:n]
    folder = run_dir(cfg)
    run = Run(cfg, parts, model, optimizer, scheduler, early, d, None, folder)
    if cfg.resume:
        resume(run, cfg.resume)
    run.writer = SummaryWriter(str(folder))
    return run


def state(run):
    rng = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    cfg = run.cfg
    return {"impl": cfg.impl, "optimizer": f"{cfg.optimizer}:{cfg.optimizer_impl}",
            "dataset": cfg.dataset, "model_config": run.model.config,
            "model": run.model.state_dict(), "optimizer_state": run.optimizer.state_dict(),
            "scheduler": run.scheduler.state_dict() if run.scheduler else None,
            "early_stopping": run.early.state_dict() if run.early else None, "rng": rng,
            "epoch": run.epoch, "batch": run.batch, "step": run.step, "history": run.history,
            "config": {k: v for k, v in asdict(cfg).items() if k != "resume"}}


def resume(run, path):
    expect = {"impl": run.cfg.impl, "model_config": run.model.config,
              "optimizer": f"{run.cfg.optimizer}:{run.cfg.optimizer_impl}",
              "dataset": run.cfg.dataset}
    s = checkpoint.load(path, expect)
    run.model.load_state_dict(s["model"])
    run.optimizer.load_state_dict(s["optimizer_state"])
    if run.scheduler and s["scheduler"]:
        run.scheduler.load_state_dict(s["scheduler"])
    if run.early and s["early_stopping"]:
        run.early.load_state_dict(s["early_stopping"])
    torch.set_rng_state(s["rng"]["torch"])
    run.epoch, run.batch, run.step, run.history = s["epoch"], s["batch"], s["step"], s["history"]
    print(f"resumed from {path}: epoch {run.epoch + 1}, batch {run.batch}, step {run.step}")


def flush(run):
    """Read the buffered losses off the device, log them, and stop on a NaN or inf.
    Returns the losses read."""
    if not run.buffer:
        return []
    values = torch.stack([torch.stack(b[:2]) for b in run.buffer]).tolist()  # one sync
    first = run.step - len(values) + 1
    for i, ((loss, grad_norm), (_, _, lr)) in enumerate(zip(values, run.buffer)):
        if not math.isfinite(loss):
            raise HandgradError(
                f"the loss became {loss} at step {first + i} (epoch {run.epoch + 1}); the last "
                f"checkpoint in {run.dir} is intact. Try a lower learning rate than "
                f"{run.cfg.learning_rate:g}, e.g. --lr {run.cfg.learning_rate / 10:g}")
        run.writer.add_scalar("loss/train", loss, first + i)
        run.losses.append((first + i, loss))
        run.writer.add_scalar("grad_norm", grad_norm, first + i)
        run.writer.add_scalar("lr", lr, first + i)
    run.buffer.clear()
    return [v[0] for v in values]


def train_step(run, x, y):
    run.optimizer.zero_grad(set_to_none=True)
    loss = run.model.loss(x, y)
    loss.backward()
    grads = [p.grad for p in run.model.parameters() if p.grad is not None]
    grad_norm = torch.stack([g.norm() for g in grads]).norm()
    lr = run.optimizer.param_groups[0]["lr"]
    run.optimizer.step()
    if run.scheduler:
        run.scheduler.step()
    run.step += 1
    run.buffer.append((loss.detach(), grad_norm.to(loss.dtype), lr))  # read in flush()


def train_epoch(run):
    """One pass over the training set in this epoch's seeded order, from ``run.batch`` on."""
    cfg, n = run.cfg, run.data.train_x.shape[0]
    order = torch.Generator().manual_seed(cfg.seed * 100_003 + run.epoch)
    total = math.ceil(n / cfg.batch_size)
    bar = tqdm(total=total, initial=run.batch, desc=f"epoch {run.epoch + 1}/{cfg.epochs}",
               unit="batch", leave=False, dynamic_ncols=True, disable=None)
    start, seen, losses = time.perf_counter(), 0, []
    for x, y in run.data.batches("train", cfg.batch_size, order, skip=run.batch):
        train_step(run, x, y)
        run.batch += 1
        seen += x.shape[0]
        bar.update()
        if run.step % LOG_EVERY == 0:
            losses += flush(run)
            rate = seen / (time.perf_counter() - start)
            bar.set_postfix(loss=f"{losses[-1]:.4f}", img_s=f"{rate:,.0f}")
    losses += flush(run)
    bar.close()
    seconds = time.perf_counter() - start
    return {"train_loss": sum(losses) / max(len(losses), 1), "seconds": seconds,
            "images_per_s": seen / seconds}


@torch.no_grad()
def evaluate(run, split):
    """Mean loss and accuracy over a split, in batches."""
    loss_sum = torch.zeros((), device=run.data.train_x.device, dtype=torch.float64)
    correct, n = torch.zeros_like(loss_sum), 0
    for x, y in run.data.batches(split, 1000):
        logits = run.model(x)
        loss_sum += run.model.ops.cross_entropy(logits, y, reduction="sum").double()
        correct += (logits.argmax(1) == y).sum()
        n += y.shape[0]
    if n == 0:
        return math.nan, math.nan
    return loss_sum.item() / n, correct.item() / n


def save(run):
    checkpoint.save(run.dir / "checkpoint.pt", state(run))


def end_epoch(run, rules, record):
    """Validate, log, apply the stop rules, checkpoint. Returns a Stop or None."""
    run.epoch, run.batch = run.epoch + 1, 0
    w, line = run.writer, f"train loss {record['train_loss']:.4f}"
    val_loss = None
    if len(run.data.val_y):  # --val-size 0: nothing to validate on
        val_loss, val_acc = evaluate(run, "val")
        record.update(val_loss=val_loss, val_accuracy=val_acc)
        w.add_scalar("loss/val", val_loss, run.epoch)
        w.add_scalar("accuracy/val", val_acc, run.epoch)
        line += f", val loss {val_loss:.4f}, val accuracy {val_acc:.2%}"
    run.history.append({"epoch": run.epoch, **record})
    w.add_scalar("images_per_second", record["images_per_s"], run.epoch)
    pictures.log_epoch(w, run.model, run.data.test_x[:1], run.epoch)
    tqdm.write(f"epoch {run.epoch}/{run.cfg.epochs}: {line}, {record['seconds']:.1f} s, "
               f"{record['images_per_s']:,.0f} images/s")
    stop = rules(run.parts.stopping.Progress(run.epoch, val_loss=val_loss, model=run.model))
    save(run)
    return stop


def fit(cfg, parts):
    """Train, validate every epoch, test at the end; returns the run's figures."""
    run = setup(cfg, parts)
    rules = parts.stopping.StopRules(*([run.early] if run.early else []),
                                     parts.stopping.NonFiniteLoss())
    d = run.data
    print(f"{cfg.dataset} from {d.source}: {len(d.train_y)} train / {len(d.val_y)} val / "
          f"{len(d.test_y)} test images on {d.train_x.device}; ops {cfg.impl}, optimizer "
          f"{cfg.optimizer}:{cfg.optimizer_impl} lr {cfg.learning_rate:g}; logs in {run.dir}")
    run.writer.add_text("config", "\n".join(f"    {k}: {v}" for k, v in asdict(cfg).items()))
    stop = None
    try:
        while run.epoch < cfg.epochs and stop is None:
            stop = end_epoch(run, rules, train_epoch(run))
    except KeyboardInterrupt:
        flush(run)  # a NaN here raises instead: the last good checkpoint stays
        save(run)
        print(f"\ninterrupted: checkpoint written to {run.dir / 'checkpoint.pt'}; continue "
              f"with --resume {run.dir / 'checkpoint.pt'}")
        run.writer.close()
        raise
    except BaseException:
        run.writer.close()
        raise
    return finish(run, stop)


def finish(run, stop):
    w = run.writer
    if stop:
        print(f"stopped by {stop.rule}: {stop.reason}")
        w.add_text("stop", f"{stop.rule}: {stop.reason}")
    if run.early and run.early.restore(run.model):
        print(f"restored the parameters of epoch {run.early.best_step} (best validation loss)")
    test_loss, test_acc = evaluate(run, "test")
    w.add_scalar("accuracy/test", test_acc, run.epoch)
    w.add_scalar("loss/test", test_loss, run.epoch)
    last = run.history[-1] if run.history else {}
    hparams = {k: v for k, v in asdict(run.cfg).items()
               if isinstance(v, (int, float, str, bool)) and v is not None}
    w.add_hparams(hparams, {"hparams/test_accuracy": test_acc,
                            "hparams/val_loss": last.get("val_loss", math.nan)}, run_name=".")
    w.close()
    print(f"test accuracy {test_acc:.2%} (test loss {test_loss:.4f}) after {run.epoch} epochs")
    return {"test_accuracy": test_acc, "test_loss": test_loss, "history": run.history,
            "train_losses": run.losses,
            "stop": stop.reason if stop else None, "dir": str(run.dir),
            "parameters": {k: v.detach().cpu() for k, v in run.model.state_dict().items()}}
