"""torch's capturable path (CUDA graphs) computes Adam's bias corrections from the step
tensor, so its numbers differ from the plain path's in the last bits; the manual optimizers
follow it. Here torch's own capturable code is run on the CPU (it refuses the CPU only by a
device list) so that the CPU suite covers what optim_db checks on CUDA."""
import importlib

import pytest
import torch

from manual import optim


@pytest.mark.parametrize("name, kw", [("Adam", {}), ("Adam", {"amsgrad": True}),
                                      ("RMSprop", {"momentum": 0.9, "centered": True})])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
# torch's two paths, and its choice between them (None: single-tensor on the CPU)
@pytest.mark.parametrize("foreach", [False, True, None])
def test_capturable_follows_torchs_capturable_arithmetic(name, kw, dtype, foreach, monkeypatch):
    for module in ("torch.optim.adam", "torch.optim.rmsprop"):
        monkeypatch.setattr(importlib.import_module(module), "_get_capturable_supported_devices",
                            lambda *a, **k: ["cpu"])
    torch.manual_seed(0)
    a = torch.nn.Parameter(torch.randn(5, 4, dtype=dtype))
    b = torch.nn.Parameter(a.detach().clone())
    mine = getattr(optim, name)([a], lr=0.01, capturable=True, foreach=foreach, **kw)
    theirs = getattr(torch.optim, name)([b], lr=0.01, capturable=True, foreach=foreach, **kw)
    for step in range(30):
        for p, opt in ((a, mine), (b, theirs)):
            opt.zero_grad()
            ((p**3).sum() + step * p.sum()).backward()
            opt.step()
    assert torch.equal(a, b)
    assert mine.state[a]["step"].dtype == theirs.state[b]["step"].dtype
