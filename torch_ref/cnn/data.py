"""MNIST and Fashion-MNIST, read where they are and held whole on the training device.

Notes section: 通道 (MNIST: grey 28x28 images, one input channel).

Where the data come from, first complete folder wins:
1. ``<data_dir>`` itself holding the four IDX files under torchvision's file names;
2. ``<data_dir>/<MNIST|FashionMNIST>/raw/``: torchvision's own layout;
3. for fashion-mnist, Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist;
4. torchvision's download into ``<data_dir>`` (needs the network), then read as in 2.
The files (gzipped or not) are read in place, a read-only folder included, and checked
(magic numbers, counts, sizes, whole gzip streams) before use: nothing is unpacked or
copied, so what is trained on is always what the folder holds now. A bad file is a
one-line error that names it.
"""
import gzip
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import torch

from torch_ref.errors import HandgradError, one_line

# torchvision's class of each data set, by name: torchvision takes a second and a half to
# import (each of --nproc's processes would), and only a download or the class names need it
DATASETS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
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
    """The file's bytes, un-gzipped; an empty, short or damaged file is a clear error."""
    if path.stat().st_size == 0:
        raise HandgradError(f"{path} is empty (0 bytes); delete it and download it again")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (EOFError, OSError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        raise HandgradError(f"{path} is damaged ({err}); delete it and download it again") from None


def _tensor(path, data):
    """A checked IDX file as a tensor: uint8 (N, 28, 28) images or int64 (N,) labels."""
    magic, kind = FILES[path.name.removesuffix(".gz")]
    if len(data) < 8 or struct.unpack(">I", data[:4])[0] != magic:
        raise HandgradError(f"{path} is not an IDX {kind} file (bad magic number); expected "
                            f"the {path.name.removesuffix('.gz')} file of the data set")
    count = struct.unpack(">I", data[4:8])[0]
    if kind == "images":
        rows, cols = struct.unpack(">II", data[8:16]) if len(data) >= 16 else (0, 0)
        header, shape = 16, (count, rows, cols)
        if (rows, cols) != (28, 28):
            raise HandgradError(f"{path} holds {rows}x{cols} images; expected 28x28")
    else:
        header, shape = 8, (count,)
    if len(data) != header + count * (rows * cols if kind == "images" else 1):
        raise HandgradError(f"{path} is truncated or padded: {len(data)} bytes where its header "
                            f"promises {header + count * (784 if kind == 'images' else 1)}; "
                            "delete it and download it again")
    values = torch.frombuffer(bytearray(data[header:]), dtype=torch.uint8).view(shape)
    if kind == "labels" and count and int(values.max()) > 9:
        at = int((values > 9).nonzero()[0])
        raise HandgradError(f"{path} holds label {int(values[at])} at index {at}: the classes "
                            "are 0 to 9; the file is damaged or from another data set")
    return values if kind == "images" else values.long()


def _read_folder(source):
    """The four files of ``source`` as tensors, after checking that they belong together."""
    t = {name: _tensor(path, _read(path)) for name in FILES for path in [_find(source, name)]}
    for split in ("train", "t10k"):
        images, labels = t[f"{split}-images-idx3-ubyte"], t[f"{split}-labels-idx1-ubyte"]
        if len(images) != len(labels):
            raise HandgradError(f"{source}: {split} has {len(images)} images but {len(labels)} "
                                "labels; the files belong to different data sets")
    return t


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


def _torchvision(dataset):
    import torchvision
    return getattr(torchvision.datasets, DATASETS[dataset])


def classes(dataset):
    """The names of the ten classes (MNIST's digits; torchvision's say "0 - zero", ...)."""
    return [str(digit) for digit in range(10)] if dataset == "mnist" else \
        _torchvision(dataset).classes


def _download(dataset, root, raw):
    """torchvision's own download into ``root``; on failure, the folders it made are
    removed again and the error says why and what to do offline."""
    made = [d for d in (raw, raw.parent, root) if not d.exists()]
    try:
        _torchvision(dataset)(str(root), train=True, download=True)
    except (RuntimeError, OSError) as err:
        for folder in made:  # children first: only what this download made, and left empty
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        hint = " or apt-get install dataset-fashion-mnist" if dataset == "fashion-mnist" else ""
        raise HandgradError(f"{dataset} not found in {root} and the download failed "
                            f"({one_line(err)}); offline, put the four IDX files (.gz or not) "
                            f"in --data-dir{hint}") from None


def read(dataset, data_dir):
    """(train images, train labels, test images, test labels, where they came from)."""
    root = Path(data_dir)
    raw = root / DATASETS[dataset] / "raw"
    sources = [root, raw] + ([DEBIAN_FASHION] if dataset == "fashion-mnist" else [])
    source = next((s for s in sources if s.is_dir() and _complete(s)), None)
    if source is None:
        _download(dataset, root, raw)
        source = raw
    t = _read_folder(source)
    return (t["train-images-idx3-ubyte"], t["train-labels-idx1-ubyte"],
            t["t10k-images-idx3-ubyte"], t["t10k-labels-idx1-ubyte"], str(source))


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

    def batches(self, split, batch_size, generator=None, skip=0, rank=0, world=1):
        """Index batches; shuffled by ``generator`` (a seeded torch.Generator) if given.
        With ``world`` processes (shuffled only), rank ``rank`` gets its share of every
        batch: every world-th example of it, from the rank-th, so that the shares together
        are the batch one process would take. As torch's DistributedSampler, the order is
        first padded with its own first examples to a multiple of ``world``, so that every
        process has as many as the others (``padding`` says how many)."""
        x, y = getattr(self, f"{split}_x"), getattr(self, f"{split}_y")
        n = x.shape[0]
        order = torch.randperm(n, generator=generator) if generator is not None else None
        if order is None:
            for start in range(skip * batch_size, n, batch_size):
                yield x[start:start + batch_size], y[start:start + batch_size]
            return
        order = torch.cat([order, order[:padding(n, world)]]).to(x.device)
        for start in range(skip * batch_size, len(order), batch_size):
            idx = order[start:start + batch_size][rank::world]
            yield x[idx], y[idx]


def padding(n, world):
    """How many examples an epoch repeats so that ``world`` processes get ``n`` evenly."""
    return -n % world

def load(dataset, data_dir="data", device="cpu", val_size=5000, seed=0, train_size=None,
         dtype=torch.float32):
    if dataset not in DATASETS:
        raise HandgradError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    images, labels, test_images, test_labels, source = read(dataset, data_dir)
    n = len(images)
    if not 0 <= val_size < n:
        raise HandgradError(f"--val-size {val_size} must be between 0 and {n - 1}")
    if train_size is not None and train_size > n - val_size:
        raise HandgradError(f"--train-size {train_size}: {source} leaves {n - val_size} images "
                            f"to train on after --val-size {val_size}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    train_idx, val_idx = order[val_size:], order[:val_size]
    if train_size is not None:
        train_idx = train_idx[:train_size]
    pixels = images[train_idx].to(torch.float64) / 255
    mean, std = pixels.mean().item(), pixels.std().item()  # of the training images only
    if not std > 0:  # every pixel alike (blank images): normalizing would divide by zero
        raise HandgradError(f"{source}: every training pixel is {mean * 255:.0f}, so the "
                            "images hold nothing to learn from; check the image files")

    def prepare(x):  # uint8 (N, 28, 28) -> normalized (N, 1, 28, 28) on the device
        return ((x.to(device, dtype) / 255 - mean) / std).unsqueeze(1)

    return Data(prepare(images[train_idx]), labels[train_idx].to(device),
                prepare(images[val_idx]), labels[val_idx].to(device),
                prepare(test_images), test_labels.to(device), source)
