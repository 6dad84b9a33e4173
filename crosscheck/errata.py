"""The notes' slips, written exactly as the notes state them.

Each is run beside the corrected formula and torch: the slip must fail the check that the
correction passes.
"""
import torch

from crosscheck.wrong import with_backward
from manual import activations as A


def seed_sigmoid(y):
    """激活函数和反向传播的关系: sigma(y') = 1 / (1 - e^{-y'})  (the sign should be +)."""
    return 1 / (1 - torch.exp(-y))


def _sigmoid_of_output(ctx, grad):
    (out,) = ctx.saved_tensors
    # 反向传播: dout/dnet = sigma(out_o1)(1 - sigma(out_o1)): sigma applied twice
    s = A._sigmoid(out)
    return grad * s * (1 - s)


seed_sigmoid_backward = with_backward(A.Sigmoid, _sigmoid_of_output).apply
