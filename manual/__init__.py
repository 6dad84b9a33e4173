"""Hand-derived deep learning: every forward pass with its derivative written under it.

Depends on torch tensors only; see README.md for which section of the notes each module
follows. Here, what every manual op shares: how it refuses what it does not implement, and
the dtype it computes in (torch's rule).
"""
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


def opmath(x, promote_integers=True):
    """(x as computed, the dtype of the result), as torch computes a floating op: an
    integer or bool input gives the default float dtype (unless the op keeps integers);
    float16 and bfloat16 are computed in float32 and rounded back once, at the end (torch's
    'opmath'), which is more accurate than every step rounded to 11 or 8 bits."""
    if promote_integers and not (x.is_floating_point() or x.is_complex()):
        return x.to(torch.get_default_dtype()), torch.get_default_dtype()
    return (x.float() if x.dtype in REDUCED else x), x.dtype


def only_floating(piece, x, but=()):
    """Refuse an input that is not floating point (but the dtypes in ``but``) where torch has
    no kernel for it either."""
    if not x.is_floating_point() and x.dtype not in but:
        raise NotSupported(piece, "input", f"an input of dtype {x.dtype}",
                           "torch has no kernel for it either")


def layout(x):
    """The memory format torch gives a result computed from a 4-D x: channels_last where x is
    laid out so (and not also contiguous, as a tensor with a single channel or pixel is),
    else contiguous."""
    if x.is_contiguous() or not x.is_contiguous(memory_format=torch.channels_last):
        return torch.contiguous_format
    return torch.channels_last
