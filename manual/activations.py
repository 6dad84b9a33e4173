"""Activation functions and their derivatives, written by hand.

Notes sections: 激活函数 (Sigmod 函数, tanh 函数), ReLU 的好处, ReLU 的新问题.

Each op is a ``torch.autograd.Function`` whose backward (reverse mode, v^T J) and jvp
(forward mode, J v) sit right under its forward. An elementwise op's Jacobian is diagonal,
J = diag(f'(x)), so both are f'(x) v: the jvp is the backward's formula applied to the
tangent (manual.diagonal_jvp). The derivative itself is a public helper named after torch's
own backward op (``sigmoid_backward(grad, output)``, as aten's), so that the hand-written
back propagation (manual/backprop.py) uses the very same line of math as autograd does.
Each is written in differentiable tensor operations of the saved tensors, so a second
derivative follows from it (sigmoid'' = s'(1 - 2s), tanh'' = -2 t t', the kinks' zeros),
and in torch ops only, so that torch.vmap batches them (``generate_vmap_rule``).
At a kink the derivative follows torch's convention exactly:
relu'(0) = 0, leaky_relu'(0) = negative_slope, elu'(0) = alpha.

Complex inputs (sigmoid, tanh): torch's backward of a holomorphic f returns
grad * conj(f'(z)), the gradient of a real loss with respect to the conjugate Wirtinger
variable, so each derivative below is conjugated (a no-op on real tensors). Integer inputs
give the default float dtype; float16 and bfloat16 are computed in float32 (manual.opmath).

Erratum: the notes write sigma(y) = 1 / (1 - e^{-y}); the logistic function is
1 / (1 + e^{-y}). With the minus sign it has a pole at y = 0 and is not bounded by (0, 1).
"""
from __future__ import annotations

import math

import torch

from manual import (
    Function,
    NotSupported,
    apply,
    diagonal_jvp,
    laid_out,
    layout,
    only_floating,
    opmath,
)

__all__ = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"]


def _logistic(x):
    if x.is_complex():  # no sign to take out: torch's formula as it is
        return 1 / (1 + torch.exp(-x))
    # exp of a non-positive number never overflows, so this is stable for any |x|.
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    # d/dx sigmoid = s (1 - s): of the output s, not sigma(s) (the notes' slip)
    s = output.conj()
    return grad * s * (1 - s)


class Sigmoid(Function):
    @staticmethod
    def forward(x):
        return _logistic(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad):
        return sigmoid_backward(grad, *ctx.saved_tensors)

    @staticmethod
    def jvp(ctx, tangent):
        return diagonal_jvp(sigmoid_backward, tangent, *ctx.saved_tensors)


def _tanh_positive(x):
    # tanh x = (1 - e^{-2x}) / (1 + e^{-2x}) for x >= 0; expm1 keeps full precision near 0.
    m = torch.expm1(-2 * x)
    return -m / (2 + m)


def _hyperbolic_tangent(x):
    if x.is_complex():
        return _complex_tanh(x)
    return x.sign() * _tanh_positive(x.abs())


def _complex_tanh(z):
    # Kahan's form (Branch cuts for complex elementary functions, 1987): with t = tan y,
    # beta = 1 + t^2, s = sinh x, rho = sqrt(1 + s^2),
    #   tanh(x + iy) = (beta rho s + i t) / (1 + beta s^2),
    # a sum of positive terms below, where (1 - e^{-2z}) / (1 + e^{-2z}) cancels to nothing
    # near a pole (cosh z = 0 at y = pi/2): 35 ulps off there in complex64, against one
    x, y = z.real, z.imag
    t = torch.tan(y)
    beta = 1 + t * t
    s = (torch.expm1(x) - torch.expm1(-x)) / 2  # sinh x, exact to the last bit near 0
    denominator = 1 + beta * s * s
    far = x.abs() > 20  # tanh is +-1 there to 64 bits, and s^2 could overflow
    real = torch.where(far, x.sign(), beta * torch.sqrt(1 + s * s) * s / denominator)
    imag = torch.where(far, 4 * torch.sin(y) * torch.cos(y) * torch.exp(-2 * x.abs()),
                       t / denominator)
    return torch.complex(real, imag)


