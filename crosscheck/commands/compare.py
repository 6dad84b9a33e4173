"""``handgrad compare``: the CNN trained once per optimizer and implementation, from the
same initial parameters and in the same batch order, with the curves overlaid.

Notes sections: 梯度下降 (the size of the step), 随机梯度下降, 动量, AdaGrad, RMSProp, Adam.
Each run logs to ``<logdir>/<optimizer>-<impl>/`` (so ``tensorboard --logdir <logdir>``
overlays them); ``curves.png`` and ``summary.md`` land in ``<logdir>``. The folder belongs to
one comparison: its settings are in ``compare.json``, a second comparison into it is refused,
and ``--resume <logdir>`` continues every unfinished run, then draws.
"""
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from shlex import quote

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from torch.utils.tensorboard import SummaryWriter  # noqa: E402

from crosscheck.commands.train import train  # noqa: E402
from crosscheck.proof.checks.harness import exact_float32  # noqa: E402
from torch_ref.cnn.config import Config  # noqa: E402
from torch_ref.cnn.pictures import log_picture  # noqa: E402
from torch_ref.cnn.run_dir import RunDir, run_folder  # noqa: E402
from torch_ref.cnn.train import RESULT  # noqa: E402
from torch_ref.errors import HandgradError, Interrupted  # noqa: E402
from torch_ref.optimizers import OPTIMIZERS  # noqa: E402

MANIFEST = "compare.json"
# what a comparison fixes (its runs must share them), and what may change on --resume
FIXED = ("dataset", "batch_size", "val_size", "train_size", "epochs", "seed", "channels",
         "hidden", "dtype", "dry_run")
MAY_CHANGE = ("device", "data_dir")


@dataclass
class Comparison:
    """One comparison: which optimizers on which side, their rates, and the shared settings."""

    optimizers: list
    impls: list
    lr: dict
    settings: dict = field(default_factory=dict)

    def config(self, name, impl, logdir):
        return Config(**self.settings, impl=impl, optimizer=name, optimizer_impl=impl,
                      lr=self.lr.get(name), logdir=str(logdir / f"{name}-{impl}"))


def planned(args):
    """The comparison the command line asks for; with --resume, the one the folder holds
    (a setting typed beside --resume must not differ from it)."""
    if not args.resume:
        return Comparison(list(args.optimizers), ["manual", "torch"] if args.impl == "both"
                          else [args.impl], dict(args.lr),
                          {k: getattr(args, k) for k in FIXED + MAY_CHANGE})
    path = Path(args.resume) / MANIFEST
    try:
        saved = Comparison(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError) as err:
        raise HandgradError(f"--resume {args.resume}: no comparison to continue there "
                            f"({type(err).__name__} reading {path.name})") from None
    typed = set(args.given) - {"resume", *MAY_CHANGE}
    if typed:
        raise HandgradError(f"--resume {args.resume}: the comparison's settings are in "
                            f"{path}; drop --{sorted(typed)[0].replace('_', '-')}")
    saved.settings.update({k: getattr(args, k) for k in MAY_CHANGE if k in args.given})
    return saved


def run_one(cfg):
    """A run of the comparison: read back if it finished, continued if it has a checkpoint,
    trained otherwise."""
    folder = Path(cfg.logdir)
    if (folder / RESULT).exists():
        print(f"== {cfg.optimizer} ({cfg.impl}): finished before, read from {folder / RESULT}")
        return json.loads((folder / RESULT).read_text())
    print(f"== {cfg.optimizer} ({cfg.impl})")
    checkpoint = folder / "checkpoint.pt"
    return train(Config(**{**asdict(cfg), "resume": str(checkpoint)}) if checkpoint.exists()
                 else cfg)


def run_all(comparison, logdir):
    results = {}
    for name in comparison.optimizers:
        for impl in comparison.impls:
            try:
                results[(name, impl)] = run_one(comparison.config(name, impl, logdir))
            except Interrupted:
                raise Interrupted(f"handgrad compare --resume {quote(str(logdir))}") from None
    return results


def gaps(a, b):
    """(step, |loss_manual - loss_torch|) over the steps both logged."""
    other = dict(b)
    return [(step, abs(loss - other[step])) for step, loss in a if step in other]


def largest_gap(a, b):
    return max((g for _, g in gaps(a, b)), default=float("nan"))


def summary(results):
    lines = ["| run | final train loss | val accuracy | test accuracy | seconds | images/s |",
             "|---|---|---|---|---|---|"]
    for (name, impl), r in results.items():
        last = {"val_accuracy": float("nan"), **r["history"][-1]}
        seconds = sum(h["seconds"] for h in r["history"])
        rate = sum(h["images_per_s"] for h in r["history"]) / len(r["history"])
        lines.append(f"| {name}-{impl} | {r['train_losses'][-1][1]:.4f} | "
                     f"{last['val_accuracy']:.2%} | {r['test_accuracy']:.2%} | {seconds:.1f} | "
                     f"{rate:,.0f} |")
    pairs = [(n, largest_gap(results[(n, "manual")]["train_losses"],
                             results[(n, "torch")]["train_losses"]))
             for n in dict.fromkeys(n for n, _ in results) if (n, "manual") in results
             and (n, "torch") in results]
    if pairs:
        lines += ["", "| optimizer | largest gap between manual and torch loss curves |",
                  "|---|---|"]
        lines += [f"| {n} | {gap:.2e} |" for n, gap in pairs]
    return "\n".join(lines) + "\n"


