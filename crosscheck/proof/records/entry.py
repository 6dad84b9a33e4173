"""The registry's records, in the spirit of OpInfo: an entry says what it compares (the
manual piece, the reference, its kind, its samples, its negative controls), and the check is
a function of the entry.

    Entry            one comparison: check(entry, impl, dtype, device) -> Measure
    Piece            what a learner writes for it: the public name, what the starter
                     of ``handgrad exercise`` leaves out, the built-ins it re-derives
    Wrong, Erratum   a negative control (its name in Chinese too), and the notes' slip that
                     it is (if it is one)
    Sample           one call's arguments; ErrorInput, one the op refuses

An op's entry is its whole record: beside its own samples and controls, the name torch's
OpInfo database knows it by, the dtypes torch computes it in, its controls in the families
where the family's own do not fit, and the inputs it refuses. Its family rows
(``<family>_<op>``, crosscheck/proof/records/family_rows.py) are made from it.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable
from unittest import mock

import torch

from crosscheck.proof.checks.measure import Enough, first_failure_ends
from crosscheck.proof.notes.errata import Erratum

if TYPE_CHECKING:
    from crosscheck.proof.checks.measure import Measure

if TYPE_CHECKING:
    from crosscheck.proof.checks.families import Family
    from crosscheck.proof.checks.optim_checks import Setup

# an op's or a function's sample inputs: (dtype, device, generator) -> its Samples
SampleFn = Callable[[torch.dtype, str, torch.Generator], Iterable["Sample"]]

# what an entry compares: a function of tensors with a backward ('op'), an nn.Module, an
# optimizer class, a learning-rate schedule, a plain function (a fit, back propagation), a
# claim about the notes (a predicate over evidence from torch), or a whole setup (the CNN
# on an ops backend, every optimizer on the 2-D test functions)
KINDS = ("op", "module", "optimizer", "schedule", "function", "claim", "setup")
# what a learner's starter leaves out for them to derive
LEAVES_OUT = ("backward", "update", "lr_at", "body", None)


@dataclass
class Sample:
    """One call's arguments. ``gradcheck=False`` at kinks and ties, where a finite
    difference is not the derivative either side chose."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    gradcheck: bool = True


@dataclass(frozen=True)
class ErrorInput:
    """An input the op refuses: its call, words its one-line error must hold (what does not
    fit), and whether torch refuses it too (or computes what the manual op does not
    support, such as its deprecated arguments: then the refusal names the argument)."""

    args: tuple
    kwargs: dict
    says: str
    torch_refuses: bool = True


@dataclass(frozen=True)
class Wrong:
    """A negative control: a deliberately wrong version that the entry's check must reject.
    ``swaps`` put a wrong piece (a backward, an autograd Function) in place inside the real
    public function for the length of the check; ``impl`` stands in for the manual piece
    where the slip is a whole formula (an optimizer's update, the notes' literal version).
    ``erratum`` is set where the wrong version is what the notes wrote."""

    impl: Callable | None = None
    swaps: tuple = ()  # (owner, attribute name, replacement)
    erratum: Erratum | None = None
    zh: str = ""  # the slip's name in Chinese (its label, the key it is under, is English)

    def named(self, zh: str) -> Wrong:
        """This control with its Chinese name."""
        return replace(self, zh=zh)

    def applied(self) -> ExitStack:
        stack = ExitStack()
        for owner, name, replacement in self.swaps:
            stack.enter_context(mock.patch.object(owner, name, replacement))
        return stack


def with_backward(function: type, backward: Callable, erratum: Erratum | None = None) -> Wrong:
    """A Wrong whose ``function`` (an autograd Function class) has another backward."""
    return with_methods(function, erratum, backward=staticmethod(backward))


def with_methods(function: type, erratum: Erratum | None = None, **attributes: Any) -> Wrong:
    """A Wrong whose ``function`` (an autograd Function class) has other methods or
    attributes (a jvp, a vmap rule)."""
    wrong = type(f"Wrong{function.__name__}", (function,), attributes)
    return swap(function, wrong, erratum)


def swap(function: type, replacement: object, erratum: Erratum | None = None) -> Wrong:
    """A Wrong that replaces the class ``function`` where its module defines it."""
    return Wrong(swaps=((sys.modules[function.__module__], function.__name__, replacement),),
                 erratum=erratum)


