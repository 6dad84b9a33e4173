"""What a check measures, and what it finds wrong, as records.

A check never raises on a mismatch: it records the largest errors it saw in a ``Measure``
and every failed comparison as a ``Failure`` (which check, where, the first differing
element, and a message for a reader), so that ``handgrad check`` prints the figures of
passing and failing rows alike, and the table, the JSON, the diagnosis and the conformance
tally read fields, never text.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from crosscheck.messages import Said, failure_text, saying, spoken
from torch_ref.errors import error_name, first_line

F64_TOL = {"rtol": 1e-10, "atol": 1e-12}  # the design's float64 policy
# the others: torch.testing.assert_close's defaults for the dtype a row computes in (given
# explicitly, so that a float64 gradient of a float32 computation is held to float32's)
TOLS = {torch.float32: (1.3e-6, 1e-5), torch.complex64: (1.3e-6, 1e-5),
        torch.float16: (1e-3, 1e-5), torch.bfloat16: (1.6e-2, 1e-5)}

# what a Failure's ``check`` names: a compared value, or what went wrong instead
CHECKS = ("forward", "backward", "transform", "gradcheck", "param", "state", "step", "shape",
          "outputs", "refused", "raised", "claim", "unavailable", "missing")


def default_tol(dtype: torch.dtype) -> dict:
    if dtype in (torch.float64, torch.complex128):
        return F64_TOL
    rtol, atol = TOLS.get(dtype, (0.0, 0.0))  # integers and bool: exactly
    return {"rtol": rtol, "atol": atol}


@dataclass(frozen=True)
class Element:
    """The first element that differs: its index, the input there (where the input has
    the output's shape), torch's value and the checked piece's."""

    index: tuple
    torch: float | None
    yours: float | None
    input: float | None = None


@dataclass(frozen=True)
class Failure:
    """One failed check. ``check`` is one of CHECKS; the other fields say where (those that
    apply): the sample (or module configuration; an optimizer configuration by ``label``),
    the output or input (``index``), the optimizer step, parameter and state key.
    ``message`` is the reason in words (for 'raised' and 'refused', the exception's first
    line, and ``error`` its type)."""

    check: str
    message: str | Said
    sample: int | None = None
    index: int | None = None  # which output (forward) or input (backward)
    step: int | None = None
    param: int | None = None
    state: str | None = None
    label: str | Said | None = None
    error: str | None = None
    element: Element | None = None

    def __post_init__(self):
        assert self.check in CHECKS, self.check

    @property
    def text(self) -> str:
        """The whole line, in English: where, then what."""
        return failure_text(self, "en")

    def record(self) -> dict:
        """The failure as JSON-ready data (the fields that apply, and the line); a complex
        value as [real, imaginary]."""
        data = {k: v for k, v in asdict(self).items() if v is not None}
        data.update({k: spoken(getattr(self, k), "en") for k in ("message", "label")
                     if getattr(self, k) is not None})
        if self.element:
            data["element"] = {k: [v.real, v.imag] if isinstance(v, complex) else v
                               for k, v in data["element"].items()}
        return {**data, "text": self.text}


@dataclass
class Measure:
    """Largest errors seen per kind ('out': values, 'grad': gradients or optimizer state):
    max abs = max |a - b|, max rel = max |a - b| / max |b| over each compared tensor."""

    errors: dict = field(default_factory=dict)  # kind -> [max abs, max rel]
    gradcheck: bool | None = None
    failures: list = field(default_factory=list)  # Failure records, in the order found
    notes: list = field(default_factory=list)
    counts: dict | None = None  # outcome -> samples, for checks that tally samples
    skipped: dict = field(default_factory=dict)  # why -> comparisons torch itself cannot make
    torch_errors: dict = field(default_factory=dict)  # evidence -> samples where torch is wrong
    not_run: str | Said = ""  # why the installed torch cannot run this check at all (the row: SKIP)
    shapes: set = field(default_factory=set)  # kinds where a shape differed: no error figure

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, check: str, message: str | Said, **site: Any) -> None:
        self.failures.append(Failure(check, message, **site))
        if check not in _ENOUGH.get():
            raise Enough(self)

    def raised(self, err: BaseException, check: str = "raised", **site: Any) -> None:
        """An exception where a value was due, as a failure of ``check``."""
        self.fail(check, first_line(err), error=error_name(err), **site)

    def record(self, kind: str, actual: torch.Tensor, expected: torch.Tensor) -> None:
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


