"""One neuron and its bias, as in the notes' example.

Notes section: 偏差的作用 (Bias): 场景, 数学模型, 输入对应输出, 总结.

Two yes/no inputs (saw a fall, heard a cry), weights 1 and a bias b: y = x1 + x2 + b. With
b = -1 (the notes' "neural-dull" person) y is 1 only when both happen, so the neuron should
fire when y > 0. The notes state the threshold as "> 1", which their own table contradicts:
for x1 = x2 = 1 it gives y = 1, marked 激活 (fires), and 1 > 1 is false. Their table also
leaves out the input pair (0, 1). The full table:

    x1 x2   y = x1 + x2 - 1   fires (y > 0)
    0  0    -1                no
    0  1     0                no
    1  0     0                no
    1  1     1                yes

A larger bias (b > 0) makes firing easier, a smaller one harder: the bias is the threshold.
"""
from __future__ import annotations

import torch

__all__ = ["fires", "neuron"]


def neuron(x1: torch.Tensor, x2: torch.Tensor, bias: float = -1.0) -> torch.Tensor:
    """The weighted sum with both weights 1 (the notes leave weights out here)."""
    return x1 + x2 + bias


def fires(y: torch.Tensor, threshold: float = 0.0) -> torch.Tensor:
    return y > threshold
