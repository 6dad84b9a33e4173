"""handgrad from Python and Jupyter: the shipped notebooks and an exercise notebook run end to
end in a real kernel (nbclient), the Python API's result (its table, its HTML, its
diagnoses), CS231n's gradient check, and notebooks handed in to ``check --with`` and
``grade``, which grades them as it grades their .py twins."""
import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest
import torch
from nbclient import NotebookClient
from test_cheats import CHEATS
from test_grade import LEARNERS, LOOPING_TANH, NO_SANDBOX, TIMEOUT
from test_starters import filled

import handgrad
from crosscheck.cli import main
from crosscheck.commands.exercise import exercises

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SMALL_RUN = ('DATASET, DATA_DIR = "mnist", "data"\n'  # the CNN's: a short run on the test's files
             "TRAIN_SIZE, VAL_SIZE, STEPS, BATCH = 200, 50, 10, 32")


def execute(nb, cwd):
    """The notebook run in a fresh Python kernel in ``cwd``, its outputs in place."""
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def outputs(nb, kind):
    """Every output of the code cells with data of ``kind`` ('image/png', 'text/html')."""
    return [o["data"][kind] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if kind in o.get("data", {})]


@pytest.mark.parametrize("name", sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")))
def test_each_shipped_notebook_runs_and_draws(name, tmp_path, idx_dir):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.source.startswith("# parameters"):
            cell.source = SMALL_RUN
    shutil.copytree(idx_dir, tmp_path / "data")
    execute(nb, tmp_path)
    assert outputs(nb, "image/png"), "no picture drawn"
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)
    if name == "1_chain_rule":
        assert "E = 0.298371109" in text and "notes: sigma(out)(1-sigma(out))" in text
        assert "passed: every row" in outputs(nb, "text/html")[0]
    if name == "2_optimizers":
        gaps = [line for line in text.splitlines() if "largest gap" in line]
        assert len(gaps) == 10 and all(line.endswith("0.0e+00") for line in gaps)


def test_an_exercise_notebook_checks_itself_and_passes_once_written(tmp_path, capsys):
    path = tmp_path / "sigmoid_exercise.ipynb"
    assert main(["exercise", "sigmoid", "--notebook", "--out", str(path), "--lang", "en"]) == 0
    nb = execute(nbformat.read(path, as_version=4), tmp_path)
    shown = outputs(nb, "text/html")[-1]
    assert "not yet" in shown and "TODO" in shown and "derive the backward" in shown
    assert main(["check", "--with", str(path)]) == 1
    starter = next(c for c in nb.cells if "NotImplementedError" in c.source)
    starter.source = filled(starter.source, exercises()["sigmoid"])
    nbformat.write(nb, path)
    nb = execute(nbformat.read(path, as_version=4), tmp_path)
    assert "passed: every row" in outputs(nb, "text/html")[-1]
    capsys.readouterr()
    assert main(["check", "--with", str(path)]) == 0
    assert "0 failed" in capsys.readouterr().out


def _notebook(source, check=True):
    """A .py file's code as a learner's notebook: a heading, its blocks as cells (the
    first with a line of IPython's own), and a cell that checks it in Jupyter only."""
    cells = [nbformat.v4.new_markdown_cell("# My derivation")]
    for k, block in enumerate(source.strip("\n").split("\n\n\n")):
        cells.append(nbformat.v4.new_code_cell(("%matplotlib inline\n" if k == 0 else "")
                                               + block))
    if check:
        cells.append(nbformat.v4.new_code_cell(
            'if __name__ == "__main__":\n    import handgrad\n    display(handgrad.check())'))
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells))


