"""Built-in twins of manual/conv.py."""
from torch.nn import Conv2d
from torch.nn.functional import conv2d
from torch.nn.functional import fold as col2im
from torch.nn.functional import unfold as im2col
from torch.nn.grad import conv2d_input

__all__ = ["Conv2d", "col2im", "conv2d", "conv2d_input", "im2col"]
