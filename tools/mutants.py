"""Mutation testing of manual/: every one-token change to a hand derivation, and whether
``handgrad check`` or pytest notices it.

    python tools/mutants.py                      # all of manual/; report in runs/mutants/
    python tools/mutants.py manual/conv.py       # one file (results of others are kept)
    python tools/mutants.py --fresh              # forget earlier results

A mutant changes one token: + and -, * and /, ** to *, a comparison to its neighbour
(< and <=, == and !=, is and is not), a dropped unary minus or `not`, `and` and `or`,
a number n to n + 1, True and False. Strings, error messages (`raise ...`) and
docstrings are left alone. A mutant is killed when a check row fails (a negative
control accepted counts too), a test fails, it raises, or it runs past its time limit.
The check runs every row of the entries that reach the mutated line on the CPU, in every
dtype (the families' complex, integer and half rows included) with the negative controls,
each row ending at its first failure (a mutant is only asked whether a row fails);
tests/test_registry.py, which runs the same rows again, is left out.

Each mutant runs, in a child forked after torch is imported, with the mutated module
served by an import hook (the files on disk never change): first the registry entries
that execute its line, then, if it survived them, the tests that do (both found once,
by tracing, and kept in runs/mutants/coverage.json). Two kinds of test cannot kill a
mutant here, so the score is a lower bound: tests that start `handgrad` in a subprocess
(they see the file on disk) and tests that train a network (over SLOW_TEST seconds, left
out to keep a run to about an hour).
"""
import argparse
import ast
import copy
import importlib.abc
import importlib.util
import json
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "runs" / "mutants"
sys.path.insert(0, str(ROOT))

SLOW_TEST = 5.0  # seconds (traced); tests that train a network are left out of mutant runs
SAME_AS_CHECK = "tests/test_registry.py"  # runs the check's own rows again
SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
        ast.Pow: ast.Mult, ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv,
        ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
        ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
        ast.In: ast.NotIn, ast.NotIn: ast.In, ast.And: ast.Or, ast.Or: ast.And}


# --- the mutants -------------------------------------------------------------------------

def _parents(tree):
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child.parent = node
    return tree


def _skipped(node):
    """Inside a raise (its message), an f-string, or an annotation."""
    while hasattr(node, "parent"):
        parent = node.parent
        if isinstance(parent, (ast.Raise, ast.JoinedStr)):
            return True
        if isinstance(parent, (ast.arg, ast.AnnAssign)) and node is parent.annotation:
            return True
        node = parent
    return False


def _sites(tree):
    """(node, what) for every one-token change, in a fixed order."""
    for node in ast.walk(tree):
        if _skipped(node):
            continue
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in SWAP:
            yield node, f"{_sym(node.op)} -> {_sym(SWAP[type(node.op)]())}"
        elif isinstance(node, ast.BoolOp):
            yield node, f"{_sym(node.op)} -> {_sym(SWAP[type(node.op)]())}"
        elif isinstance(node, ast.Compare):
            for i, o in enumerate(node.ops):
                if type(o) in SWAP:
                    yield (node, i), f"{_sym(o)} -> {_sym(SWAP[type(o)]())}"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            yield node, f"drop {_sym(node.op)}"
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
            new = (not node.value) if isinstance(node.value, bool) else node.value + 1
            yield node, f"{node.value!r} -> {new!r}"


def _sym(op):
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
            ast.FloorDiv: "//", ast.Mod: "%", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
            ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not",
            ast.In: "in", ast.NotIn: "not in", ast.And: "and", ast.Or: "or",
            ast.USub: "-", ast.Not: "not"}[type(op)]


def _apply(site):
    node, i = site if isinstance(site, tuple) else (site, None)
    if i is not None:
        node.ops[i] = SWAP[type(node.ops[i])]()
    elif isinstance(node, (ast.BinOp, ast.AugAssign, ast.BoolOp)):
        node.op = SWAP[type(node.op)]()
    elif isinstance(node, ast.UnaryOp):  # the operand takes the operator's place
        parent = node.parent
        for field, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, field, node.operand)
            elif isinstance(value, list) and node in value:
                value[value.index(node)] = node.operand
    else:
        node.value = (not node.value) if isinstance(node.value, bool) else node.value + 1


def _probe_line(node):
    """The line whose execution means the mutant is reached: a default argument is
    reached when its function body runs; code at module or class level by every check."""
    while hasattr(node, "parent"):
        parent = node.parent
        if isinstance(parent, (ast.FunctionDef, ast.Lambda)):
            if isinstance(node, ast.arguments):
                body = [s for s in parent.body if not (isinstance(s, ast.Expr)
                        and isinstance(s.value, ast.Constant))]
                return body[0].lineno if body else None
            return "function"
        node = parent
    return None


