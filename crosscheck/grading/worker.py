"""One submission, graded: the grader's process (a fork of ``handgrad grade``'s warm
server) starts the submission's sandbox (sandbox.py), stands its objects in for handgrad's
pieces (standins.py), and runs every check itself, writing each piece's result as a line of
JSON as soon as it is done. The submission's code runs only in the sandbox, which cannot
reach this process, its files or the results: what the sandbox sends back are values, which
the checks here compare.

The lines: {"event": "loaded", ...} or {"event": "error", "message": ...} (a file that
cannot be loaded: one line, as ``check --with`` says it); then {"event": "start", "piece":
...} and {"event": "piece", ...} per piece; then {"event": "done"}, or {"event": "gone",
"why": ..., "status": ..., "last": ...} where the sandbox ended before (a time limit, a
crash, an answer that was not data).
"""
import json
import tempfile
import time
from pathlib import Path

import torch

from crosscheck.grading import handmade, standins
from crosscheck.grading.hidden import hidden_cases
from crosscheck.grading.sandbox import Raised, Sandbox, SandboxGone, printable
from crosscheck.grading.score import score_piece
from crosscheck.learner import loading, matching, notebook
from crosscheck.learner.diagnosis import diagnose_rows
from crosscheck.messages import say, use
from crosscheck.proof.checks.harness import FAST_GRADCHECK, quiet
from crosscheck.proof.checks.torch_suite import MODULES
from crosscheck.rows import Table, diagnoses, plan, run_row
from crosscheck.sandboxed.load import module_name
from torch_ref.errors import HandgradError

MOST_SOURCE = 1 << 20  # bytes of Python a submission may hand in, all files together


class LoadError(HandgradError):
    """A submission's file that does not load: its line names the file."""


def files(submission):
    """A submission's files: the file, or every .py file and notebook under the folder
    (not Jupyter's own checkpoints)."""
    path = Path(submission)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in notebook.SUFFIXES
                      and not {"__pycache__", ".ipynb_checkpoints"} & set(p.parts)
                      and p.is_file() and not p.is_symlink())
    return [path]


def copied(submission, into):
    """The submission's own copy, in ``into`` (what its sandbox sees): its .py files, and
    its notebooks as the Python they hold (notebook.py), relative paths kept; [their
    relative paths], and {a notebook's relative path: its places}."""
    top, names, size, places = Path(submission).parent, [], 0, {}
    into.chmod(0o755)  # readable to the sandbox's unprivileged user, writable to none
    for path in files(submission):
        relative = path.relative_to(top)
        size += path.stat().st_size
        if size > MOST_SOURCE:
            raise HandgradError(say("grade_too_big", most=MOST_SOURCE >> 10))
        (into / relative).parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        try:
            places[str(relative)] = notebook.write(path, into / relative)
        except HandgradError as err:  # a notebook that is none: its line names it
            raise LoadError(str(err)) from None
        (into / relative).chmod(0o644)
        names.append(relative)
    return names, places


def load(modules, registry):
    """({piece: (its file, its cases)} for every piece the submission defines, in the
    registry's order; the names that matched nothing, and a piece defined in two files, said
    so), from its [(file shown, module)]. A piece defined in two files is taken from the
    first."""
    by_piece, unmatched = {}, []
    for shown, module in modules:
        cases, names = matching.cases(module, registry)
        unmatched += names
        for case in cases:
            piece = case.original.piece.name
            if by_piece.setdefault(piece, (shown, []))[0] == shown:
                by_piece[piece][1].append(case)
            elif case.original is by_piece[piece][1][0].original:  # once per piece
                unmatched.append(say("defined_twice", piece=piece, first=by_piece[piece][0],
                                     second=shown))
    if not by_piece:
        raise HandgradError(say("grade_nothing", names=", ".join(unmatched) or say("no_names")))
    order = list(matching.pieces(registry))
    return {piece: by_piece[piece] for piece in sorted(by_piece, key=order.index)}, unmatched


