"""Properties the cross-check cannot see: stability at the extremes and the kink convention."""
import pytest
import torch

from manual import activations as A
from manual import losses


@pytest.mark.parametrize("fn", [A.sigmoid, A.tanh])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_saturating_functions_are_finite_at_800(fn, dtype):
    x = torch.tensor([-800.0, -1e4, 800.0, 1e4], dtype=dtype, requires_grad=True)
    y = fn(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.isfinite(y).all() and torch.isfinite(g).all()
    assert y[2] == 1 and g.abs().max() == 0


@pytest.mark.parametrize("fn,expected", [
    (A.relu, 0.0),
    (lambda x: A.leaky_relu(x, 0.2), 0.2),
    (lambda x: A.elu(x, 0.5), 0.5),
])
def test_derivative_at_exact_zero_is_torchs(fn, expected):
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(fn(x).sum(), x)
    assert g.tolist() == [expected] * 3


def test_log_softmax_of_huge_logits_is_finite():
    x = torch.tensor([[1e308, 0.0, -1e308]], dtype=torch.float64)
    assert torch.isfinite(losses.log_softmax(x, 1)[0, :2]).all()


def test_seed_error_is_half_the_summed_mse():
    out, target = torch.tensor([0.75, 0.77]), torch.tensor([0.01, 0.99])
    e = 0.5 * ((target - out) ** 2).sum()  # the notes' E = 1/2 sum (target - out)^2
    assert torch.isclose(0.5 * losses.mse_loss(out, target, reduction="sum"), e)


def test_relu_gradient_at_nan_is_torchs():
    # torch's threshold_backward zeroes the gradient where x <= 0; NaN <= 0 is false, so
    # the gradient at a NaN input passes (1 in torch 2.14), not NaN
    x = torch.tensor([float("nan"), -1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(A.relu(x).sum(), x)
    (want,) = torch.autograd.grad(torch.relu(x).sum(), x)
    assert not g.isnan().any() and g.tolist() == want.tolist()
