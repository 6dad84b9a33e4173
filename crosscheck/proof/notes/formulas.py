"""The notes' slips, written exactly as the notes state them.

Each is run as a negative control of the registry entry that proves the corrected form
(crosscheck/proof/notes/errata.py says which, with the notes' words and the correction): the same
check that passes the corrected version must reject the notes' literal one.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from manual import activations as A
from manual import backprop as BP
from manual import optim
from manual.stopping import GradNormBelow, MaxEpochs, NonFiniteLoss, Progress, StopRules


def notes_sigmoid(y: torch.Tensor) -> torch.Tensor:
    """激活函数和反向传播的关系: sigma(y') = 1 / (1 - e^{-y'})."""
    return 1 / (1 - torch.exp(-y))


def sigmoid_of_output_backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
    """反向传播: dout/dnet = sigma(out)(1 - sigma(out)): sigma applied to the output again."""
    (out,) = ctx.saved_tensors
    return A.sigmoid_backward(grad, A.sigmoid(out))


SIGMA_TWICE = BP.Activation("sigmoid", A.sigmoid,
                            lambda grad, net, out: A.sigmoid_backward(grad, A.sigmoid(out)))


def backprop_sigma_of_output(x: torch.Tensor, target: torch.Tensor, weights: list[torch.Tensor],
                             biases: list[torch.Tensor], activations: list, loss: str = "mse"
                            ) -> tuple:
    acts = [SIGMA_TWICE if a == "sigmoid" else a for a in activations]
    return BP.gradients(x, target, weights, biases, acts, loss)


def notes_forward(x: torch.Tensor, weights: list[torch.Tensor], biases: list[torch.Tensor],
                  activations: list) -> list:
    literal = BP.Activation("sigmoid", notes_sigmoid, None)
    return BP.forward(x, weights, biases, [literal if a == "sigmoid" else a for a in activations])


def _last_layer(x, weights, biases, activations):
    """The hidden outputs h and the last layer's net input, as the notes' figure names them."""
    layers = BP.forward(x, weights, biases, activations)
    h = layers[-2][1] if len(layers) > 1 else x
    return h, layers[-1][0]


def backprop_w5_b2_without_error(x: torch.Tensor, target: torch.Tensor, weights: list[torch.Tensor],
                                 biases: list[torch.Tensor], activations: list,
                                 loss: str = "mse") -> tuple:
    """反向传播 as written: dE/dw5 = sigma(net_o1)(1 - sigma(net_o1)) out_h1 and
    dE/db2 = sigma(net_o1)(1 - sigma(out_o1)): the factor (out - target) is gone. The
    gradients are the right ones but for w5 (o1 <- h1) and o1's bias."""
    E, gw, gb = BP.gradients(x, target, weights, biases, activations, loss)
    h, net = _last_layer(x, weights, biases, activations)
    s = A.sigmoid(net[:, 0])
    gw[-1][0, 0] = (s * (1 - s) * h[:, 0]).sum()
    gb[-1][0] = (s * (1 - A.sigmoid(A.sigmoid(net[:, 0])))).sum()
    return E, gw, gb


def backprop_w1_one_path(x: torch.Tensor, target: torch.Tensor, weights: list[torch.Tensor],
                         biases: list[torch.Tensor], activations: list, loss: str = "mse"
                        ) -> tuple:
    """收敛变慢 as written: dE/dw1 = dE/dsigma * sigma(1 - sigma) * w5 * x1: one output path
    only, and no derivative of the hidden activation. The rest of the gradients are right."""
    E, gw, gb = BP.gradients(x, target, weights, biases, activations, loss)
    out = BP.forward(x, weights, biases, activations)[-1][1]
    t = target if target.dim() == 2 else F.one_hot(target, out.shape[1]).to(out.dtype)
    gw[0][0, 0] = ((out[:, 0] - t[:, 0]) * out[:, 0] * (1 - out[:, 0]) * weights[-1][0, 0]
                   * x[:, 0]).sum()
    return E, gw, gb


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


def notes_plus_sign_gd(x: torch.Tensor, y: torch.Tensor, lr: float = 0.1, **kw: Any) -> tuple:
    """批量梯度下降: theta + eta g (averaged over the examples, as it should be)."""
    return _descend(x, y, lr, +1, x.numel(), **kw)


def notes_parameter_average_gd(x: torch.Tensor, y: torch.Tensor, lr: float = 0.1, **kw: Any
                              ) -> tuple:
    """批量梯度下降: g = 1/(n+1) grad E, over the n + 1 = 2 parameters (stepping downhill)."""
    return _descend(x, y, lr, -1, 2, **kw)


