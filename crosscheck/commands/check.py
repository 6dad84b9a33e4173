"""``handgrad check``: run every registry entry and print the table of measured errors."""
import fnmatch
import json
import warnings
from dataclasses import dataclass

import torch
from tqdm import tqdm

from crosscheck.proof.diagnosis import diagnose, not_implemented
from crosscheck.proof.entry import Entry
from crosscheck.proof.harness import devices, exact_float32
from crosscheck.proof.measure import Enough, Measure
from torch_ref.errors import HandgradError

FAILURES_IN_JSON = 20  # per row: a wrong version may fail every step of every configuration
COLUMNS = ("case", "dtype", "device", "out abs", "out rel", "grad abs", "grad rel",
           "gradcheck", "result")


@dataclass
class Row:
    """One line of the table: an entry (or one of its negative controls, ``wrong``) on one
    dtype and device, what was measured, and for a learner's piece handgrad's own entry."""

    entry: Entry
    dtype: torch.dtype
    device: str
    wrong: str = None
    measure: Measure = None
    original: Entry = None

    @property
    def case(self):
        return self.entry.name if not self.wrong else f"{self.entry.name} ! {self.wrong}"

    @property
    def result(self):
        ok = self.measure.ok
        if self.wrong:
            return "ACCEPTED" if ok else "REJECTED"
        return "PASS" if ok else "TODO" if not_implemented(self.measure) else "FAIL"

    @property
    def passed(self):
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
                "negative_control": bool(self.wrong), "dtype": str(self.dtype)[6:],
                "device": self.device, "out_abs": self.errors("out")[0],
                "out_rel": self.errors("out")[1], "grad_abs": self.errors("grad")[0],
                "grad_rel": self.errors("grad")[1], "gradcheck": m.gradcheck,
                "result": self.result, "passed": self.passed, "erratum": self.erratum,
                "why_tol": e.why_tol, "notes": m.notes, "counts": m.counts,
                "failures": [f.record() for f in m.failures[:FAILURES_IN_JSON]],
                "failure_count": len(m.failures)}


def _names(entry):
    """What --only matches: the case, its group, 'convention' for a measured convention,
    and the errata among its controls (an entry that proves a correction of the notes is
    also in the group 'errata')."""
    errata = [e.name for e in entry.errata]
    return [entry.name, entry.group, *(["convention"] if entry.convention else []), *errata,
            *(["errata"] if errata else [])]


def select(registry, only):
    if not only:
        return list(registry)
    pattern = only if any(c in only for c in "*?[") else f"*{only}*"
    chosen = [e for e in registry if any(fnmatch.fnmatch(n, pattern) for n in _names(e))]
    if not chosen:
        raise HandgradError(f"--only {only!r} matches no case; `handgrad check --list` lists them")
    return chosen


def plan(entries, dtypes, devs, originals=None):
    """A Row for every entry, dtype and device (``dtypes`` None: every dtype), and for each
    negative control in the entry's first dtype."""
    originals = originals or {}
    for e in entries:
        for device in devs:
            for dtype in (d for d in e.dtypes if dtypes is None or d in dtypes):
                yield Row(e, dtype, device, original=originals.get(id(e)))
            if dtypes is None or e.dtypes[0] in dtypes:
                for name in e.wrong:
                    yield Row(e, e.dtypes[0], device, name)


def run_row(row):
    wrong = row.entry.wrong[row.wrong] if row.wrong else None
    try:
        row.measure = row.entry.run(row.dtype, row.device, wrong)
    except Enough as done:  # asked only whether it fails (first_failure_ends): it does
        row.measure = done.measure
    except (Exception, SystemExit) as err:  # a piece that cannot even run (a learner's)
        row.measure = Measure()
        row.measure.raised(err)
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
    if not row.passed:
        return "; ".join([f.text for f in m.failures[:2]] + m.notes[:1])
    return (row.erratum or "") if row.wrong else "; ".join(m.notes)


