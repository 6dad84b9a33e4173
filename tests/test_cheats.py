"""A class of students who cheat, graded: no cheat earns a point it should not, the honest
students beside them keep every point, nothing a submission starts outlives the grading,
no file outside its sandbox changes, and nothing of the teacher's reaches an output.

Each cheat tries one of the ways a submission could bend a grade: no derivation at all,
the checker patched from inside, a forged answer, a classmate's files, the grader's files,
processes left behind, memory, disk and output floods, a secret quoted in an error, and a
backward that is right only on small inputs. Needs bubblewrap (``apt-get install
bubblewrap``); without it the tests say so and are skipped."""
import csv
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from test_starters import filled

from crosscheck.cli import main
from crosscheck.commands.exercise import exercises
from crosscheck.grading.sandbox import engine

LEARNERS = Path(__file__).parent / "learners"
GRADER = Path(__file__).parent.parent / "crosscheck"
SECRET = "s3cret-of-the-teacher-7d1f"
EXERCISES = exercises()
pytestmark = pytest.mark.skipif(engine() is None, reason="bubblewrap (bwrap) cannot run here "
                                "(apt-get install bubblewrap): the sandboxed grading is not tested")

WRONG_BACKWARD = '''
class Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out  # the slip: sigma instead of sigma (1 - sigma)
'''
CHEATS = {  # name -> source; {class}, {out}, {grader}, {secret_file} filled in
    # no derivation at all
    "builtin.py": "import torch\n\n\ndef sigmoid(x):\n    return torch.sigmoid(x)\n",
    "partial.py": "import functools\n\nimport torch\n\n"
                  "sigmoid = functools.partial(torch.sigmoid)\n",
    "asks_autograd.py": '''import torch


class Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 1 / (1 + torch.exp(-x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with torch.enable_grad():
            y = x.detach().requires_grad_()
            return torch.autograd.grad(torch.special.expit(y), y, grad)[0]
''',
    "adam_subclass.py": "import torch\n\n\nclass Adam(torch.optim.Adam):\n    pass\n",
    "hides_it.py": "import torch\n\n\ndef sigmoid(x):\n"
                   "    return torch.__dict__['sig' + 'moid'](x)\n",
    "handgrads_own.py": "from manual.activations import Sigmoid as Given\n\n\n"
                        "class Sigmoid(Given):\n    pass\n",
    # the checker patched from inside
    "patched_checker.py": "import torch\nimport torch.testing\n\n"
                          "torch.testing.assert_close = lambda *a, **k: None\n"
                          "torch.allclose = lambda *a, **k: True\n" + WRONG_BACKWARD,
    "patched_recorder.py": '''import torch

try:
    from crosscheck.proof.checks import measure
    measure.Measure.fail = lambda *a, **k: None
except ImportError:
    pass
''' + WRONG_BACKWARD.replace("return grad * out  #",
                             "raise type('Enough', (BaseException,), {})()  #"),
    # a forged answer, written where the grader's answers travel
    "forged_answer.py": '''import os
import struct

import torch

fake = b'{"value": [{"names": {}}]}'
for fd in range(1, 12):
    try:
        os.write(fd, struct.pack("<II", len(fake), 0) + fake)
    except OSError:
        pass
''' + WRONG_BACKWARD,
    # processes and files that outlive the grading, a classmate's and the grader's files
    "late_writer.py": '''import atexit
import os
import threading
import time

import torch


def spoil():
    time.sleep(1.5)
    for path in ("{out}/grades.csv", "{out}/submissions/alice.py/feedback.txt",
                 "{out}/submissions/late_writer.py/events.jsonl"):
        try:
            with open(path, "w") as f:
                f.write("late_writer.py,,1,1,1,1,4,4\\n")
        except OSError:
            pass


if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        spoil()
        os.execv("/bin/sleep", ["sleep", "61.8"])
    os._exit(0)
threading.Thread(target=spoil, daemon=False).start()
atexit.register(spoil)
''' + WRONG_BACKWARD,
    "takes_classmates.py": 'exec(open("{class}/alice.py").read())\n',
    "overwrites.py": '''import os

for path in ("{class}/zed.py", "{grader}/grading/worker.py", "{grader}/grading/score.py"):
    try:
        with open(path, "a") as f:
            f.write("\\nraise SystemExit(0)\\n")
    except OSError:
        pass
''',
    "fork_bomb.py": '''import os

for _ in range(300):
    try:
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", "61.7"])
    except OSError:
        break
''',
    "fills_disk.py": '''import os

open("/tmp/handgrad-cheat-marker", "w").write("here")
try:
    with open("/tmp/fill", "wb") as f:
        for _ in range(500):
            f.write(b"x" * (1 << 20))
except OSError:
    pass
''',
    "shared_memory.py": '''import mmap

block = mmap.mmap(-1, 6 << 30, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
for i in range(0, len(block), 1 << 12):
    block[i] = 1
''',
    "leaky.py": '''import os

said = [repr(dict(os.environ))]
for path in ("/proc/1/cmdline", "/proc/1/environ", "/proc/self/environ", "{secret_file}",
             "{class}/points.toml", "{class}/zed.py"):
    try:
        said.append(open(path).read())
    except OSError as err:
        said.append(str(err))
for folder in ("{class}", "/", "/proc"):
    try:
        said.append(" ".join(os.listdir(folder)))
    except OSError:
        pass
raise RuntimeError(" | ".join(said))
''',
    # a flood of output, and a name that is the grader's own file's
    "floods.py": "import sys\n\nsys.stdout.write('y' * (20 << 20))\n"
                 "sys.stderr.write('z' * (20 << 20))\n"
                 + (LEARNERS / "sigmoid_right.py").read_text(),
    # a process forked at import, which ends itself with os._exit (in the sandbox, a raise):
    # only the server may answer, never a copy of it
    "forks.py": "import os\n\nif os.fork() == 0:\n    os._exit(0)\n"
                + (LEARNERS / "sigmoid_right.py").read_text(),
    "grades.csv.py": (LEARNERS / "relu_one_at_zero.py").read_text().replace(
        "grad * (x >= 0)", "grad * (x > 0)"),  # the right relu, under an awkward name
    # right on small inputs only
    "small_only.py": WRONG_BACKWARD.replace(
        "return grad * out  # the slip: sigma instead of sigma (1 - sigma)",
        "return grad * out * (1 - out) if out.numel() <= 200 else grad * out").replace(
        "\nclass", "import torch\n\n\nclass", 1),
}
HONEST = {"alice.py": "sigmoid_right.py", "olga.py": "adam_right.py",
          "zed.py": "tanh_clamp_right.py"}
