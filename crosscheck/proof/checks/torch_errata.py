"""Where an older torch is itself wrong: its errata, as the notes have theirs.

Each erratum names torch's op, the families where it shows, the first release that is
right, and the evidence, computed on the sample (never assumed): a sample on which a
manual op differs from such a torch is torch's error only where the evidence holds and the
manual op is right by it; the row then says so in one line and passes. On a torch at or
after ``fixed_in`` an erratum never applies, so a new difference fails as any other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import torch

from crosscheck.messages import Said, saying
from crosscheck.proof.checks.harness import tensors
from crosscheck.proof.checks.torch_suite import VERSION, release

if TYPE_CHECKING:
    from crosscheck.proof.checks.families import Run


@dataclass(frozen=True)
class TorchErratum:
    op: str  # torch's OpInfo name
    families: tuple
    fixed_in: tuple  # (major, minor): the first release that is right
    evidence: Callable  # (the family's Run of the sample) -> the evidence in words, or None


def _elementwise_derivatives(fn, x, kwargs):
    """f'(x) and f''(x) of an elementwise ``fn``, element by element (its Jacobian and
    Hessian are diagonal: the gradient of the sum is f', of the sum of f' is f'')."""
    x = x.detach().requires_grad_()
    (first,) = torch.autograd.grad(fn(x, **kwargs).sum(), x, create_graph=True)
    (second,) = torch.autograd.grad(first.sum(), x)
    return first.detach(), second


def _elu_at_zero(run):
    """elu at x = 0: torch's first derivative takes the left branch there (alpha e^x, so
    alpha), its second derivative the right one (0), so torch's second derivative is not
    the derivative of its own first. Yours: the left branch in both, and torch's values
    everywhere else."""
    call, mine, theirs = run.call, run.impl, run.ref
    x, kwargs = call.args[0], dict(call.kwargs)
    if len(call.args) > 1:
        kwargs["alpha"] = call.args[1]
    alpha = float(kwargs.get("alpha", 1.0))
    zero = x.detach() == 0
    if not zero.any() or alpha == 0:
        return None
    d1, d2 = _elementwise_derivatives(theirs, x, kwargs)
    _, m2 = _elementwise_derivatives(mine, x, kwargs)
    if not (torch.all(d1[zero] == alpha) and torch.all(d2[zero] == 0)
            and torch.all(m2[zero] == alpha) and torch.allclose(m2[~zero], d2[~zero])):
        return None
    return (f"torch {VERSION}'s second derivative of elu at x = 0 is 0, not the derivative "
            "of its own first there (alpha e^x, the branch x <= 0): yours is alpha")


def _not_its_own_float64(run):
    """An integer result of torch's that is not torch's own result on the same values in
    float64 (exact for these small integers, and inside the dtype's range), where yours
    is: torch 2.4's integer max-pool over a channels-last tensor starts its maximum at 0,
    so a window of negative numbers gives 0."""
    float64 = run.call.map(lambda t: t.to(torch.float64) if t.dtype == run.dtype else t)
    for out, r, wide in zip(*(tensors(run.call(f)) for f in (run.impl, run.ref)),
                            tensors(float64(run.ref))):
        if r.is_floating_point() or torch.equal(out, r):
            continue
        info = torch.iinfo(r.dtype)
        if not (wide.min() >= info.min and wide.max() <= info.max
                and torch.equal(out.to(wide.dtype), wide)):
            return None
        return (f"torch {VERSION}'s integer result is not its own float64 result on the "
                "same values, which yours equals")
    return None


ERRATA = [TorchErratum("nn.functional.elu", ("gradgrad", "func"), (2, 14), _elu_at_zero),
          TorchErratum("nn.functional.max_pool2d", ("integer",), (2, 5), _not_its_own_float64)]


# the first release found to compile the manual Functions whole (fullgraph): torch 2.4's
# compiler stops at their is_contiguous and at the twin without a jvp (2.7.1 compiles them)
COMPILES_FROM = (2, 7)


def cannot_compile() -> Said | None:
    """Why the installed torch cannot run the torch.compile checks, or None."""
    if release(VERSION) < COMPILES_FROM:
        return saying("m_cannot_compile", version=VERSION,
                      since=f"{COMPILES_FROM[0]}.{COMPILES_FROM[1]}")
    return None


# torch's optimizers that fail where the manual ones step, until the release that fixed them:
# before 2.12, Adagrad made its state in __init__ only, so a group added later had none
# (measured: 2.4.1, 2.7.1, 2.9.1 and 2.11.0 raise KeyError: 'sum'; 2.12.1 and 2.13.0 step it)
OPTIMIZERS = {"Adagrad": ((2, 12), KeyError)}


def optimizer_error(optimizer: torch.optim.Optimizer, err: BaseException) -> str | None:
    """Why the installed torch's ``optimizer`` raising ``err`` is its own known failure (the
    row compares the steps before it), or None: then it is the row's failure."""
    fixed_in, kind = OPTIMIZERS.get(type(optimizer).__name__, ((0, 0), None))
    if kind is not None and release(VERSION) < fixed_in and isinstance(err, kind):
        return (f"torch {VERSION}'s {type(optimizer).__name__} fails ({type(err).__name__}: "
                f"{err}), as torch before {fixed_in[0]}.{fixed_in[1]} does")
    return None


def torch_error(run: Run, family: str) -> str | None:
    """The evidence that the installed torch, not the manual op, is wrong on this run of a
    sample in ``family``, or None."""
    for e in ERRATA:
        if e.op == run.name and family in e.families and release(VERSION) < e.fixed_in:
            found = e.evidence(run)
            if found:
                return found
    return None