def print_table(rows):
    cells = [[row.case, str(row.dtype)[6:], row.device, *map(_fmt, (*row.shown("out"),
             *row.shown("grad"), row.measure.gradcheck)), row.result] for row in rows]
    widths = [max(len(c[i]) for c in cells + [list(COLUMNS)]) for i in range(len(COLUMNS))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*COLUMNS))
    for row, c in zip(rows, cells):
        extra = _detail(row)
        print(line.format(*c) + (f"   {extra}" if extra else ""))


def summary(rows):
    failed = [r for r in rows if not r.passed]
    negatives = [r for r in rows if r.wrong]
    # convention rows measure a difference on purpose, and rows with a stated tolerance say
    # why they cannot reach 1e-12: both are reported in their rows, not in this maximum
    f64 = [r for r in rows if r.dtype in (torch.float64, torch.complex128) and not r.wrong
           and r.entry.group != "convention" and not r.entry.why_tol]
    worst = {kind: max((r.errors(kind)[1] for r in f64 if r.errors(kind)[1] is not None),
                       default=0.0) for kind in ("out", "grad")}
    return (f"{len(rows)} rows: {len(rows) - len(failed)} passed, {len(failed)} failed "
            f"({len(negatives)} negative controls, "
            f"{sum(r.result == 'REJECTED' for r in negatives)} rejected); "
            f"float64 max rel error: out {worst['out']:.1e}, grad {worst['grad']:.1e}")


def learner_cases(spec, registry):
    """The entries with the learner's pieces in place (``--with``), and handgrad's own entry
    of each by id; prints what matched nothing."""
    from crosscheck.proof import learner
    made, unmatched = learner.cases(learner.load(spec), registry)
    if not made:
        names = ", ".join(sorted(learner.pieces(registry)))
        raise HandgradError(f"--with {spec}: no name in it is a piece handgrad checks; these "
                            f"are: {names} (or an autograd Function named after one)")
    if unmatched:
        print(f"not checked (no piece of that name): {', '.join(unmatched)}")
    return [c.entry for c in made], {id(c.entry): c.original for c in made}


def print_diagnoses(rows):
    """Under the table, for each failing case of a learner's (its first failing row), what
    went wrong."""
    told = set()
    for row in rows:
        if row.passed or row.original is None or row.case in told:
            continue
        told.add(row.case)
        print(f"\n{row.case} ({str(row.dtype)[6:]}, {row.device}):")
        for line in diagnose(row.original, row.entry.manual, row.dtype, row.device, row.measure):
            print(f"  {line}")


def run(args):
    from crosscheck.proof.registry import REGISTRY as registry
    if args.list:
        for e in registry:
            print(f"{e.name:<30} {e.group:<10} {e.section}")
        return 0
    dtypes = None if args.dtype == "all" else [getattr(torch, args.dtype)]
    devs = devices() if args.device == "all" else [args.device]
    exact_float32()
    # torch's own note that its 'same' padding for even kernels copies the input
    warnings.filterwarnings("ignore", message="Using padding='same'")
    # and that initializing a Linear(0, n)'s empty weight does nothing (a registry config),
    # and that softmax's dtype= casts a complex sample to a real dtype (torch's own sample)
    for note in ("Initializing zero-element tensors", "Casting complex values to real"):
        warnings.filterwarnings("ignore", message=note)
    originals = None
    if args.with_:
        registry, originals = learner_cases(args.with_, registry)
    todo = list(plan(select(registry, args.only), dtypes, devs, originals))
    bar = tqdm(todo, desc="checking", unit="row", leave=False, disable=None)  # terminals only
    rows = [run_row(row) for row in bar]
    print_table(rows)
    print(summary(rows))
    print_diagnoses(rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([row.record() for row in rows], f, indent=1)
    return 0 if all(r.passed for r in rows) else 1
