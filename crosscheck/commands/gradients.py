"""``handgrad gradients``: vanishing gradients and dead neurons in a deep MLP.

Notes sections: 激活函数对于反向传播的利害 (梯度消失: every sigmoid layer multiplies the
gradient by sigma(1 - sigma) <= 1/4), ReLU 的好处, ReLU 的新问题 (dead neurons).

One deep, narrow MLP, the same initial weights for every activation, gradients from the
hand-written back propagation (manual/backprop.py): the gradient norm of every layer's
weights at initialization and after a short full-batch gradient descent, and the fraction
of hidden units that no input activates (dead) for ReLU against Leaky ReLU.
"""
import math
import textwrap
from pathlib import Path
from shlex import quote

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch.utils.tensorboard import SummaryWriter  # noqa: E402
from tqdm import tqdm  # noqa: E402

from manual import backprop  # noqa: E402
from torch_ref.cnn.pictures import log_picture  # noqa: E402
from torch_ref.cnn.run_dir import run_folder  # noqa: E402

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")


def problem(seed, n=512, features=32, classes=10):
    """Inputs and labels from a random linear teacher."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=gen, dtype=torch.float64)
    teacher = torch.randn(features, classes, generator=gen, dtype=torch.float64)
    return x, (x @ teacher).argmax(1)


def init(sizes, seed):
    """He (Kaiming) initialization, N(0, 2 / fan_in), zero biases: it keeps a ReLU layer's
    output variance equal to its input's. (With torch's default Linear initialization,
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the variance shrinks sixfold per ReLU layer, and a
    deep ReLU net's gradients vanish too: the initialization matters as much as f'.)"""
    gen = torch.Generator().manual_seed(seed)
    ws = [torch.randn(fan_out, fan_in, generator=gen, dtype=torch.float64)
          * math.sqrt(2 / fan_in) for fan_in, fan_out in zip(sizes, sizes[1:])]
    return ws, [torch.zeros(w.shape[0], dtype=torch.float64) for w in ws]


def dead_fraction(x, ws, bs, acts):
    """Per hidden layer: the share of units whose net input is <= 0 for every example."""
    layers = backprop.forward(x, ws, bs, acts)[:-1]
    return [(net <= 0).all(0).double().mean().item() for net, _ in layers]


def study(activation, depth=10, width=64, steps=300, lr=0.2, seed=0, bar=None):
    x, y = problem(seed)
    ws, bs = init([x.shape[1]] + [width] * (depth - 1) + [10], seed)
    acts = [activation] * (depth - 1) + ["identity"]
    norms = {}
    for phase in ("init", "trained"):
        if phase == "trained":
            for _ in range(steps):  # full-batch gradient descent: theta <- theta - lr g
                _, gw, gb = backprop.gradients(x, y, ws, bs, acts, "cross_entropy")
                ws = [w - lr * g for w, g in zip(ws, gw)]
                bs = [b - lr * g for b, g in zip(bs, gb)]
                if bar is not None:
                    bar.update()
        loss, gw, _ = backprop.gradients(x, y, ws, bs, acts, "cross_entropy")
        norms[phase] = [g.norm().item() for g in gw]
        norms[f"{phase}_loss"] = loss.item()
        norms[f"{phase}_dead"] = dead_fraction(x, ws, bs, acts)
    return norms


def report(depth=10, steps=300, seed=0):
    """Every activation studied, with a progress bar over their steps (on a terminal)."""
    with tqdm(total=steps * len(ACTIVATIONS), desc="gradient descent", unit="step",
              leave=False, disable=None) as bar:
        return {a: study(a, depth=depth, steps=steps, seed=seed, bar=bar) for a in ACTIVATIONS}


def label_entropy(seed):
    """The loss of a net that ignores its input and predicts the labels' frequencies: the
    floor a collapsed net sits on."""
    _, y = problem(seed)
    p = torch.bincount(y, minlength=10).double() / len(y)
    return -(p[p > 0] * p[p > 0].log()).sum().item()


def _collapsed(results, floor):
    """Those that after training still sit at the constant predictor's loss, in words."""
    return [f"{act}: loss {r['trained_loss']:.2f} after training, the labels' entropy is "
            f"{floor:.2f}: the net predicts the same for every input, so its gradients stay "
            "small and flat" for act, r in results.items() if r["trained_loss"] > 0.9 * floor]


