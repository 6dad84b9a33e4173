"""README.md and README_zh-CN.md name every case of `handgrad check` and every erratum (the
Chinese one with its Chinese correction), show the same commands, and print what their Python
example prints; README.md gives the CI's commands; the Chinese one reads as Chinese."""
import pathlib
import re

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


def _prose(text):
    """The text outside code blocks and inline code: what is read as sentences."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def test_the_chinese_readme_reads_as_written():
    """d2l-zh's terms, Chinese quotation marks, no bracket inside a bracket."""
    prose = _prose(READMES["zh"])
    assert "孪生" not in prose  # the built-in twin: 内置实现
    assert all(term in prose for term in ("反向传播", "前向模式", "反向模式", "内置实现"))
    assert '"' not in prose, [line for line in prose.splitlines() if '"' in line][:3]
    assert not re.findall(r"（[^（）\n]*（", prose), re.findall(r"（[^（）\n]*（.{0,20}", prose)


def _commands(text):
    """The handgrad commands the code blocks show, without their comments."""
    blocks = re.findall(r"```(?:bash)?\n(.*?)```", text, flags=re.S)
    return {" ".join(line.removeprefix("$ ").split("#")[0].split())
            for block in blocks for line in block.splitlines()
            if line.removeprefix("$ ").startswith("handgrad ")}


def test_both_readmes_show_the_same_commands():
    assert _commands(READMES["en"]) == _commands(READMES["zh"])


@pytest.mark.parametrize("lang", READMES)
def test_the_python_example_prints_what_the_readme_shows(lang, capsys):
    text = READMES[lang]
    start = text.index("```python\nimport torch\nimport handgrad\n")
    end = text.index("```", start + 10)
    code = text[start + len("```python\n"):end]
    shown = text[text.index("```\n", end + 3) + 4:]
    exec(compile(code, f"README ({lang})", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    assert printed == "True 20\n" + shown[:shown.index("```")]
