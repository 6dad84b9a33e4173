"""Built-in twin of manual/backprop.py: the same network and loss, gradients by autograd."""
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

__all__ = ["Activation", "forward", "gradients"]


@dataclass(frozen=True)
class Activation:
    """A custom activation; autograd finds its derivative."""

    name: str
    f: Callable


ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu,
               "leaky_relu": F.leaky_relu, "identity": lambda net: net}


def forward(x, weights, biases, activations):
    layers = []
    for W, b, a in zip(weights, biases, activations):
        net = F.linear(x, W, b)
        x = (a.f if isinstance(a, Activation) else ACTIVATIONS[a])(net)
        layers.append((net, x))
    return layers


def gradients(x, target, weights, biases, activations, loss="mse"):
    weights = [W.detach().requires_grad_() for W in weights]
    biases = [b.detach().requires_grad_() for b in biases]
    out = forward(x, weights, biases, activations)[-1][1]
    if loss == "mse":
        E = 0.5 * F.mse_loss(out, target, reduction="sum")
    else:
        E = F.cross_entropy(out, target)
    grads = torch.autograd.grad(E, weights + biases)
    return E.detach(), list(grads[:len(weights)]), list(grads[len(weights):])
