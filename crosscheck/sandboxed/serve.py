"""The one program that runs inside a submission's sandbox: it loads the submission's files
and evaluates their objects on the inputs the grader sends, and nothing else. It compares
nothing, decides nothing and writes no file: every answer goes back as data (wire.py), and
the grader (crosscheck/grading/) checks it. A submission may rewrite all of this from
inside; all it can change is its own answers.

Requests, one at a time on stdin, answers on the original stdout (the submission's own
prints go to stderr, which the grader keeps a short tail of):

    load      the files: each one's public names, described (what match() looks at)
    call      an object (a name, or a handle to something built) on arguments; the graph of
              its outputs is kept by an id for ``grad``; inputs it changed come back
    grad      the gradients of a call's inputs under the given output gradients
    new       build an object (a module, an optimizer, a schedule); its handle
    step      an optimizer's step on given parameters, gradients and hyperparameters
    lrs, load_state  a schedule's learning rates; an optimizer's state put back
"""
import functools
import importlib
import inspect
import operator
import os
import resource
import sys
import types
from collections import OrderedDict

import torch

from . import wire
from .load import Fault, load_file, module_name, no_hard_exit

EXIT = os._exit  # the real one: a learner's call of it raises HardExit (load.no_hard_exit)

KEPT_GRAPHS = 10_000  # the graphs waiting for a ``grad``, at most (the grader says which
#                      it no longer needs: ``forget``)
MOST_NAMES = 500


def limits(processes, file_bytes, cpu_seconds):
    """The limits of everything this process and its children do, set before any of the
    submission runs (a hard limit cannot be raised again). The address space is limited
    once torch is in (``limit_memory``): it counts shared mappings too."""
    for which, value in ((resource.RLIMIT_NPROC, processes), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_FSIZE, file_bytes),
                         (resource.RLIMIT_CPU, cpu_seconds)):
        resource.setrlimit(which, (value, value))


def light_torch():
    """Two of torch's modules that it imports the first time an optimizer runs (its compiler,
    torch._dynamo, only to keep it away) and the first time a gradient is asked for (symbolic
    shapes, and sympy with it, to compare sizes): together two seconds of every sandbox's
    start. Here nothing is compiled and no size is symbolic, so stand-ins do what torch asks
    of them there; any other use of either module loads the real one."""
    _stand_in("torch._dynamo", disable=lambda fn=None, *args, **kwargs: fn if fn is not None
              else (lambda f: f), graph_break=lambda: None, is_compiling=lambda: False)
    _stand_in("torch.fx.experimental.symbolic_shapes", expect_true=bool, sym_eq=operator.eq)


def _stand_in(name, **attributes):
    stub = types.ModuleType(name)
    stub.__dict__.update(attributes)

    def real(attribute):  # what the stand-in lacks: the real module, from now on
        if attribute.startswith("__"):  # what the import system asks of any module
            raise AttributeError(attribute)
        del sys.modules[name]
        return getattr(importlib.import_module(name), attribute)
    stub.__getattr__ = real
    sys.modules[name] = stub


def limit_memory(budget):
    """At most ``budget`` bytes of address space beyond what Python and torch hold now."""
    with open("/proc/self/status") as f:
        now = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (now + budget, now + budget))


