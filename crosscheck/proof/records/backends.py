"""The two ops backends the CNN runs on: hand-derived (its convolution in the arrangement
made for speed, manual/conv_fast.py, proved to give manual/conv.py's numbers), and
PyTorch's built-ins."""
from types import SimpleNamespace

from manual import activations, conv_fast, linear, losses, pooling
from torch_ref import activations as ref_activations
from torch_ref import conv as ref_conv
from torch_ref import linear as ref_linear
from torch_ref import losses as ref_losses
from torch_ref import pooling as ref_pooling


def _ops(name, act, cv, lin, loss, pool):
    return SimpleNamespace(name=name, conv2d=cv.conv2d, relu=act.relu,
                           max_pool2d=pool.max_pool2d, flatten=pool.flatten,
                           linear=lin.linear, cross_entropy=loss.cross_entropy)


MANUAL = _ops("manual", activations, conv_fast, linear, losses, pooling)
TORCH = _ops("torch", ref_activations, ref_conv, ref_linear, ref_losses, ref_pooling)
BACKENDS = {"manual": MANUAL, "torch": TORCH}

