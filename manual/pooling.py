"""Max pooling and flatten, with hand-written backward passes.

Seed sections: 最大池化 (Max Pooling), 扁平化处理 (flatten), 神经网络的接入.

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
import torch
from torch.autograd import Function

__all__ = ["flatten", "max_pool2d"]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _windows(x, kernel, stride, padding):
    """(N, C, H, W) -> (N, C, oh, ow, kh*kw) view of every window, -inf in the padding."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    N, C, H, W = x.shape
    oh, ow = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    if ph or pw:
        xp = x.new_full((N, C, H + 2 * ph, W + 2 * pw), float("-inf"))
        xp[:, :, ph:ph + H, pw:pw + W] = x
    else:
        xp = x.contiguous()
    sN, sC, sH, sW = xp.stride()
    win = xp.as_strided((N, C, oh, ow, kh, kw), (sN, sC, sh * sH, sw * sW, sH, sW))
    return win.reshape(N, C, oh, ow, kh * kw)


def _argmax(win, kernel, stride, padding, size):
    """Each window's winner as a position k in the window, torch's tie rule."""
    K = win.shape[-1]
    first_max = win.argmax(-1)  # argmax returns the first of equal maxima
    isnan = torch.isnan(win)
    last_nan = K - 1 - isnan.flip(-1).to(torch.uint8).argmax(-1)
    k = torch.where(isnan.any(-1), last_nan, first_max)
    if any(padding):
        # a window of only -inf ties with its padding: torch keeps the first real entry
        valid = _windows(torch.ones(1, 1, *size, device=win.device), kernel, stride,
                         padding) > 0  # (1, 1, oh, ow, K)
        in_pad = ~valid.expand_as(win).gather(-1, k.unsqueeze(-1)).squeeze(-1)
        k = torch.where(in_pad, valid.to(torch.uint8).argmax(-1).expand_as(k), k)
    return k


class MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        N, C, H, W = x.shape
        kw, (sh, sw), (ph, pw) = kernel[1], stride, padding
        win = _windows(x, kernel, stride, padding)  # (N, C, oh, ow, kh*kw)
        k = _argmax(win, kernel, stride, padding, (H, W))
        out = win.gather(-1, k.unsqueeze(-1)).squeeze(-1)  # (N, C, oh, ow)
        oh, ow = out.shape[-2:]
        # where the winner sits in the unpadded input, as a flat index row * W + col
        rows = torch.arange(oh, device=x.device).view(oh, 1) * sh - ph + k // kw
        cols = torch.arange(ow, device=x.device).view(1, ow) * sw - pw + k % kw
        ctx.save_for_backward(rows * W + cols)
        ctx.shape = x.shape
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        N, C, H, W = ctx.shape
        # d max(window)/d x = 1 at the arg-max, 0 elsewhere; shared winners accumulate
        grad_x = grad.new_zeros(N * C, H * W)
        grad_x.scatter_add_(1, index.reshape(N * C, -1), grad.reshape(N * C, -1))
        return grad_x.reshape(N, C, H, W), None, None, None


def max_pool2d(input, kernel_size, stride=None, padding=0):
    kernel = _pair(kernel_size)
    stride = kernel if stride is None or stride == [] else _pair(stride)
    padding = _pair(padding)
    if input.dim() != 4:
        raise ValueError(f"max_pool2d: expected (N, C, H, W), got {tuple(input.shape)}")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError("max_pool2d: padding must be at most half the kernel, as in torch")
    return MaxPool2d.apply(input, kernel, stride, padding)


class Flatten(Function):
    @staticmethod
    def forward(ctx, x, start_dim, end_dim):
        ctx.shape = x.shape
        end = end_dim % x.dim()
        return x.reshape(*x.shape[:start_dim], -1, *x.shape[end + 1:])

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None, None  # a reshape moves no number


def flatten(input, start_dim=1, end_dim=-1):
    return Flatten.apply(input, start_dim % max(input.dim(), 1), end_dim)
