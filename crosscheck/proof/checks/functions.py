"""2-D test functions, and every optimizer's path down them.

Notes sections: 梯度下降 (摸黑下山, walking down a valley in the dark; a step too big
oscillates across it), 动量, AdaGrad, RMSProp, Adam.

The paths of the manual optimizers against torch.optim's are the ``landscape_paths`` check;
``handgrad landscape`` draws them.
"""
from __future__ import annotations

from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING

import torch

from crosscheck.proof.checks.measure import Measure, compare, default_tol
from torch_ref.optimizers import OPTIMIZERS

if TYPE_CHECKING:
    from crosscheck.proof.records.entry import Entry


def quadratic(p: torch.Tensor) -> torch.Tensor:
    return 0.1 * p[0] ** 2 + 2 * p[1] ** 2  # curvature 0.2 along x, 4 along y: a long valley


def rosenbrock(p: torch.Tensor) -> torch.Tensor:
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2  # a curved valley, minimum (1, 1)


FUNCTIONS = {
    "quadratic": SimpleNamespace(name="quadratic", f=quadratic, start=(-4.5, 1.5),
                                 formula="f = 0.1 x² + 2 y²", box=((-5, 5), (-2, 2)),
                                 steps=120, minimum=(0.0, 0.0)),
    "rosenbrock": SimpleNamespace(name="rosenbrock", f=rosenbrock, start=(-1.5, 2.0),
                                  formula="f = (1 - x)² + 100 (y - x²)²", box=((-2, 2), (-1, 3)),
                                  steps=3000, minimum=(1.0, 1.0)),
}

def lr(name: str, fn: SimpleNamespace) -> float:
    """Optimizer ``name``'s rate on ``fn`` (the optimizer table's)."""
    return OPTIMIZERS[name].landscape[fn.name]


def path(side: ModuleType, name: str, fn: SimpleNamespace, steps: int | None = None,
         dtype: torch.dtype = torch.float64, device: str = "cpu") -> torch.Tensor:
    """The points optimizer ``name`` of ``side`` (the module manual.optim or torch.optim)
    visits on ``fn``, start included: (steps + 1, 2)."""
    steps = fn.steps if steps is None else steps
    p = torch.tensor(fn.start, dtype=dtype, device=device, requires_grad=True)
    spec = OPTIMIZERS[name]
    opt = getattr(side, spec.cls)([p], **spec.kwargs, lr=lr(name, fn))
    points = [p.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        fn.f(p).backward()
        opt.step()
        points.append(p.detach().clone())
    return torch.stack(points)


def check_paths(entry: Entry, side: ModuleType, dtype: torch.dtype, device: str, steps: int = 150
               ) -> Measure:
    """Every optimizer on every function: the path of ``side`` against the reference's."""
    m = Measure()
    for fname, fn in FUNCTIONS.items():
        for name in OPTIMIZERS:
            mine = path(side, name, fn, steps, dtype, device)
            theirs = path(entry.reference, name, fn, steps, dtype, device)
            compare(m, "out", mine, theirs, default_tol(dtype), check="param",
                    label=f"{fname} {name}")
    return m
