"""The notes' slip: sigma applied to the output a second time in the backward."""
import torch


class Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = torch.where(x >= 0, 1 / (1 + torch.exp(-x)), torch.exp(x) / (1 + torch.exp(x)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        s = 1 / (1 + torch.exp(-out))  # sigma(out)(1 - sigma(out)), as the notes write it
        return grad * s * (1 - s)
