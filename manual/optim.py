"""Gradient-descent optimizers written out by hand, in the notes' order of complexity.

Notes sections: 梯度下降 (Gradient Descent), 批量梯度下降 (Batch GD), 随机梯度下降 (Mini Batch GD),
动量梯度下降 (Momentum GD), AdaGrad, RMSProp, Adam.

Each class is a ``torch.optim.Optimizer`` (for param_groups, state_dict and schedulers) with
torch's argument names, defaults and state keys. As in torch, creating the state
(``init_state``, torch's ``_init_group``) is apart from the math (``update``), which is
written out below its pseudocode in the same elementary tensor operations (lerp_, addcmul_,
addcdiv_) and order as torch, so that even float32 trajectories agree to the last bit or two.
A complex parameter is updated as torch does it: Adagrad, RMSprop and Adam see its real and
imaginary parts as two real numbers each (``torch.view_as_real``); SGD is linear, so complex
arithmetic gives the same steps.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
from torch.optim import Optimizer

from manual import NotSupported

__all__ = ["SGD", "Adagrad", "RMSprop", "Adam"]


def _zero_step(p, group):
    # torch's scalar dtype for 'step': float64 only under a float64 default dtype; on the
    # parameter's device where capturable (CUDA graphs), else on the CPU
    dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    return torch.tensor(0.0, dtype=dtype, device=p.device if group["capturable"] else "cpu")


def _scalar(x):
    """A hyperparameter as torch's functional optimizers take it: a 1-element tensor as a
    0-dimensional one, anything else as it is."""
    return x.reshape(()) if isinstance(x, torch.Tensor) else x


class _HandOptimizer(Optimizer):
    """Loops over the parameters that have a gradient: the state is created on first use
    (``init_state``), then ``update`` does the math on the gradient with maximize and weight
    decay applied."""

    real_view = True  # update complex parameters as pairs of real numbers (torch's rule)
    # torch's words where it refuses a sparse gradient (None: it takes one)
    sparse_refusal: str | None = None
    options: dict = {}  # this class's keyword-only options and their defaults (kept on load)
    # torch's implementation switches: the same math here, one tensor at a time
    switches = {"foreach": None, "capturable": False, "differentiable": False, "fused": None}

    def __init__(self, params, defaults, **switches):
        unknown = set(switches) - set(self.switches)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected argument {sorted(unknown)[0]!r}")
        for switch in ("fused", "differentiable"):  # torch's kernels, not another formula
            if switches.get(switch):
                raise NotSupported(type(self).__name__, switch, f"{switch}=True")
        defaults = {**defaults, **self.switches, **switches}
        for name in ("lr", "eps", "weight_decay"):
            if name in defaults and not defaults[name] >= 0:
                raise ValueError(f"Invalid {name} value: {defaults[name]}")
        if isinstance(defaults["lr"], torch.Tensor) and defaults["lr"].numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        super().__init__(params, defaults)

    def __setstate__(self, state):
        """A state_dict saved by torch's own optimizer lacks this class's options: give
        them their defaults (torch's __setstate__ does the same for its own keys)."""
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in {"maximize": False, **self.options, **self.switches}.items():
                group.setdefault(key, value)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self.__setstate__({"state": self.state, "param_groups": self.param_groups})

    def init_state(self, p: torch.Tensor, state: dict, group: dict) -> None:
        """Create the per-parameter state; called once, before the first update."""

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:  # a parameter this step did not reach keeps its state
                    continue
                if p.grad.is_sparse:
                    self.refuse_sparse(group)
                state = self.state[p]
                if not state:
                    self.init_state(p, state, group)
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g.add(p, alpha=group["weight_decay"])  # L2 penalty wd/2 |theta|^2
                if "step" in state:
                    state["step"] += 1
                if p.is_complex() and self.real_view:
                    p, g = torch.view_as_real(p), torch.view_as_real(g)
                    state = {k: torch.view_as_real(v) if torch.is_tensor(v) and v.is_complex()
                             else v for k, v in state.items()}  # views: updates land in place
                self.update(p, g, state, group)
        return loss

    def refuse_sparse(self, group: dict) -> None:
        """Raise as torch raises where it does not take a sparse gradient."""
        if self.sparse_refusal:
            raise RuntimeError(self.sparse_refusal)

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        raise NotImplementedError


class SGD(_HandOptimizer):
    """Gradient descent with optional momentum (动量).

        g <- grad (+ weight_decay * theta)
        if momentum:  b <- g on the first step, else b <- momentum * b + (1 - dampening) * g
                      g <- g + momentum * b if nesterov else b
        theta <- theta - lr * g

    Args:
        params: parameters or param groups.
        lr: the learning rate eta (default: 1e-3).
        momentum: the factor mu of the velocity (default: 0).
        dampening: scales the gradient into the velocity by 1 - dampening (default: 0).
        weight_decay: L2 penalty (default: 0).
        nesterov: look ahead along the velocity (default: False).
        maximize: climb instead of descend (default: False).
        lr_in_velocity: the notes' form of momentum (default: False, torch's form).

    The notes write momentum with eta inside the velocity: v <- gamma v + eta g,
    theta <- theta - v. torch keeps eta outside: b <- mu b + g, theta <- theta - eta b. While
    eta is constant, v = eta b and the paths are the same; when eta changes (a warm-up), v
    still carries the old rates, and the paths part. ``lr_in_velocity=True`` is the notes'
    form; its state is 'velocity' instead of 'momentum_buffer'.
    """

    real_view = False  # linear in g: complex arithmetic is already torch's update
    options = {"nesterov": False, "lr_in_velocity": False}

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, lr_in_velocity=False, **switches):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        if lr_in_velocity and (nesterov or dampening):
            raise ValueError("lr_in_velocity is the notes' plain momentum: no nesterov, "
                             "no dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, lr_in_velocity=lr_in_velocity),
                         **switches)

    def velocity(self, g: torch.Tensor, state: dict, group: dict) -> torch.Tensor:
        """torch's b <- mu b + (1 - dampening) g (b = g at first), or the notes' v <- gamma v +
        eta g (v = eta g at first); returns g itself without momentum."""
        mu, lr = group["momentum"], _scalar(group["lr"])
        if mu == 0:
            return g
        if group["lr_in_velocity"]:
            v = state.get("velocity")
            state["velocity"] = g * lr if v is None else v.mul_(mu).add_(g, alpha=lr)
            return state["velocity"]
        b = state.get("momentum_buffer")
        b = g.clone() if b is None else b.mul_(mu).add_(g, alpha=1 - group["dampening"])
        state["momentum_buffer"] = b
        return b

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        v = self.velocity(g, state, group)
        if group["lr_in_velocity"] and group["momentum"]:
            p.sub_(v)  # theta <- theta - v: eta is inside v already
        else:
            p.add_(g.add(v, alpha=group["momentum"]) if group["nesterov"] else v,
                   alpha=-_scalar(group["lr"]))


