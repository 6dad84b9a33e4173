"""SGD with momentum that adds the velocity: theta + lr * b climbs the hill."""
from manual.optim import SGD as Given


class SGD(Given):
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
