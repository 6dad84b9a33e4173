"""The one optimizer table of the commands that train the CNN: every name the command line
knows, the class it is on either side, and its arguments for the CNN (lr included).

A name maps to a class of ``torch.optim`` / ``manual.optim`` (both export the same names).
Adding an optimizer is one row here (and its class in manual/optim.py and torch_ref/optim.py);
the command line's choices and help, train and compare read this table. (``handgrad
landscape`` has its own settings, beside its 2-D functions in crosscheck/proof/checks/functions.py.)
"""
from dataclasses import dataclass
from functools import partial


@dataclass(frozen=True)
class Spec:
    cls: str  # the class name on either side
    kwargs: dict  # default arguments for the CNN, lr included


OPTIMIZERS = {
    "sgd": Spec("SGD", {"lr": 0.05}),
    "momentum": Spec("SGD", {"lr": 0.01, "momentum": 0.9}),
    "adagrad": Spec("Adagrad", {"lr": 0.01}),
    "rmsprop": Spec("RMSprop", {"lr": 1e-3}),
    "adam": Spec("Adam", {"lr": 2e-3}),
}


def default_lr(name):
    return OPTIMIZERS[name].kwargs["lr"]


def optimizer_factory(name, side):
    """optimizer(params, lr=..., weight_decay=...) for ``name`` in ``side`` (the module
    manual.optim or torch.optim), its other arguments (momentum) filled in."""
    spec = OPTIMIZERS[name]
    return partial(getattr(side, spec.cls), **{k: v for k, v in spec.kwargs.items() if k != "lr"})


def default_lrs():
    """'sgd 0.05, momentum 0.01, ...' for the command line's help."""
    return ", ".join(f"{name} {default_lr(name):g}" for name in OPTIMIZERS)