class Server:
    def __init__(self):
        self.modules, self.objects, self.graphs = [], {}, OrderedDict()

    # load: the files and what is in them
    def load(self, files):
        found = []
        for i, path in enumerate(files):
            try:
                with no_hard_exit():
                    module = load_file(path, name=module_name(path, i))
            except Fault as fault:
                self.modules.append(None)
                found.append({"fault": fault.data})
                continue
            self.modules.append(module)
            names = [n for n in vars(module) if not n.startswith("__")][:MOST_NAMES]
            found.append({"names": {n: describe(vars(module)[n], module) for n in names}})
        return found

    def _object(self, ref):
        if isinstance(ref, int):
            return self.objects[ref]
        index, name = ref
        return vars(self.modules[index])[name]

    # call and grad: an op, its backward
    def call(self, ref, args, kwargs, grad, attr=None, params=None, forget=()):
        for graph in forget:
            self.graphs.pop(graph, None)
        fn = self._object(ref)
        fn = getattr(fn, attr) if attr else fn  # a Function's apply
        if params is not None:  # a module: its parameters as the grader holds them now
            with torch.no_grad():
                for p, value in zip(fn.parameters(), params):
                    p.copy_(value)
        sent = wire.tensors((args, kwargs))
        before = [t.detach().clone() for t in sent]
        with torch.enable_grad() if grad else torch.no_grad():
            out = fn(*args, **kwargs)
        changed = [[i, t.detach()] for i, (t, b) in enumerate(zip(sent, before))
                   if not torch.equal(t.detach(), b)]  # changed in place (or holds a NaN)
        graph = None
        if grad:
            leaves = [t for t in sent if t.requires_grad]
            if params is not None:
                leaves += list(fn.parameters())
            graph = len(self.graphs) and next(reversed(self.graphs)) + 1 or 1
            self.graphs[graph] = (out, leaves)
            while len(self.graphs) > KEPT_GRAPHS:
                self.graphs.popitem(last=False)
        return {"out": _detached(out), "graph": graph, "changed": changed}

    def grad(self, graph, grads):
        out, leaves = self.graphs[graph]
        pairs = [(o, g) for o, g in zip(wire.tensors(out), grads)
                 if g is not None and o.requires_grad]
        if not pairs or not leaves:
            return [None] * len(leaves)
        got = torch.autograd.grad([o for o, _ in pairs], leaves, [g for _, g in pairs],
                                  allow_unused=True, retain_graph=True)
        return [None if g is None else g.detach() for g in got]

    # new, step, lrs, load_state: modules, optimizers and schedules
    def new(self, ref, args, kwargs, rng=None, groups=None):
        if rng is not None:
            torch.set_rng_state(rng)
        cls = self._object(ref)
        if groups is not None:  # a schedule: an optimizer of the grader's groups to drive
            params = [torch.nn.Parameter(torch.zeros(1)) for _ in groups]
            args = (torch.optim.SGD([{"params": [p], **g} for p, g in zip(params, groups)],
                                    lr=groups[0]["lr"]), *args)
        elif args and isinstance(args[0], list) and _optimizer(cls):
            args = (_as_parameters(args[0]), *args[1:])
        obj = cls(*args, **kwargs)
        handle = len(self.objects) + 1
        self.objects[handle] = obj
        answer = {"handle": handle}
        if isinstance(obj, torch.nn.Module):
            answer["parameters"] = {n: p.detach() for n, p in obj.named_parameters()}
        if isinstance(obj, torch.optim.Optimizer):
            answer["groups"] = _hyper(obj)
        if hasattr(obj, "get_last_lr"):
            answer["lrs"] = list(obj.get_last_lr())
        return answer

    def step(self, handle, params, grads, groups, loss=None):
        opt = self.objects[handle]
        mine = [p for group in opt.param_groups for p in group["params"]]
        with torch.no_grad():
            for p, value, g in zip(mine, params, grads):
                p.copy_(value)
                p.grad = g
        for group, hyper in zip(opt.param_groups, groups):
            group.update(hyper)
        opt.step((lambda: loss) if loss is not None else None)
        return {"params": [p.detach() for p in mine], "state": _state(opt, mine)}

    def load_state(self, handle, states):
        opt = self.objects[handle]
        mine = [p for group in opt.param_groups for p in group["params"]]
        for p, state in zip(mine, states):
            if state:
                opt.state[p] = {k: v.clone() if isinstance(v, torch.Tensor) else v
                                for k, v in state.items()}
        return None

    def lrs(self, handle, step):
        sched = self.objects[handle]
        if step:
            sched.optimizer.step()
            sched.step()
        return list(sched.get_last_lr())


def _optimizer(cls):
    return inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer)


def _as_parameters(groups):
    """The grader's param groups ([{'params': [tensors], ...}]) as groups of Parameters."""
    return [{**g, "params": [torch.nn.Parameter(t.detach().clone()) for t in g["params"]]}
            for g in groups]


def _hyper(opt):
    return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


def _state(opt, params):
    return [{str(k): v for k, v in opt.state.get(p, {}).items()} for p in params]


def _detached(value):
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, (list, tuple)):
        return type(value)(_detached(v) for v in value)
    if isinstance(value, dict):
        return {k: _detached(v) for k, v in value.items()}
    return value


