"""The neuron's weighted sum plus bias, for a whole layer at once.

Notes sections: 计算一个神经元的过程, 隐藏层计算公式, 输出层计算公式.

The notes' h_j = f(sum_i w_ij x_i + b_j) for every neuron j of a layer is one matrix
product: net = x W^T + b, with W of shape (out, in) as torch stores it (row j holds the
weights of neuron j). Every shape ``F.linear`` takes is the same product: any number of
leading batch dimensions (none: one input vector, or none at all: an empty batch), and a
1-D weight (in,) as a single neuron, whose output has no neuron dimension.
"""
import math

import torch
from torch import nn

from manual import Function, NotSupported, apply

__all__ = ["Linear", "linear"]


def _matrices(x, weight):
    """x and W as the matrices of the product: (B, in) with every leading dim of x folded
    into B (none: B = 1; 0 is allowed), and (out, in) with a 1-D weight as one row."""
    n = weight.shape[-1]  # (not -1 in reshape: with n = 0 it would be left open)
    return (x.reshape(math.prod(x.shape[:-1]), n),
            weight.reshape(math.prod(weight.shape[:-1]), n))


def _out_shape(x, weight):
    """x's leading dims, then the neurons (none for a 1-D weight): what F.linear returns."""
    return x.shape[:-1] + weight.shape[:-1]


class LinearFunction(Function):
    @staticmethod
    def forward(x, weight, bias):
        X, W = _matrices(x, weight)  # (B, in), (out, in)
        shape = _out_shape(x, weight)
        if bias is None:
            return (X @ W.T).reshape(shape)  # (B, in) @ (in, out) -> (B, out)
        if torch.broadcast_shapes(shape, bias.shape) != shape:
            raise NotSupported("linear", "bias", f"a bias of shape {tuple(bias.shape)}",
                               f"it would widen the output {tuple(shape)}")
        if weight.dim() == 2 and bias.dim() <= 1:  # the bias added in the one pass (one
            return torch.addmm(bias, X, W.T).reshape(shape)  # rounding), as torch's addmm
        return (X @ W.T).reshape(shape) + bias

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias = inputs
        ctx.save_for_backward(x, weight)
        ctx.save_for_forward(x, weight)
        ctx.bias_shape = None if bias is None else bias.shape

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        # net = x W^T + b:  dE/dx = g W,  dE/dW = g^T x (summed over the batch),  dE/db = sum g
        # over what b was broadcast along (complex: g conj(W) and g^T conj(x), torch's
        # convention for holomorphic maps); all are linear in g, x and W, so their own
        # derivatives are these products again
        X, W = _matrices(x, weight)  # (B, in), (out, in)
        G = grad.reshape(X.shape[0], W.shape[0])  # (B, out)
        grad_x = (G @ W.conj()).reshape(x.shape)
        grad_w = (G.T @ X.conj()).reshape(weight.shape)
        if ctx.bias_shape is None:
            return grad_x, grad_w, None
        same = ctx.bias_shape == (W.shape[0],) and weight.dim() == 2
        return grad_x, grad_w, G.sum(0) if same else grad.sum_to_size(ctx.bias_shape)

    @staticmethod
    def jvp(ctx, x_t, weight_t, bias_t):
        # net = x W^T + b is linear in each of x, W and b:  d net = dx W^T + x dW^T + db
        x, weight = ctx.saved_tensors
        X, W = _matrices(x, weight)
        shape = _out_shape(x, weight)
        out = torch.zeros((), dtype=x.dtype, device=x.device)
        if x_t is not None:
            out = out + (_matrices(x_t, weight)[0] @ W.T).reshape(shape)
        if weight_t is not None:
            out = out + (X @ _matrices(x, weight_t)[1].T).reshape(shape)
        if bias_t is not None:
            out = out + bias_t
        return out.expand(shape)


def linear(input, weight, bias=None):
    return apply(LinearFunction, input, weight, bias)


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

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, input):
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}"
