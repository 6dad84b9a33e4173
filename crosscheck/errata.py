"""The notes' slips, written exactly as the notes state them, beside their corrections.

Every erratum is an entry of the ``errata`` group of ``handgrad check``: the corrected
version must pass the check against torch, and the notes' literal version, run through the
same check as its negative control, must be rejected. ``ERRATA`` also carries the quote and
the correction that README.md lists.
"""
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F

from crosscheck import samples as S
from crosscheck.fit_checks import GD_WHY, check_gd_line
from crosscheck.harness import Entry, Measure, Sample, check_op
from crosscheck.optim_checks import check_optimizer
from crosscheck.wrong import with_backward
from manual import activations as A
from manual import backprop as BP
from manual import least_squares, linear, losses, optim
from manual.stopping import GradNormBelow, MaxEpochs, NonFiniteLoss, Progress, StopRules
from torch_ref import backprop as ref_backprop
from torch_ref import least_squares as ref_least_squares
from torch_ref import neuron as ref_neuron
from torch_ref import optim as ref_optim


@dataclass
class Erratum:
    section: str
    quote: str  # the notes, verbatim
    correction: str
    entry: Entry


# -- the notes' literal formulas ----------------------------------------------------------


def seed_sigmoid(y):
    """激活函数和反向传播的关系: sigma(y') = 1 / (1 - e^{-y'})."""
    return 1 / (1 - torch.exp(-y))


def _sigmoid_of_output(ctx, grad):
    (out,) = ctx.saved_tensors
    s = A._sigmoid(out)  # 反向传播: dout/dnet = sigma(out)(1 - sigma(out)): sigma applied twice
    return grad * s * (1 - s)


seed_sigmoid_backward = with_backward(A.Sigmoid, _sigmoid_of_output).apply
SEED_SIGMOID = BP.Activation("sigmoid", A._sigmoid,
                             lambda net, out: A._sigmoid(out) * (1 - A._sigmoid(out)))


def backprop_sigma_of_output(x, target, weights, biases, activations, loss="mse"):
    acts = [SEED_SIGMOID if a == "sigmoid" else a for a in activations]
    return BP.gradients(x, target, weights, biases, acts, loss)


def seed_forward(x, weights, biases, activations):
    seed = BP.Activation("sigmoid", seed_sigmoid, None)
    return BP.forward(x, weights, biases, [seed if a == "sigmoid" else a for a in activations])


def _descend(x, y, lr, sign, divisor, tol=1e-10, max_steps=100_000):
    """Batch gradient descent on the line with the notes' choices of sign and divisor."""
    w = b = torch.zeros((), dtype=x.dtype, device=x.device)
    rules = StopRules(NonFiniteLoss(), GradNormBelow(tol), MaxEpochs(max_steps))
    for step in range(max_steps + 1):
        r = y - w * x - b
        gw, gb = -2 * (x * r).sum() / divisor, -2 * r.sum() / divisor
        stop = rules(Progress(step, loss=float((r * r).sum()),
                              grad_norm=float(torch.sqrt(gw * gw + gb * gb))))
        if stop:
            return w, b, step, stop
        w, b = w + sign * lr * gw, b + sign * lr * gb


def seed_fit_line_gd(x, y, lr=0.1, **kw):
    """批量梯度下降 as written: theta + eta g, g = grad / (n + 1) over n + 1 = 2 parameters."""
    return _descend(x, y, lr, +1, 2, **kw)


def seed_plus_sign_gd(x, y, lr=0.1, **kw):
    return _descend(x, y, lr, +1, x.numel(), **kw)  # averaged right, stepped uphill


def seed_parameter_average_gd(x, y, lr=0.1, **kw):
    return _descend(x, y, lr, -1, 2, **kw)  # downhill, but averaged over the 2 parameters


def logistic_fit_predict(x, y, steps=500, lr=0.5):
    """The heading's 逻辑回归 taken at its word: sigma(w x + b) fitted to the same points."""
    w = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    b = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        ((torch.sigmoid(w * x + b) - y) ** 2).mean().backward()
        opt.step()
    return torch.sigmoid(w * x + b).detach()


def line_predict(x, y):
    w, b = least_squares.fit_line(x, y)
    return w * x + b


def ref_line_predict(x, y):
    w, b = ref_least_squares.fit_line(x, y)
    return w * x + b


