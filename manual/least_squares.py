"""Fitting a line by least squares: in closed form, by the normal equations, and by
plain batch gradient descent with a stop rule.

Notes sections: 最小二乘法拟合直线 (the notes call it 逻辑回归, logistic regression; it is
linear regression), 数学建模, 求解过程, 梯度下降 (背景, 过程), 批量梯度下降, 随机梯度下降.

E(w, b) = sum_i (y_i - w x_i - b)^2 is a bowl in (w, b); setting both partial derivatives

    dE/dw = -2 sum_i x_i (y_i - w x_i - b) = 0,     dE/db = -2 sum_i (y_i - w x_i - b) = 0

to zero gives  w = sum (x - x_mean)(y - y_mean) / sum (x - x_mean)^2,  b = y_mean - w x_mean.
With many features the same two conditions become the normal equations A^T A theta = A^T y,
A = [X, 1]. Gradient descent walks down the same bowl instead: theta <- theta - eta g with g
the gradient averaged over the n examples (not over the parameters, and with a minus sign:
the notes' theta_new = theta_old + eta g with g = grad / (n + 1) climbs the bowl).
"""
from __future__ import annotations

import torch

from manual.stopping import GradNormBelow, MaxEpochs, NonFiniteLoss, Progress, StopRules

__all__ = ["fit", "fit_line", "fit_line_gd", "minibatch_step"]


def _check_points(x, y):
    if x.dim() != 1 or x.shape != y.shape:
        raise ValueError(f"fit_line: x and y must be 1-D of one length, got {tuple(x.shape)} "
                         f"and {tuple(y.shape)}")
    if x.numel() < 2:
        raise ValueError(f"fit_line: a line needs at least two points, got {x.numel()}")
    if bool((x == x[0]).all()):
        raise ValueError("fit_line: all x are equal, so the slope is undetermined "
                         "(a vertical line is not y = w x + b)")


def fit_line(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The closed form of 求解过程: returns (w, b)."""
    _check_points(x, y)
    dx, dy = x - x.mean(), y - y.mean()
    w = (dx * dy).sum() / (dx * dx).sum()
    return w, y.mean() - w * x.mean()


def fit(X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Least squares with several features by the normal equations: returns (w, b)."""
    if X.dim() != 2 or y.shape != X.shape[:1]:
        raise ValueError(f"fit: need X (n, d) and y (n,), got {tuple(X.shape)} and "
                         f"{tuple(y.shape)}")
    A = torch.cat([X, torch.ones_like(X[:, :1])], 1)  # the bias is the weight of a 1
    try:
        theta = torch.linalg.solve(A.T @ A, A.T @ y)
    except RuntimeError as err:
        raise ValueError("fit: A^T A is singular (fewer independent points than "
                         "parameters, or a feature that is constant or repeated)") from err
    return theta[:-1], theta[-1]


def fit_line_gd(x: torch.Tensor, y: torch.Tensor, lr: float = 0.1, tol: float = 1e-10,
                max_steps: int = 100_000) -> tuple:
    """Batch gradient descent on the mean squared error; stops when the gradient norm
    falls under ``tol`` or after ``max_steps``. Returns (w, b, steps, stop)."""
    _check_points(x, y)
    w = b = torch.zeros((), dtype=x.dtype, device=x.device)
    rules = StopRules(NonFiniteLoss(), GradNormBelow(tol), MaxEpochs(max_steps))
    n, step = x.numel(), 0
    while True:
        r = y - w * x - b  # residuals
        gw, gb = -2 * (x * r).sum() / n, -2 * r.sum() / n  # dE/dw, dE/db, averaged over n
        progress = Progress(step, loss=float((r * r).mean()),
                            grad_norm=float(torch.sqrt(gw * gw + gb * gb)))
        stop = rules(progress)
        if stop:
            return w, b, step, stop
        w, b, step = w - lr * gw, b - lr * gb, step + 1


def minibatch_step(w: torch.Tensor, X: torch.Tensor, y: torch.Tensor, batch: torch.Tensor,
                   lr: float = 0.1) -> torch.Tensor:
    """One step of mini-batch SGD on E_B(w) = 1/|B| sum_(i in B) (x_i w - y_i)^2: the
    examples of ``batch`` only, every weight updated (not a random subset of the weights,
    as the notes have it). dE_B/dw = 2/|B| X_B^T (X_B w - y_B)."""
    Xb, yb = X[batch], y[batch]
    return w - lr * 2 * Xb.T @ (Xb @ w - yb) / len(batch)
