"""The notes' mini-batch step across N processes, by hand: the all-reduce from point-to-point
messages, data-parallel gradients in buckets, and Adam with its state sharded.

Notes section: 随机梯度下降 (Mini Batch GD). The mini-batch gradient is a mean over examples:

    g = 1/n sum_{i in B} grad E_i

Cut the batch B (n examples) into N equal shares B_r of n/N, one per process (rank r). Each
rank takes the mean over its share, g_r = N/n sum_{i in B_r} grad E_i, and

    g = 1/N sum_r g_r

the mean of the ranks' means: sum them over the ranks (an all-reduce) and divide by N. Every
rank then holds the same g and takes the same step, so the N copies of the model stay one.

The ring all-reduce (each rank talks to its two neighbours only). Cut the vector into N
chunks. Reduce-scatter, N - 1 steps: at step s rank r sends chunk (r - s) mod N to rank
r + 1 and adds the chunk (r - s - 1) mod N it receives from rank r - 1 into its own; after
N - 1 steps rank r holds chunk (r + 1) mod N summed over all ranks. All-gather, N - 1 more
steps: the summed chunks travel the same ring, each rank passing on what it last received,
until every rank has every chunk. Each rank sends 2 (N - 1)/N of the vector in all, however
large N is. The sum is added up in ring order, not in the order torch's all_reduce adds: in
floating point the two agree to the dtype's rounding, not to the bit.

Buckets (as torch's DistributedDataParallel): the backward produces the last layer's
gradients first, so the parameters are taken in reverse and packed into buckets of about
``bucket_mb``; a hook on each parameter notes when its gradient is accumulated, and a full
bucket is flattened, all-reduced and divided by N while the backward goes on below it.

ZeRO stage 1 (torch's ZeroRedundancyOptimizer): Adam's m and v take twice the parameters'
memory on every rank. Instead, each parameter belongs to one rank (the largest first, each to
the rank with the fewest elements so far); a rank keeps the state of its own parameters only,
steps them with the averaged gradient, and then sends them to the others (a broadcast from
their owner). The step is the same Adam step: only where it is computed changes.
"""
from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.distributed as dist

from manual import NotSupported
from manual.optim import Adam

__all__ = ["all_reduce", "broadcast", "DataParallel", "ShardedAdam"]


