"""Optimizer comparison, the landscape paths, and the vanishing-gradient report."""
import pytest
import torch

from crosscheck.cli import main
from crosscheck.commands import gradients
from crosscheck.proof.checks import functions
from manual import optim
from torch_ref import optim as ref_optim

PNG = b"\x89PNG\r\n\x1a\n"


def test_compare_writes_runs_curves_and_summary(idx_dir, tmp_path, capsys):
    out = tmp_path / "cmp"
    rc = main(["compare", "--data-dir", str(idx_dir), "--optimizers", "sgd,adam",
               "--dry-run", "--epochs", "2", "--channels", "4,8", "--hidden", "16",
               "--batch-size", "32", "--val-size", "40", "--dtype", "float64",
               "--device", "cpu", "--logdir", str(out), "--lr", "sgd=0.1"])
    assert rc == 0
    for run in ("sgd-manual", "sgd-torch", "adam-manual", "adam-torch"):
        assert list((out / run).glob("events.out.tfevents.*")), run
    assert (out / "curves.png").read_bytes()[:8] == PNG
    assert "compare/curves" in _images(out)  # the picture in TensorBoard too
    assert _lr_of(out / "sgd-manual") == 0.1  # each run's hparams carry its real rate
    summary = (out / "summary.md").read_text()
    assert summary in capsys.readouterr().out
    gaps = [line for line in summary.splitlines() if line.startswith(("| sgd |", "| adam |"))]
    assert len(gaps) == 2
    for line in gaps:  # manual and torch curves agree (float64)
        assert float(line.split("|")[2]) < 1e-10, line


def test_bad_lr_spec_is_a_one_line_error(idx_dir, capsys):
    assert main(["compare", "--data-dir", str(idx_dir), "--lr", "adamw=1"]) == 2
    assert "unknown optimizer 'adamw'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["sgd", "momentum", "adagrad", "rmsprop", "adam"])
def test_landscape_quadratic_each_optimizer_descends_like_its_twin(name):
    fn = functions.FUNCTIONS["quadratic"]
    mine = functions.path(optim, name, fn)
    theirs = functions.path(ref_optim, name, fn)
    assert fn.f(mine[-1]) < 1e-3 * fn.f(mine[0])
    assert torch.equal(mine, theirs)


def test_landscape_command_draws_the_picture(tmp_path):
    assert main(["landscape", "--logdir", str(tmp_path)]) == 0
    assert (tmp_path / "landscape.png").read_bytes()[:8] == PNG
    assert "landscape" in _images(tmp_path)


def _events(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    return EventAccumulator(str(folder)).Reload()


def _images(folder):
    return _events(folder).Tags()["images"]


def _lr_of(run):
    from tensorboard.plugins.hparams import plugin_data_pb2
    content = _events(run).PluginTagToContent("hparams")["_hparams_/session_start_info"]
    info = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    return info.hparams["LR"].number_value


def test_sigmoid_gradients_vanish_where_relus_do_not():
    sigmoid = gradients.study("sigmoid", steps=0)
    relu = gradients.study("relu", steps=0)
    assert sigmoid["init"][0] / relu["init"][0] < 1e-3  # the first layer, at init
    # each sigmoid layer shrinks the gradient: the first layer's is the smallest
    assert sigmoid["init"][0] < sigmoid["init"][4] < sigmoid["init"][-1]


# -- round two: a comparison's folder is owned, and an interrupted one continues -------------

SMALL = ["--channels", "4,8", "--hidden", "16", "--batch-size", "32", "--val-size", "40",
         "--device", "cpu", "--epochs", "1"]


def compare(idx_dir, logdir, *extra):
    return main(["compare", "--data-dir", str(idx_dir), "--logdir", str(logdir), *SMALL,
                 *extra])


def test_a_second_comparison_into_one_folder_is_refused(idx_dir, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert compare(idx_dir, out, "--optimizers", "sgd") == 0
    before = {name: (out / name).read_bytes() for name in ("summary.md", "curves.png")}
    assert compare(idx_dir, out, "--optimizers", "adam") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"handgrad compare --resume {out}" in err
    assert {name: (out / name).read_bytes() for name in before} == before


def test_an_interrupted_comparison_continues_and_draws(idx_dir, tmp_path, monkeypatch, capsys):
    from torch_ref.cnn import train
    out = tmp_path / "cmp"
    real, calls = train.Trainer.train_step, []

    def interrupt_the_third_run(trainer, x, y):
        calls.append(1)
        if len(calls) == 2 * 9 + 4:  # 9 steps a run: two runs done, the third at step 4
            raise KeyboardInterrupt
        real(trainer, x, y)
    monkeypatch.setattr(train.Trainer, "train_step", interrupt_the_third_run)
    assert compare(idx_dir, out, "--optimizers", "sgd,adam") == 130
    err = capsys.readouterr().err
    assert f"continue with: handgrad compare --resume {out}" in err
    assert not (out / "curves.png").exists()
    monkeypatch.setattr(train.Trainer, "train_step", real)
    assert main(["compare", "--resume", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("finished before") == 2 and "resumed from" in printed
    assert (out / "curves.png").read_bytes()[:8] == PNG
    summary = (out / "summary.md").read_text()
    assert all(f"| {run} |" in summary for run in ("sgd-manual", "sgd-torch", "adam-manual",
                                                     "adam-torch"))
    # the resumed run's curve has every step, the interrupted process's included
    result = (out / "adam-manual" / "result.json").read_text()
    assert [s for s, _ in __import__("json").loads(result)["train_losses"]] == list(range(1, 10))


def test_compare_resume_takes_its_settings_from_the_folder(idx_dir, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert compare(idx_dir, out, "--optimizers", "sgd", "--impl", "torch") == 0
    assert main(["compare", "--resume", str(out), "--epochs", "2"]) == 2
    assert "drop --epochs" in capsys.readouterr().err
    assert main(["compare", "--resume", str(tmp_path)]) == 2
    assert "no comparison to continue there" in capsys.readouterr().err
