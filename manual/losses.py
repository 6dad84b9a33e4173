"""Loss functions: squared error, softmax and cross-entropy, derived by hand.

Notes sections: 反向传播 (the MSE error E), 交叉熵 (Cross-Entropy).

The notes' error E = 1/2 sum_i (target_i - out_i)^2 is ``0.5 * mse_loss(out, target,
reduction='sum')``; the 1/2 is there so that dE/dout = out - target carries no factor 2.
"""
from __future__ import annotations

import torch

from manual import Function, NotSupported, apply, only_floating, opmath, readable

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


def mse_loss_backward(grad: torch.Tensor, input: torch.Tensor, target: torch.Tensor
                     ) -> torch.Tensor:
    # d/dinput (input - target)^2 = 2 (input - target);  d/dtarget = -2 (input - target)
    return 2 * (input - target) * grad


class MSELoss(Function):
    @staticmethod
    def forward(input, target, reduction):
        return _reduce((input - target) ** 2, reduction)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, ctx.reduction = inputs
        ctx.save_for_backward(input, target)
        ctx.save_for_forward(input, target)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        g = mse_loss_backward(_unreduce(grad, input.shape, ctx.reduction, input.numel()),
                              input, target).contiguous()  # as torch's: contiguous
        return g, -g, None

    @staticmethod
    def jvp(ctx, input_t, target_t, _):
        # d (x - t)^2 = 2 (x - t)(dx - dt), reduced as the loss is
        input, target = ctx.saved_tensors
        d = torch.zeros((), dtype=input.dtype, device=input.device)
        d = d + input_t if input_t is not None else d
        d = d - target_t if target_t is not None else d
        return _reduce(mse_loss_backward(d, input, target), ctx.reduction)


def _shifted(x, dim):
    # x - max x along dim: exp never sees a positive argument (an empty dim has no max)
    return x - x.amax(dim, keepdim=True) if x.numel() else x


def _log_softmax(x, dim):
    # log-sum-exp with the max taken out first
    shifted = _shifted(x, dim)
    return shifted - torch.log(torch.exp(shifted).sum(dim, keepdim=True))


def softmax_backward(grad: torch.Tensor, output: torch.Tensor, dim: int) -> torch.Tensor:
    # ds_i/dx_j = s_i (delta_ij - s_j)  =>  dE/dx = s * (g - sum_j g_j s_j)
    s = output
    return (s * (grad - (grad * s).sum(dim, keepdim=True))).contiguous()  # as torch's


class Softmax(Function):
    @staticmethod
    def forward(x, dim):
        e = torch.exp(_shifted(x, dim))
        return (e / e.sum(dim, keepdim=True)).contiguous()  # as torch's: contiguous

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim = inputs[1]
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad):
        return softmax_backward(grad, *ctx.saved_tensors, ctx.dim), None

    @staticmethod
    def jvp(ctx, tangent, _):
        # the Jacobian s_i (delta_ij - s_j) is symmetric: J v is the backward's formula on v
        return softmax_backward(tangent, *ctx.saved_tensors, ctx.dim)


class LogSoftmax(Function):
    @staticmethod
    def forward(x, dim):
        return _log_softmax(x, dim).contiguous()  # as torch's: contiguous

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim = inputs[1]
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        # dy_i/dx_j = delta_ij - s_j  =>  v^T J = g - s sum_i g_i
        return (grad - torch.exp(y) * grad.sum(ctx.dim, keepdim=True)).contiguous(), None

    @staticmethod
    def jvp(ctx, tangent, _):
        (y,) = ctx.saved_tensors
        # the same Jacobian from the other side:  J v = v - sum_j s_j v_j
        return tangent - (torch.exp(y) * tangent).sum(ctx.dim, keepdim=True)


def cross_entropy_backward(grad: torch.Tensor, log_probs: torch.Tensor, target_probs: torch.Tensor
                          ) -> torch.Tensor:
    # d/dx_j -sum_c q_c log s_c = s_j sum_c q_c - q_j  (= s_j - q_j for a one-hot q)
    q = target_probs
    return grad * (torch.exp(log_probs) * q.sum(1, keepdim=True) - q)


def _rows(x):
    """(N, C, d1, ...) -> (M, C), one row per prediction; an unbatched (C,) -> (1, C)."""
    if x.dim() == 1:
        return x.reshape(1, -1)
    return x.movedim(1, -1).reshape(-1, x.shape[1])


