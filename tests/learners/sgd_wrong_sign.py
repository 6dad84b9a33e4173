"""SGD with momentum that adds the velocity: theta + lr * b climbs the hill (in the
starter of `handgrad exercise SGD`)."""
import torch  # noqa: F401
from torch.autograd import Function  # noqa: F401
from torch.optim.optimizer import Optimizer


class NotSupported(ValueError):
    """A manual piece refusing what it does not implement, in one line that names it, rather
    than returning a number that differs from torch's. ``argument`` names the keyword
    argument, input or transform that is not supported; ``what`` shows it (with its value)."""

    def __init__(self, piece, argument, what=None, detail=""):
        self.piece, self.argument = piece, argument
        super().__init__(f"{piece}: {what or argument} is not supported by the manual op"
                         + (f" ({detail})" if detail else ""))


class _HandOptimizer(Optimizer):
    """Loops over the parameters that have a gradient: the state is created on first use
    (``init_state``), then ``update`` does the math on the gradient with maximize and weight
    decay applied."""

    real_view = True  # update complex parameters as pairs of real numbers (torch's rule)
    sparse_refusal = None  # torch's words where it refuses a sparse gradient (None: takes one)
    options = {}  # this class's keyword-only options and their defaults (kept on load)
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

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self.__setstate__({"state": self.state, "param_groups": self.param_groups})

    def init_state(self, p, state, group):
        """Create the per-parameter state; called once, before the first update."""

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

    def refuse_sparse(self, group):
        """Raise as torch raises where it does not take a sparse gradient."""
        if self.sparse_refusal:
            raise RuntimeError(self.sparse_refusal)

    def update(self, p, g, state, group):
        raise NotImplementedError


def _scalar(x):
    """A hyperparameter as torch's functional optimizers take it: a 1-element tensor as a
    0-dimensional one, anything else as it is."""
    return x.reshape(()) if isinstance(x, torch.Tensor) else x


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

    def velocity(self, g, state, group):
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

    def update(self, p, g, state, group):
        if group["momentum"]:
            b = state.get("momentum_buffer")
            if b is None:
                b = g.clone()
            else:
                b.mul_(group["momentum"]).add_(g, alpha=1 - group["dampening"])
            state["momentum_buffer"] = b
            g = b
        p.add_(g, alpha=group["lr"])  # + where it must be -