def test_check_with_a_notebook_says_where_in_it_a_file_breaks(tmp_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text(_notebook("import torch\n\n\ndef sigmoid(x)\n    return x\n"))
    assert main(["check", "--with", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "syntax error at cell 3, line 1" in err, err
    (tmp_path / "json.ipynb").write_text("{not json")
    assert main(["check", "--with", str(tmp_path / "json.ipynb")]) == 2
    assert "not a notebook" in capsys.readouterr().err


def _slip(tmp_path):
    path = tmp_path / "slip.py"
    path.write_text((LEARNERS / "sigmoid_notes_slip.py").read_text()
                    + "\n\ndef threshold(x):\n    return x > 0.5\n")
    return path


def test_the_python_result_is_the_command_lines_table(tmp_path, capsys):
    path = _slip(tmp_path)
    assert main(["check", "--with", str(path), "--lang", "en"]) == 1
    printed = capsys.readouterr().out
    result = handgrad.check(path, lang="en")
    assert str(result) == printed  # the same rows, words and diagnoses: one renderer
    assert printed.startswith("not checked") and result.unmatched == ["threshold"]
    assert not result.passed and len(result.rows) == 20
    assert result.diagnoses[0].slip.label == "notes: sigma(out)(1-sigma(out))"
    html = result._repr_html_()
    assert html.count("<tr") == len(result.rows) + 1  # the header, then a row each
    for row in result.rows:
        assert f">{row.case}</td>" in html
    assert html.count("background:#fce8e6") == sum(not r.passed for r in result.rows)
    assert html.count("background:#fef7e0") == sum(r.result == "ADVICE" for r in result.rows)
    assert "not yet" in html and "first difference" in html


def test_pieces_by_keyword_in_chinese_and_a_right_one_passes(tmp_path):
    module = {}
    exec((LEARNERS / "sigmoid_right.py").read_text(), module)
    right = handgrad.check(sigmoid=module["Sigmoid"].apply, lang="zh")
    assert right.passed and not right.diagnoses and "通过：" in right._repr_html_()
    exec(_slip(tmp_path).read_text(), module)
    wrong = handgrad.check(sigmoid=module["Sigmoid"].apply, lang="zh")
    assert "尚未通过" in wrong._repr_html_() and "第一处不同" in str(wrong)
    with pytest.raises(TypeError):
        handgrad.check(_slip(tmp_path), sigmoid=module["Sigmoid"].apply)


def test_gradcheck_reads_a_relative_error_as_cs231n_does():
    module = {}
    exec((LEARNERS / "sigmoid_right.py").read_text(), module)
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    right = handgrad.gradcheck(module["Sigmoid"].apply, x)
    assert right.rel_error < 1e-7 and "the gradient is right" in right.reading
    exec((LEARNERS / "sigmoid_notes_slip.py").read_text(), module)
    wrong = handgrad.gradcheck(module["Sigmoid"].apply, x)
    assert wrong.rel_error > 1e-2 and "probably wrong" in wrong.reading
    # the definition, on a gradient off by a known factor: |a - n| / (|a| + |n|) = 1/3
    doubled = handgrad.gradcheck(lambda t: _Twice.apply(t), x)
    assert doubled.rel_error == pytest.approx(1 / 3, rel=1e-6)
    both = handgrad.gradcheck(lambda a, k, b: a * b * k, x, 3, x.double())
    assert both.errors[1] is None and both.rel_error < 1e-7
    assert "<table>" in right._repr_html_() and "input 0" in str(right)
    with pytest.raises(Exception, match="floating-point tensor"):
        handgrad.gradcheck(lambda k: k, 3)


class _Twice(torch.autograd.Function):
    """x^2 with a backward twice too large."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 4 * x * g


TWINS = {"right": "sigmoid_right.py", "wrong": "sigmoid_notes_slip.py", "looping": LOOPING_TANH,
         "builtin": CHEATS["builtin.py"], "forged": CHEATS["forged_answer.py"]}


@NO_SANDBOX
def test_grade_gives_a_notebook_the_rows_of_its_py_twin(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for name, source in TWINS.items():
        text = (LEARNERS / source).read_text() if source.endswith(".py") else source
        (folder / f"{name}.py").write_text(text)
        (folder / f"{name}_nb.ipynb").write_text(_notebook(text, check=name != "forged"))
    out = tmp_path / "grades"
    assert main(["grade", str(folder), "--out", str(out), "--timeout", str(TIMEOUT),
                 "--jobs", "2", "--lang", "en", "--seed", "3"]) == 0
    with open(out / "grades.csv") as f:
        rows = {row.pop("submission"): row for row in csv.DictReader(f)}
    for name in TWINS:
        py, nb = rows[f"{name}.py"], rows[f"{name}_nb.ipynb"]
        assert {k: v.replace(f"{name}.py", "X") for k, v in py.items()} == \
            {k: v.replace(f"{name}_nb.ipynb", "X") for k, v in nb.items()}, name
        tests = [[(t["name"], t["score"]) for t in json.loads(
            (out / "submissions" / s / "results.json").read_text())["tests"]]
            for s in (f"{name}.py", f"{name}_nb.ipynb")]
        assert tests[0] == tests[1], name
    assert float(rows["right_nb.ipynb"]["total"]) == 1
    assert rows["looping_nb.ipynb"]["status"].startswith(f"timed out after {TIMEOUT} s")
    assert float(rows["builtin_nb.ipynb"]["total"]) == 0 == float(rows["forged_nb.ipynb"]["total"])
