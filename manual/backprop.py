"""Forward and back propagation of a fully connected network by the chain rule, no autograd.

Seed sections: 正向传播 (Forward Propagation), 反向传播 (数学建模, 代码实现思路),
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
from dataclasses import dataclass
from typing import Callable

import torch

from manual.activations import _sigmoid, _tanh

__all__ = ["Activation", "forward", "gradients"]


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable  # net -> out
    derivative: Callable  # (net, out) -> dout/dnet


ACTIVATIONS = {
    "sigmoid": Activation("sigmoid", _sigmoid, lambda net, out: out * (1 - out)),
    "tanh": Activation("tanh", _tanh, lambda net, out: 1 - out * out),
    "relu": Activation("relu", lambda net: net.clamp(min=0),
                       lambda net, out: (net > 0).to(net.dtype)),
    "leaky_relu": Activation("leaky_relu", lambda net: torch.where(net > 0, net, 0.01 * net),
                             lambda net, out: torch.where(net > 0, torch.ones_like(net),
                                                          torch.full_like(net, 0.01))),
    "identity": Activation("identity", lambda net: net, lambda net, out: torch.ones_like(net)),
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


def forward(x, weights, biases, activations):
    """Every layer's (net, out): what the layer sums, and what it passes on."""
    acts = [_activation(a) for a in activations]
    return [(net, out) for _, net, out in _forward(x, weights, biases, acts)]


def _loss_and_grad(net, out, target, loss):
    """E and dE/dnet of the last layer."""
    if loss == "mse":
        return 0.5 * ((target - out) ** 2).sum(), None  # dE/dout = out - target
    # softmax cross-entropy: dE/dnet = (softmax - onehot) / N, the softmax's Jacobian folded in
    logp = net - net.amax(1, keepdim=True)
    logp = logp - torch.log(torch.exp(logp).sum(1, keepdim=True))
    onehot = torch.zeros_like(net).scatter_(1, target.unsqueeze(1), 1)
    N = net.shape[0]
    return -(onehot * logp).sum() / N, (torch.exp(logp) - onehot) / N


def gradients(x, target, weights, biases, activations, loss="mse"):
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
    E, grad_net = _loss_and_grad(net, out, target, loss)
    grad_out = out - target if grad_net is None else None  # dE/dout of the last layer
    grads_w, grads_b = [], []
    for (x_in, net, out), W, act in zip(reversed(layers), reversed(weights), reversed(acts)):
        if grad_net is None:
            grad_net = grad_out * act.derivative(net, out)  # dE/dout -> dE/dnet
        grads_w.append(grad_net.T @ x_in)  # dE/dW = (dE/dnet)^T x
        grads_b.append(grad_net.sum(0))  # dE/db = sum dE/dnet
        grad_out = grad_net @ W  # dE/dout of the layer below
        grad_net = None
    return E, grads_w[::-1], grads_b[::-1]
