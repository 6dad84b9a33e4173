"""The built-in twins of manual/distributed.py: torch.distributed's own all_reduce and
broadcast, DistributedDataParallel and ZeroRedundancyOptimizer, under the manual names."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
import torch.distributed as dist
from torch.distributed.optim import ZeroRedundancyOptimizer
from torch.nn.parallel import DistributedDataParallel

__all__ = ["all_reduce", "broadcast", "DataParallel", "ShardedAdam"]


def all_reduce(tensor: torch.Tensor) -> torch.Tensor:
    dist.all_reduce(tensor)
    return tensor


def broadcast(tensor: torch.Tensor, source: int) -> torch.Tensor:
    dist.broadcast(tensor, source)
    return tensor


class DataParallel(DistributedDataParallel):
    """DDP: it averages the ranks' gradients during the backward, each at 1/N."""

    def weigh(self, count: int, total: int) -> None:
        if count * dist.get_world_size() != total:
            raise ValueError(f"DistributedDataParallel weighs every rank at 1/N: a share of "
                             f"{count} of {total} on {dist.get_world_size()} ranks is not")

    def synchronize(self) -> None:
        """Nothing left to do: DDP has reduced every bucket when the backward ends."""


class ShardedAdam(ZeroRedundancyOptimizer):
    """ZeroRedundancyOptimizer over torch.optim.Adam; ``local``: this rank's Adam."""

    def __init__(self, params: Iterable[torch.Tensor], **adam: Any):
        super().__init__(params, optimizer_class=torch.optim.Adam, **adam)

    @property
    def local(self) -> torch.optim.Optimizer:
        return self.optim
