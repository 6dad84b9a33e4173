"""Samples nobody can tune to: each of a piece's own samples grown along its first (batch)
dimension to hundreds or thousands of elements, with fresh values drawn from a seed that
the grading run draws and records. A piece right on our samples and wrong on larger or other
inputs fails here; a regrade with the same seed draws the same samples.

Every tensor argument that shares the first input's batch size grows with it: floats to
random values on the scale of the original, integers (class indices) to random values in
the original's range. Where torch's own op refuses the grown sample, it is not one.
"""
import math
from dataclasses import replace

import torch

from crosscheck.proof.checks.harness import check_op
from crosscheck.proof.records.entry import Sample

MOST_PER_ENTRY = 12
SIZES = (256, 4096)  # the elements of a grown first input: at least, at most


def hidden_cases(cases, seed):
    """The hidden twin of each case that checks an op or a function on samples, in float64
    only: a right float32 sum over thousands of elements may round further from torch's
    than float32's tolerance (measured: handgrad's own conv2d weight gradient, 1.7e-6), and
    a wrong derivative is as wrong in float64."""
    return [type(c)(replace(c.entry, name=f"{c.entry.name}_hidden", dtypes=(torch.float64,),
                            samples=grown(c.entry.samples, c.entry.reference, seed)),
                    replace(c.original, name=f"{c.original.name}_hidden",
                            dtypes=(torch.float64,),
                            samples=grown(c.original.samples, c.original.reference, seed)),
                    c.name)
            for c in cases if c.original.check is check_op and c.original.learners
            and c.original.group != "conformance"]


def grown(samples, reference, seed):
    """The sample generator of ``samples`` grown (a generator of the same signature)."""
    def hidden(dtype, device, gen):
        draw = torch.Generator().manual_seed(seed)
        made = 0
        for sample in samples(dtype, device, gen):
            bigger = _grown(sample, draw)
            if bigger is not None and _torch_takes(reference, bigger):
                yield bigger
                made += 1
                if made == MOST_PER_ENTRY:
                    return
    return hidden


def _grown(sample, draw):
    first = sample.args[0] if sample.args else None
    if not isinstance(first, torch.Tensor) or first.dim() == 0 or first.shape[0] == 0:
        return None
    n, rest = first.shape[0], math.prod(first.shape[1:])
    low = max(2, math.ceil(SIZES[0] / max(first.numel(), 1)))
    high = max(low, SIZES[1] // max(n * rest, 1))
    factor = int(torch.randint(low, high + 1, (), generator=draw))

    def one(v):
        if isinstance(v, torch.Tensor) and v.dim() and v.shape[0] == n:
            return _drawn(v, (n * factor, *v.shape[1:]), draw)
        return v
    return Sample(tuple(one(a) for a in sample.args),
                  {k: one(v) for k, v in sample.kwargs.items()}, gradcheck=False)


def _drawn(like, shape, draw):
    """Random values of ``like``'s kind, dtype, device and requires_grad, in ``shape``."""
    values = like.detach()
    if like.is_floating_point() or like.is_complex():
        finite = values[torch.isfinite(values)] if values.numel() else values
        scale = finite.abs().max().item() if finite.numel() else 1.0
        new = torch.randn(shape, generator=draw, dtype=torch.float64) * (scale or 1.0)
        new = new.to(like.device, like.dtype)
    elif like.dtype == torch.bool:
        new = torch.randint(0, 2, shape, generator=draw).to(like.device, torch.bool)
    else:
        low, high = (values.min().item(), values.max().item()) if values.numel() else (0, 0)
        new = torch.randint(low, high + 1, shape, generator=draw).to(like.device, like.dtype)
    return new.requires_grad_(like.requires_grad)


def _torch_takes(reference, sample):
    try:
        with torch.no_grad():
            reference(*sample.args, **sample.kwargs)
        return True
    except Exception:  # a grown shape torch's op refuses: no sample
        return False
