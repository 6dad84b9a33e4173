"""The optimizers where torch's own optimizer tests look beyond one group of dense tensors:
options given per param group, a group added in the middle of a run, and the sparse
gradients of an embedding. Each manual optimizer either computes what torch computes, step
by step, or refuses in torch's words where torch refuses.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from crosscheck.messages import saying
from crosscheck.proof.checks.measure import Measure, default_tol
from crosscheck.proof.checks.optim_checks import compare_twins, step
from crosscheck.proof.checks.torch_errata import optimizer_error

if TYPE_CHECKING:
    from crosscheck.proof.records.entry import Entry

STEPS = 4
# an embedding's sparse gradients: the settings torch takes them with, and those it refuses
SPARSE = {
    "SGD": [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}, {"maximize": True},
            {"weight_decay": 0.1}],
    "Adagrad": [{}, {"lr_decay": 0.01}, {"maximize": True}, {"initial_accumulator_value": 0.1},
                {"weight_decay": 0.1}],
    "RMSprop": [{}],
    "Adam": [{}],
}
# options that a second param group, and a group added after a few steps, set for themselves
GROUP_OPTIONS = {
    "SGD": {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1},
    "Adagrad": {"lr": 0.05, "lr_decay": 0.1, "initial_accumulator_value": 0.5},
    "RMSprop": {"lr": 0.05, "alpha": 0.9, "centered": True},
    "Adam": {"lr": 0.05, "betas": (0.8, 0.9), "amsgrad": True},
}


def _params(dtype, device, n=3):
    gen = torch.Generator().manual_seed(0)
    return [torch.nn.Parameter(torch.randn(5, 3, generator=gen, dtype=torch.float64)
                               .to(device, dtype)) for _ in range(n)]


def _rows(params, k):
    """Looked-up rows (one twice), so the gradient is sparse with a duplicate index."""
    index = torch.tensor([1, 2, 2, k % 5], device=params[0].device)
    return sum((F.embedding(index, p, sparse=True) ** 2).sum() for p in params)


def _run(cls, kwargs, dtype, device):
    """The parameters and optimizer after each step, or torch's words where it refuses."""
    params = _params(dtype, device, 1)
    opt = cls(params, lr=0.1, **kwargs)
    try:
        for k in range(STEPS):
            step(params, opt, _rows, k)
            yield params, opt
    except RuntimeError as err:
        yield f"{type(err).__name__}: {err}"


def _said(outcome):
    """What one side did: its refusal's words, or that it computed."""
    return outcome if isinstance(outcome, str) else saying("m_computes")


def check_sparse(entry: Entry, impl: Callable, dtype: torch.dtype, device: str) -> Measure:
    """Every setting of ``entry.sparse``: both sides step on sparse gradients alike, or
    both refuse with the same words."""
    m, tol = Measure(), default_tol(dtype)
    for kwargs in entry.sparse:
        label = saying("label_sparse", kwargs=str(kwargs) if kwargs else saying("label_defaults"))
        for k, (mine, theirs) in enumerate(zip(_run(impl, kwargs, dtype, device),
                                               _run(entry.reference, kwargs, dtype, device))):
            if isinstance(mine, str) or isinstance(theirs, str):
                if mine == theirs:
                    m.notes.append(saying("m_refused_alike", label=label, error=mine))
                else:
                    m.fail("refused", saying("m_refused_unlike", yours=_said(mine),
                                             theirs=_said(theirs)), step=k, label=label)
                continue
            compare_twins(m, mine[0], theirs[0], mine[1], theirs[1], tol, step=k, label=label)
    return m


def _grouped(cls, params, options):
    return cls([{"params": params[:1]}, {"params": params[1:2], **options}], lr=0.1)


def check_groups(entry: Entry, impl: Callable, dtype: torch.dtype, device: str) -> Measure:
    """A second group with options of its own, and a third added after two steps with the
    same options, stepped side by side with torch's: every parameter and state each step."""
    m, tol = Measure(), default_tol(dtype)
    assert entry.setup is not None, entry.name
    options = entry.setup.kwargs
    pa, pb = _params(dtype, device), _params(dtype, device)
    oa, ob = _grouped(impl, pa, options), _grouped(entry.reference, pb, options)
    for k in range(2 * STEPS):
        if k == STEPS // 2:
            oa.add_param_group({"params": pa[2:], **options})
            ob.add_param_group({"params": pb[2:], **options})
        try:
            step(pb, ob, _dense, k)
        except Exception as err:
            why = optimizer_error(ob, err)
            if why is None:
                raise
            # nothing left to compare
            m.skipped[saying("m_from_step", why=why, step=k)] = 2 * STEPS - k
            break
        step(pa, oa, _dense, k)
        compare_twins(m, pa, pb, oa, ob, tol, step=k, label=saying("label_param_groups"))
    m.notes += [saying("m_steps_skipped", n=n, why=why) for why, n in m.skipped.items()]
    return m


def _dense(params, k):
    return sum(((p - 0.1 * k) ** 2).sum() + 0.1 * (p ** 4).sum() for p in params)