def tanh_backward(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    # d/dx tanh = 1 - t^2
    t = output.conj()
    return grad * (1 - t * t)


class Tanh(Function):
    @staticmethod
    def forward(x):
        return _hyperbolic_tangent(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad):
        return tanh_backward(grad, *ctx.saved_tensors)

    @staticmethod
    def jvp(ctx, tangent):
        return diagonal_jvp(tanh_backward, tangent, *ctx.saved_tensors)


def relu_backward(grad: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    # d/dx max(x, 0) = 1 if x > 0 else 0 (0 at the kink, as torch). out = max(x, 0) is 0
    # exactly where x <= 0, so the step function is out != 0; that also keeps the gradient at
    # a NaN input (out is NaN), as torch's threshold_backward does: it zeroes where x <= 0,
    # and NaN <= 0 is false. (sign(out) would be cheaper, but sign(NaN) is 0 here.) Laid out
    # as the input, as torch's is.
    return laid_out(grad * (output != 0), layout(output))


class ReLU(Function):
    @staticmethod
    def forward(x):
        return x.clamp(min=0)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad):
        return relu_backward(grad, *ctx.saved_tensors)

    @staticmethod
    def jvp(ctx, tangent):
        return diagonal_jvp(relu_backward, tangent, *ctx.saved_tensors)


def leaky_relu_backward(grad: torch.Tensor, input: torch.Tensor, negative_slope: float = 0.01
                       ) -> torch.Tensor:
    # d/dx = 1 if x > 0 else negative_slope (the slope at the kink, as torch)
    return torch.where(input > 0, grad, grad * negative_slope)


class LeakyReLU(Function):
    @staticmethod
    def forward(x, negative_slope):
        return torch.where(x > 0, x, x * negative_slope)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, ctx.negative_slope = inputs
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)

    @staticmethod
    def backward(ctx, grad):
        return leaky_relu_backward(grad, *ctx.saved_tensors, ctx.negative_slope), None

    @staticmethod
    def jvp(ctx, tangent, _):
        return diagonal_jvp(leaky_relu_backward, tangent, *ctx.saved_tensors,
                            ctx.negative_slope)


def elu_backward(grad: torch.Tensor, input: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    # d/dx = 1 if x > 0 else alpha e^x (alpha at the kink, as torch); laid out as the upstream
    # gradient, as torch's is
    slope = torch.where(input > 0, grad, grad * alpha * torch.exp(torch.clamp(input, max=0)))
    return laid_out(slope, layout(grad))


class ELU(Function):
    @staticmethod
    def forward(x, alpha):
        return torch.where(x > 0, x, alpha * torch.expm1(torch.clamp(x, max=0)))

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, ctx.alpha = inputs
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)

    @staticmethod
    def backward(ctx, grad):
        return elu_backward(grad, *ctx.saved_tensors, ctx.alpha), None

    @staticmethod
    def jvp(ctx, tangent, _):
        return diagonal_jvp(elu_backward, tangent, *ctx.saved_tensors, ctx.alpha)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_SQRT_1_2 = math.sqrt(0.5)
_GELU_CUBIC = 0.044715


def _gelu_tanh_inner(x):
    return _hyperbolic_tangent(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3))


def gelu_backward(grad: torch.Tensor, input: torch.Tensor, approximate: str = "none"
                 ) -> torch.Tensor:
    x = input
    if approximate == "tanh":
        # u = sqrt(2/pi)(x + c x^3), t = tanh u:  d/dx x (1 + t)/2 = (1 + t)/2 + x/2 (1 - t^2) u'
        # (t through Tanh, so that its own derivative is tanh' = 1 - t^2, right at u = 0 too,
        # where the stable formula's sign(u) has none)
        t = apply(Tanh, _SQRT_2_OVER_PI * (x + _GELU_CUBIC * x**3))
        du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
        return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
    # d/dx x Phi(x) = Phi(x) + x phi(x)
    cdf = 0.5 * (1 + torch.erf(x * _SQRT_1_2))
    pdf = torch.exp(-0.5 * x * x) * (_SQRT_1_2 / math.sqrt(math.pi))
    return grad * (cdf + x * pdf)


class GELU(Function):
    @staticmethod
    def forward(x, approximate):
        if approximate == "tanh":
            return 0.5 * x * (1 + _gelu_tanh_inner(x))
        return 0.5 * x * (1 + torch.erf(x * _SQRT_1_2))

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, ctx.approximate = inputs
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)

    @staticmethod
    def backward(ctx, grad):
        return gelu_backward(grad, *ctx.saved_tensors, ctx.approximate), None

    @staticmethod
    def jvp(ctx, tangent, _):
        return diagonal_jvp(gelu_backward, tangent, *ctx.saved_tensors, ctx.approximate)


def _refuse_inplace(name, inplace):
    if inplace:  # an autograd Function returns a new tensor; torch's inplace overwrites input
        raise NotSupported(name, "inplace", "inplace=True")


def _apply(function, input, *args):
    """``function`` on ``input`` in the dtype torch computes it in, and its result in the
    dtype torch returns."""
    x, result = opmath(input)
    return apply(function, x, *args).to(result)


def sigmoid(input: torch.Tensor) -> torch.Tensor:
    return _apply(Sigmoid, input)


def tanh(input: torch.Tensor) -> torch.Tensor:
    return _apply(Tanh, input)


def relu(input: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    _refuse_inplace("relu", inplace)
    if input.is_complex() or input.dtype == torch.bool:
        raise NotSupported("relu", "input", f"an input of dtype {input.dtype}",
                           "torch has no relu for it either")
    return apply(ReLU, input)  # exact in any dtype: a comparison and a copy


def leaky_relu(input: torch.Tensor, negative_slope: float = 0.01, inplace: bool = False
              ) -> torch.Tensor:
    _refuse_inplace("leaky_relu", inplace)
    only_floating("leaky_relu", input)
    return _apply(LeakyReLU, input, negative_slope)


def elu(input: torch.Tensor, alpha: float = 1.0, inplace: bool = False) -> torch.Tensor:
    _refuse_inplace("elu", inplace)
    only_floating("elu", input)
    return _apply(ELU, input, alpha)


def gelu(input: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    only_floating("gelu", input)
    return _apply(GELU, input, approximate)
