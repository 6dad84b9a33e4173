"""The registry: one entry per comparison of a manual piece with its torch twin.

Adding a concept means adding an entry here; pytest and ``handgrad check`` pick it up.
Sample generators are seeded and cover shapes, keyword arguments, and edge values: exact
zeros at kinks, +-800 for the saturating functions, logits of 1e4 for the softmax family.
Each entry's negative controls (``Wrong``) must be rejected by its check; those that are the
notes' own slips carry their erratum (crosscheck/proof/notes/errata.py).
"""
import torch

from crosscheck.proof.checks.fit_checks import GD_WHY, check_gd_line
from crosscheck.proof.checks.functions import check_paths
from crosscheck.proof.checks.harness import check_module, check_op
from crosscheck.proof.checks.optim_checks import (
    Setup,
    check_differs,
    check_optimizer,
    check_schedule,
)
from crosscheck.proof.checks.optim_edges import GROUP_OPTIONS, SPARSE, check_groups, check_sparse
from crosscheck.proof.checks.twins import check_compiled_cnn, check_twin_cnn
from crosscheck.proof.notes import errata as E
from crosscheck.proof.notes import formulas
from crosscheck.proof.records import samples as S
from crosscheck.proof.records import wrong as W
from crosscheck.proof.records.backends import MANUAL, TORCH
from crosscheck.proof.records.entry import Entry, Piece, Wrong, swap, with_backward
from crosscheck.proof.torch_suite import conformance
from crosscheck.proof.torch_suite.configs import check_torch_configs
from manual import (
    activations,
    backprop,
    conv,
    least_squares,
    linear,
    losses,
    neuron,
    optim,
    pooling,
    schedules,
)
from torch_ref import activations as ref_activations
from torch_ref import backprop as ref_backprop
from torch_ref import conv as ref_conv
from torch_ref import least_squares as ref_least_squares
from torch_ref import linear as ref_linear
from torch_ref import losses as ref_losses
from torch_ref import neuron as ref_neuron
from torch_ref import optim as ref_optim
from torch_ref import pooling as ref_pooling
from torch_ref import schedules as ref_schedules

