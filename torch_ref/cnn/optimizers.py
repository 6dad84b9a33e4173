"""The one optimizer table of the commands that train the CNN: every name the command line
knows, the class it is on either side, its learning rate and other arguments for the CNN.

A name maps to a class of ``torch.optim`` / ``manual.optim`` (both export the same names).
Adding an optimizer is one row here (and its class in manual/optim.py and torch_ref/optim.py);
the command line's choices and help, train and compare read this table. (``handgrad
landscape`` has its own settings, beside its 2-D functions in crosscheck/proof/checks/functions.py.)
"""
from dataclasses import dataclass, field
from functools import partial


@dataclass(frozen=True)
class Spec:
    cls: str  # the class name on either side
    lr: float  # the CNN's learning rate when --lr is not given
    kwargs: dict = field(default_factory=dict)  # its other arguments for the CNN


OPTIMIZERS = {
    "sgd": Spec("SGD", 0.05),
    "momentum": Spec("SGD", 0.01, {"momentum": 0.9}),
    "adagrad": Spec("Adagrad", 0.01),
    "rmsprop": Spec("RMSprop", 1e-3),
    "adam": Spec("Adam", 2e-3),
}


def default_lr(name):
    return OPTIMIZERS[name].lr


def optimizer_factory(name, side):
    """optimizer(params, lr=..., weight_decay=...) for ``name`` in ``side`` (the module
    manual.optim or torch.optim), its other arguments (momentum) filled in."""
    spec = OPTIMIZERS[name]
    return partial(getattr(side, spec.cls), **spec.kwargs)


def default_lrs():
    """'sgd 0.05, momentum 0.01, ...' for the command line's help."""
    return ", ".join(f"{name} {default_lr(name):g}" for name in OPTIMIZERS)
