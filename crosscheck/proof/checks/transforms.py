"""Beyond reverse mode: what forward-mode autograd and the torch.func transforms compute
through the manual ops, against the same transform of torch's op on the same sample (torch's
own suite: test_ops_fwd_gradients, test_ops_gradients' batched gradients, functorch's
test_ops):

    forward  J v by dual numbers (torch.autograd.forward_ad) and by torch.func.jvp, a random
             tangent for every differentiable input
    vmap     torch.func.vmap over a batch of two (every differentiable input batched, then
             the first one only), and batched gradients (autograd.grad, is_grads_batched)
    func     torch.func.grad, jacrev and jacfwd with respect to every differentiable input,
             and hessian with respect to the first
    compile  torch.compile(fullgraph=True): no graph break, the compiled op's values and
             gradients equal torch's, also after a recompile for new shapes (run when asked
             for: it compiles every sample)

The backward gives v^T J, the jvp J v; jacrev builds the Jacobian from vmapped backwards,
jacfwd from vmapped jvps, and hessian is jacfwd of jacrev: forward mode through the
backward. Each comparison is a ``transform`` failure labelled with the transform.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import torch
import torch.autograd.forward_ad as fwAD
from torch import func

from crosscheck.messages import saying
from crosscheck.proof.checks.families import first_order, randn
from crosscheck.proof.checks.harness import tensors
from crosscheck.proof.checks.measure import compare, default_tol
from manual import NotSupported
from torch_ref.errors import first_line

if TYPE_CHECKING:
    from crosscheck.proof.checks.families import Call, Run
    from crosscheck.proof.checks.measure import Measure


def of_leaves(call: Call, fn: Callable) -> tuple:
    """``fn`` on ``call`` as a function of the call's differentiable inputs, returning its
    floating outputs as a tuple (what the transforms take), and those inputs detached."""
    leaves = call.leaves()
    at = {id(t): i for i, t in enumerate(leaves)}

    def f(*xs):
        outs = tensors(call.map(lambda t: xs[at[id(t)]] if id(t) in at else t)(fn))
        return tuple(o for o in outs if o.is_floating_point() or o.is_complex())
    return f, tuple(t.detach() for t in leaves)


def _judge(m, k, label, transform, mine, theirs, reference=None):
    """``transform`` of the manual function against ``reference`` (default: the same
    transform) of torch's, tensor by tensor (a tangent None counts as zeros)."""
    try:
        want = tensors((reference or transform)(theirs))
    except Exception as err:  # torch cannot take this transform here: nothing to compare
        why = saying("m_torch_transform_fails", label=label, error=first_line(err))
        m.skipped[why] = m.skipped.get(why, 0) + 1
        return
    try:
        got = tensors(transform(mine))
    except NotSupported:  # the sample is refused, not wrong
        raise
    except Exception as err:
        lacks = missing(err)
        if lacks:  # a learner's Function without what the transform needs
            m.fail("missing", lacks, label=label, sample=k)
            return
        m.raised(err, check="transform", label=label, sample=k)
        return
    if len(got) != len(want):
        m.fail("transform", saying("m_results", yours=len(got), theirs=len(want)),
               label=label, sample=k)
        return
    for i, (a, b) in enumerate(zip(got, want)):
        compare(m, "grad", a, b, default_tol(b.dtype), check="transform", label=label,
                sample=k, index=i)


# what torch says where a custom Function lacks a method a transform needs (its words differ
# between the two ways into forward mode, and between releases), and the method
LACKS = {"jvp": ("implement the jvp",), "setup_context": ("override the setup_context",),
         "vmap": ("the vmap staticmethod",)}


def missing(err: BaseException) -> str | None:
    """'jvp', 'setup_context' or 'vmap' where ``err`` is torch saying a custom Function lacks
    it (a learner's need not write them), else None."""
    text = str(err)
    if isinstance(err, NotImplementedError) and "jvp" in text:
        return "jvp"
    return next((method for method, words in LACKS.items() if any(w in text for w in words)),
                None)


def _sample(run):
    """(the manual op and torch's as functions of the differentiable inputs, those inputs)"""
    mine, primals = of_leaves(run.call, run.impl)
    return mine, of_leaves(run.call, run.ref)[0], primals


def _or_zeros(tangents, like):
    return [torch.zeros_like(o) if t is None else t for t, o in zip(tangents, like)]


