"""Forward mode and the torch.func transforms beyond the registry's rows: a class weight's
tangent, a learner's Function without a jvp, the opt-in compile rows, and the README's
worked example of a Jacobian by columns and by rows."""
import contextlib
import io
import re
from pathlib import Path

import pytest
import torch
import torch.autograd.forward_ad as fwAD
import torch.nn.functional as F

from crosscheck.cli import main
from crosscheck.messages import spoken
from crosscheck.proof.checks.torch_errata import cannot_compile
from crosscheck.proof.records.registry import REGISTRY
from crosscheck.rows import select
from manual import losses

ROOT = Path(__file__).resolve().parent.parent
LEARNERS = Path(__file__).parent / "learners"


def _tangent(loss, x, target, weight, dx, dw, reduction):
    with fwAD.dual_level():
        out = loss(fwAD.make_dual(x, dx), target, weight=fwAD.make_dual(weight, dw),
                   reduction=reduction, label_smoothing=0.1)
        return fwAD.unpack_dual(out).tangent


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("targets", ["classes", "probabilities"])
def test_cross_entropy_jvp_in_a_class_weight_is_the_derivative(targets, reduction):
    """Against a central difference; for probability targets torch's forward mode agrees.
    (For class indices torch 2.14's forward mode drops the weight's tangent: 0 where the
    difference is not, so there the difference is the only judge.)"""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(5, 3, dtype=torch.float64, generator=gen)
    weight = torch.rand(3, dtype=torch.float64, generator=gen) + 0.5
    target = (torch.tensor([0, 2, -100, 1, 2]) if targets == "classes"
              else torch.rand(5, 3, dtype=torch.float64, generator=gen).softmax(1))
    dx, dw = torch.randn_like(x, dtype=torch.float64), torch.randn_like(weight)
    mine = _tangent(losses.cross_entropy, x, target, weight, dx, dw, reduction)
    h = 1e-6
    ahead, behind = (F.cross_entropy(x + s * h * dx, target, weight=weight + s * h * dw,
                                     reduction=reduction, label_smoothing=0.1) for s in (1, -1))
    torch.testing.assert_close(mine, (ahead - behind) / (2 * h), rtol=1e-7, atol=1e-9)
    if targets == "probabilities":
        torch.testing.assert_close(mine, _tangent(F.cross_entropy, x, target, weight, dx, dw,
                                                  reduction), rtol=1e-10, atol=1e-12)


def test_a_learners_function_without_a_jvp_is_skipped_not_failed(capsys):
    status = main(["check", "--with", str(LEARNERS / "sigmoid_apply.py"), "--device", "cpu",
                   "--dtype", "float64", "--lang", "en"])
    out = capsys.readouterr().out
    assert status == 0
    assert re.search(r"^forward_sigmoid .* SKIP .*your Function has no jvp", out, re.M)
    assert re.search(r"rows: \d+ passed, 0 failed, \d+ skipped", out)


WRONG_JVP = """
import torch


class MySigmoid(torch.autograd.Function):
    @staticmethod
    def forward(x):
        return 1 / (1 + torch.exp(-x))

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)
        ctx.save_for_forward(output)

    @staticmethod
    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return grad * s * (1 - s)

    @staticmethod
    def jvp(ctx, tangent):
        (s,) = ctx.saved_tensors
        return tangent * s  # not s (1 - s)


sigmoid = MySigmoid.apply
"""


def test_a_learners_wrong_jvp_is_advice_and_fails_under_strict(capsys, tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text(WRONG_JVP)
    command = ["check", "--with", str(mine), "--device", "cpu", "--dtype", "float64", "--lang",
               "en"]
    status = main(command)  # the starter asks for no jvp: a wrong one is advice
    out = capsys.readouterr().out
    assert status == 0 and re.search(r"^sigmoid .* PASS", out, re.M)
    assert re.search(r"^forward_sigmoid .* ADVICE .*forward_ad sample 0", out, re.M)
    assert main([*command, "--strict"]) == 1
    assert re.search(r"^forward_sigmoid .* FAIL .*forward_ad sample 0",
                     capsys.readouterr().out, re.M)


def test_compile_rows_run_only_when_asked():
    compiled = {e.name for e in REGISTRY if e.group == "compile"}
    assert len(compiled) == 16  # the 15 ops and the CNN training step
    assert not compiled & {e.name for e in select(REGISTRY, None)}
    assert not compiled & {e.name for e in select(REGISTRY, "conv2d")}
    assert {e.name for e in select(REGISTRY, "compile")} == compiled
    assert [e.name for e in select(REGISTRY, "compile_relu")] == ["compile_relu"]


def test_a_compile_row_and_its_control():
    entry = next(e for e in REGISTRY if e.name == "compile_relu")
    m = entry.run(torch.float64, "cpu")
    if cannot_compile():  # an older torch: the row says so, and runs nothing
        assert m.not_run == cannot_compile() and m.ok
        pytest.skip(str(cannot_compile()))
    assert m.ok and spoken(m.notes[0], "en").startswith("4 samples: 4 equal"), m.failures
    (wrong,) = entry.wrong.values()
    assert not entry.run(torch.float64, "cpu", wrong).ok


def _readme_example():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Forward and reverse mode"):]
    code, shown = re.findall(r"```python\n(.*?)```\n\nprints\n\n```\n(.*?)```", section, re.S)[0]
    return code, shown


def test_the_readme_jacobian_example_runs_and_prints_what_it_shows():
    code, shown = _readme_example()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    assert printed.getvalue() == shown
