"""Optimizer cross-checks: twin models from one initialization, stepped side by side.

The model has two param groups with different learning rates, weight decay, a parameter
whose gradient is None on two steps out of three, and (optionally) a learning-rate
schedule. After every step the parameters and every state tensor must agree; at the end a
state_dict round trip must continue exactly where the original goes. ``step`` and
``compare_twins`` are the one way twins are stepped and compared, here and on torch's own
configurations (checks/torch_configs.py).
"""
from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from crosscheck.messages import saying
from crosscheck.proof.checks.measure import Measure, compare, default_tol

if TYPE_CHECKING:
    from crosscheck.proof.records.entry import Entry


@dataclass(frozen=True)
class Setup:
    """An optimizer entry's settings: the manual side's keyword arguments, torch's where
    they differ (the notes' form of an option against torch's), the schedule, whether the
    state is compared (not where it means something else by design: the notes' velocity
    v = lr * b against torch's momentum_buffer b), and the scale of the targets."""

    kwargs: dict
    ref_kwargs: dict | None = None
    schedule: str | None = "exponential"  # None: none
    state: bool = True
    scale: float = 1.0
    steps: int = 50


def make_params(dtype: torch.dtype, device: str) -> list:
    gen = torch.Generator().manual_seed(0)

    def param(*shape):
        t = torch.randn(shape, generator=gen, dtype=torch.float64) * 0.5
        return torch.nn.Parameter(t.to(device, dtype))

    return [param(5, 4), param(5), param(3, 5), param(4)]  # w1, b1, w2, sometimes-unused


def make_data(dtype: torch.dtype, device: str, scale: float = 1.0
             ) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(16, 4, generator=gen, dtype=torch.float64).to(device, dtype)
    y = torch.randn(16, 3, generator=gen, dtype=torch.float64).to(device, dtype)
    return x, y * scale


def mlp_loss(x: torch.Tensor, y: torch.Tensor) -> Callable[[list, int], torch.Tensor]:
    """A one-hidden-layer net's loss at step k; `extra` gets no gradient at all (grad is
    None) on two steps of three."""
    def loss(params, k):
        w1, b1, w2, extra = params
        out = ((torch.tanh(x @ w1.T + b1) @ w2.T - y) ** 2).mean()
        return out + ((extra - 1) ** 2).sum() if k % 3 == 0 else out
    return loss


def step(params: list, opt: torch.optim.Optimizer, loss: Callable, k: int,
         schedule: torch.optim.lr_scheduler.LRScheduler | None = None) -> None:
    """One step of one twin: gradients of ``loss(params, k)``, the update, the schedule."""
    opt.zero_grad(set_to_none=True)
    loss(params, k).backward()
    opt.step()
    if schedule is not None:
        schedule.step()


def compare_twins(m: Measure, pa: list, pb: list, oa: torch.optim.Optimizer,
                  ob: torch.optim.Optimizer, tol: dict, state: bool = True, **site: Any) -> None:
    """Every parameter, and (with ``state``) every state tensor with its keys and dtype."""
    for i, (a, b) in enumerate(zip(pa, pb)):
        compare(m, "out", a.detach(), b.detach(), tol, check="param", param=i, **site)
        sa, sb = oa.state.get(a, {}), ob.state.get(b, {})
        if not state:
            continue
        if set(sa) != set(sb):
            m.fail("state", saying("m_state_keys", yours=sorted(sa), theirs=sorted(sb)),
                   param=i, **site)
            continue
        for key, value in sb.items():
            if not isinstance(value, torch.Tensor):
                continue
            mine = sa[key]
            if (mine.dtype, mine.layout) != (value.dtype, value.layout):  # a state_dict must
                m.fail("state", saying("m_state_kind",  # load across
                                       yours=f"{mine.dtype}, {mine.layout}",
                                       theirs=f"{value.dtype}, {value.layout}"),
                       param=i, state=key, **site)
            compare(m, "grad", _dense(mine).to(value.dtype), _dense(value), tol, check="state",
                    param=i, state=key, **site)


def _dense(t):
    return t.to_dense() if t.is_sparse else t


def _build(cls, params, kwargs):
    """Two param groups: the second at half the learning rate (kwargs always name lr)."""
    w1, b1, w2, extra = params
    return cls([{"params": [w1, b1]}, {"params": [w2, extra], "lr": kwargs["lr"] / 2}],
               **kwargs)


def _schedule(opt, kind):
    if kind == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.95)
    if kind == "warmup":
        return torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=20)
    return None