@dataclass(frozen=True)
class Piece:
    """What a learner may write in place of handgrad's: the public name their file
    defines, and what the exercise's starter leaves out ('backward' of ``function``,
    an optimizer's 'update', the warm-up's 'lr_at', a plain function's 'body', or None for
    a module that only calls an op). ``state_keys``: an optimizer's per-parameter state.
    ``builtins``: the dotted names of torch's that the piece re-derives (a name stands for
    everything under it too): a learner's piece that calls one earns nothing for it."""

    name: str
    leaves_out: str | None = None
    function: type | None = None  # the autograd Function whose backward is the exercise
    state_keys: tuple = ()
    builtins: tuple = ()

    def __post_init__(self):
        assert self.leaves_out in LEAVES_OUT, self.leaves_out


@dataclass
class Entry:
    """One comparison of the registry.

    ``check(entry, impl, dtype, device)`` runs it on ``impl`` (the manual piece, a learner's,
    or a wrong version) and returns a Measure; it reads ``reference`` and what it runs on
    from the entry, so the same check runs against another reference by ``replace``. What
    it runs on, by kind: an op's or a function's ``samples``, a module's ``configs``, an
    optimizer's or a schedule's ``setup`` (and its ``sparse`` settings), a claim's
    ``evidence``, the CNN step's ``optimizer``. ``convention``: the entry measures one of
    handgrad's forms of the notes against torch's, so a learner is not held to it. The
    negative controls run in the first of ``dtypes``.

    An op's record: ``torch_name`` in torch's OpInfo database (None: torch has no OpInfo
    of it, and ``why_no_families`` says so), ``torch_dtypes`` it computes in on the CPU,
    ``controls`` {family: ({label: Wrong}, why there is none)} where the family's own
    (crosscheck/proof/records/wrong.py) do not fit, ``error_inputs``. A family row of an op
    has its ``family`` and its op's entry, ``base``."""

    name: str
    section: str  # the notes' heading
    group: str
    kind: str
    manual: Any
    check: Callable
    reference: Any = None
    samples: SampleFn | None = None
    wrong: dict = field(default_factory=dict)  # label -> Wrong
    piece: Piece | None = None  # None: not a piece a learner writes
    convention: bool = False
    learners: bool = True  # False: beyond what a learner's exercise asks (a family of
    #                        handgrad's rigor): run on a learner's piece as advice, not verdict
    dtypes: tuple = (torch.float64, torch.float32)
    why_tol: str = ""  # where a tolerance is not the default, the reason
    tol: dict | None = None  # an op's tolerance where it is not the dtype's (why_tol says why)
    why_no_wrong: str = ""  # where no negative control fits, the reason
    opt_in: bool = False  # run only when --only names it or its group (it takes minutes)
    torch_name: str | None = None
    why_no_families: str = ""
    torch_dtypes: tuple = ()
    controls: dict = field(default_factory=dict)
    error_inputs: tuple = ()  # of ErrorInput
    family: Family | None = None
    base: Entry | None = None
    configs: tuple = ()  # a module's: ((args), {kwargs}, input shape) each
    setup: Setup | None = None  # an optimizer's or a schedule's settings
    sparse: tuple = ()  # an optimizer's settings on sparse gradients: {kwargs} each
    evidence: Callable[[torch.dtype, str], dict] | None = None  # a claim's, from torch
    optimizer: type | None = None  # the optimizer the CNN step trains with

    def __post_init__(self):
        assert self.kind in KINDS, self.kind

    def run(self, dtype: torch.dtype, device: str, wrong: Wrong | None = None) -> Measure:
        """The check on the manual piece, or on a Wrong (which ends at its first failure:
        a negative control is only asked whether the check rejects it)."""
        if wrong is None:
            return self.check(self, self.manual, dtype, device)
        with wrong.applied(), first_failure_ends():
            try:
                return self.check(self, self.manual if wrong.impl is None else wrong.impl,
                                  dtype, device)
            except Enough as done:
                return done.measure

    def against(self, reference: Callable) -> Entry:
        """This entry with another reference (a known wrong version, for the diagnosis)."""
        return replace(self, reference=reference)

    @property
    def errata(self) -> list[Erratum]:
        return [w.erratum for w in self.wrong.values() if w.erratum]
