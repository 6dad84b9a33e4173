"""Max pooling and flatten, with hand-written backward passes.

Notes sections: 最大池化 (Max Pooling), 扁平化处理 (flatten), 神经网络的接入.

Max pooling keeps the largest response of each window; its derivative is 1 for that one
entry (the arg-max) and 0 for the rest, so the backward routes each window's gradient to
its arg-max. Overlapping windows (kernel 3, stride 2) may share an arg-max: their
gradients add up there.

Ties are broken as torch breaks them: torch scans a window row by row and replaces the
running maximum only when ``val > max or isnan(val)``, so among equal values the first one
wins, and among NaNs the last one.

Flatten lays the pooled maps out as one vector per sample (channel, then row, then column)
for the fully connected network; its backward only reshapes the gradient back.
"""
from __future__ import annotations

import math
from typing import Any

import torch

from manual import Function, NotSupported, apply, laid_out, layout
from manual.conv import out_size, pad, pair

__all__ = ["flatten", "max_pool2d"]


def _lowest(x):
    """What no entry of x is below: -inf, or an integer dtype's least value."""
    return float("-inf") if x.is_floating_point() else torch.iinfo(x.dtype).min


def _padded(x, oh, ow, kernel, stride, padding, dilation):
    """x inside a border of its lowest value: the padding, and whatever the last window
    overhangs (no window takes it while it has seen a real entry). None where nothing
    overhangs."""
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    bottom = max((oh - 1) * sh + dh * (kh - 1) + 1 - H - ph, 0)
    right = max((ow - 1) * sw + dw * (kw - 1) + 1 - W - pw, 0)
    if not (ph or pw or bottom or right):
        return None
    return pad(x, ph, bottom, pw, right, value=_lowest(x))


def _scan(x, xp, oh, ow, kernel, stride, padding, dilation):
    """The largest entry of every window and its flat index into H*W, found as torch finds
    it: the window's entries in row order, a new maximum where val > best or val is NaN;
    a window starts at its first real entry (not padding) in any case. A window with no
    real entry at all (dilated taps that all fall in the padding) gets index -1."""
    H, W = x.shape[-2:]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    rows = torch.arange(oh, device=x.device).view(oh, 1) * sh - ph  # each window's top row
    cols = torch.arange(ow, device=x.device).view(1, ow) * sw - pw  # and left column
    first = rows * W + cols  # (oh, ow): each window's first entry, as an index into H*W
    best = where = seen = real = None
    for u in range(kh):
        for v in range(kw):
            val = (x if xp is None else xp)[:, :, u * dh:u * dh + sh * (oh - 1) + 1:sh,
                                            v * dw:v * dw + sw * (ow - 1) + 1:sw]
            flat = first + (u * dh * W + v * dw)  # this entry of each window
            if xp is not None:  # whether it is in the input, not the padding
                r, c = rows + u * dh, cols + v * dw  # (oh, 1), (1, ow)
                real = (r >= 0) & (r < H) & (c >= 0) & (c < W)
            if best is None:
                best, where = val, flat.expand_as(val)
                seen = None if xp is None else real.expand_as(val)
                continue
            take = (val > best) | torch.isnan(val)
            if xp is not None:  # a window that has seen only padding takes its first real entry
                take = (take | ~seen) & real
                seen = seen | real
            best = torch.maximum(best, val)  # NaN wins here too
            where = torch.where(take, flat, where)
    if xp is not None:
        where = torch.where(seen, where, -1)
    return best, where


def _empty_window(shape, out, kernel, stride, padding, dilation):
    """Whether some window has all its taps in the padding (from the geometry alone)."""
    return any(any(all(not 0 <= i * s - p + u * d < size for u in range(k)) for i in range(n))
               for size, n, k, s, p, d in zip(shape[-2:], out, kernel, stride, padding,
                                              dilation))


