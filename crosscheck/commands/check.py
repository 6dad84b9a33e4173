"""``handgrad check``: run every registry entry and print the table of measured errors."""
import json
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.connection import wait
from pathlib import Path

import torch

from crosscheck.api.checked import check_learner
from crosscheck.learner import loading, notebook
from crosscheck.messages import say, use
from crosscheck.proof.checks.harness import devices, quiet
from crosscheck.rows import plan_rows, run_rows, summary
from torch_ref.errors import HandgradError


def check(args, registry):
    """The rows the flags ask for, run and printed; the exit status."""
    dtypes = None if args.dtype == "all" else [getattr(torch, args.dtype)]
    devs = devices() if args.device == "all" else [args.device]
    if args.with_:  # a learner's pieces: a few rows, in this process
        shown = f"--with {args.with_}"
        with notebook.as_python(args.with_) as (source, places):
            checked = check_learner(loading.load(source, shown, places), registry,
                                    aliases=args.as_ or (), only=args.only, dtypes=dtypes,
                                    devs=devs, strict=args.strict, shown=shown,
                                    path=Path(source), places=places)
        print(checked.closing(), end="")
        rows, found = checked.rows, checked.found
    else:
        planned = (args.only, dtypes, devs)
        rows, found = plan_rows(*planned), []
        rows = run_rows(rows, args.jobs or default_jobs(len(rows)), planned)
        print(summary(rows))
        for group in sorted({e.group for e in registry if e.opt_in}) if not args.only else []:
            count = sum(e.group == group for e in registry)  # what did not run, and how to
            print(say("left_out", count=count, group=group,
                      command=f"handgrad check --only {group}"))
    if args.gradescope:
        write_gradescope(args, rows, found)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([row.record() for row in rows], f, indent=1)
    return 0 if all(r.passed for r in rows) and not found else 1


def contained(args, registry):
    """``check --with``: the learner's file checked in a process of its own (forked: torch
    and the registry are in already), which ``--timeout`` ends, whatever signals the file
    ignores, with everything it started; what it prints comes here line by line. A process
    that ends before the check says how it went is a failure that says how it ended.
    Ctrl-C ends it too."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    printed, printing = os.pipe()
    sys.stdout.flush()
    proc = context.Process(target=_checked, args=(args, registry, writer, printing))
    proc.start()
    writer.close()
    os.close(printing)
    try:
        status, late = _relay(printed, reader, time.monotonic() + args.timeout)
    except KeyboardInterrupt:
        _end(proc)
        raise
    finally:
        os.close(printed)
    _end(proc) if late else proc.join()
    if isinstance(status, str):  # the file could not be checked: one line, as ever
        raise HandgradError(status)
    if status is not None:
        return status
    if late:
        print(say("with_timeout", seconds=f"{args.timeout:g}"))
    else:
        code = proc.exitcode
        how = (say("grade_signal", signal=signal.Signals(-code).name) if code < 0
               else say("grade_exit", status=code))
        print(say("with_ended", how=how))
    return 1


def _relay(printed, reader, deadline):
    """What the check prints, relayed, until it says how it went (its status) and is done
    printing, or the deadline: (the status or None, whether the deadline passed)."""
    status, said, done = None, False, False
    while not (said and done):
        left = deadline - time.monotonic()
        if left <= 0:
            return status, True
        waiting = [fd for fd, over in ((printed, done), (reader, said)) if not over]
        for ready in wait(waiting, left):
            if ready is reader:
                try:
                    status = reader.recv()
                except EOFError:  # it ended without saying how the check went
                    pass
                said = True
            else:
                data = os.read(printed, 1 << 16)
                done = not data
                sys.stdout.write(data.decode(errors="replace"))
                sys.stdout.flush()
    return status, False


def _end(proc):
    """The learner's process and all it started, ended (SIGKILL: it cannot be ignored)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.join()


def _checked(args, registry, writer, printing):
    os.setsid()  # a group of its own: ended whole, and Ctrl-C reaches the parent only
    os.dup2(printing, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    with loading.no_hard_exit():  # the learner's code runs in this process
        try:
            status = check(args, registry)
        except HandgradError as err:
            status = str(err)
    sys.stdout.flush()
    writer.send(status)


def default_jobs(rows):
    """A process per core (at most 8) for a long check; each takes seconds to start (it
    imports torch and its test suite), more than a few rows take."""
    return min(os.cpu_count() or 1, 8) if rows >= 60 else 1


def write_gradescope(args, rows, found):
    """The learner's file graded as ``handgrad grade`` grades one submission (``found``:
    the built-ins its pieces call), written as Gradescope's results.json."""
    from crosscheck.commands.grade import worths
    from crosscheck.grading.report import Submission, gradescope
    from crosscheck.grading.worker import graded
    by_piece = {}
    for row in rows:
        by_piece.setdefault(row.original.piece.name, []).append(row)
    sub = Submission(args.with_, pieces={
        p: graded(p, r, [f for f in found if f.piece == p]) for p, r in by_piece.items()})
    with open(args.gradescope, "w") as f:
        json.dump(gradescope(sub, worths(args, [sub])), f, indent=1, ensure_ascii=False)


def watch(args, registry, poll=0.5):
    """Check again each time the learner's file is saved, the screen cleared between runs;
    a file that cannot be loaded says why in one line and is watched on. Ctrl-C ends it."""
    path, seen, stop = Path(args.with_), None, []

    def interrupted(signum, frame):  # remembered too: code under the check may swallow it
        stop.append(signum)
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, interrupted)
    try:
        while not stop:
            stamp = path.stat().st_mtime_ns if path.exists() else None
            if stamp != seen:
                seen = stamp
                if sys.stdout.isatty():
                    print("\033[2J\033[H", end="")  # clear the screen, cursor home
                contained(args, registry)
                print(say("watching", path=path), flush=True)
            time.sleep(poll)
    except KeyboardInterrupt:
        pass
    return 0


def run(args):
    use(args.lang)
    from crosscheck.proof.records.registry import REGISTRY as registry
    if args.list:
        for e in registry:
            asked = "  (only when asked: --only " + e.group + ")" if e.opt_in else ""
            print(f"{e.name:<30} {e.group:<10} {e.section}{asked}")
        return 0
    quiet()
    if not args.with_:
        return check(args, registry)
    return watch(args, registry) if args.watch else contained(args, registry)
