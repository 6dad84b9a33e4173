"""`handgrad check --with FILE` on learners' own files, as learners write them (in
tests/learners/): right ones pass, each known slip is named, bad input is one line."""
import time
from pathlib import Path

import pytest
import torch

from crosscheck.cli import main
from crosscheck.proof.records.family_rows import FAMILIES

LEARNERS = Path(__file__).parent / "learners"


def check_with(path, capsys, *extra):
    status = main(["check", "--with", str(path), "--device", "cpu", "--dtype", "float64",
                   *extra])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("name, cases", [
    ("sigmoid_right", {"sigmoid": "PASS", "conformance_sigmoid": "PASS",
                       "gradgrad_sigmoid": "PASS", "layout_sigmoid": "PASS",
                       # a Function in the forward(ctx, ...) form, without a jvp
                       "forward_sigmoid": "SKIP", "vmap_sigmoid": "SKIP", "func_sigmoid": "SKIP"}),
    ("adam_right", {"Adam": "PASS", "Adam_amsgrad": "PASS", "optim_db_Adam": "PASS",
                    "optim_groups_Adam": "PASS", "optim_sparse_Adam": "PASS"})])
def test_a_right_derivation_passes_every_check_of_its_piece(name, cases, capsys):
    status, out, _ = check_with(LEARNERS / f"{name}.py", capsys)
    assert status == 0, out
    rows = {line.split()[0]: line.split()[-1] if line.split()[-1] in ("PASS", "SKIP")
            else next(w for w in line.split() if w in ("PASS", "SKIP", "FAIL"))
            for line in out.splitlines() if " float64  cpu " in line}
    assert rows == cases


@pytest.mark.parametrize("name, slip, part", [
    ("sigmoid_notes_slip", "notes: sigma(out)(1-sigma(out)) (the notes, 反向传播", "backward"),
    ("relu_one_at_zero", "relu'(0) = 1", "backward"),
    ("tanh_no_square", "1 - t instead of 1 - t^2", "backward"),
    ("softmax_diagonal", "diagonal Jacobian", "backward"),
    ("sgd_wrong_sign", "momentum with the wrong sign", "update"),
    ("adam_no_bias_correction", "no bias correction", "update"),
])
def test_each_known_slip_is_named(name, slip, part, capsys):
    status, out, err = check_with(LEARNERS / f"{name}.py", capsys)
    assert status == 1 and not err
    assert f"your {part} matches a known slip: {slip}" in out, out
    assert "first difference:" in out  # the element, torch's value and theirs


def test_an_optimizer_diagnosis_names_the_step_where_it_parts(capsys):
    _, out, _ = check_with(LEARNERS / "adam_no_bias_correction.py", capsys, "--only", "Adam")
    assert "the trajectories part at step 0: param 0" in out