def weighted_average(input, weight, bias):
    """计算一个神经元的过程: "Σ 部分就是所有参数的加权平均值": sum w x / sum w."""
    return (input @ weight.T) / weight.sum(1) + bias


def output_without_k(input, weight, bias):
    """输出层计算公式: y_k = f(sum_j w_ij h_i + b_k): the weight carries no k, so every
    output neuron sums with the same weights (those of the first row)."""
    return (input @ weight[0]).unsqueeze(-1) + bias


def _worked_net(x, weights, biases):
    (W1, W2), (b1, b2) = weights, biases
    h = A._sigmoid(x @ W1.T + b1)
    return h, A._sigmoid(h @ W2.T + b2)


def grad_w5_b2(x, target, weights, biases):
    """dE/dw5 (h1 -> o1) and dE/db for o1, by the corrected chain rule."""
    h, out = _worked_net(x, weights, biases)
    delta = (out - target) * out * (1 - out)  # dE/dnet_o = (out - target) out (1 - out)
    return (delta[:, 0] * h[:, 0]).sum(), delta[:, 0].sum()


def seed_grad_w5_b2(x, target, weights, biases):
    """反向传播 as written: dE/dw5 = sigma(net)(1 - sigma(net)) out_h1, and
    dE/db2 = sigma(net)(1 - sigma(out)): the factor (out - target) is gone."""
    (_, W2), (_, b2) = weights, biases
    h, out = _worked_net(x, weights, biases)
    net = h @ W2.T + b2
    s = A._sigmoid(net[:, 0])
    return (s * (1 - s) * h[:, 0]).sum(), (s * (1 - A._sigmoid(out[:, 0]))).sum()


def ref_grad_w5_b2(x, target, weights, biases):
    _, gw, gb = ref_backprop.gradients(x, target, weights, biases, ["sigmoid", "sigmoid"])
    return gw[1][0, 0], gb[1][0]


def grad_w1(x, target, weights, biases):
    """dE/dw1 (i1 -> h1) by the corrected chain rule: both output paths, and h1's own
    derivative h1 (1 - h1)."""
    (_, W2), _ = weights, biases
    h, out = _worked_net(x, weights, biases)
    delta_o = (out - target) * out * (1 - out)  # (N, 2)
    delta_h1 = (delta_o @ W2[:, 0]) * h[:, 0] * (1 - h[:, 0])
    return (delta_h1 * x[:, 0]).sum()


def seed_grad_w1(x, target, weights, biases):
    """收敛变慢: dE/dw1 = dE/dsigma * sigma(1 - sigma) * w5 * x1: one output path only, and
    no derivative of the hidden activation."""
    (_, W2), _ = weights, biases
    _, out = _worked_net(x, weights, biases)
    return ((out[:, 0] - target[:, 0]) * out[:, 0] * (1 - out[:, 0]) * W2[0, 0] * x[:, 0]).sum()


def ref_grad_w1(x, target, weights, biases):
    _, gw, _ = ref_backprop.gradients(x, target, weights, biases, ["sigmoid", "sigmoid"])
    return gw[0][0, 0]


def minibatch_step(w, X, y, batch, lr=0.1):
    """One mini-batch step: the examples of ``batch``, every weight updated."""
    Xb, yb = X[batch], y[batch]
    return w - lr * 2 * Xb.T @ (Xb @ w - yb) / len(batch)


