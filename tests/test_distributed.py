"""manual/distributed.py beyond the registry's rows (2 and 4 ranks, float): an odd number of
ranks and integers, where the ring must be exact; buckets of one parameter each; a layer
that gets no gradient, which only ``synchronize`` sends; and a rank that raises, said."""
import pytest
import torch
import torch.distributed as dist

from crosscheck.proof.checks.distributed import run_ranks
from manual import distributed as D


def _integers(rank, world):
    x = torch.arange(10, dtype=torch.int64) * (rank + 1)
    return {"mine": D.all_reduce(x.clone()), "theirs": torch_sum(x.clone())}


def torch_sum(x):
    dist.all_reduce(x)
    return x


def test_three_ranks_sum_integers_exactly():
    for said in run_ranks(3, _integers):
        assert torch.equal(said["mine"], said["theirs"])
        assert torch.equal(said["mine"], torch.arange(10) * 6)


def _unused_layer(rank, world, bucket_mb):
    torch.manual_seed(0)
    used, unused = torch.nn.Linear(4, 3).double(), torch.nn.Linear(4, 3).double()
    parallel = D.DataParallel(torch.nn.ModuleList([used, unused]), bucket_mb=bucket_mb)
    x = torch.full((2, 4), float(rank + 1), dtype=torch.float64)
    used(x).sum().backward()
    parallel.synchronize()
    return {"weight": used.weight.grad, "unused": unused.weight.grad}


@pytest.mark.parametrize("bucket_mb", [25.0, 1e-6])  # one bucket; a bucket per parameter
def test_buckets_and_a_layer_without_gradient(bucket_mb):
    for said in run_ranks(2, _unused_layer, bucket_mb):
        # the mean of the ranks' gradients: x is 1 on rank 0 and 2 on rank 1, 2 rows each
        assert torch.equal(said["weight"], torch.full((3, 4), 3.0, dtype=torch.float64))
        assert torch.equal(said["unused"], torch.zeros(3, 4, dtype=torch.float64))


def _strided(rank, world):
    D.all_reduce(torch.zeros(4, 4).t())
    return {}


def test_a_strided_input_is_refused_in_one_line():
    with pytest.raises(RuntimeError, match="all_reduce: a non-contiguous input is not supported"):
        run_ranks(2, _strided)


def _raises(rank, world):
    if rank == 1:
        raise ValueError("a wrong piece")
    return {}


def test_a_rank_that_raises_is_said():
    with pytest.raises(RuntimeError, match="rank 1: ValueError: a wrong piece"):
        run_ranks(2, _raises)
