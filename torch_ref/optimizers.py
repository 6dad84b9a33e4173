"""The one optimizer table: every name the command line knows, the class it is on either
side, its arguments, its learning rate for the CNN, and its rates on the 2-D functions.

A name maps to a class of ``torch.optim`` / ``manual.optim`` (both export the same names).
Adding an optimizer is one row here (and its class in manual/optim.py and torch_ref/optim.py);
the command line's choices and help, train, compare and landscape read this table. (It sits
beside the twins rather than in torch_ref/cnn/: the proof's 2-D paths read it too, and the
proof never imports the training code.)
"""
from dataclasses import dataclass, field
from functools import partial


@dataclass(frozen=True)
class Spec:
    cls: str  # the class name on either side
    lr: float  # the CNN's learning rate when --lr is not given
    kwargs: dict = field(default_factory=dict)  # its other arguments (momentum)
    # a rate per 2-D function (crosscheck/proof/checks/functions.py), each about the largest
    # that still descends steadily there: their curvatures differ a thousandfold, so do these
    landscape: dict = field(default_factory=dict)


OPTIMIZERS = {
    "sgd": Spec("SGD", 0.05, landscape={"quadratic": 0.45, "rosenbrock": 1e-3}),
    "momentum": Spec("SGD", 0.01, {"momentum": 0.9},
                     landscape={"quadratic": 0.05, "rosenbrock": 1e-4}),
    "adagrad": Spec("Adagrad", 0.01, landscape={"quadratic": 0.9, "rosenbrock": 0.3}),
    "rmsprop": Spec("RMSprop", 1e-3, landscape={"quadratic": 0.05, "rosenbrock": 3e-3}),
    "adam": Spec("Adam", 2e-3, landscape={"quadratic": 0.3, "rosenbrock": 0.02}),
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
