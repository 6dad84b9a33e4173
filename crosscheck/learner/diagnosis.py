"""What a learner reads under a failing row of ``handgrad check --with`` (and in a grade's
feedback): which check failed, the first element that differs, and, when their piece equals
one of the entry's known wrong versions (the negative controls, the notes' own slips among
them), that slip.

A ``Diagnosis`` is a record, made once per failing case (``diagnose_rows``, the slip search
taking up to 30 s), kept on its row, read by the grade, and said in words only at the edge
(``lines``, in the chosen language). Everything here reads the failure records of a
Measure; nothing parses their text.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from crosscheck.messages import correction, failure_text, say, saying, site, slip_name, spoken
from crosscheck.proof.checks.measure import Enough, Failure, Measure, first_failure_ends
from crosscheck.proof.notes.errata import Erratum
from crosscheck.proof.records.entry import Entry

SLIP_KINDS = ("op", "function", "module", "optimizer", "schedule")  # checked against a reference
SLIP_SECONDS = 30.0  # the search for a known slip gives up after this long
PART = {"forward": "part_forward", "backward": "part_backward", "gradcheck": "part_backward",
        "param": "part_update", "state": "part_state", "step": "part_update"}  # message keys


@dataclass(frozen=True)
class Slip:
    """The known wrong version a learner's piece equals: its label (English), its Chinese
    name, the notes' erratum if it is theirs, and what of the piece is wrong (a message
    key: 'part_backward', ...)."""

    label: str
    zh: str
    erratum: Erratum | None
    part: str


@dataclass(frozen=True)
class Diagnosis:
    """A failing case of a learner's piece: the part left to write (a NotImplementedError)
    or the first failure; an optimizer's first failing step and its parameters; the first
    failure with a differing element; the known slip it equals."""

    todo: Failure | None
    first: Failure
    step: int | None = None
    where: tuple = ()  # (param, state) at that step
    difference: Failure | None = None
    slip: Slip | None = None


def not_implemented(m: Measure) -> Failure | None:
    """The failure that says a part is left to write, or None."""
    return next((f for f in m.failures if f.error == "NotImplementedError"), None)


def known_slip(entry: Entry, impl, dtype, device, failure: Failure,
               seconds: float = SLIP_SECONDS) -> Slip | None:
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
            part = ("part_backward" if failure.label == saying("label_backward")
                    else PART.get(failure.check, "part_piece"))
            return Slip(label, wrong.zh, wrong.erratum, part)
    return None


def diagnose(entry: Entry, impl, dtype, device, m: Measure) -> Diagnosis:
    """The diagnosis of a failing measure ``m`` of ``impl``; ``entry`` is handgrad's, with
    its wrong versions."""
    todo = not_implemented(m)
    if todo:
        return Diagnosis(todo, todo)
    steps = [f for f in m.failures if f.step is not None and f.param is not None]
    step = steps[0].step if steps else None
    where = tuple(dict.fromkeys((f.param, f.state) for f in steps if f.step == step))
    return Diagnosis(None, m.failures[0], step, where,
                     next((f for f in m.failures if f.element), None),
                     known_slip(entry, impl, dtype, device, m.failures[0]))


def diagnose_rows(rows) -> None:
    """Each failing case of a learner's (its first failing row) diagnosed, on its row."""
    told = set()
    for row in rows:
        if row.passed or row.original is None or row.case in told:
            continue
        told.add(row.case)
        row.diagnosis = diagnose(row.original, row.entry.manual, row.dtype, row.device,
                                 row.measure)


def lines(d: Diagnosis) -> list[str]:
    """The diagnosis in words, in the chosen language."""
    if d.todo:
        return [say("todo", what=spoken(d.todo.message) or d.todo.error)
                + (say("todo_at", site=site(d.todo)) if site(d.todo) else "")]
    said = [say("failed", text=failure_text(d.first))]
    if d.step is not None:
        parts = [say("site_param", value=p) + (" " + say("site_state", value=s) if s else "")
                 for p, s in d.where]
        said.append(say("parting", step=d.step, where=", ".join(parts[:4])))
    if d.difference and d.difference.element:
        e = d.difference.element
        at = say("input_there", value=f"{e.input:.6g}") if e.input is not None else ""
        said.append(say("first_difference", site=site(d.difference), index=list(e.index),
                        at=at, torch=f"{e.torch:.6g}", yours=f"{e.yours:.6g}"))
    if d.slip:
        erratum = d.slip.erratum
        source = say("slip_source", section=erratum.section) if erratum else ""
        said.append(say("slip", part=say(d.slip.part), label=slip_name(d.slip.label, d.slip.zh),
                        source=source))
        if erratum:
            said.append(say("erratum", quote=erratum.quote, correction=correction(erratum)))
    return said
