"""The registry: one entry per comparison of a manual piece with its torch twin.

Adding a concept means adding an entry here; pytest and ``handgrad check`` pick it up.
Sample generators are seeded and cover shapes, keyword arguments, and edge values: exact
zeros at kinks, +-800 for the saturating functions, logits of 1e4 for the softmax family.
"""
from functools import partial

import torch

from crosscheck import errata, wrong
from crosscheck.harness import Entry, Sample, check_op
from manual import activations, linear, losses
from torch_ref import activations as ref_activations
from torch_ref import linear as ref_linear
from torch_ref import losses as ref_losses


def randn(gen, shape, dtype, device, scale=1.0, grad=True):
    x = torch.randn(shape, generator=gen, dtype=torch.float64) * scale
    return x.to(device, dtype).requires_grad_(grad)


def const(values, dtype, device, grad=True):
    return torch.tensor(values, dtype=dtype, device=device, requires_grad=grad)


def pointwise(kwargs=(), extremes=False):
    """Random shapes, a tensor with exact zeros (the kink), and optionally +-800."""

    def samples(dtype, device, gen):
        for kw in ({},) + tuple(kwargs):
            yield Sample((randn(gen, (4, 7), dtype, device),), kw)
            yield Sample((randn(gen, (2, 3, 5), dtype, device, scale=4),), kw)
            # finite differences straddle a kink, so no gradcheck where x = 0 exactly
            yield Sample((const([-1.5, 0.0, 0.0, 2.0], dtype, device),), kw, gradcheck=False)
            if extremes:
                big = [-800.0, -60.0, -1e-9, 1e-9, 60.0, 800.0]
                yield Sample((const(big, dtype, device),), kw)

    return samples


def op(name, section, manual, reference, samples, wrong=None, **kw):
    check = partial(check_op, reference=reference, samples=samples)
    return Entry(name, section, kw.pop("group", "ops"), manual, check, wrong or {}, **kw)


def linear_samples(dtype, device, gen):
    yield Sample((randn(gen, (5, 3), dtype, device), randn(gen, (4, 3), dtype, device),
                  randn(gen, (4,), dtype, device)))
    yield Sample((randn(gen, (2, 3, 6, 3), dtype, device), randn(gen, (4, 3), dtype, device),
                  randn(gen, (4,), dtype, device)))
    yield Sample((randn(gen, (7, 2), dtype, device), randn(gen, (1, 2), dtype, device)))


def mse_samples(dtype, device, gen):
    for reduction in ("mean", "sum", "none"):
        x, t = randn(gen, (4, 5), dtype, device), randn(gen, (4, 5), dtype, device)
        yield Sample((x, t), {"reduction": reduction})


def softmax_samples(dtype, device, gen):
    for dim in (0, 1, -1):
        yield Sample((randn(gen, (3, 4, 5), dtype, device),), {"dim": dim})
    huge = randn(gen, (4, 6), dtype, device, scale=1e4, grad=False)  # exp(1e4) overflows
    yield Sample((huge.requires_grad_(),), {"dim": 1}, gradcheck=False)


def cross_entropy_samples(dtype, device, gen):
    labels = torch.tensor([0, 4, 2, 2, 1, 3], device=device)
    for reduction in ("mean", "sum", "none"):
        yield Sample((randn(gen, (6, 5), dtype, device), labels), {"reduction": reduction})
    probs = torch.softmax(torch.randn(6, 5, generator=gen, dtype=torch.float64), 1)
    yield Sample((randn(gen, (6, 5), dtype, device), probs.to(device, dtype).requires_grad_()))
    one_hot = torch.nn.functional.one_hot(labels, 5).to(dtype)
    yield Sample((randn(gen, (6, 5), dtype, device), one_hot))
    huge = randn(gen, (6, 5), dtype, device, scale=1e4)
    yield Sample((huge, labels), gradcheck=False)


SIGMOID = "激活函数: Sigmod 函数"
TANH = "激活函数: tanh 函数"
RELU = "ReLU 的好处 / ReLU 的新问题"
NEURON = "计算一个神经元的过程 / 隐藏层计算公式"
MSE = "反向传播: 数学建模 (MSE)"
XENT = "交叉熵 (Cross-Entropy)"

REGISTRY = [
    op("sigmoid", SIGMOID, activations.sigmoid, ref_activations.sigmoid,
       pointwise(extremes=True),
       {"seed: 1/(1-e^-y)": errata.seed_sigmoid,
        "seed: sigma(out)(1-sigma(out))": errata.seed_sigmoid_backward}),
    op("tanh", TANH, activations.tanh, ref_activations.tanh, pointwise(extremes=True),
       {"1 - t": wrong.tanh_one_minus_t}),
    op("relu", RELU, activations.relu, ref_activations.relu, pointwise(),
       {"relu'(0) = 1": wrong.relu_one_at_zero}),
    op("leaky_relu", RELU, activations.leaky_relu, ref_activations.leaky_relu,
       pointwise(({"negative_slope": 0.2},)), {"slope 1 at 0": wrong.leaky_relu_one_at_zero}),
    op("elu", RELU, activations.elu, ref_activations.elu, pointwise(({"alpha": 0.5},)),
       {"no alpha in e^x branch": wrong.elu_without_alpha}),
    op("gelu", RELU, activations.gelu, ref_activations.gelu,
       pointwise(({"approximate": "tanh"},)), {"Phi(x) only": wrong.gelu_cdf_only}),
    op("linear", NEURON, linear.linear, ref_linear.linear, linear_samples,
       {"bias grad averaged": wrong.linear_bias_mean}),
    op("mse_loss", MSE, losses.mse_loss, ref_losses.mse_loss, mse_samples,
       {"no factor 2": wrong.mse_without_two}),
    op("softmax", XENT, losses.softmax, ref_losses.softmax, softmax_samples,
       {"diagonal Jacobian": wrong.softmax_diagonal}),
    op("log_softmax", XENT, losses.log_softmax, ref_losses.log_softmax, softmax_samples,
       {"no sum over g": wrong.log_softmax_no_sum}),
    op("cross_entropy", XENT, losses.cross_entropy, ref_losses.cross_entropy,
       cross_entropy_samples, {"no 1/N": wrong.cross_entropy_no_mean}),
]