def _unrows(rows, shape):
    """The inverse of _rows."""
    if len(shape) == 1:
        return rows.reshape(shape)
    return rows.reshape(shape[0], *shape[2:], shape[1]).movedim(-1, 1)


def target_distribution(x: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None,
                        ignore_index: int, eps: float) -> tuple:
    """The target distribution q (M, C) of every prediction, and the divisor of 'mean':

        class index y:   q = valid * ((1 - eps) w_y onehot(y) + (eps / C) w)
        probabilities p: q = ((1 - eps) p + eps / C) w

    'mean' divides by the total weight of the valid targets, sum_m valid_m w_(y_m) (the count
    of valid targets without weights; torch's weighted mean), and by the number of
    predictions for probability targets."""
    C = x.shape[0 if x.dim() == 1 else 1]
    w = torch.ones(C, dtype=x.dtype, device=x.device) if weight is None else weight
    if target.is_floating_point():
        q = ((1 - eps) * _rows(target) + eps / C) * w
        return q, q.shape[0]
    y = target.reshape(-1)
    valid = (y != ignore_index).to(x.dtype)
    y = torch.where(y == ignore_index, 0, y)
    wy = w[y] * valid  # (M,): the weight of each prediction's class, 0 if ignored
    onehot = torch.zeros(y.shape[0], C, dtype=x.dtype, device=x.device).scatter(1, y[:, None], 1)
    q = (1 - eps) * wy[:, None] * onehot + (eps / C) * w * valid[:, None]
    return q, wy.sum()


def _reduce_rows(loss, reduction, total, x):
    """The losses of the M predictions reduced as torch's: the (weighted) mean, the sum, or
    one per prediction in the batch's shape."""
    if reduction == "mean":
        return loss.sum() / total
    if reduction == "sum":
        return loss.sum()
    return loss.reshape(x.shape[:1] + x.shape[2:] if x.dim() > 1 else ())


