"""A graded class on paper: each submission's points, its Gradescope ``results.json``, the
class's ``grades.csv`` and ``summary.md``.

Gradescope's autograder format (gradescope-autograders.readthedocs.io, "Autograder
Specifications"): a top-level ``score``, ``execution_time``, ``output`` and ``tests``, each
test with ``name``, ``score``, ``max_score``, ``status``, ``output``, ``visibility`` and
``tags``. One test per check of each piece, its points the piece's divided among them.
"""
import csv
from collections import Counter
from dataclasses import dataclass, field

from crosscheck.grading.points import Worth
from crosscheck.grading.score import points
from crosscheck.messages import say, slip_name


@dataclass
class Submission:
    """What grading one submission found: ``status`` is '' where it ran to the end, else
    the one line that says why not (a file that would not load, a time limit, a crash);
    ``pieces``: piece -> the worker's record of it (checks, slip, feedback)."""

    name: str
    status: str = ""
    pieces: dict = field(default_factory=dict)
    note: str = ""  # the names that matched no piece
    seconds: float = 0.0
    status_names_it: bool = False  # the status names the submission's file already

    def points(self, piece, worth):
        """(points earned, points possible) for one piece."""
        found = self.pieces.get(piece)
        return points(found, worth.points)[0] if found else 0.0, worth.points

    def total(self, worths):
        earned = [self.points(piece, w) for piece, w in worths.items()]
        return sum(e for e, _ in earned), sum(m for _, m in earned)

    def feedback(self):
        parts = [self.status] if self.status else []
        parts += [self.note] if self.note else []
        return "\n".join(parts + [p["feedback"] for p in self.pieces.values()])


def named(sub, said):
    """A line about a submission, its name first (once: a load error names it already)."""
    return said if sub.status_names_it else say("grade_named", name=sub.name, said=said)


def _missing(sub, piece):
    """Why a piece earned nothing without being checked, in the learner's language."""
    if sub.status and piece not in sub.pieces:
        return sub.status
    found = sub.pieces.get(piece)
    if found is None:
        return say("grade_absent", piece=piece)
    if found["builtins"]:
        return say("grade_builtins", piece=piece, names=", ".join(found["builtins"]))
    return say("grade_todo", piece=piece) if found["todo"] else ""


def gradescope(sub, worths):
    """The submission as Gradescope's results.json."""
    tests = []
    for piece, worth in worths.items():
        found = sub.pieces.get(piece)
        earned = points(found, worth.points)[1] if found else {}
        if not earned:
            tests.append(_test(piece, 0.0, worth, _missing(sub, piece), [piece]))
            continue
        for i, (check, score) in enumerate(earned.items()):
            said = found["why"][check] or say("grade_passed")
            if i == 0:  # the piece's whole feedback once, under its first check
                said += "\n\n" + found["feedback"]
            tests.append(_test(f"{piece}: {check}", score,
                               Worth(worth.points / len(earned), worth.visibility), said,
                               [piece]))
    earned, _ = sub.total(worths)
    return {"score": earned, "execution_time": round(sub.seconds, 1),
            "output": sub.feedback() if sub.status else sub.note, "output_format": "text",
            "test_output_format": "text", "stdout_visibility": "hidden", "tests": tests}


def _test(name, score, worth, output, tags):
    return {"name": name, "score": score, "max_score": worth.points,
            "status": "passed" if score >= worth.points else "failed", "output": output,
            "visibility": worth.visibility, "tags": tags}


def write_csv(path, subs, worths, seed):
    """grades.csv: a row per submission, a column per piece, the total, and the seed of
    the hidden samples it was graded on (``grade --seed`` grades it again the same)."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["submission", "status", *worths, "total", "max", "seed"])
        for sub in subs:
            earned, most = sub.total(worths)
            out.writerow([sub.name, sub.status, *(f"{sub.points(p, w)[0]:g}"
                                                  for p, w in worths.items()),
                          f"{earned:g}", f"{most:g}", seed])


def summary(subs, worths):
    """summary.md: per piece, how many earned it all and which known slips occurred how
    often; then the submissions that did not run to the end, and why."""
    n = len(subs)
    lines = [say("grade_title", count=n), ""]
    for piece, worth in worths.items():
        full = sum(sub.points(piece, worth)[0] == worth.points for sub in subs)
        lines.append(say("grade_piece", piece=piece, points=f"{worth.points:g}", full=full,
                         count=n))
        slips = Counter((p["slip"], p["slip_zh"], p["slip_section"]) for sub in subs
                        for q, p in sub.pieces.items() if q == piece and p["slip"])
        for (label, zh, section), times in slips.most_common():
            source = say("slip_source", section=section) if section else ""
            lines.append(say("grade_slip", times=times, count=n, label=slip_name(label, zh),
                             source=source))
        todo = sum(sub.pieces.get(piece, {}).get("todo", False) for sub in subs)
        if todo:
            lines.append(say("grade_todo_count", times=todo, count=n))
    stopped = [sub for sub in subs if sub.status]
    if stopped:
        lines += ["", say("grade_stopped")] + [f"- {named(sub, sub.status)}"
                                               for sub in stopped]
    return "\n".join(lines) + "\n"
