"""The records of the notes' errata that no other entry proves (group ``errata``): a claim
checked over evidence computed with torch, or a small op. (The others are controls of the
entries that prove their corrections, in records/<topic>.py.)"""
from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F

from crosscheck.proof.checks.claims import check_claim
from crosscheck.proof.checks.harness import check_op
from crosscheck.proof.notes.errata import (
    BIAS_THRESHOLD,
    MINIBATCH,
    NOT_WARMUP,
    PADDING_KEEPS_SIZE,
    SIGMOID_SLOPE,
)
from crosscheck.proof.notes.formulas import notes_minibatch_step
from crosscheck.proof.records.entry import Entry, Piece, Sample, Wrong
from crosscheck.proof.records.samples import randn
from manual import least_squares
from torch_ref import least_squares as ref_least_squares
from torch_ref import neuron as ref_neuron


def neuron_evidence(dtype: torch.dtype, device: str) -> dict:
    x1 = torch.tensor([0.0, 0.0, 1.0, 1.0], dtype=dtype, device=device)
    x2 = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=dtype, device=device)
    # the table's 激活 column; its missing row (0, 1) mirrors (1, 0)
    fires = torch.tensor([False, False, False, True], device=device)
    return {"y": ref_neuron.neuron(x1, x2, bias=-1.0), "fires": fires}


def sigmoid_slope_evidence(dtype: torch.dtype, device: str) -> dict:
    x = (torch.arange(-1000, 1001, dtype=dtype, device=device) / 100).requires_grad_()
    (slope,) = torch.autograd.grad(torch.sigmoid(x).sum(), x)
    return {"x": x.detach(), "slope": slope}


def adaptive_vs_warmup_evidence(dtype: torch.dtype, device: str, steps: int = 20) -> dict:
    p = torch.nn.Parameter(torch.zeros(1, dtype=dtype, device=device))
    adagrad, steps_taken = torch.optim.Adagrad([p], lr=0.1), []
    for _ in range(steps):  # a constant gradient of 1: the step is the effective rate
        before = p.detach().clone()
        p.grad = torch.ones_like(p)
        adagrad.step()
        steps_taken.append((before - p.detach()).abs())
    q = torch.nn.Parameter(torch.zeros(1))
    sgd = torch.optim.SGD([q], lr=0.1)
    warm = torch.optim.lr_scheduler.LinearLR(sgd, start_factor=0.1, total_iters=10)
    lrs = []
    for _ in range(steps):
        lrs.append(sgd.param_groups[0]["lr"])
        sgd.step()
        warm.step()
    return {"adagrad": torch.cat(steps_taken).diff(),
            "warmup": torch.tensor(lrs[:11], dtype=dtype, device=device).diff()}


def padding_evidence(dtype: torch.dtype, device: str) -> dict:
    sizes = [(28, 28), (13, 11), (7, 7)]
    out = [F.conv2d(torch.zeros(1, 1, h, w, dtype=dtype, device=device),
                    torch.zeros(1, 1, 3, 3, dtype=dtype, device=device), padding=1).shape[-2:]
           for h, w in sizes]
    return {"size": torch.tensor(sizes), "padded": torch.tensor([list(o) for o in out])}


def regression_batch(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    X = randn(gen, (32, 6), dtype, device, grad=False)
    y = randn(gen, (32,), dtype, device, grad=False)
    w = randn(gen, (6,), dtype, device, grad=False)
    batch = torch.randperm(32, generator=gen)[:8].to(device)
    yield Sample((w, X, y, batch))


def _claim(err, corrected, evidence, literal):
    """An entry of its own for an erratum that no other entry proves."""
    return Entry(err.name, err.section, "errata", "claim", corrected, check_claim,
                 evidence=evidence, dtypes=(torch.float64,),
                 wrong={f"notes: {label}": Wrong(impl, erratum=err)
                        for label, impl in literal.items()})


OWN_ENTRIES = [
    _claim(BIAS_THRESHOLD, lambda y, fires: (y > 0) == fires, neuron_evidence,
           {"fires when y > 1": lambda y, fires: (y > 1) == fires}),
    _claim(SIGMOID_SLOPE, lambda x, slope: (slope <= 0.25) & ((slope == 0.25) == (x == 0)),
           sigmoid_slope_evidence,
           {"at least 1/4": lambda x, slope: slope >= 0.25,
            "strictly inside (0, 0.25)": lambda x, slope: (slope > 0) & (slope < 0.25)}),
    Entry(MINIBATCH.name, MINIBATCH.section, "errata", "function", least_squares.minibatch_step,
          check_op, ref_least_squares.minibatch_step, regression_batch,
          {"notes: a random subset of the weights": Wrong(notes_minibatch_step, erratum=MINIBATCH,
                                                          zh="笔记：随机抽取一部分权重")},
          Piece("minibatch_step", "body", builtins=("torch.optim",)), dtypes=(torch.float64,)),
    _claim(NOT_WARMUP, lambda adagrad, warmup: torch.cat([adagrad <= 0, warmup > 0]),
           adaptive_vs_warmup_evidence,
           {"AdaGrad warms up": lambda adagrad, warmup: torch.cat([adagrad[:10] > 0,
                                                                   warmup > 0])}),
    _claim(PADDING_KEEPS_SIZE, lambda size, padded: padded == size, padding_evidence,
           {"larger than the input": lambda size, padded: padded > size}),
]
