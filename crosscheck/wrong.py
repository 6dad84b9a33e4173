"""Deliberately wrong derivatives: the negative controls.

Each keeps the right forward and breaks one step of the backward, the way a hand derivation
goes wrong. The check that passes the right op must reject every one of them, which proves
that the check can fail. The notes' own slips live in crosscheck/errata.py.
"""
import math
from types import SimpleNamespace

import torch

from crosscheck.backends import MANUAL
from manual import activations as A
from manual import conv as C
from manual import least_squares as LS
from manual import linear as L
from manual import losses as Lo
from manual import optim as O
from manual import pooling as P
from manual import schedules as S


def with_backward(function, backward):
    """A copy of an autograd Function whose backward is replaced."""
    return type(f"Wrong{function.__name__}", (function,), {"backward": staticmethod(backward)})


def _tanh_one_minus_t(ctx, grad):
    (t,) = ctx.saved_tensors
    return grad * (1 - t)  # forgot the square: 1 - t instead of 1 - t^2


class _ReLUOneAtZero(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return torch.where(x >= 0, grad, torch.zeros_like(grad))  # relu'(0) = 1: not torch's


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
_Leaky = with_backward(A.LeakyReLU, _leaky_one_at_zero)
_ELU = with_backward(A.ELU, _elu_without_alpha)
_GELU = with_backward(A.GELU, _gelu_cdf_only)
_Linear = with_backward(L.LinearFunction, _linear_bias_mean)
_MSE = with_backward(Lo.MSELoss, _mse_without_two)
_Softmax = with_backward(Lo.Softmax, _softmax_diagonal)
_LogSoftmax = with_backward(Lo.LogSoftmax, _log_softmax_no_sum)
_CrossEntropy = with_backward(Lo.CrossEntropy, _cross_entropy_no_mean)

tanh_one_minus_t = _Tanh.apply
relu_one_at_zero = _ReLUOneAtZero.apply


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


# -- convolution and pooling ------------------------------------------------------------


def _fold_averaged(cols, *args):
    """col2im that averages where patches overlap instead of summing."""
    return C._fold(cols, *args) / C._fold(torch.ones_like(cols), *args).clamp(min=1)


def _im2col_backward_averages(ctx, grad):
    return _fold_averaged(grad, *ctx.args), None, None, None, None


def _conv_backward_unflipped(ctx, grad):
    _, grad_w, grad_b, *_ = C.Conv2dFunction.backward(ctx, grad)
    cols, weight = ctx.saved_tensors
    size, dilation, pads, stride = ctx.args
    # the input gradient as a convolution, but with the kernel not rotated by 180 degrees
    # (flipping an already flipped kernel undoes conv2d_input's flip)
    grad_x = C.conv2d_input((grad.shape[0], weight.shape[1], *size), weight.flip(2, 3), grad,
                            stride, (pads[0], pads[2]), dilation)
    return grad_x, grad_w, grad_b, None, None, None


def _pool_backward_spread(ctx, grad):
    (index,) = ctx.saved_tensors
    N, Ch, H, W = ctx.shape
    kernel, stride, padding = ctx.pool
    K = kernel[0] * kernel[1]
    # the gradient shared evenly over the window (average pooling's rule), not to its max
    cols = (grad.reshape(N, Ch, 1, -1) / K).expand(N, Ch, K, grad[0, 0].numel())
    pads = (padding[0], padding[0], padding[1], padding[1])
    grad_x = C._fold(cols.reshape(N, Ch * K, -1), (H, W), kernel, (1, 1), pads, stride)
    return grad_x, None, None, None


def _pool_backward_no_accumulate(ctx, grad):
    (index,) = ctx.saved_tensors
    N, Ch, H, W = ctx.shape
    grad_x = grad.new_zeros(N * Ch, H * W)  # scatter_ keeps one of two windows sharing a max
    grad_x.scatter_(1, index.reshape(N * Ch, -1), grad.reshape(N * Ch, -1))
    return grad_x.reshape(N, Ch, H, W), None, None, None


def _flatten_backward_channels_last(ctx, grad):
    N, Ch, H, W = ctx.shape  # unflattened as (H, W, C): the wrong order
    return grad.reshape(N, H, W, Ch).permute(0, 3, 1, 2), None, None


class _PoolKeepingConfig(P.MaxPool2d):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        ctx.pool = (kernel, stride, padding)
        return P.MaxPool2d.forward(ctx, x, kernel, stride, padding)


_Im2col = with_backward(C.Im2col, _im2col_backward_averages)
_Conv = with_backward(C.Conv2dFunction, _conv_backward_unflipped)
_PoolSpread = with_backward(_PoolKeepingConfig, _pool_backward_spread)
_PoolNoAcc = with_backward(P.MaxPool2d, _pool_backward_no_accumulate)
_Flatten = with_backward(P.Flatten, _flatten_backward_channels_last)


def im2col_backward_averages(input, kernel_size, dilation=1, padding=0, stride=1):
    p = C._pair
    return _Im2col.apply(input, p(kernel_size), p(dilation), C._symmetric(padding), p(stride))


def col2im_averages(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    p = C._pair
    return _fold_averaged(input, p(output_size), p(kernel_size), p(dilation),
                           C._symmetric(padding), p(stride))


def conv2d_backward_unflipped(input, weight, bias=None, stride=1, padding=0, dilation=1):
    stride, dilation = C._pair(stride), C._pair(dilation)
    pads = C._conv_pads(padding, weight.shape[-2:], dilation, stride)
    return _Conv.apply(input, weight, bias, stride, pads, dilation)


def conv2d_input_unflipped(input_size, weight, grad_output, stride=1, padding=0, dilation=1):
    return C.conv2d_input(input_size, weight.flip(2, 3), grad_output, stride, padding, dilation)


def _pool_args(kernel_size, stride, padding):
    kernel = P._pair(kernel_size)
    return kernel, kernel if stride is None else P._pair(stride), P._pair(padding)


def max_pool2d_spread(input, kernel_size, stride=None, padding=0):
    return _PoolSpread.apply(input, *_pool_args(kernel_size, stride, padding))


def max_pool2d_no_accumulate(input, kernel_size, stride=None, padding=0):
    return _PoolNoAcc.apply(input, *_pool_args(kernel_size, stride, padding))


def flatten_channels_last(input, start_dim=1, end_dim=-1):
    return _Flatten.apply(input, start_dim, end_dim)


class LinearBiasMean(L.Linear):
    def forward(self, input):
        return linear_bias_mean(input, self.weight, self.bias)


class Conv2dUnflipped(C.Conv2d):
    def forward(self, input):
        return conv2d_backward_unflipped(input, self.weight, self.bias, self.stride,
                                         self.padding, self.dilation)


# the manual ops backend with a max-pool that spreads its gradient over the window
CNN_OPS_SPREAD_POOL = SimpleNamespace(**{**vars(MANUAL), "max_pool2d": max_pool2d_spread})


# -- optimizers ---------------------------------------------------------------------------


class AdamWithoutBiasCorrection(O.Adam):
    def update(self, p, g, state, group):
        (beta1, beta2), eps = group["betas"], group["eps"]
        if "exp_avg" not in state:
            state["exp_avg"], state["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)
        self._step_count(state)
        m = state["exp_avg"].mul_(beta1).add_((1 - beta1) * g)
        v = state["exp_avg_sq"].mul_(beta2).add_((1 - beta2) * g * g)
        p.sub_(group["lr"] * m / (v.sqrt() + eps))  # m and v used raw: too small early on


class AdagradEpsInsideRoot(O.Adagrad):
    def update(self, p, g, state, group):
        step = self._step_count(state)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state["sum"].add_(g * g)
        p.sub_(clr * g / (state["sum"] + group["eps"]).sqrt())  # eps under the root


class SGDMomentumWrongSign(O.SGD):
    def update(self, p, g, state, group):
        b = state.get("momentum_buffer")
        b = g.clone() if b is None else group["momentum"] * b + g
        state["momentum_buffer"] = b
        p.add_(b, alpha=group["lr"])  # theta + eta b: climbs the hill


class RMSpropWithoutLeak(O.RMSprop):
    def update(self, p, g, state, group):
        if "square_avg" not in state:
            state["square_avg"] = torch.zeros_like(p)
        self._step_count(state)
        r = state["square_avg"].mul_(group["alpha"]).add_(g * g)  # (1 - alpha) forgotten
        p.sub_(group["lr"] * g / (r.sqrt() + group["eps"]))


# -- schedules, least squares, backprop, the neuron -----------------------------------------


class WarmupOneStepLate(S.WarmupLR):
    def lr_at(self, base, t):
        W = self.warmup_steps  # divides by W + 1: full rate one step after the warm-up ends
        if t < W + 1:
            return base * (self.start_factor + (1 - self.start_factor) * t / (W + 1))
        return super().lr_at(base, t)


class CosineFromStepZero(S.WarmupLR):
    def lr_at(self, base, t):
        if t < self.warmup_steps or self.decay == "constant":
            return super().lr_at(base, t)
        progress = min(t, self.total_steps) / self.total_steps  # forgot to start after warm-up
        return self.min_lr + (base - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2


def fit_line_bias_sign(x, y):
    w, b = LS.fit_line(x, y)
    return w, y.mean() + w * x.mean()  # b = y_mean + w x_mean: the sign of the shift


def fit_without_bias_column(X, y):
    w = torch.linalg.solve(X.T @ X, X.T @ y)  # forgot the column of ones
    return w, torch.zeros((), dtype=X.dtype, device=X.device)


def neuron_bias_subtracted(x1, x2, bias=-1.0):
    return x1 + x2 - bias
