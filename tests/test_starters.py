"""Every starter works: `handgrad exercise NAME` with the part it leaves out filled in from
handgrad's own derivation passes the rows of `handgrad check --with` that decide its verdict
(the file as a learner has it, imports and all)."""
import ast
import inspect
import textwrap

import pytest

from crosscheck.cli import main
from crosscheck.commands.check import quiet
from crosscheck.commands.exercise import exercises
from crosscheck.proof import learner, learner_file
from crosscheck.proof.registry import REGISTRY
from crosscheck.rows import Table, plan, run_row

EXERCISES = exercises()


def _derived(entry):
    """handgrad's own code of the part the starter leaves out."""
    piece = entry.piece
    return {"backward": lambda: piece.function.backward, "update": lambda: entry.manual.update,
            "lr_at": lambda: entry.manual.lr_at, "body": lambda: entry.manual}[piece.leaves_out]()


def _body(function):
    """The statements of a function's body (its docstring left out), and the module-level
    names they use that its module defines or imports (a learner imports what they use)."""
    source = textwrap.dedent(inspect.getsource(function))
    node = ast.parse(source).body[0]
    body = node.body[1:] if isinstance(node.body[0], ast.Expr) and isinstance(
        node.body[0].value, ast.Constant) else node.body
    lines = source.splitlines()[body[0].lineno - 1:body[-1].end_lineno]
    module = inspect.getmodule(function)
    names = {n.id for stmt in body for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    return textwrap.dedent("\n".join(lines)), sorted(n for n in names if n in vars(module))


def filled(text, entry):
    """The starter with handgrad's own derivation where it says to derive."""
    code, names = _body(_derived(entry))
    lines = text.splitlines()
    k = next(i for i, line in enumerate(lines) if 'raise NotImplementedError("derive' in line)
    indent = lines[k][:len(lines[k]) - len(lines[k].lstrip())]
    module = inspect.getmodule(_derived(entry))
    tree = ast.parse(text)
    bound = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, (ast.Import,
             ast.ImportFrom)) for a in n.names} | {n.name for n in tree.body if isinstance(
             n, (ast.ClassDef, ast.FunctionDef))}
    helpers = [f"import {n}" if inspect.ismodule(vars(module)[n])
               else f"from {module.__name__} import {n}" for n in names if n not in bound]
    return "\n".join(lines[:k] + textwrap.indent(code, indent).splitlines() + lines[k + 1:]
                     + helpers) + "\n"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_each_starter_filled_in_with_handgrads_derivation_passes(name, tmp_path):
    """The rows that decide the verdict, as ``check --with`` runs them (without the advice
    rows beyond the exercise, which would take minutes over every starter)."""
    path = tmp_path / f"{name}_exercise.py"
    assert main(["exercise", name, "--out", str(path)]) == 0
    path.write_text(filled(path.read_text(), EXERCISES[name]))
    quiet()
    made, unmatched = learner.cases(learner_file.load(str(path)), REGISTRY)
    assert made and not unmatched  # the starter's own helpers are not pieces
    rows = [run_row(r) for r in plan([c.entry for c in made], None, ["cpu"],
                                     {id(c.entry): c.original for c in made})]
    table = Table(rows)
    assert all(r.passed and r.result in ("PASS", "SKIP") for r in rows), \
        "\n".join(map(table.line, rows))