def sandboxed(sandbox, names, places):
    """The submission's files as stand-in modules [(file shown, module)]; a one-line error
    for the first that does not load (``places``: the notebooks', for the line)."""
    try:
        loaded = sandbox.ask("load", files=[f"{sandbox.root}/{n}" for n in names])
    except Raised as r:  # what no file's load should raise (a BaseException of its own)
        raise LoadError(loading.said(_fault({"kind": "raised", "error":
                                                      f"{r.kind}: {r.text}"}),
                                              str(names[0]), str(names[0]))) from None
    if not (isinstance(loaded, list) and len(loaded) == len(names)
            and all(isinstance(found, dict) for found in loaded)):
        sandbox.gone("garbled")
    modules = []
    for i, (name, found) in enumerate(zip(names, loaded)):
        if "fault" in found:
            raise LoadError(loading.said(_fault(found["fault"]), str(name), str(name),
                                         places.get(str(name))))
        described = found.get("names")
        if not isinstance(described, dict):
            sandbox.gone("garbled")
        modules.append((str(name), standins.module(sandbox, i, module_name(name, i),
                                                   described)))
    return modules


def _fault(data):
    """A Fault's data from the sandbox, its fields as loading.said reads them."""
    data = data if isinstance(data, dict) else {}
    text = {k: printable(data.get(k) or "", 300) for k in ("kind", "error", "name", "call")}
    line, code = data.get("line"), data.get("code")
    return {**text, "line": line if isinstance(line, int) else 0,
            "code": code if isinstance(code, int) else None}


def grade_piece(piece, cases, found, seed):
    """The piece's rows run (on the CPU: ours, torch's and the hidden samples) and graded;
    ``found``: the built-ins the piece was found to call (it then earns nothing)."""
    originals = {id(c.entry): c.original for c in cases}
    hidden = hidden_cases(cases, seed)
    originals.update({id(c.entry): c.original for c in hidden})
    entries = [c.entry for c in cases + hidden]
    rows = [run_row(r) for r in plan(entries, None, ["cpu"], originals)]
    diagnose_rows(rows)
    return graded(piece, rows, found)


def graded(piece, rows, found=()):
    """A piece's measured and diagnosed rows as the record the grade keeps: its checks and
    slip, and its feedback, the table and the diagnoses a learner sees."""
    table = Table(rows)
    said = "".join(f"\n{handmade.said(f)}" for f in found)
    feedback = "\n".join([table.header(), *map(table.line, rows)]) + "\n" + diagnoses(rows)
    return {**score_piece(piece, rows, found).record(), "feedback": feedback.rstrip() + said}


# what the fork server imports once, before any submission: handgrad's checks (this
# module) and torch's test suite, in that order: this module sets the float32 flags first,
# since torch's test suite, once imported, refuses to let them change
PRELOAD = [__name__, MODULES["op_db"]]
quiet()
# and what torch imports the first time an optimizer is made (its compiler, to keep it
# away): once here, not in every grading process
torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))])


def grade(submission, out_path, lang, limits, bwrap, seed, slot):
    """Grade ``submission`` into the event file ``out_path``: its sandbox runs its code,
    this process everything else. A submission is limited by ``limits`` (sandbox.Limits)."""
    use(lang)
    torch.set_num_threads(1)  # submissions run side by side, one core each
    FAST_GRADCHECK.set(True)  # a call of the piece is a request: a few, not one per element
    from crosscheck.proof.records.registry import REGISTRY
    deadline = time.monotonic() + limits.seconds
    with open(out_path, "a") as out, tempfile.TemporaryDirectory() as folder:
        def write(**record):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
        sandbox = None
        try:
            names, places = copied(submission, Path(folder))
            sandbox = Sandbox(folder, limits, bwrap, deadline, slot)
            modules = sandboxed(sandbox, names, places)
            pieces, unmatched = load(modules, REGISTRY)
            found = handmade.scan(Path(folder), names, {
                piece: (cases[0].name, file, cases[0].original)
                for piece, (file, cases) in pieces.items()}, places)
            write(event="loaded", pieces=list(pieces), unmatched=unmatched,
                  note=say("not_checked", names=", ".join(unmatched)) if unmatched else "")
            for piece, (_, cases) in pieces.items():
                write(event="start", piece=piece)
                write(event="piece", **grade_piece(piece, cases, found.get(piece, ()), seed))
            write(event="done")
        except HandgradError as err:
            write(event="error", message=str(err), names_it=isinstance(err, LoadError))
        except SandboxGone as gone:
            write(event="gone", why=gone.why, status=gone.status, last=gone.last)
        finally:
            if sandbox is not None:
                sandbox.close()
                printed = printable(sandbox.printed.decode(errors="replace"), len(sandbox.printed))
                Path(out_path).with_name("printed.txt").write_text(
                    say("grade_printed", bytes=sandbox.printed_bytes, kept=len(printed))
                    + "\n" + printed)
