"""The command line as a user runs it."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from crosscheck.cli import main


def test_check_prints_the_table_and_exits_0(capsys, tmp_path):
    rc = main(["check", "--only", "relu", "--device", "cpu", "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "relu" in out and "PASS" in out and "REJECTED" in out and "rows:" in out
    rows = json.loads((tmp_path / "r.json").read_text())
    assert {r["case"] for r in rows} >= {"relu", "leaky_relu"} and all(r["passed"] for r in rows)


def test_check_exits_1_when_a_row_fails(capsys, monkeypatch):
    from crosscheck.proof.notes.formulas import notes_sigmoid
    from crosscheck.proof.records import registry
    entry = next(e for e in registry.REGISTRY if e.name == "sigmoid")
    monkeypatch.setattr(entry, "manual", notes_sigmoid)
    assert main(["check", "--only", "sigmoid", "--dtype", "float64", "--device", "cpu"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_unknown_pattern_is_a_one_line_error(capsys):
    assert main(["check", "--only", "no-such-case"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "matches no case" in err


def test_python_dash_m_is_the_same_program():
    out = subprocess.run([sys.executable, "-m", "crosscheck", "check", "--list"],
                         capture_output=True, text=True, check=True).stdout
    assert "sigmoid" in out and "cross_entropy" in out


def test_check_in_parallel_processes_finds_what_one_finds(capsys, tmp_path):
    found = []
    for jobs in ("1", "2"):
        assert main(["check", "--only", "tanh", "--device", "cpu", "--jobs", jobs, "--json",
                     str(tmp_path / f"{jobs}.json")]) == 0
        rows = json.loads((tmp_path / f"{jobs}.json").read_text())
        approx = (lambda v: v) if not found else lambda v: v if v is None else \
            pytest.approx(v, rel=0.1)  # (the second side only: approx meets a number)
        found.append([(r["case"], r["dtype"], r["result"], r["counts"], r["failure_count"],
                       approx(r["out_abs"]), approx(r["grad_abs"])) for r in rows])
    # the same rows and verdicts; the figures to an ulp or so (torch 2.4's vectorized kernels
    # round a tensor's unaligned ends on another path, and where they fall differs by process)
    assert found[0] == found[1] and len(found[0]) > 10
    assert capsys.readouterr().out.count("forward_tanh ! a jvp one part in a million off") == 2


def test_bench_prints_ratios_for_every_part(capsys, tmp_path):
    assert main(["bench", "--device", "cpu", "--batch-size", "4", "--rounds", "2", "--json",
                 str(tmp_path / "bench.json")]) == 0
    out = capsys.readouterr().out
    rows = json.loads((tmp_path / "bench.json").read_text())
    assert [r["case"].rsplit(" ", 1)[0] for r in rows[:8]] == [
        "conv1 forward", "conv1 input grad", "conv1 weight grad",
        "conv2 forward", "conv2 input grad", "conv2 weight grad",
        "pool1 max_pool2d forward", "pool1 max_pool2d backward"]
    assert [r["case"].split()[0] for r in rows[8:]] == ["pool2", "pool2", "relu", "Adam", "CNN"]
    for r in rows:
        assert r["ratio_p25"] <= r["ratio"] <= r["ratio_p75"] and r["rounds"] == 2
        assert f"{r['ratio']:.2f}x" in out and r["manual_ms"] > 0 and r["torch_ms"] > 0


def test_gradients_command_writes_its_picture(tmp_path, capsys):
    assert main(["gradients", "--depth", "4", "--steps", "2", "--logdir", str(tmp_path)]) == 0
    assert (tmp_path / "gradients.png").read_bytes()[:4] == b"\x89PNG"
    assert "sigmoid / relu" in capsys.readouterr().out


def test_a_bad_flag_is_argparse_s_one_line_error(capsys):
    assert main(["train", "--optimizer", "adamw"]) == 2
    assert "unknown optimizer 'adamw'" in capsys.readouterr().err


def test_a_reader_that_goes_away_is_no_traceback():
    """`handgrad check --list | head -1`: the pipe closes before the list is written."""
    p = subprocess.Popen([sys.executable, "-m", "crosscheck", "check", "--list"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait() == 0 and "Traceback" not in err and "BrokenPipe" not in err, err


def test_ctrl_c_ends_a_parallel_check_at_once():
    """As a terminal's Ctrl-C reaches the whole process group: the check ends within
    seconds, says so in one line, and leaves no process running."""
    proc = subprocess.Popen([sys.executable, "-m", "crosscheck", "check", "--only",
                             "conformance", "--device", "cpu", "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    while not proc.stdout.readline().startswith("conformance_"):  # the processes are at work
        assert proc.poll() is None
    start = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - start < 5 and proc.returncode == 130, err
    assert err.strip().endswith("handgrad check: interrupted") and "Traceback" not in err
    for _ in range(50):  # nothing of the group is left (a worker's zombie waits for init)
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail("a process of the check outlived it")
