"""Built-in twins of manual/pooling.py."""
import torch
from torch.nn.functional import max_pool2d

__all__ = ["flatten", "max_pool2d"]


def flatten(input, start_dim=1, end_dim=-1):
    """torch.flatten with nn.Flatten's default start_dim=1 (keep the batch dimension)."""
    return torch.flatten(input, start_dim, end_dim)
