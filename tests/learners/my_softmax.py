"""A learner's right softmax under a name of its own, an autograd Function without a jvp:
check it with --as my_softmax=softmax."""
import torch


class SoftmaxByHand(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, dim):
        shift = x.amax(dim, keepdim=True) if x.numel() else x  # (an empty x has no max)
        e = torch.exp(x - shift)
        out = e / e.sum(dim, keepdim=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        # dE/dx_i = s_i (g_i - sum_j g_j s_j)
        return out * (grad - (grad * out).sum(ctx.dim, keepdim=True)), None


def my_softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return SoftmaxByHand.apply(input, dim)
