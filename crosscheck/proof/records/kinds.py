"""How each kind of registry entry is made from its parts: an op (an autograd Function a
learner derives the backward of), a module, a plain function, an optimizer, a measured
convention, a warm-up schedule; what each piece re-derives (``torch_names``); a control
that is the notes' own slip (``notes_wrong``)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from crosscheck.proof.notes.errata import Erratum
    from crosscheck.proof.records.entry import SampleFn

# torch's per-parameter state of each optimizer (the check holds the manual keys to them)
STATE_KEYS = {"SGD": ("momentum_buffer",), "Adagrad": ("step", "sum"),
              "RMSprop": ("step", "square_avg", "momentum_buffer", "grad_avg"),
              "Adam": ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")}
# an optimizer, a schedule: torch's, any of them (the interfaces, Optimizer and
# LRScheduler, are every piece's to use: crosscheck/grading/handmade.py)
OPTIMIZERS = ("torch.optim",)


def torch_names(name: str, *also: str) -> tuple[str, ...]:
    """What an op re-derives: torch's function, functional and tensor method of its name,
    and ``also`` (its aliases and module)."""
    return (f"torch.{name}", f"torch.nn.functional.{name}", f"torch.Tensor.{name}",
            f"torch.Tensor.{name}_", *also)


def op(name: str, section: str, manual: Callable, function: type, reference: Callable,
       samples: SampleFn, wrong: dict, builtins: tuple, **record: Any) -> Entry:
    """An op: an autograd Function (whose backward a learner derives) behind ``manual``;
    ``record``: the rest of its record (its OpInfo name and dtypes, its family controls, its
    error inputs)."""
    piece = Piece(manual.__name__, "backward", function, builtins=builtins)
    return Entry(name, section, "ops", "op", manual, check_op, reference, samples, wrong,
                 piece, **record)


def function(name: str, section: str, manual: Callable, reference: Callable, samples: SampleFn,
             wrong: dict, builtins: tuple, group: str = "fit", **kw: Any) -> Entry:
    """A plain function of tensors, derived whole."""
    return Entry(name, section, group, "function", manual, check_op, reference, samples, wrong,
                 Piece(manual.__name__, "body", builtins=builtins), **kw)


def module(name: str, section: str, manual: Callable, reference: Callable, configs: list,
           wrong: dict, builtins: tuple) -> Entry:
    return Entry(name, section, "ops", "module", manual, check_module, reference,
                 configs=tuple(configs), wrong=wrong,
                 piece=Piece(manual.__name__, builtins=builtins))


def optimizer_piece(cls) -> Piece:
    return Piece(cls.__name__, "update", state_keys=STATE_KEYS[cls.__name__],
                 builtins=OPTIMIZERS)


def optimizer(name: str, section: str, manual: Callable, reference: Callable, kwargs: dict,
              wrong: dict, convention: bool = False, **kw: Any) -> Entry:
    return Entry(name, section, "optim", "optimizer", manual, check_optimizer, reference,
                 setup=Setup(kwargs, **kw), wrong=wrong, piece=optimizer_piece(manual),
                 convention=convention)


def differs(name: str, section: str, manual: Callable, reference: Callable, kwargs: dict,
            ref_kwargs: dict, schedule: str | None, scale: float = 1.0) -> Entry:
    why = "the row shows a measured difference; the control is its equal-path twin"
    return Entry(name, section, "convention", "optimizer", manual, check_differs, reference,
                 setup=Setup(kwargs, ref_kwargs, schedule, scale=scale),
                 piece=optimizer_piece(manual),
                 convention=True, dtypes=(torch.float64,), why_no_wrong=why)


def schedule(name: str, kwargs: dict, wrong: dict) -> Entry:
    return Entry(name, WARMUP, "schedule", "schedule", schedules.WarmupLR, check_schedule,
                 ref_schedules.WarmupLR, setup=Setup(kwargs), wrong=wrong,
                 piece=Piece("WarmupLR", "lr_at", builtins=OPTIMIZERS),
                 dtypes=(torch.float64,))


def notes_wrong(impl: Callable, erratum: Erratum, zh: str) -> Wrong:
    """A control that is what the notes wrote (``erratum``), named ``zh`` in Chinese."""
    return Wrong(impl, erratum=erratum, zh=zh)