_ENOUGH = ContextVar("enough", default=CHECKS)  # the failures that do not end a check


class Enough(BaseException):  # noqa: N818 (not an error: the answer is known)
    """A check that is only asked whether it fails has failed: the rest proves nothing more."""

    def __init__(self, measure):
        super().__init__()
        self.measure = measure


@contextmanager
def first_failure_ends(ignore: tuple = ()) -> Iterator[None]:
    """Within, a check ends at its first failure (but of the kinds in ``ignore``): for a
    negative control, or the search for a known slip, one failure is the whole answer."""
    token = _ENOUGH.set(tuple(ignore))
    try:
        yield
    finally:
        _ENOUGH.reset(token)


def compare(m: Measure, kind: str, actual: torch.Tensor | None, expected: torch.Tensor | None,
            tol: dict,
            at: torch.Tensor | None = None, *, check: str, **site: Any) -> None:
    """The one comparison: record the error, then hold it to torch.testing.assert_close.
    A failure keeps the first element out of tolerance (and the value of ``at``, the input,
    there when it has the same shape): what a learner needs to find the slip."""
    if actual is None or expected is None:
        if (actual is None) != (expected is None):
            m.fail(check, saying("m_one_none"), **site)
        return
    if actual.shape != expected.shape:
        m.shapes.add(kind)
        m.fail("shape", saying("m_shape", yours=str(tuple(actual.shape)),
                               theirs=str(tuple(expected.shape))), **site)
        return
    if _identical(actual, expected):  # the common case: nothing to measure, nothing to hold
        if actual.numel():
            m.errors.setdefault(kind, [0.0, 0.0])  # the error record() would find
        return
    m.record(kind, actual, expected)
    try:
        torch.testing.assert_close(actual, expected, equal_nan=True, **tol)
    except AssertionError as err:
        m.fail(check, first_line(err),
               element=_first_difference(actual, expected, tol, at), **site)


def _identical(actual, expected):
    """Bit for bit the same values, dtype, device and layout (a NaN is never identical:
    assert_close judges it)."""
    return (actual.dtype == expected.dtype and actual.device == expected.device
            and actual.layout == expected.layout == torch.strided
            and torch.equal(actual, expected))


def _first_difference(actual, expected, tol, at):
    a, e = actual.detach().cpu(), expected.detach().cpu()
    close = torch.isclose(a, e.to(a.dtype), equal_nan=True, **tol)
    bad = (~close).nonzero()
    index = tuple(bad[0].tolist()) if len(bad) else (0,) * a.dim()
    value = at.detach().cpu()[index].item() if at is not None and at.shape == a.shape else None
    return Element(index, e[index].item() if e.numel() else None,
                   a[index].item() if a.numel() else None, value)


def compare_grads(m: Measure, mine: tuple, theirs: tuple, v: list[torch.Tensor], tol: dict,
                  create_graph: bool = False, judge: Callable | None = None, **site: Any
                 ) -> tuple | None:
    """Backward of both sides, (outputs, inputs) each, under the same upstream gradient(s)
    v, input by input; an input one side leaves without a gradient counts as zeros.
    ``judge(i, yours, torch's)`` compares one input's (default: ``compare``). Returns
    (yours, torch's), or None where yours raised."""
    want = torch.autograd.grad(theirs[0], theirs[1], v, allow_unused=True,
                               create_graph=create_graph)
    try:
        got = torch.autograd.grad(mine[0], mine[1], v, allow_unused=True,
                                  create_graph=create_graph)
    except Exception as err:  # a wrong backward may return the wrong shape
        m.raised(err, label=saying("label_backward"), **site)
        return None
    for i, (g, w) in enumerate(zip(got, want)):
        if g is None and w is not None:
            g = torch.zeros_like(w)
        if w is None and g is not None:
            w = torch.zeros_like(g)
        if judge is not None and g is not None:
            judge(i, g, w)
        else:
            compare(m, "grad", g, w, tol, at=mine[1][i], check="backward", index=i, **site)
    return got, want
