"""Forward and back propagation of a fully connected network by the chain rule, no autograd.

Notes sections: 正向传播 (Forward Propagation), 反向传播 (数学建模, 代码实现思路),
激活函数和反向传播的关系.

The notes' recipe, for a batch in matrix form (rows are examples, W has torch's (out, in)):

    forward, layer l:   net_l = out_{l-1} W_l^T + b_l,    out_l = f_l(net_l)
    backward, layer l:  receives dE/dout_l from the layer above
                        dE/dnet_l     = dE/dout_l * f_l'(net_l)      (activation's derivative)
                        dE/dW_l       = (dE/dnet_l)^T out_{l-1}
                        dE/db_l       = sum over the batch of dE/dnet_l
                        dE/dout_{l-1} = dE/dnet_l W_l           (passed to the layer below)

f' is written from the layer's output where that is how the notes write it: sigmoid' =
out (1 - out) (not sigma(out)(1 - sigma(out)), the notes' slip), tanh' = 1 - out^2.

Losses: 'mse' is the notes' E = 1/2 sum (target - out)^2 over outputs and examples, so
dE/dout = out - target; 'cross_entropy' is softmax cross-entropy averaged over the batch
(last layer 'identity'), so dE/dnet = (softmax(net) - onehot) / N.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from manual import activations as A
from manual.losses import cross_entropy_backward, log_softmax, mse_loss, mse_loss_backward

__all__ = ["Activation", "forward", "gradients"]


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable  # net -> out
    chain: Callable | None  # (dE/dout, net, out) -> dE/dnet: the chain rule through f (None:
    #                         a forward alone, the notes' literal sigmoid)


ACTIVATIONS = {  # each derivative is activations.py's, the one autograd's backward uses too
    "sigmoid": Activation("sigmoid", A.sigmoid,
                          lambda grad, net, out: A.sigmoid_backward(grad, out)),
    "tanh": Activation("tanh", A.tanh, lambda grad, net, out: A.tanh_backward(grad, out)),
    "relu": Activation("relu", A.relu, lambda grad, net, out: A.relu_backward(grad, out)),
    "leaky_relu": Activation("leaky_relu", A.leaky_relu,
                             lambda grad, net, out: A.leaky_relu_backward(grad, net)),
    "identity": Activation("identity", lambda net: net, lambda grad, net, out: grad),
}


def _activation(a):
    if isinstance(a, Activation):
        return a
    if a not in ACTIVATIONS:
        raise ValueError(f"unknown activation {a!r}; choose from {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[a]


def _forward(x, weights, biases, activations):
    """Every layer's (input, net, out), first layer first."""
    layers = []
    for W, b, act in zip(weights, biases, activations):
        net = x @ W.T + b  # (N, out)
        out = act.f(net)
        layers.append((x, net, out))
        x = out
    return layers


def forward(x: torch.Tensor, weights: list[torch.Tensor], biases: list[torch.Tensor],
            activations: list) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Every layer's (net, out): what the layer sums, and what it passes on."""
    acts = [_activation(a) for a in activations]
    return [(net, out) for _, net, out in _forward(x, weights, biases, acts)]


def _loss_and_grad(net, out, target, loss):
    """E, and dE/dout of the last layer (mse) or dE/dnet (cross-entropy, softmax folded in)."""
    if loss == "mse":  # E = 1/2 sum (out - target)^2:  dE/dout = out - target
        return 0.5 * mse_loss(out, target, reduction="sum"), mse_loss_backward(0.5, out, target)
    logp = log_softmax(net, 1)  # E = -1/N sum log softmax(net)_target:  dE/dnet = (s - onehot)/N
    onehot = torch.zeros_like(net).scatter_(1, target.unsqueeze(1), 1)
    N = net.shape[0]
    return -(onehot * logp).sum() / N, cross_entropy_backward(1 / N, logp, onehot)


def gradients(x: torch.Tensor, target: torch.Tensor, weights: list[torch.Tensor],
              biases: list[torch.Tensor], activations: list, loss: str = "mse"
             ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """E and the gradients of every weight and bias: (E, [dE/dW_l], [dE/db_l])."""
    acts = [_activation(a) for a in activations]
    if not len(weights) == len(biases) == len(acts):
        raise ValueError("need one weight, one bias and one activation per layer")
    if loss not in ("mse", "cross_entropy"):
        raise ValueError(f"loss must be 'mse' or 'cross_entropy', got {loss!r}")
    if loss == "cross_entropy" and acts[-1].name != "identity":
        raise ValueError("cross_entropy applies its own softmax: make the last layer 'identity'")
    layers = _forward(x, weights, biases, acts)
    x_last, net, out = layers[-1]
    E, grad = _loss_and_grad(net, out, target, loss)
    grad_out, grad_net = (grad, None) if loss == "mse" else (None, grad)
    grads_w, grads_b = [], []
    for (x_in, net, out), W, act in zip(reversed(layers), reversed(weights), reversed(acts)):
        if grad_net is None:
            grad_net = act.chain(grad_out, net, out)  # dE/dout -> dE/dnet
        grads_w.append(grad_net.T @ x_in)  # dE/dW = (dE/dnet)^T x
        grads_b.append(grad_net.sum(0))  # dE/db = sum dE/dnet
        grad_out = grad_net @ W  # dE/dout of the layer below
        grad_net = None
    return E, grads_w[::-1], grads_b[::-1]
