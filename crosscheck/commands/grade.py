"""``handgrad grade DIR``: a class at once. Every ``.py`` file, notebook (``.ipynb``: its code
cells, run as the same Python) or folder of them directly in DIR is
one submission. Each is graded by a process of handgrad's (crosscheck/grading/worker.py),
which runs the submission's code only in a sandbox of its own (sandbox.py: bubblewrap, with
a time, memory, process and file limit) and checks what comes back; several at once. What
a submission finished before it looped, crashed or exited is kept. Written to ``--out``:
grades.csv (with the seed of the hidden samples), summary.md, and per submission, under
submissions/, its feedback, Gradescope's results.json and the tail of what it printed.
"""
import json
import multiprocessing
import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from crosscheck.commands.exercise import exercises
from crosscheck.grading import points as P
from crosscheck.grading import worker
from crosscheck.grading.report import Submission, gradescope, named, summary, write_csv
from crosscheck.grading.sandbox import Limits, engine
from crosscheck.learner.notebook import SUFFIXES
from crosscheck.messages import language, say, use
from torch_ref.cnn.run_dir import run_folder
from torch_ref.errors import HandgradError

SUBMISSIONS = "submissions"  # the folder of each submission's files in --out


def submissions(folder):
    """The .py files and notebooks, and the folders holding one, directly in ``folder``, by
    name."""
    found = sorted(p for p in Path(folder).iterdir() if not p.name.startswith(".")
                   and ((p.is_file() and p.suffix in SUFFIXES)
                        or (p.is_dir() and any(q.suffix in SUFFIXES for q in p.rglob("*")))))
    if not found:
        raise HandgradError(f"{folder}: no .py file, notebook, or folder of them to grade")
    return found


def grade_one(path, index, out, args, context, bwrap):
    """One submission by a grading process of its own: its Submission, as its events say."""
    folder = out / SUBMISSIONS / path.name
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / "events.jsonl"
    record.unlink(missing_ok=True)
    limits = Limits(seconds=args.timeout, memory_gb=args.memory)
    start = time.monotonic()
    proc = context.Process(target=worker.grade, args=(str(path), str(record),
                                                      language(args.lang), limits, bwrap,
                                                      args.seed, index))
    proc.start()
    proc.join(args.timeout + 60)  # the sandbox's own limit ends it first; this, the grader
    stopped = proc.exitcode is None
    if stopped:
        proc.kill()
        proc.join()
    sub = Submission(path.name, seconds=time.monotonic() - start)
    events = [json.loads(line) for line in record.read_text().splitlines()] \
        if record.exists() else []
    return _read(sub, events, stopped, args)


def fork_server():
    """Processes forked from a server that imported torch, handgrad's checks and torch's
    test suite once (worker.PRELOAD): each grading process starts in a fraction of a second."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(worker.PRELOAD)
    return context


def _read(sub, events, stopped, args):
    """The submission as its grading process's events tell it."""
    started, hungry, gone = None, None, None
    for e in events:
        if e["event"] == "error":
            sub.status, sub.status_names_it = e["message"], e["names_it"]
        elif e["event"] == "loaded":
            sub.note = e["note"]
        elif e["event"] == "start":
            started = e["piece"]
        elif e["event"] == "piece":
            sub.pieces[e["piece"]] = e
            started = None
            hungry = hungry or (e["piece"] if e["out_of_memory"] else None)
        elif e["event"] == "gone":
            gone = e
    where = say("grade_while", piece=started) if started else ""
    status = None
    if stopped or (gone and gone["why"] == "timeout"):
        status = say("grade_timeout", seconds=f"{args.timeout:g}", where=where)
    elif gone:
        status = _gone(gone, where)
    elif not sub.status and not any(e["event"] == "done" for e in events):
        status = say("grade_failed")  # handgrad's own process: never the submission's
    elif hungry:  # it ran to the end, but a piece failed for want of memory
        status = say("grade_memory", gb=f"{args.memory:g}", where=say("grade_while",
                                                                         piece=hungry))
    if status is not None:
        sub.status, sub.status_names_it = status, False
    return sub


def _gone(gone, where):
    """Why a sandbox ended before its grading did, in one line."""
    if gone["why"] == "garbled":
        return say("grade_garbled", where=where)
    status = gone["status"]
    how = (say("grade_signal", signal=signal.Signals(-status).name)
           if isinstance(status, int) and status < 0 else say("grade_exit", status=status))
    why = say("grade_why", text=gone["last"]) if gone["last"] else ""
    return say("grade_crashed", how=how, where=where, why=why)


def worths(args, subs):
    """{piece: Worth}: the points file's, or one point for every piece a starter asks for
    that some submission defines."""
    known = exercises()
    if args.points:
        from crosscheck.learner import matching
        from crosscheck.proof.records.registry import REGISTRY
        return P.load(args.points, matching.pieces(REGISTRY))
    defined = {piece for sub in subs for piece in sub.pieces}
    return {piece: P.Worth(1.0) for piece in known if piece in defined}


def write(out, subs, table, seed):
    """Everything the grading leaves: per submission (beside the worker's events.jsonl and
    printed.txt) its feedback and results.json, then grades.csv and summary.md."""
    for sub in subs:
        folder = out / SUBMISSIONS / sub.name
        (folder / "feedback.txt").write_text(sub.feedback() + "\n")
        (folder / "results.json").write_text(json.dumps(gradescope(sub, table), indent=1,
                                                        ensure_ascii=False) + "\n")
    write_csv(out / "grades.csv", subs, table, seed)
    (out / "summary.md").write_text(summary(subs, table))


def run(args):
    use(args.lang)
    found = submissions(args.dir)
    if args.points:  # a bad points file is found before any grading
        worths(args, [])
    bwrap = engine()
    if bwrap is None and not args.no_sandbox:
        raise HandgradError(say("grade_no_sandbox"))
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    out = Path(args.out or run_folder("grade"))
    if (out / "grades.csv").exists():
        raise HandgradError(f"{out} holds a grading already; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    subs, context = {}, fork_server()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(grade_one, path, i, out, args, context, bwrap): path
                   for i, path in enumerate(found)}
        bar = tqdm(as_completed(futures), total=len(futures), desc="grading", unit="submission",
                   disable=None)
        for future in bar:
            sub = future.result()
            subs[sub.name] = sub
            said = sub.status or say("grade_ran", pieces=", ".join(sub.pieces))
            bar.write(named(sub, said))
    ordered = [subs[path.name] for path in found]
    table = worths(args, ordered)
    write(out, ordered, table, args.seed)
    for sub in ordered:
        earned, most = sub.total(table)
        print(f"{sub.name:<32} {earned:g} / {most:g}")
    print(say("grade_written", out=out))
    return 0
