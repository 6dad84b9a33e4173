"""`handgrad grade DIR` on a synthetic class: right pieces, each kind of known slip, and the
files that break an autograder (a syntax error, loops, sys.exit, a memory hog, nothing
matching), every row right and the run within its limits; Gradescope's results.json; and
bad input as one line."""
import csv
import json
import shutil
import time
from pathlib import Path

import pytest

from crosscheck.cli import main
from crosscheck.grading.sandbox import engine

LEARNERS = Path(__file__).parent / "learners"
# seconds per submission: a right one takes 3-6 (its sandbox starts a Python of its own,
# 2 of them), twice that on a machine running other tests beside it
TIMEOUT = 20

LOOPING_TANH = '''
import torch


class Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.tanh(x)

    @staticmethod
    def backward(ctx, grad):
        while True:  # never returns
            pass


tanh = Tanh.apply
'''
HOG = '''
import torch


def sigmoid(input):
    hog = torch.empty(2**34, dtype=torch.float64)  # 128 GiB
    return torch.sigmoid(input) + 0 * hog[0]
'''
CLASS = {  # submission -> its files: learners' files copied, or text
    "alice.py": "sigmoid_right.py", "bob.py": "sigmoid_notes_slip.py",
    "carol.py": "tanh_no_square.py", "dave.py": "tanh_apply_slip.py",
    "erin.py": "relu_one_at_zero.py", "fay.py": "softmax_diagonal.py",
    "gus.py": "adam_no_bias_correction.py", "hana.py": "sgd_wrong_sign.py",
    "olga.py": "adam_right.py", "max.py": "my_sigmoid.py",
    "ike.py": "def sigmoid(x)\n    return x\n",
    "jo.py": "while True:\n    pass\n",
    "kim.py": "import sys\nsys.exit(3)\n",
    "lee.py": HOG,
    "pat.py": "import os\n\ndef sigmoid(input):\n    os.abort()  # the process dies\n",
    "ned": {"sigmoid_exercise.py": "sigmoid_right.py", "tanh_exercise.py": LOOPING_TANH},
}


def _write(path, source):
    if source.endswith(".py") and "\n" not in source:
        shutil.copy(LEARNERS / source, path)
    else:
        path.write_text(source)


NO_SANDBOX = pytest.mark.skipif(engine() is None, reason="bubblewrap (bwrap) cannot run "
                                "here (apt-get install bubblewrap): grading is not tested")


@NO_SANDBOX
def test_a_class_is_graded(tmp_path):
    """One grading of the class, read by each check below (grading it is the slow part)."""
    status, out, seconds = _grade(tmp_path / "class")
    assert status == 0
    # 16 submissions on two jobs: two of them run into the limit; none may hold up the rest
    assert seconds < 2 * TIMEOUT + 4 * len(CLASS)
    _every_submission_gets_its_row(out)
    _the_summary_counts_the_known_slips(out)
    _each_submission_has_its_feedback_and_gradescope_results(out)


def _grade(folder):
    for name, files in CLASS.items():
        if isinstance(files, dict):
            (folder / name).mkdir(parents=True)
            for file, source in files.items():
                _write(folder / name / file, source)
        else:
            folder.mkdir(exist_ok=True)
            _write(folder / name, files)
    out = folder.parent / "grades"
    start = time.monotonic()
    status = main(["grade", str(folder), "--out", str(out), "--timeout", str(TIMEOUT),
                   "--jobs", "2", "--lang", "en"])
    return status, out, time.monotonic() - start


def _rows(out):
    with open(out / "grades.csv") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def _every_submission_gets_its_row(out):
    rows = _rows(out)
    assert list(rows) == sorted(CLASS)
    pieces = ["sigmoid", "tanh", "relu", "softmax", "SGD", "Adam"]
    assert list(next(iter(rows.values())))[2:-3] == pieces
    score = {name: {p: float(row[p]) for p in pieces} for name, row in rows.items()}
    assert score["alice.py"]["sigmoid"] == 1 and score["olga.py"]["Adam"] == 1
    # a slip in the backward keeps the forward's quarter (forward, backward, gradcheck, torch)
    assert score["bob.py"]["sigmoid"] == 0.25 and score["carol.py"]["tanh"] == 0.25
    assert score["gus.py"]["Adam"] < 1 and score["hana.py"]["SGD"] < 1
    for name in ("ike.py", "jo.py", "kim.py", "max.py"):
        assert float(rows[name]["total"]) == 0 and rows[name]["status"]
    assert "syntax error at line 1" in rows["ike.py"]["status"]
    assert rows["jo.py"]["status"].startswith(f"timed out after {TIMEOUT} s")
    assert "sys.exit(3)" in rows["kim.py"]["status"]
    assert "its names: my_sigmoid" in rows["max.py"]["status"]
    # the memory hog fails its piece, inside its limit, says so, and the grading goes on
    assert score["lee.py"]["sigmoid"] == 0
    assert rows["lee.py"]["status"] == "ran out of its 2 GiB of memory while checking " \
                                       "sigmoid; what finished before is kept"
    feedback = (out / "submissions" / "lee.py" / "feedback.txt").read_text()
    assert "can't allocate memory" in feedback or "MemoryError" in feedback
    # a process that dies is a row that says how, and where
    assert score["pat.py"]["sigmoid"] == 0
    assert rows["pat.py"]["status"] == "the process ended with signal SIGABRT while " \
                                       "checking sigmoid"
    # what finished before the loop is kept
    assert score["ned"]["sigmoid"] == 1 and score["ned"]["tanh"] == 0
    assert rows["ned"]["status"] == f"timed out after {TIMEOUT} s while checking tanh; " \
                                    "what finished before is kept"


