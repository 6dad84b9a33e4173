"""The two ops backends the CNN runs on: hand-derived, and PyTorch's built-ins."""
from types import SimpleNamespace

from manual import activations, conv, linear, losses, pooling
from torch_ref import activations as ref_activations
from torch_ref import conv as ref_conv
from torch_ref import linear as ref_linear
from torch_ref import losses as ref_losses
from torch_ref import pooling as ref_pooling


def _ops(name, act, cv, lin, loss, pool):
    return SimpleNamespace(name=name, conv2d=cv.conv2d, relu=act.relu,
                           max_pool2d=pool.max_pool2d, flatten=pool.flatten,
                           linear=lin.linear, cross_entropy=loss.cross_entropy)


MANUAL = _ops("manual", activations, conv, linear, losses, pooling)
TORCH = _ops("torch", ref_activations, ref_conv, ref_linear, ref_losses, ref_pooling)
BACKENDS = {"manual": MANUAL, "torch": TORCH}


def training_parts(impl, optimizer_impl):
    """The trainer's parts: the ops of ``impl``; optimizers and warm-up of
    ``optimizer_impl``; the stop rules, which only exist by hand."""
    from manual import optim, schedules, stopping
    from torch_ref import optim as ref_optim
    from torch_ref import schedules as ref_schedules
    from torch_ref.train import Parts

    manual_side = optimizer_impl == "manual"
    return Parts(BACKENDS[impl], optim if manual_side else ref_optim,
                 schedules.WarmupLR if manual_side else ref_schedules.WarmupLR, stopping)
