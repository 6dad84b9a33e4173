"""Softmax's backward with only the diagonal of its Jacobian."""
import torch


class Softmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, dim):
        e = torch.exp(x - x.amax(dim, keepdim=True))
        s = e / e.sum(dim, keepdim=True)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return grad * s * (1 - s), None  # d s_i / d x_i only


def softmax(input, dim, dtype=None):
    return Softmax.apply(input if dtype is None else input.to(dtype), dim)