def test_the_untouched_exercise_says_not_implemented_yet(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("sigmoid", "max_pool2d", "Adam", "gradients", "WarmupLR"):
        assert main(["exercise", name]) == 0
        status, out, err = check_with(tmp_path / f"{name}_exercise.py", capsys)
        assert status == 1 and "Traceback" not in out + err
        assert "TODO" in out and "not implemented yet" in out, out
    assert main(["exercise", "sigmoid"]) == 2  # never over a learner's work
    assert "exists" in capsys.readouterr().err


def test_exercise_list_names_every_piece_with_something_to_derive(capsys):
    assert main(["exercise", "--list"]) == 0
    names = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert {"sigmoid", "conv2d", "max_pool2d", "cross_entropy", "SGD", "Adam", "gradients",
            "fit_line", "WarmupLR", "minibatch_step"} <= names
    assert not {"Linear", "Conv2d", "<lambda>"} & names


def test_a_filled_in_exercise_passes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(["exercise", "relu"])
    path = tmp_path / "relu_exercise.py"
    path.write_text(path.read_text().replace(
        'raise NotImplementedError("derive the backward")',
        "(out,) = ctx.saved_tensors\n        return grad * (out > 0)"))
    capsys.readouterr()
    status, out, _ = check_with(path, capsys)
    assert status == 0, out


BAD = {
    "missing": (None, "no such file"),
    "syntax": ("def sigmoid(x):\n    return x +\n", "syntax error at line 2"),
    "import": ("import no_such_module_here\n", "cannot import 'no_such_module_here'"),
    "raises": ("x = 1\nraise RuntimeError('oops')\n", "importing it failed at line 2"),
    "nothing": ("def my_helper(x):\n    return x\n", "no name in it is a piece"),
    "signature": ("def sigmoid(x, y):\n    return x\n", "parameter 'y' is not in torch's"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_and_status_2(case, tmp_path, capsys):
    text, message = BAD[case]
    path = tmp_path / f"{case}.py"
    if text is not None:
        path.write_text(text)
    status, out, err = check_with(path, capsys)
    assert status == 2 and err.count("\n") == 1 and message in err, err
    assert "Traceback" not in out + err
    if case == "nothing":
        assert "sigmoid" in err and "Adam" in err  # the names that would match


# -- round two: a failing conv or pooling is diagnosed, not a traceback; bad files are one line


@pytest.mark.parametrize("name, cases", [
    ("conv2d_twice", {"conv2d", "conformance_conv2d", "Conv2d"}),
    ("max_pool2d_twice", {"max_pool2d", "conformance_max_pool2d"})])
def test_a_failing_conv_or_pool_is_diagnosed(name, cases, capsys):
    status, out, err = check_with(LEARNERS / f"{name}.py", capsys)
    assert status == 1 and not err and "Traceback" not in out
    rows = {line.split()[0]: line for line in out.splitlines() if " float64  cpu " in line}
    assert {case for case, line in rows.items() if " FAIL " in line} == cases
    for case in cases:  # each failing case of the exercise is diagnosed
        assert f"\n{case} (float64, cpu):\n  failed: sample 0 output 0" in out
    advice = [c for c in rows if c not in cases]  # the families beyond it: shown, not failed
    assert advice and all(" FAIL " not in rows[c] for c in advice)
    assert not any(f"\n{c} (float64" in out for c in advice)
    assert "first difference: sample 0 output 0, element [0, 0, 0, 0]" in out


def test_an_exercise_with_a_backward_twice_too_large_is_diagnosed(tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(["exercise", "conv2d"])
    path = tmp_path / "conv2d_exercise.py"
    path.write_text(path.read_text().replace(
        'raise NotImplementedError("derive the backward")',
        "from manual.conv import Conv2dFunction as Right\n"
        "        grads = Right.backward(ctx, grad)\n"
        "        return tuple(None if g is None else 2 * g for g in grads)"))
    capsys.readouterr()
    status, out, err = check_with(path, capsys, "--only", "conv2d")
    assert status == 1 and not err and "Traceback" not in out
    assert "failed: sample 0 grad of input 0" in out and "first difference:" in out


def test_the_slip_search_skips_a_wrong_version_that_cannot_run_and_stops_in_time():
    from crosscheck.learner.diagnosis import known_slip
    from crosscheck.proof.checks.measure import Failure
    from crosscheck.proof.records.registry import REGISTRY
    conv = next(e for e in REGISTRY if e.name == "conv2d")
    twice = lambda *a, **k: 2 * conv.reference(*a, **k)  # noqa: E731
    failure = Failure("forward", "", sample=0)
    assert known_slip(conv, twice, torch.float64, "cpu", failure) is None  # no crash
    tanh = next(e for e in REGISTRY if e.name == "tanh")
    slip = known_slip(tanh, wrong_tanh, torch.float64, "cpu", Failure("backward", ""))
    assert slip.label == "1 - t instead of 1 - t^2" and slip.part == "part_backward"
    assert known_slip(tanh, wrong_tanh, torch.float64, "cpu", failure, seconds=-1) is None


def wrong_tanh(x):
    from crosscheck.learner.loading import load
    return load(str(LEARNERS / "tanh_no_square.py")).Tanh.apply(x)


MORE_BAD = {
    "notes.txt": ("Notes on sigmoid\n", "syntax error at line 1: invalid syntax (is it a "
                                        "Python file?)"),
    "exits.py": ("import sys\nsys.exit(3)\n", "it calls sys.exit(3) while it loads at line 2"),
    "nulls.py": ("def sigmoid(x):\n    return x\x00\n", "not Python source: source code "
                                                        "string cannot contain null bytes"),
    "five.py": ("sigmoid = 5\n", "sigmoid is int 5, not a function or a class"),
}


@pytest.mark.parametrize("name", MORE_BAD)
def test_more_bad_files_are_one_line_and_status_2(name, tmp_path, capsys):
    text, message = MORE_BAD[name]
    path = tmp_path / name
    path.write_text(text)
    status, out, err = check_with(path, capsys)
    assert status == 2 and err.count("\n") == 1 and message in err, err
    assert "Traceback" not in out + err


def test_a_folder_given_to_with_is_called_a_folder(tmp_path, capsys):
    status, _, err = check_with(tmp_path, capsys)
    assert status == 2 and "is a folder" in err


def test_exercise_in_a_folder_it_cannot_write_is_one_line(monkeypatch, capsys):
    monkeypatch.chdir("/proc")  # no file can be made here, whoever runs the test
    assert main(["exercise", "sigmoid"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write sigmoid_exercise.py" in err


def test_a_piece_that_exits_or_returns_the_wrong_shape_is_a_failed_row(tmp_path, capsys):
    path = tmp_path / "odd.py"
    path.write_text("import sys\n\n\ndef sigmoid(input):\n    sys.exit(4)\n\n\n"
                    "def flatten(input, start_dim=0, end_dim=-1):\n    return input.reshape(-1)\n")
    status, out, err = check_with(path, capsys)
    assert status == 1 and "Traceback" not in out + err
    rows = {line.split()[0]: line for line in out.splitlines() if " float64  cpu " in line}
    assert "SystemExit: 4" in rows["sigmoid"]
    # a shape that differs has no error figure: the columns say so instead of 0.0e+00
    assert rows["flatten"].split()[3:5] == ["shape", "shape"]


# -- every idiom learners write a piece in --------------------------------------------------

IDIOMS = {"sigmoid_apply": "sigmoid", "relu_module": "relu", "softmax_module": "softmax",
          "leaky_relu_lambda": "leaky_relu", "mse_loss_partial": "mse_loss"}


@pytest.mark.parametrize("name", IDIOMS)
def test_every_idiom_is_recognized_and_checked(name, capsys):
    status, out, err = check_with(LEARNERS / f"{name}.py", capsys)
    piece = IDIOMS[name]
    assert status == 0 and not err, out + err
    rows = {line.split()[0] for line in out.splitlines() if " float64  cpu " in line}
    assert {piece, f"conformance_{piece}"} <= rows  # the exercise's, and the advice beyond it
    assert rows - {piece, f"conformance_{piece}"} <= {f"{f}_{piece}" for f in FAMILIES}


def test_a_slip_written_with_apply_is_still_named(capsys):
    status, out, _ = check_with(LEARNERS / "tanh_apply_slip.py", capsys)
    assert status == 1 and "your backward matches a known slip: 1 - t instead of 1 - t^2" in out


def test_a_piece_under_its_own_name_is_checked_with_as(capsys):
    status, out, err = check_with(LEARNERS / "my_sigmoid.py", capsys)
    assert status == 2 and "its names: my_sigmoid" in err and \
        "--as my_sigmoid=sigmoid" in err and err.count("\n") == 1
    status, out, err = check_with(LEARNERS / "my_sigmoid.py", capsys, "--as",
                                  "my_sigmoid=sigmoid")
    rows = {line.split()[0] for line in out.splitlines() if " float64  cpu " in line}
    assert {"sigmoid", "conformance_sigmoid", "forward_sigmoid"} <= rows and not err  # checked
    assert "input there: -800" in out  # 1/(1+e^-x) overflows at -800: a real finding


@pytest.mark.parametrize("value, message", [
    ("my_sigmoid", "expected NAME=PIECE"), ("my_sigmoid=sigmoidd", "'sigmoidd' is no piece"),
    ("nothere=sigmoid", "the file has no name 'nothere'")])
def test_a_bad_as_is_one_line(value, message, capsys):
    status, _, err = check_with(LEARNERS / "my_sigmoid.py", capsys, "--as", value)
    assert status == 2 and message in err and err.count("\n") == 1


# -- a right answer passes whatever torch's families ask beyond the exercise -----------------


@pytest.mark.parametrize("name, extra, skipped", [
    ("tanh_clamp_right", (), "forward_tanh"),  # no jvp; clamp has no complex kernel
    ("my_softmax", ("--as", "my_softmax=softmax"), "forward_softmax")])  # no jvp, under --as
def test_a_right_answer_passes_with_its_advice_rows_shown(name, extra, skipped, capsys):
    status = main(["check", "--with", str(LEARNERS / f"{name}.py"), "--device", "cpu", *extra])
    out, err = capsys.readouterr()
    assert status == 0 and not err, out + err
    rows = {line.split()[0]: line.split("   ")[-1] if line.endswith("PASS") else line
            for line in out.splitlines() if " float64 " in line}
    piece = skipped.split("_", 1)[1]
    assert rows[piece].endswith("PASS") and " PASS " in rows[f"conformance_{piece}"]
    assert "SKIP   not checked: your Function has no jvp" in rows[skipped]
    assert " ADVICE " in out and " FAIL " not in out and "not checked (no piece" not in out
    assert main(["check", "--with", str(LEARNERS / f"{name}.py"), "--device", "cpu", *extra,
                 "--strict"]) == 1  # held to every family, it is not finished


@pytest.mark.parametrize("where", ["load", "backward"])
def test_a_file_that_calls_os_exit_is_a_failure_not_a_silent_exit(where, tmp_path, capsys):
    path = tmp_path / "exits.py"
    body = ("import os\nos._exit(0)\n" if where == "load" else
            "import os\nimport torch\n\n\nclass Sigmoid(torch.autograd.Function):\n"
            "    @staticmethod\n    def forward(ctx, x):\n        return 1 / (1 + torch.exp(-x))"
            "\n\n    @staticmethod\n    def backward(ctx, grad):\n        os._exit(0)\n")
    path.write_text(body)
    results = tmp_path / "results.json"
    status, out, err = check_with(path, capsys, "--gradescope", str(results))
    if where == "load":
        assert status == 2 and "calls os._exit(0) while it loads at line 2" in err
    else:
        assert status == 1 and "os._exit" not in err and "HardExit: 0" in out
        assert results.exists()


LOOPS = """import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)


def sigmoid(input):
    while True:
        pass
"""


def test_a_file_that_loops_and_ignores_signals_is_stopped_by_the_timeout(tmp_path, capsys):
    path = tmp_path / "loops.py"
    path.write_text(LOOPS)
    start = time.monotonic()
    status, out, _ = check_with(path, capsys, "--timeout", "5")
    assert status == 1 and "stopped after 5 s (--timeout)" in out
    assert time.monotonic() - start < 30  # stopped, not waited for


def test_a_process_that_ends_before_its_check_is_a_failure_that_says_how(tmp_path, capsys):
    path = tmp_path / "ends.py"  # posix._exit: the exit handgrad cannot catch, status 0
    path.write_text("import posix\n\n\ndef sigmoid(input):\n    posix._exit(0)\n")
    status, out, _ = check_with(path, capsys)
    assert status == 1 and "ended with exit status 0 before its check did" in out


def test_a_piece_that_calls_what_it_is_to_derive_is_said_so_and_fails(tmp_path, capsys):
    path = tmp_path / "calls.py"
    path.write_text("import torch.nn.functional as F\n\n\ndef sigmoid(input):\n"
                    "    return F.sigmoid(input)\n")
    status, out, _ = check_with(path, capsys)
    assert status == 1
    assert "sigmoid: no points: it calls torch.nn.functional.sigmoid (calls.py, line 5)" in out


def test_a_piece_bound_to_torchs_own_function_is_said_to_be_one(tmp_path, capsys):
    path = tmp_path / "borrowed.py"
    path.write_text("import torch\n\ntanh = torch.tanh\n")
    status, out, err = check_with(path, capsys)
    assert status == 2 and "tanh (it is torch.tanh itself, not a derivation)" in err


def test_an_exercise_name_in_any_case(tmp_path, capsys):
    assert main(["exercise", "adam", "--out", str(tmp_path / "a.py")]) == 0
    text = (tmp_path / "a.py").read_text()
    assert "class Adam(_HandOptimizer)" in text
    assert not any(line.startswith(("from manual", "import manual")) for line in text.splitlines())