def forward_mode(m: Measure, run: Run, outs: list[torch.Tensor], refs: list[torch.Tensor]) -> None:
    mine, theirs, primals = _sample(run)
    tangents = tuple(randn(p, run.gen) for p in primals)

    def dual(fn):
        with fwAD.dual_level():
            unpacked = [fwAD.unpack_dual(o) for o in
                        fn(*(fwAD.make_dual(p, t) for p, t in zip(primals, tangents)))]
            return _or_zeros([u.tangent for u in unpacked], [u.primal for u in unpacked])
    if not primals:
        return
    before = len(m.failures)
    _judge(m, run.k, "forward_ad", dual, mine, theirs)
    if any(f.check == "missing" for f in m.failures[before:]):
        return  # no jvp: torch.func.jvp would only say so again
    _judge(m, run.k, "jvp", lambda fn: func.jvp(fn, primals, tangents)[1], mine, theirs)


def batched(m: Measure, run: Run, outs: list[torch.Tensor], refs: list[torch.Tensor]) -> None:
    mine, theirs, primals = _sample(run)
    if not primals:
        return
    pairs = [torch.stack([p, p + 0.5 * randn(p, run.gen)]) for p in primals]
    every, first = (0,) * len(primals), (0,) + (None,) * (len(primals) - 1)
    _vmap(m, run.k, "vmap", mine, theirs, [*pairs], every)
    _vmap(m, run.k, saying("label_vmap_first"), mine, theirs, [pairs[0], *primals[1:]],
          first)
    vs = [torch.stack([randn(o, run.gen), randn(o, run.gen)]) for o in theirs(*primals)]
    _judge(m, run.k, saying("label_batched_grads"),
           lambda fn: _grads(fn, primals, vs, batched=True), mine, theirs,
           reference=lambda fn: _one_by_one(lambda i: _grads(fn, primals, [v[i] for v in vs])))


def _vmap(m, k, label, mine, theirs, batch, in_dims):
    """vmap of the manual function against torch's on each element of the batch in turn."""
    def element(fn, i):
        return fn(*(b[i] if d == 0 else b for b, d in zip(batch, in_dims)))
    _judge(m, k, label, lambda fn: func.vmap(fn, in_dims)(*batch), mine, theirs,
           reference=lambda fn: _one_by_one(lambda i: element(fn, i)))


def _one_by_one(f):
    """f(0) and f(1), each a tuple of tensors, stacked tensor by tensor."""
    return [torch.stack(pair) for pair in zip(f(0), f(1))]


def _grads(fn, primals, vs, batched=False):
    leaves = [p.clone().requires_grad_() for p in primals]
    grads = torch.autograd.grad(fn(*leaves), leaves, vs, allow_unused=True,
                                is_grads_batched=batched)
    return _or_zeros(grads, [torch.stack([p, p]) if batched else p for p in primals])


def transforms(m: Measure, run: Run, outs: list[torch.Tensor], refs: list[torch.Tensor]) -> None:
    mine, theirs, primals = _sample(run)
    if not primals:
        return
    us = [randn(o, run.gen) for o in theirs(*primals)]

    def scalar(fn):  # <outputs, u>: a real number to take grad and hessian of
        return lambda *xs: sum((o * u).sum() for o, u in zip(fn(*xs), us))
    every = tuple(range(len(primals)))
    for label, transform in (
            ("grad", lambda fn: func.grad(scalar(fn), every)(*primals)),
            ("jacrev", lambda fn: func.jacrev(fn, every)(*primals)),
            ("jacfwd", lambda fn: func.jacfwd(fn, every)(*primals)),
            ("hessian", lambda fn: func.hessian(scalar(fn))(*primals))):
        _judge(m, run.k, label, transform, mine, theirs)


def doubled(call: Call) -> Call:
    """The call with every tensor's first dimension doubled (the sample twice over)."""
    def twice(t):
        if not t.dim():
            return t
        return torch.cat([t, t]).detach().requires_grad_(t.requires_grad)
    return call.map(twice)


def compiled(m: Measure, run: Run, outs: list[torch.Tensor], refs: list[torch.Tensor]) -> None:
    """torch.compile(fullgraph=True) of the manual op, from a clean cache: it compiles
    without a graph break, and its outputs and gradients equal torch's; then on the sample
    with every first dimension doubled, which recompiles with dynamic shapes (where torch's
    op takes such an input)."""
    torch.compiler.reset()
    fn = torch.compile(run.impl, fullgraph=True)
    for label, call in (("compiled", run.call), (saying("label_recompiled"), doubled(run.call))):
        try:
            refs = tensors(call(run.ref))
        except Exception:  # torch's op takes no such input: nothing to recompile for
            continue
        try:
            outs = tensors(call(fn))
        except NotSupported:
            raise
        except Exception as err:
            m.raised(err, check="transform", label=label, sample=run.k)
            return
        first_order(m, replace(run, call=call), outs, refs)
