"""The optimizers on configurations nobody here chose: torch's own optimizer test suite.

For SGD, Adagrad, RMSprop and Adam, every configuration of torch's ``optim_db`` (tensor lr,
maximize, momentum, dampening, nesterov, centered, amsgrad, lr_decay,
initial_accumulator_value, weight_decay) runs the manual optimizer and torch's side by side
for 30 steps, on real and on complex parameters (torch updates a complex number as a pair of
reals in Adagrad, RMSprop and Adam), comparing the parameters and every state tensor after
every step. Halfway, each side's state_dict is loaded into a fresh optimizer of the other
side, and both go on in step with the run they were taken from. ``optim_db`` is private to
torch (``torch.testing._internal``); where it cannot be imported the row fails and says why.
"""
import copy
import logging

import torch

from crosscheck.proof.harness import Measure, compare, default_tol

STEPS, SWAP_AT = 30, 15


def configs(cls, device, dtype):
    """The keyword arguments of torch's optim_db for ``cls``, as (description, kwargs)."""
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)  # its CUDA_HOME note
    try:
        from torch.testing._internal.common_optimizers import optim_db
    except Exception as err:  # private API: a failure to import is reported, never hidden
        raise ImportError(f"torch.testing._internal is not importable ({type(err).__name__}: "
                          f"{err}); pip install expecttest") from None
    info = next(o for o in optim_db if o.optim_cls is cls)
    return [(i.desc, i.kwargs) for i in info.optim_inputs_func(device=device, dtype=dtype)]


def _params(dtype, device, complex_):
    gen = torch.Generator().manual_seed(0)
    shapes = [(4, 3), (3,), (2, 2)]
    made = []
    for shape in shapes:
        t = torch.randn(shape, generator=gen, dtype=torch.float64)
        if complex_:
            t = torch.complex(t, torch.randn(shape, generator=gen, dtype=torch.float64))
        made.append(t.to(device, dtype.to_complex() if complex_ else dtype))
    return made


def _loss(params, step):
    """A bowl with a quartic wall; the last parameter gets no gradient on two steps of three."""
    used = params if step % 3 == 0 else params[:-1]
    return sum(((p - 0.5).abs() ** 2).sum() + 0.1 * (p.abs() ** 4).sum() for p in used)


def _step(params, opt, step):
    opt.zero_grad(set_to_none=True)
    _loss(params, step).backward()
    opt.step()


def _clone_kwargs(kwargs):
    return {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}


def _compare(m, what, pa, pb, oa, ob, tol):
    for i, (a, b) in enumerate(zip(pa, pb)):
        compare(m, "out", f"{what} param {i}", a.detach(), b.detach(), tol)
        sa, sb = oa.state.get(a, {}), ob.state.get(b, {})
        if set(sa) != set(sb):
            m.fail(f"{what} param {i}: state keys {sorted(sa)} != torch's {sorted(sb)}")
            continue
        for key, value in sb.items():
            if isinstance(value, torch.Tensor):
                compare(m, "grad", f"{what} param {i} state {key}", sa[key].to(value.dtype),
                        value, tol)


def _fresh(cls, params, kwargs, state_dict):
    copies = [torch.nn.Parameter(p.detach().clone()) for p in params]
    opt = cls(copies, **_clone_kwargs(kwargs))
    opt.load_state_dict(copy.deepcopy(state_dict))
    return copies, opt


def run_config(m, impl, reference, kwargs, dtype, device, complex_, what):
    tol = default_tol(dtype)
    pa = [torch.nn.Parameter(t) for t in _params(dtype, device, complex_)]
    pb = [torch.nn.Parameter(t.detach().clone()) for t in pa]
    oa, ob = impl(pa, **_clone_kwargs(kwargs)), reference(pb, **_clone_kwargs(kwargs))
    crossed = None
    for step in range(STEPS):
        _step(pa, oa, step)
        _step(pb, ob, step)
        _compare(m, f"{what} step {step}", pa, pb, oa, ob, tol)
        if step == SWAP_AT:  # torch's state into a manual optimizer, and the manual one's back
            crossed = (_fresh(impl, pb, kwargs, ob.state_dict()),
                       _fresh(reference, pa, kwargs, oa.state_dict()))
        elif crossed:
            (qa, ca), (qb, cb) = crossed
            _step(qa, ca, step)
            _step(qb, cb, step)
            _compare(m, f"{what} step {step}, manual from torch's state_dict", qa, pb, ca, ob,
                     tol)
            _compare(m, f"{what} step {step}, torch from the manual state_dict", qb, pa, cb,
                     oa, tol)


def check_torch_configs(impl, dtype, device, *, reference):
    m = Measure()
    try:
        found = configs(reference, device, dtype)
    except ImportError as err:
        m.fail(str(err))
        return m
    for desc, kwargs in found:
        for complex_ in (False, True):
            what = f"{desc}{' (complex)' if complex_ else ''}"
            try:
                run_config(m, impl, reference, kwargs, dtype, device, complex_, what)
            except Exception as err:  # a wrong optimizer may fail outright
                m.fail(f"{what}: {type(err).__name__}: {err}")
    m.notes.append(f"{len(found)} configurations of torch's optim_db, real and complex, "
                   f"{STEPS} steps, state_dicts exchanged at step {SWAP_AT}")
    if not found:
        m.fail(f"torch's optim_db has no configuration of {reference.__name__}")
    return m