def _smooth(values, k):
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v - (values[i - k] if i >= k else 0.0)
        out.append(total / min(i + 1, k))
    return out


def _color(name):
    return f"C{list(OPTIMIZERS).index(name)}"  # the table's order in matplotlib's cycle


BAND = {"linewidth": 6, "alpha": 0.3, "solid_capstyle": "butt"}  # torch: a wide pale band


def _draw_losses(ax, results):
    steps = max(len(r["train_losses"]) for r in results.values())
    k = max(1, min(20, steps // 10))  # smoothing that still shows the first tenth of the run
    for (name, impl), r in results.items():
        x, losses = zip(*r["train_losses"])
        ax.plot(x, _smooth(losses, k), color=_color(name), label=f"{name} ({impl})",
                **(BAND if impl == "torch" else {"linewidth": 1.1}))
    ax.set(xlabel="step", yscale="log", title="training loss: torch (band), manual (line)",
           ylabel=f"training loss (moving average of {k})" if k > 1 else "training loss")


def _draw_gaps(fig, cell, results):
    """One thin panel per optimizer, stacked on one step axis: |loss manual - loss torch| at
    every step on a log scale (a gap of 0, equal to the bit, is a break in the line)."""
    names = [n for n in dict.fromkeys(n for n, _ in results)
             if (n, "manual") in results and (n, "torch") in results]
    if not names:
        return
    axes = cell.subgridspec(len(names), 1, hspace=0.15).subplots(sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        gap = gaps(results[(name, "manual")]["train_losses"],
                   results[(name, "torch")]["train_losses"])
        steps, values = zip(*gap)
        worst = max(values)
        ax.plot(steps, [v or float("nan") for v in values], color=_color(name), linewidth=1,
                marker=".", markersize=3)  # a dot: a step that parts between two equal ones
        if worst:  # a margin of a few times either way, so a lone point stays inside
            ax.set_yscale("log")
            ax.set_ylim(min(v for v in values if v) / 4, worst * 4)
            ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(numticks=3))
            ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.text(0.01, 0.9, f"{name}: largest {worst:.1e}" if worst else f"{name}: equal to "
                "the bit at every step", transform=ax.transAxes, va="top", fontsize=7.5)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0, 0].set_title("where manual and torch part: |loss manual - loss torch| per step")
    axes[-1, 0].set_xlabel("step")


def _draw_accuracy(ax, results):
    values = []
    for (name, impl), r in results.items():
        epochs = [h["epoch"] for h in r["history"]]
        acc = [h.get("val_accuracy", float("nan")) for h in r["history"]]
        values += [a for a in acc if a == a]
        style = ({"marker": "o", "markersize": 11, **BAND} if impl == "torch"
                 else {"marker": "o", "markersize": 4, "linewidth": 1.1})
        ax.plot(epochs, acc, color=_color(name), **style)
    if values:  # the data's own range, with a margin, inside [0, 1]
        low, high = min(values), max(values)
        pad = max(0.01, (high - low) * 0.15)
        ax.set_ylim(max(0.0, low - pad), min(1.0, high + pad))
    last = max(h["epoch"] for r in results.values() for h in r["history"])
    ax.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy",
           xlim=(0.5, last + 0.5), xticks=range(1, last + 1, max(1, last // 10)))


def plot(results, path):
    """Loss curves (torch a wide pale band, manual a thin line on it: where they agree the
    line runs inside the band), where the two part, and the validation accuracy."""
    fig = plt.figure(figsize=(16, 5.4))
    left, middle, right = fig.add_gridspec(1, 3, wspace=0.25, left=0.06, right=0.98,
                                           bottom=0.2, top=0.86)
    ax_loss, ax_acc = fig.add_subplot(left), fig.add_subplot(right)
    _draw_losses(ax_loss, results)
    _draw_gaps(fig, middle, results)
    _draw_accuracy(ax_acc, results)
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    handles, labels = ax_loss.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 10), frameon=False,
               fontsize=8)
    fig.suptitle("one CNN, one initialization, one batch order per optimizer (float32 on "
                 "both sides, no TF32)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(args):
    exact_float32()  # manual and torch compared in full float32: no TF32 on either side
    comparison = planned(args)
    logdir = Path(args.resume or args.logdir or run_folder("compare"))
    held = RunDir(logdir, resuming=bool(args.resume), marker=MANIFEST,
                  resume=f"handgrad compare --resume {quote(str(logdir))}")
    try:
        held.write(MANIFEST, json.dumps(asdict(comparison), indent=1))
        results = run_all(comparison, logdir)
        text = summary(results)
        held.write("summary.md", text)
        plot(results, logdir / "curves.png")
        with SummaryWriter(str(logdir)) as writer:
            log_picture(writer, "compare/curves", logdir / "curves.png")
            writer.add_text("compare/summary", text)
    finally:
        held.release()
    print(text)
    print(f"wrote {logdir / 'curves.png'} and {logdir / 'summary.md'}; "
          f"tensorboard --logdir {quote(str(logdir))}")
    return 0
