"""A run folder, its checkpoint and its logs: nothing lost, and what is logged is what
happened (resume, interrupts during validation, NaN losses, two runs on one folder)."""
import subprocess
import sys

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from crosscheck.cli import main
from torch_ref.cnn import train

SMALL = ["--channels", "4,8", "--hidden", "16", "--batch-size", "32", "--val-size", "40",
         "--device", "cpu"]


def run(idx_dir, logdir, *extra):
    return main(["train", "--data-dir", str(idx_dir), "--logdir", str(logdir), *SMALL, *extra])


def scalars(logdir, tag):
    events = EventAccumulator(str(logdir), size_guidance={"scalars": 0}).Reload()
    return [(e.step, e.value) for e in events.Scalars(tag)]


def test_a_fresh_run_into_a_held_folder_is_refused(idx_dir, tmp_path, capsys):
    assert run(idx_dir, tmp_path / "r", "--epochs", "1") == 0
    before = (tmp_path / "r" / "checkpoint.pt").read_bytes()
    assert run(idx_dir, tmp_path / "r", "--epochs", "1") == 2
    err = capsys.readouterr().err
    assert "holds a run already" in err and "--resume" in err and err.count("\n") == 1
    assert (tmp_path / "r" / "checkpoint.pt").read_bytes() == before


def test_a_second_process_on_one_folder_is_refused(idx_dir, tmp_path):
    from torch_ref.cnn.run_dir import RunDir
    held = RunDir(tmp_path / "r")
    other = subprocess.run([sys.executable, "-m", "crosscheck", "train", "--data-dir",
                            str(idx_dir), "--logdir", str(tmp_path / "r"), *SMALL],
                           capture_output=True, text=True)
    assert other.returncode == 2 and "another handgrad process" in other.stderr
    held.release()  # as a crash would: the lock goes with its process
    RunDir(tmp_path / "r").release()  # raises if the lock were stuck


def test_resume_takes_what_the_checkpoint_fixes_and_refuses_a_change(idx_dir, tmp_path, capsys):
    assert run(idx_dir, tmp_path / "r", "--epochs", "1", "--seed", "3") == 0
    ckpt = str(tmp_path / "r" / "checkpoint.pt")
    for flag, value in (("--seed", "4"), ("--batch-size", "16"), ("--hidden", "8"),
                        ("--optimizer", "sgd")):
        assert main(["train", "--resume", ckpt, "--epochs", "2", flag, value]) == 2
        err = capsys.readouterr().err
        assert "the checkpoint fixes" in err and flag in err and err.count("\n") == 1
    # not typed: taken from the checkpoint (seed 3, 4 channels, ...), not the defaults
    assert main(["train", "--resume", ckpt, "--epochs", "2", "--data-dir", str(idx_dir)]) == 0
    assert "epoch 2/2" in capsys.readouterr().out


def test_resume_applies_a_new_learning_rate_and_logs_it(idx_dir, tmp_path, capsys):
    logdir = tmp_path / "r"
    assert run(idx_dir, logdir, "--epochs", "1", "--optimizer", "sgd") == 0
    ckpt = str(logdir / "checkpoint.pt")
    assert main(["train", "--resume", ckpt, "--epochs", "2", "--data-dir", str(idx_dir),
                 "--lr", "0.01"]) == 0
    assert "lr 0.05 -> 0.01 from here on" in capsys.readouterr().out
    lrs = dict(scalars(logdir, "lr"))
    assert lrs[9] == pytest.approx(0.05) and lrs[10] == pytest.approx(0.01)


def test_nan_message_tells_which_checkpoint_exists_and_a_rate_that_works(idx_dir, tmp_path,
                                                                        capsys):
    assert run(idx_dir, tmp_path / "fresh", "--optimizer", "sgd", "--lr", "1e6") == 2
    err = capsys.readouterr().err
    assert "no checkpoint was written yet" in err and "--lr 0.05" in err
    assert "another --logdir" in err  # and the same folder is refused: one log, one run
    assert run(idx_dir, tmp_path / "fresh", "--optimizer", "sgd", "--lr", "0.05") == 2
    assert "stopped before its first checkpoint" in capsys.readouterr().err
    assert run(idx_dir, tmp_path / "r", "--epochs", "1", "--optimizer", "sgd") == 0
    ckpt = tmp_path / "r" / "checkpoint.pt"
    good = ckpt.read_bytes()
    assert main(["train", "--resume", str(ckpt), "--epochs", "2", "--data-dir", str(idx_dir),
                 "--lr", "1e6"]) == 2
    err = capsys.readouterr().err
    assert "checkpoint after epoch 1 is intact" in err and err.count("\n") == 1
    assert f"--resume {ckpt} --lr 0.05" in err and ckpt.read_bytes() == good
    assert main(["train", "--resume", str(ckpt), "--epochs", "2", "--data-dir", str(idx_dir),
                 "--lr", "0.05"]) == 0  # the advice works


def _interrupt_in(monkeypatch, owner, name, calls_before):
    real, calls = getattr(owner, name), []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == calls_before + 1:
            raise KeyboardInterrupt
        return real(*args)
    monkeypatch.setattr(owner, name, interrupted)
    return lambda: monkeypatch.setattr(owner, name, real)


