"""Adam with m and v used raw, without the bias correction."""
from manual.optim import Adam as Given


class Adam(Given):
    def update(self, p, g, state, group):
        beta1, beta2 = group["betas"]
        m = state["exp_avg"].mul_(beta1).add_((1 - beta1) * g)
        v = state["exp_avg_sq"].mul_(beta2).add_((1 - beta2) * g * g)
        p.sub_(group["lr"] * m / (v.sqrt() + group["eps"]))
