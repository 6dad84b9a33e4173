"""The families beyond first order: the dtypes they run in are torch's, a dtype torch refuses
is refused here too, and a max-pool window with nothing of the input in it."""
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from crosscheck.proof.checks.families import ANY
from crosscheck.proof.checks.torch_suite import (
    VERSION,
    database,
    declared_range,
    release,
    torch_lacks,
)
from crosscheck.proof.records.family_rows import FAMILIES, on_our_samples
from crosscheck.proof.records.registry import REGISTRY
from manual import NotSupported, pooling

# each op's record: its OpInfo name, the op, the dtypes torch computes it in
OPS = {e.torch_name: e.manual for e in REGISTRY if e.torch_name}
TORCH_DTYPES = {e.torch_name: e.torch_dtypes for e in REGISTRY if e.torch_name}


@pytest.mark.parametrize("name", OPS)
def test_the_dtypes_of_each_family_row_are_those_torch_supports(name):
    """Those of the newest torch tested; an older one may lack some (its rows say so, as
    torch_lacks finds them), never have more."""
    supported = set().union(*(o.supported_dtypes("cpu") for o in database("op_db")
                              if o.name == name)) & set(ANY)
    assert supported <= set(TORCH_DTYPES[name])
    lacking = [d for d in TORCH_DTYPES[name] if d not in supported]
    assert all(torch_lacks(name, d, "cpu") for d in lacking)
    _, _, ceiling = declared_range()
    if ceiling and release(VERSION) == (ceiling[0], ceiling[1] - 1):  # the newest tested
        assert not lacking


def _small(name, dtype):
    """A small valid call of op ``name`` on float64 inputs, in ``dtype``."""
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64)
    calls = {"nn.functional.linear": (x, torch.randn(4, 6, dtype=torch.float64)),
             "nn.functional.mse_loss": (x, x.flip(0)),
             "nn.functional.cross_entropy": (x, torch.zeros(2, 6, 6, dtype=torch.long)),
             "nn.functional.conv2d": (x, torch.randn(2, 3, 3, 3, dtype=torch.float64)),
             "nn.functional.max_pool2d": (x, 2), "nn.functional.unfold": (x, 2),
             "softmax": (x, 1), "log_softmax": (x, 1)}
    args = calls.get(name, (x,))
    convert = (lambda t: t > 0) if dtype == torch.bool else lambda t: (t * 3).to(dtype)
    return [convert(a) if isinstance(a, torch.Tensor) and a.is_floating_point() else a
            for a in args]


REFUSED = [(name, dtype) for name in OPS for dtype in ANY if dtype not in TORCH_DTYPES[name]]


@pytest.mark.parametrize("name, dtype", REFUSED, ids=[f"{n}-{str(d)[6:]}" for n, d in REFUSED])
def test_a_dtype_outside_torch_s_list_is_refused_or_equal(name, dtype):
    """Where torch's OpInfo lists no support: refused where torch raises (one line), and
    where torch computes all the same, equal or refused by name (never another number)."""
    torch_op = next(o.op for o in database("op_db") if o.name == name)
    args = _small(name, dtype)
    try:
        theirs = torch_op(*args)
    except Exception:
        with pytest.raises((NotSupported, RuntimeError, TypeError, ValueError)) as refused:
            OPS[name](*args)
        assert "\n" not in str(refused.value)
        return
    try:
        mine = OPS[name](*args)
    except NotSupported as refused:
        assert refused.argument == "input"
        return
    torch.testing.assert_close(mine, theirs)


