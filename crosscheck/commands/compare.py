"""``handgrad compare``: the CNN trained once per optimizer and implementation, from the
same initial parameters and in the same batch order, with the curves overlaid.

Notes sections: 梯度下降 (the size of the step), 随机梯度下降, 动量, AdaGrad, RMSProp, Adam.
Each run logs to ``<logdir>/<optimizer>-<impl>/`` (so ``tensorboard --logdir <logdir>``
overlays them); ``curves.png`` and ``summary.md`` land in ``<logdir>``.
"""
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from torch.utils.tensorboard import SummaryWriter  # noqa: E402

from crosscheck.commands.train import train  # noqa: E402
from torch_ref.cnn.config import Config  # noqa: E402
from torch_ref.cnn.optimizers import OPTIMIZERS  # noqa: E402
from torch_ref.cnn.pictures import log_picture  # noqa: E402
from torch_ref.cnn.run_dir import run_folder  # noqa: E402


def run_all(args, optimizers, impls, logdir):
    results = {}
    for name in optimizers:
        for impl in impls:
            print(f"== {name} ({impl})")
            cfg = Config.from_args(args, impl=impl, optimizer=name, optimizer_impl=impl,
                                   lr=args.lr.get(name), logdir=str(logdir / f"{name}-{impl}"))
            results[(name, impl)] = train(cfg)
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


def plot(results, path):
    """Loss curves with torch as a wide pale band and manual as a thin line on it (where they
    agree, the line runs inside the band), the gap between them on its own axis, and the
    validation accuracy."""
    fig, (ax_loss, ax_gap, ax_acc) = plt.subplots(1, 3, figsize=(16, 4.8))
    for (name, impl), r in results.items():
        color = f"C{list(OPTIMIZERS).index(name)}"  # the table's order: matplotlib's cycle
        style = ({"linewidth": 6, "alpha": 0.3, "solid_capstyle": "butt"} if impl == "torch"
                 else {"linewidth": 1.1})
        steps, losses = zip(*r["train_losses"])
        ax_loss.plot(steps, _smooth(losses), color=color, label=f"{name} ({impl})", **style)
        epochs = [h["epoch"] for h in r["history"]]
        ax_acc.plot(epochs, [h.get("val_accuracy", float("nan")) for h in r["history"]],
                    color=color, marker="o" if impl == "manual" else None, **style)
        if impl == "manual" and (name, "torch") in results:
            gap = [(s, g or float("nan"))  # equal: a break in the line
                   for s, g in gaps(r["train_losses"], results[(name, "torch")]["train_losses"])]
            ax_gap.plot(*zip(*gap), color=color, linewidth=1, label=name)
    ax_loss.set(xlabel="step", ylabel="training loss (moving average of 20)", yscale="log",
                title="training loss: torch (band), manual (line)")
    ax_gap.set(xlabel="step", ylabel="|loss manual - loss torch| (a break: equal)",
               yscale="log", title="where manual and torch part")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy")
    ax_acc.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    for ax in (ax_loss, ax_gap, ax_acc):
        ax.grid(alpha=0.3)
    handles, labels = ax_loss.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 10), frameon=False,
               fontsize=8)
    fig.suptitle("one CNN, one initialization, one batch order per optimizer")
    fig.tight_layout(rect=(0, 0.08, 1, 1))  # the legend below the panels, clear of the data
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _smooth(values, k=20):
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v - (values[i - k] if i >= k else 0.0)
        out.append(total / min(i + 1, k))
    return out


def run(args):
    impls = ["manual", "torch"] if args.impl == "both" else [args.impl]
    logdir = Path(args.logdir or run_folder("compare"))
    results = run_all(args, args.optimizers, impls, logdir)
    text = summary(results)
    (logdir / "summary.md").write_text(text)
    plot(results, logdir / "curves.png")
    with SummaryWriter(str(logdir)) as writer:
        log_picture(writer, "compare/curves", logdir / "curves.png")
        writer.add_text("compare/summary", text)
    print(text)
    print(f"wrote {logdir / 'curves.png'} and {logdir / 'summary.md'}; "
          f"tensorboard --logdir {logdir}")
    return 0
