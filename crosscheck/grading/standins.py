"""A sandboxed submission's objects as the grader's checks see them: stand-ins with the
learner's names, kinds and signatures (as the sandbox described them), whose every call is
a request to the sandbox. A stand-in op is an autograd Function of the grader's whose
forward and backward are the learner's, run there; a stand-in optimizer is a
torch.optim.Optimizer whose step is the learner's; so the same checks that run on a piece
in-process (matching.match, the rows, the diagnosis) run here, and decide here, on tensors
that came back as data.
"""
import builtins
import functools
import inspect
import types

import torch
from torch.autograd.function import once_differentiable

from crosscheck.grading.sandbox import Raised, printable
from crosscheck.sandboxed import wire
from manual import NotSupported

# exceptions of the learner's raised here under their own class: those the checks tell
# apart (a starter's NotImplementedError, running out of memory, a wrong shape's errors)
PLAIN = ("NotImplementedError", "MemoryError", "RuntimeError", "TypeError", "ValueError",
         "IndexError", "KeyError", "ZeroDivisionError", "AttributeError", "AssertionError",
         "ArithmeticError", "OverflowError", "NameError", "RecursionError")


class RemoteError(Exception):
    """An exception of the learner's of any other kind (its class is named after theirs)."""


class Refused(NotSupported):
    """The learner's piece refused an input (its NotSupported, or a copy of handgrad's)."""

    def __init__(self, text, argument):
        ValueError.__init__(self, text)
        self.piece, self.argument = "", argument


def raised(r):
    """The exception to raise here for one raised in the sandbox."""
    if r.kind == "NotSupported" and r.argument is not None:
        return Refused(r.text, r.argument)
    if r.kind in PLAIN:
        return getattr(builtins, r.kind)(r.text)
    name = "".join(c for c in r.kind if c.isalnum() or c == "_") or "Exception"
    return type(name if name[0].isalpha() else "E" + name, (RemoteError,), {})(r.text)


def ask(sandbox, op, **request):
    try:
        return sandbox.ask(op, **request)
    except Raised as r:
        raise raised(r) from None


def _rebuilt(structure, tensors):
    """``structure`` with its tensors replaced, in order, by ``tensors``."""
    it = iter(tensors)

    def one(v):
        if isinstance(v, torch.Tensor):
            return next(it)
        if isinstance(v, (list, tuple)):
            return type(v)(one(x) for x in v)
        if isinstance(v, dict):
            return {k: one(x) for k, x in v.items()}
        return v
    return one(structure)


def call(sandbox, ref, args, kwargs, attr=None, params=None):
    """The learner's object ``ref`` on these arguments, in the sandbox: its value, whose
    tensors carry the learner's backward (through ``Across``) where an input needs a
    gradient; tensors the learner changed in place are changed here too."""
    sent = wire.tensors((args, kwargs))
    leaves = [t for t in sent if t.requires_grad] + list(params or [])
    request = {"ref": ref, "args": tuple(args), "kwargs": dict(kwargs), "attr": attr,
               "params": None if params is None else [p.detach() for p in params],
               "forget": _Graph.forgotten(sandbox)}
    if torch.is_grad_enabled() and leaves:
        answer = {}
        outs = Across.apply(sandbox, request, answer, *leaves)
        _copy_changed(sent, answer["changed"])
        return _rebuilt(answer["out"], outs)
    answer = ask(sandbox, "call", grad=False, **request)
    _copy_changed(sent, answer["changed"])
    return answer["out"]


def _copy_changed(sent, changed):
    with torch.no_grad():
        for i, value in changed:
            if isinstance(i, int) and 0 <= i < len(sent) and value.shape == sent[i].shape:
                sent[i].copy_(value)


class Across(torch.autograd.Function):
    """The learner's call as one autograd node of the grader's: forward runs it in the
    sandbox; backward asks the sandbox for the gradients of its inputs (the learner's
    backward, run there) and checks their shapes here."""

    @staticmethod
    def forward(ctx, sandbox, request, answer, *leaves):
        answer.update(ask(sandbox, "call", grad=True, **request))
        outs = wire.tensors(answer["out"])
        ctx.sandbox, ctx.graph = sandbox, answer["graph"]
        ctx.kept = _Graph(sandbox, answer["graph"])
        ctx.shapes = [(t.shape, t.dtype) for t in leaves]
        ctx.mark_non_differentiable(*[o for o in outs
                                      if not (o.is_floating_point() or o.is_complex())])
        return tuple(outs)

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        got = ask(ctx.sandbox, "grad", graph=ctx.graph, grads=list(grads))
        if not isinstance(got, list) or len(got) != len(ctx.shapes):
            raise RuntimeError("the backward gave no gradient list of its inputs' length")
        for g, (shape, _) in zip(got, ctx.shapes):
            if g is not None and (not isinstance(g, torch.Tensor) or g.shape != shape):
                raise RuntimeError(f"the backward returned a gradient of shape "
                                   f"{tuple(getattr(g, 'shape', ()))} for an input of shape "
                                   f"{tuple(shape)}")
        return (None, None, None, *(None if g is None else g.to(dtype) if g.dtype != dtype
                                    and not g.is_complex() else g
                                    for g, (_, dtype) in zip(got, ctx.shapes)))


