"""A convolution whose output is twice torch's, as a function and as a module."""
import torch.nn.functional as F
from torch import nn


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return 2 * F.conv2d(input, weight, bias, stride, padding, dilation, groups)


class Conv2d(nn.Conv2d):
    def forward(self, input):
        return 2 * super().forward(input)
