"""Least squares errors, the warm-up's floor, back propagation on the classic worked example,
and the neuron's full truth table."""
import pytest
import torch

from manual import backprop, least_squares, neuron, schedules


@pytest.mark.parametrize("x,y,message", [
    ([1.0], [2.0], "at least two points"),
    ([3.0, 3.0, 3.0], [1.0, 2.0, 3.0], "all x are equal"),
    ([1.0, 2.0], [1.0], "1-D of one length"),
])
def test_degenerate_lines_are_clear_errors(x, y, message):
    with pytest.raises(ValueError, match=message):
        least_squares.fit_line(torch.tensor(x), torch.tensor(y))


def test_singular_normal_equations_are_a_clear_error():
    X = torch.tensor([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], dtype=torch.float64)  # repeated
    with pytest.raises(ValueError, match="singular"):
        least_squares.fit(X, torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))


def test_exact_line_is_recovered():
    x = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
    w, b = least_squares.fit_line(x, 3 * x - 2)
    assert (w.item(), b.item()) == pytest.approx((3.0, -2.0), abs=1e-14)


def test_cosine_warmup_holds_its_floor_after_total_steps():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = schedules.WarmupLR(opt, 2, start_factor=0.5, decay="cosine", total_steps=6,
                               min_lr=0.1)
    lrs = []
    for _ in range(10):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    assert lrs[:3] == pytest.approx([0.5, 0.75, 1.0])
    assert lrs[6:] == pytest.approx([0.1] * 4)


def test_backprop_on_the_classic_worked_example():
    """Published hand-computed figures for this 2-2-2 sigmoid network (inputs 0.05, 0.10;
    targets 0.01, 0.99): E_total = 0.298371109, dE/dw5 = 0.082167041, dE/dw1 = 0.000438568,
    given to 9 decimals from rounded intermediates, hence 1e-8."""
    def t(v):
        return torch.tensor(v, dtype=torch.float64)

    x, target = t([[0.05, 0.10]]), t([[0.01, 0.99]])
    W1, W2 = t([[0.15, 0.20], [0.25, 0.30]]), t([[0.40, 0.45], [0.50, 0.55]])
    b1, b2 = t([0.35, 0.35]), t([0.60, 0.60])
    E, (gW1, gW2), _ = backprop.gradients(x, target, [W1, W2], [b1, b2], ["sigmoid"] * 2)
    assert E.item() == pytest.approx(0.298371109, abs=1e-8)
    assert gW2[0, 0].item() == pytest.approx(0.082167041, abs=1e-8)  # w5: h1 -> o1
    assert gW1[0, 0].item() == pytest.approx(0.000438568, abs=1e-8)  # w1: i1 -> h1


def test_neuron_full_truth_table():
    x1 = torch.tensor([0.0, 0.0, 1.0, 1.0])
    x2 = torch.tensor([0.0, 1.0, 0.0, 1.0])
    y = neuron.neuron(x1, x2, bias=-1.0)
    assert y.tolist() == [-1.0, 0.0, 0.0, 1.0]
    assert neuron.fires(y).tolist() == [False, False, False, True]  # only both events
    # the notes' threshold "> 1" fires for no input at all: it contradicts their table
    assert not neuron.fires(y, threshold=1.0).any()
    # a positive bias (the careful person) fires on either event alone
    assert neuron.fires(neuron.neuron(x1, x2, bias=1.0), threshold=1.0).tolist() == [
        False, True, True, True]


def test_descent_on_points_with_a_zero_residual_converges_like_torch():
    """y = 2x + 1 through (-0.5, 0): at the start (w = b = 0) that point's residual is exactly
    0. The loss, a mean of squared residuals, is finite there (a 0/0 in it would read as a
    NaN loss and stop the descent at step 0)."""
    from torch_ref import least_squares as ref
    x = torch.tensor([-0.5, 0.25, 1.0, 2.0], dtype=torch.float64)
    y = 2 * x + 1
    w, b, steps, stop = least_squares.fit_line_gd(x, y)
    rw, rb, ref_steps = ref.fit_line_gd(x, y)
    assert stop.rule == "grad_norm" and steps == ref_steps > 0
    torch.testing.assert_close(torch.stack([w, b]), torch.stack([rw, rb]))


def test_the_descents_defaults_are_its_twins():
    """Mirror rule, one level down: every function both sides define takes the same
    defaults (the descent's step limit and tolerance among them)."""
    import inspect

    from torch_ref import least_squares as ref
    for name in least_squares.__all__:
        mine, theirs = (inspect.signature(getattr(m, name)) for m in (least_squares, ref))
        assert {k: p.default for k, p in mine.parameters.items()} == \
            {k: p.default for k, p in theirs.parameters.items()}, name
