"""Hand-derived deep learning: every forward pass with its derivative written under it.

Depends on torch tensors only; see README.md for which section of the notes each module
follows. Here, what every manual op shares: how it refuses what it does not implement, and
the dtype it computes in (torch's rule).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

REDUCED = (torch.float16, torch.bfloat16)


class NotSupported(ValueError):
    """A manual piece refusing what it does not implement, in one line that names it, rather
    than returning a number that differs from torch's. ``argument`` names the keyword
    argument, input or transform that is not supported; ``what`` shows it (with its value)."""

    def __init__(self, piece, argument, what=None, detail=""):
        self.piece, self.argument = piece, argument
        super().__init__(f"{piece}: {what or argument} is not supported by the manual op"
                         + (f" ({detail})" if detail else ""))


def opmath(x: torch.Tensor, promote_integers: bool = True) -> tuple[torch.Tensor, torch.dtype]:
    """(x as computed, the dtype of the result), as torch computes a floating op: an
    integer or bool input gives the default float dtype (unless the op keeps integers);
    float16 and bfloat16 are computed in float32 and rounded back once, at the end (torch's
    'opmath'), which is more accurate than every step rounded to 11 or 8 bits."""
    if promote_integers and not (x.is_floating_point() or x.is_complex()):
        return x.to(torch.get_default_dtype()), torch.get_default_dtype()
    return (x.float() if x.dtype in REDUCED else x), x.dtype


def only_floating(piece: str, x: torch.Tensor, but: tuple = ()) -> None:
    """Refuse an input that is not floating point (but the dtypes in ``but``) where torch has
    no kernel for it either."""
    if not x.is_floating_point() and x.dtype not in but:
        raise NotSupported(piece, "input", f"an input of dtype {x.dtype}",
                           "torch has no kernel for it either")


def diagonal_jvp(backward: Callable, tangent: torch.Tensor, *saved: torch.Tensor) -> torch.Tensor:
    """Forward mode of an elementwise op, J v = f'(x) v, from its backward v^T J: J is
    diagonal, so both are the same product. The backward of a complex op multiplies by
    conj f'(z) (torch's convention), so the tangent goes in conjugated and comes out
    conjugated: f'(z) v. (On real tensors conj is a no-op view.)"""
    return backward(tangent.conj(), *saved).conj()


def layout(x: torch.Tensor) -> torch.memory_format:
    """The memory format torch gives a result computed from a 4-D x: channels_last where x is
    laid out so (and not also contiguous, as a tensor with a single channel or pixel is),
    else contiguous. Under vmap a tensor has no memory format of its own (torch.func cannot
    say, and its batched ops answer contiguous): contiguous."""
    if x.is_contiguous():
        return torch.contiguous_format
    try:
        channels_last = x.is_contiguous(memory_format=torch.channels_last)
    except RuntimeError:  # a batched tensor inside vmap
        return torch.contiguous_format
    return torch.channels_last if channels_last else torch.contiguous_format


def laid_out(t: torch.Tensor, memory_format: torch.memory_format) -> torch.Tensor:
    """t in ``memory_format`` (as torch lays its result out); a batch inside vmap as it is,
    since there no tensor has a memory format of its own."""
    if memory_format == torch.contiguous_format:
        return t.contiguous()
    try:
        return t.contiguous(memory_format=memory_format)
    except RuntimeError:  # a batched tensor inside vmap
        return t


def readable(t: torch.Tensor) -> bool:
    """Whether t's values can be read in Python here, for a check that refuses bad values
    with a clear message: not while torch.compile traces (reading would break its graph),
    not inside vmap (a batch of values cannot answer one yes or no). There the op's own
    indexing still refuses a bad value, in torch's words."""
    if compiling():
        return False
    try:
        bool(t.reshape(-1)[:0].any())  # reads nothing, but a batched tensor refuses it
    except RuntimeError:
        return False
    return True


def compiling() -> bool:
    """Whether torch.compile is tracing this call (torch.compiler.is_compiling; 2.3+)."""
    return getattr(torch.compiler, "is_compiling", lambda: False)()


class Function(torch.autograd.Function):
    """torch.autograd.Function, with two promises every manual op keeps for torch.func and
    torch.compile:

    - forward, setup_context, backward and jvp are written in torch ops only (no values read
      into Python, nothing written into a fresh tensor), so that vmap batches them as they
      are (``generate_vmap_rule``);
    - beside each Function with a jvp, the apply of its twin without one
      (``apply_without_jvp``), which ``apply`` calls while torch.compile traces: the
      compiler takes a Function's forward and backward into its graph but refuses one that
      defines a jvp, and a compiled graph is differentiated in reverse mode only. (A
      staticmethod, because the compiler follows a call but not a class held in an
      attribute.)
    """

    generate_vmap_rule = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.jvp is not torch.autograd.Function.jvp:
            twin = type(cls.__name__, (cls,), {"jvp": torch.autograd.Function.jvp})
            cls.apply_without_jvp = staticmethod(lambda *args: twin.apply(*args))


def apply(function: Any, *args: Any) -> Any:
    """``function.apply(*args)``, the one way the manual ops call a Function (its twin
    without a jvp while torch.compile traces)."""
    return function.apply_without_jvp(*args) if compiling() else function.apply(*args)
