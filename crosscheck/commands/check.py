"""``handgrad check``: run every registry entry and print the table of measured errors."""
import fnmatch
import json
import warnings

import torch
from tqdm import tqdm

from crosscheck.proof.diagnosis import diagnose, not_implemented
from crosscheck.proof.harness import Measure, devices, exact_float32
from torch_ref.errors import HandgradError

DTYPES = {"float64": torch.float64, "float32": torch.float32}
COLUMNS = ("case", "dtype", "device", "out abs", "out rel", "grad abs", "grad rel",
           "gradcheck", "result")


def _names(entry):
    """What --only matches: the case, its group, and the errata among its controls
    (an entry that proves a correction of the notes is also in the group 'errata')."""
    errata = [e.name for e in entry.errata]
    return [entry.name, entry.group, *errata, *(["errata"] if errata else [])]


def select(registry, only):
    if not only:
        return list(registry)
    pattern = only if any(c in only for c in "*?[") else f"*{only}*"
    chosen = [e for e in registry if any(fnmatch.fnmatch(n, pattern) for n in _names(e))]
    if not chosen:
        raise HandgradError(f"--only {only!r} matches no case; `handgrad check --list` lists them")
    return chosen


def plan(entries, dtypes, devs):
    """(entry, dtype, device, wrong name or None) for every row, negative controls included."""
    for e in entries:
        for device in devs:
            for dtype in (d for d in e.dtypes if d in dtypes):
                yield e, dtype, device, None
            if torch.float64 in dtypes and torch.float64 in e.dtypes:
                for name in e.wrong:
                    yield e, torch.float64, device, name


def run_row(entry, dtype, device, wrong_name):
    wrong = entry.wrong[wrong_name] if wrong_name else None
    try:
        m = entry.run(dtype, device, wrong)
    except Exception as err:  # a piece that cannot even run (a learner's, half written)
        m = Measure()
        m.fail(f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
    out, grad = m.errors.get("out", [None, None]), m.errors.get("grad", [None, None])
    if wrong_name:
        result = "REJECTED" if not m.ok else "ACCEPTED"
    else:
        result = "PASS" if m.ok else "TODO" if not_implemented(m) else "FAIL"
    return {
        "case": entry.name if not wrong_name else f"{entry.name} ! {wrong_name}",
        "group": entry.group, "section": entry.section, "negative_control": bool(wrong_name),
        "dtype": str(dtype).removeprefix("torch."), "device": device,
        "out_abs": out[0], "out_rel": out[1], "grad_abs": grad[0], "grad_rel": grad[1],
        "gradcheck": m.gradcheck, "result": result,
        "passed": (not m.ok) if wrong_name else m.ok,
        "detail": "; ".join(m.failures[:2] + m.notes[:1]), "note": "; ".join(m.notes),
        "why_tol": entry.why_tol,
        "erratum": wrong.erratum.name if wrong and wrong.erratum else None,
        "measure": m,
    }


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "pass" if v else "FAIL"
    return f"{v:.1e}" if isinstance(v, float) else str(v)


def print_table(rows):
    cells = [[_fmt(r[k]) for k in ("case", "dtype", "device", "out_abs", "out_rel",
                                   "grad_abs", "grad_rel", "gradcheck", "result")]
             for r in rows]
    widths = [max(len(c[i]) for c in cells + [list(COLUMNS)]) for i in range(len(COLUMNS))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*COLUMNS))
    for r, c in zip(rows, cells):
        extra = r["detail"] if not r["passed"] else (r["erratum"] or "" if r["negative_control"]
                                                     else r["note"])
        print(line.format(*c) + (f"   {extra}" if extra else ""))


def summary(rows):
    failed = [r for r in rows if not r["passed"]]
    negatives = [r for r in rows if r["negative_control"]]
    # convention rows measure a difference on purpose, and rows with a stated tolerance say
    # why they cannot reach 1e-12: both are reported in their rows, not in this maximum
    f64 = [r for r in rows if r["dtype"] == "float64" and not r["negative_control"]
           and r["group"] != "convention" and not r["why_tol"]]
    worst = {k: max((r[k] for r in f64 if r[k] is not None), default=0.0)
             for k in ("out_rel", "grad_rel")}
    return (f"{len(rows)} rows: {len(rows) - len(failed)} passed, {len(failed)} failed "
            f"({len(negatives)} negative controls, "
            f"{sum(r['result'] == 'REJECTED' for r in negatives)} rejected); "
            f"float64 max rel error: out {worst['out_rel']:.1e}, grad {worst['grad_rel']:.1e}")


def learner_entries(spec, registry):
    """The entries with the learner's pieces in place (``--with``); prints what matched
    nothing. Returns (entries, handgrad's entry by name)."""
    from crosscheck.proof import learner
    made, unmatched, originals = learner.entries(learner.load(spec), registry)
    if not made:
        names = ", ".join(sorted(learner.pieces(registry)))
        raise HandgradError(f"--with {spec}: no name in it is a piece handgrad checks; these "
                            f"are: {names} (or an autograd Function named after one)")
    if unmatched:
        print(f"not checked (no piece of that name): {', '.join(unmatched)}")
    return made, originals


def print_diagnoses(rows, entries, originals):
    """Under the table, for each failing case (its first failing row), what went wrong."""
    by_name, told = {e.name: e for e in entries}, set()
    for r in rows:
        if not r["passed"] and r["case"] not in told:
            told.add(r["case"])
            e = by_name[r["case"]]
            print(f"\n{r['case']} ({r['dtype']}, {r['device']}):")
            for line in diagnose(originals[e.name], e.manual, DTYPES[r["dtype"]], r["device"],
                                 r["measure"]):
                print(f"  {line}")


def run(args):
    from crosscheck.proof.registry import REGISTRY as registry
    if args.list:
        for e in registry:
            print(f"{e.name:<30} {e.group:<10} {e.section}")
        return 0
    dtypes = list(DTYPES.values()) if args.dtype == "all" else [DTYPES[args.dtype]]
    devs = devices() if args.device == "all" else [args.device]
    exact_float32()
    # torch's own note that its 'same' padding for even kernels copies the input
    warnings.filterwarnings("ignore", message="Using padding='same'")
    # and that initializing a Linear(0, n)'s empty weight does nothing (a registry config)
    warnings.filterwarnings("ignore", message="Initializing zero-element tensors")
    originals = None
    if args.with_:
        registry, originals = learner_entries(args.with_, registry)
    todo = list(plan(select(registry, args.only), dtypes, devs))
    bar = tqdm(todo, desc="checking", unit="row", leave=False, disable=None)  # terminals only
    rows = [run_row(*job) for job in bar]
    print_table(rows)
    print(summary(rows))
    if originals:
        print_diagnoses(rows, registry, originals)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{k: v for k, v in r.items() if k != "measure"} for r in rows], f,
                      indent=1)
    return 0 if all(r["passed"] for r in rows) else 1