def mutants(path):
    source = path.read_text()
    tree = _parents(ast.parse(source))
    lines = source.splitlines()
    for k, (site, what) in enumerate(_sites(tree)):
        node = site[0] if isinstance(site, tuple) else site
        probe = _probe_line(node)
        yield {"id": f"{path.relative_to(ROOT)}:{node.lineno}:{k}",
               "file": str(path.relative_to(ROOT)), "line": node.lineno, "index": k,
               "what": what, "source": lines[node.lineno - 1].strip(),
               "probe": node.lineno if probe == "function" else probe}


def mutated_code(path, index):
    tree = _parents(ast.parse(path.read_text()))
    site = list(_sites(tree))[index][0]
    _apply(site)
    return compile(ast.fix_missing_locations(copy.deepcopy(tree)), str(path), "exec")


class Serve(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import hook: the named module comes from the given code object."""

    def __init__(self, name, path, code):
        self.name, self.path, self.code = name, path, code

    def find_spec(self, fullname, path, target=None):
        if fullname == self.name:
            package = self.path.name == "__init__.py"  # manual itself: its modules beneath
            spec = importlib.util.spec_from_loader(fullname, self, origin=str(self.path),
                                                   is_package=package)
            if package:
                spec.submodule_search_locations = [str(self.path.parent)]
            return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = str(self.path)
        exec(self.code, module.__dict__)


# --- what reaches each line --------------------------------------------------------------

class Tracer:
    """Lines of manual/ executed while active."""

    def __init__(self):
        self.lines = set()
        self.prefix = str(ROOT / "manual")

    def __call__(self, frame, event, arg):
        if frame.f_code.co_filename.startswith(self.prefix):
            return self._line
        return None

    def _line(self, frame, event, arg):
        if event == "line":
            self.lines.add(f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}")
        return self._line

    def __enter__(self):
        sys.settrace(self)
        return self

    def __exit__(self, *exc):
        sys.settrace(None)


def _rows(entry):
    """Every row of an entry on the CPU: each of its dtypes (the families' complex, integer
    and half ones included) and its negative controls."""
    from crosscheck.rows import plan
    return list(plan([entry], None, ["cpu"]))


def trace_entries():
    from crosscheck.proof.records.registry import REGISTRY
    from crosscheck.rows import run_row
    found = {}
    for entry in REGISTRY:
        start = time.perf_counter()
        with Tracer() as t:
            for row in _rows(entry):
                run_row(row)
        found[entry.name] = {"lines": sorted(t.lines), "seconds": time.perf_counter() - start}
        print(f"traced {entry.name} ({found[entry.name]['seconds']:.1f} s)", flush=True)
    return found


class TestTracer:
    """pytest plugin: the manual/ lines each test executes."""

    def __init__(self):
        self.found = {}

    def pytest_runtest_call(self, item):
        self._start = time.perf_counter()
        self._tracer = Tracer().__enter__()

    def pytest_runtest_teardown(self, item):
        self._tracer.__exit__()
        self.found[item.nodeid] = {"lines": sorted(self._tracer.lines),
                                   "seconds": time.perf_counter() - self._start}


def trace_tests():
    import pytest
    plugin = TestTracer()
    pytest.main(["-q", "-p", "no:cacheprovider", str(ROOT / "tests")], plugins=[plugin])
    return plugin.found


# --- running a mutant --------------------------------------------------------------------

def _in_child(fn, *args, timeout):
    """fn(*args) in a forked child: its result, or 'timeout' / 'crash'."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child():
        import torch
        torch.set_num_threads(1)
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)  # pytest captures at the descriptor level: silence it there
        os.dup2(quiet, 2)
        try:
            result = fn(*args)
        except BaseException as e:  # a mutant may raise anything
            result = f"raised {type(e).__name__}"
        send.send(result)

    p = ctx.Process(target=child)
    p.start()
    result = receive.recv() if receive.poll(timeout) else "timeout"
    p.kill()
    p.join()
    return result


def _run_mutant(m, entries, tests):
    path = ROOT / m["file"]
    name = ".".join(Path(m["file"]).with_suffix("").parts).removesuffix(".__init__")
    for module in [n for n in sys.modules if n.split(".")[0] in OURS]:
        del sys.modules[module]  # the parent imported manual itself: serve it mutated too
    sys.meta_path.insert(0, Serve(name, path, mutated_code(path, m["index"])))
    from crosscheck.proof.checks.measure import first_failure_ends
    from crosscheck.proof.records.registry import REGISTRY
    from crosscheck.rows import run_row
    chosen = [e for e in REGISTRY if e.name in entries]
    for e in sorted(chosen, key=lambda e: entries[e.name]):
        for row in _rows(e):  # and the negative controls
            with first_failure_ends():  # a mutant is only asked whether a row fails
                passed = run_row(row).passed
            if not passed:
                return f"check {e.name}"
    if tests:
        import pytest
        status = pytest.main(["-x", "-q", "-p", "no:cacheprovider", *tests])
        if status == pytest.ExitCode.TESTS_FAILED:
            return "pytest"
        if status != pytest.ExitCode.OK:
            return f"pytest could not run ({status.name})"  # not a kill
    return "survived"


