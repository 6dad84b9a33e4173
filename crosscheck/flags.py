"""What each command-line flag accepts: argparse ``type=`` functions that turn a bad value
into a one-line error before any work starts.

Paths are tried, not guessed from permission bits (which a root user ignores): a folder is
writable if a temporary file can be made in it, and an output file if its folder is.
"""
import argparse
import math
import os
import tempfile
from pathlib import Path

from torch_ref.optimizers import OPTIMIZERS

Invalid = argparse.ArgumentTypeError


def integer(low, high=None):
    """A whole number in [low, high]."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise Invalid(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f">= {low}"
            raise Invalid(f"expected a number {bounds}, got {value}")
        return value
    parse.__name__ = "integer"
    return parse


def real(low, *, inclusive):
    """A finite number above ``low`` (or equal to it, if ``inclusive``)."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise Invalid(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < low or (value == low and not inclusive):
            raise Invalid(f"expected a finite number {'>=' if inclusive else '>'} {low:g}, "
                          f"got {text}")
        return value
    parse.__name__ = "number"
    return parse


positive_int = integer(1)
seed = integer(0, 2**32 - 1)
learning_rate = real(0.0, inclusive=False)


def channels(text):
    """Two conv widths, 'C1,C2'."""
    parts = text.split(",")
    if len(parts) != 2:
        raise Invalid(f"expected two widths like 16,32, got {text!r}")
    width = integer(1, 1024)
    return tuple(width(p) for p in parts)


def optimizer_spec(text):
    """'adam', 'adam:manual' or 'adam:torch' -> ('adam', side or None)."""
    name, _, side = text.partition(":")
    optimizer_name(name)
    if side not in ("", "manual", "torch"):
        raise Invalid(f"optimizer side must be manual or torch, got {side!r}")
    return name, side or None


def optimizer_name(name):
    if name not in OPTIMIZERS:
        raise Invalid(f"unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")
    return name


def optimizer_list(text):
    """'sgd,adam' -> ('sgd', 'adam')."""
    names = tuple(n.strip() for n in text.split(","))
    if not all(names):
        raise Invalid(f"expected names separated by commas, got {text!r}")
    return tuple(optimizer_name(n) for n in names)


def alias(text):
    """'my_sigmoid=sigmoid' -> ('my_sigmoid', 'sigmoid') (whether PIECE is a piece is known
    once the registry is read: matching.check_alias)."""
    name, sep, piece = text.partition("=")
    if not (sep and name.isidentifier() and piece.isidentifier()):
        raise Invalid(f"expected NAME=PIECE with two names, e.g. my_sigmoid=sigmoid, got {text!r}")
    return name, piece


def lr_map(text):
    """'adam=1e-3,sgd=0.05' -> {'adam': 0.001, 'sgd': 0.05}."""
    rates = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep:
            raise Invalid(f"expected NAME=LR, got {item!r}")
        rates[optimizer_name(name.strip())] = learning_rate(value.strip())
    return rates


def _writable(folder):
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _nearest_existing(path):
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def out_dir(text):
    """A folder that exists and is writable, or that can be made."""
    path = Path(text)
    if not text or (path.exists() and not path.is_dir()):
        raise Invalid(f"{text!r} is not a folder")
    base = _nearest_existing(path)
    if not base.is_dir() or not _writable(base):
        raise Invalid(f"cannot write in {str(base)!r}")
    return text


def out_file(text):
    """A file that can be written: its folder exists and is writable; not a folder."""
    path = Path(text)
    if not text or path.is_dir():
        raise Invalid(f"{text!r} is a folder, not a file")
    if not path.parent.absolute().is_dir():
        raise Invalid(f"no folder {str(path.parent)!r} to write {path.name!r} in")
    if not _writable(path.parent) or (path.exists() and not os.access(path, os.W_OK)):
        raise Invalid(f"cannot write {text!r}")
    return text


def in_file(text):
    if Path(text).is_dir():
        raise Invalid(f"{text!r} is a folder; name the file in it")
    if not Path(text).is_file():
        raise Invalid(f"no such file: {text!r}")
    return text


def existing_dir(text):
    if Path(text).is_file():
        raise Invalid(f"{text!r} is a file, not a folder")
    if not Path(text).is_dir():
        raise Invalid(f"no such folder: {text!r}")
    return text


def in_dir(text):
    """A folder to read from (read-only is fine), or one that can be made for a download."""
    path = Path(text)
    if not text or (path.exists() and not path.is_dir()):
        raise Invalid(f"{text!r} is not a folder")
    return text
