"""Loading through torchvision's real classes, and a clear one-line error for every bad file."""
import gzip
import shutil

import pytest
import torch
import torchvision
from conftest import write_idx
from torchvision.datasets.mnist import read_image_file, read_label_file

from crosscheck.cli import main
from torch_ref.cnn import data
from torch_ref.errors import HandgradError, one_line


@pytest.mark.parametrize("gz", [False, True])
def test_a_flat_folder_is_read_in_place_as_torchvision_reads_it(tmp_path, gz):
    folder = write_idx(tmp_path / "d", gz=gz)
    listing = sorted((p.name, p.stat().st_mtime_ns) for p in folder.rglob("*"))
    folder.chmod(0o555)  # read-only (a root user can still write: the listing shows none)
    try:
        d = data.load("mnist", folder, val_size=20)
    finally:
        folder.chmod(0o755)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in folder.rglob("*")) == listing
    assert d.train_x.shape == (300, 1, 28, 28) and d.val_x.shape == (20, 1, 28, 28)
    assert d.test_y.shape == (120,) and d.train_y.dtype == torch.int64
    assert abs(d.train_x.mean().item()) < 1e-5 and abs(d.train_x.std().item() - 1) < 1e-3
    # the same tensors as torchvision's own IDX reader gives
    plain = write_idx(tmp_path / "plain")
    images, labels, *_ = data.read("mnist", folder)
    assert torch.equal(images, read_image_file(str(plain / "train-images-idx3-ubyte")))
    assert torch.equal(labels, read_label_file(str(plain / "train-labels-idx1-ubyte")))


def test_a_replaced_file_is_what_is_read_next_time(idx_dir):
    data.load("mnist", idx_dir, val_size=20)
    path = idx_dir / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    assert "truncated" in _error(idx_dir)


def test_a_gzip_damaged_inside_names_the_file(tmp_path):
    folder = write_idx(tmp_path / "g", gz=True)
    path = folder / "train-images-idx3-ubyte.gz"
    payload = bytearray(path.read_bytes())
    payload[20:36] = b"\xff" * 16  # the deflate block's code tables: zlib.error, not EOF
    path.write_bytes(bytes(payload))
    message = _error(folder)
    assert str(path) in message and "damaged" in message


def test_validation_split_is_seeded_and_disjoint(idx_dir):
    a, b = data.load("mnist", idx_dir, val_size=50, seed=1), data.load("mnist", idx_dir,
                                                                       val_size=50, seed=1)
    assert torch.equal(a.val_x, b.val_x)
    c = data.load("mnist", idx_dir, val_size=50, seed=2)
    assert not torch.equal(a.val_x, c.val_x)
    assert len(a.train_y) + len(a.val_y) == 320


def _error(folder, dataset="mnist"):
    with pytest.raises(HandgradError) as err:
        data.load(dataset, folder, val_size=10)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_bad_magic_number_names_the_file(idx_dir):
    path = idx_dir / "train-labels-idx1-ubyte"
    path.write_bytes(b"\x00\x00\x08\x03" + path.read_bytes()[4:])
    message = _error(idx_dir)
    assert str(path) in message and "magic" in message


def test_truncated_file_names_the_file(idx_dir):
    path = idx_dir / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    assert "truncated" in _error(idx_dir) and str(path) in _error(idx_dir)


def test_short_gzip_names_the_file(tmp_path):
    folder = write_idx(tmp_path / "g", gz=True)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:2000])
    message = _error(folder)
    assert str(path) in message and "damaged" in message


def test_counts_that_disagree(idx_dir):
    labels = idx_dir / "train-labels-idx1-ubyte"
    other = write_idx(idx_dir.parent / "other", n_train=200)
    shutil.copy(other / "train-labels-idx1-ubyte", labels)
    assert "train has 320 images but 200 labels" in _error(idx_dir)


