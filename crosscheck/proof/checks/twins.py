"""Twin training: the CNN on manual ops and on built-in ops, step by step from one start."""
from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import TYPE_CHECKING

import torch

from crosscheck.messages import saying
from crosscheck.proof.checks.measure import Measure, compare, default_tol
from crosscheck.proof.checks.torch_errata import cannot_compile
from torch_ref.model import CNN

if TYPE_CHECKING:
    from crosscheck.proof.records.entry import Entry


def check_twin_cnn(entry: Entry, ops: SimpleNamespace, dtype: torch.dtype, device: str,
                   steps: int = 20, batch: int = 8, lr: float = 0.05) -> Measure:
    """The CNN on ``ops`` and on the reference backend: same initial parameters, same
    batches, plain SGD; losses and parameters every step."""
    return _twins(ops, entry.reference, lambda p: torch.optim.SGD(p, lr=lr),
                  lambda p: torch.optim.SGD(p, lr=lr), dtype, device, steps, batch)


def check_compiled_cnn(entry: Entry, ops: SimpleNamespace, dtype: torch.dtype, device: str,
                       steps: int = 5, batch: int = 8) -> Measure:
    """The manual training step compiled whole (the loss, forward and backward, and the
    manual Adam's step, each torch.compile(fullgraph=True): a graph break is an error)
    against the built-in ops and torch's Adam with its step compiled too: losses and
    parameters every step. (Compiled, every optimizer takes torch's capturable path, its
    bias corrections computed from the float32 step counter, 2e-9 relative from the eager
    step on float64 parameters after one step, 2e-8 after ten: torch's own compiled Adam
    differs from its eager one by as much, and the manual one equals it.)"""
    why = cannot_compile()
    if why:
        return Measure(not_run=why)
    torch.compiler.reset()
    optimizer = entry.optimizer
    assert optimizer is not None, entry.name
    return _twins(ops, entry.reference, lambda p: optimizer(p), torch.optim.Adam, dtype,
                  device, steps, batch, compiled=True)


def _twins(ops, reference_ops, make_opt, make_ref_opt, dtype, device, steps, batch,
           compiled=False):
    m = Measure()
    torch.manual_seed(0)
    reference = CNN(reference_ops, channels=(4, 8), hidden=16).to(device, dtype)
    twin = copy.deepcopy(reference)
    twin.ops = ops
    gen = torch.Generator().manual_seed(1)
    opt_ref, opt_twin = make_ref_opt(reference.parameters()), make_opt(twin.parameters())
    twin_loss, twin_step, ref_step = twin.loss, opt_twin.step, opt_ref.step
    if compiled:  # torch's step breaks its own graph on purpose: compiled, not whole
        twin_loss, twin_step = (torch.compile(f, fullgraph=True) for f in (twin_loss, twin_step))
        ref_step = torch.compile(ref_step)
    for step in range(steps):
        x = torch.randn(batch, 1, 28, 28, generator=gen, dtype=torch.float64).to(device, dtype)
        y = torch.randint(0, 10, (batch,), generator=gen).to(device)
        losses = []
        for loss_of, opt, update in ((reference.loss, opt_ref, ref_step),
                                     (twin_loss, opt_twin, twin_step)):
            opt.zero_grad()
            loss = loss_of(x, y)
            loss.backward()
            update()
            losses.append(loss.detach())
        compare(m, "out", losses[1], losses[0], default_tol(dtype), check="forward", step=step,
                label=saying("label_loss_at"))
        for i, (p, q) in enumerate(zip(twin.parameters(), reference.parameters())):
            compare(m, "out", p.detach(), q.detach(), default_tol(dtype), check="param",
                    step=step, param=i)
    return m

