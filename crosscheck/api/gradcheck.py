"""``handgrad.gradcheck(fn, *inputs)``: a learner's backward against a finite difference on
the learner's own inputs, read as CS231n reads a gradient check.

For each input that takes a gradient, the analytic gradient (autograd through ``fn``, the
learner's backward) of <fn(x), v> for a random upstream gradient v, against the centred
difference (<fn(x + h e_i), v> - <fn(x - h e_i), v>) / 2h, element by element, in float64
(CS231n's eval_numerical_gradient_array). Their relative error, max |a - n| / max(1e-8,
|a| + |n|), is CS231n's ``rel_error``, and its size says how far to trust the backward.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from crosscheck.api import html
from crosscheck.messages import chosen, language, say, speaking
from crosscheck.proof.checks.harness import tensors
from torch_ref.errors import HandgradError

# CS231n's reading of a relative error, from the largest band down (the notes' gradient
# checks: above 1e-2 wrong, 1e-4 uneasy, 1e-7 fine only with kinks, below happy)
BANDS = ((1e-2, "gc_wrong"), (1e-4, "gc_uneasy"), (1e-7, "gc_kinks"), (0.0, "gc_right"))


@dataclass
class Gradcheck:
    """The relative error of each input that takes a gradient (``errors``, in the order of
    the inputs: None for the others), the step ``h``, and the language it speaks."""

    errors: list[float | None]
    h: float
    lang: str = "en"

    @property
    def rel_error(self) -> float:
        """The largest relative error over the inputs."""
        return max(e for e in self.errors if e is not None)

    @property
    def reading(self) -> str:
        """What the largest error means, in CS231n's words."""
        key = next(k for bound, k in BANDS if self.rel_error > bound or bound == 0.0)
        with speaking(self.lang):
            return say(key)

    def _lines(self) -> list[list[str]]:
        with speaking(self.lang):
            return [[say("gc_input", k=k), "-" if e is None else f"{e:.1e}"]
                    for k, e in enumerate(self.errors)]

    def __str__(self) -> str:
        with speaking(self.lang):
            head = say("gc_title", h=f"{self.h:g}")
            body = "\n".join(say("gc_line", input=a, error=b) for a, b in self._lines())
        return f"{head}\n{body}\n{self.reading}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        with speaking(self.lang):
            head, columns = say("gc_title", h=f"{self.h:g}"), [say("gc_input_col"), "rel_error"]
        return (f"<div><p>{html.text(head)}</p>{html.table(columns, self._lines())}"
                f"<p><b>{html.text(self.reading)}</b></p></div>")


def gradcheck(fn, *inputs, h: float = 1e-6, seed: int = 0, lang: str | None = None
              ) -> Gradcheck:
    """``fn``'s backward on ``inputs`` against a centred difference of step ``h``; every
    floating tensor among ``inputs`` takes a gradient, copied to float64. ``lang``: 'en' or
    'zh' (default: the locale's)."""
    with speaking(language(lang)):
        return _gradcheck(fn, inputs, h, seed)


def _gradcheck(fn: Callable, inputs: tuple, h: float, seed: int) -> Gradcheck:
    xs = [_leaf(x) for x in inputs]
    if not any(isinstance(x, torch.Tensor) and x.requires_grad for x in xs):
        raise HandgradError(say("gc_no_input"))
    gen = torch.Generator().manual_seed(seed)
    outs = tensors(fn(*xs))
    vs = [torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.device) for o in outs]
    leaves = [x for x in xs if isinstance(x, torch.Tensor) and x.requires_grad]
    analytic = dict(zip(map(id, leaves), torch.autograd.grad(outs, leaves, vs, allow_unused=True)))
    errors: list[float | None] = []
    for x in xs:
        if id(x) not in analytic:
            errors.append(None)
            continue
        a = analytic[id(x)]
        a = torch.zeros_like(x) if a is None else a.detach()
        errors.append(_rel_error(a, _numeric(fn, xs, x, vs, h)))
    return Gradcheck(errors, h, chosen())


def _leaf(x):
    """A floating tensor as a float64 leaf that takes a gradient; anything else as it is."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        if isinstance(x, torch.Tensor) and x.is_complex():
            raise HandgradError(say("gc_complex"))
        return x
    return x.detach().to(torch.float64).clone().requires_grad_()


@torch.no_grad()
def _numeric(fn, xs, x, vs, h):
    """d<fn(xs), vs>/dx, element by element, by the centred difference."""
    def inner():
        return sum((o.to(torch.float64) * v).sum() for o, v in zip(tensors(fn(*xs)), vs))
    grad, flat = torch.zeros_like(x), x.view(-1)
    for i in range(flat.numel()):
        kept = flat[i].item()
        flat[i] = kept + h
        up = inner()
        flat[i] = kept - h
        down = inner()
        flat[i] = kept
        grad.view(-1)[i] = (up - down) / (2 * h)
    return grad


def _rel_error(a: torch.Tensor, n: torch.Tensor) -> float:
    """CS231n's rel_error: max |a - n| / max(1e-8, |a| + |n|)."""
    return ((a - n).abs() / (a.abs() + n.abs()).clamp(min=1e-8)).max().item() if a.numel() \
        else 0.0
