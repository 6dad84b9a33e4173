"""What a learner reads under a failing row of ``handgrad check --with``: which check failed,
the first element that differs, and, when their piece equals one of the entry's known wrong
versions (the negative controls, the notes' own slips among them), that slip's name.
"""
import re

from crosscheck.proof.harness import Measure, check_module, check_op
from crosscheck.proof.optim_checks import check_optimizer

SLIP_CHECKS = (check_op, check_module, check_optimizer)  # those that compare with a reference
NOT_IMPLEMENTED = "NotImplementedError"


def not_implemented(m: Measure):
    return any(NOT_IMPLEMENTED in f for f in m.failures)


def _part(failure):
    """Which part of the piece a failure is in, in the learner's words."""
    if re.match(r"step \d+ param \d+ state", failure):
        return "update (its state)"
    if failure.startswith("step ") or "state_dict" in failure:
        return "update"
    return "backward" if "grad" in failure or "backward" in failure else "forward"


def _parting(failures):
    """An optimizer's first failing step, and everything that parts there."""
    steps = [re.match(r"step (\d+) (param \d+(?: state \w+)?)", f) for f in failures]
    steps = [s for s in steps if s]
    if not steps:
        return None
    first = steps[0].group(1)
    where = list(dict.fromkeys(s.group(2) for s in steps if s.group(1) == first))
    return f"the trajectories part at step {first}: {', '.join(where[:4])}"


def known_slip(entry, impl, dtype, device):
    """(label, erratum or None) of the first known wrong version ``impl`` equals under the
    entry's own check, or None. Gradcheck is not asked: a slip fails it too."""
    keywords = getattr(entry.check, "keywords", {})
    if getattr(entry.check, "func", None) not in SLIP_CHECKS:  # others have no `reference`
        return None
    for label, wrong in entry.wrong.items():
        reference = wrong.impl if wrong.impl is not None else entry.manual
        with wrong.applied():
            m = entry.check.func(impl, dtype, device, **{**keywords, "reference": reference})
        if not m.failures:
            return label, wrong.erratum
    return None


def diagnose(entry, impl, dtype, device, m: Measure):
    """Lines to print under a failing row; ``entry`` is handgrad's, with its wrong versions."""
    if not_implemented(m):
        failure = next(f for f in m.failures if NOT_IMPLEMENTED in f)
        where, _, message = failure.partition(f"{NOT_IMPLEMENTED}:")
        where = where.strip(" :")
        return [f"not implemented yet: {message.strip() or NOT_IMPLEMENTED}"
                + (f" (met in {where})" if where else "")]
    if not m.failures:
        note = next((n for n in m.notes if "gradcheck" in n), "gradcheck failed")
        return [f"{note}: the backward is not the derivative of the forward (a finite "
                "difference disagrees)"]
    lines = [f"failed: {m.failures[0]}"]
    parting = _parting(m.failures)
    if parting:
        lines.append(parting)
    if m.first:
        f = m.first
        at = f" (input there: {f['input']:.6g})" if "input" in f else ""
        lines.append(f"first difference: {f['what']}, element {list(f['index'])}{at}: "
                     f"torch {f['torch']:.6g}, yours {f['mine']:.6g}")
    slip = known_slip(entry, impl, dtype, device)
    if slip:
        label, erratum = slip
        source = f" (the notes, {erratum.section})" if erratum else ""
        lines.append(f"your {_part(m.failures[0])} matches a known slip: {label}{source}")
    return lines
