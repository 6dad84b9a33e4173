"""The stop rules on constructed sequences, edge cases included."""
import math

import pytest
import torch

from manual.stopping import (
    EarlyStopping,
    GradNormBelow,
    LossChangeBelow,
    MaxEpochs,
    NonFiniteLoss,
    ParamChangeBelow,
    Progress,
    StopRules,
)


def first_stop(rules, progresses):
    for p in progresses:
        stop = rules(p)
        if stop:
            return p.step, stop
    return None, None


def test_gradient_norm_below_eps():
    norms = [1.0, 0.1, 1e-3, 1e-7, 1e-9]
    step, stop = first_stop(StopRules(GradNormBelow(1e-6)),
                            [Progress(i, grad_norm=g) for i, g in enumerate(norms)])
    assert step == 3 and stop.rule == "grad_norm" and "1e-07" in stop.reason


def test_loss_change_below_eps_needs_two_losses():
    losses = [5.0, 4.0, 3.9, 3.89995]
    step, stop = first_stop(StopRules(LossChangeBelow(1e-3)),
                            [Progress(i, loss=v) for i, v in enumerate(losses)])
    assert step == 3 and stop.rule == "loss_change"


def test_param_change_below_eps():
    thetas = [torch.tensor([0.0, 0.0]), torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1e-8])]
    step, stop = first_stop(StopRules(ParamChangeBelow(1e-6)),
                            [Progress(i, params=t) for i, t in enumerate(thetas)])
    assert step == 2 and stop.rule == "param_change"


def test_max_epochs_and_the_first_rule_that_fires_wins():
    rules = StopRules(GradNormBelow(1e-6), MaxEpochs(3))
    step, stop = first_stop(rules, [Progress(i, grad_norm=1.0) for i in range(10)])
    assert step == 3 and stop.rule == "max_epochs"


def test_nan_loss_stops_at_once_and_never_counts_as_a_stall():
    seq = [Progress(0, loss=1.0), Progress(1, loss=math.nan)]
    assert first_stop(StopRules(LossChangeBelow(1e-3)), seq) == (None, None)
    step, stop = first_stop(StopRules(NonFiniteLoss(), LossChangeBelow(1e-3)), seq)
    assert step == 1 and "nan" in stop.reason


def _val(losses, patience, min_delta=0.0):
    rule = EarlyStopping(patience, min_delta)
    return rule, first_stop(StopRules(rule), [Progress(i + 1, val_loss=v)
                                              for i, v in enumerate(losses)])


def test_early_stopping_waits_patience_epochs():
    rule, (step, stop) = _val([1.0, 0.8, 0.9, 0.85, 0.95], patience=2)
    assert step == 5 and stop.rule == "early_stopping" and rule.best == 0.8
    assert "best 0.8 at epoch 2" in stop.reason


def test_patience_zero_stops_at_the_first_epoch_without_improvement():
    _, (step, _) = _val([1.0, 0.8, 0.8], patience=0)
    assert step == 3


def test_a_plateau_that_recovers_resets_the_count():
    _, (step, _) = _val([1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6], patience=2)
    assert step == 7


def test_min_delta_counts_tiny_improvements_as_none():
    _, (step, _) = _val([1.0, 0.9999, 0.9998], patience=1, min_delta=1e-2)
    assert step == 3


def test_nan_validation_loss_is_no_improvement():
    rule, (step, _) = _val([1.0, math.nan, math.nan], patience=1)
    assert step == 3 and rule.best == 1.0


def test_early_stopping_restores_the_best_parameters():
    model = torch.nn.Linear(2, 1)
    rule = EarlyStopping(patience=0)
    with torch.no_grad():
        model.weight.fill_(1.0)
    assert rule(Progress(1, val_loss=0.5, model=model)) is None
    with torch.no_grad():
        model.weight.fill_(7.0)
    assert rule(Progress(2, val_loss=0.9, model=model))
    assert rule.restore(model) and model.weight.eq(1.0).all()


def test_negative_patience_is_refused():
    with pytest.raises(ValueError):
        EarlyStopping(-1)


def test_each_threshold_is_strict_as_its_formula_says():
    """|grad| < eps, |dE| < eps, |d theta| < eps: reaching eps exactly is not below it."""
    assert GradNormBelow(0.5)(Progress(0, grad_norm=0.5)) is None
    assert GradNormBelow(0.5)(Progress(0, grad_norm=0.25))
    rule = LossChangeBelow(0.5)
    assert rule(Progress(0, loss=1.0)) is None and rule(Progress(1, loss=1.5)) is None
    assert rule(Progress(2, loss=1.25))
    rule = ParamChangeBelow(0.5)
    assert rule(Progress(0, params=torch.zeros(1))) is None
    assert rule(Progress(1, params=torch.full((1,), 0.5))) is None
    assert rule(Progress(2, params=torch.full((1,), 0.75)))


def test_early_stopping_counts_any_improvement_by_default():
    rule = EarlyStopping(patience=0)  # min_delta 0: a smaller loss is better, however little
    assert rule(Progress(1, val_loss=1.0)) is None
    assert rule(Progress(2, val_loss=0.9)) is None and rule.best == 0.9
    assert rule(Progress(3, val_loss=0.9))  # equal is no improvement


def test_early_stopping_with_nothing_to_restore_says_so():
    assert EarlyStopping(patience=1).restore(torch.nn.Linear(1, 1)) is False


def test_a_first_validation_loss_that_is_nan_counts_once():
    rule = EarlyStopping(patience=1)
    assert rule(Progress(1, val_loss=math.nan)) is None  # one epoch without improvement
    assert rule(Progress(2, val_loss=math.nan))  # two: more than the patience


def test_each_rule_says_in_figures_why_it_stopped():
    """The reason carries the measured figure and the threshold, as written (a message is
    what a user reads: its numbers must be the run's)."""
    seq = [Progress(0, loss=1.0, grad_norm=0.5, params=torch.zeros(2)),
           Progress(1, loss=0.9996, grad_norm=2e-7, params=torch.tensor([3e-8, 4e-8]))]
    reasons = {}
    for rule in (LossChangeBelow(1e-3), GradNormBelow(1e-6), ParamChangeBelow(1e-7)):
        reasons[rule.name] = first_stop(StopRules(rule), seq)[1].reason
    assert reasons == {"loss_change": "loss changed by 0.0004 < 0.001 at step 1",
                       "grad_norm": "gradient norm 2e-07 < 1e-06 at step 1",
                       "param_change": "parameters moved 5e-08 < 1e-07 at step 1"}
