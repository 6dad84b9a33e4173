"""One submission, graded in a process of its own (``handgrad grade`` starts one per
submission, with a time and a memory limit): its pieces checked one by one, each written as
a line of JSON as soon as it is done, so that whatever finished before a loop, a crash or
an exit is kept.

    python -m crosscheck.grading.worker SUBMISSION OUT.jsonl [--lang en|zh] [--memory-gb G]

The lines: {"event": "loaded", "pieces": [...], "unmatched": [...]} or {"event": "error",
"message": ...} (a file that cannot be loaded: one line, as ``check --with`` says it);
then {"event": "start", "piece": ...} and {"event": "piece", ...} per piece, the piece's
checks and its feedback; then {"event": "done"}.
"""
import argparse
import contextlib
import io
import json
import resource
import sys
from pathlib import Path

import torch

from crosscheck.commands.check import quiet
from crosscheck.grading.score import score_piece
from crosscheck.messages import say, use
from crosscheck.proof import learner, learner_file
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
    the names that matched nothing). A piece defined in two files is taken from the first
    by name."""
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


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("submission")
    parser.add_argument("out")
    parser.add_argument("--lang", choices=["en", "zh"])
    parser.add_argument("--memory-gb", type=float, default=2.0)
    args = parser.parse_args(argv)
    # at most this much data (heap and private mappings), set before the submission loads:
    # an allocation beyond it fails inside the submission (MemoryError, or torch's
    # allocation error) and is that piece's failure, not the machine's
    limit = int(args.memory_gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    use(args.lang)
    quiet()
    torch.set_num_threads(1)  # submissions run side by side, one core each
    from crosscheck.proof.registry import REGISTRY
    with open(args.out, "a") as out:
        def write(**record):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
        try:
            pieces, unmatched = load(args.submission, REGISTRY)
        except HandgradError as err:
            write(event="error", message=str(err))
            return 0
        write(event="loaded", pieces=list(pieces), unmatched=unmatched,
              note=say("not_checked", names=", ".join(unmatched)) if unmatched else "")
        for piece, cases in pieces.items():
            write(event="start", piece=piece)
            write(event="piece", **grade_piece(piece, cases))
        write(event="done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
