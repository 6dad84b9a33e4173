"""Second derivatives through the manual ops, as users take them: the Hessian of the loss, an
input-gradient penalty, and a MAML meta-gradient, each against the same on torch's ops."""
import copy

import pytest
import torch
import torch.nn.functional as F

from crosscheck.proof.records.backends import MANUAL, TORCH
from manual import losses
from torch_ref.model import CNN

TOL = {"rtol": 1e-10, "atol": 1e-12}


def test_the_hessian_of_cross_entropy_is_diag_p_minus_p_pT():
    x = torch.randn(6, 5, dtype=torch.float64)
    target = torch.tensor([0, 4, 2, 2, 1, 3])
    mine = torch.autograd.functional.hessian(lambda z: losses.cross_entropy(z, target), x)
    theirs = torch.autograd.functional.hessian(lambda z: F.cross_entropy(z, target), x)
    torch.testing.assert_close(mine, theirs, **TOL)
    p = torch.softmax(x, 1)  # and the formula: each row's block is (diag(p) - p p^T) / N
    block = (torch.diag(p[0]) - torch.outer(p[0], p[0])) / 6
    torch.testing.assert_close(mine[0, :, 0, :], block, **TOL)
    assert mine.abs().max() > 0.01  # not the all-zeros Hessian of a backward without a graph


def twins():
    torch.manual_seed(0)
    reference = CNN(TORCH, channels=(2, 3), hidden=8).double()
    manual = copy.deepcopy(reference)
    manual.ops = MANUAL
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(4, 1, 28, 28, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 10, (4,), generator=gen)
    return manual, reference, x, y


def penalized_gradients(model, x, y, weight=0.5):
    """d/dtheta of loss + weight * |d loss / d x|^2: a gradient penalty, second order."""
    x = x.clone().requires_grad_()
    loss = model.loss(x, y)
    (gx,) = torch.autograd.grad(loss, x, create_graph=True)
    total = loss + weight * (gx * gx).sum()
    return torch.autograd.grad(total, list(model.parameters()))


def test_an_input_gradient_penalty_through_the_cnn():
    manual, reference, x, y = twins()
    for mine, theirs in zip(penalized_gradients(manual, x, y),
                            penalized_gradients(reference, x, y)):
        torch.testing.assert_close(mine, theirs, **TOL)
        assert theirs.abs().max() > 0


def meta_gradient(model, x, y, alpha=0.1):
    """One MAML step: adapt on the first half, score the adapted parameters on the second
    half, differentiate that through the adaptation (second order)."""
    params = dict(model.named_parameters())
    inner = model.ops.cross_entropy(torch.func.functional_call(model, params, (x[:2],)), y[:2])
    grads = torch.autograd.grad(inner, list(params.values()), create_graph=True)
    adapted = {k: p - alpha * g for (k, p), g in zip(params.items(), grads)}
    outer = model.ops.cross_entropy(torch.func.functional_call(model, adapted, (x[2:],)), y[2:])
    return torch.autograd.grad(outer, list(params.values()))


def test_a_maml_meta_gradient_through_the_manual_cnn():
    manual, reference, x, y = twins()
    theirs = meta_gradient(reference, x, y)
    for mine, right in zip(meta_gradient(manual, x, y), theirs):
        torch.testing.assert_close(mine, right, **TOL)
    # the second-order term matters here: without it (first-order MAML) the answer differs
    adapted = copy.deepcopy(reference)
    grads = torch.autograd.grad(reference.loss(x[:2], y[:2]), list(reference.parameters()))
    with torch.no_grad():
        for p, g in zip(adapted.parameters(), grads):
            p -= 0.1 * g
    first_order = torch.autograd.grad(adapted.loss(x[2:], y[2:]), list(adapted.parameters()))
    assert any(not torch.allclose(t, f) for t, f in zip(theirs, first_order))


@pytest.mark.parametrize("op", ["conv2d", "cross_entropy"])
def test_the_old_second_derivative_slip_is_caught(op):
    """The slip this family exists for: a backward that reuses what the forward computed
    without autograd. Put back (the saved tensors detached), the row must fail."""
    from crosscheck.proof.records.registry import REGISTRY
    entry = next(e for e in REGISTRY if e.name == f"gradgrad_{op}")
    m = entry.run(torch.float64, "cpu", entry.wrong["saved tensors detached"])
    assert not m.ok and m.failures[0].check == "backward"
