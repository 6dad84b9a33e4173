"""``handgrad exercise NAME``: a starter file for deriving one piece yourself.

What a starter holds is read from the piece's record (``Piece.leaves_out``): for an op, its
autograd Function with the forward written out (as in manual/) and the backward left as
``raise NotImplementedError``, and the function torch's name calls; for an optimizer, a
subclass of the manual one whose ``update`` is left to write, under the class's pseudocode
and its state keys; for the warm-up, its ``lr_at`` under the closed form; for a plain
function (the least-squares fits, back propagation, the neuron), its signature and
docstring. The header says what to derive, the notes' section it comes from, and the
command that checks it. The modules (Linear, Conv2d) have none: they call linear and
conv2d, which do.
"""
import ast
import inspect
import io
import symtable
import sys
import textwrap
import tokenize
from pathlib import Path
from shlex import quote

from crosscheck.learner import matching, notebook
from crosscheck.messages import chosen, say, use
from torch_ref.errors import HandgradError

WHAT = {"backward": "what_backward", "update": "what_update", "lr_at": "what_lr_at"}


def exercises():
    """Name -> the first entry of every piece with something to derive."""
    from crosscheck.proof.records.registry import REGISTRY
    return {name: entries[0] for name, entries in matching.pieces(REGISTRY).items()
            if entries[0].piece.leaves_out}


def _docstring(text, indent):
    return textwrap.indent(f'"""{text}\n"""', " " * indent)


def _plain(name, piece):
    """A function's signature and docstring, its body to write."""
    return (f"import torch  # noqa: F401\n\n\ndef {name}{inspect.signature(piece)}:\n"
            f"{_docstring(inspect.getdoc(piece) or '', 4)}\n"
            f'    raise NotImplementedError("{say("todo_body", name=name)}")\n')


def _optimizer(cls, state_keys):
    """The manual optimizer with update() to write under its pseudocode."""
    hint = say("hint_update", state_keys=", ".join(state_keys))
    return whole(_left_out(inspect.getsource(cls), "update", hint,
                            say("todo_update", name=cls.__name__)), inspect.getmodule(cls))


def _schedule(cls):
    return whole(_left_out(inspect.getsource(cls), "lr_at", "", say("todo_lr_at")),
                  inspect.getmodule(cls))


def _left_out(cls_source, method, hint, todo, drop=()):
    """The class's source with ``method``'s body (but its docstring) replaced by a
    NotImplementedError(todo) under ``hint``, and without the methods in ``drop``."""
    tree = ast.parse(textwrap.dedent(cls_source))
    methods = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    lines = textwrap.dedent(cls_source).splitlines()
    for name in drop:  # from its decorator and the blank line above it to its end
        if name in methods:
            del lines[methods[name].decorator_list[0].lineno - 2:methods[name].end_lineno]
            tree = ast.parse("\n".join(lines))
            methods = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    body = methods[method].body
    kept = 1 if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
        and len(body) > 1 else 0  # its docstring
    indent = " " * body[0].col_offset
    todo = [*textwrap.indent(hint, indent).splitlines(),
            f'{indent}raise NotImplementedError("{todo}")']
    start = body[kept].lineno - 1 if kept < len(body) else body[-1].end_lineno
    return "\n".join(lines[:start] + todo + lines[methods[method].end_lineno:])


# first in every starter: the copied code's annotations (torch.Tensor | None) are then read
# as text, as in handgrad, on every Python the range takes (3.9 cannot evaluate them)
FUTURE = "from __future__ import annotations"


def whole(code, module):
    """``code`` with what it needs before it, so that it runs alone: imports of the modules
    and of torch's names it uses, then the source of handgrad's helpers it uses, each
    before what uses it (a starter copies them: it imports nothing of handgrad's)."""
    code = code.replace(FUTURE + "\n", "", 1)  # (once more, filled in: it goes first again)
    imports, sources = set(), []
    seen = {"Function", "torch", *(n for node in ast.parse(code).body for n in _names(node))}

    def need(text, owner):
        tree = ast.parse(text)
        used = _globals(symtable.symtable(text, "<starter>", "exec"))
        defined = {name for node in tree.body for name in _names(node)}
        for name in sorted(used - defined):
            obj = vars(owner).get(name)
            if obj is None or name in seen:  # seen: maybe while this loop ran
                continue
            seen.add(name)
            home = getattr(obj, "__module__", None) or ""
            if inspect.ismodule(obj):
                imports.add(f"import {obj.__name__}" + ("" if obj.__name__ == name
                                                        else f" as {name}"))
            elif callable(obj) and home.split(".")[0] != "manual":
                imports.add(f"from {home} import {name}")  # torch's
            elif callable(obj):
                source = textwrap.dedent(inspect.getsource(obj))
                need(source, inspect.getmodule(obj))
                sources.append(source)
            else:  # a constant of handgrad's
                home, source = _assignment(name)
                seen.update(_names(ast.parse(source).body[0]))
                need(source, home)
                sources.append(source)
    need(code, module)
    plain = sorted(i for i in imports if i.startswith("import "))
    head = [FUTURE, "", *plain, *[""] * bool(plain),
            "import torch  # noqa: F401", "from torch.autograd import Function  # noqa: F401",
            *sorted(i for i in imports if i.startswith("from "))]
    text = "\n".join(head) + "\n\n\n" + "".join(s + "\n\n" for s in sources) + code + "\n"
    return _private(text, [n for source in sources for node in ast.parse(source).body
                           for n in _names(node)])


