"""The records of the notes' mini-batch step across processes (随机梯度下降 (Mini Batch GD)):
the ring all-reduce, the data-parallel gradients and the sharded Adam of manual/distributed.py
against torch's all_reduce, DistributedDataParallel and ZeroRedundancyOptimizer, each in 2 and
4 processes, with the wrong versions the checks must reject beside them."""
import torch
import torch.distributed as dist

from crosscheck.proof.checks.distributed import (
    check_all_reduce,
    check_data_parallel,
    check_sharded_adam,
)
from crosscheck.proof.records.entry import Entry, Wrong
from crosscheck.proof.records.sections import GD
from manual import distributed as D
from torch_ref import distributed as ref


def own_part_left_out(tensor: torch.Tensor) -> torch.Tensor:
    """The sum over the other ranks only."""
    mine = tensor.clone()
    return D.all_reduce(tensor).sub_(mine)


class Summed(D.DataParallel):
    """Sums the ranks' means instead of averaging them: N times the gradient."""

    def weigh(self, count: int, total: int) -> None:
        self.share = 1.0


class EqualShares(D.DataParallel):
    """Takes every rank's mean at 1/N, also where the shares are not equal."""

    def weigh(self, count: int, total: int) -> None:
        self.share = None


class ShardLeftOut(D.ShardedAdam):
    """Never sends the parameters the last rank owns: the other ranks keep the old ones."""

    @torch.no_grad()
    def step(self) -> None:
        if self.local is not None:
            self.local.step()
        last = dist.get_world_size() - 1
        for p, owner in zip(self.params, self.owner):
            if owner != last:
                D.broadcast(p.data, owner)


ENTRIES = [
    Entry("all_reduce", GD, "distributed", "setup", D.all_reduce, check_all_reduce,
          ref.all_reduce, wrong={"each rank's own part left out": Wrong(own_part_left_out)
                                   .named("漏掉了本 rank 自己的那一份")}),
    Entry("data_parallel", GD, "distributed", "setup", D.DataParallel, check_data_parallel,
          ref.DataParallel,
          wrong={"summing instead of averaging": Wrong(Summed).named("求和而不是求平均"),
                 "the last uneven batch weighted as the others":
                     Wrong(EqualShares).named("最后一个不均匀的批量仍按相同权重平均")}),
    Entry("sharded_adam", GD, "distributed", "setup", D.ShardedAdam, check_sharded_adam,
          ref.ShardedAdam, wrong={"a shard left out": Wrong(ShardLeftOut).named("漏发了一个分片")}),
]
