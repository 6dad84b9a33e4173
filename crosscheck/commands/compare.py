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

from crosscheck.commands.train import train  # noqa: E402
from torch_ref.cnn.optimizers import OPTIMIZERS  # noqa: E402
from torch_ref.cnn.run_dir import run_folder  # noqa: E402
from torch_ref.cnn.train import Config  # noqa: E402


def run_all(args, optimizers, impls, logdir):
    results = {}
    for name in optimizers:
        for impl in impls:
            print(f"== {name} ({impl})")
            cfg = Config.from_args(args, impl=impl, optimizer=name, optimizer_impl=impl,
                                   lr=args.lr.get(name), logdir=str(logdir / f"{name}-{impl}"))
            results[(name, impl)] = train(cfg)
    return results


def largest_gap(a, b):
    """The largest |loss_manual - loss_torch| over the steps both logged."""
    other = dict(b)
    gaps = [abs(loss - other[step]) for step, loss in a if step in other]
    return max(gaps) if gaps else float("nan")


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
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.5))
    for (name, impl), r in results.items():
        style = {"color": OPTIMIZERS[name].color, "linestyle": "--" if impl == "manual" else "-",
                 "linewidth": 1.2 if impl == "manual" else 2.0, "alpha": 0.9,
                 "label": f"{name} ({impl})"}
        steps, losses = zip(*r["train_losses"])
        ax_loss.plot(steps, _smooth(losses), **style)
        epochs = [h["epoch"] for h in r["history"]]
        ax_acc.plot(epochs, [h.get("val_accuracy", float("nan")) for h in r["history"]],
                    marker="o", **style)
    ax_loss.set(xlabel="step", ylabel="training loss (moving average of 20)", yscale="log",
                title="training loss")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy")
    ax_acc.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax_loss.legend(fontsize=8, ncol=2, loc="upper right")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    fig.suptitle("one CNN, one initialization, one batch order: manual dashed over torch solid")
    fig.tight_layout()
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
    print(text)
    print(f"wrote {logdir / 'curves.png'} and {logdir / 'summary.md'}; "
          f"tensorboard --logdir {logdir}")
    return 0
