"""A learner's file, loaded: its module, or one line that says why it cannot be (a syntax
error with its line, a file that exits or raises while it loads, a folder, no such file).
The loading itself is crosscheck/sandboxed/load.py, which runs inside a grading sandbox
too; here its ``Fault`` is put in words."""
import importlib
from pathlib import Path

from crosscheck.learner.notebook import SUFFIXES, place
from crosscheck.messages import say
from crosscheck.sandboxed.load import Fault, load_file, no_hard_exit
from torch_ref.errors import HandgradError

__all__ = ["load", "said", "no_hard_exit"]


def load(spec, shown=None, places=None):
    """The learner's module from a file path or a module name; a one-line error if it cannot
    be imported, which names it as ``shown`` (default: the --with flag that gave it) and its
    line by ``places`` where it is a notebook's Python (notebook.py)."""
    path, where = Path(spec), shown or f"--with {spec}"
    if path.is_dir():
        raise HandgradError(say("with_folder", spec=where))
    if spec.endswith(".py") or path.exists():
        if not path.is_file():
            raise HandgradError(say("with_missing", spec=where))
        try:
            return load_file(path)
        except Fault as fault:
            raise HandgradError(said(fault.data, where, spec, places)) from None
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as err:
        raise HandgradError(say("with_import", spec=where, name=err.name, error=err)) from None


def said(fault, where, spec, places=None):
    """A Fault's data (from this process or a sandbox's) as the one line a learner reads;
    ``places``: a notebook's, so that a line is said as its cell and line."""
    line = say("at_line", place=place(places, fault["line"])) if fault["line"] else ""
    hint = "" if spec.endswith(SUFFIXES) else say("with_is_python")
    kind = fault["kind"]
    if kind == "syntax":
        return say("with_syntax", spec=where, place=place(places, fault["line"]),
                   error=fault["error"], hint=hint)
    if kind == "not_source":
        return say("with_not_source", spec=where, error=fault["error"], hint=hint)
    if kind == "import":
        return say("with_import", spec=where, name=fault["name"], error=fault["error"])
    if kind == "exit":
        return say("with_exit", spec=where, code=fault["code"], call=fault["call"], line=line)
    return say("with_raised", spec=where, line=line, error=fault["error"])
