"""The README's recipe for adding an activation, followed to the letter: silu (x sigma(x))
added in a copy of handgrad, in the files the recipe names and no other, then checked: its
rows in every family torch runs it in pass, and its controls are rejected."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READMES = ("README.md", "README_zh-CN.md")  # their concept maps: a row each, by hand

SILU = {
    "manual/activations.py": '''

def silu_backward(grad, input):
    # d/dx x sigma(x) = sigma(x) + x sigma(x) (1 - sigma(x)): the product rule (sigma by its
    # Function, whose own backward is right at 0 too: the second derivative needs it)
    s = apply(Sigmoid, input)
    return grad * s * (1 + input * (1 - s))


class SiLU(Function):
    @staticmethod
    def forward(x):
        return x * _logistic(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)
        ctx.save_for_forward(*inputs)

    @staticmethod
    def backward(ctx, grad):
        return silu_backward(grad, *ctx.saved_tensors)

    @staticmethod
    def jvp(ctx, tangent):
        return diagonal_jvp(silu_backward, tangent, *ctx.saved_tensors)


def silu(input, inplace=False):
    _refuse_inplace("silu", inplace)
    only_floating("silu", input)
    return _apply(SiLU, input)


__all__.append("silu")
''',
    "torch_ref/activations.py": '''
silu = F.silu
__all__.append("silu")
''',
    "crosscheck/proof/records/activations.py": '''

def _silu_sigma_only(ctx, grad):
    (x,) = ctx.saved_tensors  # the product rule forgotten: sigma(x), not its x sigma' term
    return grad / (1 + torch.exp(-x))


ENTRIES.append(op(
    "silu", RELU, activations.silu, activations.SiLU, ref.silu, S.pointwise(extremes=True),
    {"sigma(x) only": with_backward(activations.SiLU, _silu_sigma_only).named("只有 sigma(x)")},
    torch_names("silu", "torch.nn.SiLU"), torch_name="nn.functional.silu",
    torch_dtypes=FLOATS))  # (torch's complex silu is left out of this one)
''',
}


def recipe():
    """The files README.md's "To add an activation" names."""
    text = (ROOT / "README.md").read_text()
    start = text.index("To add an activation")
    said = text[start:text.index("\n\n", start)]
    return {word for word in said.split("`")[1::2] if "/" in word or word in READMES}


def test_the_recipe_names_the_files_the_test_touches_and_no_other():
    assert recipe() == set(SILU) | set(READMES)


def test_an_activation_added_by_the_recipe_passes_every_family_and_rejects_its_control(
        tmp_path):
    copy = tmp_path / "handgrad"
    for package in ("manual", "torch_ref", "crosscheck"):
        shutil.copytree(ROOT / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for name, added in SILU.items():
        with open(copy / name, "a") as f:
            f.write(added)
    out = tmp_path / "rows.json"
    env = {**os.environ, "PYTHONPATH": str(copy)}
    done = subprocess.run([sys.executable, "-m", "crosscheck", "check", "--only", "*silu",
                           "--device", "cpu", "--jobs", "1", "--json", str(out)],
                          cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    rows = json.loads(out.read_text())
    cases = {r["case"] for r in rows if not r["negative_control"]}
    assert cases == {"silu", "conformance_silu", "gradgrad_silu", "half_silu",
                     "layout_silu", "forward_silu", "vmap_silu", "func_silu"}, done.stdout
    assert all(r["passed"] for r in rows), done.stdout
    assert {r["result"] for r in rows if r["negative_control"]} == {"REJECTED"}
    assert done.returncode == 0, done.stdout
