"""Twin training: the CNN on manual ops and on built-in ops, step by step from one start."""
import copy

import torch

from crosscheck.proof.backends import TORCH
from crosscheck.proof.harness import Measure, compare, default_tol
from torch_ref.cnn.model import CNN


def check_twin_cnn(ops, dtype, device, *, steps=20, batch=8, lr=0.05):
    """Same initial parameters, same batches, plain SGD: losses and parameters every step."""
    m = Measure()
    torch.manual_seed(0)
    reference = CNN(TORCH, channels=(4, 8), hidden=16).to(device, dtype)
    twin = copy.deepcopy(reference)
    twin.ops = ops
    gen = torch.Generator().manual_seed(1)
    opt_ref = torch.optim.SGD(reference.parameters(), lr=lr)
    opt_twin = torch.optim.SGD(twin.parameters(), lr=lr)
    for step in range(steps):
        x = torch.randn(batch, 1, 28, 28, generator=gen, dtype=torch.float64).to(device, dtype)
        y = torch.randint(0, 10, (batch,), generator=gen).to(device)
        losses = []
        for model, opt in ((reference, opt_ref), (twin, opt_twin)):
            opt.zero_grad()
            loss = model.loss(x, y)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        compare(m, "out", f"step {step} loss", losses[1], losses[0], default_tol(dtype))
        for (name, p), q in zip(twin.named_parameters(), reference.parameters()):
            compare(m, "out", f"step {step} {name}", p.detach(), q.detach(), default_tol(dtype))
    return m

