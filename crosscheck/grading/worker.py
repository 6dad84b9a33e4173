"""One submission, graded in a process of its own (``handgrad grade`` starts one per
submission, with a time and a memory limit): its pieces checked one by one, each written as
a line of JSON as soon as it is done, so that whatever finished before a loop, a crash or
an exit is kept.

The process is a fork of a server that has imported torch, handgrad and torch's test
suite once (``handgrad grade`` starts it): a submission starts in a fraction of a second
instead of the five that importing them takes.

The lines: {"event": "loaded", "pieces": [...], "unmatched": [...]} or {"event": "error",
"message": ...} (a file that cannot be loaded: one line, as ``check --with`` says it);
then {"event": "start", "piece": ...} and {"event": "piece", ...} per piece, the piece's
checks and its feedback; then {"event": "done"}.
"""
import contextlib
import io
import json
import os
import resource
from pathlib import Path

import torch

from crosscheck.commands.check import quiet
from crosscheck.grading.score import score_piece
from crosscheck.messages import say, use
from crosscheck.proof import learner, learner_file
from crosscheck.proof.torch_suite import MODULES
from crosscheck.rows import Table, plan, print_diagnoses, run_row
from torch_ref.errors import HandgradError


def files(submission):
    """A submission's Python files: the file, or every .py file under the folder."""
    path = Path(submission)
    if path.is_dir():
        return sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
    return [path]


def load(submission, registry):
    """(the cases of every piece the submission defines, by piece in the registry's order;
    the names that matched nothing, and a piece defined in two files, said so). A piece
    defined in two files is taken from the first by name."""
    by_piece, unmatched = {}, []
    top = Path(submission).parent
    for path in files(submission):
        module = learner_file.load(str(path), shown=str(path.relative_to(top)))
        cases, names = learner.cases(module, registry)
        unmatched += names
        for case in cases:
            piece = case.original.piece.name
            if by_piece.setdefault(piece, (path, []))[0] == path:
                by_piece[piece][1].append(case)
            elif case.original is by_piece[piece][1][0].original:  # once per piece
                unmatched.append(say("defined_twice", piece=piece,
                                     first=by_piece[piece][0].relative_to(top),
                                     second=path.relative_to(top)))
    if not by_piece:
        raise HandgradError(say("grade_nothing", names=", ".join(unmatched) or say("no_names")))
    order = list(learner.pieces(registry))
    return ({piece: by_piece[piece][1] for piece in sorted(by_piece, key=order.index)},
            unmatched)


def grade_piece(piece, cases):
    """The piece's rows run (on the CPU) and graded."""
    originals = {id(c.entry): c.original for c in cases}
    return graded(piece, [run_row(r) for r in plan([c.entry for c in cases], None, ["cpu"],
                                                     originals)])


def graded(piece, rows):
    """A piece's measured rows as the record the grade keeps: its checks and slip, and its
    feedback, the table and the diagnoses a learner sees."""
    table = Table(rows)
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        print_diagnoses(rows)
    feedback = "\n".join([table.header(), *map(table.line, rows)]) + "\n" + shown.getvalue()
    return {**score_piece(piece, rows).record(), "feedback": feedback.rstrip()}


# what the fork server imports once, before any submission: handgrad's checks (this
# module) and torch's test suite, in that order: this module sets the float32 flags first,
# since torch's test suite, once imported, refuses to let them change
PRELOAD = [__name__, MODULES["op_db"]]
quiet()


def child(submission, out, lang, memory_gb, stderr):
    """A submission's process: a session of its own (the time limit ends it and anything it
    starts), its output to ``stderr``, a memory limit, then the grading. (multiprocessing
    ends the process without Python's teardown: every line is written and flushed.)"""
    os.setsid()
    with open(stderr, "w") as err:
        os.dup2(err.fileno(), 2)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    # at most this much data (heap and private mappings), set before the submission loads:
    # an allocation beyond it fails inside the submission (MemoryError, or torch's
    # allocation error) and is that piece's failure, not the machine's
    limit = int(memory_gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    grade(submission, out, lang)


def grade(submission, out_path, lang):
    use(lang)
    torch.set_num_threads(1)  # submissions run side by side, one core each
    from crosscheck.proof.registry import REGISTRY
    with open(out_path, "a") as out:
        def write(**record):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
        try:
            pieces, unmatched = load(submission, REGISTRY)
        except HandgradError as err:
            write(event="error", message=str(err))
            return
        write(event="loaded", pieces=list(pieces), unmatched=unmatched,
              note=say("not_checked", names=", ".join(unmatched)) if unmatched else "")
        for piece, cases in pieces.items():
            write(event="start", piece=piece)
            write(event="piece", **grade_piece(piece, cases))
        write(event="done")
