"""``handgrad grade DIR``: a class at once. Every ``.py`` file or folder directly in DIR is
one submission, graded in a process of its own (crosscheck/grading/worker.py) with a time
and a memory limit, several at once; what a submission finished before it looped, crashed
or exited is kept. Written to ``--out``: grades.csv, summary.md, and per submission its
feedback and Gradescope's results.json.
"""
import contextlib
import json
import multiprocessing
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from crosscheck.commands.exercise import exercises
from crosscheck.grading import points as P
from crosscheck.grading import worker
from crosscheck.grading.report import Submission, gradescope, named, summary, write_csv
from crosscheck.messages import language, say, use
from torch_ref.cnn.run_dir import run_folder
from torch_ref.errors import HandgradError


def submissions(folder):
    """The .py files and the folders holding one, directly in ``folder``, by name."""
    found = sorted(p for p in Path(folder).iterdir() if not p.name.startswith(".")
                   and ((p.is_file() and p.suffix == ".py")
                        or (p.is_dir() and any(p.rglob("*.py")))))
    if not found:
        raise HandgradError(f"{folder}: no .py file or folder of them to grade")
    return found


def grade_one(path, out, args, context):
    """One submission in its own process: its Submission, with what the worker wrote."""
    (out / path.stem).mkdir(exist_ok=True)
    record, stderr = out / path.stem / "events.jsonl", out / path.stem / "stderr.txt"
    record.unlink(missing_ok=True)
    start = time.monotonic()
    proc = context.Process(target=worker.child, args=(str(path), str(record),
                                                      language(args.lang), args.memory, stderr))
    proc.start()
    proc.join(args.timeout)
    stopped = None
    if proc.exitcode is None:  # still running: it and whatever it started end here
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.join()
        stopped = "timeout"
    sub = Submission(path.name, seconds=time.monotonic() - start)
    events = [json.loads(line) for line in record.read_text().splitlines()] \
        if record.exists() else []
    printed = stderr.read_text(errors="replace").split("\n") if stderr.exists() else []
    last = next((line for line in reversed(printed) if line.strip()), "")
    return _read(sub, events, stopped, proc.exitcode, last, args)


def fork_server():
    """Processes forked from a server that imported torch, handgrad's checks and torch's
    test suite once (worker.PRELOAD): each submission starts in a fraction of a second."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(worker.PRELOAD)
    return context


def _read(sub, events, stopped, returncode, last, args):
    """The submission as its events tell it; ``last``: the last line it printed to stderr
    (a crash's reason)."""
    started, hungry = None, None
    for e in events:
        if e["event"] == "error":
            sub.status = e["message"]
        elif e["event"] == "loaded":
            sub.note = e["note"]
        elif e["event"] == "start":
            started = e["piece"]
        elif e["event"] == "piece":
            sub.pieces[e["piece"]] = e
            started = None
            hungry = hungry or (e["piece"] if e["out_of_memory"] else None)
    done = any(e["event"] == "done" for e in events) or sub.status
    where = say("grade_while", piece=started) if started else ""
    if stopped == "timeout":
        sub.status = say("grade_timeout", seconds=f"{args.timeout:g}", where=where)
    elif not done:
        how = (say("grade_signal", signal=signal.Signals(-returncode).name) if returncode < 0
               else say("grade_exit", status=returncode))
        why = say("grade_why", text=last.strip()[:200]) if last.strip() else ""
        sub.status = say("grade_crashed", how=how, where=where, why=why)
    elif hungry:  # it ran to the end, but a piece failed for want of memory
        sub.status = say("grade_memory", gb=f"{args.memory:g}",
                         where=say("grade_while", piece=hungry))
    return sub


def worths(args, subs):
    """{piece: Worth}: the points file's, or one point for every piece a starter asks for
    that some submission defines."""
    known = exercises()
    if args.points:
        from crosscheck.proof import learner
        from crosscheck.proof.registry import REGISTRY
        return P.load(args.points, learner.pieces(REGISTRY))
    defined = {piece for sub in subs for piece in sub.pieces}
    return {piece: P.Worth(1.0) for piece in known if piece in defined}


def write(out, subs, table):
    """Everything the grading leaves: per submission (beside the worker's events.jsonl) its
    feedback and results.json, then grades.csv and summary.md."""
    for sub in subs:
        folder = out / Path(sub.name).stem
        (folder / "feedback.txt").write_text(sub.feedback() + "\n")
        (folder / "results.json").write_text(json.dumps(gradescope(sub, table), indent=1,
                                                        ensure_ascii=False) + "\n")
    write_csv(out / "grades.csv", subs, table)
    (out / "summary.md").write_text(summary(subs, table))


def run(args):
    use(args.lang)
    found = submissions(args.dir)
    if args.points:  # a bad points file is found before any grading
        worths(args, [])
    out = Path(args.out or run_folder("grade"))
    if (out / "grades.csv").exists():
        raise HandgradError(f"{out} holds a grading already; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    subs, context = {}, fork_server()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(grade_one, path, out, args, context): path for path in found}
        bar = tqdm(as_completed(futures), total=len(futures), desc="grading", unit="submission",
                   disable=None)
        for future in bar:
            sub = future.result()
            subs[sub.name] = sub
            said = sub.status or say("grade_ran", pieces=", ".join(sub.pieces))
            bar.write(named(sub.name, said))
    ordered = [subs[path.name] for path in found]
    table = worths(args, ordered)
    write(out, ordered, table)
    for sub in ordered:
        earned, most = sub.total(table)
        print(f"{sub.name:<32} {earned:g} / {most:g}")
    print(say("grade_written", out=out))
    return 0
