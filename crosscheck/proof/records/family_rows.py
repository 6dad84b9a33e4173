"""The ops on inputs nobody here chose, family by family: FAMILIES, the table of the
families (their checks in checks/families.py and checks/transforms.py), and one registry
entry per op and family, named ``<family>_<op>`` (``conformance_conv2d``,
``gradgrad_cross_entropy``, ``half_gelu``, ``vmap_unfold``), made from the op's own
record: its OpInfo name, the dtypes torch runs it in (which decide the rows of a family),
and its controls.
"""
from __future__ import annotations

from dataclasses import replace

import torch

from crosscheck.proof.checks import families as F
from crosscheck.proof.checks import transforms as T
from crosscheck.proof.checks.families import INTEGERS, Family, check_family
from crosscheck.proof.checks.torch_errata import cannot_compile
from crosscheck.proof.records.entry import Entry
from crosscheck.proof.records.wrong import family_controls

FAMILIES = {f.name: f for f in [
    Family("conformance", (torch.float64, torch.float32), F.conformance, sources=("torch",)),
    Family("gradgrad", (torch.float64,), F.second_order, gradgrad=True),
    Family("complex", (torch.complex128, torch.complex64), F.conformance),
    Family("integer", INTEGERS, F.exact_dtype),
    Family("half", (torch.float16, torch.bfloat16), F.reduced_precision),
    Family("layout", (torch.float64,), F.same_layout,
           variants=lambda call: [F.channels_last(call), F.noncontiguous(call)]),
    Family("forward", (torch.float64, torch.complex128), T.forward_mode),
    Family("vmap", (torch.float64,), T.batched),
    Family("func", (torch.float64,), T.transforms),
    Family("compile", (torch.float64,), T.compiled, sources=("ours",), opt_in=True,
           not_run=cannot_compile),
]}


def on_our_samples(entry: Entry) -> Entry:
    """A family entry on our own samples only (torch's thousands left to the conformance
    row): a learner's advice rows, seconds instead of a minute for max_pool2d."""
    if entry.family is None:
        return entry
    return replace(entry, family=replace(entry.family, sources=("ours",)))


def _controls(family, op):
    """The negative controls of the op's row in ``family`` (the record's own where it has
    them; in the conformance family, its first control), and where there is none, why."""
    if family.name in op.controls:
        return op.controls[family.name]
    if family.name == "conformance":
        return dict(list(op.wrong.items())[:1]), ""
    return family_controls(family.name, op.manual, op.piece.function)


def entries(registry: list) -> list[Entry]:
    """One ``<family>_<op>`` entry per family and op of torch's OpInfo database, in the
    dtypes torch runs the op in; a learner's piece is held to the plain conformance only."""
    made = []
    for family in FAMILIES.values():
        for op in (e for e in registry if e.torch_name):
            dtypes = tuple(d for d in family.dtypes if d in op.torch_dtypes)
            if not dtypes:
                continue
            wrong, why = _controls(family, op)
            short = op.torch_name.rsplit(".", 1)[-1]  # torch's name: unfold, of im2col
            made.append(Entry(f"{family.name}_{short}", op.section, family.name, "op",
                              op.manual, check_family, wrong=wrong, piece=op.piece,
                              dtypes=dtypes, why_no_wrong=why,
                              learners=family.name == "conformance", opt_in=family.opt_in,
                              family=family, base=op))
    return made
