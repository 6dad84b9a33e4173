"""The data-parallel pieces checked in real processes: 2 and 4 ranks on the CPU (gloo), each
running the manual piece and torch's beside it on the same inputs; what they hold after is
compared here, and with one process computing the whole batch.

A check forks its ranks (they start from this process's imports: no second torch to load),
each joins a process group through a file, computes, and leaves its tensors in a file this
process reads. A rank that raises says so; ranks that do not finish within ``SECONDS`` (a
wrong piece may wait forever on a message that never comes) are ended, and the row fails.
"""
from __future__ import annotations

import multiprocessing
import os
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.distributed as dist

from crosscheck.messages import saying
from crosscheck.proof.checks.measure import Measure, compare, default_tol

if TYPE_CHECKING:
    from crosscheck.proof.records.entry import Entry

WORLDS = (2, 4)  # processes per check
SECONDS = 60.0


def run_ranks(world: int, work: Callable, *args: object) -> list[dict]:
    """``work(rank, world, *args)`` in ``world`` processes joined in a gloo group; what each
    returned (a dict of tensors), by rank. A rank that raised or did not finish: RuntimeError
    with its words."""
    context = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory() as folder:
        procs = [context.Process(target=_rank, args=(folder, r, world, work, args))
                 for r in range(world)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(SECONDS)
        late = [p for p in procs if p.exitcode is None]
        for p in late:
            p.kill()
            p.join()
        if late:
            raise RuntimeError(f"{len(late)} of {world} ranks did not finish in {SECONDS:g} s")
        results = [torch.load(Path(folder) / f"{r}.pt", weights_only=True)
                   for r in range(world)]
    errors = [said["error"] for said in results if "error" in said]
    if errors:  # (a rank that raised may leave its peers raising too: all are said)
        raise RuntimeError("; ".join(errors))
    return results


def _rank(folder, rank, world, work, args):
    torch.set_num_threads(1)
    try:
        dist.init_process_group("gloo", init_method=f"file://{folder}/group", rank=rank,
                                world_size=world)
        result = work(rank, world, *args)
        dist.barrier()  # no rank leaves while a peer still talks to it (and no teardown:
        #                 torch 2.4's waits forever after a ZeroRedundancyOptimizer's step)
    except Exception as err:  # said to the parent, which fails the row with it
        result = {"error": f"rank {rank}: {traceback.format_exception_only(type(err), err)[-1]}"
                  .strip()}
    torch.save(result, Path(folder) / f"{rank}.pt")
    os._exit(0)  # (not the parent's atexit and finalizers, which are the parent's)


def _ranks(m: Measure, world: int, work: Callable, *args: object) -> list[dict] | None:
    try:
        return run_ranks(world, work, *args)
    except RuntimeError as err:
        m.raised(err, label=saying("label_ranks", world=world))
        return None


# -- the all-reduce --------------------------------------------------------------------------

LENGTHS = (1003, 3)  # a vector the ranks cut unevenly; one shorter than 4 ranks


def _vector(rank: int, length: int, dtype: torch.dtype) -> torch.Tensor:
    gen = torch.Generator().manual_seed(1000 * rank + length)
    return torch.randn(length, generator=gen, dtype=torch.float64).to(dtype)


def _summed(rank, world, impl, reference, dtype):
    return {f"{kind}{n}": fn(_vector(rank, n, dtype)) for n in LENGTHS
            for kind, fn in (("mine", impl), ("theirs", reference))}


def check_all_reduce(entry: Entry, impl: Callable, dtype: torch.dtype, device: str) -> Measure:
    """The manual ring against torch's all_reduce, on every rank, and against the sum."""
    m = Measure()
    for world in WORLDS:
        results = _ranks(m, world, _summed, impl, entry.reference, dtype)
        for rank, said in enumerate(results or ()):
            for n in LENGTHS:
                exact = torch.stack([_vector(r, n, torch.float64) for r in range(world)]
                                    ).sum(0).to(dtype)
                label = saying("label_rank", world=world, rank=rank,
                               what=saying("w_length", n=n))
                compare(m, "out", said[f"mine{n}"], said[f"theirs{n}"], default_tol(dtype),
                        check="forward", label=label)
                compare(m, "out", said[f"mine{n}"], exact, default_tol(dtype), check="forward",
                        label=label)
    return m


# -- data-parallel gradients -----------------------------------------------------------------

# how a batch is shared: evenly, and unevenly (as the last batch of an epoch that does not
# divide: 10 examples on 4 ranks)
SHARES = {2: ((4, 4),), 4: ((2, 2, 2, 2), (3, 3, 2, 2))}


def _batch(n: int, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(n)
    return (torch.randn(n, 12, generator=gen, dtype=torch.float64).to(dtype),
            torch.randint(0, 10, (n,), generator=gen))


def _model(dtype: torch.dtype) -> torch.nn.Module:
    """A small classifier, the same numbers on every rank and in this process."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.Tanh(),
                               torch.nn.Linear(16, 10)).to(dtype)


def _loss(model, x, y):
    return torch.nn.functional.cross_entropy(model(x), y)  # the mean over the share


def _gradients(rank, world, impl, reference, dtype, counts):
    """Each rank's gradients after the backward of its share, by hand, and by DDP where the
    shares are equal (it takes no other)."""
    x, y = _batch(sum(counts), dtype)
    start = sum(counts[:rank])
    x, y = x[start:start + counts[rank]], y[start:start + counts[rank]]
    said = {}
    for kind, wrap in (("mine", impl), ("theirs", reference))[:1 + (len(set(counts)) == 1)]:
        model = _model(dtype)
        parallel = wrap(model)
        parallel.weigh(counts[rank], sum(counts))
        _loss(parallel, x, y).backward()
        parallel.synchronize()
        said.update({f"{kind}{k}": p.grad for k, p in enumerate(model.parameters())})
    return said


def check_data_parallel(entry: Entry, impl: Callable, dtype: torch.dtype, device: str
                        ) -> Measure:
    """The hand data-parallel gradients on every rank against the whole batch's in one
    process, and against DDP's where the shares are even (DDP divides by N, which is the
    batch's mean only then)."""
    m, tol = Measure(), default_tol(dtype)
    for world, shares in SHARES.items():
        for counts in shares:
            whole = _model(dtype)
            _loss(whole, *_batch(sum(counts), dtype)).backward()
            results = _ranks(m, world, _gradients, impl, entry.reference, dtype, counts)
            for rank, said in enumerate(results or ()):
                label = saying("label_rank", world=world, rank=rank, what=str(counts))
                for k, p in enumerate(whole.parameters()):
                    compare(m, "grad", said[f"mine{k}"], p.grad, tol, check="backward",
                            label=label, index=k)
                    if len(set(counts)) == 1:
                        compare(m, "grad", said[f"mine{k}"], said[f"theirs{k}"], tol,
                                check="backward", label=label, index=k)
    return m


# -- Adam with its state sharded ----------------------------------------------------------------

SHAPES = ((7, 5), (16,), (4, 4), (3,), (2, 9))  # of unequal sizes: the owners differ
STEPS = 4


def _params(dtype: torch.dtype) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(7)
    return [torch.randn(s, generator=gen, dtype=torch.float64).to(dtype).requires_grad_()
            for s in SHAPES]


def _grad(rank: int, step: int, p: torch.Tensor, k: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(100 * step + 10 * k + rank)
    return torch.randn(p.shape, generator=gen, dtype=torch.float64).to(p.dtype)


def _mean_grads(params, rank, world, step):
    """Each rank's gradient, averaged over the ranks (by torch, the same for both sides)."""
    for k, p in enumerate(params):
        g = _grad(rank, step, p, k)
        dist.all_reduce(g)
        p.grad = g / world


def _sharded(rank, world, impl, reference, dtype):
    """Each optimizer's parameters after every step, and the state this rank keeps."""
    said = {}
    for kind, make in (("mine", impl), ("theirs", reference)):
        params = _params(dtype)
        opt = make(params)
        local = opt.local
        steps = []
        for step in range(STEPS):
            _mean_grads(params, rank, world, step)
            opt.step()
            steps.append([p.detach().clone() for p in params])
        state = {k: dict(local.state[p]) for k, p in enumerate(params)
                 if local is not None and p in local.state}
        said[kind] = {"steps": steps, "state": state}
    return said


def check_sharded_adam(entry: Entry, impl: Callable, dtype: torch.dtype, device: str
                       ) -> Measure:
    """The sharded Adam's parameters on every rank after every step against
    ZeroRedundancyOptimizer's and one process's Adam on the mean gradient; the state each
    rank keeps against ZeroRedundancyOptimizer's (the same shard) and one process's."""
    m, tol = Measure(), default_tol(dtype)
    for world in WORLDS:
        params = _params(dtype)
        single = torch.optim.Adam(params)
        steps = []
        for step in range(STEPS):
            for k, p in enumerate(params):
                p.grad = torch.stack([_grad(r, step, p, k) for r in range(world)]).sum(0) / world
            single.step()
            steps.append([p.detach().clone() for p in params])
        results = _ranks(m, world, _sharded, impl, entry.reference, dtype)
        for rank, said in enumerate(results or ()):
            label = saying("label_rank", world=world, rank=rank, what=saying("w_adam"))
            _compare_shard(m, said, steps, [single.state[p] for p in params], tol, label)
    return m


def _compare_shard(m, said, steps, single, tol, label):
    mine, theirs = said["mine"], said["theirs"]
    for step, expected in enumerate(steps):
        for k, p in enumerate(expected):
            for other in (theirs["steps"][step][k], p):
                compare(m, "out", mine["steps"][step][k], other, tol, check="param",
                        label=label, step=step, param=k)
    if sorted(mine["state"]) != sorted(theirs["state"]):  # another shard than torch's
        m.fail("state", saying("m_shard", yours=sorted(mine["state"]),
                               theirs=sorted(theirs["state"])), label=label)
        return
    for k, state in theirs["state"].items():
        for name, value in state.items():
            for other in (value, single[k][name]):
                compare(m, "grad", mine["state"][k][name], other, tol, check="state",
                        label=label, param=k, state=name)
