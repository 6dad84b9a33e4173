"""Bad input to a manual op is a one-line ValueError that says what does not fit, each
condition on its own (so no check can pass by refusing), and the edge that is valid is
accepted and equal to torch."""
import pytest
import torch
import torch.nn.functional as F

from crosscheck.proof.records.registry import REGISTRY
from manual import activations as A
from manual import conv, least_squares, optim, pooling, schedules

x4 = torch.randn(1, 2, 5, 6, dtype=torch.float64)


def refused(fn, *args, **kwargs):
    with pytest.raises(ValueError) as err:
        fn(*args, **kwargs)
    assert "\n" not in str(err.value)
    return str(err.value)


ERRORS = [(e, k) for e in REGISTRY for k in range(len(e.error_inputs))]


@pytest.mark.parametrize("entry, k", ERRORS, ids=[f"{e.name}-{k}" for e, k in ERRORS])
def test_an_op_refuses_its_error_inputs_in_one_line_and_torch_too(entry, k):
    """Each op's error inputs (its record's): refused in one line that says what does not
    fit; torch refuses them too, but for the arguments the manual op does not support."""
    error = entry.error_inputs[k]
    assert error.says in refused(entry.manual, *error.args, **error.kwargs)
    if error.torch_refuses:
        with pytest.raises((RuntimeError, ValueError, TypeError, IndexError)):
            entry.reference(*error.args, **error.kwargs)


def test_the_refusal_check_fails_an_op_that_computes_what_it_should_refuse():
    error = next(e for e in REGISTRY if e.name == "conv2d").error_inputs[0]
    with pytest.raises(pytest.fail.Exception):  # computes a number: no refusal
        refused(lambda *args, **kwargs: torch.zeros(1), *error.args, **error.kwargs)
    with pytest.raises(AssertionError):  # refuses, but in two lines
        refused(_two_lines)


def _two_lines(*args, **kwargs):
    raise ValueError("conv2d: groups must be a positive int\ngot 0")


def test_a_kernel_as_large_as_the_input_gives_one_output():
    torch.testing.assert_close(conv.im2col(x4, (5, 6)), F.unfold(x4, (5, 6)))


def test_col2im_takes_columns_that_fit():
    cols = torch.randn(1, 2 * 4, 20, dtype=torch.float64)  # 2x2 kernel on 5x6: L = 20
    torch.testing.assert_close(conv.col2im(cols, (5, 6), 2), F.fold(cols, (5, 6), 2))


def test_least_squares_refuses_what_has_no_line():
    two = torch.tensor([0.0, 1.0], dtype=torch.float64)
    w, b = least_squares.fit_line(two, torch.tensor([1.0, 3.0], dtype=torch.float64))
    assert (w.item(), b.item()) == (2.0, 1.0)  # two points are enough
    assert "two points" in refused(least_squares.fit_line, two[:1], two[:1])
    assert "equal" in refused(least_squares.fit_line, torch.ones(3), torch.arange(3.0))
    assert "1-D" in refused(least_squares.fit_line, two, two[:1])
    X = torch.randn(5, 2, dtype=torch.float64)
    assert "need X" in refused(least_squares.fit, X[:, 0], X[:, 0])  # X not 2-D only
    assert "need X" in refused(least_squares.fit, X, X[:4, 0])  # y's length only


@pytest.mark.parametrize("helper, function", [
    (A.leaky_relu_backward, F.leaky_relu), (A.elu_backward, F.elu), (A.gelu_backward, F.gelu)])
def test_the_backward_helpers_defaults_are_torchs(helper, function):
    x = torch.randn(20, dtype=torch.float64, requires_grad=True)
    grad = torch.randn(20, dtype=torch.float64)
    (want,) = torch.autograd.grad(function(x), x, grad)
    torch.testing.assert_close(helper(grad, x.detach()), want)


def test_max_pool2d_accepts_a_window_as_large_as_the_input_and_copies():
    out = pooling.max_pool2d(x4, (5, 6))
    torch.testing.assert_close(out, F.max_pool2d(x4, (5, 6)))
    one = pooling.max_pool2d(x4, 1)  # every window one entry: the input itself, but a copy
    assert torch.equal(one, x4) and one.data_ptr() != x4.data_ptr()


@pytest.mark.parametrize("cls, kw, what", [
    (optim.SGD, {"nesterov": True}, "Nesterov"),  # without momentum
    (optim.SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov"),
    (optim.SGD, {"lr_in_velocity": True, "momentum": 0.9, "dampening": 0.1}, "lr_in_velocity"),
    (optim.SGD, {"lr_in_velocity": True, "momentum": 0.9, "nesterov": True}, "lr_in_velocity"),
    (optim.SGD, {"fused": True}, "fused"),
    (optim.SGD, {"differentiable": True}, "differentiable"),
    (optim.Adam, {"betas": (1.0, 0.999)}, "betas"),
    (optim.Adam, {"betas": (0.9, 1.0)}, "betas"),
    (optim.Adam, {"betas": (-0.1, 0.999)}, "betas"),
    (optim.Adam, {"betas": (0.9, -0.1)}, "betas"),
])
def test_optimizers_refuse_what_torch_refuses(cls, kw, what):
    p = [torch.nn.Parameter(torch.zeros(2))]
    assert what in refused(cls, p, **{"lr": 0.1, **kw})


def test_optimizers_accept_the_edges_torch_accepts():
    p = [torch.nn.Parameter(torch.zeros(2))]
    optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)
    optim.SGD(p, lr=0.1, momentum=0.9, lr_in_velocity=True)
    optim.Adam(p, lr=0.1, betas=(0.0, 0.0))


@pytest.mark.parametrize("kw, what", [
    ({"warmup_steps": -1}, "warmup_steps"),
    ({"warmup_steps": 2, "start_factor": 0}, "start_factor"),
    ({"warmup_steps": 2, "start_factor": 1.5}, "start_factor"),
    ({"warmup_steps": 2, "decay": "cosine"}, "total_steps"),  # no total only
    ({"warmup_steps": 2, "decay": "cosine", "total_steps": 2}, "total_steps"),  # too few only
    ({"warmup_steps": 2, "decay": "linear"}, "decay"),
])
def test_warmup_refuses_what_has_no_schedule(kw, what):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    assert what in refused(schedules.WarmupLR, opt, **kw)


def test_warmup_accepts_its_edges():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    schedules.WarmupLR(opt, 0, start_factor=1.0)
    schedules.WarmupLR(opt, 2, decay="cosine", total_steps=3)