def run_twins(impl: Callable, entry: Entry, dtype: torch.dtype, device: str) -> Iterator:
    """Step the manual and the reference optimizer of ``entry``; yield (step, params,
    reference params, optimizer, reference optimizer) after each."""
    setup = entry.setup
    assert setup is not None, entry.name
    ref_kwargs = setup.kwargs if setup.ref_kwargs is None else setup.ref_kwargs
    pa = make_params(dtype, device)
    pb = [torch.nn.Parameter(p.detach().clone()) for p in pa]
    oa, ob = _build(impl, pa, setup.kwargs), _build(entry.reference, pb, ref_kwargs)
    sa, sb = _schedule(oa, setup.schedule), _schedule(ob, setup.schedule)
    loss = mlp_loss(*make_data(dtype, device, setup.scale))
    for k in range(setup.steps):
        step(pa, oa, loss, k, sa)
        step(pb, ob, loss, k, sb)
        yield k, pa, pb, oa, ob


def check_optimizer(entry: Entry, impl: Callable, dtype: torch.dtype, device: str) -> Measure:
    """Parameters and every state tensor after every step; then a state_dict round trip."""
    m, tol = Measure(), default_tol(dtype)
    assert entry.setup is not None, entry.name
    try:
        for k, pa, pb, oa, ob in run_twins(impl, entry, dtype, device):
            compare_twins(m, pa, pb, oa, ob, tol, entry.setup.state, step=k)
    except Exception as err:  # a wrong optimizer may fail outright
        m.raised(err)
        return m
    _check_round_trip(m, impl, oa, pa, entry.setup.kwargs, dtype, device, tol)
    return m


def _check_round_trip(m, cls, opt, params, kwargs, dtype, device, tol):
    """Save the optimizer, load it into a fresh one on copied parameters, step both on."""
    copies = [torch.nn.Parameter(p.detach().clone()) for p in params]
    fresh = _build(cls, copies, kwargs)
    fresh.load_state_dict(copy.deepcopy(opt.state_dict()))
    loss = mlp_loss(*make_data(dtype, device))
    for k in range(3):
        step(params, opt, loss, k)
        step(copies, fresh, loss, k)
    compare_twins(m, copies, params, fresh, opt, tol, state=False,
                  label=saying("label_round_trip"))


def check_differs(entry: Entry, impl: Callable, dtype: torch.dtype, device: str) -> Measure:
    """The notes' form against torch's where they must differ: passes when they do, and
    reports how far apart the parameters end up (the 'out rel' column)."""
    m = Measure()
    *_, (_, pa, pb, _, _) = run_twins(impl, entry, dtype, device)
    for a, b in zip(pa, pb):
        m.record("out", a.detach(), b.detach())
    if m.errors["out"][1] < 1e-6:
        m.fail("param", saying("m_no_difference", rel=m.errors["out"][1]))
    return m


def check_schedule(entry: Entry, impl: Callable, dtype: torch.dtype, device: str, steps: int = 60
                  ) -> Measure:
    """The learning rate of two param groups, step by step, against torch's composition.
    torch's CosineAnnealingLR is periodic past T_max where WarmupLR holds the floor, so a
    cosine schedule is compared up to its total_steps (tests check the floor after it)."""
    assert entry.setup is not None, entry.name
    m, kwargs = Measure(), entry.setup.kwargs
    steps = min(steps, kwargs.get("total_steps") or steps)
    p = torch.nn.Parameter(torch.zeros(1, dtype=dtype, device=device))
    q = torch.nn.Parameter(torch.zeros(1, dtype=dtype, device=device))
    def groups() -> list[dict]:  # fresh for each optimizer: torch writes into them
        return [{"params": [p]}, {"params": [q], "lr": 0.03}]
    opts = [torch.optim.SGD(groups(), lr=0.1) for _ in range(2)]
    with warnings.catch_warnings():  # SequentialLR's own deprecation notes
        warnings.simplefilter("ignore")
        mine, theirs = impl(opts[0], **kwargs), entry.reference(opts[1], **kwargs)
        for k in range(steps):
            a = torch.tensor(mine.get_last_lr(), dtype=torch.float64)
            b = torch.tensor(theirs.get_last_lr(), dtype=torch.float64)
            compare(m, "out", a, b, default_tol(dtype), check="step", step=k,
                    label=saying("label_lr_at"))
            for opt, sched in zip(opts, (mine, theirs)):
                opt.step()
                sched.step()
    return m
