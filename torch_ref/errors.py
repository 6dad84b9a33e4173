"""The one exception a user sees as a one-line message instead of a traceback."""


class HandgradError(Exception):
    """Bad input (a missing data set, a wrong flag, an untrusted checkpoint, a NaN loss)."""
