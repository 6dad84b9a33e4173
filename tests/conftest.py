"""Small IDX files in torchvision's raw layout, written by the tests themselves."""
import gzip
import struct

import pytest
import torch

from crosscheck.proof.checks.harness import exact_float32

exact_float32()  # the cross-checks hold float32 to float32's tolerances, on GPUs too

NAMES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def idx_images(images):
    n, rows, cols = images.shape
    return struct.pack(">IIII", 2051, n, rows, cols) + images.numpy().tobytes()


def idx_labels(labels):
    return struct.pack(">II", 2049, len(labels)) + labels.numpy().tobytes()


def fake_digits(n, seed):
    """Images whose class is written in them (a bright bar at a class-dependent row), so a
    few steps of training already beat chance."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=gen, dtype=torch.uint8)
    images = torch.randint(0, 60, (n, 28, 28), generator=gen, dtype=torch.uint8)
    for i, label in enumerate(labels.tolist()):
        images[i, 2 + 2 * label:4 + 2 * label, 4:24] = 255
    return images, labels


def write_idx(folder, n_train=320, n_test=120, gz=False, seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = fake_digits(n, seed + (split == "test"))
        for name, payload in zip(NAMES[split], (idx_images(images), idx_labels(labels))):
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(payload))
            else:
                (folder / name).write_bytes(payload)
    return folder


@pytest.fixture
def idx_dir(tmp_path):
    return write_idx(tmp_path / "idx")