# torch's per-parameter state of each optimizer (the check holds the manual keys to them)
STATE_KEYS = {"SGD": ("momentum_buffer",), "Adagrad": ("step", "sum"),
              "RMSprop": ("step", "square_avg", "momentum_buffer", "grad_avg"),
              "Adam": ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")}


def torch_names(name, *also):
    """What an op re-derives: torch's function, functional and tensor method of its name,
    and ``also`` (its aliases and module)."""
    return (f"torch.{name}", f"torch.nn.functional.{name}", f"torch.Tensor.{name}",
            f"torch.Tensor.{name}_", *also)


def op(name, section, manual, function, reference, samples, wrong, builtins, **kw):
    """An op: an autograd Function (whose backward a learner derives) behind ``manual``."""
    piece = Piece(manual.__name__, "backward", function, builtins=builtins)
    return Entry(name, section, "ops", "op", manual, check_op, reference, samples, wrong,
                 piece, **kw)


def function(name, section, manual, reference, samples, wrong, builtins, group="fit", **kw):
    """A plain function of tensors, derived whole."""
    return Entry(name, section, group, "function", manual, check_op, reference, samples, wrong,
                 Piece(manual.__name__, "body", builtins=builtins), **kw)


def module(name, section, manual, reference, configs, wrong, builtins):
    return Entry(name, section, "ops", "module", manual, check_module, reference, configs,
                 wrong, Piece(manual.__name__, builtins=builtins))


# an optimizer, a schedule: torch's, any of them (the interfaces, Optimizer and
# LRScheduler, are every piece's to use: crosscheck/grading/handmade.py)
OPTIMIZERS = ("torch.optim",)


def optimizer_piece(cls):
    return Piece(cls.__name__, "update", state_keys=STATE_KEYS[cls.__name__],
                 builtins=OPTIMIZERS)


def optimizer(name, section, manual, reference, kwargs, wrong, convention=False, **kw):
    return Entry(name, section, "optim", "optimizer", manual, check_optimizer, reference,
                 Setup(kwargs, **kw), wrong, optimizer_piece(manual), convention)


def differs(name, section, manual, reference, kwargs, ref_kwargs, schedule, scale=1.0):
    why = "the row shows a measured difference; the control is its equal-path twin"
    return Entry(name, section, "convention", "optimizer", manual, check_differs, reference,
                 Setup(kwargs, ref_kwargs, schedule, scale=scale), piece=optimizer_piece(manual),
                 convention=True, dtypes=(torch.float64,), why_no_wrong=why)


def schedule(name, kwargs, wrong):
    return Entry(name, WARMUP, "schedule", "schedule", schedules.WarmupLR, check_schedule,
                 ref_schedules.WarmupLR, kwargs, wrong,
                 Piece("WarmupLR", "lr_at", builtins=OPTIMIZERS),
                 dtypes=(torch.float64,))


def notes_wrong(impl, erratum):
    return Wrong(impl, erratum=erratum)


SIGMOID = "激活函数: Sigmod 函数"
TANH = "激活函数: tanh 函数"
RELU = "ReLU 的好处 / ReLU 的新问题"
NEURON = "计算一个神经元的过程 / 隐藏层计算公式"
MSE = "反向传播: 数学建模 (MSE)"
XENT = "交叉熵 (Cross-Entropy)"
CONV = "卷积核 / 卷积核的运算规则 / 填充"
POOL = "最大池化 (Max Pooling)"
FLAT = "扁平化处理 (flatten)"
CNN = "卷积神经网络 / 神经网络的接入"
GD = "梯度下降 / 随机梯度下降 (Mini Batch GD)"
MOMENTUM = "动量梯度下降算法 (Momentum GD)"
ADAGRAD = "学习率的优化: AdaGrad"
RMSPROP = "学习率的优化: RMSProp"
ADAM = "Adam 算法"
WARMUP = "学习率的优化 (Warm Up)"
LSQ = "最小二乘法拟合直线 (求解过程)"
BGD = "梯度下降 / 批量梯度下降 (Batch GD) / 停止条件"
BACKPROP = "正向传播 / 反向传播 (数学建模, 代码实现思路)"
BIAS = "偏差的作用 (Bias)"
WD = 1e-2

# ((args), {kwargs}, input shape); one input feature (the bound 1/sqrt(1)) and none (torch
# then draws no bias: the bound is 0)
LINEAR_CONFIGS = [((3, 4), {}, (5, 3)), ((6, 2), {"bias": False}, (2, 3, 6)),
                  ((1, 2), {}, (4, 1)), ((0, 3), {}, (4, 0))]
CONV2D_CONFIGS = [((1, 4, 3), {"padding": 1}, (2, 1, 13, 11)),
                  ((3, 2, 5), {"stride": 2, "padding": "valid"}, (1, 3, 13, 11)),
                  ((3, 2, 4), {"padding": "same"}, (1, 3, 8, 7)),
                  ((4, 6, (3, 2)), {"groups": 2}, (2, 4, 7, 6))]  # defaults, fan_in 2*3*2

WRONG_SIGN = {"momentum with the wrong sign": Wrong(W.SGDMomentumWrongSign)}
NO_LEAK = {"no (1 - alpha)": Wrong(W.RMSpropWithoutLeak)}
NO_BIAS_CORRECTION = {"no bias correction": Wrong(W.AdamWithoutBiasCorrection)}
EPS_INSIDE_ROOT = {"eps inside the root": Wrong(W.AdagradEpsInsideRoot)}
ONE_STEP_LATE = {"full rate one step late": Wrong(W.WarmupOneStepLate)}
NOTES_MOMENTUM = {"lr": 0.05, "momentum": 0.9, "lr_in_velocity": True}
TORCH_MOMENTUM = {"lr": 0.05, "momentum": 0.9}

# the built-in convolutions, of an input or a kernel; the solvers of a least-squares fit
CONVOLUTIONS = (*torch_names("conv2d", "torch.nn.Conv2d", "torch.convolution",
                             "torch.nn.functional.conv_transpose2d", "torch.conv_transpose2d",
                             "torch.nn.grad", "torch._convolution"),)
SOLVERS = ("torch.linalg.lstsq", "torch.linalg.pinv", "torch.lstsq", "torch.pinverse",
           "numpy.polyfit", "numpy.linalg.lstsq")  # (a linear system solved is arithmetic)

REGISTRY = [
    op("sigmoid", SIGMOID, activations.sigmoid, activations.Sigmoid, ref_activations.sigmoid,
       S.pointwise(extremes=True),
       {"notes: 1/(1-e^-y)": notes_wrong(formulas.notes_sigmoid, E.SIGMOID_SIGN),
        "notes: sigma(out)(1-sigma(out))":
            with_backward(activations.Sigmoid, formulas.sigmoid_of_output_backward,
                          E.SIGMA_OF_OUTPUT)},
       torch_names("sigmoid", "torch.special.expit", "torch.nn.Sigmoid")),
    op("tanh", TANH, activations.tanh, activations.Tanh, ref_activations.tanh,
       S.pointwise(extremes=True), {"1 - t instead of 1 - t^2": W.TANH_ONE_MINUS_T},
       torch_names("tanh", "torch.nn.Tanh")),
    op("relu", RELU, activations.relu, activations.ReLU, ref_activations.relu, S.pointwise(),
       {"relu'(0) = 1": W.RELU_ONE_AT_ZERO}, torch_names("relu", "torch.nn.ReLU")),
    op("leaky_relu", RELU, activations.leaky_relu, activations.LeakyReLU,
       ref_activations.leaky_relu, S.pointwise(({"negative_slope": 0.2},)),
       {"slope 1 at 0": W.LEAKY_ONE_AT_ZERO}, torch_names("leaky_relu", "torch.nn.LeakyReLU")),
    op("elu", RELU, activations.elu, activations.ELU, ref_activations.elu,
       S.pointwise(({"alpha": 0.5},)), {"no alpha in e^x branch": W.ELU_WITHOUT_ALPHA},
       torch_names("elu", "torch.nn.ELU")),
    op("gelu", RELU, activations.gelu, activations.GELU, ref_activations.gelu,
       S.pointwise(({"approximate": "tanh"},)), {"Phi(x) only": W.GELU_CDF_ONLY},
       torch_names("gelu", "torch.nn.GELU")),
    op("linear", NEURON, linear.linear, linear.LinearFunction, ref_linear.linear,
       S.linear_samples,
       {"bias grad averaged": W.LINEAR_BIAS_MEAN,
        "notes: weighted average": notes_wrong(formulas.weighted_average, E.WEIGHTED_SUM),
        "notes: one set of weights for all k":
            notes_wrong(formulas.output_without_k, E.OUTPUT_INDICES)},
       torch_names("linear", "torch.nn.Linear", "torch.nn.functional.bilinear")),
    op("mse_loss", MSE, losses.mse_loss, losses.MSELoss, ref_losses.mse_loss, S.mse_samples,
       {"no factor 2": W.MSE_WITHOUT_TWO}, torch_names("mse_loss", "torch.nn.MSELoss")),
    op("softmax", XENT, losses.softmax, losses.Softmax, ref_losses.softmax, S.softmax_samples,
       {"diagonal Jacobian": W.SOFTMAX_DIAGONAL},
       torch_names("softmax", "torch.special.softmax", "torch.nn.Softmax")),
    op("log_softmax", XENT, losses.log_softmax, losses.LogSoftmax, ref_losses.log_softmax,
       S.softmax_samples, {"no sum over g": W.LOG_SOFTMAX_NO_SUM},
       torch_names("log_softmax", "torch.special.log_softmax", "torch.nn.LogSoftmax")),
    op("cross_entropy", XENT, losses.cross_entropy, losses.CrossEntropy,
       ref_losses.cross_entropy, S.cross_entropy_samples,
       {"no 1/N": W.CROSS_ENTROPY_NO_MEAN,
        "notes: one-hot outputs": notes_wrong(formulas.one_hot_outputs, E.ONE_HOT_TARGETS)},
       torch_names("cross_entropy", "torch.nn.CrossEntropyLoss", "torch.nn.functional.nll_loss",
                   "torch.nn.NLLLoss", "torch.log_softmax", "torch.nn.functional.log_softmax",
                   "torch.special.log_softmax")),
    module("Linear", NEURON, linear.Linear, ref_linear.Linear, LINEAR_CONFIGS,
           {"bias grad averaged": W.LINEAR_BIAS_MEAN},
           torch_names("linear", "torch.nn.Linear")),
    op("im2col", CONV, conv.im2col, conv.Im2col, ref_conv.im2col, S.im2col_samples,
       {"backward averages overlaps": W.IM2COL_BACKWARD_AVERAGES},
       torch_names("unfold", "torch.nn.Unfold", "torch.im2col")),
    op("col2im", CONV, conv.col2im, conv.Col2im, ref_conv.col2im, S.col2im_samples,
       {"overlaps averaged": W.COL2IM_AVERAGES},
       torch_names("fold", "torch.nn.Fold", "torch.col2im")),
    op("conv2d", CONV, conv.conv2d, conv.Conv2dFunction, ref_conv.conv2d, S.conv2d_samples,
       {"backward without the kernel flip": W.CONV_UNFLIPPED}, CONVOLUTIONS),
    function("conv2d_input", CONV, conv.conv2d_input, ref_conv.conv2d_input,
             S.conv2d_input_samples, {"kernel not flipped": W.CONV2D_INPUT_UNFLIPPED},
             CONVOLUTIONS, group="ops"),
    module("Conv2d", CONV, conv.Conv2d, ref_conv.Conv2d, CONV2D_CONFIGS,
           {"backward without the kernel flip": W.CONV_UNFLIPPED}, CONVOLUTIONS),
    op("max_pool2d", POOL, pooling.max_pool2d, pooling.MaxPool2d, ref_pooling.max_pool2d,
       S.max_pool2d_samples,
       {"gradient spread over the window": W.POOL_SPREAD,
        "overlaps not accumulated": W.POOL_NO_ACCUMULATE},
       torch_names("max_pool2d", "torch.nn.MaxPool2d", "torch.max_pool2d_with_indices",
                   "torch.nn.functional.max_pool2d_with_indices",
                   "torch.nn.functional.adaptive_max_pool2d")),
    op("flatten", FLAT, pooling.flatten, pooling.Flatten, ref_pooling.flatten,
       S.flatten_samples, {"unflattened channels-last": W.FLATTEN_CHANNELS_LAST},
       torch_names("flatten", "torch.nn.Flatten")),
    Entry("cnn_twin_sgd", CNN, "cnn", "setup", MANUAL, check_twin_cnn, TORCH,
          wrong={"pool gradient spread": W.POOL_SPREAD}),
    Entry("compile_cnn_step", CNN, "compile", "setup", MANUAL, check_compiled_cnn, TORCH,
          samples=optim.Adam, dtypes=(torch.float64,), opt_in=True,
          wrong={"a value read into Python (a graph break)": W.GRAPH_BREAK_RELU}),
    optimizer("SGD", GD, optim.SGD, ref_optim.SGD, {"lr": 0.1, "weight_decay": WD}, WRONG_SIGN),
    optimizer("SGD_momentum", MOMENTUM, optim.SGD, ref_optim.SGD,
              {"lr": 0.05, "momentum": 0.9, "weight_decay": WD}, WRONG_SIGN),
    optimizer("SGD_nesterov", MOMENTUM, optim.SGD, ref_optim.SGD,
              {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": WD}, WRONG_SIGN),
    optimizer("SGD_dampening_maximize", MOMENTUM, optim.SGD, ref_optim.SGD,
              {"lr": 0.01, "momentum": 0.5, "dampening": 0.3, "maximize": True}, WRONG_SIGN),
    optimizer("Adagrad", ADAGRAD, optim.Adagrad, ref_optim.Adagrad,
              {"lr": 0.1, "lr_decay": 0.01, "weight_decay": WD,
               "initial_accumulator_value": 0.1},
              {**EPS_INSIDE_ROOT,
               "notes: divides by the variance":
                   notes_wrong(formulas.AdagradByVariance, E.ADAGRAD_ROOT_SUM)}),
    optimizer("Adagrad_eps", ADAGRAD, optim.Adagrad, ref_optim.Adagrad,
              {"lr": 0.1, "eps": 1e-3}, EPS_INSIDE_ROOT),
    optimizer("RMSprop", RMSPROP, optim.RMSprop, ref_optim.RMSprop,
              {"lr": 0.01, "weight_decay": WD}, NO_LEAK),
    optimizer("RMSprop_notes_form", RMSPROP, optim.RMSprop, formulas.NotesRMSprop,
              {"lr": 0.01, "eps": 1e-3, "eps_inside_sqrt": True, "weight_decay": WD},
              {"torch's form, eps outside the root": Wrong(W.RMSpropEpsOutsideRoot)},
              convention=True, ref_kwargs={"lr": 0.01, "eps": 1e-3, "weight_decay": WD},
              state=False),
    optimizer("RMSprop_centered_momentum", RMSPROP, optim.RMSprop, ref_optim.RMSprop,
              {"lr": 0.01, "alpha": 0.9, "momentum": 0.9, "centered": True, "weight_decay": WD},
              NO_LEAK),
    optimizer("Adam", ADAM, optim.Adam, ref_optim.Adam, {"lr": 0.01, "weight_decay": WD},
              {**NO_BIAS_CORRECTION,
               "notes: r as the rate": notes_wrong(formulas.AdamRAsLearningRate, E.ADAM_R)}),
    optimizer("Adam_amsgrad", ADAM, optim.Adam, ref_optim.Adam,
              {"lr": 0.01, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": WD},
              NO_BIAS_CORRECTION),
    optimizer("SGD_momentum_notes_form", MOMENTUM, optim.SGD, ref_optim.SGD, NOTES_MOMENTUM,
              {"notes: theta + v": notes_wrong(W.SGDMomentumWrongSign, E.MOMENTUM_SIGN),
               "notes: v_0 = theta_0": notes_wrong(formulas.MomentumStartsAtTheta,
                                                   E.MOMENTUM_START)},
              convention=True, ref_kwargs=TORCH_MOMENTUM, schedule=None, state=False),
    differs("SGD_momentum_notes_form_warmup", MOMENTUM, optim.SGD, ref_optim.SGD,
            NOTES_MOMENTUM, TORCH_MOMENTUM, schedule="warmup"),
    differs("RMSprop_notes_eps_small_grads", RMSPROP, optim.RMSprop, ref_optim.RMSprop,
            {"lr": 0.01, "eps_inside_sqrt": True}, {"lr": 0.01}, schedule=None, scale=1e-4),
    schedule("warmup_constant", {"warmup_steps": 10, "start_factor": 0.1}, ONE_STEP_LATE),
    schedule("warmup_defaults", {"warmup_steps": 10}, ONE_STEP_LATE),
    schedule("warmup_cosine", {"warmup_steps": 10, "start_factor": 0.25, "decay": "cosine",
                               "total_steps": 50, "min_lr": 1e-3},
             {**ONE_STEP_LATE,
              "cosine not shifted by the warm-up": Wrong(W.CosineFromStepZero)}),
    schedule("cosine_no_warmup", {"warmup_steps": 0, "decay": "cosine", "total_steps": 40},
             ONE_STEP_LATE),
    function("fit_line", LSQ, least_squares.fit_line, ref_least_squares.fit_line,
             S.line_samples,
             {"b = y_mean + w x_mean": Wrong(W.fit_line_bias_sign),
              "notes: logistic regression": notes_wrong(formulas.logistic_fit_line,
                                                        E.LEAST_SQUARES_IS_LINEAR)},
             SOLVERS),
    function("fit_normal_equations", LSQ, least_squares.fit, ref_least_squares.fit,
             S.normal_equation_samples, {"no column of ones": Wrong(W.fit_without_bias_column)},
             SOLVERS),
    Entry("fit_line_gradient_descent", BGD, "fit", "function", least_squares.fit_line_gd,
          check_gd_line, ref_least_squares.fit_line_gd,
          wrong={"notes: theta + eta g": notes_wrong(formulas.notes_plus_sign_gd, E.STEP_SIGN),
                 "notes: g = grad / (n + 1)": notes_wrong(formulas.notes_parameter_average_gd,
                                                          E.AVERAGE_OVER_EXAMPLES)},
          piece=Piece("fit_line_gd", "body", builtins=SOLVERS + OPTIMIZERS),
          dtypes=(torch.float64,), why_tol=GD_WHY),
    function("backprop", BACKPROP, backprop.gradients, ref_backprop.gradients,
             S.backprop_samples,
             {"notes: sigma(out)(1 - sigma(out))": notes_wrong(formulas.backprop_sigma_of_output,
                                                                E.SIGMA_OF_OUTPUT),
              "notes: dE/dw5 without (out - target)":
                  notes_wrong(formulas.backprop_w5_b2_without_error, E.W5_ERROR_FACTOR),
              "notes: dE/dw1 along one path": notes_wrong(formulas.backprop_w1_one_path,
                                                           E.W1_CHAIN_RULE)},
             torch_names("sigmoid", "torch.special.expit")),
    function("backprop_forward", BACKPROP, backprop.forward, ref_backprop.forward,
             S.backprop_forward_samples,
             {"notes: 1/(1-e^-y)": notes_wrong(formulas.notes_forward, E.SIGMOID_SIGN)},
             torch_names("sigmoid", "torch.special.expit")),
    Entry("landscape_paths", GD, "optim", "setup", optim, check_paths, ref_optim,
          wrong={"Adam without bias correction": swap(optim.Adam, W.AdamWithoutBiasCorrection)}),
    function("neuron", BIAS, neuron.neuron, ref_neuron.neuron, S.neuron_samples,
             {"bias subtracted": Wrong(W.neuron_bias_subtracted)},
             torch_names("linear", "torch.nn.Linear"), group="ops"),
] + E.OWN_ENTRIES
REGISTRY += conformance.entries(REGISTRY)
REGISTRY += [Entry(f"optim_{what}_{cls.__name__}", section, f"optim_{what}", "optimizer", cls,
                   check, getattr(ref_optim, cls.__name__), table[cls.__name__], wrong,
                   optimizer_piece(cls), learners=False)
             for what, check, table in (("groups", check_groups, GROUP_OPTIONS),
                                        ("sparse", check_sparse, SPARSE))
             for cls, section, wrong in [
                 (optim.SGD, MOMENTUM, WRONG_SIGN),
                 (optim.Adagrad, ADAGRAD, {"notes: divides by the variance":
                                           notes_wrong(formulas.AdagradByVariance,
                                                       E.ADAGRAD_ROOT_SUM),
                                           **({"each group's initial accumulator":
                                               Wrong(W.AdagradGroupStart)} if what == "groups"
                                              else {"no root of the sparse sum":
                                                    Wrong(W.AdagradSparseWithoutRoot)})}),
                 (optim.RMSprop, RMSPROP, NO_LEAK if what == "groups"
                  else {"takes a sparse gradient": Wrong(W.RMSpropTakesSparse)}),
                 (optim.Adam, ADAM, NO_BIAS_CORRECTION if what == "groups"
                  else {"takes a sparse gradient": Wrong(W.AdamTakesSparse)})]]
REGISTRY += [Entry(f"optim_db_{cls.__name__}", section, "optim", "optimizer", cls,
                   check_torch_configs, getattr(ref_optim, cls.__name__), wrong=wrong,
                   piece=optimizer_piece(cls))
             for cls, section, wrong in [(optim.SGD, MOMENTUM, WRONG_SIGN),
                                         (optim.Adagrad, ADAGRAD, EPS_INSIDE_ROOT),
                                         (optim.RMSprop, RMSPROP, NO_LEAK),
                                         (optim.Adam, ADAM, NO_BIAS_CORRECTION)]]
