"""``handgrad landscape``: every optimizer walking down 2-D test functions, drawn.

Notes sections: 梯度下降 (摸黑下山), 动量, AdaGrad, RMSProp, Adam. The paths come from the
manual optimizers; torch.optim's paths beside them are the check (``landscape_paths`` in
``handgrad check``, and the last column printed here).
"""
from pathlib import Path
from shlex import quote

import matplotlib
import matplotlib.colors

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.tensorboard import SummaryWriter  # noqa: E402

from crosscheck.proof.checks.functions import FUNCTIONS, OPTIMIZERS, lr, path  # noqa: E402
from manual import optim  # noqa: E402
from torch_ref import optim as ref_optim  # noqa: E402
from torch_ref.cnn.pictures import log_picture  # noqa: E402
from torch_ref.cnn.run_dir import run_folder  # noqa: E402


def draw(paths, file):
    """Small multiples: a row per function, a panel per optimizer on equal axes, so that
    paths which overlap in one picture (all of them, along Rosenbrock's valley) stay apart;
    the other optimizers' paths faint behind each."""
    names = list(OPTIMIZERS)
    fig, axes = plt.subplots(len(FUNCTIONS), len(names), figsize=(3.3 * len(names), 6.0),
                             squeeze=False)
    for row, (fname, fn) in zip(axes, FUNCTIONS.items()):
        (x0, x1), (y0, y1) = fn.box
        X, Y = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
        Z = fn.f(torch.tensor(np.stack([X, Y]))).numpy()
        levels = np.logspace(np.log10(Z.min() + 1e-3), np.log10(Z.max()), 18)
        for ax, name in zip(row, names):
            ax.contourf(X, Y, Z, levels=levels, cmap="Greys_r", alpha=0.35,
                        norm=matplotlib.colors.LogNorm())
            ax.contour(X, Y, Z, levels=levels, colors="0.35", linewidths=0.5)
            for other in names:
                if other != name:
                    ax.plot(*paths[fname][other].numpy().T, color="0.55", linewidth=0.6,
                            alpha=0.6)
            pts = paths[fname][name].numpy()
            color = f"C{names.index(name)}"  # the table's order: matplotlib's colour cycle
            ax.plot(pts[:, 0], pts[:, 1], color=color, linewidth=1.6)
            ax.plot(*pts[-1], "o", color=color, markeredgecolor="black", markersize=7)
            ax.plot(*fn.start, "*", color="black", markersize=12)
            ax.plot(*fn.minimum, "+", color="black", markersize=12, markeredgewidth=2)
            end = fn.f(torch.tensor(pts[-1])).item()
            ax.set_title(f"{name}, lr {lr(name, fn):g}\nf(end) = {end:.2g}",
                         fontsize=9)
            ax.set(xlim=fn.box[0], ylim=fn.box[1], aspect="equal", xlabel="x")
            ax.tick_params(labelsize=7)
        row[0].set_ylabel(f"{fname}: {fn.formula}\n{fn.steps} steps\n\ny", fontsize=9)
    fig.suptitle("walking down in the dark: each manual optimizer's path from * (o: where it "
                 "ends, +: the minimum; grey: the other optimizers)\neach at about the largest "
                 "rate that still descends steadily on that function: Rosenbrock's curvature "
                 "reaches about 800 where the quadratic's is 4, so plain steps must be far "
                 "smaller there", fontsize=11)
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
    with SummaryWriter(str(logdir)) as writer:
        log_picture(writer, "landscape", logdir / "landscape.png")
    print(f"wrote {logdir / 'landscape.png'}; tensorboard --logdir {quote(str(logdir))}")
    return 0
