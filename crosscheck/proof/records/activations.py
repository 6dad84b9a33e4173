"""The records of the activations (激活函数, ReLU 的好处): each op's samples, its controls
(the slips a derivation makes, beside it), what it re-derives, and its OpInfo record."""
import torch

from crosscheck.proof.checks.families import ANY, FLOATS, INTEGERS
from crosscheck.proof.notes import errata as E
from crosscheck.proof.notes import formulas
from crosscheck.proof.records import samples as S
from crosscheck.proof.records.entry import swap, with_backward
from crosscheck.proof.records.kinds import notes_wrong, op, torch_names
from crosscheck.proof.records.sections import RELU, SIGMOID, TANH
from crosscheck.proof.records.wrong import ONE_ROUNDING, graphless, opmath, slope_one
from manual import activations
from manual.activations import ELU, GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from torch_ref import activations as ref


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


# torch's samples hold no exact zeros and elu's only at alpha = 1, where the controls of our
# samples (a kink, alpha) do not show: these ops get a conformance control the samples reach
NEGATIVE_SLOPE_ONE = "slope 1 on the negative side"
NEGATIVE_SIDE = "负半轴上斜率为 1"
SAME = "in the input's dtype"
HALF = "in float16/bfloat16 throughout"

ENTRIES = [
    op("sigmoid", SIGMOID, activations.sigmoid, Sigmoid, ref.sigmoid,
       S.pointwise(extremes=True),
       {"notes: 1/(1-e^-y)": notes_wrong(formulas.notes_sigmoid, E.SIGMOID_SIGN,
                                         "笔记：1/(1-e^-y)"),
        "notes: sigma(out)(1-sigma(out))":
            with_backward(Sigmoid, formulas.sigmoid_of_output_backward, E.SIGMA_OF_OUTPUT)
            .named("笔记：sigma(out)(1-sigma(out))")},
       torch_names("sigmoid", "torch.special.expit", "torch.nn.Sigmoid"),
       torch_name="sigmoid", torch_dtypes=ANY,
       controls={"integer": opmath(activations, SAME), "half": opmath(activations, HALF)}),
    op("tanh", TANH, activations.tanh, Tanh, ref.tanh, S.pointwise(extremes=True),
       {"1 - t instead of 1 - t^2":
            with_backward(Tanh, _tanh_one_minus_t).named("写成 1 - t 而不是 1 - t^2")},
       torch_names("tanh", "torch.nn.Tanh"), torch_name="tanh", torch_dtypes=ANY,
       controls={"integer": opmath(activations, SAME), "half": opmath(activations, HALF)}),
    op("relu", RELU, activations.relu, ReLU, ref.relu, S.pointwise(),
       {"relu'(0) = 1": swap(ReLU, _ReLUOneAtZero).named("relu'(0) = 1")},
       torch_names("relu", "torch.nn.ReLU"), torch_name="nn.functional.relu",
       torch_dtypes=FLOATS + INTEGERS[:-1],
       controls={"conformance": ({NEGATIVE_SLOPE_ONE: slope_one(ReLU, NEGATIVE_SIDE)}, ""),
                 "gradgrad": graphless(ReLU)}),
    op("leaky_relu", RELU, activations.leaky_relu, LeakyReLU, ref.leaky_relu,
       S.pointwise(({"negative_slope": 0.2},)),
       {"slope 1 at 0": with_backward(LeakyReLU, _leaky_one_at_zero).named("在 0 处斜率为 1")},
       torch_names("leaky_relu", "torch.nn.LeakyReLU"), torch_name="nn.functional.leaky_relu",
       torch_dtypes=FLOATS,
       controls={"conformance": ({NEGATIVE_SLOPE_ONE: slope_one(LeakyReLU, NEGATIVE_SIDE)}, ""),
                 "gradgrad": graphless(LeakyReLU), "half": ({}, ONE_ROUNDING)}),
    op("elu", RELU, activations.elu, ELU, ref.elu, S.pointwise(({"alpha": 0.5},)),
       {"no alpha in e^x branch":
            with_backward(ELU, _elu_without_alpha).named("e^x 分支缺少 alpha")},
       torch_names("elu", "torch.nn.ELU"), torch_name="nn.functional.elu", torch_dtypes=FLOATS,
       controls={"conformance": ({NEGATIVE_SLOPE_ONE: slope_one(ELU, NEGATIVE_SIDE)}, ""),
                 "half": ({}, ONE_ROUNDING)}),
    op("gelu", RELU, activations.gelu, GELU, ref.gelu, S.pointwise(({"approximate": "tanh"},)),
       {"Phi(x) only": with_backward(GELU, _gelu_cdf_only).named("只有 Phi(x)")},
       torch_names("gelu", "torch.nn.GELU"), torch_name="nn.functional.gelu",
       torch_dtypes=FLOATS, controls={"half": opmath(activations, HALF)}),
]
