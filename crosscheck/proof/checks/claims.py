"""A claim of the notes checked over evidence computed with torch: a statement as a predicate
that must hold at every point of the evidence."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from crosscheck.messages import saying
from crosscheck.proof.checks.measure import Measure

if TYPE_CHECKING:
    from crosscheck.proof.records.entry import Entry


def check_claim(entry: Entry, predicate: Callable, dtype: torch.dtype, device: str) -> Measure:
    """The statement as a predicate over evidence from torch (``entry.evidence``): it must
    hold at every point."""
    m = Measure()
    assert entry.evidence is not None, entry.name
    holds = predicate(**entry.evidence(dtype, device))
    m.notes.append(saying("m_holds", n=int(holds.sum()), total=holds.numel()))
    if not holds.all():
        m.fail("claim", saying("m_fails_at", n=int((~holds).sum()), total=holds.numel()))
    return m
