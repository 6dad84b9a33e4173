"""A piece under a name of its own: check it with --as my_sigmoid=sigmoid."""
import torch


def my_sigmoid(input):
    return 1 / (1 + torch.exp(-input))
