"""The words a learner reads (diagnoses, exercise starters, the notes' corrections, the
check's closing line), in English and in Chinese: one message table per language
(``en.py``, ``zh.py``), chosen by ``--lang`` or the locale (LC_ALL, LC_MESSAGES, LANG
starting with ``zh``). English corrections are the errata's own, and the Chinese table has its own
for each; a slip's names, English and Chinese, are its record's (records/<topic>.py).
tests/test_messages.py fails on any that is missing.
Flags and their help stay English.
"""
import os

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


def say(key, **fields):
    return TABLES[_chosen[0]].MESSAGES[key].format(**fields)


def site(failure, lang=None):
    """Where a failure is, in words: 'sample 3 grad of input 1', 'step 4 param 0 state sum'."""
    table = TABLES[lang or _chosen[0]].MESSAGES
    words = [failure.label] if failure.label else []
    for name in ("sample", "step", "param", "state"):
        if getattr(failure, name) is not None:
            words.append(table[f"site_{name}"].format(value=getattr(failure, name)))
    if failure.index is not None:
        key = "site_grad" if failure.check == "backward" else "site_output"
        words.append(table[key].format(value=failure.index))
    return " ".join(words)


def failure_text(failure, lang=None):
    """A failure's whole line: where, then what (an exception's type and first line)."""
    what = f"{failure.error}: {failure.message}" if failure.error else failure.message
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
