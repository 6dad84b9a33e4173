"""Training runs on tiny generated data: TensorBoard events, exact resume, checkpoints
refused when they should be, NaN stops, and (when installed) the real Fashion-MNIST."""
import math
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from crosscheck.cli import main
from crosscheck.commands.train import train as fit
from torch_ref.cnn import train
from torch_ref.cnn.config import Config
from torch_ref.errors import HandgradError

SMALL = {"channels": (4, 8), "hidden": 16, "val_size": 40, "batch_size": 32, "device": "cpu"}


def config(idx_dir, tmp_path, **kw):
    return Config(**{"data_dir": str(idx_dir), "logdir": str(tmp_path / "run"),
                           **SMALL, **kw})


def test_dry_run_writes_the_tensorboard_events(idx_dir, tmp_path):
    rc = main(["train", "--data-dir", str(idx_dir), "--dry-run", "--epochs", "2",
               "--logdir", str(tmp_path / "tb"), "--channels", "4,8", "--hidden", "16",
               "--batch-size", "32", "--val-size", "40", "--device", "cpu",
               "--warmup-steps", "2", "--impl", "manual"])
    assert rc == 0
    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0}).Reload()
    tags = events.Tags()
    for tag in ("loss/train", "loss/val", "accuracy/val", "accuracy/test", "lr", "grad_norm"):
        assert tag in tags["scalars"], tag
    assert [e.step for e in events.Scalars("loss/train")] == [1, 2, 3, 4, 5, 6]
    assert [e.step for e in events.Scalars("accuracy/val")] == [3, 6]  # the steps' axis
    lrs = [e.value for e in events.Scalars("lr")]
    assert lrs[0] == pytest.approx(2e-4) and lrs[-1] == pytest.approx(2e-3)  # warm-up
    for tag in ("kernels/conv1", "response/conv1", "response/conv2"):
        assert tag in tags["images"], tag
    assert "params/conv1_weight" in tags["histograms"]
    assert "grads/fc2_weight" in tags["histograms"]
    assert "config/text_summary" in tags["tensors"]
    assert not [p for p in (tmp_path / "tb").iterdir() if p.is_dir()]  # hparams: in the run
    hparams = _hparams(events)
    assert sorted(hparams)[:4] == ["LR", "Ops", "Optimizer", "Optimizer side"]
    assert (hparams["LR"], hparams["Optimizer"], hparams["Ops"]) == (2e-3, "adam", "manual")
    assert hparams["device"] == "cpu"  # resolved, not 'auto'


def _hparams(events):
    """The hyperparameters of a run as TensorBoard's hparams plugin reads them."""
    from tensorboard.plugins.hparams import plugin_data_pb2
    content = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    info = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    return {k: v.number_value if v.HasField("number_value") else v.string_value
            for k, v in info.hparams.items()}


def test_resume_equals_an_uninterrupted_run(idx_dir, tmp_path):
    whole = fit(config(idx_dir, tmp_path / "a", epochs=2, optimizer="momentum"))
    fit(config(idx_dir, tmp_path / "b", epochs=1, optimizer="momentum"))
    resumed = fit(config(idx_dir, tmp_path / "b", epochs=2, optimizer="momentum",
                         resume=str(tmp_path / "b" / "run" / "checkpoint.pt")))
    for name, p in whole["parameters"].items():
        assert torch.equal(p, resumed["parameters"][name]), name


