"""The records of the line fit (最小二乘法, 批量梯度下降): in closed form, by the normal
equations, and by gradient descent to its stop rule."""
import torch

from crosscheck.proof.checks.fit_checks import GD_WHY, check_gd_line
from crosscheck.proof.notes import errata as E
from crosscheck.proof.notes import formulas
from crosscheck.proof.records import samples as S
from crosscheck.proof.records.entry import Entry, Piece, Wrong
from crosscheck.proof.records.kinds import OPTIMIZERS, function, notes_wrong
from crosscheck.proof.records.sections import BGD, LSQ
from manual import least_squares
from torch_ref import least_squares as ref


def _bias_sign(x, y):
    w, b = least_squares.fit_line(x, y)
    return w, y.mean() + w * x.mean()  # b = y_mean + w x_mean: the sign of the shift


def _without_bias_column(X, y):
    w = torch.linalg.solve(X.T @ X, X.T @ y)  # forgot the column of ones
    return w, torch.zeros((), dtype=X.dtype, device=X.device)


# the solvers of a least-squares fit (a linear system solved is arithmetic)
SOLVERS = ("torch.linalg.lstsq", "torch.linalg.pinv", "torch.lstsq", "torch.pinverse",
           "numpy.polyfit", "numpy.linalg.lstsq")

ENTRIES = [
    function("fit_line", LSQ, least_squares.fit_line, ref.fit_line, S.line_samples,
             {"b = y_mean + w x_mean": Wrong(_bias_sign, zh="b = y_mean + w x_mean"),
              "notes: logistic regression": notes_wrong(
                  formulas.logistic_fit_line, E.LEAST_SQUARES_IS_LINEAR, "笔记：逻辑回归")},
             SOLVERS),
    function("fit_normal_equations", LSQ, least_squares.fit, ref.fit, S.normal_equation_samples,
             {"no column of ones": Wrong(_without_bias_column, zh="缺少全 1 的一列")}, SOLVERS),
    Entry("fit_line_gradient_descent", BGD, "fit", "function", least_squares.fit_line_gd,
          check_gd_line, ref.fit_line_gd,
          wrong={"notes: theta + eta g": notes_wrong(formulas.notes_plus_sign_gd, E.STEP_SIGN,
                                                     "笔记：theta + eta g"),
                 "notes: g = grad / (n + 1)": notes_wrong(formulas.notes_parameter_average_gd,
                                                          E.AVERAGE_OVER_EXAMPLES,
                                                          "笔记：g = grad / (n + 1)")},
          piece=Piece("fit_line_gd", "body", builtins=SOLVERS + OPTIMIZERS),
          dtypes=(torch.float64,), why_tol=GD_WHY),
]
