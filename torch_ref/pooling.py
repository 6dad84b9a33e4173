"""Built-in twins of manual/pooling.py."""
from torch import flatten
from torch.nn.functional import max_pool2d

__all__ = ["flatten", "max_pool2d"]
