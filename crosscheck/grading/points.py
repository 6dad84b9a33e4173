"""What each piece is worth: ``--points FILE``, TOML or JSON, a piece's name to its points,
or to a table of its points and its Gradescope visibility (a hidden test is one whose
visibility is 'hidden', 'after_due_date' or 'after_published'):

    sigmoid = 2
    tanh = { points = 3, visibility = "after_due_date" }

Without a file, every piece a starter asks for that some submission defines is worth one
point, visible.
"""
import json
from dataclasses import dataclass
from pathlib import Path

from torch_ref.errors import HandgradError

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's


@dataclass(frozen=True)
class Worth:
    points: float
    visibility: str = "visible"


def load(path, pieces):
    """{piece: Worth} from the file at ``path``; a one-line error where it cannot be read,
    is neither TOML nor JSON, or names a piece handgrad does not check."""
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise HandgradError(f"--points {path}: cannot read it "
                            f"({getattr(err, 'strerror', None) or err})") from None
    table = _parse(path, text)
    if not isinstance(table, dict) or not table:
        raise HandgradError(f"--points {path}: expected a table of piece names to points")
    return {name: _worth(path, name, value, pieces) for name, value in table.items()}


def _parse(path, text):
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        import tomllib
    except ImportError:  # Python before 3.11: its twin from PyPI (a dependency there)
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise HandgradError(f"--points {path}: neither JSON nor TOML ({err})") from None


def _worth(path, name, value, pieces):
    if name not in pieces:
        raise HandgradError(f"--points {path}: {name!r} is no piece; the pieces are: "
                            f"{', '.join(sorted(pieces))}")
    if isinstance(value, dict):
        points, visibility = value.get("points", 1), value.get("visibility", "visible")
    else:
        points, visibility = value, "visible"
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise HandgradError(f"--points {path}: {name}: points must be a number >= 0, "
                            f"got {points!r}")
    if visibility not in VISIBILITIES:
        raise HandgradError(f"--points {path}: {name}: visibility must be one of "
                            f"{', '.join(VISIBILITIES)}, got {visibility!r}")
    return Worth(float(points), visibility)
