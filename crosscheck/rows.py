"""The rows of ``handgrad check``: one per entry, dtype, device (and negative control),
run one by one and printed as each finishes, then the closing line and, under a learner's
failing rows, their diagnoses."""
from __future__ import annotations

import fnmatch
import signal
import time
from dataclasses import dataclass

import torch
from tqdm import tqdm

from crosscheck.learner.diagnosis import Diagnosis, lines, not_implemented
from crosscheck.messages import failure_text, say, spoken
from crosscheck.proof.checks.harness import quiet
from crosscheck.proof.checks.measure import Enough, Measure
from crosscheck.proof.checks.torch_suite import which_torch
from crosscheck.proof.records.entry import Entry
from torch_ref.errors import HandgradError

FAILURES_IN_JSON = 20  # per row: a wrong version may fail every step of every configuration
COLUMNS = ("case", "dtype", "device", "out abs", "out rel", "grad abs", "grad rel",
           "gradcheck", "result")


@dataclass
class Row:
    """One line of the table: an entry (or one of its negative controls, ``wrong``) on one
    dtype and device, what was measured, and for a learner's piece handgrad's own entry.
    ``advice``: a learner's row beyond what the exercise asks, shown but never failing."""

    entry: Entry
    dtype: torch.dtype
    device: str
    wrong: str | None = None
    measure: Measure = None  # type: ignore[assignment]  # set when the row runs
    original: Entry | None = None
    seconds: float = 0.0  # how long the row took
    advice: bool = False
    diagnosis: Diagnosis | None = None  # a learner's first failing row of a case

    @property
    def dtype_name(self):
        """The dtype as the table says it: 'float64'."""
        return str(self.dtype).removeprefix("torch.")

    @property
    def case(self):
        return self.entry.name if not self.wrong else f"{self.entry.name} ! {self.wrong}"

    @property
    def result(self):
        if self.measure.not_run:  # (a negative control too: nothing ran to reject it)
            return "SKIP"
        ok = self.measure.ok
        if self.wrong:
            return "ACCEPTED" if ok else "REJECTED"
        if self.skipped:
            return "SKIP"
        if ok:
            return "PASS"
        if self.advice:  # (a NotImplementedError here is torch's: no complex sign, say)
            return "ADVICE"
        return "TODO" if not_implemented(self.measure) else "FAIL"

    @property
    def skipped(self):
        """A learner's piece without what an advice row needs (a Function without a jvp):
        the row says so instead of failing (under --strict, where no row is advice, it
        fails)."""
        failures = self.measure.failures
        return self.advice and bool(failures) and all(f.check == "missing" for f in failures)

    @property
    def passed(self):
        if self.skipped or self.advice or self.measure.not_run:
            return True
        return self.measure.ok != bool(self.wrong)  # a negative control passes when rejected

    @property
    def erratum(self):
        erratum = self.entry.wrong[self.wrong].erratum if self.wrong else None
        return erratum.name if erratum else None

    def errors(self, kind):
        return self.measure.errors.get(kind, [None, None])

    def shown(self, kind):
        """The error columns of a kind as printed: 'shape' where a shape differed (the
        figures of the tensors that did compare would read as agreement)."""
        return ["shape"] * 2 if kind in self.measure.shapes else self.errors(kind)

    def record(self):
        """The row as JSON data; ``failures`` are the failure records."""
        m, e = self.measure, self.entry
        return {"case": self.case, "group": e.group, "kind": e.kind, "section": e.section,
                "negative_control": bool(self.wrong), "dtype": self.dtype_name,
                "device": self.device, "out_abs": self.errors("out")[0],
                "out_rel": self.errors("out")[1], "grad_abs": self.errors("grad")[0],
                "grad_rel": self.errors("grad")[1], "gradcheck": m.gradcheck,
                "result": self.result, "passed": self.passed, "erratum": self.erratum,
                "why_tol": e.why_tol, "notes": [spoken(n, "en") for n in m.notes],
                "counts": m.counts, "skipped": _english(m.skipped),
                "torch_errors": _english(m.torch_errors), "not_run": spoken(m.not_run, "en"),
                "failures": [f.record() for f in m.failures[:FAILURES_IN_JSON]],
                "failure_count": len(m.failures), "seconds": round(self.seconds, 3)}


