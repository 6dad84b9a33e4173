"""What a learner reads, in English and Chinese: every message has its translation (same
fields), every correction and slip name too; the language follows --lang or the locale;
--watch checks again on save; README.md and README_zh-CN.md say the same commands."""
import os
import re
import signal
import string
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crosscheck.cli import main
from crosscheck.learner.diagnosis import SLIP_KINDS
from crosscheck.messages import en, zh
from crosscheck.proof.notes.errata import ERRATA
from crosscheck.proof.records.registry import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
LEARNERS = Path(__file__).parent / "learners"


def _fields(text):
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_message_has_its_chinese_with_the_same_fields():
    assert set(zh.MESSAGES) == set(en.MESSAGES)
    for key, text in en.MESSAGES.items():
        assert _fields(zh.MESSAGES[key]) == _fields(text), key


def test_every_correction_and_every_slip_a_learner_can_meet_has_its_chinese():
    assert set(zh.CORRECTIONS) == {e.name for e in ERRATA}
    unnamed = {label for e in REGISTRY if e.piece and e.learners and not e.convention
               and e.kind in SLIP_KINDS for label, wrong in e.wrong.items() if not wrong.zh}
    assert not unnamed, f"slips without their Chinese name (Wrong.named): {sorted(unnamed)}"


def check_slip(capsys, *extra, env=None):
    argv = ["check", "--with", str(LEARNERS / "tanh_apply_slip.py"), "--device", "cpu",
            "--dtype", "float64", *extra]
    status = main(argv)
    return status, capsys.readouterr().out


def test_lang_zh_speaks_chinese_and_the_default_english(capsys, monkeypatch):
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    _, out = check_slip(capsys)
    assert "your backward matches a known slip: 1 - t instead of 1 - t^2" in out
    _, out = check_slip(capsys, "--lang", "zh")
    said = "你的反向传播（backward）与已知的错误写法（known slip）“写成 1 - t 而不是 1 - t^2”相同"
    assert said in out and "行通过" in out
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    _, out = check_slip(capsys)
    assert "第一处不同" in out
    _, out = check_slip(capsys, "--lang", "en")  # the flag wins over the locale
    assert "first difference" in out


def test_a_notes_slip_shows_the_correction_in_the_chosen_language(capsys):
    main(["check", "--with", str(LEARNERS / "sigmoid_notes_slip.py"), "--device", "cpu",
          "--dtype", "float64", "--lang", "zh"])
    out = capsys.readouterr().out
    assert "更正：dout/dnet = sigma(net)(1 - sigma(net)) = out (1 - out)" in out


def test_an_unknown_lang_is_one_line(capsys):
    assert main(["check", "--lang", "fr"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--lang" in err and "'fr'" in err


def test_a_file_that_cannot_be_checked_says_so_in_chinese(capsys):
    """One line, exit status 2, in the learner's language: nothing matched (with the --as
    that names the closest piece), a bad --as."""
    mine = str(LEARNERS / "my_sigmoid.py")
    assert main(["check", "--with", mine, "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "文件中的名字：my_sigmoid" in err
    assert "例如 --as my_sigmoid=sigmoid" in err
    assert main(["check", "--with", mine, "--as", "my_sigmoid=sigmod", "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "没有名为 'sigmod' 的部件" in err


def test_the_exercise_header_in_chinese(tmp_path, capsys):
    assert main(["exercise", "sigmoid", "--out", str(tmp_path / "s.py"), "--lang", "zh"]) == 0
    assert "请写出反向传播" in capsys.readouterr().out
    text = (tmp_path / "s.py").read_text()
    assert text.startswith('"""练习：sigmoid，手工推导。') and "用链式法则（chain rule）" in text


def test_watch_checks_again_when_the_file_is_saved(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text((LEARNERS / "tanh_apply_slip.py").read_text())
    proc = subprocess.Popen([sys.executable, "-m", "crosscheck", "check", "--with", str(path),
                             "--watch", "--device", "cpu", "--dtype", "float64", "--lang", "en"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = _until(proc, "watching")
        assert any("FAIL" in line for line in lines)
        path.write_text(path.read_text().replace("(1 - t)", "(1 - t * t)"))
        lines = _until(proc, "watching")
        assert any(line.startswith("tanh ") and "PASS" in line for line in lines)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err


def _until(proc, word, seconds=60):
    lines, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        line = proc.stdout.readline()
        lines.append(line)
        if word in line:
            return lines
    pytest.fail(f"no {word!r} within {seconds} s: {lines}")


def _commands(text):
    """The commands of a README: every line of its code blocks that starts a command."""
    blocks = re.findall(r"```(?:bash)?\n(.*?)```", text, re.S)
    return [re.sub(r"\s+#.*", "", line).strip() for block in blocks
            for line in block.splitlines() if line.startswith(("handgrad ", "pip ", "pytest",
                                                               "tensorboard ", "$ handgrad"))]


def test_the_chinese_readme_keeps_step_with_the_english_one():
    english = (ROOT / "README.md").read_text()
    chinese = (ROOT / "README_zh-CN.md").read_text()
    assert "README_zh-CN.md" in english.splitlines()[2] and "README.md" in chinese[:400]
    assert _commands(chinese) == _commands(english)
    assert len(re.findall(r"^#{2,3} ", chinese, re.M)) == \
        len(re.findall(r"^#{2,3} ", english, re.M))


# torch's own words, which stay as torch says them, and the table's identifiers (case names,
# dtypes, flags, code), which are not sentences
TORCH_SAYS = ("Tensor-likes are not close!", "Scalars are not close!")
ENGLISH = re.compile(r"\b[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}\b")


def _english(text):
    """The runs of three English words left in ``text`` once torch's words (its assertion's,
    and an exception's first line, which the table quotes as raised), the table's header,
    and code (names with _ . ( = or a digit) are taken out."""
    for said in TORCH_SAYS:
        text = text.replace(said, "")
    text = re.sub(r"\b\w*(Error|Exception): [^；\n]*", "", text)
    lines = [_detail(line) for line in text.splitlines() if not line.startswith("case ")]
    words = [w for w in " ".join(lines).split()
             if not any(c in w for c in "_.(=*[0123456789")]
    return ENGLISH.findall(" ".join(words))


def _detail(line):
    """A table line's last column (its cells before are identifiers and figures); any other
    line whole."""
    found = re.search(r"(?:PASS|FAIL|SKIP|ADVICE|TODO|REJECTED|ACCEPTED)   (\S.*)$", line)
    return found.group(1) if found else line


@pytest.mark.parametrize("learner", ["tanh_no_square.py", "sigmoid_notes_slip.py", "starter"])
def test_under_lang_zh_the_table_and_diagnoses_have_no_english_sentence(learner, tmp_path,
                                                                         capsys):
    """Every row, advice ones included, and every diagnosis; and the same file in English
    does show English sentences (the test can fail)."""
    path = tmp_path / "piece.py"
    if learner == "starter":
        assert main(["exercise", "sigmoid", "--out", str(path), "--lang", "zh"]) == 0
    else:
        path.write_text((Path(__file__).parent / "learners" / learner).read_text())
    said = {}
    for lang in ("zh", "en"):
        capsys.readouterr()
        assert main(["check", "--with", str(path), "--lang", lang]) == 1
        said[lang] = capsys.readouterr().out
    assert _english(said["zh"]) == [], said["zh"]
    assert len(_english(said["en"])) > 5
