"""A learner's pieces checked, as a result: ``handgrad check --with FILE`` prints one, and
``handgrad.check(...)`` returns one, which prints as the same table in a terminal and renders
as an HTML table in a notebook (``_repr_html_``), in the language it was checked in.

The rows, their diagnoses and the built-ins a piece calls are records (rows.py,
learner/diagnosis.py, grading/handmade.py); this file only gathers them and says them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crosscheck.api import html
from crosscheck.grading import handmade
from crosscheck.learner import matching
from crosscheck.learner.diagnosis import Diagnosis, diagnose_rows
from crosscheck.messages import chosen, say, speaking
from crosscheck.proof.records.entry import Entry
from crosscheck.rows import COLUMNS, Row, Table, diagnoses, plan, row_cells, run_rows, select
from crosscheck.rows import summary as summary_line
from torch_ref.errors import HandgradError


@dataclass
class Checked:
    """What a check of a learner's pieces found: ``rows`` (one per case, dtype and device),
    ``found`` (the built-ins a piece calls where it is to derive them: it then fails),
    ``unmatched`` (the names that are no piece), ``lang`` (the language it speaks)."""

    rows: list[Row]
    found: list = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    lang: str = "en"

    @property
    def passed(self) -> bool:
        """The verdict: every row passed (advice rows never fail) and no piece borrows."""
        return all(r.passed for r in self.rows) and not self.found

    @property
    def diagnoses(self) -> list[Diagnosis]:
        """The diagnosis of each failing case, as records."""
        return [r.diagnosis for r in self.rows if r.diagnosis]

    def opening(self) -> str:
        """What precedes the table: the names that are no piece, if any."""
        with speaking(self.lang):
            return (say("not_checked", names=", ".join(self.unmatched)) + "\n"
                    if self.unmatched else "")

    def closing(self) -> str:
        """What follows the table: the closing line, the diagnoses, the borrowed built-ins."""
        with speaking(self.lang):
            found = "".join(handmade.said(f) + "\n" for f in self.found)
            return summary_line(self.rows) + "\n" + diagnoses(self.rows) + found

    def __str__(self) -> str:
        table = Table(self.rows)
        with speaking(self.lang):
            lines = [table.header(), *map(table.line, self.rows)]
        return self.opening() + "\n".join(lines) + "\n" + self.closing()

    __repr__ = __str__  # a result left last in a console cell shows its table

    def _repr_html_(self) -> str:
        with speaking(self.lang):
            cells = [row_cells(r) for r in self.rows]
            verdict = say("api_passed") if self.passed else say("api_failed")
        body = html.table([*COLUMNS, ""], cells, [html.COLORS[r.result] for r in self.rows])
        return (f"<div><p><b>{html.text(verdict)}</b></p><p>{html.text(self.opening())}</p>"
                f"{body}<pre style='white-space:pre-wrap'>{html.text(self.closing())}</pre>"
                "</div>")


def learner_cases(module, registry: list[Entry], aliases=(), shown: str = "",
                  path: Path | None = None, places: list | None = None
                  ) -> tuple[list[Entry], dict, list, list[str]]:
    """The entries with the module's pieces in place (named by ``aliases`` where their names
    are not the pieces'), handgrad's own entry of each by id, what the file at ``path`` calls
    that its pieces are to derive (the handmade scan; ``places``: a notebook's), and the
    names that matched nothing. ``shown``: how the module is named in an error."""
    aliases = [matching.check_alias(alias, registry) for alias in aliases]
    made, unmatched = matching.cases(module, registry, aliases, advice=True)
    if not made:
        raise HandgradError(matching.nothing_matched(shown, unmatched, registry))
    found = handmade.scan(path.parent, [path.name], {
        c.original.piece.name: (c.name, path.name, c.original) for c in made},
        {path.name: places}) \
        if path is not None and path.is_file() else {}
    return ([c.entry for c in made], {id(c.entry): c.original for c in made},
            [f for fs in found.values() for f in fs], unmatched)


def check_learner(module, registry: list[Entry], *, aliases=(), only: str | None = None,
                  dtypes=None, devs=("cpu",), strict: bool = False, shown: str = "",
                  path: Path | None = None, places: list | None = None, show: bool = True
                  ) -> Checked:
    """The learner's pieces run through their rows (``show``: each line printed as it is
    measured), failing cases diagnosed once."""
    entries, originals, found, unmatched = learner_cases(module, registry, aliases, shown, path,
                                                         places)
    checked = Checked([], found, unmatched, chosen())
    if show:
        print(checked.opening(), end="")
    checked.rows = run_rows(list(plan(select(entries, only), dtypes, list(devs), originals,
                                      strict)), show=show)
    diagnose_rows(checked.rows)
    return checked
