"""Built-in twin of manual/schedules.py: the same warm-up composed from torch's schedulers."""
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, LinearLR, SequentialLR

__all__ = ["WarmupLR"]


def WarmupLR(optimizer, warmup_steps, start_factor=1 / 3, decay="constant",  # noqa: N802
             total_steps=None, min_lr=0.0, last_epoch=-1):
    """LinearLR for the warm-up, then nothing (constant) or CosineAnnealingLR."""
    phases = []
    if warmup_steps:
        phases.append(LinearLR(optimizer, start_factor, 1.0, total_iters=warmup_steps,
                               last_epoch=last_epoch))
    if decay == "cosine":
        phases.append(CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps,
                                        eta_min=min_lr, last_epoch=last_epoch))
    if not phases:
        return LambdaLR(optimizer, lambda t: 1.0, last_epoch=last_epoch)
    if len(phases) == 1:
        return phases[0]
    return SequentialLR(optimizer, phases, milestones=[warmup_steps], last_epoch=last_epoch)
