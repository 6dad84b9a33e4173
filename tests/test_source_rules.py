"""The mirror rule and the no-built-ins rule, read from the source."""
import ast
import importlib
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MANUAL = sorted(p.stem for p in (ROOT / "manual").glob("*.py") if p.stem != "__init__")
# the notes' stop rules have no torch built-in; the fast convolution's is conv.py's (its
# registry rows hold it to manual/conv.py's numbers)
NO_TWIN = {"stopping", "conv_fast"}


@pytest.mark.parametrize("topic", MANUAL)
def test_manual_and_torch_ref_export_the_same_names(topic):
    manual = importlib.import_module(f"manual.{topic}")
    assert manual.__all__, f"manual/{topic}.py exports nothing"
    for name in manual.__all__:
        assert hasattr(manual, name), f"manual.{topic}.__all__ names a missing {name}"
    if topic in NO_TWIN:
        return
    twin = importlib.import_module(f"torch_ref.{topic}")
    assert sorted(manual.__all__) == sorted(twin.__all__)
    for name in twin.__all__:
        assert hasattr(twin, name), f"torch_ref.{topic}.__all__ names a missing {name}"


# What manual/ re-derives, so may not call: the built-in ops, losses, convolution, pooling,
# optimizers and schedulers, and autograd inside a hand-written backward.
FORBIDDEN_ATTRS = {
    "sigmoid", "tanh", "relu", "relu_", "softmax", "log_softmax", "gelu", "elu", "leaky_relu",
    "logsigmoid", "softplus", "linear", "mse_loss", "cross_entropy", "nll_loss", "conv1d",
    "conv2d", "conv3d", "convolution", "conv_transpose2d", "unfold", "fold", "max_pool2d",
    "max_pool2d_with_indices", "adaptive_max_pool2d", "lstsq", "SGD", "Adagrad", "RMSprop",
    "Adam", "AdamW", "LinearLR", "CosineAnnealingLR", "SequentialLR", "LambdaLR",
    "Conv2d", "MaxPool2d", "Unfold", "Fold", "backward", "functional",
    # the collectives and wrappers manual/distributed.py builds from sends and receives
    "all_reduce", "broadcast", "reduce_scatter", "reduce_scatter_tensor", "all_gather",
    "all_gather_into_tensor", "DistributedDataParallel", "ZeroRedundancyOptimizer",
}
FORBIDDEN_MODULES = ("torch.nn.functional", "torch.optim", "torch.func", "torch.nn.grad",
                     "torch.autograd.functional", "torch.nn.parallel",
                     "torch.distributed.optim")
INTERFACES = {"torch.optim.Optimizer", "torch.optim.lr_scheduler.LRScheduler"}  # allowed


def _violations(path):
    tree = ast.parse(path.read_text())
    own = set()  # manual's own modules, whose functions share torch's names by design
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("manual", None):
            own.update(a.asname or a.name for a in node.names)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("manual."):
            own.update(a.asname or a.name for a in node.names)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{a.name}" for a in node.names]
            else:
                names = [a.name for a in node.names]
            for n in names:
                if n in INTERFACES:
                    continue
                if any(n == m or n.startswith(m + ".") for m in FORBIDDEN_MODULES):
                    yield f"line {node.lineno}: imports {n}"
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRS:
            if isinstance(node.value, ast.Name) and node.value.id in own:
                continue
            yield f"line {node.lineno}: .{node.attr}"
        elif isinstance(node, ast.Attribute) and node.attr == "grad":
            if isinstance(node.value, ast.Attribute) and node.value.attr == "autograd":
                yield f"line {node.lineno}: autograd.grad"


@pytest.mark.parametrize("topic", MANUAL)
def test_manual_calls_no_builtin_it_rederives(topic):
    found = list(_violations(ROOT / "manual" / f"{topic}.py"))
    assert not found, f"manual/{topic}.py: " + ", ".join(found)


def test_the_rule_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nimport torch.nn.functional as F\n"
                   "def f(x):\n    x.sum().backward()\n    return torch.sigmoid(x)\n")
    found = list(_violations(bad))
    assert any("torch.nn.functional" in v for v in found)
    assert any(".sigmoid" in v for v in found) and any(".backward" in v for v in found)
    bad.write_text("import torch.distributed as dist\n"
                   "from torch.nn.parallel import DistributedDataParallel\n"
                   "def all_reduce(t):\n    dist.all_reduce(t)\n    return t\n")
    found = list(_violations(bad))
    assert any(".all_reduce" in v for v in found)
    assert any("torch.nn.parallel" in v for v in found)


# The proof never reaches the commands or the training code (nothing of torch_ref/cnn), and
# reading the registry loads neither torchvision nor tensorboard (both pulled in by training).
TRAINING = ("crosscheck.commands", "crosscheck.cli", "torch_ref.cnn", "torchvision",
            "tensorboard", "torch.utils.tensorboard")
PROOF = sorted(p.relative_to(ROOT / "crosscheck" / "proof").as_posix()
               for p in (ROOT / "crosscheck" / "proof").rglob("*.py"))


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


