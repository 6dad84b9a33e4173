"""``handgrad gradients``: vanishing gradients and dead neurons in a deep MLP.

Notes sections: 激活函数对于反向传播的利害 (梯度消失: every sigmoid layer multiplies the
gradient by sigma(1 - sigma) <= 1/4), ReLU 的好处, ReLU 的新问题 (dead neurons).

One deep, narrow MLP, the same initial weights for every activation, gradients from the
hand-written back propagation (manual/backprop.py): the gradient norm of every layer's
weights at initialization and after a short full-batch gradient descent, and the fraction
of hidden units that no input activates (dead) for ReLU against Leaky ReLU.
"""
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch.utils.tensorboard import SummaryWriter  # noqa: E402

from manual import backprop  # noqa: E402
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


def study(activation, depth=10, width=64, steps=300, lr=0.2, seed=0):
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
        loss, gw, _ = backprop.gradients(x, y, ws, bs, acts, "cross_entropy")
        norms[phase] = [g.norm().item() for g in gw]
        norms[f"{phase}_loss"] = loss.item()
        norms[f"{phase}_dead"] = dead_fraction(x, ws, bs, acts)
    return norms


def report(depth=10, steps=300, seed=0):
    return {a: study(a, depth=depth, steps=steps, seed=seed) for a in ACTIVATIONS}


def draw(results, file):
    fig, (ax, ax_dead) = plt.subplots(1, 2, figsize=(12, 4.5))
    for act, r in results.items():
        layers = range(1, len(r["init"]) + 1)
        line, = ax.plot(layers, r["init"], marker="o", label=f"{act}, at init")
        ax.plot(layers, r["trained"], marker="x", linestyle="--", color=line.get_color(),
                label=f"{act}, trained")
    ax.set(yscale="log", xlabel="layer (1 = next to the input)", ylabel="||dE/dW||",
           title="gradient norm per layer")
    ax.legend(fontsize=7, ncol=2)
    top = 0.05
    for act in ("relu", "leaky_relu"):
        dead = results[act]["trained_dead"]
        top = max(top, *dead)
        ax_dead.plot(range(1, len(dead) + 1), dead, marker="o", label=f"{act}, trained")
    ax_dead.set(xlabel="hidden layer", ylabel="share of units no input activates",
                title="dead units (net <= 0 for every example)", ylim=(0, 1.3 * top))
    ax_dead.legend(fontsize=8)
    for a in (ax, ax_dead):
        a.grid(alpha=0.3)
    fig.tight_layout()
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
        for layer, dead in enumerate(r["trained_dead"], 1):
            writer.add_scalar(f"dead_fraction/{act}", dead, layer)
        dead = sum(r["trained_dead"]) / len(r["trained_dead"])
        dead = f"{dead:11.1%}" if "relu" in act else f"{'-':>11}"  # only a ReLU can die
        print(f"{act:<11} {r['init'][0]:14.2e} {r['init'][-1]:18.2e} {r['trained'][0]:17.2e} "
              f"{r['trained_loss']:13.4f} {dead}")
    writer.close()
    ratio = results["sigmoid"]["init"][0] / results["relu"]["init"][0]
    print(f"first layer, at init: sigmoid / relu = {ratio:.1e}")
    draw(results, logdir / "gradients.png")
    print(f"wrote {logdir / 'gradients.png'}; tensorboard --logdir {logdir}")
    return 0
