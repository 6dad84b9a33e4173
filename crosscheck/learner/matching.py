"""A learner's own derivation in place of handgrad's: ``handgrad check --with FILE``.

A public name of the learner's file takes a piece's place in the piece's entries, and the
same checks run on it, when it is written in any of the ways learners write a piece:

    def sigmoid(input): ...                        a function (a lambda, a partial)
    class Sigmoid(torch.autograd.Function): ...    an autograd Function, under its op's name
    sigmoid = MySigmoid.apply                      the apply of a Function (torch's tutorial)
    class ReLU(nn.Module): ...                     a module named after torch's, as its op
    class Adam(torch.optim.Optimizer): ...         an optimizer, a module, a schedule by name

and under any other name through ``--as NAME=PIECE``. Where the file has a piece both as a
function and as a Function class, the function is checked (it is what a user calls).
Entries that measure handgrad's own forms of the notes are left out. A learner's verdict is
the exercise's: the piece's own entries and torch's samples in float64 and float32; the
families beyond it (forward mode, complex, half, layout, ...) run as advice (``advice``).
"""
import difflib
import functools
import inspect
from dataclasses import dataclass, replace

import torch

from crosscheck.messages import say
from crosscheck.proof.records.entry import Entry
from crosscheck.proof.records.family_rows import on_our_samples
from crosscheck.sandboxed.serve import uses
from manual import NotSupported
from torch_ref.errors import HandgradError

# torch's module names that are not their op's name with the underscores dropped
MODULE_OPS = {"mseloss": "mse_loss", "crossentropyloss": "cross_entropy", "unfold": "im2col",
              "fold": "col2im"}


def _key(name):
    """'MaxPool2d', 'max_pool2d' -> 'maxpool2d': how an op and its class meet."""
    return name.replace("_", "").lower()


def pieces(registry, advice=False):
    """Piece name -> the entries that check it (handgrad's own forms of the notes left out):
    those its exercise asks for, and with ``advice`` the families beyond it too (not those
    run only when asked, which take minutes)."""
    found = {}
    for e in registry:
        if (e.piece is not None and not e.convention and not e.opt_in
                and (e.learners or advice)):
            found.setdefault(e.piece.name, []).append(e)
    return found


def names_a_piece(name, registry):
    """Whether a public name of a learner's file is checked as a piece: by its own name, or
    as a Function or a module named after one (Im2col, LogSoftmax)."""
    known = pieces(registry)
    return name in known or MODULE_OPS.get(_key(name), _key(name)) in {_key(n) for n in known}


def _subclass(obj, base):
    return inspect.isclass(obj) and issubclass(obj, base) and obj is not base


