"""A learner's right tanh: an autograd Function without a jvp, its forward through clamp
(which has no complex kernel), its backward derived by hand."""
import torch


class Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        e = torch.exp(-2 * x.abs().clamp(max=40))  # e^{-2|x|}: no overflow
        out = torch.sign(x) * (1 - e) / (1 + e)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)  # d tanh / dx = 1 - tanh^2
