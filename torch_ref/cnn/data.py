"""MNIST and Fashion-MNIST through torchvision, held whole on the training device.

Notes section: 通道 (MNIST: grey 28x28 images, one input channel).

Where the data come from, first match wins:
1. ``<data_dir>/<MNIST|FashionMNIST>/raw/``: torchvision's own layout (gzipped or not);
2. ``<data_dir>`` itself holding the four IDX files under torchvision's file names;
3. for fashion-mnist, Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist;
4. torchvision's download into ``<data_dir>`` (needs the network).
Files found in 1-3 are checked (magic numbers, counts, sizes, whole gzip streams), unpacked
into torchvision's layout under ``<data_dir>`` where needed, and read by torchvision's own
classes. A bad file is a one-line error that names it; nothing the user has is overwritten.
"""
import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision

from torch_ref.errors import HandgradError

DATASETS = {"mnist": torchvision.datasets.MNIST, "fashion-mnist": torchvision.datasets.FashionMNIST}
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
FILES = {  # torchvision's names -> (IDX magic number, what the file holds)
    "train-images-idx3-ubyte": (2051, "images"), "train-labels-idx1-ubyte": (2049, "labels"),
    "t10k-images-idx3-ubyte": (2051, "images"), "t10k-labels-idx1-ubyte": (2049, "labels"),
}


def _find(folder, name):
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _read(path):
    """The file's bytes, un-gzipped; a short or damaged gzip is a clear error."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (EOFError, OSError, gzip.BadGzipFile) as err:
        raise HandgradError(f"{path} is damaged ({err}); delete it and download it again") from None


def _check_idx(path, data):
    magic, kind = FILES[path.name.removesuffix(".gz")]
    if len(data) < 8 or struct.unpack(">I", data[:4])[0] != magic:
        raise HandgradError(f"{path} is not an IDX {kind} file (bad magic number); expected "
                            f"the {path.name.removesuffix('.gz')} file of the data set")
    count = struct.unpack(">I", data[4:8])[0]
    if kind == "images":
        rows, cols = struct.unpack(">II", data[8:16]) if len(data) >= 16 else (0, 0)
        expected = 16 + count * rows * cols
        if (rows, cols) != (28, 28):
            raise HandgradError(f"{path} holds {rows}x{cols} images; expected 28x28")
    else:
        expected = 8 + count
    if len(data) != expected:
        raise HandgradError(f"{path} is truncated or padded: {len(data)} bytes where its header "
                            f"promises {expected}; delete it and download it again")
    return count


def _lay_out(source, raw):
    """Check all four files in ``source``, then place them, un-gzipped, in ``raw``
    (checking first, so a bad file leaves ``raw`` as it was)."""
    contents, counts = {}, {}
    for name in FILES:
        path = _find(source, name)
        contents[name] = (path, _read(path))
        counts[name] = _check_idx(path, contents[name][1])
    for split in ("train", "t10k"):
        images, labels = counts[f"{split}-images-idx3-ubyte"], counts[f"{split}-labels-idx1-ubyte"]
        if images != labels:
            raise HandgradError(f"{source}: {split} has {images} images but {labels} labels; "
                                "the files belong to different data sets")
    try:
        raw.mkdir(parents=True, exist_ok=True)
        for name, (path, payload) in contents.items():
            target = raw / name
            if path != target:
                tmp = target.with_suffix(".part")
                tmp.write_bytes(payload)
                os.replace(tmp, target)
    except OSError as err:
        raise HandgradError(f"cannot lay the data out in {raw} ({err.strerror}); choose a "
                            "writable --data-dir") from None


def _complete(folder):
    """True if all four files are there, None if none is, else a one-line error."""
    found = [name for name in FILES if _find(folder, name)]
    if len(found) == len(FILES):
        return True
    if found:
        missing = ", ".join(sorted(set(FILES) - set(found)))
        raise HandgradError(f"{folder} holds only some of the data set's files (missing "
                            f"{missing}); add them, or move the folder away to download afresh")
    return None


def locate(dataset, data_dir):
    """Make sure torchvision's layout exists under ``data_dir``; returns where it came from."""
    cls = DATASETS[dataset]
    root = Path(data_dir)
    raw = root / cls.__name__ / "raw"
    sources = [raw, root] + ([DEBIAN_FASHION] if dataset == "fashion-mnist" else [])
    for source in sources:
        if source.is_dir() and _complete(source):
            _lay_out(source, raw)
            return str(source)
    try:
        cls(str(root), train=True, download=True)
    except (RuntimeError, OSError) as err:
        hint = " or apt-get install dataset-fashion-mnist" if dataset == "fashion-mnist" else ""
        raise HandgradError(f"{dataset} not found in {root} and the download failed "
                            f"({str(err).splitlines()[0][:80]}); put the four IDX files "
                            f"(.gz or not) in --data-dir{hint}") from None
    return "download"


@dataclass
class Data:
    """The whole data set as tensors on one device, normalized once."""

    train_x: torch.Tensor  # (N, 1, 28, 28) float
    train_y: torch.Tensor  # (N,) int64
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: str

    def batches(self, split, batch_size, generator=None, skip=0):
        """Index batches; shuffled by ``generator`` (a seeded torch.Generator) if given."""
        x, y = getattr(self, f"{split}_x"), getattr(self, f"{split}_y")
        n = x.shape[0]
        order = torch.randperm(n, generator=generator) if generator is not None else None
        if order is not None:
            order = order.to(x.device)
        for start in range(skip * batch_size, n, batch_size):
            if order is None:
                yield x[start:start + batch_size], y[start:start + batch_size]
            else:
                idx = order[start:start + batch_size]
                yield x[idx], y[idx]


def load(dataset, data_dir="data", device="cpu", val_size=5000, seed=0, train_size=None,
         dtype=torch.float32):
    if dataset not in DATASETS:
        raise HandgradError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    source = locate(dataset, data_dir)
    cls = DATASETS[dataset]
    try:
        train, test = (cls(str(data_dir), train=t, download=False) for t in (True, False))
    except (AssertionError, RuntimeError, ValueError, TypeError) as err:
        raise HandgradError(f"torchvision could not read {dataset} in {data_dir}: {err}") from None
    n = len(train.data)
    if not 0 <= val_size < n:
        raise HandgradError(f"--val-size {val_size} must be between 0 and {n - 1}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    train_idx, val_idx = order[val_size:], order[:val_size]
    if train_size is not None:
        train_idx = train_idx[:train_size]
    pixels = train.data[train_idx].to(torch.float64) / 255
    mean, std = pixels.mean().item(), pixels.std().item()  # of the training images only

    def prepare(images):  # uint8 (N, 28, 28) -> normalized (N, 1, 28, 28) on the device
        return ((images.to(device, dtype) / 255 - mean) / std).unsqueeze(1)

    return Data(prepare(train.data[train_idx]), train.targets[train_idx].to(device),
                prepare(train.data[val_idx]), train.targets[val_idx].to(device),
                prepare(test.data), test.targets.to(device), source)