# starters that copy a Function named like another piece (conv2d's Im2col) and that return
# a record (fit_line_gd's Stop)
STARTERS = ("conv2d", "fit_line_gd")
POINTS = f'# {SECRET}\nsigmoid = 1\ntanh = {{ points = 1, visibility = "hidden" }}\n' \
         'relu = 1\nAdam = 1\nconv2d = 1\nfit_line_gd = 1\n'


def _left_behind():
    """The processes the cheats started (they run ``sleep 61.7`` and ``sleep 61.8``)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes() in (b"sleep\x0061.7\x00",
                                                             b"sleep\x0061.8\x00"):
                found.append(pid)
        except OSError:
            pass
    return found


def _digest(folder):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.py"))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded once: (grades.csv's rows, the out folder, the class folder, the
    digests of the class and of the grader before)."""
    top = tmp_path_factory.mktemp("cheats")
    folder, out, secret_file = top / "class", top / "grades", top / "secret.txt"
    folder.mkdir()
    secret_file.write_text(SECRET)
    (folder / "points.toml").write_text(POINTS)
    for name, source in HONEST.items():
        shutil.copy(LEARNERS / source, folder / name)
    for piece in STARTERS:  # handgrad's own derivation in the starter, as a student hands it in
        path = folder / f"{piece}_starter.py"
        assert main(["exercise", piece, "--out", str(path)]) == 0
        path.write_text(filled(path.read_text(), EXERCISES[piece]))
    names = {"class": folder, "out": out, "grader": GRADER, "secret_file": secret_file}
    for name, source in CHEATS.items():
        for key, value in names.items():
            source = source.replace("{" + key + "}", str(value))
        (folder / name).write_text(source)
    before = (_digest(folder), _digest(GRADER))
    os.environ["HANDGRAD_TEST_SECRET"] = SECRET  # the teacher's environment
    try:
        status = main(["grade", str(folder), "--out", str(out), "--timeout", "30",
                       "--jobs", "2", "--points", str(folder / "points.toml"),
                       "--lang", "en", "--seed", "7"])
    finally:
        del os.environ["HANDGRAD_TEST_SECRET"]
    assert status == 0
    time.sleep(3)  # what a late writer would have done by now
    with open(out / "grades.csv") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    return rows, out, folder, before


