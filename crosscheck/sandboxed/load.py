"""A learner's source file, executed as a module: the module, or a ``Fault`` that says in data
why it cannot be (a syntax error and its line, an exit, an exception while it loads), which
handgrad's messages then put in words. Plain Python: it runs inside the sandbox too.
"""
import contextlib
import importlib.machinery
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from unittest import mock

MOST_CHARACTERS = 300  # of an error's text that leaves the file's process


class Fault(Exception):
    """Why a file did not load: ``kind`` (syntax, not_source, import, exit, raised), the
    line of the file where it happened (0: none), and what it said, cut short."""

    def __init__(self, kind, line=0, error="", name="", code=None, call=""):
        super().__init__(kind)
        self.data = {"kind": kind, "line": line, "error": error[:MOST_CHARACTERS],
                     "name": name[:100], "code": code if isinstance(code, int) else None,
                     "call": call}


class HardExit(SystemExit):
    """os._exit(status), called by a learner's code."""


@contextlib.contextmanager
def no_hard_exit():
    """While a learner's code runs: os._exit, which would end the process with nothing
    said (and status 0 for os._exit(0)), raises SystemExit instead, which the load and the
    rows report as the file's exit."""
    def exit_(status):
        raise HardExit(status)
    with mock.patch.object(os, "_exit", exit_):
        yield


def module_name(path, index=None):
    """The name a learner's file is loaded under (``index``: its place in a submission)."""
    stem = "".join(c if c.isalnum() else "_" for c in Path(path).stem)
    return f"handgrad_learner_{stem}" if index is None else f"handgrad_learner_{index}_{stem}"


def load_file(path, name=None):
    """The module of the source file at ``path`` (of any name: notes.txt too)."""
    path = Path(path)
    name = name or module_name(path)
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    sys.modules[name] = module  # dataclasses and pickling look a module up by name
    try:
        loader.exec_module(module)
    except SyntaxError as err:
        if err.lineno is None:  # null bytes, an undecodable file: no line to point at
            raise Fault("not_source", error=str(err.msg)) from None
        raise Fault("syntax", err.lineno, str(err.msg)) from None
    except ModuleNotFoundError as err:
        raise Fault("import", _line_in(err, path), str(err), name=err.name or "") from None
    except ValueError as err:  # raised outside the file: compile's word for null bytes
        line = _line_in(err, path)  # before Python 3.12 (a SyntaxError since)
        if not line:
            raise Fault("not_source", error=_first(err)) from None
        raise Fault("raised", line, _said(err)) from None
    except SystemExit as err:
        raise Fault("exit", _line_in(err, path), code=err.code,
                    call="os._exit" if isinstance(err, HardExit) else "sys.exit") from None
    except Exception as err:  # the learner's file may raise anything while it loads
        raise Fault("raised", _line_in(err, path), _said(err)) from None
    return module


def _first(err):
    """An exception's first line, to show (this file's twin of torch_ref.errors.first_line,
    which a sandbox cannot import)."""
    text = str(err)
    return text.splitlines()[0] if text else ""


def _said(err):
    return ": ".join(filter(None, (type(err).__name__, _first(err))))


def _line_in(err, path):
    frames = [f for f in inspect.getinnerframes(err.__traceback__)
              if Path(f.filename).name == Path(path).name]
    return frames[-1].lineno if frames else 0
