"""The records of the losses and softmax (反向传播: MSE, 交叉熵)."""
import torch

from crosscheck.proof.checks.families import ANY, FLOATS
from crosscheck.proof.notes import errata as E
from crosscheck.proof.notes import formulas
from crosscheck.proof.records import samples as S
from crosscheck.proof.records.entry import ErrorInput, with_backward
from crosscheck.proof.records.kinds import notes_wrong, op, torch_names
from crosscheck.proof.records.sections import MSE, XENT
from crosscheck.proof.records.wrong import CAST, ONE_ROUNDING, opmath
from manual import losses
from manual.losses import CrossEntropy, LogSoftmax, MSELoss, Softmax
from torch_ref import losses as ref

_mse_backward = MSELoss.backward  # the right ones, taken before any swap
_cross_entropy_backward = CrossEntropy.backward


def _mse_without_two(ctx, grad):
    g, _, _ = _mse_backward(ctx, grad)
    return g / 2, -g / 2, None  # the 1/2 of E = 1/2 sum (.)^2 applied to plain MSE


def _softmax_diagonal(ctx, grad):
    (s,) = ctx.saved_tensors
    return grad * s * (1 - s), None  # only the diagonal of the Jacobian s_i (delta_ij - s_j)


def _log_softmax_no_sum(ctx, grad):
    (y,) = ctx.saved_tensors
    return grad - torch.exp(y), None  # dropped the sum over the upstream gradient


def _cross_entropy_no_mean(ctx, grad):
    grad_x, *rest = _cross_entropy_backward(ctx, grad)
    if ctx.reduction == "mean":  # forgot the 1/N of reduction='mean'
        x, target, weight = ctx.saved_tensors
        _, total = losses.target_distribution(x, target, weight, ctx.ignore_index, ctx.eps)
        grad_x = grad_x * total
    return grad_x, *rest


HALF = opmath(losses, "in float16/bfloat16 throughout")
# the complex input is cast to the real dtype asked for first, as torch does
SOFTMAX_CONTROLS = {"half": HALF, "integer": ({}, CAST), "complex": (
    {}, "the complex input is cast to the real dtype asked for first, as torch does")}


def _targets(n, value=0):
    return torch.full((n,), value, dtype=torch.long)


def _logits(*shape):
    return torch.ones(*shape, dtype=torch.float64)  # (the values do not matter: the shapes do)


SCALAR = (torch.tensor(1.0, dtype=torch.float64), torch.tensor(0))
ROWS = (_logits(3, 4), _targets(3))
ERRORS = (
    ErrorInput(SCALAR, {}, "C >= 1"),
    ErrorInput((_logits(3, 0), _targets(3)), {}, "C >= 1"),
    ErrorInput((_logits(3, 4), _targets(2)), {}, "target shape"),
    ErrorInput(ROWS, {"weight": torch.ones(3, dtype=torch.float64)}, "weight"),
    ErrorInput(ROWS, {"label_smoothing": 1.5}, "[0, 1]"),
    ErrorInput(ROWS, {"label_smoothing": -0.1}, "[0, 1]", torch_refuses=False),
    ErrorInput((_logits(3, 4), _targets(3, 4)), {}, "outside"),
    ErrorInput(ROWS, {"size_average": True}, "reduction", torch_refuses=False),  # deprecated
    ErrorInput(ROWS, {"reduce": False}, "reduction", torch_refuses=False),  # in torch
    ErrorInput(ROWS, {"reduction": "avg"}, "reduction"))

ENTRIES = [
    op("mse_loss", MSE, losses.mse_loss, MSELoss, ref.mse_loss, S.mse_samples,
       {"no factor 2": with_backward(MSELoss, _mse_without_two).named("缺少因子 2")},
       torch_names("mse_loss", "torch.nn.MSELoss"), torch_name="nn.functional.mse_loss",
       torch_dtypes=FLOATS, controls={"half": ({}, ONE_ROUNDING)}),
    op("softmax", XENT, losses.softmax, Softmax, ref.softmax, S.softmax_samples,
       {"diagonal Jacobian": with_backward(Softmax, _softmax_diagonal)
        .named("只用了雅可比矩阵（Jacobian）的对角线")},
       torch_names("softmax", "torch.special.softmax", "torch.nn.Softmax"),
       torch_name="softmax", torch_dtypes=ANY, controls=SOFTMAX_CONTROLS),
    op("log_softmax", XENT, losses.log_softmax, LogSoftmax, ref.log_softmax,
       S.softmax_samples,
       {"no sum over g": with_backward(LogSoftmax, _log_softmax_no_sum).named("缺少对 g 的求和")},
       torch_names("log_softmax", "torch.special.log_softmax", "torch.nn.LogSoftmax"),
       torch_name="log_softmax", torch_dtypes=ANY, controls=SOFTMAX_CONTROLS),
    op("cross_entropy", XENT, losses.cross_entropy, CrossEntropy, ref.cross_entropy,
       S.cross_entropy_samples,
       {"no 1/N": with_backward(CrossEntropy, _cross_entropy_no_mean).named("缺少 1/N"),
        "notes: one-hot outputs": notes_wrong(formulas.one_hot_outputs, E.ONE_HOT_TARGETS,
                                              "笔记：把输出变成独热向量")},
       torch_names("cross_entropy", "torch.nn.CrossEntropyLoss", "torch.nn.functional.nll_loss",
                   "torch.nn.NLLLoss", "torch.log_softmax", "torch.nn.functional.log_softmax",
                   "torch.special.log_softmax"),
       torch_name="nn.functional.cross_entropy", torch_dtypes=FLOATS, controls={"half": HALF},
       error_inputs=ERRORS),
]