def _function_op(function_class):
    """An autograd Function as the op torch calls: keyword arguments bound to forward's
    parameters (Function.apply takes positional ones only), defaults filled in."""
    parameters = list(inspect.signature(function_class.forward).parameters.values())
    if parameters and parameters[0].name == "ctx":  # the tutorial's forward(ctx, ...)
        parameters = parameters[1:]
    signature = inspect.Signature(parameters)

    def op(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return function_class.apply(*bound.args)
    op.__name__ = function_class.__name__
    return op


def _module_op(module_class, reference):
    """An nn.Module named after torch's, as its functional op: the op's arguments that the
    module's constructor takes build it, the rest (input, target) go to its forward. One it
    cannot take, given other than as its default, is refused by name."""
    signature = inspect.signature(reference)
    init = inspect.signature(module_class.__init__).parameters
    takes = len(inspect.signature(module_class.forward).parameters) - 1  # self

    def op(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        built = {k: v for k, v in bound.arguments.items() if k in init}
        rest = [(k, v) for k, v in bound.arguments.items() if k not in init]
        for name, value in rest[takes:]:
            if not _is_default(value, signature.parameters[name].default):
                raise NotSupported(module_class.__name__, name, f"{name}={value!r}")
        return module_class(**built)(*(v for _, v in rest[:takes]))
    op.__name__ = module_class.__name__
    return op


def _is_default(value, default):
    try:
        return value is default or bool(value == default)
    except (RuntimeError, TypeError):  # a tensor against a number: not the default
        return False


def _as_checked(obj, piece, known):
    """The learner's object as the check calls it, or None where it is no way to write
    ``piece``."""
    if _subclass(obj, torch.autograd.Function):
        return _function_op(obj)
    bound_to = getattr(obj, "__self__", None)
    if getattr(obj, "__name__", None) == "apply" and _subclass(bound_to, torch.autograd.Function):
        return _function_op(bound_to)  # MySigmoid.apply
    if _subclass(obj, torch.nn.Module) and known[piece][0].kind != "module":
        return _module_op(obj, known[piece][0].manual)
    if inspect.isclass(obj) or inspect.isfunction(obj) or isinstance(obj, functools.partial):
        return obj
    return None


def _piece_of(name, obj, known, by_key):
    """The piece a public name stands for, by the ways learners name one, or None."""
    if name in known and not _subclass(obj, (torch.autograd.Function, torch.nn.Module)):
        return name
    if _subclass(obj, torch.nn.Module) and name in known:
        return name  # Linear, Conv2d: module pieces of their own
    if _subclass(obj, (torch.autograd.Function, torch.nn.Module)):
        return by_key.get(MODULE_OPS.get(_key(name), _key(name)))
    return None


def _public(module):
    """The file's own public names: those its ``__all__`` lists, where it has one (what
    ``handgrad.check(sigmoid=...)`` hands in, defined anywhere), else those defined in it
    (a lambda, a class, a function, the apply of its Function), or partials; not what it
    imported."""
    listed = vars(module).get("__all__")
    if listed is not None:
        return {n: vars(module)[n] for n in listed if n in vars(module)}

    def own(value):
        if isinstance(value, functools.partial):
            return True
        owner = getattr(value, "__self__", value)
        return getattr(owner, "__module__", None) == module.__name__
    return {n: v for n, v in vars(module).items() if not n.startswith("_") and own(v)}


@dataclass(frozen=True)
class Case:
    """One of handgrad's entries with a learner's piece in its place: ``entry`` runs the
    learner's piece, ``original`` is handgrad's (with the known wrong versions); ``name``:
    the piece's name in the learner's file."""

    entry: Entry
    original: Entry
    name: str = ""


def match(module, registry, aliases=()):
    """{piece: (the learner's name, object as the check calls it)}, and the names that
    match no piece. ``aliases``: (name, piece) pairs given with --as."""
    known = pieces(registry)
    by_key = {_key(n): n for n in known}
    for name, value in vars(module).items():
        if name in known and not callable(value):
            raise HandgradError(say("not_callable", name=name, kind=type(value).__name__,
                                    value=f"{value!r:.40}"))
    chosen, unmatched = {}, []
    named = dict(aliases)
    for name, obj in _public(module).items():
        piece = named.get(name) or _piece_of(name, obj, known, by_key)
        checked = _as_checked(obj, piece, known) if piece else None
        if checked is None:
            unmatched.append(name)
        elif piece not in chosen or not _subclass(obj, torch.autograd.Function):
            chosen[piece] = (name, checked)  # a function wins over its Function class
    for name, piece in aliases:
        if name not in vars(module):
            raise HandgradError(say("as_no_name", name=name, piece=piece))
    behind = {getattr(obj, "__self__", None) for _, obj in _public(module).items()}
    used = _used(vars(module), [name for name, _ in chosen.values()])
    unmatched = [n for n in unmatched  # MySigmoid of .apply, a helper a piece calls
                 if vars(module)[n] not in behind and n not in used]
    borrowed = [say("borrowed", name=n, where=_origin(v)) for n, v in vars(module).items()
                if n in known and _origin(v) and n not in chosen]
    if borrowed and not chosen:
        raise HandgradError(say("only_borrowed", names="; ".join(borrowed)))
    unmatched += borrowed
    for piece, (name, obj) in chosen.items():
        _check_signature(name, obj, known[piece][0].manual)
    return chosen, unmatched


def _used(names, roots):
    """The global names the code of ``roots`` uses, and the code of those in turn: the
    helpers and base classes a piece needs are part of it, not pieces of their own."""
    found, todo = set(), list(roots)
    while todo:
        for name in _uses(names[todo.pop()]):
            if name not in found and name in names:
                found.add(name)
                todo.append(name)
    return found


def _uses(obj):
    """The global names an object's code refers to: as the sandbox read them for a sandboxed
    piece's stand-in, else read here."""
    given = getattr(getattr(obj, "func", obj), "handgrad_uses", None)  # a partial's function
    return uses(obj) if given is None else given


def _origin(value):
    """'torch.tanh' where a piece's name is bound to torch's own function (or handgrad's),
    which is nothing of the learner's to check; None otherwise."""
    module = getattr(value, "__module__", None) or ""
    if module.split(".")[0] in ("torch", "manual", "torch_ref") and callable(value):
        return f"{module}.{getattr(value, '__name__', '?')}"
    return None


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
        raise HandgradError(say("extra_parameter", name=name, signature=sig, extra=extra,
                                op=theirs.__name__, op_signature=inspect.signature(theirs)))


def cases(module, registry, aliases=(), advice=False):
    """The registry's entries with the learner's pieces in place (with ``advice``, the
    families beyond the exercise too), and what matched nothing."""
    chosen, unmatched = match(module, registry, aliases)
    known = pieces(registry, advice)
    made = [Case(replace(e if e.learners else on_our_samples(e), manual=obj, wrong={}), e, name)
            for piece, (name, obj) in chosen.items() for e in known[piece]]
    return made, unmatched


def check_alias(alias, registry):
    """--as's (name, piece), as the flag read it; a one-line error where the piece is
    none of the registry's."""
    name, piece = alias
    if piece not in pieces(registry):
        raise HandgradError(say("as_no_piece", text=f"{name}={piece}", piece=piece,
                                pieces=", ".join(sorted(pieces(registry)))))
    return alias


def nothing_matched(spec, names, registry):
    """The line for a file where no name is a piece: its names beside the pieces', and the
    --as that names its first name as the piece it most resembles."""
    known = sorted(pieces(registry))
    example = ""
    if names:
        close = difflib.get_close_matches(names[0].lower(), known, n=1, cutoff=0.0)
        example = say("no_match_example", name=names[0], piece=close[0])
    return say("no_match", spec=spec, names=", ".join(names) or say("no_names"),
               pieces=", ".join(known), example=example)
