"""The convolution of manual/conv.py arranged for speed, for training: the same columns,
the same matrix products and the same derivative, in an order that keeps the columns in the
cache. manual/conv.py is the convolution as the notes teach it; this file only changes
where the numbers are computed, and the registry's rows prove it gives conv.py's numbers:
``conv2d_fast`` to the bit on the CNN's layers as training runs them and on conv2d's own
samples (grouped, strided, dilated), ``conv2d_fast_paths`` within the dtype's tolerance with
the cache sizes shrunk so that every path here runs.
"""
from __future__ import annotations

import math

import torch

from manual import apply, laid_out
from manual.conv import (
    Conv2dFunction,
    Im2col,
    conv_layout,
    convolve,
    input_grad,
    out_size,
    pad,
    responses,
)

__all__ = ["conv2d"]

# Columns up to WHOLE_BYTES are built for the whole batch at once: they stay in the last
# level cache (32 MB here) between being copied out and being multiplied. Beyond it (the
# input gradient of conv2: 58 MB) they would go to memory and back, so they are built a
# chunk of images of CHUNK_BYTES at a time, which stays in a core's cache. (Measured on the
# CNN's layers: chunking the 29 MB of conv2's forward made it slower, the 58 MB twice faster.)
WHOLE_BYTES, CHUNK_BYTES = 32 << 20, 2 << 20


def _out_hw(shape, kernel, stride, pads, dilation):
    return tuple(out_size(shape[2 + a], kernel[a], stride[a], pads[2 * a], dilation[a],
                          pads[2 * a + 1]) for a in (0, 1))


def _chunk(per_image, N):
    """Images per chunk: all of them where their columns fit WHOLE_BYTES, else as many as
    keep their columns within CHUNK_BYTES (one at least)."""
    if per_image * N <= WHOLE_BYTES:
        return max(N, 1)
    return max(1, min(N, CHUNK_BYTES // max(1, per_image)))


def fast_responses(x: torch.Tensor, weight: torch.Tensor, stride: tuple, pads: tuple,
                   dilation: tuple, groups: int) -> torch.Tensor:
    """(N, O, oh, ow): every kernel's response at every position, kernels @ cols. Columns
    that fit the cache are built for the whole batch at once. Larger ones, a chunk of
    images at a time, are wide: each row of positions runs over the whole padded width,
    so that a row of a column is one contiguous run of the padded input (a fast copy)
    instead of ow-long pieces; the positions past ow (a few per row) are computed and
    dropped. Every kept response is the same dot product either way (equal to the bit on
    the CNN's layers; the matrix library may add up a longer row in another order, so
    elsewhere a response may differ in its last bit)."""
    O, Cg, kh, kw = weight.shape
    (oh, ow), (top, bottom, left, right) = _out_hw(x.shape, (kh, kw), stride, pads,
                                                   dilation), pads
    N, C, H, W = x.shape
    kernels = weight.reshape(groups, O // groups, Cg * kh * kw)  # one kernel per row
    if C * kh * kw * oh * ow * x.element_size() * N <= WHOLE_BYTES:
        return responses(x, weight, stride, pads, dilation, groups)
    (sh, sw), (dh, dw) = stride, dilation
    width = (W + left + right + sw - 1) // sw  # positions across the padded width
    step = _chunk(C * kh * kw * oh * width * x.element_size(), N)
    results = []
    for start in range(0, max(N, 1), step):
        # padded chunk by chunk (a copy that stays in the cache), one more row at the
        # bottom: the last row's dropped positions reach into it
        part = pad(x[start:start + step], top, bottom + 1, left, right).contiguous()
        n, (sN, sC, sH) = part.shape[0], part.stride()[:3]
        # entry [n, c, u, v, i, j] is xp[n, c, i*sh + u*dh, j*sw + v*dw], j across the width
        cols = part.as_strided((n, C, kh, kw, oh, width), (sN, sC, dh * sH, dw, sh * sH, sw))
        cols = cols.reshape(n, groups, Cg * kh * kw, oh * width)
        wide = (kernels @ cols).reshape(n, O, oh, width)  # (n, G, O/G, L): group by group
        results.append(wide[..., :ow] if width > ow else wide)
    return results[0].contiguous() if len(results) == 1 else torch.cat(results)


def _by_images(x, kernel, window, product):
    """``product(cols, part)`` for the columns (n, G, K, L) of the images ``part`` of x
    (N, C, H, W), a cache-sized chunk at a time, the results concatenated along the
    images. Each image's product is the same matrix product whatever the chunk, so the
    numbers do not depend on the chunking. (The columns come from Im2col, so that in a
    backward that is itself differentiated, their derivative is col2im.)"""
    stride, pads, dilation, groups = window
    N, C = x.shape[:2]
    L = math.prod(_out_hw(x.shape, kernel, stride, pads, dilation))
    step = _chunk(C * kernel[0] * kernel[1] * L * x.element_size(), N)
    results = []
    for start in range(0, max(N, 1), step):
        part = slice(start, min(start + step, N))
        cols = apply(Im2col, x[part], kernel, dilation, pads, stride)  # (n, C*kh*kw, L)
        results.append(product(cols.reshape(cols.shape[0], groups, -1, L), part))
    return results[0] if len(results) == 1 else torch.cat(results)


class FastConv2dFunction(Conv2dFunction):
    """Conv2dFunction, its products chunked and widened (its jvp is conv.py's)."""

    @staticmethod
    def forward(x, weight, bias, stride, pads, dilation, groups):
        out = fast_responses(x, weight, stride, pads, dilation, groups)
        if bias is not None:
            out += bias.reshape(-1, 1, 1)
        return laid_out(out, conv_layout(x, weight))

    @staticmethod
    def backward(ctx, grad):
        # conv.py's derivative: dE/dx by this fast convolution, dE/dW = sum_n g_n cols_n^T
        # a cache-sized chunk of images at a time, dE/db = sum g
        x, weight = ctx.saved_tensors
        stride, pads, dilation, groups = ctx.window
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_x = laid_out(input_grad(FastConv2dFunction, x.shape, weight.conj(), grad,
                                         stride, pads[::2], dilation, groups),
                              conv_layout(x, weight))
        if ctx.needs_input_grad[1]:
            N, O = x.shape[0], weight.shape[0]
            g = grad.reshape(N, groups, O // groups, -1)  # (N, G, O/G, L)
            per_image = _by_images(x, weight.shape[-2:], ctx.window,
                                   lambda cols, part: g[part] @ cols.conj().transpose(-1, -2))
            grad_w = laid_out(per_image.sum(0).reshape(weight.shape), conv_layout(x, weight))
        grad_b = grad.sum((0, 2, 3)) if ctx.has_bias else None
        return grad_x, grad_w, grad_b, None, None, None, None


def conv2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int | tuple = 1, padding: int | tuple | str = 0, dilation: int | tuple = 1,
           groups: int = 1) -> torch.Tensor:
    """manual.conv.conv2d, arranged for speed."""
    return convolve(FastConv2dFunction, input, weight, bias, stride, padding, dilation, groups)
