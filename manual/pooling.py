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


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        N, C, H, W = x.shape
        (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
        oh, ow = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
        xp = x
        if ph or pw:
            xp = x.new_full((N, C, H + 2 * ph, W + 2 * pw), float("-inf"))
            xp[:, :, ph:ph + H, pw:pw + W] = x
        # torch's scan: visit the window's entries in row order and take a new maximum
        # when val > best or val is NaN; the first real entry is taken in any case
        best, where = None, None
        rows = torch.arange(oh, device=x.device).view(oh, 1) * sh - ph  # window's top row
        cols = torch.arange(ow, device=x.device).view(1, ow) * sw - pw  # and left column
        for u in range(kh):
            for v in range(kw):
                val = xp[:, :, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw]
                flat = (rows + u) * W + (cols + v)  # (oh, ow) index into the unpadded input
                if best is None:
                    best, where = val, flat.expand_as(val)
                    first_real = ((rows + u >= 0) & (cols + v >= 0)).expand_as(val)
                    continue
                take = (val > best) | torch.isnan(val)
                if ph or pw:  # a window that has seen only padding takes its first real entry
                    real = ((rows + u >= 0) & (rows + u < H) & (cols + v >= 0) & (cols + v < W))
                    take = (take | ~first_real) & real
                    first_real = first_real | real
                best = torch.maximum(best, val)  # NaN wins here too
                where = torch.where(take, flat, where)
        ctx.save_for_backward(where)
        ctx.shape, ctx.pool = x.shape, (kernel, stride, padding)
        return best.contiguous() if best.data_ptr() == xp.data_ptr() else best

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        N, C, H, W = ctx.shape
        # d max(window)/d x = 1 at the arg-max, 0 elsewhere; shared winners accumulate
        grad_x = grad.new_zeros(N * C, H * W)
        grad_x.scatter_add_(1, index.reshape(N * C, -1), grad.reshape(N * C, -1))
        return grad_x.reshape(N, C, H, W), None, None, None


def max_pool2d(input, kernel_size, stride=None, padding=0):
    kernel = pair(kernel_size)
    stride = kernel if stride is None or stride == [] else pair(stride)
    padding = pair(padding)
    if input.dim() != 4:
        raise ValueError(f"max_pool2d: expected (N, C, H, W), got {tuple(input.shape)}")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError("max_pool2d: padding must be at most half the kernel, as in torch")
    return MaxPool2d.apply(input, kernel, stride, padding)


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
