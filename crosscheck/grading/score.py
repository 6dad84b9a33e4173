"""What a learner's piece earns: its rows of ``handgrad check --with`` read as checks that
pass or fail, the partial credit a teacher gives.

The checks of a piece, from the failure records of its rows (nothing parses their text):

    forward           its outputs on our samples equal torch's
    backward          its gradients on our samples equal torch's
    gradcheck         torch.autograd.gradcheck of it in float64 passes
    update, state     an optimizer's parameters, and its state, step by step
    values            a plain function's results (a fit, back propagation, the warm-up)
    torch's samples   every sample of torch's own test suite (conformance_<op>, optim_db_<name>)

A piece left as its starter gave it (a NotImplementedError still raised) earns nothing, not
the credit of the forward the starter wrote. The rows beyond the exercise (forward mode,
complex, half, ...: ``Row.advice``) are shown, not graded: the starters do not ask for them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from crosscheck.learner.diagnosis import known_slip, not_implemented
from crosscheck.messages import failure_text

TORCH_SAMPLES = "torch's samples"
# the check a failure record counts against; a failure not named here fails every check
BREAKS = {"forward": "forward", "shape": "forward", "outputs": "forward", "refused": "forward",
          "backward": "backward", "gradcheck": "gradcheck", "param": "update", "step": "update",
          "state": "state"}
CHECKS_OF = {"op": ("forward", "backward", "gradcheck"), "module": ("forward", "backward"),
             "optimizer": ("update", "state")}  # any other kind: "values"


@dataclass
class PieceResult:
    """One piece of one submission: each check passed or not, the known slip its first
    failure equals (label and the notes' section, if it is theirs)."""

    piece: str
    checks: dict = field(default_factory=dict)  # check -> passed
    why: dict = field(default_factory=dict)  # check -> its first failure, as the table says it
    todo: bool = False  # left as the starter gave it
    slip: str | None = None
    slip_section: str | None = None
    out_of_memory: bool = False  # an allocation failed under the sandbox's memory limit
    builtins: list = field(default_factory=list)  # the built-ins it calls (handmade.py)

    def record(self):
        return {"piece": self.piece, "checks": self.checks, "why": self.why, "todo": self.todo,
                "slip": self.slip, "slip_section": self.slip_section,
                "out_of_memory": self.out_of_memory, "builtins": self.builtins}


def share(record):
    """The share of a piece's points its record earns: its checks, equally weighted; nothing
    for a piece left as the starter gave it, or that calls what it is to derive."""
    if record["todo"] or record["builtins"] or not record["checks"]:
        return 0.0
    return sum(record["checks"].values()) / len(record["checks"])


def _torch_samples(entry):
    return entry.group == "conformance" or entry.name.startswith("optim_db_")


def _checks(row):
    """{check: its first failure in this row ('' where it passed)}."""
    entry, m = row.original, row.measure
    if _torch_samples(entry):
        return {TORCH_SAMPLES: "" if m.ok else _said(row, m.failures[0])}
    names = [c for c in CHECKS_OF.get(entry.kind, ("values",))
             if c != "gradcheck" or m.gradcheck is not None]
    why = dict.fromkeys(names, "")
    for f in m.failures:
        if f.check == "raised" and f.label == "backward":
            hit = ["backward"]
        elif f.check in BREAKS and BREAKS[f.check] in names:
            hit = [BREAKS[f.check]]
        else:  # it raised, or a claim failed: nothing of the row stands
            hit = names
        for check in hit:
            why[check] = why[check] or _said(row, f)
    return why


def _out_of_memory(failure):
    return failure.error == "MemoryError"  # torch's allocator's too (errors.error_name)


def _said(row, failure):
    return f"{row.case} ({str(row.dtype)[6:]}): {failure_text(failure)}"


def score_piece(piece, rows, found=()):
    """The PieceResult of a learner's piece from its measured rows (handgrad's own entry
    of each in ``row.original``) and the built-ins ``found`` in its code (handmade.py)."""
    result = PieceResult(piece, builtins=[f.name for f in found])
    for row in (r for r in rows if not r.advice):
        result.todo = result.todo or not_implemented(row.measure) is not None
        result.out_of_memory |= any(map(_out_of_memory, row.measure.failures))
        for check, why in _checks(row).items():
            result.checks[check] = result.checks.get(check, True) and not why
            result.why[check] = result.why.get(check) or why
    failing = next((r for r in rows if not r.passed), None)
    if failing is not None and not result.todo:
        found = known_slip(failing.original, failing.entry.manual, failing.dtype,
                           failing.device, failing.measure.failures[0])
        if found:
            result.slip = found.label
            result.slip_section = found.erratum.section if found.erratum else None
    return result
