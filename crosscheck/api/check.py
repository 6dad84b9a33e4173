"""``handgrad.check(...)``: ``handgrad check --with`` from Python, on the pieces of a file, a
module, keyword arguments, or the notebook one is typing in."""
from __future__ import annotations

import sys
import types
from contextlib import contextmanager
from pathlib import Path

import torch

from crosscheck.api.checked import Checked, check_learner
from crosscheck.learner import loading, notebook
from crosscheck.messages import language, say, speaking
from crosscheck.proof.checks.harness import quiet


def check(source=None, /, *, lang: str | None = None, only: str | None = None,
          strict: bool = False, device: str = "cpu", dtype: str | None = None,
          as_: dict | None = None, **pieces) -> Checked:
    """Check a learner's pieces as ``handgrad check --with`` does, in this process, and
    return the result (it prints as the table; a notebook shows it as an HTML table).

    ``source``: a file (.py or .ipynb), a module, or nothing: the pieces given by keyword
    (``check(sigmoid=MySigmoid.apply)``), else the notebook's (or script's) own names.
    ``as_``: {your name: piece} where a name is not the piece's. ``lang``: 'en' or 'zh'
    (default: the locale's). ``only``, ``strict``, ``device``, ``dtype``: as the flags."""
    with speaking(language(lang)), _source(source, pieces) as (module, shown, path, places), \
            torch.random.fork_rng(devices=[]):  # the rows seed torch's generator: not yours
        quiet()
        from crosscheck.proof.records.registry import REGISTRY
        return check_learner(module, REGISTRY, aliases=list((as_ or {}).items()), only=only,
                             dtypes=None if dtype is None else [getattr(torch, dtype)],
                             devs=[device], strict=strict, shown=shown, path=path,
                             places=places, show=False)


@contextmanager
def _source(source, pieces):
    """(the module whose pieces are checked, how an error names it, its file or None, a
    notebook's places), while the check runs."""
    if pieces:
        if source is not None:
            raise TypeError(say("api_source_and_pieces"))
        module = types.ModuleType("handgrad_given")
        vars(module).update(pieces, __all__=list(pieces))
        yield module, "check(" + ", ".join(f"{n}=..." for n in pieces) + ")", None, None
    elif source is None:
        yield sys.modules["__main__"], "__main__", None, None
    elif isinstance(source, types.ModuleType):
        file = getattr(source, "__file__", None)
        yield source, source.__name__, Path(file) if file else None, None
    else:
        with notebook.as_python(str(source)) as (python, places):
            yield loading.load(python, str(source), places), str(source), Path(python), places
