"""A module named after torch's nn.ReLU."""
import torch
from torch import nn


class ReLU(nn.Module):
    def forward(self, x):
        return torch.clamp(x, min=0)
