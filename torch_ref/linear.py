"""Built-in twins of manual/linear.py."""
from torch.nn import Linear
from torch.nn.functional import linear

__all__ = ["Linear", "linear"]