STYLE = {  # ReLU as a wide pale band, so that Leaky ReLU's thin line on it stays visible
    "sigmoid": {"color": "tab:blue", "linewidth": 1.5, "marker": "o"},
    "tanh": {"color": "tab:orange", "linewidth": 1.5, "marker": "s"},
    "relu": {"color": "tab:green", "linewidth": 7, "alpha": 0.35, "solid_capstyle": "butt"},
    "leaky_relu": {"color": "darkgreen", "linewidth": 1.2, "marker": ".", "linestyle": "--"},
}


def draw(results, file, floor):
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
    for ax, phase in zip(axes, ("init", "trained")):
        for act, r in results.items():
            ax.plot(range(1, len(r[phase]) + 1), r[phase], label=act, **STYLE[act])
        when = "at initialization" if phase == "init" else "after training"
        ax.set(yscale="log", xlabel="layer (1 = next to the input)", ylabel="||dE/dW||",
               title=f"gradient norm per layer, {when}")
    said = "\n".join(textwrap.fill(line, 52) for line in _collapsed(results, floor))
    if said:  # just above the flat line it explains
        axes[1].text(0.03, 0.2, said, transform=axes[1].transAxes, fontsize=8, va="bottom",
                     color=STYLE["sigmoid"]["color"])
    dead = results["relu"]["trained_dead"]
    axes[2].bar(range(1, len(dead) + 1), dead, color=STYLE["relu"]["color"], alpha=0.7)
    axes[2].set(xlabel="hidden layer", ylabel="share of units", ylim=(0, max(0.05, *dead) * 1.3),
                title="dead ReLU units after training\n(net <= 0 for every example: no gradient)")
    axes[2].text(0.02, 0.97, "Leaky ReLU has none: below 0 it still passes 0.01 x the gradient",
                 transform=axes[2].transAxes, va="top", fontsize=8)
    for a in axes:
        a.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))  # the legend below the panels, clear of the data
    fig.savefig(file, dpi=110)
    plt.close(fig)


def run(args):
    logdir = Path(args.logdir or run_folder("gradients"))
    results = report(args.depth, args.steps, args.seed)
    writer = SummaryWriter(str(logdir))
    print(f"{'activation':<11} {'|dE/dW1| init':>14} {'|dE/dW_last| init':>18} "
          f"{'|dE/dW1| trained':>17} {'loss trained':>13} {'dead units':>11}")
    for act, r in results.items():
        for phase in ("init", "trained"):
            for layer, norm in enumerate(r[phase], 1):
                writer.add_scalar(f"grad_norm_{phase}/{act}", norm, layer)
        if act == "relu":
            for layer, dead in enumerate(r["trained_dead"], 1):
                writer.add_scalar(f"dead_fraction/{act}", dead, layer)
        dead = sum(r["trained_dead"]) / len(r["trained_dead"])
        dead = f"{dead:11.1%}" if act == "relu" else f"{'-':>11}"  # only a ReLU can die
        print(f"{act:<11} {r['init'][0]:14.2e} {r['init'][-1]:18.2e} {r['trained'][0]:17.2e} "
              f"{r['trained_loss']:13.4f} {dead}")
    ratio = results["sigmoid"]["init"][0] / results["relu"]["init"][0]
    print(f"first layer, at init: sigmoid / relu = {ratio:.1e}")
    floor = label_entropy(args.seed)
    for line in _collapsed(results, floor):
        print(line)
    draw(results, logdir / "gradients.png", floor)
    log_picture(writer, "gradients", logdir / "gradients.png")
    writer.close()
    print(f"wrote {logdir / 'gradients.png'}; tensorboard --logdir {quote(str(logdir))}")
    return 0
