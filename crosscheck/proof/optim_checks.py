"""Optimizer cross-checks: twin models from one initialization, stepped side by side.

The model has two param groups with different learning rates, weight decay, a parameter
whose gradient is None on two steps out of three, and (optionally) a learning-rate
schedule. After every step the parameters and every state tensor must agree; at the end a
state_dict round trip must continue exactly where the original goes.
"""
import copy
import warnings

import torch

from crosscheck.proof.harness import Measure, compare, default_tol


def make_params(dtype, device):
    gen = torch.Generator().manual_seed(0)

    def param(*shape):
        t = torch.randn(shape, generator=gen, dtype=torch.float64) * 0.5
        return torch.nn.Parameter(t.to(device, dtype))

    return [param(5, 4), param(5), param(3, 5), param(4)]  # w1, b1, w2, sometimes-unused


def make_data(dtype, device, scale=1.0):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(16, 4, generator=gen, dtype=torch.float64).to(device, dtype)
    y = torch.randn(16, 3, generator=gen, dtype=torch.float64).to(device, dtype)
    return x, y * scale


def loss_fn(params, x, y, step):
    w1, b1, w2, extra = params
    h = torch.tanh(x @ w1.T + b1)
    loss = ((h @ w2.T - y) ** 2).mean()
    if step % 3 == 0:  # on other steps `extra` gets no gradient at all (grad is None)
        loss = loss + ((extra - 1) ** 2).sum()
    return loss


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


def run_twins(impl, reference, kwargs, ref_kwargs, dtype, device, steps, schedule, scale):
    """Step both optimizers; yield (step, params_a, params_b, opt_a, opt_b) after each."""
    params_a = make_params(dtype, device)
    params_b = [torch.nn.Parameter(p.detach().clone()) for p in params_a]
    opt_a = _build(impl, params_a, kwargs)
    opt_b = _build(reference, params_b, ref_kwargs)
    sched = [_schedule(opt_a, schedule), _schedule(opt_b, schedule)]
    x, y = make_data(dtype, device, scale)
    for step in range(steps):
        for params, opt, s in ((params_a, opt_a, sched[0]), (params_b, opt_b, sched[1])):
            opt.zero_grad(set_to_none=True)
            loss_fn(params, x, y, step).backward()
            opt.step()
            if s is not None:
                s.step()
        yield step, params_a, params_b, opt_a, opt_b


def _compare_state(m, what, state_a, state_b, tol):
    if set(state_a) != set(state_b):
        m.fail(f"{what}: state keys {sorted(state_a)} != torch's {sorted(state_b)}")
        return
    for key in state_a:
        a, b = state_a[key], state_b[key]
        if isinstance(b, torch.Tensor):
            if a.dtype != b.dtype:  # a state_dict must load into the other side as it is
                m.fail(f"{what} state {key}: dtype {a.dtype} where torch keeps {b.dtype}")
            compare(m, "grad", f"{what} state {key}", a.to(b.dtype), b, tol)


def check_optimizer(impl, dtype, device, *, reference, kwargs, ref_kwargs=None, steps=50,
                    schedule="exponential", scale=1.0, state=True):
    """Parameters and every state tensor after every step; then a state_dict round trip.
    ``state=False`` where the state means something else by design (the notes' velocity
    v = lr * b against torch's momentum_buffer b)."""
    m = Measure()
    tol = default_tol(dtype)
    ref_kwargs = kwargs if ref_kwargs is None else ref_kwargs
    twins = run_twins(impl, reference, kwargs, ref_kwargs, dtype, device, steps, schedule, scale)
    try:
        for step, pa, pb, oa, ob in twins:
            for i, (a, b) in enumerate(zip(pa, pb)):
                compare(m, "out", f"step {step} param {i}", a.detach(), b.detach(), tol)
                if state:
                        _compare_state(m, f"step {step} param {i}", oa.state.get(a, {}),
                                   ob.state.get(b, {}), tol)
    except Exception as err:  # a wrong optimizer may fail outright
        m.fail(f"{type(err).__name__}: {err}")
        return m
    _check_round_trip(m, impl, oa, pa, kwargs, dtype, device, tol)
    return m


def _check_round_trip(m, cls, opt, params, kwargs, dtype, device, tol):
    """Save the optimizer, load it into a fresh one on copied parameters, step both on."""
    copies = [torch.nn.Parameter(p.detach().clone()) for p in params]
    fresh = _build(cls, copies, kwargs)
    fresh.load_state_dict(copy.deepcopy(opt.state_dict()))
    x, y = make_data(dtype, device)
    for step in range(3):
        for ps, o in ((params, opt), (copies, fresh)):
            o.zero_grad(set_to_none=True)
            loss_fn(ps, x, y, step).backward()
            o.step()
    for i, (a, b) in enumerate(zip(copies, params)):
        compare(m, "out", f"after state_dict round trip, param {i}", a.detach(), b.detach(), tol)


def check_differs(impl, dtype, device, *, reference, kwargs, ref_kwargs, schedule, steps=50,
                  scale=1.0):
    """The notes' form against torch's where they must differ: passes when they do, and
    reports how far apart the parameters end up (the 'out rel' column)."""
    m = Measure()
    *_, (_, pa, pb, _, _) = run_twins(impl, reference, kwargs, ref_kwargs, dtype, device,
                                      steps, schedule, scale)
    for a, b in zip(pa, pb):
        m.record("out", a.detach(), b.detach())
    if m.errors["out"][1] < 1e-6:
        m.fail(f"the two forms agree to {m.errors['out'][1]:.1e}: no difference shown")
    return m


def check_schedule(impl, dtype, device, *, reference, kwargs, steps=60):
    """The learning rate of two param groups, step by step, against torch's composition.
    torch's CosineAnnealingLR is periodic past T_max where WarmupLR holds the floor, so a
    cosine schedule is compared up to its total_steps (tests check the floor after it)."""
    m = Measure()
    steps = min(steps, kwargs.get("total_steps") or steps)
    tol = default_tol(dtype)
    p = torch.nn.Parameter(torch.zeros(1, dtype=dtype, device=device))
    q = torch.nn.Parameter(torch.zeros(1, dtype=dtype, device=device))
    opts = [torch.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.03}], lr=0.1)
            for _ in range(2)]
    with warnings.catch_warnings():  # SequentialLR's own deprecation notes
        warnings.simplefilter("ignore")
        mine, theirs = impl(opts[0], **kwargs), reference(opts[1], **kwargs)
        for step in range(steps):
            a = torch.tensor(mine.get_last_lr(), dtype=torch.float64)
            b = torch.tensor(theirs.get_last_lr(), dtype=torch.float64)
            compare(m, "out", f"step {step} lr", a, b, tol)
            for opt, sched in zip(opts, (mine, theirs)):
                opt.step()
                sched.step()
    return m
