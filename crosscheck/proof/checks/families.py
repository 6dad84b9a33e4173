"""Beyond first order on float inputs: the families torch's own test suite runs over the
same sample inputs, each a comparison of the manual op with torch's on one sample, and what
they share: the samples (torch's OpInfo database and ours, converted to the family), the
outcome of one sample, the row. Here the dtype and layout families (test_ops_gradients:
gradgrad; test_ops: dtypes, noncontiguous; test_modules: memory format):

    conformance  forward and backward, float64 and float32 (the plain first order)
    gradgrad     second derivatives: the backward's own backward, under random vectors
    complex      complex inputs: forward, and backward in torch's conjugate convention
    integer      integer and bool inputs: the same result dtype and values, exactly
    half         float16 and bfloat16: within torch's tolerances for them, and never
                 further from the float64 result than 1.5 times torch's own error
    layout       channels_last and non-contiguous inputs: the values, and outputs and
                 gradients in the memory format torch gives them

and in transforms.py forward mode, vmap, torch.func and torch.compile; the table of all of
them is conformance.FAMILIES. Each sample is equal, refused (the manual op raised
``manual.NotSupported`` naming an argument the sample passes), or wrong; a row passes when
none is wrong.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import torch

from crosscheck.messages import saying
from crosscheck.proof.checks.harness import fair_refusal, tensors
from crosscheck.proof.checks.measure import Measure, compare, compare_grads, default_tol
from crosscheck.proof.checks.torch_errata import torch_error
from crosscheck.proof.checks.torch_suite import Unavailable, database, torch_lacks
from manual import NotSupported

if TYPE_CHECKING:
    from crosscheck.proof.records.entry import Entry

INTEGERS = (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool)
FLOATS = (torch.float64, torch.float32, torch.float16, torch.bfloat16)
COMPLEXES = (torch.complex128, torch.complex64)
ANY = FLOATS + COMPLEXES + INTEGERS  # every dtype a family row may run in


@dataclass(frozen=True)
class Call:
    """One call of an op: its positional and keyword arguments."""

    args: tuple
    kwargs: dict

    def __call__(self, fn):
        return fn(*self.args, **self.kwargs)

    def map(self, f: Callable) -> Call:
        """The call with every tensor argument replaced by f(tensor)."""
        def one(v):
            return f(v) if isinstance(v, torch.Tensor) else v
        return Call(tuple(one(a) for a in self.args), {k: one(v) for k, v in self.kwargs.items()})

    def leaves(self) -> list[torch.Tensor]:
        found = [*self.args, *self.kwargs.values()]
        return [t for t in tensors(found) if t.requires_grad]


@dataclass(frozen=True)
class Run:
    """One sample through a family: its number ``k``, the call, the manual op and torch's
    (OpInfo ``name``), the dtype, and the generator of the random vectors it draws."""

    name: str
    k: int
    call: Call
    impl: Callable
    ref: Callable
    dtype: torch.dtype
    gen: torch.Generator


@dataclass(frozen=True)
class Family:
    name: str
    dtypes: tuple  # those it runs in, where torch supports the op in them
    compare: Callable  # compare(m, run, outs, refs): records failures in m
    variants: Callable = lambda call: [call]  # the calls a sample stands for (layout: two)
    gradgrad: bool = False  # only for ops whose OpInfo supports second derivatives
    sources: tuple = ("torch", "ours")  # whose samples (conformance: torch's; ours are the
    #                                     op's own rows)
    opt_in: bool = False  # run only when asked for by name (check --only): it takes minutes
    not_run: Callable = lambda: None  # why the installed torch cannot run it at all, or None


def first_order(m: Measure, run: Run, outs: list[torch.Tensor], refs: list[torch.Tensor],
                create_graph: bool = False) -> tuple | None:
    """Outputs, then the gradients of every differentiable input under random vectors;
    returns (yours, torch's, the vectors) where there were gradients to compare."""
    k, call, dtype = run.k, run.call, run.dtype
    tol, exact = default_tol(dtype), Exact(call, run.ref, dtype)
    before = len(m.failures)
    for i, (out, r) in enumerate(zip(outs, refs)):
        _judge(m, out, r, lambda i=i: exact.outputs()[i], dtype, "out", check="forward",
               sample=k, index=i)
    leaves = call.leaves()
    chosen = [j for j, (o, r) in enumerate(zip(outs, refs)) if r.requires_grad
              and o.shape == r.shape]
    if not (leaves and chosen) or len(m.failures) > before:
        return None
    lacks = torch_lacks(run.name, dtype, refs[chosen[0]].device, backward=True)
    if lacks:  # an older torch's: the forward is compared, the gradient cannot be
        m.skipped[lacks] = m.skipped.get(lacks, 0) + 1
        return None
    vs = [randn(refs[j], run.gen).requires_grad_(create_graph) for j in chosen]

    def judge(i, g, w):
        _judge(m, g, w, lambda: exact.grads(chosen, vs)[i], dtype, "grad", check="backward",
               sample=k, index=i)
    grads = compare_grads(m, ([outs[j] for j in chosen], leaves),
                          ([refs[j] for j in chosen], leaves), vs, tol, create_graph,
                          judge=judge, sample=k)
    return None if grads is None else (*grads, vs)


WIDE = {torch.float32: torch.float64, torch.complex64: torch.complex128,
        torch.float16: torch.float64, torch.bfloat16: torch.float64}


class Exact:
    """torch's op on a call's ``dtype`` tensors widened to 64 bits: the exact result and its
    gradients, computed only when a comparison asks for them."""

    def __init__(self, call, ref, dtype):
        def wide(t):
            if t.dtype != dtype:
                return t
            return t.detach().to(WIDE[dtype]).requires_grad_(t.requires_grad)
        self.call, self.ref = (call.map(wide) if dtype in WIDE else None), ref
        self.outs = self.found = None

    def outputs(self) -> list:
        if self.outs is None:
            self.outs = tensors(self.call(self.ref))
        return self.outs

    def grads(self, chosen: list, vs: list[torch.Tensor]) -> list:
        if self.found is None:
            outs = self.outputs()
            self.found = torch.autograd.grad([outs[j] for j in chosen], self.call.leaves(),
                                             [v.detach().to(outs[j].dtype)
                                              for j, v in zip(chosen, vs)], allow_unused=True)
        return self.found


def _judge(m, a, b, exact, dtype, kind, **site):
    """torch's tolerance for the dtype, or else the same tolerance against the exact result,
    or no further from it than torch: both sides accumulate rounding errors in their own
    order (complex64 products summed a hundred at a time; torch's half backward from the
    rounded output, this one from the float32 one; an older torch's depthwise kernel), and
    a result as close to the exact one as the dtype asks is not the wrong one."""
    if (dtype in WIDE and a.shape == b.shape
            and not torch.allclose(a, b, equal_nan=True, **default_tol(dtype))):
        e = exact()
        if e is not None and e.shape == a.shape and (
                torch.allclose(a.to(e.dtype), e, equal_nan=True, **default_tol(dtype))
                or _distance(a, e) <= _distance(b, e)):
            m.record(kind, a, b)  # the gap still shows in the row's figures
            m.counts["closer"] += 1
            return
    compare(m, kind, a, b, default_tol(dtype), **site)


def _distance(a, exact):
    return (a.to(exact.dtype) - exact).abs().max()


def randn(like: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """A random tensor like ``like`` (complex: both parts random), from ``gen``."""
    parts = [torch.randn(like.shape, generator=gen, dtype=torch.float64)
             for _ in range(2 if like.is_complex() else 1)]
    return (torch.complex(*parts) if like.is_complex() else parts[0]).to(like.device, like.dtype)


def conformance(m: Measure, run: Run, outs: list[torch.Tensor], refs: list[torch.Tensor]) -> None:
    first_order(m, run, outs, refs)


def second_order(m: Measure, run: Run, outs: list[torch.Tensor], refs: list[torch.Tensor]) -> None:
    """The first derivatives kept differentiable, then the derivative of <first, u> with
    respect to the inputs and the upstream vectors: a vector-Hessian product, torch's
    gradgradcheck's comparison, against torch's."""
    first = first_order(m, run, outs, refs, create_graph=True)
    if first is None:
        return
    got, want, vs = first
    us = [None if w is None else randn(w, run.gen) for w in want]
    wrt = run.call.leaves() + vs
    compare_grads_of(m, _dot(got, us), _dot(want, us), wrt, run.k)


def _dot(grads, us):
    """sum <g, u> over the gradients that carry a graph (the others are constants here)."""
    terms = [(g * u).sum() for g, u in zip(grads, us)
             if g is not None and u is not None and g.requires_grad]
    return sum(terms[1:], terms[0]) if terms else None


def compare_grads_of(m: Measure, mine: torch.Tensor | None, theirs: torch.Tensor | None,
                     wrt: list[torch.Tensor], k: int) -> None:
    """The gradients of two scalars (None: a constant, all zeros) with respect to ``wrt``."""
    def grads(s):
        if s is None:
            return [None] * len(wrt)
        return torch.autograd.grad(s, wrt, allow_unused=True)
    want = grads(theirs)
    try:
        got = grads(mine)
    except Exception as err:
        m.raised(err, label=saying("label_second_backward"), sample=k)
        return
    for i, (g, w) in enumerate(zip(got, want)):
        g = torch.zeros_like(wrt[i]) if g is None else g
        w = torch.zeros_like(wrt[i]) if w is None else w
        compare(m, "grad", g, w, default_tol(wrt[i].dtype), check="backward", sample=k,
                index=i, label=saying("label_second_derivative"))


def exact_dtype(m: Measure, run: Run, outs: list[torch.Tensor], refs: list[torch.Tensor]) -> None:
    """Integer and bool inputs: the result's dtype, then its values (exactly where the
    result is an integer, at the float tolerances where torch returns a float)."""
    for i, (out, r) in enumerate(zip(outs, refs)):
        if out.dtype != r.dtype:
            m.fail("forward", saying("m_dtype", yours=str(out.dtype), theirs=str(r.dtype)),
                   sample=run.k, index=i)
        else:
            compare(m, "out", out, r, default_tol(r.dtype), check="forward", sample=run.k,
                    index=i)


def reduced_precision(m: Measure, run: Run, outs: list[torch.Tensor], refs: list[torch.Tensor]
                     ) -> None:
    """float16 and bfloat16: torch's tolerances for them, and the distance of each side's
    output from torch's in float64 (held to 1.5 times torch's over the row, at its end)."""
    first_order(m, run, outs, refs)
    for out, r, e in zip(outs, refs, Exact(run.call, run.ref, run.dtype).outputs()):
        if out.shape == e.shape and out.is_floating_point():
            m.record("yours to float64", out, e)
            m.record("torch's to float64", r, e)


def memory_format(t: torch.Tensor) -> tuple:
    """What the layout family compares: contiguous, and for 4-D tensors channels_last."""
    return (t.is_contiguous(), t.dim() == 4 and t.is_contiguous(memory_format=torch.channels_last))


def same_layout(m: Measure, run: Run, outs: list[torch.Tensor], refs: list[torch.Tensor]) -> None:
    """Values; and where the call holds a channels_last tensor, the memory format of every
    output and input gradient (torch's suite holds non-contiguous samples to their values
    only, test_noncontiguous_samples, and memory formats to theirs, test_memory_format)."""
    first = first_order(m, run, outs, refs)
    given = tensors([*run.call.args, *run.call.kwargs.values()])
    if not any(t.dim() == 4 and t.is_contiguous(memory_format=torch.channels_last)
               for t in given):  # (an empty or one-channel tensor is both, and is held too)
        return
    for check, pairs in (("forward", zip(outs, refs)), ("backward", zip(*first[:2]) if first
                                                          else ())):
        for i, (a, b) in enumerate(pairs):
            if a is not None and b is not None and memory_format(a) != memory_format(b):
                m.fail(check, saying("m_memory_format", yours=memory_format(a),
                                     theirs=memory_format(b)), sample=run.k, index=i)


def channels_last(call: Call) -> Call:
    def four_d(t):
        return (t.detach().contiguous(memory_format=torch.channels_last)
                .requires_grad_(t.requires_grad)) if t.dim() == 4 else t
    return call.map(four_d)


def noncontiguous(call: Call) -> Call:
    def strided(t):  # every other element of a buffer twice as long: the same values
        if not t.numel():
            return t
        wide = t.new_zeros(*t.shape, 2)
        wide[..., 0] = t.detach()
        return wide[..., 0].requires_grad_(t.requires_grad)
    return call.map(strided)


def _as(dtype):
    """Our float64 tensors in ``dtype`` (an index tensor stays as it is)."""
    def convert(t):
        if not t.is_floating_point():
            return t
        if dtype.is_complex:  # an imaginary part of its own: the values rolled by one
            z = torch.complex(t.detach(), t.detach().flatten().roll(1).reshape(t.shape))
            return z.to(dtype).requires_grad_(t.requires_grad)
        if dtype == torch.bool:
            return t.detach() > 0
        if not dtype.is_floating_point:  # integers in a small range, negatives included
            return (t.detach() * 3).round().to(dtype)
        return t.detach().to(dtype).requires_grad_(t.requires_grad)
    return convert




# -- the samples: torch's and ours, and what each one is -------------------------------------


def torch_calls(name: str, family: Family, dtype: torch.dtype, device: str
               ) -> Iterator[tuple[Call, Callable]]:
    """(call, torch's op) for every OpInfo sample of ``name`` in ``dtype``."""
    for op in (o for o in database("op_db") if o.name == name):
        if dtype not in op.supported_dtypes(torch.device(device).type):
            continue
        if family.gradgrad and not op.supports_gradgrad:
            continue
        grad = op.supports_autograd and (dtype.is_floating_point or dtype.is_complex)
        for args, kwargs in _samples(op, device, dtype, grad):
            yield Call(_fresh(args), _fresh(kwargs)), op.op


_MADE: dict = {}  # (op, variant, device, dtype, requires_grad) -> its samples


def _samples(op, device, dtype, grad):
    """An op's OpInfo samples, made once per process from a seeded generator, so that they
    are the same in every process whatever ran before (torch 2.15 reseeds for each sample
    itself, torch 2.4 draws from where the global generator stands), and the families of an
    op all read them (each gets fresh copies). Making them anew per row was a quarter of a
    check's time."""
    key = (op.name, op.variant_test_name, device, dtype, grad)
    if key not in _MADE:
        torch.manual_seed(0)
        _MADE[key] = tuple(((s.input, *s.args), s.kwargs)
                           for s in op.sample_inputs(device, dtype, requires_grad=grad))
    return _MADE[key]


def _fresh(value):
    """A copy of a sample's tensors, each with the same strides (a non-contiguous sample
    stays one) and requires_grad: nothing a run does reaches the stored sample."""
    if isinstance(value, torch.Tensor):
        copy = torch.empty_strided(value.shape, value.stride(), dtype=value.dtype,
                                   device=value.device)
        return copy.copy_(value.detach()).requires_grad_(value.requires_grad)
    if isinstance(value, (list, tuple)):
        return type(value)(map(_fresh, value))
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    return value


def our_calls(entry: Entry, family: Family, dtype: torch.dtype, device: str
             ) -> Iterator[tuple[Call, Callable]]:
    """(call, the registry's reference) for each of our own samples of the op, in ``dtype``."""
    gen = torch.Generator().manual_seed(1)
    assert entry.samples is not None, entry.name
    for sample in entry.samples(torch.float64, device, gen):
        yield Call(sample.args, sample.kwargs).map(_as(dtype)), entry.reference


def outcome(m: Measure, family: Family, run: Run) -> str:
    """'equal', 'refused' or 'wrong' for one run of a sample (the reason recorded in ``m``).
    A refusal is manual.NotSupported naming the input or an argument the sample passes."""
    before = len(m.failures)
    try:
        outs = tensors(run.call(run.impl))
    except NotSupported as err:
        return _refusal(m, run, err)
    except Exception as err:
        m.raised(err, sample=run.k)
        return "wrong"
    try:
        refs = tensors(run.call(run.ref))
    except Exception as err:  # torch refuses what the manual op computed
        lacks = torch_lacks(run.name, run.dtype, outs[0].device if outs else "cpu")
        if lacks:  # as an older torch refuses it: for want of a kernel, nothing to compare
            m.skipped[lacks] = m.skipped.get(lacks, 0) + 1
            return "refused"
        m.fail("raised", saying("m_computes_where_refused", error=type(err).__name__),
               sample=run.k)
        return "wrong"
    if len(outs) != len(refs):
        m.fail("outputs", saying("m_outputs", yours=len(outs), theirs=len(refs)), sample=run.k)
        return "wrong"
    try:
        family.compare(m, run, outs, refs)
    except NotSupported as err:  # a transform the manual op refuses for this sample
        return _refusal(m, run, err)
    if len(m.failures) == before:
        return "equal"
    why = torch_error(run, family.name)
    if why:  # an older torch's own error, shown on this sample: the gap stays in the figures
        del m.failures[before:]
        m.torch_errors[why] = m.torch_errors.get(why, 0) + 1
        return "torch wrong"
    return "wrong"


def _refusal(m, run, err):
    if fair_refusal(err, run.call.kwargs):
        return "refused"
    m.fail("refused", saying("m_refused_unasked_why", argument=err.argument, error=str(err)),
           sample=run.k)
    return "wrong"


def _all_calls(entry, dtype, device):
    """Every (call, reference) of a family entry: torch's samples, then ours, each in the
    family's variants."""
    name, family, own = entry.base.torch_name, entry.family, entry.base
    sources = {"torch": lambda: torch_calls(name, family, dtype, device),
               "ours": lambda: our_calls(own, family, dtype, device)}
    for source in (sources[s]() for s in family.sources):
        for call, ref in source:
            for variant in family.variants(call):
                yield variant, ref


def check_family(entry: Entry, impl: Callable, dtype: torch.dtype, device: str) -> Measure:
    """Every sample of the op (``entry.base``) in the family ``entry.family``; the row's
    note counts equal / refused / wrong."""
    family, base = entry.family, entry.base
    assert family is not None and base is not None and base.torch_name, entry.name
    name = base.torch_name
    if family.not_run():
        return Measure(not_run=family.not_run())
    m = Measure()
    m.counts = {"equal": 0, "refused": 0, "wrong": 0, "torch wrong": 0, "closer": 0}
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)  # torch's OpInfo samples come from the global generator
    try:
        for k, (call, ref) in enumerate(_all_calls(entry, dtype, device)):
            m.counts[outcome(m, family, Run(name, k, call, impl, ref, dtype, gen))] += 1
    except Unavailable as err:
        m.fail("unavailable", str(err))
        return m
    c = m.counts
    total = c["equal"] + c["refused"] + c["wrong"] + c["torch wrong"]
    closer = saying("m_tally_closer", n=c["closer"]) if c["closer"] else ""
    skipped = tuple(saying("m_tally_skipped", n=n, why=why) for why, n in m.skipped.items())
    theirs = tuple(saying("m_tally_torch_wrong", n=n, why=why)
                   for why, n in m.torch_errors.items())
    m.notes.insert(0, saying("m_tally", total=total, equal=c["equal"], refused=c["refused"],
                             wrong=c["wrong"], theirs=theirs, closer=closer, skipped=skipped))
    if total == 0:
        m.fail("unavailable", saying("m_no_sample", name=name, dtype=str(dtype), device=device))
    _accuracy(m)
    return m


def _accuracy(m, factor=1.5):
    """Reduced precision: the row's largest distance from float64, yours against torch's."""
    if "yours to float64" not in m.errors:
        return
    yours, theirs = m.errors.pop("yours to float64")[0], m.errors.pop("torch's to float64")[0]
    m.notes.append(saying("m_distance", yours=yours, theirs=theirs))
    if yours > factor * theirs:
        m.fail("forward", saying("m_distance_times", factor=factor,
                                 times=yours / theirs if theirs else float("inf")))
