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
import math

import torch
from torch.autograd import Function

from manual.conv import pair

__all__ = ["flatten", "max_pool2d"]


def _out_size(size, k, s, p, d, ceil_mode):
    """Windows along one axis: floor((size + 2p - d(k-1) - 1) / s) + 1, or the ceiling; a
    ceil_mode window must still start inside the input or its left padding (torch's rule)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode):
        N, C, H, W = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
        oh, ow = _out_size(H, kh, sh, ph, dh, ceil_mode), _out_size(W, kw, sw, pw, dw, ceil_mode)
        if oh < 1 or ow < 1:
            raise ValueError(f"max_pool2d: the kernel {kernel} does not fit the input {H}x{W}")
        # -inf around the input: the padding, and whatever the last window overhangs
        bottom = max((oh - 1) * sh + dh * (kh - 1) + 1 - H - ph, 0)
        right = max((ow - 1) * sw + dw * (kw - 1) + 1 - W - pw, 0)
        padded = bool(ph or pw or bottom or right)
        xp = x
        if padded:
            xp = x.new_full((N, C, ph + H + bottom, pw + W + right), float("-inf"))
            xp[:, :, ph:ph + H, pw:pw + W] = x
        # torch's scan: visit the window's entries in row order and take a new maximum
        # when val > best or val is NaN; a window starts at its first real entry in any case
        best, where, seen = None, None, None
        rows = torch.arange(oh, device=x.device).view(oh, 1) * sh - ph  # window's top row
        cols = torch.arange(ow, device=x.device).view(1, ow) * sw - pw  # and left column
        for u in range(kh):
            for v in range(kw):
                r, c = u * dh, v * dw
                val = xp[:, :, r:r + sh * (oh - 1) + 1:sh, c:c + sw * (ow - 1) + 1:sw]
                flat = (rows + r) * W + (cols + c)  # (oh, ow) index into the unpadded input
                if best is None:
                    best, where = val, flat.expand_as(val)
                    if padded:
                        seen = ((rows + r >= 0) & (rows + r < H) & (cols + c >= 0)
                                & (cols + c < W)).expand_as(val)
                    continue
                take = (val > best) | torch.isnan(val)
                if padded:  # a window that has seen only padding takes its first real entry
                    real = (rows + r >= 0) & (rows + r < H) & (cols + c >= 0) & (cols + c < W)
                    take = (take | ~seen) & real
                    seen = seen | real
                best = torch.maximum(best, val)  # NaN wins here too
                where = torch.where(take, flat, where)
        where = where.contiguous()
        ctx.save_for_backward(where)
        ctx.shape, ctx.pool = x.shape, (kernel, stride, padding, dilation)
        ctx.mark_non_differentiable(where)
        # a 1x1 window's maximum is a view of the input itself: return a copy, as torch does
        best = best.clone(memory_format=torch.contiguous_format) if best.data_ptr() == \
            xp.data_ptr() else best
        return best, where

    @staticmethod
    def backward(ctx, grad, grad_index=None):
        (index,) = ctx.saved_tensors
        N, C, H, W = ctx.shape
        # d max(window)/d x = 1 at the arg-max, 0 elsewhere; shared winners accumulate
        grad_x = grad.new_zeros(N * C, H * W)
        grad_x.scatter_add_(1, index.reshape(N * C, -1 if N * C else 0),
                            grad.reshape(N * C, -1 if N * C else 0))
        return grad_x.reshape(N, C, H, W), None, None, None, None, None


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """torch's max_pool2d on (N, C, H, W) or unbatched (C, H, W); ``return_indices`` gives
    each maximum's flat index into H*W too, as torch does."""
    if input.dim() == 3:
        out = max_pool2d(input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)
        return tuple(t.squeeze(0) for t in out) if return_indices else out.squeeze(0)
    if input.dim() != 4:
        raise ValueError(f"max_pool2d: expected (N, C, H, W) or (C, H, W), got "
                         f"{tuple(input.shape)}")
    kernel = pair(kernel_size)
    stride = kernel if stride is None or stride == [] else pair(stride)
    padding, dilation = pair(padding), pair(dilation)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError("max_pool2d: padding must be at most half the kernel, as in torch")
    if min(*kernel, *stride, *dilation) < 1 or min(padding) < 0:
        raise ValueError("max_pool2d: kernel, stride and dilation must be >= 1, padding >= 0")
    out, index = MaxPool2d.apply(input, kernel, stride, padding, dilation, bool(ceil_mode))
    return (out, index) if return_indices else out


class Flatten(Function):
    @staticmethod
    def forward(ctx, x, start_dim, end_dim):
        ctx.shape = x.shape
        if x.dim() == 0:
            return x.reshape(1)  # torch.flatten of a scalar is a one-element vector
        start, end = start_dim % x.dim(), end_dim % x.dim()
        if start > end:
            raise ValueError("flatten: start_dim cannot come after end_dim")
        merged = math.prod(x.shape[start:end + 1])  # not -1: a zero-size dim leaves -1 open
        return x.reshape(*x.shape[:start], merged, *x.shape[end + 1:])

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None, None  # a reshape moves no number


def flatten(input, start_dim=0, end_dim=-1):
    """torch.flatten: dims start_dim..end_dim merged into one (the CNN keeps the batch
    dimension with start_dim=1, as nn.Flatten does)."""
    return Flatten.apply(input, start_dim, end_dim)
