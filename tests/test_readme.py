"""README.md names every case of `handgrad check`, every erratum, and the commands."""
import pathlib

from crosscheck.proof.errata import ERRATA
from crosscheck.proof.registry import REGISTRY

README = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_check_case_is_on_the_concept_map_or_errata():
    """A family's rows by their family (`half_<op>`, `optim_sparse_<name>`), every other
    case by its name."""
    missing = [e.name for e in REGISTRY
               if f"`{e.group}_<" not in README and f"`{e.name}`" not in README]
    assert not missing


def test_every_erratum_is_listed_with_its_quote():
    for erratum in ERRATA:
        assert erratum.quote in README and f"`{erratum.name}`" in README


def test_the_quick_start_is_the_ci_install_and_test():
    ci = (pathlib.Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    for command in ('pip install -e ".[dev]" && handgrad check', "pytest"):
        assert command in README and command in ci