def all_reduce(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` summed over every rank, in place (the ring: reduce-scatter, all-gather)."""
    _contiguous("all_reduce", tensor)
    n, r = dist.get_world_size(), dist.get_rank()
    if n == 1:
        return tensor
    flat = tensor.view(-1)
    chunks = list(flat.chunk(n)) + [flat[:0]] * (n - len(flat.chunk(n)))  # n, some empty
    right, left = (r + 1) % n, (r - 1) % n
    for s in range(n - 1):  # reduce-scatter: add what comes from the left
        send, take = chunks[(r - s) % n], chunks[(r - s - 1) % n]
        received = torch.empty_like(take)
        _exchange(send, right, received, left)
        take += received
    for s in range(n - 1):  # all-gather: pass the summed chunks on
        send, take = chunks[(r + 1 - s) % n], chunks[(r - s) % n]
        _exchange(send, right, take, left)
    return tensor


def _exchange(send: torch.Tensor, to: int, into: torch.Tensor, source: int) -> None:
    """Send one chunk and receive another at once, posted as one batch: a ring of blocking
    sends would wait on itself, and NCCL, on two ranks, would match each rank's send with
    the other's send if the two were posted one after the other."""
    ops = [dist.P2POp(dist.isend, send.contiguous(), to)] if send.numel() else []
    ops += [dist.P2POp(dist.irecv, into, source)] if into.numel() else []
    for request in dist.batch_isend_irecv(ops) if ops else []:
        request.wait()


def _contiguous(piece: str, tensor: torch.Tensor) -> None:
    """Refuse a tensor the messages cannot carry in place (a strided view)."""
    if not tensor.is_contiguous():
        raise NotSupported(piece, "input", "a non-contiguous input")


def broadcast(tensor: torch.Tensor, source: int) -> torch.Tensor:
    """``tensor`` as rank ``source`` has it, on every rank, in place."""
    _contiguous("broadcast", tensor)
    if dist.get_rank() == source:
        for other in range(dist.get_world_size()):
            if other != source:
                dist.send(tensor, other)
    else:
        dist.recv(tensor, source)
    return tensor


class DataParallel(torch.nn.Module):
    """``module`` trained on a share of each batch per rank, its gradients the mean over the
    ranks (DistributedDataParallel by hand): the parameters start as rank 0's; after each
    backward every rank holds the gradient of the whole batch. Call ``synchronize()`` after
    the backward: it all-reduces a bucket whose parameters got no gradient (an unused
    layer), which no hook would otherwise send; as with DDP's default, the parameters that
    get a gradient must be the same on every rank. Where the shares are not equal (the last
    batch of an epoch that does not divide), ``weigh(count, total)`` says this rank's: its
    mean then counts count/total, not 1/N."""

    def __init__(self, module: torch.nn.Module, bucket_mb: float = 25.0):
        super().__init__()
        self.module = module
        self.share: float | None = None  # this rank's part of the batch; None: 1/N
        params: list[torch.Tensor] = [p for p in module.parameters() if p.requires_grad]
        for param in module.parameters():  # every rank starts from rank 0's numbers
            broadcast(param.data, 0)
        self.buckets = _buckets(params[::-1], bucket_mb * 2**20)
        self.pending = [set(map(id, b)) for b in self.buckets]
        self.reduced = [False] * len(self.buckets)  # in this backward
        for k, bucket in enumerate(self.buckets):
            for p in bucket:
                p.register_post_accumulate_grad_hook(self._ready(k))

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def weigh(self, count: int, total: int) -> None:
        """This rank holds ``count`` of the batch's ``total`` examples: g = sum_r (n_r/n) g_r."""
        self.share = count / total

    def _ready(self, k: int):
        def hook(p: torch.Tensor) -> None:
            self.pending[k].discard(id(p))
            if not self.pending[k]:
                self._reduce(k)
        return hook

    def _reduce(self, k: int) -> None:
        """The bucket's gradients flattened, summed over the ranks, divided by N, put back."""
        bucket = self.buckets[k]
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in bucket]
        flat = torch.cat([g.reshape(-1) for g in grads])
        if self.share is None:  # equal shares: the mean of the means (divided first, as DDP)
            flat /= dist.get_world_size()
        else:
            flat *= self.share
        all_reduce(flat)
        for p, piece in zip(bucket, flat.split([p.numel() for p in bucket])):
            p.grad = piece.view_as(p).clone()
        self.pending[k], self.reduced[k] = set(map(id, bucket)), True

    def synchronize(self) -> None:
        """All-reduce the buckets the backward did not complete (on every rank alike), and
        start the next backward afresh."""
        for k in range(len(self.buckets)):
            if not self.reduced[k]:
                self._reduce(k)
        self.reduced = [False] * len(self.buckets)


def _buckets(params: list[torch.Tensor], capacity: float) -> list[list[torch.Tensor]]:
    """Consecutive parameters packed into buckets of at most ``capacity`` bytes (one
    larger parameter makes a bucket of its own)."""
    buckets: list[list[torch.Tensor]] = [[]]
    size = 0
    for p in params:
        nbytes = p.numel() * p.element_size()
        if buckets[-1] and size + nbytes > capacity:
            buckets.append([])
            size = 0
        buckets[-1].append(p)
        size += nbytes
    return [b for b in buckets if b]


def _partition(params: list[torch.Tensor], ranks: int) -> list[int]:
    """The owner of each parameter: the largest first, each to the rank with the fewest
    elements so far (torch's ZeroRedundancyOptimizer's rule)."""
    owner, sizes = [0] * len(params), [0] * ranks
    for k in sorted(range(len(params)), key=lambda k: -params[k].numel()):
        owner[k] = min(range(ranks), key=sizes.__getitem__)
        sizes[owner[k]] += params[k].numel()
    return owner


class ShardedAdam:
    """Adam whose state lives on the rank that owns each parameter (ZeRO stage 1): each rank
    steps its own parameters with manual.optim.Adam, then every parameter is broadcast from
    its owner. ``local``: this rank's Adam, over its shard."""

    def __init__(self, params: Iterable[torch.Tensor], **adam: object):
        self.params = list(params)
        self.owner = _partition(self.params, dist.get_world_size())
        mine = [p for p, o in zip(self.params, self.owner) if o == dist.get_rank()]
        self.local = Adam(mine, **adam) if mine else None  # (a rank may own nothing)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        if self.local is not None:
            self.local.step()
        for p, owner in zip(self.params, self.owner):
            broadcast(p.data, owner)
