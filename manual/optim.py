"""Gradient-descent optimizers written out by hand, in the seed's order of complexity.

Seed sections: 梯度下降 (Gradient Descent), 批量梯度下降 (Batch GD), 随机梯度下降 (Mini Batch GD),
动量梯度下降 (Momentum GD), AdaGrad, RMSProp, Adam.

Each class is a ``torch.optim.Optimizer`` (for param_groups, state_dict and schedulers) with
torch's argument names, defaults and state keys, and an update written out by hand below its
pseudocode, in the same elementary tensor operations (lerp_, addcmul_, addcdiv_) and order
as torch, so that even float32 trajectories agree to the last bit or two.

Where the notes write a formula differently from torch, the notes' form is an
option and torch's the default:

* momentum: notes v <- gamma v + eta g, theta <- theta - v;  torch b <- mu b + g,
  theta <- theta - eta b. The same path while eta is constant (v = eta b), a different one
  when eta changes (under warm-up, v keeps the old eta inside it). ``lr_in_velocity=True``.
* RMSProp: notes theta <- theta - eta g / sqrt(r + eps); torch divides by sqrt(r) + eps.
  ``eps_inside_sqrt=True``.
"""
import math

import torch
from torch.optim import Optimizer

__all__ = ["SGD", "Adagrad", "RMSprop", "Adam"]


def _zero_step():
    # torch's scalar dtype for 'step': float64 only under a float64 default dtype
    dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    return torch.tensor(0.0, dtype=dtype)


class _HandOptimizer(Optimizer):
    """Loops over the parameters that have a gradient and calls ``update`` on each."""

    def __init__(self, params, defaults):
        for name in ("lr", "eps", "weight_decay"):
            if name in defaults and not defaults[name] >= 0:
                raise ValueError(f"Invalid {name} value: {defaults[name]}")
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:  # a parameter this step did not reach keeps its state
                    continue
                g = -p.grad if group.get("maximize") else p.grad
                if group["weight_decay"]:
                    g = g.add(p, alpha=group["weight_decay"])  # L2 penalty wd/2 |theta|^2
                self.update(p, g, self.state[p], group)
        return loss

    @staticmethod
    def _step_count(state):
        """torch keeps the step count as a scalar tensor in the state (key 'step')."""
        if "step" not in state:
            state["step"] = _zero_step()
        state["step"] += 1
        return state["step"].item()


class SGD(_HandOptimizer):
    """Gradient descent with optional momentum (动量).

        g <- grad (+ weight_decay * theta)
        if momentum:  b <- g on the first step, else b <- momentum * b + (1 - dampening) * g
                      g <- g + momentum * b if nesterov else b
        theta <- theta - lr * g

    lr_in_velocity (the notes' form): v <- momentum * v + lr * g;  theta <- theta - v.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, lr_in_velocity=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        if lr_in_velocity and (nesterov or dampening):
            raise ValueError("lr_in_velocity is the notes' plain momentum: no nesterov, "
                             "no dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, lr_in_velocity=lr_in_velocity))

    def update(self, p, g, state, group):
        lr, mu = group["lr"], group["momentum"]
        if mu == 0:
            p.add_(g, alpha=-lr)
            return
        if group["lr_in_velocity"]:
            v = state.get("velocity")  # seed: v_t = gamma v_{t-1} + eta g  (= eta b_t)
            v = g * lr if v is None else v.mul_(mu).add_(g, alpha=lr)
            state["velocity"] = v
            p.sub_(v)
            return
        b = state.get("momentum_buffer")
        b = g.clone() if b is None else b.mul_(mu).add_(g, alpha=1 - group["dampening"])
        state["momentum_buffer"] = b
        p.add_(g.add(b, alpha=mu) if group["nesterov"] else b, alpha=-lr)


class Adagrad(_HandOptimizer):
    """A learning rate per parameter that shrinks with its summed squared gradients.

        step <- step + 1;  g <- grad (+ weight_decay * theta)
        clr <- lr / (1 + (step - 1) * lr_decay)
        sum <- sum + g^2                       (starts at initial_accumulator_value)
        theta <- theta - clr * g / (sqrt(sum) + eps)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))
        for group in self.param_groups:  # torch creates this state eagerly
            for p in group["params"]:
                self.state[p]["step"] = _zero_step()
                self.state[p]["sum"] = torch.full_like(
                    p, group["initial_accumulator_value"], memory_format=torch.preserve_format)

    def update(self, p, g, state, group):
        step = self._step_count(state)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state["sum"].addcmul_(g, g)
        p.addcdiv_(g, state["sum"].sqrt().add_(group["eps"]), value=-clr)


class RMSprop(_HandOptimizer):
    """AdaGrad with a leaking sum: an exponential average of squared gradients.

        step <- step + 1;  g <- grad (+ weight_decay * theta)
        r <- alpha * r + (1 - alpha) * g^2                        (square_avg)
        if centered:  m <- alpha * m + (1 - alpha) * g;  r_hat <- r - m^2   (grad_avg)
        d <- sqrt(r_hat) + eps      (eps_inside_sqrt, the notes' form: sqrt(r_hat + eps))
        if momentum:  b <- momentum * b + g / d;  theta <- theta - lr * b
        else:         theta <- theta - lr * g / d
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False, eps_inside_sqrt=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize,
                                      eps_inside_sqrt=eps_inside_sqrt))

    def update(self, p, g, state, group):
        alpha, eps = group["alpha"], group["eps"]
        if "square_avg" not in state:
            state["square_avg"] = torch.zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = torch.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = torch.zeros_like(p)
        self._step_count(state)
        r = state["square_avg"].mul_(alpha).addcmul_(g, g, value=1 - alpha)
        if group["centered"]:
            m = state["grad_avg"].lerp_(g, 1 - alpha)  # alpha m + (1 - alpha) g
            r = r.addcmul(m, m, value=-1)  # r - m^2: the variance instead of the 2nd moment
        d = (r + eps).sqrt() if group["eps_inside_sqrt"] else r.sqrt().add_(eps)
        if group["momentum"] > 0:
            b = state["momentum_buffer"].mul_(group["momentum"]).addcdiv_(g, d)
            p.add_(b, alpha=-group["lr"])
        else:
            p.addcdiv_(g, d, value=-group["lr"])


class Adam(_HandOptimizer):
    """Momentum and RMSProp together, each average corrected for starting at zero.

        step <- step + 1;  g <- grad (+ weight_decay * theta)
        m <- beta1 * m + (1 - beta1) * g               (exp_avg: the notes' s)
        v <- beta2 * v + (1 - beta2) * g^2             (exp_avg_sq: the notes' r)
        v_max <- max(v_max, v) if amsgrad              (max_exp_avg_sq)
        m_hat <- m / (1 - beta1^step);  v_hat <- v / (1 - beta2^step)
        theta <- theta - lr * m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False):
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Invalid betas: {betas}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def update(self, p, g, state, group):
        (beta1, beta2), eps = group["betas"], group["eps"]
        if "exp_avg" not in state:
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = torch.zeros_like(p)
        t = self._step_count(state)
        m = state["exp_avg"].lerp_(g, 1 - beta1)  # beta1 m + (1 - beta1) g
        v = state["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        if group["amsgrad"]:
            v = torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        # m_hat / (sqrt(v_hat) + eps) with both corrections folded into scalars
        step_size = group["lr"] / (1 - beta1**t)
        denom = (v.sqrt() / math.sqrt(1 - beta2**t)).add_(eps)
        p.addcdiv_(m, denom, value=-step_size)
