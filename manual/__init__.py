"""Hand-derived deep learning: every forward pass with its derivative written under it.

Depends on torch tensors only; see README.md for which section of the notes each module follows.
"""


class NotSupported(ValueError):
    """A manual piece refusing what it does not implement, in one line that names it, rather
    than returning a number that differs from torch's. ``argument`` names the keyword
    argument, input or transform that is not supported; ``what`` shows it (with its value)."""

    def __init__(self, piece, argument, what=None, detail=""):
        self.piece, self.argument = piece, argument
        super().__init__(f"{piece}: {what or argument} is not supported by the manual op"
                         + (f" ({detail})" if detail else ""))
