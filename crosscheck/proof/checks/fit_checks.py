"""Gradient descent finds the least-squares line: the descent against the closed form and
against the same descent with autograd and torch's SGD."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from crosscheck.messages import saying
from crosscheck.proof.checks.measure import Measure, compare
from manual import least_squares

if TYPE_CHECKING:
    from crosscheck.proof.records.entry import Entry

# the descent stops at a gradient norm of 1e-10, so it lands within about 1e-10 / (the
# bowl's smallest curvature) of the bottom: compare to the closed form at 1e-8, not 1e-10
GD_TOL = {"rtol": 1e-8, "atol": 1e-10}
GD_WHY = ("stops at |grad| < 1e-10, so it is compared at rtol 1e-8, atol 1e-10; float64 only: "
          "float32 cannot reach a gradient norm of 1e-10")


def line_data(dtype: torch.dtype, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(40, generator=gen, dtype=torch.float64) * 4 - 1
    y = 2.5 * x - 0.7 + 0.3 * torch.randn(40, generator=gen, dtype=torch.float64)
    return x.to(device, dtype), y.to(device, dtype)


def check_gd_line(entry: Entry, impl: Callable, dtype: torch.dtype, device: str, lr: float = 0.2
                 ) -> Measure:
    """The descent's end against the closed form and against autograd with torch's SGD, and
    its length against SGD's: the same path takes the same steps (a gradient off by a
    constant factor still finds the bottom, at another pace). Once at ``lr``, once with the
    defaults of both."""
    m = Measure()
    x, y = line_data(dtype, device)
    for what, kw in ((saying("label_lr", lr=lr), {"lr": lr}), (saying("label_the_defaults"), {})):
        w, b, steps, stop = impl(x, y, **kw)
        closed = least_squares.fit_line(x, y)
        compare(m, "out", torch.stack([w, b]), torch.stack(closed), GD_TOL, check="forward",
                label=saying("label_vs_closed", what=what))
        rw, rb, ref_steps = entry.reference(x, y, **kw)
        compare(m, "out", torch.stack([w, b]), torch.stack([rw, rb]), GD_TOL, check="forward",
                label=saying("label_vs_torch", what=what))
        m.notes.append(saying("m_fit_steps", what=what, steps=steps, rule=stop.rule, ref=ref_steps))
        if stop.rule != "grad_norm":
            m.fail("step", saying("m_not_converged", reason=stop.reason), label=what)
        if steps != ref_steps:  # gradients equal to the last bits cross tol at one step
            m.fail("step", saying("m_steps_differ", steps=steps, ref=ref_steps), label=what)
    return m
