"""What a learner reads under a failing row of ``handgrad check --with``: which check failed,
the first element that differs, and, when their piece equals one of the entry's known wrong
versions (the negative controls, the notes' own slips among them), that slip's name.

Everything here reads the failure records of a Measure; nothing parses their text.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from crosscheck.messages import correction, failure_text, say, site, slip
from crosscheck.proof.checks.measure import Enough, first_failure_ends
from crosscheck.proof.records.entry import Erratum

SLIP_KINDS = ("op", "function", "module", "optimizer", "schedule")  # checked against a reference
SLIP_SECONDS = 30.0  # the search for a known slip gives up after this long
PART = {"forward": "part_forward", "backward": "part_backward", "gradcheck": "part_backward",
        "param": "part_update", "state": "part_state", "step": "part_update"}  # message keys


@dataclass(frozen=True)
class Slip:
    """The known wrong version a learner's piece equals."""

    label: str
    erratum: Erratum | None
    part: str  # what of the piece is wrong: a message key, 'part_backward', ...


def not_implemented(m):
    """The failure that says a part is left to write, or None."""
    return next((f for f in m.failures if f.error == "NotImplementedError"), None)


def _parting(failures):
    """An optimizer's first failing step, and what parts there."""
    steps = [f for f in failures if f.step is not None and f.param is not None]
    if not steps:
        return None
    first = steps[0].step
    parts = dict.fromkeys(say("site_param", value=f.param)
                          + (" " + say("site_state", value=f.state) if f.state else "")
                          for f in steps if f.step == first)
    return say("parting", step=first, where=", ".join(list(parts)[:4]))


def known_slip(entry, impl, dtype, device, failure, seconds=SLIP_SECONDS):
    """The first of the entry's wrong versions that ``impl`` equals under the entry's own
    check (with that wrong version as the reference; gradcheck not asked), or None. A wrong
    version that cannot run on the case is skipped; the search stops after ``seconds``."""
    if entry.kind not in SLIP_KINDS or entry.reference is None:
        return None
    deadline = time.monotonic() + seconds
    for label, wrong in entry.wrong.items():
        if time.monotonic() > deadline:
            return None
        try:
            with wrong.applied(), first_failure_ends(ignore=("gradcheck",)):
                m = entry.check(entry.against(wrong.impl or entry.manual), impl, dtype, device)
        except Enough:  # it differs from this wrong version
            continue
        except (Exception, SystemExit):  # what cannot run here says nothing of this piece
            continue
        if all(f.check == "gradcheck" for f in m.failures):  # a slip fails gradcheck too
            part = ("part_backward" if failure.label == "backward"
                    else PART.get(failure.check, "part_piece"))
            return Slip(label, wrong.erratum, part)
    return None


def diagnose(entry, impl, dtype, device, m):
    """Lines to print under a failing row; ``entry`` is handgrad's, with its wrong versions."""
    todo = not_implemented(m)
    if todo:
        return [say("todo", what=todo.message or todo.error)
                + (say("todo_at", site=site(todo)) if site(todo) else "")]
    lines = [say("failed", text=failure_text(m.failures[0]))]
    parting = _parting(m.failures)
    if parting:
        lines.append(parting)
    shown = next((f for f in m.failures if f.element), None)
    if shown:
        e = shown.element
        at = say("input_there", value=f"{e.input:.6g}") if e.input is not None else ""
        lines.append(say("first_difference", site=site(shown), index=list(e.index), at=at,
                         torch=f"{e.torch:.6g}", yours=f"{e.yours:.6g}"))
    found = known_slip(entry, impl, dtype, device, m.failures[0])
    if found:
        source = say("slip_source", section=found.erratum.section) if found.erratum else ""
        lines.append(say("slip", part=say(found.part), label=slip(found.label), source=source))
        if found.erratum:
            lines.append(say("erratum", quote=found.erratum.quote,
                             correction=correction(found.erratum)))
    return lines
