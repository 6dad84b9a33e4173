"""A notebook handed in (``.ipynb``) as the Python it holds, so that ``check --with`` and
``grade`` treat it as they treat a ``.py`` file: the same loading, sandbox, limits and scan.

Its code cells, one after another, each under an ``# In[k]:`` line as Jupyter's own export
writes it (k: the cell's place in the notebook, markdown cells counted, as a reader counts
them). A line of IPython's own syntax (``%magic``, ``!shell``) and a cell under a ``%%``
magic are kept as comments: plain Python cannot run them, and a submission's code runs as
plain Python. Each line's (cell, line) is kept, so that an error says where in the notebook.
Read with ``json`` only: the notebook is data, and nothing in it runs here.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crosscheck.messages import say
from torch_ref.errors import HandgradError

SUFFIXES = (".py", ".ipynb")  # what a learner hands in
Places = list  # [(cell, line in the cell)] of each line of the Python, from line 1 on


def is_notebook(path) -> bool:
    return Path(path).suffix == ".ipynb"


def python(path: Path, shown: str = "") -> tuple[str, Places]:
    """The notebook's code as one Python source, and the (cell, line) of each of its lines
    (a cell's heading: line 0); a one-line error where it is no notebook."""
    cells = _cells(path, shown or str(path))
    lines, places = [], []
    for k, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        magic = text.lstrip().startswith("%%")
        lines += ["", f"# In[{k}]:"]
        places += [(k, 0), (k, 0)]
        for n, line in enumerate(text.splitlines(), 1):
            ipython = magic or line.lstrip().startswith(("%", "!"))
            lines.append(f"# {line}" if ipython else line)
            places.append((k, n))
    return "\n".join(lines) + "\n", places


def _cells(path, shown):
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise HandgradError(say("notebook_not_json", spec=shown, error=err)) from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise HandgradError(say("notebook_no_cells", spec=shown))
    return cells


def place(places: Places | None, line: int) -> str:
    """Where line ``line`` of the Python is, in words: in its notebook's cells, or the line."""
    if places and 0 < line <= len(places) and places[line - 1][1]:
        cell, in_cell = places[line - 1]
        return say("place_cell", cell=cell, line=in_cell)
    return say("place_line", line=line)


def write(path: Path, into: Path) -> Places | None:
    """The submission's file at ``into``: a .py copied, a notebook written as its Python
    (under its own name, which is what a learner reads in a grade); the notebook's places."""
    if not is_notebook(path):
        shutil.copyfile(path, into)
        return None
    source, places = python(path, path.name)
    into.write_text(source, encoding="utf-8")
    return places


def written(cells: list[tuple[str, str]]) -> str:
    """A notebook (nbformat 4) of ``cells``, each (kind, text): 'markdown' or 'code'."""
    def cell(kind, text):
        lines = text.splitlines(keepends=True)
        return {"cell_type": kind, "metadata": {}, "source": lines,
                **({"execution_count": None, "outputs": []} if kind == "code" else {})}
    kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return json.dumps({"cells": [cell(*c) for c in cells], "nbformat": 4, "nbformat_minor": 4,
                       "metadata": {"kernelspec": kernel, "language_info": {"name": "python"}}},
                      indent=1, ensure_ascii=False) + "\n"


@contextmanager
def as_python(spec: str) -> Iterator[tuple[str, Places | None]]:
    """``spec`` as a file of Python to load: itself, or a notebook's Python in a folder of
    its own (removed after), under the notebook's name; and the notebook's places."""
    if not is_notebook(spec) or not Path(spec).is_file():
        yield spec, None
        return
    folder = tempfile.mkdtemp(prefix="handgrad-notebook-")
    try:
        into = Path(folder) / Path(spec).name
        yield str(into), write(Path(spec), into)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
