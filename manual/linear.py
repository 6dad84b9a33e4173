"""The neuron's weighted sum plus bias, for a whole layer at once.

Notes sections: 计算一个神经元的过程, 隐藏层计算公式, 输出层计算公式.

The notes' h_j = f(sum_i w_ij x_i + b_j) for every neuron j of a layer is one matrix
product: net = x W^T + b, with W of shape (out, in) as torch stores it (row j holds the
weights of neuron j). Any number of leading batch dimensions is allowed (none: one input
vector; 0: an empty batch). ``linear`` also takes every other shape ``F.linear`` takes: a
1-D weight (in,) is a layer of one neuron whose output has no neuron dimension, and a bias
that is not one number per neuron is added by broadcasting.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from manual import Function, NotSupported, apply

__all__ = ["Linear", "linear"]


class LinearFunction(Function):
    @staticmethod
    def forward(x, weight, bias):
        if bias is None:
            return x @ weight.T  # (..., in) @ (in, out) -> (..., out)
        # the same with the bias added in the one pass (one rounding), leading dims folded
        out = torch.addmm(bias, x.reshape(math.prod(x.shape[:-1]), weight.shape[1]), weight.T)
        return out.reshape(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias = inputs
        ctx.save_for_backward(x, weight)
        ctx.save_for_forward(x, weight)
        ctx.has_bias = bias is not None

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        # net = x W^T + b:  dE/dx = g W,  dE/dW = g^T x (summed over the batch),  dE/db = sum g
        # (complex: g conj(W) and g^T conj(x), torch's convention for holomorphic maps); both
        # products are linear in g, x and W, so their own derivatives are these products again
        B = math.prod(grad.shape[:-1])  # every leading dim folded into B (0 is allowed)
        g2 = grad.reshape(B, weight.shape[0])  # (B, out)
        grad_x = grad @ weight.conj()
        grad_w = g2.T @ x.reshape(B, weight.shape[1]).conj()
        grad_b = g2.sum(0) if ctx.has_bias else None
        return grad_x, grad_w, grad_b

    @staticmethod
    def jvp(ctx, x_t, weight_t, bias_t):
        # net = x W^T + b is linear in each of x, W and b:  d net = dx W^T + x dW^T + db
        x, weight = ctx.saved_tensors
        out = torch.zeros((), dtype=x.dtype, device=x.device)
        if x_t is not None:
            out = out + x_t @ weight.T
        if weight_t is not None:
            out = out + x @ weight_t.T
        if bias_t is not None:
            out = out + bias_t
        return out.expand(*x.shape[:-1], weight.shape[0])


def linear(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None
          ) -> torch.Tensor:
    if weight.dim() == 2 and (bias is None or bias.shape == weight.shape[:1]):
        return apply(LinearFunction, input, weight, bias)  # the layer, as the notes write it
    # a single neuron (1-D weight) is a layer of one without its neuron dimension, and any
    # other bias is added by broadcasting, as F.linear adds it (torch's own derivatives of
    # a view and a sum; the product's is the Function's above)
    one_neuron = weight.dim() == 1
    net = apply(LinearFunction, input, weight.unsqueeze(0) if one_neuron else weight, None)
    net = net.squeeze(-1) if one_neuron else net
    if bias is None:
        return net
    if torch.broadcast_shapes(net.shape, bias.shape) != net.shape:
        raise NotSupported("linear", "bias", f"a bias of shape {tuple(bias.shape)}",
                           f"it would widen the output {tuple(net.shape)}")
    return net + bias


class Linear(nn.Module):
    """A layer of ``out_features`` neurons, each seeing all ``in_features`` inputs.

    Initialization is torch's: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias (torch reaches
    the same bound through kaiming_uniform with a = sqrt(5)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_features, in_features, **factory))
        self.bias = nn.Parameter(torch.empty(out_features, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"