@pytest.mark.parametrize("name", PROOF)
def test_the_proof_imports_no_command_and_no_training_code(name):
    bad = [m for m in _imports(ROOT / "crosscheck" / "proof" / name)
           if any(m == t or m.startswith(t + ".") for t in TRAINING)]
    assert not bad, f"crosscheck/proof/{name} imports {bad}"


def test_reading_the_registry_loads_no_torchvision_nor_tensorboard():
    code = ("import sys, crosscheck.proof.records.registry; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torchvision', 'tensorboard') or m.startswith('crosscheck.commands')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.strip() == "[]", out


# -- facts travel as records: nothing parses a failure message, nothing reads another
# package's private attributes, every function fits on a screen --------------------------

CODE = sorted(p for d in ("manual", "torch_ref", "crosscheck", "handgrad")
              for p in (ROOT / d).rglob("*.py"))
ALL = CODE + sorted((ROOT / "tests").rglob("*.py")) + sorted((ROOT / "tools").rglob("*.py"))
MESSAGES = {"err", "error", "exc", "failure", "failures", "message"}  # names that hold one
PARSING = {"startswith", "endswith", "partition", "rpartition", "find", "index", "split",
           "splitlines", "count"}


def _is_message(node):
    """An expression that is, or holds, an exception's or a failure's text."""
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id in MESSAGES:
            return True
        if isinstance(n, ast.Attribute) and n.attr in ("failures", "message", "text"):
            return True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "str":
            return True
    return False


def _parses_messages(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module]
            if "re" in modules:
                yield f"line {node.lineno}: imports re"
        elif (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant)
              and isinstance(node.left.value, str)
              and any(isinstance(o, (ast.In, ast.NotIn)) for o in node.ops)
              and any(_is_message(c) for c in node.comparators)):
            yield f"line {node.lineno}: {ast.unparse(node)}"
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in PARSING and _is_message(node.func.value)):
            yield f"line {node.lineno}: {ast.unparse(node)}"


@pytest.mark.parametrize("path", CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_parses_a_failure_message(path):
    if path == ROOT / "torch_ref" / "errors.py":  # first_line: an error's first line, to print
        return
    found = list(_parses_messages(path))
    assert not found, f"{path.relative_to(ROOT)} reads text where a record belongs: {found}"


PUBLIC = {"os._exit"}  # documented API that happens to start with an underscore
PROTOCOL = {"_repr_html_"}  # what IPython asks an object for, by name


def _private_reads(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__") and ast.unparse(node) not in PUBLIC
                and node.attr not in PROTOCOL
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            yield f"line {node.lineno}: {ast.unparse(node)}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_reads_a_private_attribute_of_another_object(path):
    # torch's test inputs come from torch.testing._internal, imported by its module name
    # (crosscheck/proof/checks/torch_suite.py), not read as an attribute
    found = list(_private_reads(path))
    assert not found, f"{path.relative_to(ROOT)}: {found}"


def _long_functions(path, limit=40):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > limit:
                yield f"{node.name} ({length} lines)"


@pytest.mark.parametrize("path", CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_function_fits_on_a_screen(path):
    found = list(_long_functions(path))
    assert not found, f"{path.relative_to(ROOT)}: {found}"


def test_the_record_rules_catch_what_they_forbid(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import re\n"
                   "def f(m, err, parser):\n"
                   "    if 'not supported' in str(err) or m.failures[0].startswith('step'):\n"
                   "        return parser._subparsers\n"
                   + "    x = 1\n" * 40)
    assert len(list(_parses_messages(bad))) == 3
    assert len(list(_private_reads(bad))) == 1
    assert len(list(_long_functions(bad))) == 1


# -- the public functions of manual/ and crosscheck/proof/ say their types (mypy checks them
# in CI); an autograd Function's methods follow torch's interface, typed there ---------------

FUNCTION_METHODS = {"forward", "setup_context", "backward", "jvp", "vmap"}

TYPED = sorted(p for d in ("manual", "crosscheck/proof") for p in (ROOT / d).rglob("*.py"))


def _untyped(path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        functions = [node] if isinstance(node, ast.FunctionDef) else []
        if isinstance(node, ast.ClassDef):
            functions = [f for f in node.body if isinstance(f, ast.FunctionDef)
                         and f.name not in FUNCTION_METHODS]
        for f in functions:
            if f.name.startswith("_"):
                continue
            args = [a for a in f.args.posonlyargs + f.args.args + f.args.kwonlyargs
                    if a.arg not in ("self", "cls")]
            if f.returns is None or any(a.annotation is None for a in args):
                yield f"{f.name} (line {f.lineno})"


@pytest.mark.parametrize("path", TYPED, ids=[str(p.relative_to(ROOT)) for p in TYPED])
def test_public_functions_are_annotated(path):
    found = list(_untyped(path))
    assert not found, f"{path.relative_to(ROOT)}: not annotated: {', '.join(found)}"


def test_the_annotation_rule_sees_an_unannotated_function(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(x: int) -> int:\n    return x\n\n\ndef g(x):\n    return x\n")
    assert list(_untyped(bad)) == ["g (line 5)"]
