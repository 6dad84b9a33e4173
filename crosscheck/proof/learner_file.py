"""A learner's file, loaded: its module, or one line that says why it cannot be (a syntax
error with its line, a file that exits or raises while it loads, a folder, no such file)."""
import contextlib
import importlib
import importlib.machinery
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from unittest import mock

from crosscheck.messages import say
from torch_ref.errors import HandgradError, first_line


def load(spec, shown=None):
    """The learner's module from a file path or a module name; a one-line error if it cannot
    be imported (the file and line of a syntax error, the first line of any other), which
    names it as ``shown`` (default: the --with flag that gave it)."""
    path, where = Path(spec), shown or f"--with {spec}"
    if path.is_dir():
        raise HandgradError(say("with_folder", spec=where))
    if spec.endswith(".py") or path.exists():
        if not path.is_file():
            raise HandgradError(say("with_missing", spec=where))
        module, run = _from_file(path)
    else:
        module, run = None, lambda: importlib.import_module(spec)
    try:
        loaded = run()
    except SyntaxError as err:
        raise HandgradError(_syntax(spec, where, err)) from None
    except ModuleNotFoundError as err:
        raise HandgradError(say("with_import", spec=where, name=err.name, error=err)) from None
    except ValueError as err:  # raised outside the file: compile's word for null bytes
        if not _line_in(err, spec):  # before Python 3.12 (a SyntaxError since)
            raise HandgradError(_not_source(spec, where, first_line(err))) from None
        raise HandgradError(_raised(where, err, spec)) from None
    except SystemExit as err:
        raise HandgradError(say("with_exit", spec=where, code=err.code, call="os._exit" if
                                isinstance(err, HardExit) else "sys.exit",
                                line=_line_in(err, spec))) from None
    except Exception as err:  # the learner's file may raise anything while it loads
        raise HandgradError(_raised(where, err, spec)) from None
    return module if module is not None else loaded


def _raised(where, err, spec):
    return say("with_raised", spec=where, line=_line_in(err, spec),
               error=": ".join(filter(None, (type(err).__name__, first_line(err)))))


@contextlib.contextmanager
def no_hard_exit():
    """While a learner's code runs in this process: os._exit, which would end the check with
    nothing said (and status 0 for os._exit(0)), raises SystemExit instead, which the load
    and the rows report as the file's exit."""
    def exit_(status):
        raise HardExit(status)
    with mock.patch.object(os, "_exit", exit_):
        yield


class HardExit(SystemExit):
    """os._exit(status), called by a learner's code."""


def _from_file(path):
    """The module of a source file of any name (notes.txt too), and how to run it."""
    name = f"handgrad_learner_{path.stem}"
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    sys.modules[name] = module  # dataclasses and pickling look a module up by name
    return module, lambda: loader.exec_module(module)


def _syntax(spec, where, err):
    if err.lineno is None:  # null bytes, an undecodable file: no line to point at
        return _not_source(spec, where, err.msg)
    return say("with_syntax", spec=where, line=err.lineno, error=err.msg, hint=_hint(spec))


def _not_source(spec, where, error):
    return say("with_not_source", spec=where, error=error, hint=_hint(spec))


def _hint(spec):
    return "" if spec.endswith(".py") else say("with_is_python")


def _line_in(err, spec):
    frames = [f for f in inspect.getinnerframes(err.__traceback__) if
              Path(f.filename).name == Path(spec).name]
    return say("at_line", line=frames[-1].lineno) if frames else ""
