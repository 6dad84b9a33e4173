"""handgrad from Python and notebooks.

    import handgrad
    result = handgrad.check(sigmoid=MySigmoid.apply)   # or check("my_file.py"), or check()
    result.passed, result.rows, result.diagnoses         # a notebook shows it as a table
    handgrad.gradcheck(MySigmoid.apply, torch.randn(5))  # CS231n's rel_error, and its reading

``check`` is ``handgrad check --with`` (the same rows, diagnoses and words, in this process);
``gradcheck`` holds a backward to a finite difference on your own tensors.
"""
from crosscheck.api.check import check
from crosscheck.api.checked import Checked
from crosscheck.api.gradcheck import Gradcheck, gradcheck

__all__ = ["check", "Checked", "gradcheck", "Gradcheck"]
