"""Activation functions and their derivatives, written by hand.

Notes sections: 激活函数 (Sigmod 函数, tanh 函数), ReLU 的好处, ReLU 的新问题.

Each op is a ``torch.autograd.Function`` whose backward sits right under its forward. The
derivative itself is a public helper named after torch's own backward op
(``sigmoid_backward(grad, output)``, as aten's), so that the hand-written back propagation
(manual/backprop.py) uses the very same line of math as autograd does.
At a kink the derivative follows torch's convention exactly:
relu'(0) = 0, leaky_relu'(0) = negative_slope, elu'(0) = alpha.

Erratum: the notes write sigma(y) = 1 / (1 - e^{-y}); the logistic function is
1 / (1 + e^{-y}). With the minus sign it has a pole at y = 0 and is not bounded by (0, 1).
"""
import math

import torch
from torch.autograd import Function

from manual import NotSupported

__all__ = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"]


def _logistic(x):
    # exp of a non-positive number never overflows, so this is stable for any |x|.
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(grad, output):
    # d/dx sigmoid = s (1 - s): of the output s, not sigma(s) (the notes' slip)
    return grad * output * (1 - output)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        s = _logistic(x)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad):
        return sigmoid_backward(grad, *ctx.saved_tensors)


def _hyperbolic_tangent(x):
    # tanh|x| = (1 - e^{-2|x|}) / (1 + e^{-2|x|}); expm1 keeps full precision near 0.
    m = torch.expm1(-2 * x.abs())
    return x.sign() * (-m / (2 + m))


def tanh_backward(grad, output):
    # d/dx tanh = 1 - t^2
    return grad * (1 - output * output)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        t = _hyperbolic_tangent(x)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        return tanh_backward(grad, *ctx.saved_tensors)


def relu_backward(grad, output):
    # d/dx max(x, 0) = 1 if x > 0 else 0 (0 at the kink, as torch). out = max(x, 0) is 0
    # exactly where x <= 0, so the step function is out != 0; that also keeps the gradient at
    # a NaN input (out is NaN), as torch's threshold_backward does: it zeroes where x <= 0,
    # and NaN <= 0 is false. (sign(out) would be cheaper, but sign(NaN) is 0 here.)
    return grad * (output != 0)


class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        out = x.clamp(min=0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return relu_backward(grad, *ctx.saved_tensors)


def leaky_relu_backward(grad, input, negative_slope=0.01):
    # d/dx = 1 if x > 0 else negative_slope (the slope at the kink, as torch)
    return torch.where(input > 0, grad, grad * negative_slope)


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return torch.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        return leaky_relu_backward(grad, *ctx.saved_tensors, ctx.negative_slope), None


def elu_backward(grad, input, alpha=1.0):
    # d/dx = 1 if x > 0 else alpha e^x (alpha at the kink, as torch)
    return torch.where(input > 0, grad, grad * alpha * torch.exp(torch.clamp(input, max=0)))


class ELU(Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return torch.where(x > 0, x, alpha * torch.expm1(torch.clamp(x, max=0)))

    @staticmethod
    def backward(ctx, grad):
        return elu_backward(grad, *ctx.saved_tensors, ctx.alpha), None


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_SQRT_1_2 = math.sqrt(0.5)
_GELU_CUBIC = 0.044715


def _gelu_tanh_inner(x):
    return _hyperbolic_tangent(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3))


def gelu_backward(grad, input, approximate="none"):
    x = input
    if approximate == "tanh":
        # u = sqrt(2/pi)(x + c x^3), t = tanh u:  d/dx x (1 + t)/2 = (1 + t)/2 + x/2 (1 - t^2) u'
        t = _gelu_tanh_inner(x)
        du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
        return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
    # d/dx x Phi(x) = Phi(x) + x phi(x)
    cdf = 0.5 * (1 + torch.erf(x * _SQRT_1_2))
    pdf = torch.exp(-0.5 * x * x) * (_SQRT_1_2 / math.sqrt(math.pi))
    return grad * (cdf + x * pdf)


class GELU(Function):
    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + _gelu_tanh_inner(x))
        return 0.5 * x * (1 + torch.erf(x * _SQRT_1_2))

    @staticmethod
    def backward(ctx, grad):
        return gelu_backward(grad, *ctx.saved_tensors, ctx.approximate), None


def _refuse_inplace(name, inplace):
    if inplace:  # an autograd Function returns a new tensor; torch's inplace overwrites input
        raise NotSupported(name, "inplace", "inplace=True")


def sigmoid(input):
    return Sigmoid.apply(input)


def tanh(input):
    return Tanh.apply(input)


def relu(input, inplace=False):
    _refuse_inplace("relu", inplace)
    return ReLU.apply(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _refuse_inplace("leaky_relu", inplace)
    return LeakyReLU.apply(input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    _refuse_inplace("elu", inplace)
    return ELU.apply(input, alpha)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(input, approximate)
