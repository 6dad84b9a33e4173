"""When to stop gradient descent: the notes' stop conditions as small composable rules.

Notes section: 梯度下降算法停止条件 (gradient small enough, loss stalls, parameters stall,
an epoch limit, early stopping on a validation set, and using several at once).

Each rule is called with the run's ``Progress`` after a step (or an epoch) and answers
None to go on, or the reason to stop. ``StopRules`` asks them in order and reports which
one stopped the run and why. torch has no built-in for these; they are checked on
constructed sequences in tests/test_stopping.py and drive the trainer and the line fit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = ["EarlyStopping", "GradNormBelow", "LossChangeBelow", "MaxEpochs", "NonFiniteLoss",
           "ParamChangeBelow", "Progress", "Stop", "StopRules"]


@dataclass
class Progress:
    step: int  # iterations, or epochs, done so far
    loss: float | None = None
    grad_norm: float | None = None
    params: torch.Tensor | None = None  # all parameters as one flat vector
    val_loss: float | None = None
    model: torch.nn.Module | None = None  # for early stopping's copy of the best parameters


@dataclass(frozen=True)
class Stop:
    rule: str
    reason: str


class GradNormBelow:
    """||grad E|| < eps: the ground is nearly flat, the steps are nearly zero."""

    name = "grad_norm"

    def __init__(self, eps):
        self.eps = eps

    def __call__(self, p):
        if p.grad_norm is not None and p.grad_norm < self.eps:
            return f"gradient norm {p.grad_norm:.3g} < {self.eps:g} at step {p.step}"


class LossChangeBelow:
    """|E(t) - E(t-1)| < eps: the loss has stalled."""

    name = "loss_change"

    def __init__(self, eps):
        self.eps, self.previous = eps, None

    def __call__(self, p):
        if p.loss is None:
            return None
        previous, self.previous = self.previous, p.loss
        if previous is not None and abs(p.loss - previous) < self.eps:
            return f"loss changed by {abs(p.loss - previous):.3g} < {self.eps:g} at step {p.step}"


class ParamChangeBelow:
    """||theta(t) - theta(t-1)|| < eps: the parameters no longer move."""

    name = "param_change"

    def __init__(self, eps):
        self.eps, self.previous = eps, None

    def __call__(self, p):
        if p.params is None:
            return None
        previous, self.previous = self.previous, p.params.detach().clone()
        if previous is not None:
            moved = (p.params - previous).norm().item()
            if moved < self.eps:
                return f"parameters moved {moved:.3g} < {self.eps:g} at step {p.step}"


class MaxEpochs:
    """A hard limit, whatever the loss does."""

    name = "max_epochs"

    def __init__(self, limit):
        self.limit = limit

    def __call__(self, p):
        if p.step >= self.limit:
            return f"reached the limit of {self.limit} epochs"


class NonFiniteLoss:
    """A NaN or infinite loss: going on cannot help."""

    name = "non_finite"

    def __call__(self, p):
        for what, v in (("loss", p.loss), ("validation loss", p.val_loss)):
            if v is not None and not math.isfinite(v):
                return f"{what} is {v} at step {p.step}"


class EarlyStopping:
    """Stop when the validation loss has not improved by more than ``min_delta`` for more
    than ``patience`` evaluations, and keep a copy of the best parameters to restore."""

    name = "early_stopping"

    def __init__(self, patience, min_delta=0.0, restore_best=True):
        if patience < 0:
            raise ValueError("patience must be >= 0")
        self.patience, self.min_delta, self.restore_best = patience, min_delta, restore_best
        self.best, self.best_step, self.bad, self.best_state = math.inf, None, 0, None

    def __call__(self, p):
        if p.val_loss is None:
            return None
        if p.val_loss < self.best - self.min_delta:  # NaN never improves
            self.best, self.best_step, self.bad = p.val_loss, p.step, 0
            if self.restore_best and p.model is not None:
                self.best_state = {k: v.detach().clone() for k, v in p.model.state_dict().items()}
            return None
        self.bad += 1
        if self.bad > self.patience:
            return (f"validation loss has not improved for {self.bad} epochs "
                    f"(best {self.best:.4g} at epoch {self.best_step})")

    def restore(self, model: torch.nn.Module) -> bool:
        """Put the best parameters back; False when there is nothing to restore."""
        if self.best_state is None:
            return False
        model.load_state_dict(self.best_state)
        return True

    def state_dict(self) -> dict:
        return {"best": self.best, "best_step": self.best_step, "bad": self.bad,
                "best_state": self.best_state}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_step = state["best"], state["best_step"]
        self.bad, self.best_state = state["bad"], state["best_state"]


class StopRules:
    """Several rules at once (the notes' 综合使用): the first that fires stops the run."""

    def __init__(self, *rules):
        self.rules = rules

    def __call__(self, p):
        for rule in self.rules:
            reason = rule(p)
            if reason:
                return Stop(rule.name, reason)
        return None
