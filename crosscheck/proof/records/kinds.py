"""How each kind of registry entry is made from its parts: an op (an autograd Function a
learner derives the backward of), a module, a plain function, an optimizer, a measured
convention, a warm-up schedule; what each piece re-derives (``torch_names``); a control
that is the notes' own slip (``notes_wrong``)."""
import torch

from crosscheck.proof.checks.harness import check_module, check_op
from crosscheck.proof.checks.optim_checks import (
    Setup,
    check_differs,
    check_optimizer,
    check_schedule,
)
from crosscheck.proof.records.entry import Entry, Piece, Wrong
from crosscheck.proof.records.sections import WARMUP
from manual import schedules
from torch_ref import schedules as ref_schedules

# torch's per-parameter state of each optimizer (the check holds the manual keys to them)
STATE_KEYS = {"SGD": ("momentum_buffer",), "Adagrad": ("step", "sum"),
              "RMSprop": ("step", "square_avg", "momentum_buffer", "grad_avg"),
              "Adam": ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")}
# an optimizer, a schedule: torch's, any of them (the interfaces, Optimizer and
# LRScheduler, are every piece's to use: crosscheck/grading/handmade.py)
OPTIMIZERS = ("torch.optim",)


def torch_names(name, *also):
    """What an op re-derives: torch's function, functional and tensor method of its name,
    and ``also`` (its aliases and module)."""
    return (f"torch.{name}", f"torch.nn.functional.{name}", f"torch.Tensor.{name}",
            f"torch.Tensor.{name}_", *also)


def op(name, section, manual, function, reference, samples, wrong, builtins, **record):
    """An op: an autograd Function (whose backward a learner derives) behind ``manual``;
    ``record``: the rest of its record (its OpInfo name and dtypes, its family controls, its
    error inputs)."""
    piece = Piece(manual.__name__, "backward", function, builtins=builtins)
    return Entry(name, section, "ops", "op", manual, check_op, reference, samples, wrong,
                 piece, **record)


def function(name, section, manual, reference, samples, wrong, builtins, group="fit", **kw):
    """A plain function of tensors, derived whole."""
    return Entry(name, section, group, "function", manual, check_op, reference, samples, wrong,
                 Piece(manual.__name__, "body", builtins=builtins), **kw)


def module(name, section, manual, reference, configs, wrong, builtins):
    return Entry(name, section, "ops", "module", manual, check_module, reference,
                 configs=tuple(configs), wrong=wrong,
                 piece=Piece(manual.__name__, builtins=builtins))


def optimizer_piece(cls):
    return Piece(cls.__name__, "update", state_keys=STATE_KEYS[cls.__name__],
                 builtins=OPTIMIZERS)


def optimizer(name, section, manual, reference, kwargs, wrong, convention=False, **kw):
    return Entry(name, section, "optim", "optimizer", manual, check_optimizer, reference,
                 setup=Setup(kwargs, **kw), wrong=wrong, piece=optimizer_piece(manual),
                 convention=convention)


def differs(name, section, manual, reference, kwargs, ref_kwargs, schedule, scale=1.0):
    why = "the row shows a measured difference; the control is its equal-path twin"
    return Entry(name, section, "convention", "optimizer", manual, check_differs, reference,
                 setup=Setup(kwargs, ref_kwargs, schedule, scale=scale),
                 piece=optimizer_piece(manual),
                 convention=True, dtypes=(torch.float64,), why_no_wrong=why)


def schedule(name, kwargs, wrong):
    return Entry(name, WARMUP, "schedule", "schedule", schedules.WarmupLR, check_schedule,
                 ref_schedules.WarmupLR, setup=Setup(kwargs), wrong=wrong,
                 piece=Piece("WarmupLR", "lr_at", builtins=OPTIMIZERS),
                 dtypes=(torch.float64,))


def notes_wrong(impl, erratum, zh):
    """A control that is what the notes wrote (``erratum``), named ``zh`` in Chinese."""
    return Wrong(impl, erratum=erratum, zh=zh)
