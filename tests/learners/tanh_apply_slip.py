"""The apply idiom with a slip in it: 1 - t instead of 1 - t^2."""
import torch


class MyTanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        t = torch.tanh(x)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        (t,) = ctx.saved_tensors
        return grad * (1 - t)


tanh = MyTanh.apply