def test_a_window_with_no_input_entry_is_minus_inf_and_passes_no_gradient():
    """x of shape (1, 1, 1, 1), kernel (1, 2), padding (0, 1), dilation 2: the window's two
    taps fall on columns -1 and 1, both padding. Its maximum is the maximum of nothing,
    -inf, and its gradient goes nowhere (zero), as torch's. Its arg-max does not exist:
    torch returns index 1, which is past the input's one column; returning any index would
    be a number that means nothing, so return_indices is refused for such a window."""
    x = torch.randn(1, 1, 1, 1, dtype=torch.float64, requires_grad=True)
    kw = {"kernel_size": (1, 2), "padding": (0, 1), "dilation": 2}
    mine, theirs = pooling.max_pool2d(x, **kw), F.max_pool2d(x, **kw)
    assert torch.equal(mine, theirs) and mine.item() == float("-inf")
    (g,) = torch.autograd.grad(mine, x, torch.ones_like(mine))
    (h,) = torch.autograd.grad(theirs, x, torch.ones_like(theirs))
    assert torch.equal(g, h) and g.item() == 0
    with pytest.raises(NotSupported) as refused:
        pooling.max_pool2d(x, return_indices=True, **kw)
    assert refused.value.argument == "return_indices"
    # a window that does reach the input keeps its index (the taps outside are skipped)
    y = torch.randn(1, 1, 1, 3, dtype=torch.float64)
    mine, theirs = (f(y, (1, 2), padding=(0, 1), dilation=2, return_indices=True)
                    for f in (pooling.max_pool2d, F.max_pool2d))
    assert torch.equal(mine[0], theirs[0]) and torch.equal(mine[1], theirs[1])


LINEAR_SHAPES = {((3,), (4, 3), (4,)), ((2, 5, 3), (3,)), ((3,), (3,), ()),
                 ((0, 3), (4, 3), (4,)), ((2, 4, 0), (5, 0), (5,)), ((0, 8), (8,))}


@pytest.mark.parametrize("family", [f for f in FAMILIES if not FAMILIES[f].opt_in])
def test_linear_takes_every_shape_F_linear_takes_in_every_family(family):
    """A 1-D weight (one neuron), a 1-D input, both, and empty dimensions: our samples hold
    each (torch 2.15's OpInfo added them), and every family's row is equal on all of ours."""
    gen = torch.Generator().manual_seed(1)
    own = next(e for e in REGISTRY if e.name == "linear")
    shapes = {tuple(tuple(a.shape) for a in s.args) for s in own.samples(torch.float64, "cpu",
                                                                          gen)}
    assert LINEAR_SHAPES <= shapes
    entry = on_our_samples(next(e for e in REGISTRY if e.name == f"{family}_linear"))
    for dtype in entry.dtypes:
        m = entry.run(dtype, "cpu")
        assert m.ok and m.counts["wrong"] == 0 and m.counts["equal"] >= len(shapes), m.notes


def test_the_closing_line_says_a_torch_outside_the_tested_range(monkeypatch):
    from crosscheck.proof.checks import torch_suite
    spec, low, high = declared_range()
    assert spec and low and high, "handgrad is installed (pip install -e .) with its range"
    monkeypatch.setattr(torch_suite, "VERSION", f"{high[0]}.{high[1]}.0")  # the next release
    assert torch_suite.which_torch() == f"torch {high[0]}.{high[1]}.0, outside the tested " \
                                        f"range torch{spec}"
    monkeypatch.setattr(torch_suite, "VERSION", f"{low[0]}.{low[1]}.1")
    assert torch_suite.which_torch() == f"torch {low[0]}.{low[1]}.1"


def _lacking(registry):
    """The op entries (not family rows) without their rows in a family torch runs them in,
    and without a reason for it."""
    made = {(e.family.name, id(e.base)) for e in registry if e.family is not None}
    return [e.name for e in registry if e.kind == "op" and e.family is None
            and not e.why_no_families
            and (not e.torch_name or any((name, id(e)) not in made
                                         for name, f in FAMILIES.items() if not f.opt_in
                                         and set(f.dtypes) & set(e.torch_dtypes)))]


def test_every_op_has_its_family_rows_or_says_why_not():
    assert _lacking(REGISTRY) == []
    sigmoid = next(e for e in REGISTRY if e.name == "sigmoid")
    assert _lacking([replace(sigmoid, torch_name=None)]) == ["sigmoid"]  # the rule can fail
    assert _lacking([sigmoid]) == ["sigmoid"]  # a record whose rows were never made
