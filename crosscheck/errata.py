"""The notes' slips, written exactly as the notes state them.

Each is run beside the corrected formula and torch: the slip must fail the check that the
correction passes.
"""
import torch

from crosscheck.wrong import with_backward
from manual import activations as A
from manual import backprop as BP
from manual.stopping import GradNormBelow, MaxEpochs, NonFiniteLoss, Progress, StopRules


def seed_sigmoid(y):
    """激活函数和反向传播的关系: sigma(y') = 1 / (1 - e^{-y'})  (the sign should be +)."""
    return 1 / (1 - torch.exp(-y))


def _sigmoid_of_output(ctx, grad):
    (out,) = ctx.saved_tensors
    # 反向传播: dout/dnet = sigma(out_o1)(1 - sigma(out_o1)): sigma applied twice
    s = A._sigmoid(out)
    return grad * s * (1 - s)


seed_sigmoid_backward = with_backward(A.Sigmoid, _sigmoid_of_output).apply


def seed_fit_line_gd(x, y, lr=0.1, tol=1e-10, max_steps=100_000):
    """批量梯度下降 as written: g = grad / (n + 1), n the number of *parameters* (here one
    weight, so n + 1 = 2), and theta_new = theta_old + eta g: a step up the bowl."""
    w = b = torch.zeros((), dtype=x.dtype, device=x.device)
    rules = StopRules(NonFiniteLoss(), GradNormBelow(tol), MaxEpochs(max_steps))
    for step in range(max_steps + 1):
        r = y - w * x - b
        gw, gb = -2 * (x * r).sum() / 2, -2 * r.sum() / 2  # averaged over n + 1 = 2 parameters
        stop = rules(Progress(step, loss=float((r * r).sum()),
                              grad_norm=float(torch.sqrt(gw * gw + gb * gb))))
        if stop:
            return w, b, step, stop
        w, b = w + lr * gw, b + lr * gb


def seed_forward(x, weights, biases, activations):
    """The forward pass with the notes' sigma(y) = 1 / (1 - e^{-y}) in place of sigmoid."""
    seed = BP.Activation("sigmoid", seed_sigmoid, lambda net, out: None)
    return BP.forward(x, weights, biases, [seed if a == "sigmoid" else a for a in activations])