class MaxPool2d(Function):
    @staticmethod
    def forward(x, kernel, stride, padding, dilation, ceil_mode):
        # the notes' max pooling: the largest response of each window, and where it is
        H, W = x.shape[-2:]
        oh = out_size(H, kernel[0], stride[0], padding[0], dilation[0], ceil_mode=ceil_mode)
        ow = out_size(W, kernel[1], stride[1], padding[1], dilation[1], ceil_mode=ceil_mode)
        if oh < 1 or ow < 1:
            raise ValueError(f"max_pool2d: the kernel {kernel} does not fit the input {H}x{W}")
        window = (kernel, stride, padding, dilation)
        best, where = _scan(x, _padded(x, oh, ow, *window), oh, ow, *window)
        if kernel == (1, 1):  # the maxima of 1x1 windows are a view of the input: copy, as torch
            best = best.clone()
        fmt = layout(x)
        return laid_out(best, fmt), laid_out(where, fmt)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, *ctx.pool, _ = inputs  # kernel, stride, padding, dilation
        where = output[1]
        ctx.mark_non_differentiable(where)
        ctx.save_for_backward(where)
        ctx.save_for_forward(where)
        ctx.shape, ctx.layout = x.shape, layout(x)
        ctx.empty = _empty_window(x.shape, where.shape[-2:], *ctx.pool)

    @staticmethod
    def backward(ctx, grad, grad_index=None):
        (index,) = ctx.saved_tensors
        N, C, H, W = ctx.shape
        # d max(window)/d x = 1 at the arg-max, 0 elsewhere; shared winners accumulate; a
        # window with no entry of the input (index -1) passes its gradient to none
        if ctx.empty:
            grad, index = grad.masked_fill(index < 0, 0), index.clamp(min=0)
        rows = N * C if N * C else 0
        grad_x = grad.new_zeros(N * C, H * W)
        grad_x = grad_x.scatter_add(1, index.reshape(rows, -1), grad.reshape(rows, -1))
        return (laid_out(grad_x.reshape(N, C, H, W), ctx.layout), None, None,
                None, None, None)

    @staticmethod
    def jvp(ctx, tangent, *_):
        # each output is the input at its window's arg-max, so its derivative in the
        # direction v is v at the same place (0 for a window with no entry of the input)
        (index,) = ctx.saved_tensors
        N, C, H, W = ctx.shape
        at = index.clamp(min=0).reshape(N * C, -1)
        out = tangent.reshape(N * C, H * W).gather(1, at).reshape(index.shape)
        if ctx.empty:
            out = out.masked_fill(index < 0, 0)
        return laid_out(out, ctx.layout), None


def max_pool2d(input: torch.Tensor, kernel_size: int | tuple, stride: int | tuple | None = None,
               padding: int | tuple = 0, dilation: int | tuple = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """torch's max_pool2d on (N, C, H, W) or unbatched (C, H, W); ``return_indices`` gives
    each maximum's flat index into H*W too, as torch does."""
    if input.dim() == 3:
        out: Any = max_pool2d(input.unsqueeze(0), kernel_size, stride, padding, dilation,
                              ceil_mode, return_indices)
        return tuple(t.squeeze(0) for t in out) if return_indices else out.squeeze(0)
    if input.dim() != 4:
        raise ValueError(f"max_pool2d: expected (N, C, H, W) or (C, H, W), got "
                         f"{tuple(input.shape)}")
    if input.dtype == torch.bool or input.is_complex():  # no order to take a maximum in
        raise NotSupported("max_pool2d", "input", f"an input of dtype {input.dtype}",
                           "torch has no kernel for it either")
    kernel = pair(kernel_size)
    stride = kernel if stride is None or stride == [] else pair(stride)
    padding, dilation = pair(padding), pair(dilation)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError("max_pool2d: padding must be at most half the kernel, as in torch")
    if min(*kernel, *stride, *dilation) < 1 or min(padding) < 0:
        raise ValueError("max_pool2d: kernel, stride and dilation must be >= 1, padding >= 0")
    out, index = apply(MaxPool2d, input, kernel, stride, padding, dilation, bool(ceil_mode))
    if return_indices and _empty_window(input.shape, index.shape[-2:], kernel, stride, padding,
                                        dilation):
        raise NotSupported("max_pool2d", "return_indices", detail="a window that holds no entry "
                           "of the input has no arg-max (torch returns an index past it)")
    return (out, index) if return_indices else out


class Flatten(Function):
    @staticmethod
    def forward(x, start_dim, end_dim):
        if x.dim() == 0:
            return x.reshape(1)  # torch.flatten of a scalar is a one-element vector
        start, end = start_dim % x.dim(), end_dim % x.dim()
        if start > end:
            raise ValueError("flatten: start_dim cannot come after end_dim")
        merged = math.prod(x.shape[start:end + 1])  # not -1: a zero-size dim leaves -1 open
        return x.reshape(*x.shape[:start], merged, *x.shape[end + 1:])

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.shape, ctx.out_shape = inputs[0].shape, output.shape

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None, None  # a reshape moves no number

    @staticmethod
    def jvp(ctx, tangent, *_):
        return tangent.reshape(ctx.out_shape)  # linear: the tangent reshaped the same way


def flatten(input: torch.Tensor, start_dim: int = 0, end_dim: int = -1) -> torch.Tensor:
    """torch.flatten: dims start_dim..end_dim merged into one (the CNN keeps the batch
    dimension with start_dim=1, as nn.Flatten does)."""
    return apply(Flatten, input, start_dim, end_dim)