def test_interrupted_mid_epoch_resumes_exactly(idx_dir, tmp_path, monkeypatch):
    whole = fit(config(idx_dir, tmp_path / "a", epochs=2, impl="manual", optimizer="adam",
                       optimizer_impl="manual", warmup_steps=3))
    real_step, calls = train.Trainer.train_step, []

    def interrupt_at_step_13(trainer, x, y):
        calls.append(1)
        if len(calls) == 13:
            raise KeyboardInterrupt
        real_step(trainer, x, y)

    monkeypatch.setattr(train.Trainer, "train_step", interrupt_at_step_13)
    cfg = config(idx_dir, tmp_path / "b", epochs=2, impl="manual", optimizer="adam",
                 optimizer_impl="manual", warmup_steps=3)
    with pytest.raises(KeyboardInterrupt):
        fit(cfg)
    monkeypatch.setattr(train.Trainer, "train_step", real_step)
    checkpoint = tmp_path / "b" / "run" / "checkpoint.pt"
    saved = torch.load(checkpoint, weights_only=True)
    assert (saved["epoch"], saved["batch"], saved["step"]) == (1, 3, 12)
    resumed = fit(config(idx_dir, tmp_path / "b", epochs=2, impl="manual", optimizer="adam",
                         optimizer_impl="manual", warmup_steps=3, resume=str(checkpoint)))
    for name, p in whole["parameters"].items():
        assert torch.equal(p, resumed["parameters"][name]), name


def _refused(idx_dir, tmp_path, path, **kw):
    with pytest.raises(HandgradError) as err:
        fit(config(idx_dir, tmp_path, resume=str(path), **{"logdir": None, **kw}))
    assert "\n" not in str(err.value)
    return str(err.value)


def test_untrusted_and_foreign_checkpoints_are_refused(idx_dir, tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"this is not a checkpoint")
    assert "not a checkpoint" in _refused(idx_dir, tmp_path, junk)
    code = tmp_path / "code.pt"
    torch.save({"format": "handgrad-cnn-checkpoint/1", "x": Path("/")}, code)
    assert "refused" in _refused(idx_dir, tmp_path, code)
    fit(config(idx_dir, tmp_path / "m", epochs=1, impl="manual", optimizer_impl="manual"))
    mine = tmp_path / "m" / "run" / "checkpoint.pt"
    assert "fixes --impl manual" in _refused(idx_dir, tmp_path, mine)  # asked for torch ops
    assert "fixes --hidden 16" in _refused(idx_dir, tmp_path, mine, impl="manual",
                                           optimizer_impl="manual", hidden=32)


def test_early_stopping_reports_and_restores(idx_dir, tmp_path, capsys):
    result = fit(config(idx_dir, tmp_path, epochs=30, optimizer="sgd", lr=1e-9,
                        early_stop_patience=0))
    out = capsys.readouterr().out
    assert result["stop"] and "stopped by early_stopping" in out
    assert len(result["history"]) < 30 and "restored the parameters of epoch" in out


def test_cuda_without_cuda_is_a_clear_error(capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["train", "--device", "cuda", "--dry-run"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_training_matches_the_cpu_run(idx_dir, tmp_path):
    cpu = fit(config(idx_dir, tmp_path / "cpu", epochs=1, dtype="float64"))
    gpu = fit(config(idx_dir, tmp_path / "gpu", epochs=1, dtype="float64", device="cuda"))
    for name, p in cpu["parameters"].items():
        torch.testing.assert_close(gpu["parameters"][name], p, rtol=1e-9, atol=1e-11)


FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.realdata
@pytest.mark.skipif(not FASHION.is_dir(), reason="apt-get install dataset-fashion-mnist")
def test_real_fashion_mnist_subset_reaches_80_percent(tmp_path):
    cfg = Config(dataset="fashion-mnist", data_dir=str(tmp_path / "data"), epochs=1,
                       train_size=10_000, logdir=str(tmp_path / "run"), device="cpu")
    result = fit(cfg)
    assert result["test_accuracy"] >= 0.80 and not math.isnan(result["test_loss"])


def test_no_validation_set_trains_and_early_stopping_says_why(idx_dir, tmp_path, capsys):
    args = ["train", "--data-dir", str(idx_dir), "--dry-run", "--channels", "4,8", "--hidden",
            "16", "--batch-size", "32", "--val-size", "0", "--device", "cpu", "--logdir",
            str(tmp_path / "nv")]
    assert main(args) == 0
    assert "val loss" not in capsys.readouterr().out
    assert main(args + ["--early-stop-patience", "1"]) == 2
    assert "needs --val-size > 0" in capsys.readouterr().err
