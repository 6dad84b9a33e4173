"""Gradient descent finds the least-squares line: the descent against the closed form and
against the same descent with autograd and torch's SGD."""
import torch

from crosscheck.proof.harness import Measure, compare
from manual import least_squares
from torch_ref import least_squares as ref_least_squares

# the descent stops at a gradient norm of 1e-10, so it lands within about 1e-10 / (the
# bowl's smallest curvature) of the bottom: compare to the closed form at 1e-8, not 1e-10
GD_TOL = {"rtol": 1e-8, "atol": 1e-10}
GD_WHY = ("stops at |grad| < 1e-10, so it is compared at rtol 1e-8, atol 1e-10; float64 only: "
          "float32 cannot reach a gradient norm of 1e-10")


def line_data(dtype, device):
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(40, generator=gen, dtype=torch.float64) * 4 - 1
    y = 2.5 * x - 0.7 + 0.3 * torch.randn(40, generator=gen, dtype=torch.float64)
    return x.to(device, dtype), y.to(device, dtype)


def check_gd_line(impl, dtype, device, lr=0.2):
    m = Measure()
    x, y = line_data(dtype, device)
    w, b, steps, stop = impl(x, y, lr=lr)
    closed = least_squares.fit_line(x, y)
    compare(m, "out", "descent vs closed form", torch.stack([w, b]), torch.stack(closed), GD_TOL)
    rw, rb, ref_steps = ref_least_squares.fit_line_gd(x, y, lr=lr)
    compare(m, "out", "descent vs torch's descent", torch.stack([w, b]), torch.stack([rw, rb]),
            GD_TOL)
    m.notes.append(f"{steps} steps ({stop.rule}); torch's SGD: {ref_steps} steps")
    if stop.rule != "grad_norm":
        m.fail(f"did not converge: {stop.reason}")
    return m