class _Graph:
    """A call's graph in the sandbox, kept there while the grader's node of it lives."""

    def __init__(self, sandbox, graph):
        self.sandbox, self.graph = sandbox, graph

    def __del__(self):  # no request from a garbage collection: the next call says it
        self.sandbox.__dict__.setdefault("forgotten", []).append(self.graph)

    @staticmethod
    def forgotten(sandbox):
        found = sandbox.__dict__.get("forgotten", [])
        sandbox.forgotten = []
        return found


P = inspect.Parameter
PARAMETER_KINDS = (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD, P.VAR_POSITIONAL, P.KEYWORD_ONLY,
                   P.VAR_KEYWORD)  # by their numbers, as the sandbox sends them


def _signature(described):
    """An inspect.Signature from the sandbox's [(name, kind, has a default)]."""
    if not described:
        return None
    params, seen = [], set()
    for name, kind, has_default in described:
        if not (isinstance(name, str) and name.isidentifier() and name not in seen
                and kind in range(5)):
            return None
        seen.add(name)
        default = None if has_default else inspect.Parameter.empty
        params.append(inspect.Parameter(name, PARAMETER_KINDS[kind], default=default))
    try:
        return inspect.Signature(params)
    except ValueError:
        return None


def _named(fn, name, d):
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = d["module"]
    fn.handgrad_uses = set(d["uses"])
    signature = _signature(d.get("signature"))
    if signature is not None:
        fn.__signature__ = signature
    return fn


def _function(sandbox, ref, name, d):
    def fn(*args, **kwargs):
        return call(sandbox, ref, args, kwargs)
    fn = _named(fn, name, d)
    return functools.partial(fn) if d["kind"] == "partial" else fn


def _function_class(sandbox, ref, name, d, attr="apply"):
    def forward(*args):  # never run here: its signature is what a check binds
        raise AssertionError("a stand-in's forward runs in the sandbox")
    signature = _signature(d.get("forward"))
    if signature is not None:
        forward.__signature__ = signature

    def apply(cls, *args):
        return call(sandbox, ref, args, {}, attr=attr)
    return type(name, (torch.autograd.Function,), {
        "forward": staticmethod(forward), "apply": classmethod(apply),
        "__module__": d["module"], "handgrad_uses": set(d["uses"])})


def _module_class(sandbox, ref, name, d):
    def __init__(self, *args, **kwargs):
        torch.nn.Module.__init__(self)
        answer = ask(sandbox, "new", ref=ref, args=args, kwargs=kwargs,
                     rng=torch.get_rng_state())
        self.handle = answer["handle"]
        for key, value in answer.get("parameters", {}).items():
            if isinstance(key, str) and key.isidentifier() and isinstance(value, torch.Tensor):
                self.register_parameter(key, torch.nn.Parameter(value.detach().clone()))

    def forward(self, *args, **kwargs):
        return call(sandbox, self.handle, args, kwargs, params=list(self.parameters()))
    for method, key in ((__init__, "signature"), (forward, "forward")):
        signature = _signature(d.get(key))
        if signature is not None:
            method.__signature__ = signature
    return type(name, (torch.nn.Module,), {"__init__": __init__, "forward": forward,
                                           "__module__": d["module"],
                                           "handgrad_uses": set(d["uses"])})


def _optimizer_class(sandbox, ref, name, d):
    def __init__(self, params, *args, **kwargs):
        params = list(params)
        groups = params if params and isinstance(params[0], dict) else [{"params": params}]
        groups = [{**g, "params": list(g["params"])} for g in groups]
        answer = ask(sandbox, "new", ref=ref, args=(groups, *args), kwargs=kwargs)
        self.handle, self.sandbox = answer["handle"], sandbox
        torch.optim.Optimizer.__init__(self, groups, {})
        for group, hyper in zip(self.param_groups, answer["groups"]):
            group.update({k: v for k, v in hyper.items() if isinstance(k, str)})
        self.defaults = {k: v for k, v in self.param_groups[0].items() if k != "params"}
    signature = _signature(d.get("signature"))
    if signature is not None:
        __init__.__signature__ = signature
    return type(name, (torch.optim.Optimizer,), {
        "__init__": __init__, "step": _step, "load_state_dict": _load_state_dict,
        "__module__": d["module"], "handgrad_uses": set(d["uses"])})


