"""Twin training: the CNN on manual ops and on built-in ops, step by step from one start."""
import copy

import torch

from crosscheck.proof.measure import Measure, compare, default_tol
from torch_ref.model import CNN


def check_twin_cnn(entry, ops, dtype, device, steps=20, batch=8, lr=0.05):
    """The CNN on ``ops`` and on the reference backend: same initial parameters, same
    batches, plain SGD; losses and parameters every step."""
    m = Measure()
    torch.manual_seed(0)
    reference = CNN(entry.reference, channels=(4, 8), hidden=16).to(device, dtype)
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
        compare(m, "out", losses[1], losses[0], default_tol(dtype), check="forward", step=step,
                label="loss at")
        for i, (p, q) in enumerate(zip(twin.parameters(), reference.parameters())):
            compare(m, "out", p.detach(), q.detach(), default_tol(dtype), check="param",
                    step=step, param=i)
    return m

