"""The training loop's two halves, as pytorch/examples writes them: one step of training,
and an evaluation over a split.

Notes sections: 随机梯度下降 (Mini Batch GD): a batch's mean loss, its gradient, one step.
"""
import math

import torch


def train_step(model, optimizer, scheduler, x, y, replica=None):
    """The loss of one batch, its gradients, the update and the schedule's step. Returns
    (loss, gradient norm, learning rate used): the first two stay on the device, to be read
    in batches (each read is a sync). ``replica``: the model wrapped to average its
    gradients over several processes (DDP, or manual.distributed.DataParallel); the step
    goes through its forward, and ``x`` is this process's share of the batch."""
    optimizer.zero_grad(set_to_none=True)
    loss = model.ops.cross_entropy((model if replica is None else replica)(x), y)
    loss.backward()
    if replica is not None:  # every bucket averaged: each process holds the batch's gradient
        replica.synchronize()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    grad_norm = torch.stack([g.norm() for g in grads]).norm()
    lr = optimizer.param_groups[0]["lr"]
    optimizer.step()
    if scheduler:
        scheduler.step()
    return loss.detach(), grad_norm.to(loss.dtype), lr


@torch.no_grad()
def evaluate(model, data, split, batch_size=1000, predicted=None):
    """Mean loss and accuracy over a split (NaN for an empty one); each batch's predicted
    classes appended to the list ``predicted`` where one is given."""
    loss_sum = torch.zeros((), device=data.train_x.device, dtype=torch.float64)
    correct, n = torch.zeros_like(loss_sum), 0
    for x, y in data.batches(split, batch_size):
        logits = model(x)
        loss_sum += model.ops.cross_entropy(logits, y, reduction="sum").double()
        correct += (logits.argmax(1) == y).sum()
        if predicted is not None:
            predicted.append(logits.argmax(1).cpu())
        n += y.shape[0]
    if n == 0:
        return math.nan, math.nan
    return loss_sum.item() / n, correct.item() / n
