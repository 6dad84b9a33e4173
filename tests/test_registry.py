"""Every registry entry, on every device and dtype; every negative control rejected."""
import sys

import pytest
import torch

from crosscheck.messages import spoken
from crosscheck.proof.checks.harness import devices
from crosscheck.proof.records.registry import REGISTRY


def _id(entry, dtype, device):
    return f"{entry.name}-{str(dtype).removeprefix('torch.')}-{device}"


# the opt-in rows (torch.compile of every sample: minutes) run in CI's `handgrad check --only
# compile`; tests/test_transforms.py runs one of them
RUN = [e for e in REGISTRY if not e.opt_in]
CASES = [(e, dt, dev) for e in RUN for dev in devices() for dt in e.dtypes]
NEGATIVES = [(e, name, dev) for e in RUN for dev in devices() for name in e.wrong]


@pytest.mark.parametrize("entry,dtype,device", CASES, ids=[_id(*c) for c in CASES])
def test_manual_equals_torch(entry, dtype, device):
    m = entry.run(dtype, device)
    assert m.ok, m.failures + m.notes


@pytest.mark.parametrize("entry,name,device", NEGATIVES,
                         ids=[f"{e.name}!{n}-{d}" for e, n, d in NEGATIVES])
def test_negative_control_is_rejected(entry, name, device):
    m = entry.run(entry.dtypes[0], device, entry.wrong[name])  # as handgrad check runs it
    assert not m.ok, f"the check accepted the deliberately wrong {name!r}"


def test_every_entry_has_a_negative_control_or_says_why():
    for e in REGISTRY:
        assert e.wrong or e.why_no_wrong, f"{e.name} has no negative control"


def test_entry_names_are_unique():
    names = [e.name for e in REGISTRY]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("module,case", [
    ("torch.testing._internal.common_methods_invocations", "conformance_relu"),
    ("torch.testing._internal.common_optimizers", "optim_db_Adam")])
def test_without_torchs_private_test_inputs_the_rows_fail_visibly(monkeypatch, module, case):
    monkeypatch.setitem(sys.modules, module, None)  # `import` now raises ImportError
    entry = next(e for e in REGISTRY if e.name == case)
    m = entry.run(torch.float64, "cpu")
    assert not m.ok and m.failures[0].check == "unavailable"
    assert "torch.testing._internal is not importable" in m.failures[0].message


def test_conformance_counts_every_sample_equal():
    entry = next(e for e in REGISTRY if e.name == "conformance_max_pool2d")
    m = entry.run(torch.float64, "cpu")
    assert m.ok and spoken(m.notes[0], "en") == "1440 samples: 1440 equal, 0 refused, 0 wrong"