# describe: what the grader's match() needs to know of a name, as data
KINDS = (("function_class", torch.autograd.Function), ("module_class", torch.nn.Module),
         ("optimizer_class", torch.optim.Optimizer))


def describe(value, module):
    """A name's value as the grader sees it: its kind, its module, its signatures, the
    global names its code uses."""
    owner = getattr(value, "__self__", value)
    found = {"callable": callable(value), "type": type(value).__name__,
             "repr": _repr(value), "name": str(getattr(value, "__name__", ""))[:100],
             "module": str(getattr(owner, "__module__", "") or "")[:100],
             "kind": "other", "uses": sorted(uses(value))[:500]}
    if isinstance(value, functools.partial):
        found["kind"] = "partial"
        found["module"] = str(getattr(value.func, "__module__", "") or "")[:100]
        found["signature"] = _signature(value)
    elif inspect.isclass(value):
        kind = next((k for k, base in KINDS if issubclass(value, base) and value is not base),
                    "class")
        if kind == "class" and hasattr(value, "get_last_lr"):
            kind = "schedule_class"
        found["kind"] = kind
        found["signature"] = _signature(value.__init__)
        found["forward"] = _signature(getattr(value, "forward", None))
    elif getattr(value, "__name__", None) == "apply" and inspect.isclass(owner) \
            and issubclass(owner, torch.autograd.Function):
        found["kind"] = "apply"
        found["of"] = next((n for n, v in vars(module).items() if v is owner), "")
        found["forward"] = _signature(owner.forward)
    elif callable(value):
        found["kind"] = "function"
        found["signature"] = _signature(value)
    return found


def _repr(value):
    try:
        return repr(value)[:60]
    except Exception:  # a learner's __repr__ may raise
        return "?"


def _signature(fn):
    """[(name, kind, has a default)] of fn's parameters, or None."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    return [[p.name, int(p.kind), p.default is not p.empty] for p in params][:50]


def uses(obj):
    """The global names an object's code refers to (its functions', methods' and nested
    functions', and a class's bases): the helpers a piece calls are part of it. (Read here
    for a sandboxed file, and by matching.match for a file checked in-process.)"""
    obj = getattr(obj, "func", obj)  # a partial
    codes = [getattr(obj, "__code__", None)]
    names = set()
    if inspect.isclass(obj):
        codes = [getattr(getattr(f, "__func__", f), "__code__", None)
                 for f in vars(obj).values()]
        names = {base.__name__ for base in obj.__mro__[1:]}
    todo = [c for c in codes if c is not None]
    while todo:
        code = todo.pop()
        names.update(code.co_names)
        todo += [c for c in code.co_consts if inspect.iscode(c)]
    return names


def _raised(err):
    """An exception as data: its kind, its first line, and a refusal's argument."""
    text = str(err)
    return {"raised": {"type": type(err).__name__[:60],
                       "text": (text.splitlines()[0] if text else "")[:300],
                       "argument": str(getattr(err, "argument", ""))[:60]
                       if type(err).__name__ == "NotSupported" else None}}


def main():
    """Serve until stdin ends. ``argv``: processes, file bytes, cpu seconds, memory bytes."""
    processes, file_bytes, cpu_seconds, memory = map(int, sys.argv[1:5])
    limits(processes, file_bytes, cpu_seconds)
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the submission's prints: to stderr, never into the answers
    requests = os.fdopen(os.dup(0), "rb")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    torch.set_num_threads(1)
    light_torch()
    limit_memory(memory)
    server, serving = Server(), os.getpid()
    wire.send(answers, {"ready": True})
    while True:
        try:
            request = wire.receive(requests, 1 << 40)
        except EOFError:
            return
        what = request.pop("op")
        try:
            with no_hard_exit():
                answer = {"value": getattr(server, what)(**request)}
        except BaseException as err:  # the submission's, whatever it raised, sent as data
            answer = _raised(err)
        if os.getpid() != serving:  # a copy the submission forked (its os._exit raised
            EXIT(0)                # HardExit here): only the server reads and answers
        try:
            wire.send(answers, answer)
        except BaseException as err:  # a value that is not data
            wire.send(answers, _raised(err))
