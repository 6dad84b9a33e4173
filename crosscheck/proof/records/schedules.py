"""The records of the warm-up (学习率的优化: Warm Up), alone and with a cosine decay."""
from __future__ import annotations

import math

import torch

from crosscheck.proof.records.entry import Wrong
from crosscheck.proof.records.kinds import schedule
from manual.schedules import WarmupLR


class WarmupOneStepLate(WarmupLR):
    def lr_at(self, base: float | torch.Tensor, t: int) -> float | torch.Tensor:
        W = self.warmup_steps  # divides by W + 1: full rate one step after the warm-up ends
        if t < W + 1:
            return base * (self.start_factor + (1 - self.start_factor) * t / (W + 1))
        return super().lr_at(base, t)


class CosineFromStepZero(WarmupLR):
    def lr_at(self, base: float | torch.Tensor, t: int) -> float | torch.Tensor:
        if t < self.warmup_steps or self.decay == "constant":
            return super().lr_at(base, t)
        progress = min(t, self.total_steps) / self.total_steps  # forgot to start after warm-up
        return self.min_lr + (base - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2


ONE_STEP_LATE = {"full rate one step late": Wrong(WarmupOneStepLate, zh="晚一步才达到完整的学习率")}

ENTRIES = [
    schedule("warmup_constant", {"warmup_steps": 10, "start_factor": 0.1}, ONE_STEP_LATE),
    schedule("warmup_defaults", {"warmup_steps": 10}, ONE_STEP_LATE),
    schedule("warmup_cosine", {"warmup_steps": 10, "start_factor": 0.25, "decay": "cosine",
                               "total_steps": 50, "min_lr": 1e-3},
             {**ONE_STEP_LATE, "cosine not shifted by the warm-up":
              Wrong(CosineFromStepZero, zh="余弦衰减没有扣除预热的步数")}),
    schedule("cosine_no_warmup", {"warmup_steps": 0, "decay": "cosine", "total_steps": 40},
             ONE_STEP_LATE),
]