def _parameters(opt):
    return [p for group in opt.param_groups for p in group["params"]]


def _step(opt, closure=None):
    """A stand-in optimizer's step: the learner's, on the parameters and gradients here,
    the parameters and state it gives back put in place."""
    loss = None
    if closure is not None:
        with torch.enable_grad():
            loss = closure()
    params = _parameters(opt)
    answer = ask(opt.sandbox, "step", handle=opt.handle, params=[p.detach() for p in params],
                 grads=[p.grad for p in params], loss=loss,
                 groups=[{k: v for k, v in g.items() if k != "params"}
                         for g in opt.param_groups])
    with torch.no_grad():
        for p, value, state in zip(params, answer["params"], answer["state"]):
            if value.shape != p.shape:
                raise RuntimeError(f"the step gave a parameter of shape {tuple(value.shape)} "
                                   f"for one of {tuple(p.shape)}")
            p.copy_(value)
            if state:
                opt.state[p] = dict(state)
    return loss


def _load_state_dict(opt, state_dict):
    torch.optim.Optimizer.load_state_dict(opt, state_dict)
    ask(opt.sandbox, "load_state", handle=opt.handle,
        states=[dict(opt.state.get(p, {})) for p in _parameters(opt)])


def _schedule_class(sandbox, ref, name, d):
    def __init__(self, optimizer, *args, **kwargs):
        self.optimizer = optimizer
        answer = ask(sandbox, "new", ref=ref, args=args, kwargs=kwargs,
                     groups=[{"lr": g["lr"]} for g in optimizer.param_groups])
        self.handle = answer["handle"]
        self._set(answer["lrs"])

    def _set(self, lrs):
        if not (isinstance(lrs, list) and len(lrs) == len(self.optimizer.param_groups)
                and all(isinstance(x, (int, float)) for x in lrs)):
            raise RuntimeError("the schedule gave no learning rate per param group")
        self.lrs = lrs
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr

    def step(self):
        self._set(ask(sandbox, "lrs", handle=self.handle, step=True))
    signature = _signature(d.get("signature"))
    if signature is not None:
        __init__.__signature__ = signature
    return type(name, (), {"__init__": __init__, "_set": _set, "step": step,
                           "get_last_lr": lambda self: list(self.lrs),
                           "__module__": d["module"], "handgrad_uses": set(d["uses"])})


def _value(name, d):
    """A value that is not callable: its type's name and its repr, as the sandbox saw them."""
    kind = "".join(c for c in d["type"] if c.isalnum() or c == "_") or "object"
    kind = kind if kind[0].isalpha() else "V" + kind
    return type(kind, (), {"__repr__": lambda self: printable(d["repr"], 60)})()


FIELDS = {"callable": bool, "type": str, "repr": str, "name": str, "module": str, "kind": str,
          "uses": list}


def _checked(key, d):
    if not (isinstance(key, str) and key.isidentifier() and isinstance(d, dict)
            and all(isinstance(d.get(f), t) for f, t in FIELDS.items())
            and all(isinstance(u, str) for u in d["uses"])):
        return None
    return d


MAKERS = {"function": _function, "partial": _function, "function_class": _function_class,
          "module_class": _module_class, "optimizer_class": _optimizer_class,
          "schedule_class": _schedule_class}


def module(sandbox, index, name, names):
    """A stand-in module named ``name`` for the sandbox's file ``index``, from the sandbox's
    description of its names (each checked to be the data it should be, or left out)."""
    made = types.ModuleType(name)
    for key, d in names.items():
        d = _checked(key, d)
        if d is None:
            continue
        ref = [index, key]
        if d["kind"] == "apply":
            cls = _function_class(sandbox, ref, d.get("of") or "Function", d, attr=None)
            setattr(made, key, cls.apply)
        elif d["kind"] in MAKERS:
            setattr(made, key, MAKERS[d["kind"]](sandbox, ref, key, d))
        elif d["callable"]:  # a class of another kind: called, its value
            setattr(made, key, _function(sandbox, ref, key, d))
        else:
            setattr(made, key, _value(key, d))
    return made
