"""The notes' slips: their words and the correction, in the notes' order (``ERRATA``, which
README.md numbers).

An erratum is a labelled negative control of the registry entry that proves the corrected
form (``Wrong(..., erratum=...)`` in its record, crosscheck/proof/records/<topic>.py): the
entry passes against torch, and the notes' literal version (notes/formulas.py) is rejected
by the same check. Where no entry proves the correction, the erratum gets one of its own
(crosscheck/proof/records/errata.py).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Erratum:
    """A slip of the notes: their words, verbatim, and the correction."""

    name: str
    section: str
    quote: str
    correction: str


def erratum(name: str, section: str, quote: str, correction: str) -> Erratum:
    return Erratum(f"erratum_{name}", section, quote, correction)


LEAST_SQUARES_IS_LINEAR = erratum(
    "least_squares_is_linear", "最小二乘法拟合直线（逻辑回归）",
    "## 最小二乘法拟合直线（逻辑回归）",
    "Fitting a line by least squares is linear regression. Logistic regression models a "
    "probability sigma(w x + b) in (0, 1) and cannot follow y = 1.5x + 0.25.")
BIAS_THRESHOLD = erratum(
    "bias_threshold", "偏差的作用 (场景, 输入对应输出)",
    "输出：如果输出信号 > 1 才会有帮助老奶奶的电信号。",
    "With y = x1 + x2 - 1 the table marks y = 1 (both events) as 激活, so the neuron fires "
    "for y > 0 (y >= 1 for 0/1 inputs); \"> 1\" fires for no input. The table also leaves "
    "out (0, 1), which gives y = 0: no firing.")
WEIGHTED_SUM = erratum(
    "weighted_sum_not_average", "计算一个神经元的过程", "其中 Σ 部分就是所有参数的加权平均值结果",
    "The neuron takes a weighted sum, sum_i w_i x_i + b, not a weighted average: the weights "
    "need not add up to 1 and are not divided by their sum.")
OUTPUT_INDICES = erratum(
    "output_layer_indices", "输出层计算公式", "y = f(Σ_j w_ij h_i + b_k), k = 1, 2, …, m",
    "y_k = f(sum_j w_jk h_j + b_k): the sum runs over the hidden units j, with h_j, and "
    "every output k has its own weights w_jk (as the notes' next line says).")
SIGMOID_SIGN = erratum(
    "sigmoid_sign", "激活函数和反向传播的关系", "σ(y') = 1 / (1 - e^{-y'})",
    "sigma(y) = 1 / (1 + e^{-y}). With the minus sign the function has a pole at y = 0 and "
    "leaves (0, 1).")
SIGMA_OF_OUTPUT = erratum(
    "sigmoid_derivative_of_output", "反向传播 (数学建模)",
    "∂E/∂net_o1 = (out_o1 - target_o1) × σ(out_o1)(1 - σ(out_o1))",
    "dout/dnet = sigma(net)(1 - sigma(net)) = out (1 - out): sigma is applied to net once, "
    "not to out again. The same slip recurs for dE/dnet_h1.")
W5_ERROR_FACTOR = erratum(
    "w5_without_error_factor", "反向传播 (数学建模)",
    "∂E/∂w5 = σ(net_o1)[1 - σ(net_o1)] × out_h1;  ∂E/∂b2 = σ(net_o1)[1 - σ(out_o1)]",
    "dE/dw5 = (out_o1 - target_o1) out_o1 (1 - out_o1) out_h1 and dE/db_o1 = (out_o1 - "
    "target_o1) out_o1 (1 - out_o1): the chain starts from dE/dout = out - target.")
W1_CHAIN_RULE = erratum(
    "w1_chain_rule", "激活函数对于反向传播的利害 (收敛变慢)", "∂E/∂ω1 = ∂E/∂σ × σ(1-σ) × w5 × x1",
    "dE/dw1 = sum_o (out_o - target_o) out_o (1 - out_o) w_(o,h1) h1 (1 - h1) x1: the hidden "
    "unit's own derivative h1 (1 - h1) is a factor, and the paths through both outputs add.")
SIGMOID_SLOPE = erratum(
    "sigmoid_slope_at_most_quarter", "梯度消失 / ReLU 的好处",
    "其对应的导函数的值至少为原来的 1/4;  这个值始终在 (0, 0.25) 之间",
    "sigma'(x) = sigma (1 - sigma) is at most 1/4, reached at x = 0: the range is (0, 1/4]. "
    "That upper bound is why gradients vanish through many sigmoid layers.")
STEP_SIGN = erratum(
    "gradient_step_sign", "批量梯度下降 (Batch GD), 动量梯度下降 (老的算法)",
    "θ_(new) = θ_(old) + η × g",
    "theta_new = theta_old - eta g: a step against the gradient, downhill (as the notes' own "
    "梯度下降的过程 writes it). With + the fit climbs the bowl and diverges.")
AVERAGE_OVER_EXAMPLES = erratum(
    "average_over_examples", "批量梯度下降 (Batch GD)", "g = 1/(n+1) (∇_θ E)",
    "Average the gradient over the m examples, g = (1/m) sum_i grad E_i, not over the n + 1 "
    "parameters; otherwise the step grows with the size of the data set (here 20-fold, and "
    "the descent diverges at a rate that converges for the mean).")
MINIBATCH = erratum(
    "minibatch_samples_examples", "随机梯度下降算法 (Mini Batch GD)",
    "我们并不更新所有的权重的值了，我们就随机抽一部分的权重，然后更新部分的权重",
    "Mini-batch SGD draws a random subset of the examples and updates all the weights with "
    "their mean gradient.")
MOMENTUM_SIGN = erratum(
    "momentum_sign", "动量梯度下降算法 (Momentum GD)",
    "v_t = γ v_{t-1} + η g(θ_{t-1});  θ_t = θ_{t-1} + v_t",
    "theta_t = theta_(t-1) - v_t. (With a constant eta this is torch's SGD momentum, "
    "b = mu b + g, theta -= eta b, step for step.)")
MOMENTUM_START = erratum(
    "momentum_starts_at_zero", "动量梯度下降算法 (Momentum GD)", "初始时，θ_t = v_t",
    "The velocity starts at zero, v_0 = 0, so the first step is v_1 = eta g_1.")
NOT_WARMUP = erratum(
    "adaptive_rates_are_not_warmup", "学习率的优化（Warm Up）",
    "### 学习率的优化（Warm Up）  (the heading over AdaGrad and RMSProp)",
    "AdaGrad and RMSProp are adaptive per-parameter learning rates: AdaGrad's step only "
    "shrinks as squared gradients add up. Warm-up is a schedule that raises the learning "
    "rate over the first steps (manual/schedules.py).")
ADAGRAD_ROOT_SUM = erratum(
    "adagrad_divides_by_root_sum", "AdaGrad 算法", "我们的学习率就是除以了一个梯度历史以来的方差",
    "AdaGrad divides by sqrt(sum g^2) + eps, the root of the summed squared gradients (as "
    "the notes' own formula says), not by their variance.")
ADAM_R = erratum(
    "adam_r_is_second_moment", "Adam 算法", "s 动量;  r 学习率",
    "r is the running average of squared gradients (the second moment, torch's exp_avg_sq); "
    "the learning rate is eta, and the step is eta s_hat / (sqrt(r_hat) + eps).")
ONE_HOT_TARGETS = erratum(
    "cross_entropy_one_hot_targets", "交叉熵 (Cross-Entropy)",
    "我们就会先把输出的值转成 One-Hot 向量，然后利用交叉熵来作为损失函数",
    "The targets become one-hot vectors; the outputs go through softmax, and the loss is "
    "-sum_c t_c log softmax(z)_c. One-hot outputs give log 0 and no gradient.")
PADDING_KEEPS_SIZE = erratum(
    "padding_keeps_size", "填充 (Padding)",
    "加了一圈 0 之后，效果贼拉拉好，因为我们的卷积的结果升维了",
    "One ring of zeros around a 3x3 kernel keeps the map's size (H + 2 - 3 + 1 = H); it does "
    "not raise it. Padding stops the shrinking and lets edge pixels count as often as the "
    "centre ones.")

ERRATA = (LEAST_SQUARES_IS_LINEAR, BIAS_THRESHOLD, WEIGHTED_SUM, OUTPUT_INDICES, SIGMOID_SIGN,
          SIGMA_OF_OUTPUT, W5_ERROR_FACTOR, W1_CHAIN_RULE, SIGMOID_SLOPE, STEP_SIGN,
          AVERAGE_OVER_EXAMPLES, MINIBATCH, MOMENTUM_SIGN, MOMENTUM_START, NOT_WARMUP,
          ADAGRAD_ROOT_SUM, ADAM_R, ONE_HOT_TARGETS, PADDING_KEEPS_SIZE)
