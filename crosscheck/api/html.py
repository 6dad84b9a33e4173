"""What a notebook shows of a result: an HTML table of the cells the terminal prints."""
from __future__ import annotations

import html

# a row's background by its result: passed, failed, advice only, not checked
COLORS = {"PASS": "#e6f4ea", "REJECTED": "#e6f4ea", "FAIL": "#fce8e6", "TODO": "#fce8e6",
          "ACCEPTED": "#fce8e6", "ADVICE": "#fef7e0", "SKIP": "#f1f3f4"}


def text(value) -> str:
    """Text as HTML, nothing in it read as markup (a learner's names and torch's words)."""
    return html.escape(str(value))


def table(header: list[str], rows: list[list], colors: list[str] | None = None) -> str:
    """An HTML table; ``colors``: each row's background. Every column but the last (the
    words) keeps to one line, as in the terminal."""
    def cell(k, value, tag="td"):
        wrap = "" if k == len(header) - 1 else ";white-space:nowrap"
        return f"<{tag} style='text-align:left{wrap}'>{text(value)}</{tag}>"
    head = "".join(cell(k, h, "th") for k, h in enumerate(header))
    body = []
    for n, cells in enumerate(rows):
        color = f" style='background:{colors[n]}'" if colors else ""
        body.append(f"<tr{color}>{''.join(cell(k, c) for k, c in enumerate(cells))}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
