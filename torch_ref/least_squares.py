"""Built-in twins of manual/least_squares.py: torch.linalg.lstsq, and autograd with
torch.optim.SGD for the gradient-descent fit and the mini-batch step."""
import torch
import torch.nn.functional as F

__all__ = ["fit", "fit_line", "fit_line_gd", "minibatch_step"]


def fit(X, y):
    A = torch.cat([X, torch.ones_like(X[:, :1])], 1)
    theta = torch.linalg.lstsq(A, y.unsqueeze(1)).solution.squeeze(1)
    return theta[:-1], theta[-1]


def fit_line(x, y):
    w, b = fit(x.unsqueeze(1), y)
    return w[0], b


def fit_line_gd(x, y, lr=0.1, tol=1e-10, max_steps=100_000):
    """The same descent with autograd's gradient and torch's SGD; returns (w, b, steps)."""
    w = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    b = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=lr)
    for step in range(max_steps + 1):
        opt.zero_grad()
        ((y - w * x - b) ** 2).mean().backward()
        if torch.sqrt(w.grad**2 + b.grad**2) < tol or step == max_steps:
            return w.detach(), b.detach(), step
        opt.step()


def minibatch_step(w, X, y, batch, lr=0.1):
    """The same step with autograd and torch's SGD."""
    p = torch.nn.Parameter(w.detach().clone())
    opt = torch.optim.SGD([p], lr=lr)
    F.mse_loss(X[batch] @ p, y[batch]).backward()
    opt.step()
    return p.detach()
