"""Loss functions: squared error, softmax and cross-entropy, derived by hand.

Notes sections: 反向传播 (the MSE error E), 交叉熵 (Cross-Entropy).

The notes' error E = 1/2 sum_i (target_i - out_i)^2 is ``0.5 * mse_loss(out, target,
reduction='sum')``; the 1/2 is there so that dE/dout = out - target carries no factor 2.
"""
import torch
from torch.autograd import Function

__all__ = ["cross_entropy", "log_softmax", "mse_loss", "softmax"]

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _unreduce(grad, shape, reduction, count):
    """The backward of _reduce: spread the upstream gradient back over every element."""
    if reduction == "none":
        return grad
    return grad.expand(shape) / (count if reduction == "mean" else 1)


def mse_loss_backward(grad, input, target):
    # d/dinput (input - target)^2 = 2 (input - target);  d/dtarget = -2 (input - target)
    return 2 * (input - target) * grad


class MSELoss(Function):
    @staticmethod
    def forward(ctx, input, target, reduction):
        ctx.save_for_backward(input, target)
        ctx.reduction = reduction
        return _reduce((input - target) ** 2, reduction)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        g = mse_loss_backward(_unreduce(grad, input.shape, ctx.reduction, input.numel()),
                              input, target)
        return g, -g, None


def _log_softmax(x, dim):
    # log-sum-exp with the max taken out first: exp never sees a positive argument.
    m = x.amax(dim, keepdim=True)
    shifted = x - m
    return shifted - torch.log(torch.exp(shifted).sum(dim, keepdim=True))


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        e = torch.exp(x - x.amax(dim, keepdim=True))
        s = e / e.sum(dim, keepdim=True)
        ctx.save_for_backward(s)
        ctx.dim = dim
        return s

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        # ds_i/dx_j = s_i (delta_ij - s_j)  =>  dE/dx = s * (g - sum_j g_j s_j)
        return s * (grad - (grad * s).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        y = _log_softmax(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        # dy_i/dx_j = delta_ij - s_j  =>  dE/dx = g - softmax * sum_i g_i
        return grad - torch.exp(y) * grad.sum(ctx.dim, keepdim=True), None


def cross_entropy_backward(grad, log_probs, target_probs):
    # d/dx_j -sum_c p_c log s_c = s_j sum_c p_c - p_j  (= s_j - p_j for a one-hot p)
    p = target_probs
    return grad * (torch.exp(log_probs) * p.sum(1, keepdim=True) - p)


class CrossEntropy(Function):
    """-sum_c p_c log softmax(x)_c per sample, for class indices or probabilities p."""

    @staticmethod
    def forward(ctx, x, target, reduction):
        logp = _log_softmax(x, 1)  # (N, C)
        if target.is_floating_point():
            p = target
        else:
            p = torch.zeros_like(logp).scatter_(1, target.unsqueeze(1), 1)  # one-hot
        ctx.save_for_backward(logp, p)
        ctx.reduction, ctx.soft = reduction, target.is_floating_point()
        return _reduce(-(p * logp).sum(1), reduction)

    @staticmethod
    def backward(ctx, grad):
        logp, p = ctx.saved_tensors
        g = _unreduce(grad, logp.shape[:1], ctx.reduction, logp.shape[0]).unsqueeze(1)
        grad_x = cross_entropy_backward(g, logp, p)
        grad_p = -g * logp if ctx.soft and ctx.needs_input_grad[1] else None
        return grad_x, grad_p, None


def mse_loss(input, target, reduction="mean"):
    _check_reduction(reduction)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input {tuple(input.shape)} and target "
                         f"{tuple(target.shape)} differ in shape")
    return MSELoss.apply(input, target, reduction)


def softmax(input, dim):
    return Softmax.apply(input, dim)


def log_softmax(input, dim):
    return LogSoftmax.apply(input, dim)


def cross_entropy(input, target, reduction="mean"):
    """Softmax cross-entropy of logits ``input`` (N, C) against class indices (N,) or
    class probabilities (N, C), e.g. one-hot rows."""
    _check_reduction(reduction)
    if input.dim() != 2:
        raise ValueError("cross_entropy: expected logits of shape (N, C), "
                         f"got {tuple(input.shape)}")
    expected = input.shape if target.is_floating_point() else input.shape[:1]
    if target.shape != expected:
        raise ValueError(f"cross_entropy: target shape {tuple(target.shape)} does not fit "
                         f"logits {tuple(input.shape)}")
    return CrossEntropy.apply(input, target, reduction)
