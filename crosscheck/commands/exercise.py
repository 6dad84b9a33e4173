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
import textwrap
from pathlib import Path
from shlex import quote

from crosscheck.messages import say, use
from crosscheck.proof import learner
from torch_ref.errors import HandgradError

WHAT = {"backward": "what_backward", "update": "what_update", "lr_at": "what_lr_at"}


def exercises():
    """Name -> the first entry of every piece with something to derive."""
    from crosscheck.proof.registry import REGISTRY
    return {name: entries[0] for name, entries in learner.pieces(REGISTRY).items()
            if entries[0].piece.leaves_out}


def _docstring(text, indent):
    return textwrap.indent(f'"""{text}\n"""', " " * indent)


def _plain(name, piece):
    """A function's signature and docstring, its body to write."""
    return (f"import torch  # noqa: F401\n\n\ndef {name}{inspect.signature(piece)}:\n"
            f"{_docstring(inspect.getdoc(piece) or '', 4)}\n"
            f'    raise NotImplementedError("derive {name}")\n')


def _optimizer(name, cls, state_keys):
    """A subclass of the manual optimizer with update() to write under its pseudocode."""
    hint = textwrap.indent(say("hint_update", state_keys=", ".join(state_keys)), " " * 8)
    return (f"import torch  # noqa: F401\n\nfrom {cls.__module__} import {name} as Given\n\n\n"
            f"class {name}(Given):\n{_docstring(inspect.getdoc(cls), 4)}\n\n"
            f"    def update(self, p, g, state, group):\n{hint}\n"
            f'        raise NotImplementedError("derive the update of {name}")\n')


def _schedule(name, cls):
    return (f"from {cls.__module__} import {name} as Given\n\n\nclass {name}(Given):\n"
            f"    def lr_at(self, base, t):\n{_docstring(inspect.getdoc(cls.lr_at), 8)}\n"
            f'        raise NotImplementedError("derive lr_at")\n')


def _without_backward(cls_source):
    """The class's source with backward's body replaced by a NotImplementedError, and
    without its jvp (forward mode: the learner's to add, not to be given)."""
    tree = ast.parse(textwrap.dedent(cls_source))
    methods = {f.name: f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    backward, jvp = methods["backward"], methods.get("jvp")
    lines = textwrap.dedent(cls_source).splitlines()
    if jvp:  # from its decorator and the blank line above it to its end
        del lines[jvp.decorator_list[0].lineno - 2:jvp.end_lineno]
    indent = " " * backward.body[0].col_offset
    body = [*textwrap.indent(say("hint_backward"), indent).splitlines(),
            f'{indent}raise NotImplementedError("derive the backward")']
    return "\n".join(lines[:backward.body[0].lineno - 1] + body + lines[backward.end_lineno:])


def _imports(code, module):
    """The imports ``code`` needs: the modules it uses (math), torch's, then 'from <module>
    import a, b' for the module-level names it uses but lacks."""
    tree = ast.parse(code)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    lacking = [n for n in sorted(used - defined) if n in vars(module) and n != "Function"]
    modules = [n for n in lacking if inspect.ismodule(vars(module)[n]) and n != "torch"]
    names = [n for n in lacking if not inspect.ismodule(vars(module)[n])]
    return ("".join(f"import {n}\n" for n in modules) + ("\n" if modules else "")
            + "import torch  # noqa: F401\nfrom torch.autograd import Function\n"
            + (f"\nfrom {module.__name__} import {', '.join(names)}\n" if names else ""))


def _op(op, function):
    """The Function without its backward, and the op that applies it."""
    code = _without_backward(inspect.getsource(function)) + "\n\n\n" + inspect.getsource(op)
    return _imports(code, inspect.getmodule(op)) + "\n\n" + code


def starter(entry, path):
    piece, name = entry.piece, entry.piece.name
    if piece.leaves_out == "update":
        body = _optimizer(name, entry.manual, piece.state_keys)
        task = "\n".join([say("exercise_update"), say("exercise_verdict")])
    elif piece.leaves_out == "lr_at":
        body, task = _schedule(name, entry.manual), say("exercise_lr_at")
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
    return '"""' + "\n".join(header) + '\n"""\n' + body


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
    path = Path(args.out or f"{name}_exercise.py")
    if path.exists() and not args.force:
        raise HandgradError(say("exercise_exists", path=path))
    entry = found[name]
    try:
        path.write_text(starter(entry, path))
    except OSError as err:
        raise HandgradError(say("exercise_unwritable", path=path, error=err.strerror)) from None
    what = say(WHAT[entry.piece.leaves_out]) if entry.piece.leaves_out in WHAT else name
    print(say("exercise_wrote", path=path, what=what,
              command=f"handgrad check --with {quote(str(path))}"))
    return 0