@pytest.mark.parametrize("where", ["validation", "mid-epoch"])
def test_interrupt_then_resume_equals_the_uninterrupted_run(idx_dir, tmp_path, monkeypatch,
                                                             capsys, where):
    args = ["--epochs", "2", "--impl", "manual", "--optimizer", "adam", "--warmup-steps", "3"]
    assert run(idx_dir, tmp_path / "whole", *args) == 0
    whole = capsys.readouterr().out
    restore = (_interrupt_in(monkeypatch, train, "evaluate", 0) if where == "validation"
               else _interrupt_in(monkeypatch, train.Trainer, "train_step", 5))
    assert run(idx_dir, tmp_path / "r", *args) == 130
    restore()
    ckpt = tmp_path / "r" / "checkpoint.pt"
    assert main(["train", "--resume", str(ckpt), "--data-dir", str(idx_dir)]) == 0
    resumed = capsys.readouterr().out
    a = torch.load(tmp_path / "whole" / "checkpoint.pt", weights_only=True)["model"]
    b = torch.load(ckpt, weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    # the interrupted epoch reports all its batches, and its validation is logged once
    line = next(x for x in whole.splitlines() if x.startswith("epoch 1/2"))
    assert line.split(", val accuracy")[0] in resumed
    assert scalars(tmp_path / "r", "loss/val") == scalars(tmp_path / "whole", "loss/val")
    assert [s for s, _ in scalars(tmp_path / "r", "loss/train")] == list(range(1, 19))


def test_a_validation_set_larger_than_what_is_left_is_warned_about(idx_dir, tmp_path, capsys):
    args = ["train", "--data-dir", str(idx_dir), "--logdir", str(tmp_path / "r"), "--channels",
            "4,8", "--hidden", "16", "--device", "cpu", "--epochs", "1", "--val-size", "200"]
    assert main(args) == 0
    assert "warning: --val-size 200 holds out more images than are left to train on (120)" \
        in capsys.readouterr().err


# -- round two: nothing lost -----------------------------------------------------------------


def test_resuming_a_checkpoint_under_another_name_writes_over_no_run(idx_dir, tmp_path, capsys):
    for name in ("a", "b"):
        assert run(idx_dir, tmp_path / name, "--epochs", "1", "--seed", str(len(name))) == 0
    copy = tmp_path / "b" / "x.pt"
    copy.write_bytes((tmp_path / "a" / "checkpoint.pt").read_bytes())
    before = (tmp_path / "b" / "checkpoint.pt").read_bytes()
    train_losses = scalars(tmp_path / "b", "loss/train")
    assert main(["train", "--resume", str(copy), "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cp " in err and "--resume" in err
    assert (tmp_path / "b" / "checkpoint.pt").read_bytes() == before
    assert scalars(tmp_path / "b", "loss/train") == train_losses


def test_a_checkpoint_missing_an_entry_is_one_line(idx_dir, tmp_path, capsys):
    assert run(idx_dir, tmp_path / "r", "--epochs", "1") == 0
    ckpt = tmp_path / "r" / "checkpoint.pt"
    for key in ("config", "optimizer_state"):
        state = torch.load(ckpt, weights_only=True)
        del state[key]
        broken = tmp_path / key / "checkpoint.pt"
        broken.parent.mkdir()
        torch.save(state, broken)
        assert main(["train", "--resume", str(broken)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"has no {key!r}" in err


@pytest.mark.parametrize("damage, message", [
    (lambda s: s["model"].__setitem__("conv1.weight", torch.zeros(3, 1, 3, 3)),
     "the checkpoint's parameters do not fit the CNN (Error(s) in loading state_dict"),
    (lambda s: s.__setitem__("format", "handgrad-cnn-checkpoint/2"),
     "a checkpoint in format handgrad-cnn-checkpoint/2, and this handgrad reads "
     "handgrad-cnn-checkpoint/1")])
def test_a_checkpoint_that_does_not_fit_is_one_line(damage, message, idx_dir, tmp_path, capsys):
    assert run(idx_dir, tmp_path / "r", "--epochs", "1") == 0
    state = torch.load(tmp_path / "r" / "checkpoint.pt", weights_only=True)
    damage(state)
    broken = tmp_path / "broken" / "checkpoint.pt"
    broken.parent.mkdir()
    torch.save(state, broken)
    capsys.readouterr()
    assert main(["train", "--resume", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err, err


def test_a_folder_given_to_resume_is_called_a_folder(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_an_interrupt_says_the_command_that_continues(idx_dir, tmp_path, monkeypatch, capsys):
    logdir = tmp_path / "a run"  # a space: the printed command quotes it
    _interrupt_in(monkeypatch, train.Trainer, "train_step", 3)
    assert run(idx_dir, logdir, "--epochs", "1") == 130
    err = capsys.readouterr().err
    assert f"continue with: handgrad train --resume '{logdir / 'checkpoint.pt'}'" in err


def _tiny_disk(folder, size):
    """A tmpfs of ``size`` at ``folder``, or a visible skip where none can be mounted."""
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    return folder


def test_a_full_disk_is_one_line_and_leaves_no_temporary_file(idx_dir, tmp_path, capsys):
    disk = _tiny_disk(tmp_path / "disk", "96k")
    try:
        assert run(idx_dir, disk / "r", "--epochs", "2") == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"the disk holding {disk / 'r'} is full" in err
        assert "Traceback" not in err and not list(disk.rglob("*.tmp"))
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_checkpoint_that_does_not_fit_keeps_the_last_one(tmp_path):
    from torch_ref.cnn import checkpoint
    disk = _tiny_disk(tmp_path / "disk", "64k")
    try:
        path = disk / "checkpoint.pt"
        checkpoint.save(path, {"x": torch.zeros(10)})
        good = path.read_bytes()
        with pytest.raises(Exception) as err:
            checkpoint.save(path, {"x": torch.zeros(100_000)})  # 0.4 MB
        message = str(err.value)
        assert "\n" not in message and f"cannot write a checkpoint in {disk}" in message
        assert "needs 0.4 MB" in message and "is kept" in message
        assert path.read_bytes() == good and not list(disk.glob("*.tmp"))
    finally:
        subprocess.run(["umount", str(disk)], check=True)