def _points(rows, name):
    return {p: float(rows[name][p]) for p in ("sigmoid", "tanh", "relu", "Adam")}


def test_honest_students_keep_every_point(graded):
    rows, *_ = graded
    assert _points(rows, "alice.py")["sigmoid"] == 1
    assert _points(rows, "olga.py")["Adam"] == 1
    assert _points(rows, "zed.py")["tanh"] == 1
    assert _points(rows, "floods.py")["sigmoid"] == 1  # its flood of output harms nothing
    assert _points(rows, "forks.py")["sigmoid"] == 1  # its forked copy answers nothing
    assert _points(rows, "grades.csv.py")["relu"] == 1
    for piece in STARTERS:
        assert rows[f"{piece}_starter.py"]["total"] == "1", rows[f"{piece}_starter.py"]
    assert all(rows[n]["seed"] == "7" for n in rows)


def test_no_cheat_earns_a_point(graded):
    rows, out, *_ = graded
    for name in CHEATS:
        if name not in ("floods.py", "grades.csv.py", "forks.py"):  # honest, in odd ways
            assert float(rows[name]["total"]) < 1, (name, rows[name])
    for name, called in (("builtin.py", "torch.sigmoid"), ("partial.py", "torch.sigmoid"),
                         ("asks_autograd.py", "torch.autograd.grad"),
                         ("adam_subclass.py", "torch.optim.Adam"), ("hides_it.py", "__dict__")):
        assert float(rows[name]["total"]) == 0
        assert called in (out / "submissions" / name / "feedback.txt").read_text()
    assert "cannot import 'manual'" in rows["handgrads_own.py"]["status"]
    assert "No such file" in rows["takes_classmates.py"]["status"]
    assert "not an answer" in rows["forged_answer.py"]["status"]
    results = json.loads((out / "submissions" / "patched_checker.py" / "results.json").read_text())
    backward = next(t for t in results["tests"] if t["name"] == "sigmoid: backward")
    assert backward["score"] == 0 and "grad of input 0" in backward["output"]
    assert _points(rows, "small_only.py")["sigmoid"] < 1  # the hidden samples find it
    assert "sigmoid_hidden" in (out / "submissions" / "small_only.py" / "feedback.txt").read_text()


def test_limits_hold(graded):
    rows, out, *_ = graded
    assert "MemoryError" in rows["shared_memory.py"]["status"] or \
        "Cannot allocate memory" in rows["shared_memory.py"]["status"]
    assert not Path("/tmp/handgrad-cheat-marker").exists()  # its /tmp was its own
    printed = out / "submissions" / "floods.py"
    assert (printed / "printed.txt").stat().st_size < 5000
    assert (printed / "feedback.txt").stat().st_size < 20_000
    assert (printed / "results.json").stat().st_size < 60_000


def test_nothing_outlives_the_grading_and_no_file_changes(graded):
    rows, out, folder, (class_before, grader_before) = graded
    assert _left_behind() == []
    assert _digest(folder) == class_before and _digest(GRADER) == grader_before
    assert float(rows["late_writer.py"]["total"]) < 1
    assert len(rows) == len(CHEATS) + len(HONEST) + len(STARTERS)
    assert "late_writer" not in (out / "submissions" / "alice.py" / "feedback.txt").read_text()
    assert (out / "grades.csv").is_file() and (out / "submissions" / "grades.csv.py").is_dir()


def test_no_secret_reaches_an_output(graded):
    rows, out, folder, _ = graded
    assert rows["leaky.py"]["status"].startswith("leaky.py: importing it failed")
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert SECRET not in text, path
            assert "visibility = \"hidden\"" not in text, path
            assert "--unshare-pid" not in text and "\x00" not in text, path  # bwrap's argv
            if "leaky" in str(path):
                assert "zed.py" not in text and str(folder) not in text, path