def _english(tally):
    """{why: count} with each why in English words (JSON keys are text)."""
    return {spoken(why, "en"): n for why, n in tally.items()}


def _names(entry):
    """What --only matches: the case, its group, 'convention' for a measured convention,
    and the errata among its controls (an entry that proves a correction of the notes is
    also in the group 'errata')."""
    errata = [e.name for e in entry.errata]
    return [entry.name, entry.group, *(["convention"] if entry.convention else []), *errata,
            *(["errata"] if errata else [])]


def select(registry, only):
    """The entries ``--only`` names (all without it); an opt-in entry (it takes minutes) only
    where the pattern names its group, or its name is given whole."""
    if not only:
        return [e for e in registry if not e.opt_in]
    pattern = only if any(c in only for c in "*?[") else f"*{only}*"
    chosen = [e for e in registry if any(fnmatch.fnmatch(n, pattern) for n in _names(e))
              and (not e.opt_in or fnmatch.fnmatch(e.group, pattern) or only == e.name)]
    if not chosen:
        raise HandgradError(f"--only {only!r} matches no case; `handgrad check --list` lists them")
    return chosen


def plan(entries, dtypes, devs, originals=None, strict=False):
    """A Row for every entry, dtype and device (``dtypes`` None: every dtype), and for each
    negative control in the entry's first dtype. A learner's rows (``originals``: handgrad's
    entry of each) beyond the exercise are advice, unless ``strict``."""
    originals = originals or {}
    for e in entries:
        original = originals.get(id(e))
        advice = original is not None and not original.learners and not strict
        for device in devs:
            for dtype in (d for d in e.dtypes if dtypes is None or d in dtypes):
                yield Row(e, dtype, device, original=original, advice=advice)
            if dtypes is None or e.dtypes[0] in dtypes:
                for name in e.wrong:
                    yield Row(e, e.dtypes[0], device, name)


def run_row(row):
    wrong = row.entry.wrong[row.wrong] if row.wrong else None
    start = time.perf_counter()
    try:
        row.measure = row.entry.run(row.dtype, row.device, wrong)
    except Enough as done:  # asked only whether it fails (first_failure_ends): it does
        row.measure = done.measure
    except (Exception, SystemExit) as err:  # a piece that cannot even run (a learner's)
        row.measure = Measure()
        row.measure.raised(err)
    row.seconds = time.perf_counter() - start
    return row


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "pass" if v else "FAIL"
    return f"{v:.1e}" if isinstance(v, float) else str(v)


def _detail(row):
    """What the row's last column says: why it failed, or its note (a control: its erratum)."""
    m = row.measure
    if m.not_run:
        return spoken(m.not_run)
    if row.skipped:
        return say(f"skipped_{m.failures[0].message}")
    if not row.passed or row.result == "ADVICE":
        return say("joined").join([*map(failure_text, m.failures[:2]),
                                   *map(spoken, m.notes[:1])])
    return (row.erratum or "") if row.wrong else say("joined").join(map(spoken, m.notes))


class Table:
    """The table, a line per row as soon as it is measured: the columns are as wide as the
    cases to come need (every figure fits in 8 characters), so nothing waits for the end."""

    def __init__(self, rows):
        self.widths = [max(len(COLUMNS[0]), *(len(r.case) for r in rows)),
                       max(5, *(len(r.dtype_name) for r in rows)), 6, 8, 8, 8, 8, 9, 8]

    def _line(self, cells):
        return "  ".join(f"{c:<{w}}" for c, w in zip(cells, self.widths)).rstrip()

    def header(self):
        return self._line(COLUMNS)

    def line(self, row):
        *cells, extra = row_cells(row)
        return self._line(cells) + (f"   {extra}" if extra else "")


def row_cells(row):
    """A row's cells as the table prints them, the detail last (the terminal's table and a
    notebook's HTML table both read these)."""
    return [row.case, row.dtype_name, row.device, *map(_fmt, (*row.shown("out"),
            *row.shown("grad"), row.measure.gradcheck)), row.result, _detail(row)]


