"""handgrad train --nproc 2: the processes take the batches one process takes (float64, step
by step, with DDP and by hand), a run resumes with another number of processes, a killed
process ends the run in one line with its checkpoint intact, and a refusal is said once."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from crosscheck.cli import main
from crosscheck.commands.train import train as fit
from torch_ref.cnn import checkpoint, launch
from torch_ref.cnn.config import Config
from torch_ref.cnn.data import Data

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"channels": (4, 8), "hidden": 16, "val_size": 40, "batch_size": 32, "device": "cpu",
         "dtype": "float64"}
FLAGS = ["--channels", "4,8", "--hidden", "16", "--val-size", "40", "--batch-size", "32",
         "--device", "cpu", "--dtype", "float64"]
# momentum: here the runs stay at the rounding (4e-16 measured); Adam's first step divides
# each gradient component by its own size, so a component near zero turns the last bit of
# another summation order into a step (Fashion-MNIST: parameters 3e-10 apart after 32 steps)
MOMENTUM = {"optimizer": "momentum"}


def handgrad(*argv, wait=True):
    """``handgrad`` in a process of its own (the launcher starts more), on 2 threads."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2"}
    process = subprocess.Popen([sys.executable, "-m", "crosscheck", *map(str, argv)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return process
    out, err = process.communicate(timeout=120)
    return SimpleNamespace(returncode=process.returncode, stdout=out, stderr=err)


def one_process(idx_dir, folder, **kw):
    return fit(Config(data_dir=str(idx_dir), logdir=str(folder), **{**SMALL, **kw}))


def result(folder):
    state = torch.load(folder / "checkpoint.pt", weights_only=True)
    return state["losses"], state["model"]


def assert_same_run(losses, parameters, alone, tolerance=1e-12):
    assert [s for s, _ in losses] == [s for s, _ in alone["train_losses"]]
    assert max(abs(a - b) for (_, a), (_, b) in zip(losses, alone["train_losses"])) < tolerance
    for name, p in alone["parameters"].items():
        assert (p - parameters[name]).abs().max() < tolerance, name


def test_two_processes_by_hand_take_the_steps_of_one(idx_dir, tmp_path):
    ran = handgrad("train", "--data-dir", idx_dir, *FLAGS, "--epochs", "2", "--impl", "manual",
                   "--optimizer", "momentum", "--nproc", "2", "--logdir", tmp_path / "two")
    assert ran.returncode == 0, ran.stderr
    assert "2 processes (gloo), each on 16 of every batch of 32, their gradients averaged " \
        "by hand" in ran.stdout
    assert ran.stdout.count("epoch 2/2:") == 1  # rank 0 speaks for the run
    losses, parameters = result(tmp_path / "two")
    events = EventAccumulator(str(tmp_path / "two"), size_guidance={"scalars": 0}).Reload()
    logged = [(e.step, e.value) for e in events.Scalars("loss/train")]
    assert logged == [(s, pytest.approx(v, rel=1e-6)) for s, v in losses]  # one writer: rank 0
    alone = one_process(idx_dir, tmp_path / "one", epochs=2, impl="manual",
                        optimizer_impl="manual", **MOMENTUM)
    assert_same_run(losses, parameters, alone)
    # the comparison sees a wrong share: one process on a share's batch size is another run
    share = one_process(idx_dir, tmp_path / "share", epochs=1, impl="manual",
                        optimizer_impl="manual", batch_size=16, **MOMENTUM)
    assert abs(share["train_losses"][1][1] - losses[1][1]) > 1e-6


def test_ddp_resumes_a_one_process_checkpoint_and_ends_as_one_process(idx_dir, tmp_path):
    alone = one_process(idx_dir, tmp_path / "one", epochs=2, **MOMENTUM)
    one_process(idx_dir, tmp_path / "run", epochs=1, **MOMENTUM)
    ran = handgrad("train", "--resume", tmp_path / "run" / "checkpoint.pt", "--epochs", "2",
                   "--nproc", "2")
    assert ran.returncode == 0, ran.stderr
    assert "averaged by DistributedDataParallel" in ran.stdout
    assert_same_run(*result(tmp_path / "run"), alone)


def _rank(parent, wanted):
    """The pid of the launcher's child whose RANK is ``wanted``."""
    for task in Path(f"/proc/{parent}/task").iterdir():
        for pid in (task / "children").read_text().split():
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            if f"RANK={wanted}".encode() in environ:
                return int(pid)
    raise AssertionError(f"no process of rank {wanted} under {parent}")


def test_a_killed_process_ends_the_run_in_one_line_and_another_n_resumes(idx_dir, tmp_path):
    folder = tmp_path / "run"
    run = handgrad("train", "--data-dir", idx_dir, *FLAGS, "--epochs", "1000", "--nproc", "2",
                   "--train-size", "279", "--logdir", folder, wait=False)
    deadline = time.monotonic() + 60
    while not (folder / "checkpoint.pt").exists():
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.1)
    os.kill(_rank(run.pid, 1), signal.SIGKILL)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 2
    assert err.count("\n") == 1, err
    assert "process 1 (pid" in err and "was killed by SIGKILL, and the others were stopped; " \
        "the checkpoint after epoch" in err
    assert f"continue with handgrad train --resume {folder / 'checkpoint.pt'}" in err
    assert "the 279 training images do not divide among 2: each epoch repeats the first 1 " \
        "of its order, as DistributedSampler does" in out
    done = checkpoint.load(folder / "checkpoint.pt")["epoch"]  # intact
    assert main(["train", "--resume", str(folder / "checkpoint.pt"), "--epochs",
                 str(done + 1), "--nproc", "1"]) == 0
    assert checkpoint.load(folder / "checkpoint.pt")["epoch"] == done + 1


def test_a_refusal_in_the_processes_is_said_once(idx_dir, tmp_path):
    one_process(idx_dir, tmp_path / "run", epochs=1)
    ran = handgrad("train", "--data-dir", idx_dir, *FLAGS, "--nproc", "2", "--logdir",
                   tmp_path / "run")
    assert ran.returncode == 2
    assert ran.stderr == (f"handgrad train: error: {tmp_path / 'run'} holds a run already: "
                          f"continue it with handgrad train --resume "
                          f"{tmp_path / 'run' / 'checkpoint.pt'}, or choose another --logdir\n")


def test_a_batch_that_does_not_divide_is_refused_before_any_process_starts(idx_dir, capsys):
    assert main(["train", "--data-dir", str(idx_dir), "--batch-size", "32", "--nproc",
                 "3"]) == 2
    assert "--batch-size 32 does not divide among 3 processes" in capsys.readouterr().err


def test_shares_make_the_batch_and_an_uneven_set_is_padded_as_distributed_sampler():
    x = torch.arange(10.0)
    data = Data(x, x.long(), x[:0], x[:0].long(), x[:0], x[:0].long(), "test")

    def batches(**share):
        seeded = torch.Generator().manual_seed(1)
        return [y.tolist() for _, y in data.batches("train", 8, seeded, **share)]

    order = torch.randperm(10, generator=torch.Generator().manual_seed(1)).tolist()
    assert batches() == [order[:8], order[8:]]
    shares = [batches(rank=r, world=4) for r in range(4)]
    assert [s[0] for s in shares] == [order[r:8:4] for r in range(4)]  # the batch, dealt out
    # 10 examples on 4 processes: the order is padded with its first 2, so all get one
    assert [s[1] for s in shares] == [[order[8]], [order[9]], [order[0]], [order[1]]]


def test_the_cause_prefers_words_then_a_kill_then_a_crash(tmp_path, capsys):
    def failed(pid, exitcode):
        return SimpleNamespace(pid=pid, exitcode=exitcode,
                               signal_name=lambda: signal.Signals(-exitcode).name)
    crash = {"kind": "crashed", "line": "RuntimeError: boom", "traceback": "Traceback: boom\n"}
    stopped, killed = failed(10, -signal.SIGTERM), failed(11, -signal.SIGKILL)
    assert launch.cause({0: stopped, 1: killed}, {}, tmp_path) == (
        "process 1 (pid 11) was killed by SIGKILL, and the others were stopped; no checkpoint "
        "was written yet")
    assert launch.cause({0: failed(10, 2)}, {0: {"kind": "said", "line": "no data"}},
                        tmp_path) == "no data"
    assert launch.cause({1: failed(11, 2)}, {1: {"kind": "said", "line": "no GPU"}},
                        tmp_path) == "process 1: no GPU"
    line = launch.cause({0: failed(10, 1)}, {0: crash}, tmp_path)
    assert line == ("process 0 (pid 10) failed: RuntimeError: boom, and the others were "
                    "stopped; no checkpoint was written yet")
    assert capsys.readouterr().err == "Traceback: boom\n"  # a bug is not hidden
