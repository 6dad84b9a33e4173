"""``handgrad exercise NAME``: a starter file for deriving one piece yourself.

For an op, the starter holds its autograd Function with the forward written out (as in
manual/) and the backward left as ``raise NotImplementedError``, and the function torch's
name calls. For an optimizer, a subclass of the manual one whose ``update`` (the step's
math) is left to write, with the pseudocode to derive it from; for the warm-up, its
``lr_at``. For a plain function (the least-squares fits, back propagation, the neuron), its
signature and docstring. The header says what to derive, the notes' section it comes from,
and the command that checks it. The modules (Linear, Conv2d) have none: they call linear
and conv2d, which do.
"""
import ast
import inspect
import re
import textwrap
from pathlib import Path

from crosscheck.proof import learner
from torch_ref.errors import HandgradError

OPTIMIZER_HINT = """\
    def update(self, p, g, state, group):
        # p: the parameter; g: its gradient (maximize and weight decay already applied)
        # state: this parameter's {state_keys}, made by init_state
        #   (state["step"], where there is one, already counts this step)
        # group: group["lr"] and the other settings of the class
        # Change p and the state in place (p.add_(...), m.mul_(...)): the caller keeps them.
        raise NotImplementedError("derive the update of {name}")
"""


def exercises():
    """Name -> (manual piece, its notes section) for every piece with something to derive."""
    from crosscheck.proof.registry import REGISTRY
    found = {}
    for name, entries in learner.pieces(REGISTRY).items():
        piece = entries[0].manual
        if _function_class(piece) or _is_optimizer(piece) or _schedule(piece) or \
                inspect.isfunction(piece):
            found[name] = (piece, entries[0].section)
    return found


def _is_optimizer(piece):
    import torch
    return inspect.isclass(piece) and issubclass(piece, torch.optim.Optimizer)


def _schedule(piece):
    return inspect.isclass(piece) and hasattr(piece, "lr_at")


def _plain(name, piece):
    """A function's signature and docstring, its body to write."""
    doc = inspect.getdoc(piece) or ""
    return (f"import torch  # noqa: F401\n\n\ndef {name}{inspect.signature(piece)}:\n"
            f'    """{doc}"""\n    raise NotImplementedError("derive {name}")\n')


def _function_class(piece):
    """The autograd Function that an op's function applies, if it is one."""
    if not inspect.isfunction(piece):
        return None
    names = re.findall(r"(\w+)\.apply\(", inspect.getsource(piece))
    module = inspect.getmodule(piece)
    return getattr(module, names[0]) if len(names) == 1 else None


def _without_backward(cls_source):
    """The class's source with backward's body replaced by a NotImplementedError."""
    tree = ast.parse(textwrap.dedent(cls_source))
    backward = next(f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
                    and f.name == "backward")
    lines = textwrap.dedent(cls_source).splitlines()
    indent = " " * backward.body[0].col_offset
    body = [f"{indent}# grad is dL/d(output); return dL/d(input) for each input of forward",
            f"{indent}# (None for one that is not a tensor), from what forward saved in ctx",
            f'{indent}raise NotImplementedError("derive the backward")']
    return "\n".join(lines[:backward.body[0].lineno - 1] + body + lines[backward.end_lineno:])


def _imports(code, module):
    """'from <module> import a, b' for the module-level names ``code`` uses but lacks."""
    used = {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}
    defined = {n.name for n in ast.walk(ast.parse(code)) if isinstance(n, (ast.ClassDef,
                                                                          ast.FunctionDef))}
    names = sorted(n for n in used - defined if n in vars(module)
                   and not inspect.ismodule(vars(module)[n]) and n != "Function")
    return f"from {module.__name__} import {', '.join(names)}\n" if names else ""


def starter(name, piece, section, path):
    header = (f'"""Exercise: {name}, derived by hand.\n\nFrom the notes: {section}.\n')
    check = f"handgrad check --with {path}"
    if _is_optimizer(piece):
        module = inspect.getmodule(piece)
        keys = re.findall(r'state\["(\w+)"\]', inspect.getsource(piece.init_state))
        doc = textwrap.indent(inspect.getdoc(piece).split("Args:")[0].rstrip(), "    ")
        body = (f"import torch  # noqa: F401\n\nfrom {module.__name__} import {name} as Given\n"
                f"\n\nclass {name}(Given):\n    \"\"\"Derive the update of {name}:\n\n{doc}\n"
                f'    """\n\n' + OPTIMIZER_HINT.format(state_keys=", ".join(keys) or "empty",
                                                      name=name))
        header += "Write update() below from the pseudocode in the class docstring.\n"
    elif _schedule(piece):
        module = inspect.getmodule(piece)
        formula = inspect.getdoc(module).split("closed form, for step t\nand base rate eta:")[-1]
        doc = textwrap.indent(textwrap.dedent(formula).strip(), "        ")
        body = (f"from {module.__name__} import {name} as Given\n\n\nclass {name}(Given):\n"
                f"    def lr_at(self, base, t):\n        \"\"\"The rate at step t of a group "
                f"whose base rate is base\n        (self.warmup_steps = W, self.start_factor = s, "
                f"self.decay,\n        self.total_steps = T, self.min_lr = floor):\n\n{doc}\n"
                f"        \"\"\"\n"
                f'        raise NotImplementedError("derive lr_at")\n')
        header += "Write lr_at() below: the warm-up and the decay after it, step by step.\n"
    elif _function_class(piece) is None:
        body = _plain(name, piece)
        header += f"Write {name} below from the notes' formulas.\n"
    else:
        cls = _function_class(piece)
        code = (_without_backward(inspect.getsource(cls)) + "\n\n\n"
                + inspect.getsource(piece))
        module = inspect.getmodule(piece)
        body = ("import torch  # noqa: F401\nfrom torch.autograd import Function\n\n"
                + _imports(code, module) + "\n\n" + code)
        header += (f"Write {cls.__name__}.backward below: the derivative of the forward "
                   "above it, by the chain rule.\n")
    return header + f"Check it with:  {check}\n\"\"\"\n" + body


def run(args):
    found = exercises()
    if args.list or not args.name:
        for name, (_, section) in found.items():
            print(f"{name:<14} {section}")
        return 0
    if args.name not in found:
        raise HandgradError(f"no exercise named {args.name!r}; `handgrad exercise --list` "
                            f"lists them: {', '.join(found)}")
    path = Path(args.out or f"{args.name}_exercise.py")
    if path.exists() and not args.force:
        raise HandgradError(f"{path} exists: it may hold your work; choose --out or add --force")
    piece, section = found[args.name]
    path.write_text(starter(args.name, piece, section, path))
    what = ("update" if _is_optimizer(piece) else "backward" if _function_class(piece)
            else "lr_at" if _schedule(piece) else args.name)
    what = f"the {what}" if what in ("update", "backward") else what
    print(f"wrote {path}: write {what}, then run  handgrad check --with {path}")
    return 0
