"""The one exception a user sees as a one-line message instead of a traceback."""


class HandgradError(Exception):
    """Bad input (a missing data set, a wrong flag, an untrusted checkpoint, a NaN loss)."""


def first_line(err, limit=None):
    """An exception's message, its first line only ('' for none), for a one-line error."""
    text = str(err)
    return (text.splitlines()[0] if text else "")[:limit]
