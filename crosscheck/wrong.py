"""Deliberately wrong derivatives: the negative controls.

Each keeps the right forward and breaks one step of the backward, the way a hand derivation
goes wrong. The check that passes the right op must reject every one of them, which proves
that the check can fail. The notes' own slips live in crosscheck/errata.py.
"""
import torch

from manual import activations as A
from manual import linear as L
from manual import losses as Lo


def with_backward(function, backward):
    """A copy of an autograd Function whose backward is replaced."""
    return type(f"Wrong{function.__name__}", (function,), {"backward": staticmethod(backward)})


def _tanh_one_minus_t(ctx, grad):
    (t,) = ctx.saved_tensors
    return grad * (1 - t)  # forgot the square: 1 - t instead of 1 - t^2


def _relu_one_at_zero(ctx, grad):
    (x,) = ctx.saved_tensors
    return torch.where(x >= 0, grad, torch.zeros_like(grad))  # relu'(0) = 1: not torch's choice


def _leaky_one_at_zero(ctx, grad):
    (x,) = ctx.saved_tensors
    return torch.where(x >= 0, grad, grad * ctx.negative_slope), None


def _elu_without_alpha(ctx, grad):
    (x,) = ctx.saved_tensors
    return torch.where(x > 0, grad, grad * torch.exp(torch.clamp(x, max=0))), None


def _gelu_cdf_only(ctx, grad):
    (x,) = ctx.saved_tensors  # product rule half-forgotten: Phi(x) without x phi(x)
    return grad * 0.5 * (1 + torch.erf(x / 2**0.5)), None


def _linear_bias_mean(ctx, grad):
    grad_x, grad_w, _ = L.LinearFunction.backward(ctx, grad)
    grad_b = grad.reshape(-1, grad.shape[-1]).mean(0) if ctx.has_bias else None  # mean, not sum
    return grad_x, grad_w, grad_b


def _mse_without_two(ctx, grad):
    g, _, _ = Lo.MSELoss.backward(ctx, grad)
    return g / 2, -g / 2, None  # the 1/2 of E = 1/2 sum (.)^2 applied to plain MSE


def _softmax_diagonal(ctx, grad):
    (s,) = ctx.saved_tensors
    return grad * s * (1 - s), None  # only the diagonal of the Jacobian s_i (delta_ij - s_j)


def _log_softmax_no_sum(ctx, grad):
    (y,) = ctx.saved_tensors
    return grad - torch.exp(y), None  # dropped the sum over the upstream gradient


def _cross_entropy_no_mean(ctx, grad):
    logp, p = ctx.saved_tensors
    return grad * (torch.exp(logp) - p), None, None  # forgot the 1/N of reduction='mean'


_Tanh = with_backward(A.Tanh, _tanh_one_minus_t)
_ReLU = with_backward(A.ReLU, _relu_one_at_zero)
_Leaky = with_backward(A.LeakyReLU, _leaky_one_at_zero)
_ELU = with_backward(A.ELU, _elu_without_alpha)
_GELU = with_backward(A.GELU, _gelu_cdf_only)
_Linear = with_backward(L.LinearFunction, _linear_bias_mean)
_MSE = with_backward(Lo.MSELoss, _mse_without_two)
_Softmax = with_backward(Lo.Softmax, _softmax_diagonal)
_LogSoftmax = with_backward(Lo.LogSoftmax, _log_softmax_no_sum)
_CrossEntropy = with_backward(Lo.CrossEntropy, _cross_entropy_no_mean)

tanh_one_minus_t = _Tanh.apply
relu_one_at_zero = _ReLU.apply


def leaky_relu_one_at_zero(input, negative_slope=0.01):
    return _Leaky.apply(input, negative_slope)


def elu_without_alpha(input, alpha=1.0):
    return _ELU.apply(input, alpha)


def gelu_cdf_only(input, approximate="none"):
    return _GELU.apply(input, approximate)


def linear_bias_mean(input, weight, bias=None):
    return _Linear.apply(input, weight, bias)


def mse_without_two(input, target, reduction="mean"):
    return _MSE.apply(input, target, reduction)


def softmax_diagonal(input, dim):
    return _Softmax.apply(input, dim)


def log_softmax_no_sum(input, dim):
    return _LogSoftmax.apply(input, dim)


def cross_entropy_no_mean(input, target, reduction="mean"):
    return _CrossEntropy.apply(input, target, reduction)
