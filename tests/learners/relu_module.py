"""A module named after torch's nn.ReLU."""
import torch
from torch import nn


class ReLU(nn.Module):
    def forward(self, x):
        # (not clamp(x, min=0): its gradient at 0 is 1 on torch 2.4, 0 on 2.15, where
        # relu's is 0 on every torch)
        return torch.where(x > 0, x, torch.zeros_like(x))
