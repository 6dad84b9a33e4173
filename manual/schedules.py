"""Learning-rate warm-up, then constant or cosine decay to a floor.

Notes section: 学习率的优化 (Warm Up).

The notes' wish, "big steps would be good early on, but later they pace back and forth
across the valley", is usually met in two phases: a short linear warm-up (small steps while
Adam's or momentum's averages are still unreliable), then a decay (``WarmupLR.lr_at`` has
the closed form).
"""
from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LRScheduler

__all__ = ["WarmupLR"]


class WarmupLR(LRScheduler):
    def __init__(self, optimizer, warmup_steps, start_factor=1 / 3, decay="constant",
                 total_steps=None, min_lr=0.0, last_epoch=-1):
        if decay not in ("constant", "cosine"):
            raise ValueError(f"decay must be 'constant' or 'cosine', got {decay!r}")
        if decay == "cosine" and (total_steps is None or total_steps <= warmup_steps):
            raise ValueError("cosine decay needs total_steps > warmup_steps")
        if warmup_steps < 0 or not 0 < start_factor <= 1:
            raise ValueError("need warmup_steps >= 0 and 0 < start_factor <= 1")
        self.warmup_steps, self.start_factor = warmup_steps, start_factor
        self.decay, self.total_steps, self.min_lr = decay, total_steps, min_lr
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base: float | torch.Tensor, t: int) -> float | torch.Tensor:
        """The rate at step t of a param group whose base rate is ``base`` (eta), with
        W = warmup_steps, s = start_factor, T = total_steps, floor = min_lr:

            t < W:       eta_t = eta (s + (1 - s) t / W)
            'constant':  eta_t = eta
            'cosine':    eta_t = floor + (eta - floor) (1 + cos(pi (t - W) / (T - W))) / 2, t <= T
                         eta_t = floor,                                                   t > T
        """
        W, T = self.warmup_steps, self.total_steps
        if t < W:
            return base * (self.start_factor + (1 - self.start_factor) * t / W)
        if self.decay == "constant":
            return base
        progress = min(t - W, T - W) / (T - W)
        return self.min_lr + (base - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2

    def get_lr(self) -> list[float | torch.Tensor]:
        return [self.lr_at(base, self.last_epoch) for base in self.base_lrs]
