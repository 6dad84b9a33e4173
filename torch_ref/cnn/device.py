"""Which device a command runs on: the one message for CUDA asked for but absent."""
import torch

from torch_ref.errors import HandgradError


def resolve_device(name):
    """'auto' -> CUDA when available, else the CPU; 'cuda' without CUDA is a clear error."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise HandgradError("--device cuda: CUDA is not available on this machine "
                            "(torch.cuda.is_available() is False); use --device cpu")
    if name not in ("cpu", "cuda"):
        raise HandgradError(f"--device must be auto, cpu or cuda, got {name!r}")
    return name