def run_rows(rows, jobs=1, planned=None, show=True):
    """Run each row, printing its line in order as it finishes (above the progress bar on a
    terminal; ``show`` False: only the bar); returns the rows, measured. With ``jobs`` > 1
    and ``planned`` (the arguments of ``plan_rows`` that made ``rows``), the rows run in that
    many processes, each of which plans the same rows and runs those it is given by number."""
    if not rows:
        return rows
    table = Table(rows)
    bar = tqdm(total=len(rows), desc="checking", unit="row", leave=False,
               disable=None)  # terminals only
    if show:
        bar.write(table.header())
    for row in _measured(rows, jobs, planned):
        if show:
            bar.write(table.line(row))
        bar.update()
    bar.close()
    return rows


def _measured(rows, jobs, planned):
    if jobs < 2 or planned is None or len(rows) < 2:
        yield from map(run_row, rows)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    threads = max(1, torch.get_num_threads() // jobs)  # the cores shared out, not oversubscribed
    pool = ProcessPoolExecutor(jobs, multiprocessing.get_context("spawn"), initializer=_start,
                               initargs=(planned, threads))
    try:
        futures = [pool.submit(_run_numbered, k) for k in range(len(rows))]
        for row, future in zip(rows, futures):
            try:
                row.measure, row.seconds = future.result()
            except BrokenProcessPool:  # killed, or a crash in torch: no row may read as run
                raise HandgradError(f"a process running the rows died at {row.case} "
                                    f"({row.dtype_name}); the rows from there on did not "
                                    f"run (--jobs 1 runs them in this process)") from None
            yield row
    except BaseException:  # Ctrl-C (or a dead process): the rows in flight are not waited for
        for child in multiprocessing.active_children():
            child.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def plan_rows(only, dtypes, devs):
    """The rows ``handgrad check --only`` asks for, in order (the same in every process)."""
    from crosscheck.proof.records.registry import REGISTRY
    return list(plan(select(REGISTRY, only), dtypes, devs))


_PLANNED: list = []  # a worker process's rows


def _start(planned, threads):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to answer
    quiet()
    torch.set_num_threads(threads)
    _PLANNED.extend(plan_rows(*planned))


def _run_numbered(k):
    row = run_row(_PLANNED[k])
    return row.measure, row.seconds


def summary(rows):
    failed = [r for r in rows if not r.passed]
    skipped = sum(r.result == "SKIP" for r in rows)
    advice = sum(r.result == "ADVICE" for r in rows)
    negatives = [r for r in rows if r.wrong]
    # convention rows measure a difference on purpose, rows with a stated tolerance say why
    # they cannot reach 1e-12, and second derivatives are relative to their own (often tiny)
    # largest entry, as are Jacobians and Hessians: all are reported in their rows, not in
    # this first-order maximum
    f64 = [r for r in rows if r.dtype in (torch.float64, torch.complex128) and not r.wrong
           and r.entry.group not in ("convention", "gradgrad", "func") and not r.entry.why_tol]
    worst = {kind: max((r.errors(kind)[1] for r in f64 if r.errors(kind)[1] is not None),
                       default=None) for kind in ("out", "grad")}  # None: no row measured it
    return say("summary", rows=len(rows), passed=len(rows) - len(failed) - skipped - advice,
               failed=len(failed), skipped=(say("advice", n=advice) if advice else "")
               + (say("skipped", n=skipped) if skipped else ""),
               controls=len(negatives), rejected=sum(r.result == "REJECTED" for r in negatives),
               out=_fmt(worst["out"]), grad=_fmt(worst["grad"]), torch=which_torch())


def diagnoses(rows):
    """The diagnoses of a learner's failing cases (learner/diagnosis.py) as the text under
    the table: each case's heading, then its lines."""
    return "".join("\n" + say("case_heading", case=row.case, dtype=row.dtype_name,
                                   device=row.device) + "\n"
                   + "".join(f"  {line}\n" for line in lines(row.diagnosis))
                   for row in rows if row.diagnosis)