def test_a_partial_folder_is_not_silently_completed(idx_dir):
    (idx_dir / "t10k-labels-idx1-ubyte").unlink()
    message = _error(idx_dir)
    assert "only some" in message and "t10k-labels-idx1-ubyte" in message


def test_user_files_are_never_overwritten(idx_dir):
    before = {p.name: p.read_bytes() for p in idx_dir.iterdir()}
    path = idx_dir / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-1])
    _error(idx_dir)
    assert path.read_bytes() == before[path.name][:-1]


def test_missing_data_is_a_one_line_error_after_the_real_download_fails(tmp_path, monkeypatch):
    # torchvision's own download code runs, against a mirror that cannot answer
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [f"file://{tmp_path}/none/"])
    message = _error(tmp_path / "empty")
    assert "download failed" in message and "--data-dir" in message


def test_train_command_turns_data_errors_into_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [f"file://{tmp_path}/none/"])
    rc = main(["train", "--data-dir", str(tmp_path / "nothing"), "--dry-run", "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith("handgrad train: error:")


def test_gzip_written_by_torchvision_layout_is_found(tmp_path):
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    write_idx(raw, gz=True)
    d = data.load("fashion-mnist", tmp_path / "root", val_size=10)
    assert d.source == str(raw)
    assert gzip.decompress((raw / "train-labels-idx1-ubyte.gz").read_bytes())[:4] == \
        b"\x00\x00\x08\x01"


# -- round two: what still broke (each failed before its fix) ------------------------------


@pytest.mark.parametrize("split, label", [("train", 10), ("t10k", 255)])
def test_a_label_outside_0_to_9_names_the_file_before_training(idx_dir, tmp_path, capsys,
                                                               split, label):
    path = idx_dir / f"{split}-labels-idx1-ubyte"
    payload = bytearray(path.read_bytes())
    payload[8 + 7] = label  # the eighth label
    path.write_bytes(bytes(payload))
    assert f"holds label {label} at index 7" in _error(idx_dir) and str(path) in _error(idx_dir)
    rc = main(["train", "--data-dir", str(idx_dir), "--logdir", str(tmp_path / "r"),
               "--device", "cpu", "--channels", "4,8", "--hidden", "16"])
    out, err = capsys.readouterr()
    assert rc == 2 and err.count("\n") == 1 and "epoch" not in out  # before any training


def test_an_empty_gz_is_called_empty(tmp_path):
    folder = write_idx(tmp_path / "g", gz=True)
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(b"")
    message = _error(folder)
    assert f"{path} is empty (0 bytes)" in message


def test_blank_images_are_refused_before_a_nan_loss(tmp_path):
    folder = write_idx(tmp_path / "b")
    path = folder / "train-images-idx3-ubyte"
    payload = bytearray(path.read_bytes())
    payload[16:] = bytes(len(payload) - 16)  # every pixel 0
    path.write_bytes(bytes(payload))
    assert "every training pixel is 0" in _error(folder)


def test_a_train_size_larger_than_what_is_left_is_refused(idx_dir):
    with pytest.raises(HandgradError) as err:
        data.load("mnist", idx_dir, val_size=20, train_size=100_000)
    assert "--train-size 100000" in str(err.value) and "leaves 300 images" in str(err.value)
    assert len(data.load("mnist", idx_dir, val_size=20, train_size=300).train_y) == 300


def test_a_failed_download_says_why_and_leaves_no_empty_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [f"file://{tmp_path}/none/"])
    message = _error(tmp_path / "data")
    assert "Error downloading train-images-idx3-ubyte.gz" in message  # (torchvision 0.20+:
    assert message.endswith("in --data-dir")  # and why, ": / Tried file://...") and the fix
    tried = "Tried https://mirror.example/, got:"  # twenty mirrors: whole lines, then ...
    long = RuntimeError("Error downloading x.gz:\n" + f"{tried}\n" * 20)
    assert one_line(long) == "Error downloading x.gz: / " + f"{tried} / " * 5 + "..."
    assert not (tmp_path / "data").exists()  # no empty data/MNIST/raw left behind
