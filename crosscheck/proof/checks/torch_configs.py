"""The optimizers on configurations nobody here chose: torch's own optimizer test suite.

For SGD, Adagrad, RMSprop and Adam, every configuration of torch's ``optim_db`` (tensor lr,
maximize, momentum, dampening, nesterov, centered, amsgrad, lr_decay,
initial_accumulator_value, weight_decay) runs the manual optimizer and torch's side by side
for 12 steps, on real and on complex parameters (torch updates a complex number as a pair of
reals in Adagrad, RMSprop and Adam), comparing the parameters and every state tensor after
every step. Halfway, each side's state_dict is loaded into a fresh optimizer of the other
side, and both go on in step with the run they were taken from.

Twelve steps run every path an update has: the first step (the state made), steps with and
without a gradient for the last parameter (it gets one every third step), the exchange, and
both kinds of step after it. More steps repeat those paths on states already compared, and
proved nothing more (30 steps, exchanged at 15, took two and a half times as long).
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from crosscheck.messages import saying
from crosscheck.proof.checks.measure import Measure, default_tol
from crosscheck.proof.checks.optim_checks import compare_twins, step
from crosscheck.proof.checks.torch_suite import Unavailable, database

if TYPE_CHECKING:
    from crosscheck.proof.records.entry import Entry

STEPS, SWAP_AT = 12, 6


def configs(cls, device: str, dtype: torch.dtype) -> list[tuple[str, dict]]:
    """The keyword arguments of torch's optim_db for ``cls``, as (description, kwargs)."""
    info = next(o for o in database("optim_db") if o.optim_cls is cls)
    return [(i.desc, i.kwargs) for i in info.optim_inputs_func(device=device, dtype=dtype)]


def _params(dtype, device, complex_):
    gen = torch.Generator().manual_seed(0)
    made = []
    for shape in [(4, 3), (3,), (2, 2)]:
        t = torch.randn(shape, generator=gen, dtype=torch.float64)
        if complex_:
            t = torch.complex(t, torch.randn(shape, generator=gen, dtype=torch.float64))
        made.append(torch.nn.Parameter(t.to(device, dtype.to_complex() if complex_ else dtype)))
    return made


def _loss(params, k):
    """A bowl with a quartic wall; the last parameter gets no gradient on two steps of three."""
    used = params if k % 3 == 0 else params[:-1]
    return sum(((p - 0.5).abs() ** 2).sum() + 0.1 * (p.abs() ** 4).sum() for p in used)


def _clone_kwargs(kwargs):
    return {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}


def _fresh(cls, params, kwargs, state_dict):
    copies = [torch.nn.Parameter(p.detach().clone()) for p in params]
    opt = cls(copies, **_clone_kwargs(kwargs))
    opt.load_state_dict(copy.deepcopy(state_dict))
    return copies, opt


def run_config(m: Measure, impl: Callable, reference: Callable, kwargs: dict, dtype: torch.dtype,
               device: str, complex_: bool, label: str) -> None:
    tol = default_tol(dtype)
    pa = _params(dtype, device, complex_)
    pb = [torch.nn.Parameter(t.detach().clone()) for t in pa]
    oa, ob = impl(pa, **_clone_kwargs(kwargs)), reference(pb, **_clone_kwargs(kwargs))
    crossed = None
    for k in range(STEPS):
        step(pa, oa, _loss, k)
        step(pb, ob, _loss, k)
        compare_twins(m, pa, pb, oa, ob, tol, step=k, label=label)
        if k == SWAP_AT:  # torch's state into a manual optimizer, and the manual one's back
            crossed = (_fresh(impl, pb, kwargs, ob.state_dict()),
                       _fresh(reference, pa, kwargs, oa.state_dict()))
        elif crossed:
            (qa, ca), (qb, cb) = crossed
            step(qa, ca, _loss, k)
            step(qb, cb, _loss, k)
            compare_twins(m, qa, pb, ca, ob, tol, step=k,
                          label=saying("label_manual_from_torch", label=label))
            compare_twins(m, qb, pa, cb, oa, tol, step=k,
                          label=saying("label_torch_from_manual", label=label))


def check_torch_configs(entry: Entry, impl: Callable, dtype: torch.dtype, device: str) -> Measure:
    m = Measure()
    try:
        found = configs(entry.reference, device, dtype)
    except Unavailable as err:
        m.fail("unavailable", str(err))
        return m
    for desc, kwargs in found:
        for complex_ in (False, True):
            label = saying("label_complex", desc=desc) if complex_ else desc
            try:
                run_config(m, impl, entry.reference, kwargs, dtype, device, complex_, label)
            except Exception as err:  # a wrong optimizer may fail outright
                m.raised(err, label=label)
    m.notes.append(saying("m_optim_db", n=len(found), steps=STEPS, swap=SWAP_AT))
    if not found:
        m.fail("unavailable", saying("m_no_optim_db", name=entry.reference.__name__))
    return m
