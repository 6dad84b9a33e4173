"""The families' negative controls: each keeps an op's first derivative right and breaks
one family's property (its second derivative, its jvp, its vmap rule, its dtype, its layout),
put in place inside the real public function for the length of a check (``with_backward``,
``swap``). A family row must reject its control, which proves that it can fail. An op's own
controls (the slips of a derivation) live in its record, records/<topic>.py; where a
family's control does not fit an op, the op's record says what does (``opmath``,
``slope_one``) or why there is none (EXACT, CAST, ONE_ROUNDING).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType

import torch

from crosscheck.proof.records.backends import MANUAL
from crosscheck.proof.records.entry import Wrong, with_backward, with_methods

# -- the families' controls: the first derivative right, one family's property broken -------


class _Detached:
    """A ctx whose saved tensors come without their graph: the backward still gives the
    right first derivative, and its own derivative with respect to them is lost (the slip of
    a backward that reuses what the forward computed without autograd)."""

    def __init__(self, ctx):
        self.ctx = ctx

    @property
    def saved_tensors(self) -> tuple:
        return tuple(None if t is None else t.detach() for t in self.ctx.saved_tensors)

    def __getattr__(self, name):
        return getattr(self.ctx, name)


def _grads(out):
    return out if isinstance(out, tuple) else (out,)


def _detached_backward(function):
    right = function.backward
    return lambda ctx, *grads: right(_Detached(ctx), *grads)


def _graphless_backward(function):
    right = function.backward

    def backward(ctx, *grads):
        with torch.no_grad():  # once_differentiable, without saying so
            return right(ctx, *grads)
    return backward


def _conjugated_backward(function):
    right = function.backward
    return lambda ctx, *grads: tuple(g.conj() if isinstance(g, torch.Tensor) else g
                                     for g in _grads(right(ctx, *grads)))


def _in_input_dtype(x, promote_integers=True):  # manual.opmath without its promotions
    return x, x.dtype


def _flip(t):
    """The same values in the other memory format."""
    if t.dim() == 4 and t.is_contiguous() and t.shape[1] > 1 and t[0, 0].numel() > 1:
        return t.contiguous(memory_format=torch.channels_last)
    return t.contiguous() if t.dim() == 4 else t.mT.contiguous().mT if t.dim() > 1 else t


def _flipped(op):
    def wrong(*args, **kwargs):
        out = op(*args, **kwargs)
        return tuple(map(_flip, out)) if isinstance(out, tuple) else _flip(out)
    return wrong


EXACT = "computed in the input's dtype as torch computes it: no promotion to get wrong"
CAST = "the input is cast to the dtype asked for first, as torch casts it"
ONE_ROUNDING = ("in float32 rounded once or in float16 throughout, these samples come out the "
                "same (measured), so no control is claimed")


def graphless(function: type) -> tuple[dict, str]:
    """The gradgrad control of an op with no second derivative of its own (piecewise
    linear, or routing the gradient), where detaching what it saved changes nothing: its
    backward without a graph."""
    return {"backward without a graph": with_backward(function,
                                                      _graphless_backward(function))}, ""


def opmath(module: ModuleType, what: str) -> tuple[dict, str]:
    """The control of an op that computes a reduced or integer dtype in a wider one, as
    torch does: ``module``'s ops computing ``what`` instead."""
    return {f"computed {what}": Wrong(swaps=((module, "opmath", _in_input_dtype),))}, ""


def slope_one(function: type, zh: str) -> Wrong:
    """A backward that forgot the mask of a piecewise op: f' = 1 everywhere."""
    return with_backward(function, _slope_one).named(zh)


def _slope_one(ctx, grad):
    return (grad,) + (None,) * (len(ctx.needs_input_grad) - 1)


def _off_jvp(function, by=1e-6):
    """A jvp one part in a million off: the forward-mode rows must see that small a slip."""
    right = function.jvp

    def jvp(ctx, *tangents):
        out = right(ctx, *tangents)
        return (tuple(t if t is None else t * (1 + by) for t in out) if isinstance(out, tuple)
                else out * (1 + by))
    return {"a jvp one part in a million off": with_methods(function, jvp=staticmethod(jvp))}


def _first_element_vmap(function):
    """A vmap rule that gives every element of the batch the first one's result: the slip of
    a rule that forgets to move the batch dimension."""
    def vmap(info, in_dims, *args):
        firsts = [a if d is None else a.select(d, 0) for a, d in zip(args, in_dims)]
        out = function.apply(*firsts)
        outs = out if isinstance(out, tuple) else (out,)
        batched = tuple(o.unsqueeze(0).expand(info.batch_size, *o.shape) for o in outs)
        return (batched, (0,) * len(batched)) if isinstance(out, tuple) else (batched[0], 0)
    label = "a vmap rule that gives every element the first one's result"
    return {label: with_methods(function, generate_vmap_rule=False, vmap=staticmethod(vmap))}


def _read_into_python(op):
    """The op with a value read into Python first: the compiler must stop its graph there,
    which fullgraph=True refuses."""
    def wrong(*args, **kwargs):
        first = next(a for a in args if isinstance(a, torch.Tensor))
        if float(first.detach().sum().real) == math.inf:
            raise AssertionError("unreachable: a sum of finite samples")
        return op(*args, **kwargs)
    return wrong


GRAPH_BREAK_RELU = Wrong(swaps=((MANUAL, "relu", _read_into_python(MANUAL.relu)),))


def _graph_break(op):
    return {"a value read into Python (a graph break)": Wrong(impl=_read_into_python(op))}


def family_controls(family: str, op: Callable, function: type) -> tuple[dict, str]:
    """({label: Wrong}, why there is none) for the row of ``op`` (whose autograd Function
    is ``function``) in ``family``, where its record names none of its own."""
    if family == "gradgrad":
        return {"saved tensors detached": with_backward(function,
                                                        _detached_backward(function))}, ""
    if family in ("forward", "func"):
        return _off_jvp(function), ""
    if family == "vmap":
        return _first_element_vmap(function), ""
    if family == "compile":
        return _graph_break(op), ""
    if family == "complex":
        return {"gradient not conjugated": with_backward(function,
                                                         _conjugated_backward(function))}, ""
    if family in ("integer", "half"):
        return {}, EXACT
    return {"output in the other memory format": Wrong(_flipped(op))}, ""
