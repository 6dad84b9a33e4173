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

from crosscheck.learner.diagnosis import not_implemented
from crosscheck.messages import failure_text
from crosscheck.proof.checks.torch_configs import check_torch_configs

TORCH_SAMPLES = "torch's samples"
# the check a failure record counts against; a failure not named here fails every check
BREAKS = {"forward": "forward", "shape": "forward", "outputs": "forward", "refused": "forward",
          "backward": "backward", "gradcheck": "gradcheck", "param": "update", "step": "update",
          "state": "state"}
CHECKS_OF = {"op": ("forward", "backward", "gradcheck"), "module": ("forward", "backward"),
             "optimizer": ("update", "state")}  # any other kind: "values"


@dataclass
class PieceResult:
    """One piece of one submission: each check passed or not, and its first failure as the
    table says it; the known slip its diagnosis found (label, Chinese name, the notes'
    section if it is theirs)."""

    piece: str
    checks: dict = field(default_factory=dict)  # check -> passed
    why: dict = field(default_factory=dict)  # check -> its first failure, said ('' passed)
    todo: bool = False  # left as the starter gave it
    slip: str | None = None
    slip_zh: str | None = None
    slip_section: str | None = None
    out_of_memory: bool = False  # an allocation failed under the sandbox's memory limit
    builtins: list = field(default_factory=list)  # the built-ins it calls (handmade.py)

    def record(self):
        return {"piece": self.piece, "checks": self.checks, "why": self.why, "todo": self.todo,
                "slip": self.slip, "slip_zh": self.slip_zh, "slip_section": self.slip_section,
                "out_of_memory": self.out_of_memory, "builtins": self.builtins}


def points(record, worth):
    """(points earned, {check: points earned}) of a piece's record worth ``worth`` points:
    its checks share them equally; a piece left as the starter gave it, or that calls what
    it is to derive, earns nothing (its checks: none). The total is worth x passed / checks,
    exactly ``worth`` when all pass (not a sum of thirds)."""
    checks = {} if record["todo"] or record["builtins"] else record["checks"]
    each = {check: worth / len(checks) if passed else 0.0 for check, passed in checks.items()}
    return (worth * (sum(checks.values()) / len(checks)) if checks else 0.0), each


def _torch_samples(entry):
    return entry.group == "conformance" or entry.check is check_torch_configs


def _checks(row):
    """{check: its first failure in this row (None where it passed)}."""
    entry, m = row.original, row.measure
    if _torch_samples(entry):
        return {TORCH_SAMPLES: m.failures[0] if m.failures else None}
    names = [c for c in CHECKS_OF.get(entry.kind, ("values",))
             if c != "gradcheck" or m.gradcheck is not None]
    first = dict.fromkeys(names)
    for f in m.failures:
        if f.check == "raised" and f.label == "backward":
            hit = ["backward"]
        elif f.check in BREAKS and BREAKS[f.check] in names:
            hit = [BREAKS[f.check]]
        else:  # it raised, or a claim failed: nothing of the row stands
            hit = names
        for check in hit:
            first[check] = first[check] or f
    return first


def _out_of_memory(failure):
    return failure.error == "MemoryError"  # torch's allocator's too (errors.error_name)


def _said(row, failure):
    return f"{row.case} ({row.dtype_name}): {failure_text(failure)}"


def score_piece(piece, rows, found=()):
    """The PieceResult of a learner's piece from its measured, diagnosed rows (handgrad's
    own entry of each in ``row.original``) and the built-ins ``found`` in its code
    (handmade.py)."""
    result = PieceResult(piece, builtins=[f.name for f in found])
    for row in (r for r in rows if not r.advice):
        result.todo = result.todo or not_implemented(row.measure) is not None
        result.out_of_memory |= any(map(_out_of_memory, row.measure.failures))
        for check, failure in _checks(row).items():
            result.checks[check] = result.checks.get(check, True) and failure is None
            if failure is not None and not result.why.get(check):
                result.why[check] = _said(row, failure)
            result.why.setdefault(check, "")
    diagnosed = next((r.diagnosis for r in rows if r.diagnosis), None)
    if diagnosed is not None and diagnosed.slip is not None and not result.todo:
        slip = diagnosed.slip
        result.slip, result.slip_zh = slip.label, slip.zh
        result.slip_section = slip.erratum.section if slip.erratum else None
    return result
