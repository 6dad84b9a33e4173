"""`handgrad train --save-model` and `handgrad evaluate`: the saved model's test accuracy is the
run's own, whether read back by the command or by the documented line of Python; the
confusion matrix and the misread images are drawn; a file that is not a saved model, or
holds code, is one line."""
from pathlib import Path

import pytest
import torch
from test_train import FASHION, config

from crosscheck.cli import main
from crosscheck.commands.train import train as fit
from crosscheck.proof.records.backends import BACKENDS
from torch_ref.cnn import data
from torch_ref.cnn.loop import evaluate
from torch_ref.model import CNN

PNG = b"\x89PNG"


def _evaluated(model, capsys, *flags):
    capsys.readouterr()
    assert main(["evaluate", str(model), *flags]) == 0
    return capsys.readouterr().out


def _table_counts(out):
    """The confusion matrix as printed: its rows of counts."""
    rows = [line.split()[2:] for line in out.splitlines() if line[:1].isdigit() and
            line[1:2] == " "]
    return [[int(c) for c in row[-10:]] for row in rows]


def test_evaluate_gives_the_runs_own_test_accuracy(idx_dir, tmp_path, capsys):
    result = fit(config(idx_dir, tmp_path, epochs=1, impl="manual", optimizer="sgd", lr=0.02,
                        save_model=True))
    assert 0.1 < result["test_accuracy"] < 1.0  # a model that still misreads some
    model = Path(result["dir"]) / "model.pt"
    out = _evaluated(model, capsys)
    assert f"test accuracy {result['test_accuracy']:.2%}" in out
    counts = _table_counts(out)
    assert len(counts) == 10 and sum(map(sum, counts)) == 120  # every test image, once
    assert sum(counts[k][k] for k in range(10)) / 120 == result["test_accuracy"]
    for picture in ("confusion.png", "misread.png"):
        assert (model.parent / picture).read_bytes()[:4] == PNG
    # the line of Python saved_model.py documents, on the manual ops the run trained with
    state = torch.load(model, weights_only=True)
    net = CNN(BACKENDS["manual"], state["config"]["channels"], state["config"]["hidden"])
    net.load_state_dict(state["model"])
    d = data.load("mnist", idx_dir, val_size=40)
    assert evaluate(net, d, "test")[1] == result["test_accuracy"] == state["test_accuracy"]


def test_a_file_that_is_no_saved_model_is_one_line(idx_dir, tmp_path, capsys):
    junk, code, edited = tmp_path / "junk.pt", tmp_path / "code.pt", tmp_path / "edited.pt"
    junk.write_bytes(b"this is not a saved model")
    torch.save({"format": "handgrad-cnn-model/1", "x": Path("/")}, code)
    result = fit(config(idx_dir, tmp_path, epochs=1, save_model=True, dry_run=True))
    state = torch.load(Path(result["dir"]) / "model.pt", weights_only=True)
    state["model"]["fc1_weight"] = torch.zeros(3, 3)
    torch.save(state, edited)
    for path, said in ((junk, "not a saved model"), (code, "refused"),
                       (Path(result["dir"]) / "checkpoint.pt", "not a handgrad CNN saved model"),
                       (edited, "do not fit the CNN"), (tmp_path / "none.pt", "no such file")):
        capsys.readouterr()
        assert main(["evaluate", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and said in err, err


@pytest.mark.realdata
@pytest.mark.skipif(not FASHION.is_dir(), reason="apt-get install dataset-fashion-mnist")
def test_on_real_fashion_mnist_evaluate_agrees_with_the_run(tmp_path, capsys):
    result = fit(config(tmp_path / "data", tmp_path, dataset="fashion-mnist", epochs=1,
                        train_size=3000, val_size=500, channels=(16, 32), hidden=64,
                        save_model=True))
    out = _evaluated(Path(result["dir"]) / "model.pt", capsys, "--out", str(tmp_path / "pics"))
    assert f"test accuracy {result['test_accuracy']:.2%}" in out
    counts = _table_counts(out)
    assert sum(map(sum, counts)) == 10_000
    assert sum(counts[k][k] for k in range(10)) == round(result["test_accuracy"] * 10_000)
    assert (tmp_path / "pics" / "confusion.png").read_bytes()[:4] == PNG
