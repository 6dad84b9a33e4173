"""The comparison helper and the four checks of an op: forward, backward, gradcheck, and
(by running them on a deliberately wrong implementation) negative controls.

A check never raises on a mismatch: it records the measured errors and the failure in a
``Measure``, so that ``handgrad check`` can print the figures of passing and failing rows alike.
"""
from __future__ import annotations

import math
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Callable
from unittest import mock

import torch

F64_TOL = {"rtol": 1e-10, "atol": 1e-12}  # the design's float64 policy; float32: torch defaults


def default_tol(dtype):
    return F64_TOL if dtype == torch.float64 else {}


def exact_float32():
    """Compare float32 at float32's tolerances: no TF32 shortcuts in GPU matrix products
    and convolutions (cuDNN allows them by default, at about 1e-3 relative error)."""
    torch.backends.cuda.matmul.allow_tf32 = False
    if torch.backends.cudnn.allow_tf32:  # once: torch's test suite, when imported, locks it
        torch.backends.cudnn.allow_tf32 = False


def devices():
    """The CPU, and CUDA where there is one."""
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@dataclass
class Measure:
    """Largest errors seen per kind ('out': values, 'grad': gradients or optimizer state):
    max abs = max |a - b|, max rel = max |a - b| / max |b| over each compared tensor."""

    errors: dict = field(default_factory=dict)  # kind -> [max abs, max rel]
    gradcheck: bool | None = None
    failures: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    first: dict = None  # the first element that differs (see ``compare``)

    @property
    def ok(self):
        return not self.failures and self.gradcheck is not False

    def record(self, kind, actual, expected):
        a, e = actual.detach(), expected.detach()
        if a.is_complex() or e.is_complex():  # a complex number as its pair of reals
            a, e = torch.view_as_real(a.resolve_conj()), torch.view_as_real(e.resolve_conj())
        a, e = a.double(), e.double()
        diff = (a - e).abs()
        same = (a == e) | (torch.isnan(a) & torch.isnan(e))  # equal infinities included
        diff = torch.where(same, torch.zeros_like(diff), diff)
        if not diff.numel():
            return
        # relative to the tensor's largest entry: an element near 0 that both sides round
        # differently (1 - t^2 for a saturated tanh) must not read as a large relative error
        scale = e[torch.isfinite(e)].abs().max().item() if torch.isfinite(e).any() else 0.0
        err = torch.nan_to_num(diff, nan=math.inf).max().item()  # inf where one side is
        worst = self.errors.setdefault(kind, [0.0, 0.0])
        worst[0] = max(worst[0], err)
        worst[1] = max(worst[1], err / scale if scale else 0.0)

    def fail(self, what):
        self.failures.append(what)


def compare(m: Measure, kind, what, actual, expected, tol, at=None):
    """The one comparison: record the error, then hold it to torch.testing.assert_close.
    The first element out of tolerance is kept in ``m.first`` (with the value of ``at``, the
    input, there when it has the same shape): what a learner needs to find the slip."""
    if actual is None or expected is None:
        if (actual is None) != (expected is None):
            m.fail(f"{what}: one side is None")
        return
    if actual.shape != expected.shape:
        m.fail(f"{what}: shape {tuple(actual.shape)} != {tuple(expected.shape)}")
        return
    m.record(kind, actual, expected)
    try:
        torch.testing.assert_close(actual, expected, equal_nan=True, **tol)
    except AssertionError as err:
        m.fail(f"{what}: {str(err).splitlines()[0]}")
        if m.first is None:
            m.first = _first_difference(what, actual, expected, tol, at)


def _first_difference(what, actual, expected, tol, at):
    a, e = actual.detach().cpu(), expected.detach().cpu()
    close = torch.isclose(a, e.to(a.dtype), equal_nan=True, **{"rtol": 1.3e-6, "atol": 1e-5,
                                                               **tol})
    bad = (~close).nonzero()
    index = tuple(bad[0].tolist()) if len(bad) else ()
    first = {"what": what, "index": index, "mine": a[index].item() if a.numel() else None,
             "torch": e[index].item() if e.numel() else None}
    if at is not None and at.shape == a.shape:
        first["input"] = at.detach().cpu()[index].item()
    return first


@dataclass
class Sample:
    """One call's arguments. ``gradcheck=False`` at kinks and ties, where a finite
    difference is not the derivative either side chose."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    gradcheck: bool = True


def compare_grads(m, what, mine, theirs, v, tol):
    """Backward of both sides under the same upstream gradient(s) v, input by input."""
    want = torch.autograd.grad(theirs[0], theirs[1], v, allow_unused=True)
    try:
        got = torch.autograd.grad(mine[0], mine[1], v, allow_unused=True)
    except Exception as err:  # a wrong backward may return the wrong shape
        m.fail(f"{what} backward: {type(err).__name__}: {str(err).splitlines()[0]}")
        return
    for i, (g, w) in enumerate(zip(got, want)):
        compare(m, "grad", f"{what} grad of input {i}", g, w, tol, at=mine[1][i])


def _grad_inputs(args):
    return [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]


def _gradcheck(impl, sample):
    inputs = _grad_inputs(sample.args)
    slots = [i for i, a in enumerate(sample.args) if any(a is x for x in inputs)]

    def fn(*xs):
        args = list(sample.args)
        for i, x in zip(slots, xs):
            args[i] = x
        return tuple(tensors(impl(*args, **sample.kwargs)))

    try:
        return torch.autograd.gradcheck(fn, inputs, raise_exception=False)
    except Exception:  # a wrong backward may not even return the right shapes
        return False


def tensors(out):
    """The tensors of an output, nested tuples and lists flattened; other values dropped."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in tensors(o)]
    return [out] if isinstance(out, torch.Tensor) else []


