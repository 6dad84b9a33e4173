"""What a notebook shows of a result: an HTML table of the cells the terminal prints."""
from __future__ import annotations

import html

PASS, FAIL = "#e6f4ea", "#fce8e6"  # a row's background: passed, failed


def text(value) -> str:
    """Text as HTML, nothing in it read as markup (a learner's names and torch's words)."""
    return html.escape(str(value))


def table(header: list[str], rows: list[list], marks: list[bool] | None = None) -> str:
    """An HTML table; ``marks``: whether each row passed (its background says so)."""
    head = "".join(f"<th style='text-align:left'>{text(h)}</th>" for h in header)
    body = []
    for k, cells in enumerate(rows):
        color = "" if marks is None else f" style='background:{PASS if marks[k] else FAIL}'"
        tds = "".join(f"<td style='text-align:left'>{text(c)}</td>" for c in cells)
        body.append(f"<tr{color}>{tds}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