def _reaching(m, coverage):
    key = f"{Path(m['file']).name}:{m['probe']}"
    entries = {n: c["seconds"] for n, c in coverage["entries"].items()
               if m["probe"] is None or key in c["lines"]}
    tests = [n for n, c in coverage["tests"].items() if c["seconds"] < SLOW_TEST
             and not n.startswith(SAME_AS_CHECK)
             and (m["probe"] is None or key in c["lines"])]
    return entries, tests


OURS = ("manual", "torch_ref", "crosscheck")


def _preload():
    """The heavy imports that are not manual/'s, once, for every child to inherit."""
    import pytest  # noqa: F401
    import tensorboard  # noqa: F401
    import torch

    from crosscheck.proof.checks.harness import exact_float32  # imports no manual/ module
    exact_float32()  # before torch's test suite locks the cuDNN flags
    import torch.testing._internal.common_methods_invocations  # noqa: F401
    import torch.testing._internal.common_optimizers  # noqa: F401
    import torchvision  # noqa: F401


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=sorted(ROOT.glob("manual/*.py")))
    parser.add_argument("--fresh", action="store_true", help="forget earlier results")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="mutants at once")
    parser.add_argument("--retrace", action="store_true", help="find again what reaches "
                        "each line (after the checks or tests changed)")
    parser.add_argument("--results", default="results.jsonl", help="in runs/mutants/")
    parser.add_argument("--carry", type=Path, help="an earlier results file: its kills of "
                        "mutants unchanged since (same id, token and line) are kept, the rest "
                        "run (sound while checks and tests are only added)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    _preload()

    cov_file = OUT / "coverage.json"
    if args.fresh or args.retrace or not cov_file.exists():
        coverage = {"entries": _in_child(trace_entries, timeout=3600),
                    "tests": _in_child(trace_tests, timeout=3600)}
        cov_file.write_text(json.dumps(coverage))
    coverage = json.loads(cov_file.read_text())
    results_file = OUT / args.results
    done = {} if args.fresh or not results_file.exists() else {
        r["id"]: r for r in map(json.loads, results_file.read_text().splitlines())}
    if args.carry:
        kept = [r for r in map(json.loads, args.carry.read_text().splitlines()) if killed(r)]
        kept = {(r["id"], r["what"], r["source"]): r for r in kept}
        with results_file.open("a") as out:
            for f in args.files:
                for m in mutants(f.resolve()):
                    before = kept.get((m["id"], m["what"], m["source"]))
                    if before and m["id"] not in done:
                        result = before["result"].removeprefix("before: ")
                        done[m["id"]] = {**m, "result": "before: " + result}
                        out.write(json.dumps(done[m["id"]]) + "\n")
    todo = [m for f in args.files for m in mutants(f.resolve()) if m["id"] not in done]
    print(f"{len(todo)} mutants to run, {len(done)} known", flush=True)
    lock, count = threading.Lock(), iter(range(1, len(todo) + 1))

    def one(m):
        entries, tests = _reaching(m, coverage)
        if not entries and not tests:
            m["result"] = "not reached"
        else:
            limit = 60 + 3 * sum(entries.values())
            m["result"] = _in_child(_run_mutant, m, entries, tests, timeout=limit)
        with lock, results_file.open("a") as out:
            out.write(json.dumps(m) + "\n")
            print(f"[{next(count)}/{len(todo)}] {m['id']} {m['what']}: {m['result']}", flush=True)

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(one, todo))
    report(results_file)


def killed(r):
    """A check row failed, a test failed, it raised or ran out of time (or did before)."""
    result = r["result"]
    while result.startswith("before: "):  # carried over, perhaps more than once
        result = result.removeprefix("before: ")
    return result == "pytest" or result.startswith(("check ", "raised", "timeout"))


def report(results_file):
    rows = [json.loads(line) for line in results_file.read_text().splitlines()]
    survivors = [r for r in rows if not killed(r)]
    lines = [f"{len(rows)} mutants, {len(rows) - len(survivors)} killed, "
             f"{len(survivors)} survived ({100 * (len(rows) - len(survivors)) / len(rows):.1f}%"
             " killed)", ""]
    lines += [f"- {r['file']}:{r['line']} `{r['what']}` in `{r['source']}` ({r['result']})"
              for r in survivors]
    (OUT / f"survivors-{results_file.stem}.md").write_text("\n".join(lines) + "\n")
    print(lines[0])


if __name__ == "__main__":
    main()
