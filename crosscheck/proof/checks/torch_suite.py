"""torch's own test inputs: the OpInfo database (``op_db``) and the optimizer database
(``optim_db``) of ``torch.testing._internal``.

That package is private to torch and imports ``expecttest`` (the dev extra); it is the only
way to the inputs torch's test suite runs. Where it cannot be imported, the rows that need it
fail and say why, rather than pass empty. It is imported only when such a row runs: it
takes seconds, and pulls in torch.distributed.
"""
from __future__ import annotations

import functools
import importlib
import logging

import torch

from crosscheck.messages import Said, saying

VERSION = torch.__version__.split("+")[0]  # the release, without its build tag (+cu121)
MODULES = {"op_db": "torch.testing._internal.common_methods_invocations",
           "optim_db": "torch.testing._internal.common_optimizers"}


class Unavailable(ImportError):
    """torch's test suite cannot be imported here."""


def database(name: str) -> list:
    """torch's ``op_db`` or ``optim_db``; Unavailable where the private package is missing
    or has moved."""
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)  # its CUDA_HOME note
    try:
        return getattr(importlib.import_module(MODULES[name]), name)
    except Exception as err:  # private API: any failure to import is reported, not hidden
        raise Unavailable(f"torch.testing._internal is not importable ({type(err).__name__}: "
                          f"{err}); pip install expecttest") from None


@functools.cache  # asked once per sample, of a database of thousands
def torch_lacks(name: str, dtype: torch.dtype, device: str, backward: bool = False
                ) -> Said | None:
    """Why the installed torch computes no ``dtype`` result (with ``backward``: no gradient)
    for OpInfo op ``name`` on ``device``, by its own OpInfo, or None where it does. An
    older torch lacks kernels a newer one has (bool im2col, a float16 mse_loss backward):
    a sample it refuses for that reason is refused as that torch refuses it."""
    kind = torch.device(device).type
    ops = [o for o in database("op_db") if o.name == name]
    supported = set().union(*((o.supported_backward_dtypes(kind) if backward
                               else o.supported_dtypes(kind)) for o in ops))
    if not ops or dtype in supported:
        return None
    return saying("m_torch_lacks", version=VERSION, dtype=str(dtype), name=name,
                  what=saying("w_gradient" if backward else "w_kernel"))


def declared_range() -> tuple:
    """(the torch requirement the installed handgrad declares, its floor, its ceiling):
    pyproject's dependency read back from the package's metadata, e.g. ('>=2.4,<2.16',
    (2, 4), (2, 16)); ('', None, None) in a source tree that is not installed."""
    from importlib import metadata
    try:
        required = metadata.requires("handgrad") or []
        spec = next((r[len("torch"):].split(";")[0].strip() for r in required
                     if r.startswith("torch") and not r.startswith("torchvision")), "")
    except metadata.PackageNotFoundError:
        spec = ""
    bounds = dict(b.partition("=")[::2] if b.startswith(">") else (b[:1], b[1:])
                  for b in spec.replace(" ", "").split(",") if b)
    return (spec, *(release(bounds[k]) if k in bounds else None for k in (">", "<")))


def which_torch() -> str:
    """'torch 2.15.0', and where the installed torch is outside the tested range, so."""
    spec, low, high = declared_range()
    now = release(VERSION)
    inside = (low is None or now >= low) and (high is None or now < high)
    return f"torch {VERSION}" + ("" if inside else f", outside the tested range torch{spec}")


def release(version: str) -> tuple[int, ...]:
    """'2.15.0' -> (2, 15): what a release is compared by."""
    return tuple(int(part) for part in version.split(".")[:2])