class CrossEntropy(Function):
    """Per prediction m, -sum_c q_mc log softmax(x_m)_c, q the target distribution (which
    carries the class weights, the label smoothing and the ignored targets)."""

    @staticmethod
    def forward(x, target, weight, reduction, ignore_index, eps):
        q, total = target_distribution(x, target, weight, ignore_index, eps)
        loss = -(q * _log_softmax(_rows(x), 1)).sum(1)  # (M,)
        return _reduce_rows(loss, reduction, total, x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, target, weight, ctx.reduction, ctx.ignore_index, ctx.eps = inputs
        ctx.save_for_backward(x, target, weight)
        ctx.save_for_forward(x, target, weight)

    @staticmethod
    def backward(ctx, grad):
        # Written in differentiable operations of the inputs (the log-probabilities
        # recomputed through LogSoftmax, whose backward is hand-derived too), so that the
        # second derivative follows: d^2 loss / dx_m^2 = sum_c q_mc (diag(s_m) - s_m s_m^T)
        x, target, weight = ctx.saved_tensors
        logp = apply(LogSoftmax, _rows(x), 1)
        q, total = target_distribution(x, target, weight, ctx.ignore_index, ctx.eps)
        if ctx.reduction == "none":
            g = grad.reshape(-1, 1)
        else:  # d(sum)/d loss_m = 1;  d(mean)/d loss_m = 1 / total
            g = grad / (total if ctx.reduction == "mean" else 1)
        grad_x = _unrows(cross_entropy_backward(g, logp, q), x.shape).contiguous()
        grad_p = None
        if ctx.needs_input_grad[1]:  # d/dp_c of -sum_c q_c log s_c = -(1 - eps) w_c log s_c
            w = 1 if weight is None else weight
            grad_p = _unrows(-(1 - ctx.eps) * w * logp * g, target.shape).contiguous()
        return grad_x, grad_p, None, None, None, None

    @staticmethod
    def jvp(ctx, x_t, target_t, weight_t, *_):
        # loss_m = -sum_c q_mc log s_mc, with q linear in the class weights w and, for
        # probability targets, in p; so in the direction (dx, dp, dw):
        #   d loss_m = -sum_c q_mc d(log s)_mc - sum_c dq_mc log s_mc,
        #   d(log s) = dx - sum_k s_k dx_k (LogSoftmax's jvp),
        #   dq = q at the weights dw + (1 - eps) w dp
        # and 'mean', S / T with T the weighted count (linear in w too), has d = (dS - S dT / T) / T
        x, target, weight = ctx.saved_tensors
        logp = apply(LogSoftmax, _rows(x), 1)
        q, total = target_distribution(x, target, weight, ctx.ignore_index, ctx.eps)
        dx = _rows(x_t)
        d = -(q * (dx - (torch.exp(logp) * dx).sum(1, keepdim=True))).sum(1)
        dq, dtotal = torch.zeros_like(q), 0
        if weight_t is not None:
            dq, dtotal = target_distribution(x, target, weight_t, ctx.ignore_index, ctx.eps)
        if target.is_floating_point():  # a mean over probability targets divides by M
            dtotal = 0
            if target_t is not None:
                dq = dq + (1 - ctx.eps) * _rows(target_t) * (1 if weight is None else weight)
        d = d - (dq * logp).sum(1)
        if ctx.reduction == "mean":
            return (d.sum() + (q * logp).sum() * dtotal / total) / total
        return _reduce_rows(d, ctx.reduction, total, x)


def mse_loss(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    _check_reduction(reduction)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input {tuple(input.shape)} and target "
                         f"{tuple(target.shape)} differ in shape")
    only_floating("mse_loss", input)
    (x, result), (t, _) = opmath(input), opmath(target)
    return apply(MSELoss, x, t, reduction).to(result)


def _softmax(function, name, input, dim, dtype):
    if dtype is not None:  # torch casts the input first
        input = input.to(dtype)
    only_floating(name, input)
    x, result = opmath(input)
    return apply(function, x, dim).to(result)


def softmax(input: torch.Tensor, dim: int, dtype: torch.dtype | None = None) -> torch.Tensor:
    return _softmax(Softmax, "softmax", input, dim, dtype)


def log_softmax(input: torch.Tensor, dim: int, dtype: torch.dtype | None = None) -> torch.Tensor:
    return _softmax(LogSoftmax, "log_softmax", input, dim, dtype)


def _check_cross_entropy(input, target, weight, label_smoothing):
    C = input.shape[0 if input.dim() == 1 else 1] if input.dim() else 0
    if input.dim() == 0 or C == 0:
        raise ValueError(f"cross_entropy: expected logits (C,) or (N, C, ...) with C >= 1, "
                         f"got {tuple(input.shape)}")
    batch = input.shape[:1] + input.shape[2:] if input.dim() > 1 else ()
    expected = input.shape if target.is_floating_point() else batch
    if tuple(target.shape) != tuple(expected):
        raise ValueError(f"cross_entropy: target shape {tuple(target.shape)} does not fit "
                         f"logits {tuple(input.shape)} (expected {tuple(expected)})")
    if weight is not None and tuple(weight.shape) != (C,):
        raise ValueError(f"cross_entropy: weight must have one entry per class ({C}), got "
                         f"{tuple(weight.shape)}")
    if weight is not None and weight.requires_grad and torch.is_grad_enabled():
        raise NotSupported("cross_entropy", "weight", "a weight that requires grad",
                           "torch's is not differentiable with respect to it either")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], "
                         f"got {label_smoothing}")


def cross_entropy(input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean", label_smoothing: float = 0.0
                 ) -> torch.Tensor:
    """Softmax cross-entropy of logits ``input`` (N, C), (N, C, d1, ...) or unbatched (C,)
    against class indices (N, d1, ...) or class probabilities of the input's shape (e.g.
    one-hot rows), as torch's: per-class ``weight``, ``ignore_index``, ``label_smoothing``."""
    _check_reduction(reduction)
    for name, value in (("size_average", size_average), ("reduce", reduce)):
        if value is not None:
            raise NotSupported("cross_entropy", name, detail="deprecated in torch: use reduction")
    only_floating("cross_entropy", input)
    _check_cross_entropy(input, target, weight, label_smoothing)
    if not target.is_floating_point():
        C = input.shape[0 if input.dim() == 1 else 1]
        outside = ((target < 0) | (target >= C)) & (target != ignore_index)
        if readable(outside) and bool(outside.any()):
            raise ValueError(f"cross_entropy: a target class is outside [0, {C})")
    x, result = opmath(input)
    if target.is_floating_point():
        target = target.to(x.dtype)
    weight = None if weight is None else weight.to(x.dtype)
    return apply(CrossEntropy, x, target, weight, reduction, ignore_index,
                              label_smoothing).to(result)
