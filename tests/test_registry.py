"""Every registry entry, on every device and dtype; every negative control rejected."""
import pytest
import torch

from crosscheck.proof.harness import devices
from crosscheck.proof.registry import REGISTRY


def _id(entry, dtype, device):
    return f"{entry.name}-{str(dtype).removeprefix('torch.')}-{device}"


CASES = [(e, dt, dev) for e in REGISTRY for dev in devices() for dt in e.dtypes]
NEGATIVES = [(e, name, dev) for e in REGISTRY for dev in devices() for name in e.wrong]


@pytest.mark.parametrize("entry,dtype,device", CASES, ids=[_id(*c) for c in CASES])
def test_manual_equals_torch(entry, dtype, device):
    m = entry.run(dtype, device)
    assert m.ok, m.failures + m.notes


@pytest.mark.parametrize("entry,name,device", NEGATIVES,
                         ids=[f"{e.name}!{n}-{d}" for e, n, d in NEGATIVES])
def test_negative_control_is_rejected(entry, name, device):
    m = entry.run(torch.float64, device, entry.wrong[name])
    assert not m.ok, f"the check accepted the deliberately wrong {name!r}"


def test_every_entry_has_a_negative_control_or_says_why():
    for e in REGISTRY:
        assert e.wrong or e.why_no_wrong, f"{e.name} has no negative control"


def test_entry_names_are_unique():
    names = [e.name for e in REGISTRY]
    assert len(names) == len(set(names))
