"""``handgrad compare --landscape``: every optimizer walking down 2-D test functions.

Seed sections: 梯度下降 (摸黑下山, walking down a valley in the dark; a step too big
oscillates across it), 动量, AdaGrad, RMSProp, Adam.

The paths come from the manual optimizers; the same paths from torch.optim are the check
(``landscape_paths`` in ``handgrad check`` and the table printed here).
"""
import time
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from crosscheck.harness import Measure, compare, default_tol  # noqa: E402
from manual import optim  # noqa: E402
from torch_ref import optim as ref_optim  # noqa: E402
from torch_ref.train import OPTIMIZERS  # noqa: E402


def quadratic(p):
    return 0.1 * p[0] ** 2 + 2 * p[1] ** 2  # curvature 0.2 along x, 4 along y: a long valley


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2  # a curved valley, minimum (1, 1)


FUNCTIONS = {
    "quadratic": SimpleNamespace(f=quadratic, start=(-4.5, 1.5), box=((-5, 5), (-2, 2)),
                                 steps=120, lr={"sgd": 0.45, "momentum": 0.05, "adagrad": 0.9,
                                     "rmsprop": 0.05, "adam": 0.3}),
    "rosenbrock": SimpleNamespace(f=rosenbrock, start=(-1.5, 2.0), box=((-2, 2), (-1, 3)),
                                  steps=3000, lr={"sgd": 1e-3, "momentum": 1e-4, "adagrad": 0.3,
                                                  "rmsprop": 3e-3, "adam": 0.02}),
}


def path(opt_module, name, fn, steps=None, dtype=torch.float64, device="cpu"):
    """The points an optimizer visits, start included: (steps + 1, 2)."""
    steps = fn.steps if steps is None else steps
    p = torch.tensor(fn.start, dtype=dtype, device=device, requires_grad=True)
    cls, kwargs = OPTIMIZERS[name]
    opt = getattr(opt_module, cls)([p], **{**kwargs, "lr": fn.lr[name]})
    points = [p.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        fn.f(p).backward()
        opt.step()
        points.append(p.detach().clone())
    return torch.stack(points)


def check_paths(opt_module, dtype, device, steps=150):
    """Every optimizer on both functions: the manual path against torch.optim's."""
    m = Measure()
    for fname, fn in FUNCTIONS.items():
        for name in OPTIMIZERS:
            mine = path(opt_module, name, fn, steps, dtype, device)
            theirs = path(ref_optim, name, fn, steps, dtype, device)
            compare(m, "out", f"{fname} {name}", mine, theirs, default_tol(dtype))
    return m


MANUAL_OPTIM = SimpleNamespace(SGD=optim.SGD, Adagrad=optim.Adagrad, RMSprop=optim.RMSprop,
                               Adam=optim.Adam)


def with_adam(adam):
    """The manual optimizers with another Adam: a negative control."""
    return SimpleNamespace(**{**vars(MANUAL_OPTIM), "Adam": adam})


def draw(paths, file):
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    for ax, (fname, fn) in zip(axes, FUNCTIONS.items()):
        (x0, x1), (y0, y1) = fn.box
        X, Y = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
        Z = fn.f(torch.tensor(np.stack([X, Y]))).numpy()
        levels = np.logspace(np.log10(Z.min() + 1e-3), np.log10(Z.max()), 25)
        ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.6)
        for name, pts in paths[fname].items():
            pts = pts.numpy()
            line, = ax.plot(pts[:, 0], pts[:, 1], marker=".", markersize=2, linewidth=1.2,
                            alpha=0.8, label=f"{name} (lr {fn.lr[name]:g}): f = "
                                             f"{fn.f(torch.tensor(pts[-1])).item():.2g}")
            ax.plot(*pts[-1], "o", color=line.get_color(), markersize=6)
        ax.plot(*fn.start, "k*", markersize=12)
        ax.set_xlabel(f"{fn.steps} steps each; o marks where each one ends")
        ax.set(xlim=fn.box[0], ylim=fn.box[1], title=fname)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("walking down in the dark: the manual optimizers' paths from one start (*)")
    fig.tight_layout()
    fig.savefig(file, dpi=110)
    plt.close(fig)


def main(args):
    logdir = Path(args.logdir or f"runs/landscape-{time.strftime('%Y%m%d-%H%M%S')}")
    logdir.mkdir(parents=True, exist_ok=True)
    paths = {}
    print(f"{'function':<11} {'optimizer':<9} {'f(start)':>10} {'f(end)':>10} "
          f"{'|manual - torch|':>16}")
    for fname, fn in FUNCTIONS.items():
        paths[fname] = {}
        for name in OPTIMIZERS:
            mine = path(MANUAL_OPTIM, name, fn)
            gap = (mine - path(ref_optim, name, fn)).abs().max().item()
            paths[fname][name] = mine
            print(f"{fname:<11} {name:<9} {fn.f(mine[0]).item():10.4g} "
                  f"{fn.f(mine[-1]).item():10.4g} {gap:16.1e}")
    draw(paths, logdir / "landscape.png")
    print(f"wrote {logdir / 'landscape.png'}")
    return 0
