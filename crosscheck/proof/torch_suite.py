"""torch's own test inputs: the OpInfo database (``op_db``) and the optimizer database
(``optim_db``) of ``torch.testing._internal``.

That package is private to torch and imports ``expecttest`` (the dev extra); it is the only
way to the inputs torch's test suite runs. Where it cannot be imported, the rows that need it
fail and say why, rather than pass empty. It is imported only when such a row runs: it
takes seconds, and pulls in torch.distributed.
"""
import importlib
import logging

MODULES = {"op_db": "torch.testing._internal.common_methods_invocations",
           "optim_db": "torch.testing._internal.common_optimizers"}


class Unavailable(ImportError):
    """torch's test suite cannot be imported here."""


def database(name):
    """torch's ``op_db`` or ``optim_db``; Unavailable where the private package is missing
    or has moved."""
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)  # its CUDA_HOME note
    try:
        return getattr(importlib.import_module(MODULES[name]), name)
    except Exception as err:  # private API: any failure to import is reported, not hidden
        raise Unavailable(f"torch.testing._internal is not importable ({type(err).__name__}: "
                          f"{err}); pip install expecttest") from None
