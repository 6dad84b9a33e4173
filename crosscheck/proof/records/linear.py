"""The records of the neuron (计算一个神经元, 偏差的作用): the linear op, its module, and
the neuron with its bias."""
from crosscheck.proof.checks.families import COMPLEXES, FLOATS, INTEGERS
from crosscheck.proof.notes import errata as E
from crosscheck.proof.notes import formulas
from crosscheck.proof.records import samples as S
from crosscheck.proof.records.entry import Wrong, with_backward
from crosscheck.proof.records.kinds import function, module, notes_wrong, op, torch_names
from crosscheck.proof.records.sections import BIAS, NEURON
from manual import linear, neuron
from manual.linear import LinearFunction
from torch_ref import linear as ref_linear
from torch_ref import neuron as ref_neuron

_backward = LinearFunction.backward  # the right one, taken before any swap


def _bias_mean(ctx, grad):
    grad_x, grad_w, grad_b = _backward(ctx, grad)
    if grad_b is not None:  # the mean over the batch, not the sum
        grad_b = grad_b / grad.reshape(-1, grad.shape[-1]).shape[0]
    return grad_x, grad_w, grad_b


def _neuron_bias_subtracted(x1, x2, bias=-1.0):
    return x1 + x2 - bias


BIAS_MEAN = {"bias grad averaged": with_backward(LinearFunction, _bias_mean)
             .named("偏置的梯度取了平均")}
# ((args), {kwargs}, input shape); one input feature (the bound 1/sqrt(1)) and none (torch
# then draws no bias: the bound is 0)
CONFIGS = [((3, 4), {}, (5, 3)), ((6, 2), {"bias": False}, (2, 3, 6)),
           ((1, 2), {}, (4, 1)), ((0, 3), {}, (4, 0))]

OP = op("linear", NEURON, linear.linear, LinearFunction, ref_linear.linear, S.linear_samples,
        {**BIAS_MEAN,
         "notes: weighted average": notes_wrong(formulas.weighted_average, E.WEIGHTED_SUM,
                                                "笔记：加权平均"),
         "notes: one set of weights for all k":
             notes_wrong(formulas.output_without_k, E.OUTPUT_INDICES, "笔记：所有 k 共用一组权重")},
        torch_names("linear", "torch.nn.Linear", "torch.nn.functional.bilinear"),
        torch_name="nn.functional.linear", torch_dtypes=FLOATS + COMPLEXES + INTEGERS[:-1])
MODULE = module("Linear", NEURON, linear.Linear, ref_linear.Linear, CONFIGS, BIAS_MEAN,
                torch_names("linear", "torch.nn.Linear"))
NEURON_ENTRY = function("neuron", BIAS, neuron.neuron, ref_neuron.neuron, S.neuron_samples,
                        {"bias subtracted": Wrong(_neuron_bias_subtracted, zh="减去了偏置")},
                        torch_names("linear", "torch.nn.Linear"), group="ops")
