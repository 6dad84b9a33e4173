"""Derived by hand, or not: a piece's source read (never run) for the built-ins it
re-derives. A piece earns nothing where the code it reaches (its own, the helpers and
classes it names, in any file of the submission) calls one of its built-ins (its registry
record's ``Piece.builtins``: for sigmoid ``torch.sigmoid``, ``F.sigmoid``,
``torch.special.expit``, ``Tensor.sigmoid``, ...), asks autograd or torch.func for a
derivative, uses handgrad's own solutions, or reaches torch by a path this reading cannot
follow (``getattr(torch, name)``, ``eval``, ``torch.ops``, ``torch._C``, ...).

The reading resolves imports (``import torch.nn.functional as F``, ``from torch import
sigmoid as s``, a sibling file's helpers) to the dotted names they stand for. It runs in
the grader, on the submission's files as handed in: nothing the submission does at run time
changes what it finds.
"""
import ast
from dataclasses import dataclass
from pathlib import Path

from crosscheck.learner.notebook import place
from crosscheck.messages import say

# what every piece may use although torch's: the interfaces a piece is written against
INTERFACES = ("torch.autograd.Function", "torch.autograd.function.Function",
              "torch.autograd.function.once_differentiable", "torch.nn.Module",
              "torch.nn.Parameter", "torch.nn.parameter.Parameter", "torch.optim.Optimizer",
              "torch.optim.optimizer.Optimizer", "torch.optim.lr_scheduler.LRScheduler",
              "torch.optim.lr_scheduler._LRScheduler", "torch.nn.init")
# what no piece may use: a derivative asked of autograd, handgrad's own solutions
AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.autograd.functional",
            "torch.func", "functorch", "torch.autograd.forward_ad", "torch.Tensor.backward")
HANDGRAD = ("manual", "torch_ref", "crosscheck", "handgrad")
# what hides a call from this reading: names, and attributes of anything
HIDING = ("eval", "exec", "compile", "__import__", "globals", "vars", "locals",
          "importlib", "sys.modules", "torch.ops", "torch._C", "torch._refs", "torch._prims",
          "torch._decomp", "builtins")
HIDING_ATTRIBUTES = ("__dict__", "__getattribute__", "__builtins__", "__import__",
                     "__subclasses__", "__globals__")


@dataclass(frozen=True)
class Finding:
    """A built-in a piece reaches: what it is (a dotted name), why it counts, where."""

    piece: str
    name: str
    why: str  # 'builtin', 'autograd', 'handgrad', 'hidden'
    file: str
    line: int
    places: tuple = ()  # the file's lines' (cell, line) where it is a notebook's Python


def said(finding):
    return say(f"handmade_{finding.why}", piece=finding.piece, name=finding.name,
               file=finding.file, place=place(list(finding.places), finding.line))


def _is(name, prefixes):
    return any(name == p or name.startswith(p + ".") for p in prefixes)


class _File:
    """One file's imports (alias -> dotted name) and top-level definitions."""

    def __init__(self, folder, relative, siblings):
        self.name = str(relative)
        source = (folder / relative).read_text(errors="replace")
        try:
            self.tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError):
            self.tree = ast.Module(body=[], type_ignores=[])
        self.aliases, self.defs = {}, {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.aliases[a.asname or a.name.split(".")[0]] = \
                        a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in self.tree.body:
            for name in _defined(node):
                self.defs.setdefault(name, []).append(node)
        self.siblings = siblings

    def dotted(self, node):
        """The dotted name an expression stands for (``F.sigmoid`` -> torch.nn.functional.
        sigmoid), or None where it is not a chain of names from an import."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not (isinstance(node, ast.Name) and node.id in self.aliases):
            return None
        return ".".join([self.aliases[node.id], *reversed(parts)])


def _defined(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [t.id for t in targets if isinstance(t, ast.Name)]
    return []


def scan(folder, relatives, pieces, places=None):
    """{piece: [Finding]} for ``pieces`` ({piece: (its name in the file, file, handgrad's
    entry)}) of the submission copied in ``folder``; ``places``: {file: its places} for a
    notebook's Python (learner/notebook.py)."""
    places = places or {}
    files = {}
    for relative in relatives:
        files[Path(relative).stem] = _File(Path(folder), relative, files)
    by_name = {str(relative): files[Path(relative).stem] for relative in relatives}
    found = {}
    for piece, (name, file, entry) in pieces.items():
        hits = _reach(by_name[file], name, entry.piece.builtins, files)
        if hits:
            found[piece] = [Finding(piece, n, why, f, line, tuple(places.get(f) or ()))
                            for n, why, f, line in hits]
    return found


def _reach(start, name, builtins, files):
    """The built-ins the code reachable from ``name`` in ``start`` uses: (name, why, file,
    line), the first of each name."""
    todo, seen, hits = [(start, n) for n in start.defs.get(name, [])], set(), {}
    while todo:
        file, node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for sub in ast.walk(node):
            for dotted, why in _uses(file, sub, builtins):
                hits.setdefault(dotted, (dotted, why, file.name, getattr(sub, "lineno", 0)))
            if isinstance(sub, ast.Name):
                todo += _followed(file, sub.id, files)
    return list(hits.values())


def _followed(file, name, files):
    """The definitions a name used in ``file`` stands for: its own, or a sibling file's."""
    if name in file.defs:
        return [(file, n) for n in file.defs[name]]
    module, _, attr = file.aliases.get(name, "").rpartition(".")
    sibling = files.get(module)
    return [(sibling, n) for n in sibling.defs.get(attr, [])] if sibling else []


def _uses(file, node, builtins):
    """(dotted name, why) for what ``node`` itself uses that counts against the piece."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == "getattr":
        return _getattr(file, node, builtins)
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
        if node.attr in HIDING_ATTRIBUTES:
            return [(node.attr, "hidden")]
        dotted = file.dotted(node)
        return _method(node, builtins) if dotted is None else _judged(dotted, builtins)
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        dotted = file.aliases.get(node.id, node.id if node.id in HIDING else None)
        return _judged(dotted, builtins) if dotted else []
    return []


def _judged(dotted, builtins):
    if _is(dotted, INTERFACES):
        return []
    for prefixes, why in ((builtins, "builtin"), (AUTOGRAD, "autograd"),
                          (HANDGRAD, "handgrad"), (HIDING, "hidden")):
        if _is(dotted, prefixes):
            return [(dotted, why)]
    return []


def _method(node, builtins):
    """``x.sigmoid()``: a tensor's method that is a built-in of the piece (or backward)."""
    if f"torch.Tensor.{node.attr}" in builtins or f"torch.Tensor.{node.attr}" in AUTOGRAD:
        why = "autograd" if node.attr == "backward" else "builtin"
        return [(f"Tensor.{node.attr}", why)]
    return []


def _getattr(file, node, builtins):
    """getattr(obj, 'name'[, default]) reads as obj.name; with a name computed at run time
    it hides what it calls."""
    target = file.dotted(node.args[0]) if node.args else None
    if len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
        return [] if target is None else _judged(f"{target}.{node.args[1].value}", builtins)
    return [("getattr", "hidden")]  # a name computed at run time: any module's, any name
