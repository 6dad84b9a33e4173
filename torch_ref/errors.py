"""The one exception a user sees as a one-line message instead of a traceback."""


class HandgradError(Exception):
    """Bad input (a missing data set, a wrong flag, an untrusted checkpoint, a NaN loss)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, after what was done is saved: ``resume`` is the command that continues."""

    def __init__(self, resume):
        super().__init__(resume)
        self.resume = resume


def first_line(err, limit=None):
    """An exception's message, its first line only ('' for none), for a one-line error."""
    text = str(err)
    return (text.splitlines()[0] if text else "")[:limit]


def error_name(err):
    """The name of an exception's kind, for a failure record; 'MemoryError' also for torch's
    CPU allocator, which says it ran out of memory with a plain RuntimeError whose words are
    all that tell it apart."""
    if isinstance(err, RuntimeError) and "can't allocate memory" in str(err):
        return "MemoryError"
    return type(err).__name__


def one_line(err, limit=240):
    """An exception's whole message on one line (its lines joined), for a cause that its
    first line does not say (a download's 'Error downloading x:' and then why): as many
    whole lines as fit in ``limit`` characters (the first always), '...' for the rest."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    shown = lines[:1]
    for line in lines[1:]:
        if len(" / ".join([*shown, line])) > limit:
            return " / ".join([*shown, "..."])
        shown.append(line)
    return " / ".join(shown)