def _private(text, helpers):
    """``text`` with each copied helper that a check would take for a piece of its own
    (Im2col in conv2d's starter: im2col) renamed _given_Im2col: the starter's one piece is
    its exercise."""
    from crosscheck.proof.records.registry import REGISTRY
    names = {n for n in helpers if not n.startswith("_") and matching.names_a_piece(n, REGISTRY)}
    lines = text.splitlines(keepends=True)
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    for before, token in reversed(list(zip([None, *tokens], tokens))):  # last first: the
        #                                                           columns before stay put
        if (token.type == tokenize.NAME and token.string in names
                and not (before is not None and before.string == ".")):
            row, col = token.start
            lines[row - 1] = lines[row - 1][:col] + "_given_" + lines[row - 1][col:]
    return "".join(lines)


def _globals(table):
    """The global names a piece of code reads (not its locals and parameters)."""
    found = {s.get_name() for s in table.get_symbols()
             if s.is_global() or (table.get_type() == "module" and s.is_referenced())}
    return found.union(*(_globals(child) for child in table.get_children()))


def _names(node):
    if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return []


def _assignment(name):
    """(the module, the source) of the module-level constant ``name = ...`` of manual/."""
    for module in [m for key, m in sorted(sys.modules.items()) if key.split(".")[0] == "manual"]:
        source = inspect.getsource(module)
        node = next((n for n in ast.parse(source).body if name in _names(n)), None)
        if node is not None:
            return module, ast.get_source_segment(source, node) + "\n"
    raise LookupError(name)


def _op(op, function):
    """The Function without its backward (nor jvp), and the op that applies it."""
    code = (_left_out(inspect.getsource(function), "backward", say("hint_backward"),
                      say("todo_backward"), drop=("jvp",)) + "\n\n\n" + inspect.getsource(op))
    return whole(code, inspect.getmodule(op))


def starter(entry, path):
    """The starter file: what to do as its docstring, then the code to complete."""
    header, body = _parts(entry, path)
    return '"""' + "\n".join(header) + '\n"""\n' + body


def starter_notebook(entry, path):
    """The starter as a notebook: what to do, the code to complete, and a cell that checks
    what the notebook defines (and is skipped where the notebook is graded: there it is
    run as a module, not as __main__)."""
    header, body = _parts(entry, path)
    title, *rest = header
    check = "\n".join([f"# {say('exercise_cell_check')}",
                       f'if __name__ == "__main__":  # {say("exercise_cell_graded")}',
                       "    import handgrad", "",
                       f'    display(handgrad.check(lang="{chosen()}"))  # noqa: F821'])
    return notebook.written([("markdown", "\n".join([f"# {title}", *rest])),
                             ("code", body.rstrip("\n")),
                             ("markdown", say("exercise_run_check")), ("code", check)])


def _parts(entry, path):
    """(the lines that say what to derive and how to check it, the code to complete)"""
    piece, name = entry.piece, entry.piece.name
    if piece.leaves_out == "update":
        body = _optimizer(entry.manual, piece.state_keys)
        task = "\n".join([say("exercise_update"), say("exercise_verdict")])
    elif piece.leaves_out == "lr_at":
        body, task = _schedule(entry.manual), say("exercise_lr_at")
    elif piece.leaves_out == "body":
        body, task = _plain(name, entry.manual), say("exercise_body", name=name)
    else:
        body = _op(entry.manual, piece.function)
        task = "\n".join([say("exercise_backward", function=piece.function.__name__),
                          say("exercise_jvp", function=piece.function.__name__),
                          say("exercise_verdict")])
    command = f"handgrad check --with {quote(str(path))}"
    header = [say("exercise_title", name=name), "", say("exercise_section", section=entry.section),
              task, say("exercise_check", command=command)]
    return header, body


def run(args):
    use(args.lang)
    found = exercises()
    if args.list or not args.name:
        for name, entry in found.items():
            print(f"{name:<14} {entry.section}")
        return 0
    by_case = {name.lower(): name for name in found}  # adam is Adam, warmuplr WarmupLR
    name = args.name if args.name in found else by_case.get(args.name.lower())
    if name is None:
        raise HandgradError(say("no_exercise", name=args.name, names=", ".join(found)))
    path = Path(args.out or f"{name}_exercise{'.ipynb' if args.notebook else '.py'}")
    if path.exists() and not args.force:
        raise HandgradError(say("exercise_exists", path=path))
    entry = found[name]
    try:
        path.write_text((starter_notebook if args.notebook else starter)(entry, path),
                        encoding="utf-8")
    except OSError as err:
        raise HandgradError(say("exercise_unwritable", path=path, error=err.strerror)) from None
    what = say(WHAT[entry.piece.leaves_out]) if entry.piece.leaves_out in WHAT else name
    print(say("exercise_wrote", path=path, what=what,
              command=f"handgrad check --with {quote(str(path))}"))
    return 0
