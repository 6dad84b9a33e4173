"""The mirror rule and the no-built-ins rule, read from the source."""
import ast
import importlib
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MANUAL = sorted(p.stem for p in (ROOT / "manual").glob("*.py") if p.stem != "__init__")
NO_TWIN = {"stopping"}  # the notes' stop rules have no torch built-in


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
}
FORBIDDEN_MODULES = ("torch.nn.functional", "torch.optim", "torch.func", "torch.nn.grad",
                     "torch.autograd.functional")
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
        if isinstance(node, ast.Import | ast.ImportFrom):
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


# The proof never reaches the commands or the training code, and reading the registry loads
# neither torchvision nor tensorboard (both pulled in by the trainer).
TRAINING = ("crosscheck.commands", "crosscheck.cli", "torch_ref.cnn.train", "torch_ref.cnn.data",
            "torch_ref.cnn.pictures", "torch_ref.cnn.checkpoint", "torchvision", "tensorboard",
            "torch.utils.tensorboard")
PROOF = sorted(p.stem for p in (ROOT / "crosscheck" / "proof").glob("*.py"))


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


@pytest.mark.parametrize("name", PROOF)
def test_the_proof_imports_no_command_and_no_training_code(name):
    bad = [m for m in _imports(ROOT / "crosscheck" / "proof" / f"{name}.py")
           if any(m == t or m.startswith(t + ".") for t in TRAINING)]
    assert not bad, f"crosscheck/proof/{name}.py imports {bad}"


def test_reading_the_registry_loads_no_torchvision_nor_tensorboard():
    code = ("import sys, crosscheck.proof.registry; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torchvision', 'tensorboard') or m.startswith('crosscheck.commands')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.strip() == "[]", out