def _the_summary_counts_the_known_slips(out):
    text = (out / "summary.md").read_text()
    assert "## sigmoid (points: 1): 2 of 16 earned them all" in text
    assert "- 1 of 16 match a known slip: notes: sigma(out)(1-sigma(out)) (the notes, 反向传播" \
        in text
    assert "- 2 of 16 match a known slip: 1 - t instead of 1 - t^2" in text
    for slip in ("relu'(0) = 1", "diagonal Jacobian", "no bias correction",
                 "momentum with the wrong sign"):
        assert f"- 1 of 16 match a known slip: {slip}" in text
    assert "## Submissions that did not run to the end" in text and "- jo.py: timed out" in text


# Gradescope's documented results.json (gradescope-autograders.readthedocs.io, specs)
TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
       "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
       "leaderboard"}
TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
        "output_format", "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def _valid_gradescope(results):
    assert set(results) <= TOP and isinstance(results["tests"], list)
    assert isinstance(results["score"], (int, float))
    for key in ("output_format", "test_output_format"):
        assert results.get(key, "text") in FORMATS
    assert results.get("stdout_visibility", "visible") in VISIBILITY
    for t in results["tests"]:
        assert set(t) <= TEST and isinstance(t["name"], str)
        assert 0 <= t["score"] <= t["max_score"] and t["status"] in ("passed", "failed")
        assert t["visibility"] in VISIBILITY and isinstance(t["output"], str)
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


def _each_submission_has_its_feedback_and_gradescope_results(out):
    rows = _rows(out)
    for name in CLASS:
        folder = out / "submissions" / name
        results = json.loads((folder / "results.json").read_text())
        _valid_gradescope(results)
        assert results["score"] == pytest.approx(float(rows[name]["total"]))
        assert (folder / "feedback.txt").read_text().strip()
    bob = json.loads((out / "submissions" / "bob.py" / "results.json").read_text())
    backward = next(t for t in bob["tests"] if t["name"] == "sigmoid: backward")
    assert backward["score"] == 0 and "grad of input 0" in backward["output"]


def test_check_with_gradescope_grades_one_file(tmp_path, capsys):
    points = tmp_path / "points.toml"
    points.write_text('sigmoid = { points = 4, visibility = "after_due_date" }\n')
    out = tmp_path / "results.json"
    main(["check", "--with", str(LEARNERS / "sigmoid_notes_slip.py"), "--device", "cpu",
          "--gradescope", str(out), "--points", str(points), "--lang", "zh"])
    capsys.readouterr()
    results = json.loads(out.read_text())
    _valid_gradescope(results)
    assert results["score"] == 1.0 and {t["visibility"] for t in results["tests"]} == \
        {"after_due_date"}
    backward = next(t for t in results["tests"] if t["name"] == "sigmoid: backward")
    assert "样本 0 输入 0 的梯度" in backward["output"]  # the learner's language


@pytest.mark.parametrize("argv, message", [
    (["grade", "/no/such/folder"], "no such folder"),
    (["grade", "{empty}"], "no .py file, notebook, or folder of them to grade"),
    (["grade", "{class}", "--timeout", "0"], "--timeout"),
    (["grade", "{class}", "--jobs", "0"], "--jobs"),
    (["grade", "{class}", "--memory", "-1"], "--memory"),
    (["grade", "{class}", "--points", "/no/such/points.toml"], "no such file"),
    (["grade", "{class}", "--points", "{bad_points}"], "neither JSON nor TOML"),
    (["grade", "{class}", "--points", "{unknown_piece}"], "'sigmoidd' is no piece"),
    (["check", "--gradescope", "{out}"], "need --with FILE"),
])
def test_bad_input_is_one_line_and_status_2(argv, message, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "class").mkdir()
    shutil.copy(LEARNERS / "sigmoid_right.py", tmp_path / "class" / "a.py")
    (tmp_path / "bad.toml").write_text("sigmoid = = 2\n")
    (tmp_path / "unknown.json").write_text('{"sigmoidd": 2}')
    names = {"empty": tmp_path / "empty", "class": tmp_path / "class",
             "bad_points": tmp_path / "bad.toml", "unknown_piece": tmp_path / "unknown.json",
             "out": tmp_path / "r.json"}
    argv = [a.format(**names) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_without_bubblewrap_grade_says_so_in_one_line_or_grades_unisolated_when_asked(
        tmp_path, capsys, monkeypatch):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(LEARNERS / "sigmoid_right.py", folder / "alice.py")
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    assert main(["grade", str(folder), "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "apt-get install bubblewrap" in err and "--no-sandbox" in err
    assert main(["grade", str(folder), "--out", str(tmp_path / "b"), "--no-sandbox"]) == 0
    assert _rows(tmp_path / "b")["alice.py"]["total"] == "1"


def test_a_piece_defined_in_two_files_of_a_folder_says_which_is_graded():
    from crosscheck.grading.worker import load
    from crosscheck.learner.loading import load as load_file
    from crosscheck.proof.records.registry import REGISTRY
    module = load_file(str(LEARNERS / "relu_one_at_zero.py"))
    pieces, unmatched = load([("uma/a.py", module), ("uma/b.py", module)], REGISTRY)
    assert list(pieces) == ["relu"] and pieces["relu"][0] == "uma/a.py"
    assert unmatched == ["relu of uma/b.py (relu of uma/a.py, the first, is graded)"]
