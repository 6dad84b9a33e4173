"""Every starter works: `handgrad exercise NAME` with the part it leaves out filled in from
handgrad's own derivation passes the rows of `handgrad check --with` that decide its verdict
(the file as a learner has it, imports and all), and calls nothing it is to derive."""
import ast
import inspect
import textwrap

import pytest

from crosscheck.cli import main
from crosscheck.commands.exercise import exercises, whole
from crosscheck.grading import handmade
from crosscheck.learner import loading, matching
from crosscheck.proof.checks.harness import quiet
from crosscheck.proof.records.registry import REGISTRY
from crosscheck.rows import Table, plan, run_row

EXERCISES = exercises()


def _derived(entry):
    """handgrad's own code of the part the starter leaves out."""
    piece = entry.piece
    return {"backward": lambda: piece.function.backward, "update": lambda: entry.manual.update,
            "lr_at": lambda: entry.manual.lr_at, "body": lambda: entry.manual}[piece.leaves_out]()


def _body(function):
    """The statements of a function's body (its docstring left out)."""
    source = textwrap.dedent(inspect.getsource(function))
    node = ast.parse(source).body[0]
    body = node.body[1:] if isinstance(node.body[0], ast.Expr) and isinstance(
        node.body[0].value, ast.Constant) else node.body
    lines = source.splitlines()[body[0].lineno - 1:body[-1].end_lineno]
    return textwrap.dedent("\n".join(lines))


def filled(text, entry):
    """The starter with handgrad's own derivation where it says to derive, and the helpers
    that derivation calls copied in (as a learner writes their own)."""
    code = _body(_derived(entry))
    lines = text.splitlines()
    k = next(i for i, line in enumerate(lines) if 'raise NotImplementedError("derive' in line)
    indent = lines[k][:len(lines[k]) - len(lines[k].lstrip())]
    done = "\n".join(lines[:k] + textwrap.indent(code, indent).splitlines() + lines[k + 1:])
    return whole(done, inspect.getmodule(_derived(entry)))


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_each_starter_filled_in_with_handgrads_derivation_passes(name, tmp_path):
    """The rows that decide the verdict, as ``check --with`` runs them (without the advice
    rows beyond the exercise, which would take minutes over every starter)."""
    path = tmp_path / f"{name}_exercise.py"
    assert main(["exercise", name, "--out", str(path)]) == 0
    path.write_text(filled(path.read_text(), EXERCISES[name]))
    quiet()
    made, unmatched = matching.cases(loading.load(str(path)), REGISTRY)
    assert made and not unmatched  # the starter's own helpers are not pieces
    made = [c for c in made if c.original.piece.name == name]  # not the helpers copied in
    calls = handmade.scan(tmp_path, [path.name], {name: (made[0].name, path.name,
                                                         made[0].original)})
    # derived by hand: it calls no built-in it derives, asks autograd for nothing, hides no
    # call (handgrad's own helpers the filling borrows, a learner writes themselves)
    assert not [c for c in calls.get(name, []) if c.why != "handgrad"], calls
    rows = [run_row(r) for r in plan([c.entry for c in made], None, ["cpu"],
                                     {id(c.entry): c.original for c in made})]
    table = Table(rows)
    assert all(r.passed and r.result in ("PASS", "SKIP") for r in rows), \
        "\n".join(map(table.line, rows))