def logistic_fit_line(x: torch.Tensor, y: torch.Tensor, steps: int = 500, lr: float = 0.5
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """The heading's 逻辑回归 taken at its word: sigma(w x + b) fitted to the points, and its
    (w, b) taken for the line."""
    x, y = x.detach(), y.detach()
    w = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    b = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        ((torch.sigmoid(w * x + b) - y) ** 2).mean().backward()
        opt.step()
    return w.detach(), b.detach()


def weighted_average(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None
                    ) -> torch.Tensor:
    """计算一个神经元的过程: "Σ 部分就是所有参数的加权平均值": sum w x / sum w."""
    out = (input @ weight.T) / weight.sum(1)
    return out if bias is None else out + bias


def output_without_k(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None
                    ) -> torch.Tensor:
    """输出层计算公式: y_k = f(sum_j w_ij h_i + b_k): the weight carries no k, so every
    output neuron sums with the same weights (those of the first row)."""
    out = (input @ weight[0]).unsqueeze(-1).expand(*input.shape[:-1], weight.shape[0])
    return out if bias is None else out + bias


def notes_minibatch_step(w: torch.Tensor, X: torch.Tensor, y: torch.Tensor, batch: torch.Tensor,
                         lr: float = 0.1) -> torch.Tensor:
    """随机梯度下降 as written: "随机抽一部分的权重，然后更新部分的权重": all examples, and a
    random subset of the weights updated."""
    chosen = torch.zeros_like(w, dtype=torch.bool)
    chosen[torch.unique(batch % len(w))[: len(w) // 2]] = True
    g = 2 * X.T @ (X @ w - y) / len(y)
    return torch.where(chosen, w - lr * g, w)


def one_hot_outputs(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean"
                   ) -> torch.Tensor:
    """交叉熵 as written: "先把输出的值转成 One-Hot 向量": the outputs made one-hot, then
    -sum t log(out): log 0 wherever the arg-max is not the label."""
    if input.dim() != 2 or target.is_floating_point() or bool(((target < 0) |
                                                              (target >= input.shape[1])).any()):
        # as written it knows (N, C) logits and class indices only (F.one_hot of -100 is a
        # device-side assert on CUDA, which would end the whole check)
        raise ValueError("the notes' one-hot cross-entropy takes (N, C) and class indices")
    out = F.one_hot(input.argmax(1), input.shape[1]).to(input.dtype)
    t = F.one_hot(target, input.shape[1]).to(input.dtype)
    loss = -(t * torch.log(out)).sum(1)
    return {"mean": loss.mean(), "sum": loss.sum()}.get(reduction, loss)


class MomentumStartsAtTheta(optim.SGD):
    """动量梯度下降 as written: "初始时，theta_t = v_t": the velocity starts at the parameters."""

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        if "velocity" not in state:
            state["velocity"] = p.detach().clone()
        p.sub_(state["velocity"].mul_(group["momentum"]).add_(g, alpha=group["lr"]))


class AdagradByVariance(optim.Adagrad):
    """AdaGrad as the notes explain it: "学习率就是除以了一个梯度历史以来的方差"."""

    def init_state(self, p: torch.Tensor, state: dict, group: dict) -> None:
        super().init_state(p, state, group)
        state["grad_sum"] = torch.zeros_like(p)

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        t = state["step"].item()
        state["sum"].addcmul_(g, g)
        mean = state["grad_sum"].add_(g) / t
        variance = state["sum"] / t - mean * mean
        p.sub_(group["lr"] * g / (variance + group["eps"]))


class AdamRAsLearningRate(optim.Adam):
    """Adam as labelled: "s 动量, r 学习率": r used as the learning rate of the momentum s."""

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        t = state["step"].item()
        s = state["exp_avg"].lerp_(g, 1 - beta1)
        r = state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        p.sub_(r / (1 - beta2**t) * s / (1 - beta1**t))


class NotesRMSprop(torch.optim.Optimizer):
    """RMSProp as the notes write it, on its own: r <- rho r + (1 - rho) g * g,
    theta <- theta - eta / sqrt(delta + r) * g. The reference that the manual RMSprop's
    eps_inside_sqrt=True must equal (not merely differ from torch's form)."""

    def __init__(self, params, lr, alpha=0.99, eps=1e-8, weight_decay=0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self) -> None:  # type: ignore[override]  # (no closure: the checks pass none)
        for group in self.param_groups:
            rho, delta, eta = group["alpha"], group["eps"], group["lr"]
            for p in (p for p in group["params"] if p.grad is not None):
                g = p.grad + group["weight_decay"] * p
                r = self.state[p].setdefault("r", torch.zeros_like(p))
                r.mul_(rho).add_((1 - rho) * g * g)
                p.sub_(eta / torch.sqrt(delta + r) * g)
