"""Checkpoints: written atomically, read back with torch.load(weights_only=True).

A checkpoint is a dict of tensors, numbers and strings only, so loading one runs no code.
"""
import os
import pickle
from pathlib import Path

import torch

from torch_ref.errors import HandgradError

FORMAT = "handgrad-cnn-checkpoint/1"


def save(path, state):
    """Write to a temporary file in the same folder, then rename: a crash mid-write leaves
    the previous checkpoint intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": FORMAT, **state}, tmp)
    os.replace(tmp, path)


def load(path, expect):
    """The checkpoint at ``path``; ``expect`` maps keys (model, impl, ...) to the values the
    run needs, and a checkpoint that disagrees is refused."""
    path = Path(path)
    if not path.is_file():
        raise HandgradError(f"--resume {path}: no such file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise HandgradError(f"--resume {path}: refused, it holds more than tensors and numbers "
                            f"({str(err).splitlines()[0][:100]})") from None
    except Exception as err:  # torch.load raises several types on a file that is no pickle
        raise HandgradError(f"--resume {path}: not a checkpoint ({type(err).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise HandgradError(f"--resume {path}: not a handgrad CNN checkpoint")
    for key, value in expect.items():
        if state.get(key) != value:
            raise HandgradError(f"--resume {path}: it belongs to {key} {state.get(key)!r}, "
                                f"this run has {value!r}")
    return state
