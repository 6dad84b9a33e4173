"""The one optimizer table: every name the commands know, what it is on either side, and how
each command uses it.

A name maps to a class of ``torch.optim`` / ``manual.optim`` (both export the same names),
its default arguments (``lr`` included, for training the CNN), its colour in the pictures,
and its learning rate on each 2-D test function of ``handgrad landscape``. Adding an
optimizer is one row here (and its class in manual/optim.py and torch_ref/optim.py); the
command line's choices and help, the trainer, compare and landscape all read this table.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Spec:
    cls: str  # the class name on either side
    kwargs: dict  # default arguments for the CNN, lr included
    color: str
    landscape_lr: dict = field(default_factory=dict)  # test function -> learning rate


OPTIMIZERS = {
    "sgd": Spec("SGD", {"lr": 0.05}, "tab:blue", {"quadratic": 0.45, "rosenbrock": 1e-3}),
    "momentum": Spec("SGD", {"lr": 0.01, "momentum": 0.9}, "tab:orange",
                     {"quadratic": 0.05, "rosenbrock": 1e-4}),
    "adagrad": Spec("Adagrad", {"lr": 0.01}, "tab:green", {"quadratic": 0.9, "rosenbrock": 0.3}),
    "rmsprop": Spec("RMSprop", {"lr": 1e-3}, "tab:red", {"quadratic": 0.05, "rosenbrock": 3e-3}),
    "adam": Spec("Adam", {"lr": 2e-3}, "tab:purple", {"quadratic": 0.3, "rosenbrock": 0.02}),
}


def optimizer_class(name, side):
    """The class of optimizer ``name`` in ``side`` (the module manual.optim or torch.optim)."""
    return getattr(side, OPTIMIZERS[name].cls)


def default_lrs():
    """'sgd 0.05, momentum 0.01, ...' for the command line's help."""
    return ", ".join(f"{name} {spec.kwargs['lr']:g}" for name, spec in OPTIMIZERS.items())
