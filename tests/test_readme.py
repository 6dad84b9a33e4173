"""README.md and README_zh-CN.md name every case of `handgrad check` and every erratum (the
Chinese one with its Chinese correction); README.md gives the CI's commands."""
import pathlib

import pytest

from crosscheck.messages import zh
from crosscheck.proof.notes.errata import ERRATA
from crosscheck.proof.records.registry import REGISTRY

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
READMES = {"en": README, "zh": (ROOT / "README_zh-CN.md").read_text()}


@pytest.mark.parametrize("lang", READMES)
def test_every_check_case_is_on_the_concept_map_or_errata(lang):
    """A family's rows by their family (`half_<op>`, `optim_sparse_<name>`), every other
    case by its name."""
    text = READMES[lang]
    missing = [e.name for e in REGISTRY
               if f"`{e.group}_<" not in text and f"`{e.name}`" not in text]
    assert not missing


@pytest.mark.parametrize("lang", READMES)
def test_every_erratum_is_listed_with_its_quote(lang):
    text = READMES[lang]
    for erratum in ERRATA:
        correction = erratum.correction if lang == "en" else zh.CORRECTIONS[erratum.name]
        assert erratum.quote in text and f"`{erratum.name}`" in text, erratum.name
        assert correction.replace("|", "\\|") in text, erratum.name


def test_the_quick_start_is_the_ci_install_and_test():
    ci = (ROOT / ".ci" / "run").read_text()
    for command in ('pip install -e ".[dev]" && handgrad check', "pytest"):
        assert command in README and command in ci
