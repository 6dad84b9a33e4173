"""The words a learner reads (diagnoses, exercise starters, the notes' corrections, the
check's closing line), in English and in Chinese: one message table per language
(``en.py``, ``zh.py``), chosen by ``--lang`` or the locale (LC_ALL, LC_MESSAGES, LANG
starting with ``zh``). English corrections are the errata's own, and the Chinese table has its own
for each; a slip's names, English and Chinese, are its record's (records/<topic>.py).
tests/test_messages.py fails on any that is missing.
Flags and their help stay English.
"""
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from crosscheck.messages import en, zh

TABLES = {"en": en, "zh": zh}
_chosen = ["en"]


def language(flag=None):
    """The language: ``flag`` where given, else the locale's (zh for a Chinese one)."""
    if flag:
        return flag
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "zh" if value.startswith("zh") else "en"
    return "en"


def use(flag=None):
    """Speak the language of ``flag`` (or the locale) from here on."""
    _chosen[0] = language(flag)


def chosen():
    """The language spoken now: 'en' or 'zh'."""
    return _chosen[0]


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Within, speak ``lang``; the language before, after (a result shown in a notebook
    speaks the language it was checked in)."""
    before, _chosen[0] = _chosen[0], lang
    try:
        yield
    finally:
        _chosen[0] = before


def say(key, **fields):
    return TABLES[_chosen[0]].MESSAGES[key].format(**fields)


@dataclass(frozen=True)
class Said:
    """Words to be said later, in the language spoken then: a message key and its fields
    (a row measured in one process is printed in another, in either language, and written
    to JSON in English). A field may be a Said, or a tuple of them, said in turn."""

    key: str
    fields: tuple = ()

    def __str__(self):
        return spoken(self)


def saying(key, **fields):
    """The message ``key`` with ``fields``, to be said when shown."""
    return Said(key, tuple(sorted(fields.items())))


def spoken(value, lang=None):
    """A Said in words (in ``lang``, else the language spoken now); a text as it is (an
    exception's own words, torch's among them)."""
    if _words(value):
        return "".join(spoken(v, lang) for v in value)
    if not isinstance(value, Said):
        return value
    fields = {k: spoken(v, lang) if isinstance(v, Said) or _words(v) else v
              for k, v in value.fields}
    return TABLES[lang or _chosen[0]].MESSAGES[value.key].format(**fields)


def _words(value):
    """A tuple of Said, said one after another (none: nothing); a value such as a shape is
    passed as text."""
    return isinstance(value, tuple) and all(isinstance(v, Said) for v in value)


def site(failure, lang=None):
    """Where a failure is, in words: 'sample 3 grad of input 1', 'step 4 param 0 state sum'."""
    table = TABLES[lang or _chosen[0]].MESSAGES
    words = [spoken(failure.label, lang)] if failure.label else []
    for name in ("sample", "step", "param", "state"):
        if getattr(failure, name) is not None:
            words.append(table[f"site_{name}"].format(value=getattr(failure, name)))
    if failure.index is not None:
        key = "site_grad" if failure.check == "backward" else "site_output"
        words.append(table[key].format(value=failure.index))
    return " ".join(words)


def failure_text(failure, lang=None):
    """A failure's whole line: where, then what (an exception's type and first line)."""
    message = spoken(failure.message, lang)
    what = f"{failure.error}: {message}" if failure.error else message
    if failure.check == "missing":  # the method a learner's Function lacks: one wording
        what = TABLES[lang or _chosen[0]].MESSAGES[f"skipped_{failure.message}"]
    where = site(failure, lang)
    return TABLES[lang or _chosen[0]].MESSAGES["site_what"].format(site=where, what=what) \
        if where else what


def correction(erratum):
    """An erratum's correction in the chosen language."""
    return erratum.correction if _chosen[0] == "en" else zh.CORRECTIONS[erratum.name]


def slip_name(label, zh_name):
    """A known slip's name in the chosen language: its label, or its record's Chinese."""
    return label if _chosen[0] == "en" else zh_name