def seed_minibatch_step(w, X, y, batch, lr=0.1):
    """随机梯度下降 as written: "随机抽一部分的权重，然后更新部分的权重": all examples, and a
    random subset of the weights updated."""
    chosen = torch.zeros_like(w, dtype=torch.bool)
    chosen[torch.unique(batch % len(w))[: len(w) // 2]] = True
    g = 2 * X.T @ (X @ w - y) / len(y)
    return torch.where(chosen, w - lr * g, w)


def ref_minibatch_step(w, X, y, batch, lr=0.1):
    """torch: the batch's examples through autograd, a torch.optim.SGD step."""
    p = torch.nn.Parameter(w.detach().clone())
    opt = torch.optim.SGD([p], lr=lr)
    F.mse_loss(X[batch] @ p, y[batch]).backward()
    opt.step()
    return p.detach()


def one_hot_targets(logits, target):
    """交叉熵, corrected: the targets become one-hot rows; the outputs go through softmax."""
    return losses.cross_entropy(logits, F.one_hot(target, logits.shape[1]).to(logits.dtype))


def one_hot_outputs(logits, target):
    """交叉熵 as written: "先把输出的值转成 One-Hot 向量": the outputs made one-hot, then
    -sum t log(out): log 0 wherever the arg-max is not the label."""
    out = F.one_hot(logits.argmax(1), logits.shape[1]).to(logits.dtype)
    t = F.one_hot(target, logits.shape[1]).to(logits.dtype)
    return -(t * torch.log(out)).sum(1).mean()


def ref_cross_entropy(logits, target):
    return F.cross_entropy(logits, target)


class SeedMomentumPlus(optim.SGD):
    """动量梯度下降 as written: v_t = gamma v + eta g, theta_t = theta_{t-1} + v_t."""

    def update(self, p, g, state, group):
        v = state.get("velocity")
        v = g * group["lr"] if v is None else v.mul_(group["momentum"]).add_(g, alpha=group["lr"])
        state["velocity"] = v
        p.add_(v)


class SeedMomentumStartsAtTheta(optim.SGD):
    """动量梯度下降 as written: "初始时，theta_t = v_t": the velocity starts at the parameters."""

    def update(self, p, g, state, group):
        v = state.get("velocity")
        v = p.detach().clone() if v is None else v
        state["velocity"] = v.mul_(group["momentum"]).add_(g, alpha=group["lr"])
        p.sub_(state["velocity"])


class AdagradByVariance(optim.Adagrad):
    """AdaGrad as the notes explain it: "学习率就是除以了一个梯度历史以来的方差"."""

    def update(self, p, g, state, group):
        t = self._step_count(state)
        state["sum"].addcmul_(g, g)
        mean = state.setdefault("grad_sum", torch.zeros_like(p)).add_(g) / t
        variance = state["sum"] / t - mean * mean
        p.sub_(group["lr"] * g / (variance + group["eps"]))


class AdamRAsLearningRate(optim.Adam):
    """Adam as labelled: "s 动量, r 学习率": r used as the learning rate of the momentum s."""

    def update(self, p, g, state, group):
        (beta1, beta2) = group["betas"]
        if "exp_avg" not in state:
            state["exp_avg"], state["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)
        t = self._step_count(state)
        s = state["exp_avg"].lerp_(g, 1 - beta1)
        r = state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        p.sub_(r / (1 - beta2**t) * s / (1 - beta1**t))


# -- claims: statements checked over evidence computed with torch --------------------------


def check_claim(predicate, dtype, device, *, evidence):
    """The statement as a predicate over evidence from torch: it must hold at every point."""
    m = Measure()
    holds = predicate(**evidence(dtype, device))
    m.notes.append(f"holds at {int(holds.sum())} of {holds.numel()} points")
    if not holds.all():
        m.fail(f"fails at {int((~holds).sum())} of {holds.numel()} points")
    return m


def neuron_evidence(dtype, device):
    x1 = torch.tensor([0.0, 0.0, 1.0, 1.0], dtype=dtype, device=device)
    x2 = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=dtype, device=device)
    # the table's 激活 column; its missing row (0, 1) mirrors (1, 0)
    fires = torch.tensor([False, False, False, True], device=device)
    return {"y": ref_neuron.neuron(x1, x2, bias=-1.0), "fires": fires}


def sigmoid_slope_evidence(dtype, device):
    x = (torch.arange(-1000, 1001, dtype=dtype, device=device) / 100).requires_grad_()
    (slope,) = torch.autograd.grad(torch.sigmoid(x).sum(), x)
    return {"x": x.detach(), "slope": slope}


def adaptive_vs_warmup_evidence(dtype, device, steps=20):
    p = torch.nn.Parameter(torch.zeros(1, dtype=dtype, device=device))
    adagrad, steps_taken = torch.optim.Adagrad([p], lr=0.1), []
    for _ in range(steps):  # a constant gradient of 1: the step is the effective rate
        before = p.detach().clone()
        p.grad = torch.ones_like(p)
        adagrad.step()
        steps_taken.append((before - p.detach()).abs())
    q = torch.nn.Parameter(torch.zeros(1))
    sgd = torch.optim.SGD([q], lr=0.1)
    warm = torch.optim.lr_scheduler.LinearLR(sgd, start_factor=0.1, total_iters=10)
    lrs = []
    for _ in range(steps):
        lrs.append(sgd.param_groups[0]["lr"])
        sgd.step()
        warm.step()
    return {"adagrad": torch.cat(steps_taken).diff(),
            "warmup": torch.tensor(lrs[:11], dtype=dtype, device=device).diff()}


def padding_evidence(dtype, device):
    sizes = [(28, 28), (13, 11), (7, 7)]
    out = [F.conv2d(torch.zeros(1, 1, h, w, dtype=dtype, device=device),
                    torch.zeros(1, 1, 3, 3, dtype=dtype, device=device), padding=1).shape[-2:]
           for h, w in sizes]
    return {"size": torch.tensor(sizes), "padded": torch.tensor([list(o) for o in out])}


# -- sample inputs ---------------------------------------------------------------------------


def line_points(dtype, device, gen):
    x = torch.rand(40, generator=gen, dtype=torch.float64) * 4 - 1
    y = 2.5 * x - 0.7 + 0.3 * torch.randn(40, generator=gen, dtype=torch.float64)
    yield Sample((x.to(device, dtype), y.to(device, dtype)))


def neuron_layer(dtype, device, gen):
    w = torch.rand(2, 3, generator=gen, dtype=torch.float64) + 0.1  # weights not summing to 1
    yield Sample((S.randn(gen, (4, 3), dtype, device, grad=False), w.to(device, dtype),
                  S.randn(gen, (2,), dtype, device, grad=False)))


def worked_example(dtype, device, gen):
    def t(v):
        return torch.tensor(v, dtype=dtype, device=device)

    yield Sample((t(S.WORKED["x"]), t(S.WORKED["target"]), [t(w) for w in S.WORKED["weights"]],
                  [t(b) for b in S.WORKED["biases"]]))


def worked_with_activations(dtype, device, gen):
    for sample in worked_example(dtype, device, gen):
        yield Sample(sample.args + (["sigmoid", "sigmoid"],))


def regression_batch(dtype, device, gen):
    X = S.randn(gen, (32, 6), dtype, device, grad=False)
    y = S.randn(gen, (32,), dtype, device, grad=False)
    w = S.randn(gen, (6,), dtype, device, grad=False)
    batch = torch.randperm(32, generator=gen)[:8].to(device)
    yield Sample((w, X, y, batch))


def logits_and_labels(dtype, device, gen):
    yield Sample((S.randn(gen, (16, 5), dtype, device, grad=False),
                  torch.randint(0, 5, (16,), generator=gen).to(device)))


# -- the errata -------------------------------------------------------------------------------


def _op(manual, reference, samples):
    return manual, partial(check_op, reference=reference, samples=samples)


def _claim(corrected, evidence):
    return corrected, partial(check_claim, evidence=evidence)


def _optimizer(manual, reference, kwargs, ref_kwargs=None, state=True):
    return manual, partial(check_optimizer, reference=reference, kwargs=kwargs,
                           ref_kwargs=ref_kwargs, schedule=None, state=state)


SEED_MOMENTUM = {"lr": 0.05, "momentum": 0.9, "lr_in_velocity": True}
TORCH_MOMENTUM = {"lr": 0.05, "momentum": 0.9}

TABLE = [  # (name, section, quote, correction, (manual, check), {label: the notes' version})
    ("least_squares_is_linear", "最小二乘法拟合直线（逻辑回归）",
     "## 最小二乘法拟合直线（逻辑回归）",
     "Fitting a line by least squares is linear regression. Logistic regression models a "
     "probability sigma(w x + b) in (0, 1) and cannot follow y = 2.5x - 0.7.",
     _op(line_predict, ref_line_predict, line_points),
     {"logistic regression": logistic_fit_predict}),
    ("bias_threshold", "偏差的作用 (场景, 输入对应输出)",
     "输出：如果输出信号 > 1 才会有帮助老奶奶的电信号。",
     "With y = x1 + x2 - 1 the table marks y = 1 (both events) as 激活, so the neuron fires "
     "for y > 0 (y >= 1 for 0/1 inputs); \"> 1\" fires for no input. The table also leaves "
     "out (0, 1), which gives y = 0: no firing.",
     _claim(lambda y, fires: (y > 0) == fires, neuron_evidence),
     {"fires when y > 1": lambda y, fires: (y > 1) == fires}),
    ("weighted_sum_not_average", "计算一个神经元的过程",
     "其中 Σ 部分就是所有参数的加权平均值结果",
     "The neuron takes a weighted sum, sum_i w_i x_i + b, not a weighted average: the weights "
     "need not add up to 1 and are not divided by their sum.",
     _op(linear.linear, F.linear, neuron_layer), {"weighted average": weighted_average}),
    ("output_layer_indices", "输出层计算公式",
     "y = f(Σ_j w_ij h_i + b_k), k = 1, 2, …, m",
     "y_k = f(sum_j w_jk h_j + b_k): the sum runs over the hidden units j, with h_j, and "
     "every output k has its own weights w_jk (as the notes' next line says).",
     _op(linear.linear, F.linear, neuron_layer),
     {"one set of weights for all k": output_without_k}),
    ("sigmoid_sign", "激活函数和反向传播的关系",
     "σ(y') = 1 / (1 - e^{-y'})",
     "sigma(y) = 1 / (1 + e^{-y}). With the minus sign the function has a pole at y = 0 and "
     "leaves (0, 1).",
     _op(A.sigmoid, torch.sigmoid, S.pointwise(extremes=True)), {"1/(1-e^-y)": seed_sigmoid}),
    ("sigmoid_derivative_of_output", "反向传播 (数学建模)",
     "∂E/∂net_o1 = (out_o1 - target_o1) × σ(out_o1)(1 - σ(out_o1))",
     "dout/dnet = sigma(net)(1 - sigma(net)) = out (1 - out): sigma is applied to net once, "
     "not to out again. The same slip recurs for dE/dnet_h1.",
     _op(BP.gradients, ref_backprop.gradients, worked_with_activations),
     {"sigma(out)(1 - sigma(out))": backprop_sigma_of_output}),
    ("w5_without_error_factor", "反向传播 (数学建模)",
     "∂E/∂w5 = σ(net_o1)[1 - σ(net_o1)] × out_h1;  ∂E/∂b2 = σ(net_o1)[1 - σ(out_o1)]",
     "dE/dw5 = (out_o1 - target_o1) out_o1 (1 - out_o1) out_h1 and dE/db_o1 = (out_o1 - "
     "target_o1) out_o1 (1 - out_o1): the chain starts from dE/dout = out - target.",
     _op(grad_w5_b2, ref_grad_w5_b2, worked_example), {"no (out - target)": seed_grad_w5_b2}),
    ("w1_chain_rule", "激活函数对于反向传播的利害 (收敛变慢)",
     "∂E/∂ω1 = ∂E/∂σ × σ(1-σ) × w5 × x1",
     "dE/dw1 = sum_o (out_o - target_o) out_o (1 - out_o) w_(o,h1) h1 (1 - h1) x1: the hidden "
     "unit's own derivative h1 (1 - h1) is a factor, and the paths through both outputs add.",
     _op(grad_w1, ref_grad_w1, worked_example), {"one path, no h1 (1 - h1)": seed_grad_w1}),
    ("sigmoid_slope_at_most_quarter", "梯度消失 / ReLU 的好处",
     "其对应的导函数的值至少为原来的 1/4;  这个值始终在 (0, 0.25) 之间",
     "sigma'(x) = sigma (1 - sigma) is at most 1/4, reached at x = 0: the range is (0, 1/4]. "
     "That upper bound is why gradients vanish through many sigmoid layers.",
     _claim(lambda x, slope: (slope <= 0.25) & ((slope == 0.25) == (x == 0)),
            sigmoid_slope_evidence),
     {"at least 1/4": lambda x, slope: slope >= 0.25,
      "strictly inside (0, 0.25)": lambda x, slope: (slope > 0) & (slope < 0.25)}),
    ("gradient_step_sign", "批量梯度下降 (Batch GD), 动量梯度下降 (老的算法)",
     "θ_(new) = θ_(old) + η × g",
     "theta_new = theta_old - eta g: a step against the gradient, downhill (as the notes' own "
     "梯度下降的过程 writes it). With + the fit climbs the bowl and diverges.",
     (least_squares.fit_line_gd, check_gd_line), {"theta + eta g": seed_plus_sign_gd}),
    ("average_over_examples", "批量梯度下降 (Batch GD)",
     "g = 1/(n+1) (∇_θ E)",
     "Average the gradient over the m examples, g = (1/m) sum_i grad E_i, not over the n + 1 "
     "parameters; otherwise the step grows with the size of the data set (here 20-fold, and "
     "the descent diverges at a rate that converges for the mean).",
     (least_squares.fit_line_gd, check_gd_line), {"1/(n+1)": seed_parameter_average_gd}),
    ("minibatch_samples_examples", "随机梯度下降算法 (Mini Batch GD)",
     "我们并不更新所有的权重的值了，我们就随机抽一部分的权重，然后更新部分的权重",
     "Mini-batch SGD draws a random subset of the examples and updates all the weights with "
     "their mean gradient.",
     _op(minibatch_step, ref_minibatch_step, regression_batch),
     {"a random subset of the weights": seed_minibatch_step}),
    ("momentum_sign", "动量梯度下降算法 (Momentum GD)",
     "v_t = γ v_{t-1} + η g(θ_{t-1});  θ_t = θ_{t-1} + v_t",
     "theta_t = theta_(t-1) - v_t. (With a constant eta this is torch's SGD momentum, "
     "b = mu b + g, theta -= eta b, step for step.)",
     _optimizer(optim.SGD, ref_optim.SGD, SEED_MOMENTUM, TORCH_MOMENTUM, state=False),
     {"theta + v": SeedMomentumPlus}),
    ("momentum_starts_at_zero", "动量梯度下降算法 (Momentum GD)",
     "初始时，θ_t = v_t",
     "The velocity starts at zero, v_0 = 0, so the first step is v_1 = eta g_1.",
     _optimizer(optim.SGD, ref_optim.SGD, SEED_MOMENTUM, TORCH_MOMENTUM, state=False),
     {"v_0 = theta_0": SeedMomentumStartsAtTheta}),
    ("adaptive_rates_are_not_warmup", "学习率的优化（Warm Up）",
     "### 学习率的优化（Warm Up）  (the heading over AdaGrad and RMSProp)",
     "AdaGrad and RMSProp are adaptive per-parameter learning rates: AdaGrad's step only "
     "shrinks as squared gradients add up. Warm-up is a schedule that raises the learning "
     "rate over the first steps (manual/schedules.py).",
     _claim(lambda adagrad, warmup: torch.cat([adagrad <= 0, warmup > 0]),
            adaptive_vs_warmup_evidence),
     {"AdaGrad warms up": lambda adagrad, warmup: torch.cat([adagrad[:10] > 0, warmup > 0])}),
    ("adagrad_divides_by_root_sum", "AdaGrad 算法",
     "我们的学习率就是除以了一个梯度历史以来的方差",
     "AdaGrad divides by sqrt(sum g^2) + eps, the root of the summed squared gradients (as "
     "the notes' own formula says), not by their variance.",
     _optimizer(optim.Adagrad, ref_optim.Adagrad, {"lr": 0.1}), {"variance": AdagradByVariance}),
    ("adam_r_is_second_moment", "Adam 算法",
     "s 动量;  r 学习率",
     "r is the running average of squared gradients (the second moment, torch's exp_avg_sq); "
     "the learning rate is eta, and the step is eta s_hat / (sqrt(r_hat) + eps).",
     _optimizer(optim.Adam, ref_optim.Adam, {"lr": 0.01}), {"r as the rate": AdamRAsLearningRate}),
    ("cross_entropy_one_hot_targets", "交叉熵 (Cross-Entropy)",
     "我们就会先把输出的值转成 One-Hot 向量，然后利用交叉熵来作为损失函数",
     "The targets become one-hot vectors; the outputs go through softmax, and the loss is "
     "-sum_c t_c log softmax(z)_c. One-hot outputs give log 0 and no gradient.",
     _op(one_hot_targets, ref_cross_entropy, logits_and_labels),
     {"one-hot outputs": one_hot_outputs}),
    ("padding_keeps_size", "填充 (Padding)",
     "加了一圈 0 之后，效果贼拉拉好，因为我们的卷积的结果升维了",
     "One ring of zeros around a 3x3 kernel keeps the map's size (H + 2 - 3 + 1 = H); it does "
     "not raise it. Padding stops the shrinking and lets edge pixels count as often as the "
     "centre ones.",
     _claim(lambda size, padded: padded == size, padding_evidence),
     {"larger than the input": lambda size, padded: padded > size}),
]

ERRATA = [Erratum(section, quote, correction,
                  Entry(f"erratum_{name}", section, "errata", manual, check,
                        {f"seed: {label}": literal for label, literal in wrongs.items()},
                        (torch.float64,), why_tol=GD_WHY if check is check_gd_line else ""))
          for name, section, quote, correction, (manual, check), wrongs in TABLE]
