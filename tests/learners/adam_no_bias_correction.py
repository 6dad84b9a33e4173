"""Adam with m and v used raw, without the bias correction (in the starter of
`handgrad exercise Adam`)."""
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


def _zero_step(p, group):
    # torch's scalar dtype for 'step': float64 only under a float64 default dtype; on the
    # parameter's device where capturable (CUDA graphs), else on the CPU
    dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    return torch.tensor(0.0, dtype=dtype, device=p.device if group["capturable"] else "cpu")


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

    def init_state(self, p, state, group):
        state["step"] = _zero_step(p, group)
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_avg_sq"] = torch.zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.zeros_like(p)

    def update(self, p, g, state, group):
        beta1, beta2 = group["betas"]
        m = state["exp_avg"].mul_(beta1).add_((1 - beta1) * g)
        v = state["exp_avg_sq"].mul_(beta2).add_((1 - beta2) * g * g)
        p.sub_(group["lr"] * m / (v.sqrt() + group["eps"]))
