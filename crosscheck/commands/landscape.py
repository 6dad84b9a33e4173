"""``handgrad landscape``: every optimizer walking down 2-D test functions, drawn.

Notes sections: 梯度下降 (摸黑下山), 动量, AdaGrad, RMSProp, Adam. The paths come from the
manual optimizers; torch.optim's paths beside them are the check (``landscape_paths`` in
``handgrad check``, and the last column printed here).
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from crosscheck.proof.functions import FUNCTIONS, path  # noqa: E402
from manual import optim  # noqa: E402
from torch_ref import optim as ref_optim  # noqa: E402
from torch_ref.cnn.optimizers import OPTIMIZERS  # noqa: E402
from torch_ref.cnn.run_dir import run_folder  # noqa: E402


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
            lr = OPTIMIZERS[name].landscape_lr[fname]
            ax.plot(pts[:, 0], pts[:, 1], marker=".", markersize=2, linewidth=1.2, alpha=0.8,
                    color=OPTIMIZERS[name].color,
                    label=f"{name} (lr {lr:g}): f = {fn.f(torch.tensor(pts[-1])).item():.2g}")
            ax.plot(*pts[-1], "o", color=OPTIMIZERS[name].color, markersize=6)
        ax.plot(*fn.start, "k*", markersize=12)
        ax.set_xlabel(f"{fn.steps} steps each; o marks where each one ends")
        ax.set(xlim=fn.box[0], ylim=fn.box[1], title=fname)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("walking down in the dark: the manual optimizers' paths from one start (*)")
    fig.tight_layout()
    fig.savefig(file, dpi=110)
    plt.close(fig)


def run(args):
    logdir = Path(args.logdir or run_folder("landscape"))
    logdir.mkdir(parents=True, exist_ok=True)
    paths = {}
    print(f"{'function':<11} {'optimizer':<9} {'f(start)':>10} {'f(end)':>10} "
          f"{'|manual - torch|':>16}")
    for fname, fn in FUNCTIONS.items():
        paths[fname] = {}
        for name in OPTIMIZERS:
            mine = path(optim, name, fn)
            gap = (mine - path(ref_optim, name, fn)).abs().max().item()
            paths[fname][name] = mine
            print(f"{fname:<11} {name:<9} {fn.f(mine[0]).item():10.4g} "
                  f"{fn.f(mine[-1]).item():10.4g} {gap:16.1e}")
    draw(paths, logdir / "landscape.png")
    print(f"wrote {logdir / 'landscape.png'}")
    return 0
