"""Every flag of every command, given hostile values: a one-line error and exit status 2, or
accepted; never a traceback. Runs the parse-and-validate step only, so it stays fast."""
import contextlib
import io
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crosscheck import cli

PARSER, COMMANDS = cli.build_parser()  # COMMANDS: name -> its parser
FLAGS = {name: [a for a in p.flags if a.dest != "help"] for name, p in COMMANDS.items()}

HOSTILE = ["-1", "0", "-0", "1", "nan", "NaN", "inf", "-inf", "1e309", "-1e-9", "1e-320",
           "99999999999999999999999", "", " ", "abc", "1.5", "0x10", "0,0", "-4,8", "5,",
           ",", "5,5,5", "adam=-1", "adam=nan", "=", "sgd=", "adamw=1", "adam:gpu", "adam:",
           "/nonexistent/dir/x.json", "/proc/handgrad", "/proc", "/tmp", "/", ".", "~",
           "/etc/passwd", "/dev/null", "a\x00b", "--lr", "🙂"]
values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12),
                   st.integers(-10**30, 10**30).map(str),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr))


def _finite(low, above=False):
    return lambda v: math.isfinite(v) and (v > low if above else v >= low)


# what a run can work with, stated here independently of crosscheck/flags.py
SOUND = {
    "lr": lambda v: v is None or (_finite(0, True)(v) if isinstance(v, float)
                                  else all(_finite(0, True)(r) for r in v.values())),
    "weight_decay": _finite(0), "batch_size": _finite(1), "val_size": _finite(0),
    "train_size": lambda v: v is None or v >= 1, "epochs": _finite(1), "rounds": _finite(1),
    "hidden": _finite(0), "warmup_steps": _finite(0), "depth": _finite(2),
    "steps": _finite(1), "seed": lambda v: 0 <= v < 2**63 // 100_003,
    "early_stop_patience": lambda v: v is None or v >= 1,
    "channels": lambda v: len(v) == 2 and all(c >= 1 for c in v),
    "optimizers": lambda v: len(v) >= 1,
    "json": lambda v: v is None or (Path(v).parent.is_dir() and not Path(v).is_dir()),
    "logdir": lambda v: v is None or not Path(v).is_file(),
    "resume": lambda v: v is None or Path(v).is_file(),
    "data_dir": lambda v: not Path(v).is_file(),
}
SOUND_IN = {("compare", "resume"): lambda v: v is None or Path(v).is_dir()}  # a comparison's folder


def _parse(argv):
    """(exit status, stderr, parsed args or None)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            return 0, err.getvalue(), cli.parse(argv)
        except SystemExit as done:
            return done.code, err.getvalue(), None


def _assert_clean(argv):
    status, text, args = _parse(argv)
    assert status in (0, 2), (argv, status, text)
    assert "Traceback" not in text and text.count("\n") <= 1, (argv, text)
    if status == 2:
        assert text.startswith(f"handgrad {argv[0]}: error:"), (argv, text)
    else:
        for dest, sound in SOUND.items():
            sound = SOUND_IN.get((argv[0], dest), sound)
            assert not hasattr(args, dest) or sound(getattr(args, dest)), (argv, dest)


EVERY_FLAG = [(name, a.option_strings[0], a.nargs == 0)
              for name in sorted(FLAGS) for a in FLAGS[name]]


def _flags(test):
    return pytest.mark.parametrize("command,flag,bare", EVERY_FLAG,
                                   ids=[f"{c} {f}" for c, f, _ in EVERY_FLAG])(test)


@_flags
def test_every_flag_takes_the_hostile_list_cleanly(command, flag, bare):
    for value in [[]] if bare else [[v] for v in HOSTILE]:
        _assert_clean([command, flag, *value])


@_flags
@settings(max_examples=20, deadline=None)
@given(value=values)
def test_every_flag_takes_random_values_cleanly(command, flag, bare, value):
    _assert_clean([command, flag] + ([] if bare else [value]))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_hostile_flags_together(data):
    command = data.draw(st.sampled_from(sorted(FLAGS)))
    argv = [command]
    for action in data.draw(st.lists(st.sampled_from(FLAGS[command]), max_size=4)):
        argv.append(data.draw(st.sampled_from(action.option_strings)))
        if action.nargs != 0:
            argv.append(data.draw(values))
    _assert_clean(argv)


def test_every_flag_is_reached():
    """The strategy above draws from every flag of every command."""
    assert set(FLAGS) == {"check", "bench", "train", "evaluate", "compare", "landscape",
                          "gradients", "exercise", "grade"}
    assert sum(len(f) for f in FLAGS.values()) >= 50


@pytest.mark.parametrize("argv, said", [
    (["grade", "pyproject.toml"], "'pyproject.toml' is a file, not a folder"),
    (["compare", "--optimizers", "sgd", "--lr", "adam=0.01"],
     "--lr names adam, which --optimizers does not run (sgd)"),
    (["gradients", "--steps", "1000000000"], "expected a number between 1 and 100000"),
    (["check", "--strict"], "--strict holds your file to every family: it needs --with FILE")])
def test_a_flag_that_would_do_nothing_or_forever_is_refused(argv, said):
    status, text, _ = _parse(argv)
    assert status == 2 and said in text and text.count("\n") == 1, text