class Adagrad(_HandOptimizer):
    """A learning rate per parameter that shrinks with its summed squared gradients.

        step <- step + 1;  g <- grad (+ weight_decay * theta)
        clr <- lr / (1 + (step - 1) * lr_decay)
        sum <- sum + g^2                       (starts at initial_accumulator_value)
        theta <- theta - clr * g / (sqrt(sum) + eps)

    Args:
        params: parameters or param groups.
        lr: the base learning rate eta (default: 1e-2).
        lr_decay: how fast eta itself decays with the step count (default: 0).
        weight_decay: L2 penalty (default: 0).
        initial_accumulator_value: where the sum of squares starts (default: 0).
        eps: keeps the division finite (default: 1e-10).
        maximize: climb instead of descend (default: False).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False, **switches):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize), **switches)
        for group in self.param_groups:  # torch creates this state eagerly
            for p in group["params"]:
                self.init_state(p, self.state[p], group)

    def init_state(self, p: torch.Tensor, state: dict, group: dict) -> None:
        # torch starts every sum at the constructor's value, whatever a param group says
        start = self.defaults["initial_accumulator_value"]
        if p.is_complex():  # both reals of the pair start there
            start = complex(start, start)
        state["step"] = _zero_step(p, group)
        state["sum"] = torch.full_like(p, start, memory_format=torch.preserve_format)

    def refuse_sparse(self, group: dict) -> None:
        if group["weight_decay"]:
            raise RuntimeError("weight_decay option is not compatible with sparse gradients")

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        step = state["step"].item()
        clr = _scalar(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        if g.is_sparse:
            return self.sparse_update(p, g, state["sum"], clr, group["eps"])
        state["sum"].addcmul_(g, g)
        p.addcdiv_(g, state["sum"].sqrt().add_(group["eps"]), value=-clr)

    @staticmethod
    def sparse_update(p: torch.Tensor, g: torch.Tensor, sums: torch.Tensor, clr: float, eps: float
                     ) -> None:
        """The same update where a sparse gradient has entries (an embedding's looked-up
        rows): duplicates summed first, then only those entries of sum and p change."""
        g = g.coalesce()
        index, values = g.indices(), g.values()

        def at_entries(v):
            return torch.sparse_coo_tensor(index, v, g.shape, check_invariants=False)
        sums.add_(at_entries(values * values))
        root = sums.sparse_mask(g).coalesce().values().sqrt_().add_(eps)
        p.add_(at_entries(values / root), alpha=-clr)


class RMSprop(_HandOptimizer):
    """AdaGrad with a leaking sum: an exponential average of squared gradients.

        step <- step + 1;  g <- grad (+ weight_decay * theta)
        r <- alpha * r + (1 - alpha) * g^2                        (square_avg)
        if centered:  m <- alpha * m + (1 - alpha) * g;  r_hat <- r - m^2   (grad_avg)
        d <- sqrt(r_hat) + eps
        if momentum:  b <- momentum * b + g / d;  theta <- theta - lr * b
        else:         theta <- theta - lr * g / d

    Args:
        params: parameters or param groups.
        lr: the learning rate eta (default: 1e-2).
        alpha: how much of the old average each step keeps, the notes' rho (default: 0.99).
        eps: keeps the division finite (default: 1e-8).
        weight_decay: L2 penalty (default: 0).
        momentum: momentum on the scaled step (default: 0).
        centered: divide by the variance's root instead of the second moment's (default: False).
        maximize: climb instead of descend (default: False).
        eps_inside_sqrt: the notes' form, d <- sqrt(r_hat + eps) (default: False, torch's).

    The notes divide by sqrt(r + eps); torch by sqrt(r) + eps. Both keep the step finite; they
    differ where r is as small as eps: for gradients of 1e-4, r is 1e-8, the notes' denominator
    is sqrt(2e-8) and torch's 1.01e-4, steps 1.4 times apart.
    """

    options = {"eps_inside_sqrt": False}
    sparse_refusal = "RMSprop does not support sparse gradients"

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False, eps_inside_sqrt=False, **switches):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize,
                                      eps_inside_sqrt=eps_inside_sqrt), **switches)

    def init_state(self, p: torch.Tensor, state: dict, group: dict) -> None:
        state["step"] = _zero_step(p, group)
        state["square_avg"] = torch.zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = torch.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = torch.zeros_like(p)

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        alpha, eps = group["alpha"], group["eps"]
        r = state["square_avg"].mul_(alpha).addcmul_(g, g, value=1 - alpha)
        if group["centered"]:
            m = state["grad_avg"].lerp_(g, 1 - alpha)  # alpha m + (1 - alpha) g
            r = r.addcmul(m, m, value=-1)  # r - m^2: the variance instead of the 2nd moment
        d = (r + eps).sqrt() if group["eps_inside_sqrt"] else r.sqrt().add_(eps)
        if group["momentum"] > 0:
            b = state["momentum_buffer"].mul_(group["momentum"]).addcdiv_(g, d)
            p.add_(b, alpha=-_scalar(group["lr"]))
        else:
            p.addcdiv_(g, d, value=-_scalar(group["lr"]))


class Adam(_HandOptimizer):
    """Momentum and RMSProp together, each average corrected for starting at zero.

        step <- step + 1;  g <- grad (+ weight_decay * theta)
        m <- beta1 * m + (1 - beta1) * g               (exp_avg: the notes' s)
        v <- beta2 * v + (1 - beta2) * g^2             (exp_avg_sq: the notes' r)
        v_max <- max(v_max, v) if amsgrad              (max_exp_avg_sq)
        m_hat <- m / (1 - beta1^step);  v_hat <- v / (1 - beta2^step)
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)

    Args:
        params: parameters or param groups.
        lr: the learning rate eta (default: 1e-3).
        betas: (beta1, beta2), the decay of m and of v (default: (0.9, 0.999)).
        eps: keeps the division finite (default: 1e-8).
        weight_decay: L2 penalty (default: 0).
        amsgrad: divide by the largest v so far (default: False).
        maximize: climb instead of descend (default: False).
    """

    sparse_refusal = "Adam does not support sparse gradients, please consider SparseAdam instead"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, **switches):
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Invalid betas: {betas}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize), **switches)

    def init_state(self, p: torch.Tensor, state: dict, group: dict) -> None:
        state["step"] = _zero_step(p, group)
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_avg_sq"] = torch.zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.zeros_like(p)

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        beta1, beta2 = (_scalar(b) for b in group["betas"])
        m = state["exp_avg"].lerp_(g, 1 - beta1)  # beta1 m + (1 - beta1) g
        v = state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        if group["amsgrad"]:
            v = torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        if group["capturable"]:  # torch's arrangements, corrections from the step tensor
            t, lr, eps = state["step"], _scalar(group["lr"]), group["eps"]
            if group["foreach"] or (group["foreach"] is None and p.device.type == "cuda"):
                step_size = ((beta1**t - 1) / lr).reciprocal()  # -lr / (1 - beta1^t)
                sqrt_c2 = (-(beta2**t - 1)).sqrt()
                p.addcdiv_(m, (v.sqrt() / sqrt_c2).add_(eps).div_(step_size))
            else:
                step_size_neg = (lr / (1 - beta1**t)).neg()
                sqrt_c2 = (1 - beta2**t).sqrt()
                p.addcdiv_(m, (v.sqrt() / (sqrt_c2 * step_size_neg)).add_(eps / step_size_neg))
            return
        # m_hat / (sqrt(v_hat) + eps) with both corrections folded into scalars
        t = state["step"].item()
        step_size = _scalar(group["lr"]) / (1 - beta1**t)
        denom = (v.sqrt() / (1 - beta2**t) ** 0.5).add_(group["eps"])  # torch's ** 0.5
        p.addcdiv_(m, denom, value=-step_size)
