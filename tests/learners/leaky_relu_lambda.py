"""A lambda."""
import torch

leaky_relu = lambda input, negative_slope=0.01, inplace=False: torch.where(  # noqa: E731
    input > 0, input, input * negative_slope)
