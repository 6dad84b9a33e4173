"""A learner's own derivation in place of handgrad's: ``handgrad check --with FILE``.

Every public name of the learner's file that is the name of a registry entry's manual piece
(``sigmoid``, ``conv2d``, ``Linear``, ``Adam``, ...) takes that piece's place in its entries,
and the same checks run on it. An autograd Function class counts under its op's name
(``Sigmoid`` -> ``sigmoid``, ``MaxPool2d`` -> ``max_pool2d``); where the file has both the
function and its Function class, the function is checked (it is what a user calls).
Entries that measure handgrad's own conventions (a notes' form against torch's) are left
out: a learner's piece is held to torch.
"""
import importlib
import importlib.machinery
import importlib.util
import inspect
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from crosscheck.proof.entry import Entry
from torch_ref.errors import HandgradError, first_line


def load(spec):
    """The learner's module from a file path or a module name; a one-line error if it cannot
    be imported (the file and line of a syntax error, the first line of any other)."""
    path = Path(spec)
    if path.is_dir():
        raise HandgradError(f"--with {spec}: is a folder; name the .py file of your pieces")
    if spec.endswith(".py") or path.exists():
        if not path.is_file():
            raise HandgradError(f"--with {spec}: no such file")
        module, run = _from_file(path)
    else:
        module, run = None, lambda: importlib.import_module(spec)
    try:
        loaded = run()
    except SyntaxError as err:
        raise HandgradError(_syntax(spec, err)) from None
    except ModuleNotFoundError as err:
        raise HandgradError(f"--with {spec}: cannot import {err.name!r} ({err})") from None
    except SystemExit as err:
        raise HandgradError(f"--with {spec}: it calls sys.exit({err.code}) while it loads"
                            f"{_line_in(err, spec)}; a file to check only defines its pieces"
                            ) from None
    except Exception as err:  # the learner's file may raise anything while it loads
        raise HandgradError(f"--with {spec}: importing it failed{_line_in(err, spec)}: "
                            f"{type(err).__name__}: {first_line(err)}") from None
    return module if module is not None else loaded


def _from_file(path):
    """The module of a source file of any name (notes.txt too), and how to run it."""
    name = f"handgrad_learner_{path.stem}"
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    sys.modules[name] = module  # dataclasses and pickling look a module up by name
    return module, lambda: loader.exec_module(module)


def _syntax(spec, err):
    not_python = "" if spec.endswith(".py") else " (is it a Python file?)"
    if err.lineno is None:  # null bytes, an undecodable file: no line to point at
        return f"--with {spec}: not Python source: {err.msg}{not_python}"
    return f"--with {spec}: syntax error at line {err.lineno}: {err.msg}{not_python}"


def _line_in(err, spec):
    frames = [f for f in inspect.getinnerframes(err.__traceback__) if
              Path(f.filename).name == Path(spec).name]
    return f" at line {frames[-1].lineno}" if frames else ""


def _key(name):
    """'MaxPool2d', 'max_pool2d' -> 'maxpool2d': how an op and its Function class meet."""
    return name.replace("_", "").lower()


def pieces(registry):
    """Piece name -> the entries that check it (those that measure handgrad's own forms of
    the notes against torch's are left out: a learner is held to torch)."""
    found = {}
    for e in registry:
        if e.piece is not None and not e.convention and e.learners:
            found.setdefault(e.piece.name, []).append(e)
    return found


def _as_op(function_class):
    """An autograd Function as the op torch calls: keyword arguments bound to forward's
    parameters (Function.apply takes positional ones only), defaults filled in."""
    signature = inspect.signature(function_class.forward)

    def op(*args, **kwargs):
        bound = signature.bind(None, *args, **kwargs)  # None: forward's ctx
        bound.apply_defaults()
        return function_class.apply(*bound.args[1:])
    op.__name__ = function_class.__name__
    return op


def _is_function_class(obj):
    return inspect.isclass(obj) and issubclass(obj, torch.autograd.Function)


def match(module, registry):
    """([(name, learner's object as the check calls it, entries)], names that match none)."""
    known = pieces(registry)
    for name, value in vars(module).items():
        if name in known and not callable(value):
            raise HandgradError(f"{name} is {type(value).__name__} {value!r:.40}, not a function "
                                f"or a class: define it, e.g. def {name}(...): ...")
    by_key = {_key(n): n for n in known}
    public = {n: v for n, v in vars(module).items() if not n.startswith("_")
              and (inspect.isfunction(v) or inspect.isclass(v))
              and getattr(v, "__module__", None) == module.__name__}
    chosen, unmatched = {}, []
    for name, obj in public.items():
        piece = name if name in known and not _is_function_class(obj) else None
        if piece is None and _is_function_class(obj):
            piece = by_key.get(_key(name))
        if piece is None:
            unmatched.append(name)
        elif piece not in chosen or not _is_function_class(obj):  # the function wins
            chosen[piece] = (name, _as_op(obj) if _is_function_class(obj) else obj)
    for piece, (name, obj) in chosen.items():
        _check_signature(name, obj, known[piece][0].manual)
    return ([(name, obj, known[piece]) for piece, (name, obj) in chosen.items()], unmatched)


def _check_signature(name, mine, theirs):
    """A required parameter that torch's op does not have cannot be called by any check."""
    try:
        ours = inspect.signature(theirs).parameters
        sig = inspect.signature(mine)
    except (TypeError, ValueError):
        return
    positional = [p for p in ours.values() if p.kind in (p.POSITIONAL_ONLY,
                                                          p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in sig.parameters.values() if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(required) > len(positional) and not inspect.isclass(mine):
        extra = required[len(positional)].name
        raise HandgradError(f"{name}{sig}: parameter {extra!r} is not in torch's "
                            f"{theirs.__name__}{inspect.signature(theirs)}")


@dataclass(frozen=True)
class Case:
    """One of handgrad's entries with a learner's piece in its place: ``entry`` runs the
    learner's piece, ``original`` is handgrad's (with the known wrong versions)."""

    entry: Entry
    original: Entry


def cases(module, registry):
    """The registry's entries with the learner's pieces in place, and what matched nothing."""
    matched, unmatched = match(module, registry)
    made = [Case(replace(e, manual=obj, wrong={}), e) for _, obj, es in matched for e in es]
    return made, unmatched