def check_op(impl, dtype, device, *, reference, samples, tol=default_tol):
    """Forward, backward with a random upstream gradient, and float64 gradcheck."""
    m = Measure()
    gen = torch.Generator().manual_seed(0)
    for k, sample in enumerate(samples(dtype, device, gen)):
        try:
            outs = tensors(impl(*sample.args, **sample.kwargs))
        except Exception as err:  # a wrong implementation may not even run
            m.fail(f"sample {k}: {type(err).__name__}: {err}")
            continue
        refs = tensors(reference(*sample.args, **sample.kwargs))
        if len(outs) != len(refs):
            m.fail(f"sample {k}: {len(outs)} outputs, torch gives {len(refs)}")
            continue
        first_input = next((a for a in sample.args if isinstance(a, torch.Tensor)), None)
        for i, (out, ref) in enumerate(zip(outs, refs)):
            compare(m, "out", f"sample {k} output {i}", out, ref, tol(dtype), at=first_input)
        inputs = _grad_inputs(sample.args)
        if not inputs or any(o.shape != r.shape for o, r in zip(outs, refs)):
            continue
        pairs = [(o, r) for o, r in zip(outs, refs) if r.requires_grad]  # not indices
        vs = [torch.randn(r.shape, generator=gen, dtype=torch.float64).to(device, dtype)
              for _, r in pairs]
        compare_grads(m, f"sample {k}", ([o for o, _ in pairs], inputs),
                      ([r for _, r in pairs], inputs), vs, tol(dtype))
        if dtype == torch.float64 and sample.gradcheck:
            ok = _gradcheck(impl, sample)
            m.gradcheck = ok and m.gradcheck is not False
            if not ok:
                m.notes.append(f"sample {k}: gradcheck failed")
    return m


@dataclass(frozen=True)
class Erratum:
    """A slip of the notes: their words, verbatim, and the correction."""

    name: str
    section: str
    quote: str
    correction: str


@dataclass(frozen=True)
class Wrong:
    """A negative control: a deliberately wrong version that the entry's check must reject.
    ``swaps`` put a wrong piece (a backward, an autograd Function) in place inside the real
    public function for the length of the check; ``impl`` stands in for the manual piece
    where the slip is a whole formula (an optimizer's update, the notes' literal version).
    ``erratum`` is set where the wrong version is what the notes wrote."""

    impl: Any = None
    swaps: tuple = ()  # (owner, attribute name, replacement)
    erratum: Erratum = None

    def applied(self):
        stack = ExitStack()
        for owner, name, replacement in self.swaps:
            stack.enter_context(mock.patch.object(owner, name, replacement))
        return stack


def with_backward(function, backward, erratum=None):
    """A Wrong whose ``function`` (an autograd Function class) has another backward."""
    wrong = type(f"Wrong{function.__name__}", (function,), {"backward": staticmethod(backward)})
    return swap(function, wrong, erratum)


def swap(function, replacement, erratum=None):
    """A Wrong that replaces the class ``function`` where its module defines it."""
    return Wrong(swaps=((sys.modules[function.__module__], function.__name__, replacement),),
                 erratum=erratum)


@dataclass
class Entry:
    """One comparison of the registry: the manual piece, how to check it, and the wrong
    versions (label -> Wrong) that the same check must reject."""

    name: str
    section: str  # the notes' heading
    group: str
    manual: Any
    check: Callable  # check(impl, dtype, device) -> Measure
    wrong: dict = field(default_factory=dict)
    dtypes: tuple = (torch.float64, torch.float32)
    why_tol: str = ""  # where a tolerance is not the default, the reason
    why_no_wrong: str = ""  # where no negative control fits, the reason

    def run(self, dtype, device, wrong=None):
        """The check on the manual piece, or on a Wrong."""
        if wrong is None:
            return self.check(self.manual, dtype, device)
        with wrong.applied():
            return self.check(self.manual if wrong.impl is None else wrong.impl, dtype, device)

    @property
    def errata(self):
        return [w.erratum for w in self.wrong.values() if w.erratum]


def check_module(impl, dtype, device, *, reference, configs, tol=default_tol):
    """A layer built both ways from one seed: its initial parameters, then its forward and
    the gradients of its input and parameters under a random upstream gradient."""
    m = Measure()
    gen = torch.Generator().manual_seed(0)
    for k, (args, kwargs, input_shape) in enumerate(configs):
        torch.manual_seed(k)
        mine = impl(*args, **kwargs, device=device, dtype=dtype)
        torch.manual_seed(k)
        theirs = reference(*args, **kwargs, device=device, dtype=dtype)
        params = dict(theirs.named_parameters())
        for name, p in mine.named_parameters():
            compare(m, "out", f"config {k} initial {name}", p, params.get(name), tol(dtype))
        with torch.no_grad():  # the forward pass is checked on the same parameters
            for name, p in mine.named_parameters():
                p.copy_(params[name])
        x = torch.randn(input_shape, generator=gen, dtype=torch.float64).to(device, dtype)
        x.requires_grad_()
        out, ref = mine(x), theirs(x)
        compare(m, "out", f"config {k} forward", out, ref, tol(dtype))
        if out.shape != ref.shape:
            continue
        v = torch.randn(ref.shape, generator=gen, dtype=torch.float64).to(device, dtype)
        compare_grads(m, f"config {k}", ([out], [x, *mine.parameters()]),
                      ([ref], [x, *theirs.parameters()]), [v], tol(dtype))
    return m
