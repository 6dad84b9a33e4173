"""The records of the optimizers (梯度下降 ... Adam): each on its settings, the notes' forms
as measured conventions, param groups and sparse gradients, and torch's optim_db
configurations. A wrong optimizer keeps the real state (init_state); only its math is
wrong."""
from __future__ import annotations

import torch

from crosscheck.proof.checks.optim_checks import Setup
from crosscheck.proof.checks.optim_edges import GROUP_OPTIONS, SPARSE, check_groups, check_sparse
from crosscheck.proof.checks.torch_configs import check_torch_configs
from crosscheck.proof.notes import errata as E
from crosscheck.proof.notes import formulas
from crosscheck.proof.records.entry import Entry, Wrong
from crosscheck.proof.records.kinds import differs, notes_wrong, optimizer, optimizer_piece
from crosscheck.proof.records.sections import ADAGRAD, ADAM, GD, MOMENTUM, RMSPROP
from manual import optim as O
from torch_ref import optim as ref


class AdamWithoutBiasCorrection(O.Adam):
    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        (beta1, beta2), eps = group["betas"], group["eps"]
        m = state["exp_avg"].mul_(beta1).add_((1 - beta1) * g)
        v = state["exp_avg_sq"].mul_(beta2).add_((1 - beta2) * g * g)
        p.sub_(group["lr"] * m / (v.sqrt() + eps))  # m and v used raw: too small early on


class AdagradEpsInsideRoot(O.Adagrad):
    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        clr = group["lr"] / (1 + (state["step"].item() - 1) * group["lr_decay"])
        state["sum"].add_(g * g)
        p.sub_(clr * g / (state["sum"] + group["eps"]).sqrt())  # eps under the root


class AdagradGroupStart(O.Adagrad):
    """Each param group's own initial_accumulator_value, where torch takes the constructor's."""

    def init_state(self, p: torch.Tensor, state: dict, group: dict) -> None:
        super().init_state(p, state, group)
        state["sum"].fill_(group["initial_accumulator_value"])


class AdagradSparseWithoutRoot(O.Adagrad):
    @staticmethod
    def sparse_update(p: torch.Tensor, g: torch.Tensor, sums: torch.Tensor, clr: float, eps: float
                     ) -> None:
        g = g.coalesce()
        index, values = g.indices(), g.values()
        sums.add_(torch.sparse_coo_tensor(index, values * values, g.shape, check_invariants=False))
        denom = sums.sparse_mask(g).coalesce().values().add_(eps)  # the root forgotten
        p.add_(torch.sparse_coo_tensor(index, values / denom, g.shape,
                                      check_invariants=False), alpha=-clr)


class RMSpropTakesSparse(O.RMSprop):
    # goes on with a sparse gradient: aten's error, not torch's words
    sparse_refusal = None  # type: ignore[assignment]


class AdamTakesSparse(O.Adam):
    sparse_refusal = None  # type: ignore[assignment]


class SGDMomentumWrongSign(O.SGD):
    """theta + eta b (or, in the notes' form, theta + v): climbs the hill. The notes'
    动量梯度下降 writes it so: theta_t = theta_{t-1} + v_t."""

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        v = self.velocity(g, state, group)
        eta_inside = group["lr_in_velocity"] and group["momentum"]
        p.add_(v, alpha=1 if eta_inside else group["lr"])


class RMSpropWithoutLeak(O.RMSprop):
    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        r = state["square_avg"].mul_(group["alpha"]).add_(g * g)  # (1 - alpha) forgotten
        p.sub_(group["lr"] * g / (r.sqrt() + group["eps"]))


class RMSpropEpsOutsideRoot(O.RMSprop):
    """Asked for the notes' form, gives torch's: sqrt(r) + eps."""

    def update(self, p: torch.Tensor, g: torch.Tensor, state: dict, group: dict) -> None:
        super().update(p, g, state, {**group, "eps_inside_sqrt": False})


WD = 1e-2
WRONG_SIGN = {"momentum with the wrong sign": Wrong(SGDMomentumWrongSign, zh="动量的符号错误")}
NO_LEAK = {"no (1 - alpha)": Wrong(RMSpropWithoutLeak, zh="缺少 (1 - alpha)")}
NO_BIAS_CORRECTION = {"no bias correction": Wrong(AdamWithoutBiasCorrection,
                                                  zh="缺少偏差修正（bias correction）")}
EPS_INSIDE_ROOT = {"eps inside the root": Wrong(AdagradEpsInsideRoot, zh="eps 放在了根号里")}
BY_VARIANCE = {"notes: divides by the variance": notes_wrong(
    formulas.AdagradByVariance, E.ADAGRAD_ROOT_SUM, "笔记：除以方差")}
NOTES_MOMENTUM = {"lr": 0.05, "momentum": 0.9, "lr_in_velocity": True}
TORCH_MOMENTUM = {"lr": 0.05, "momentum": 0.9}

ENTRIES = [
    optimizer("SGD", GD, O.SGD, ref.SGD, {"lr": 0.1, "weight_decay": WD}, WRONG_SIGN),
    optimizer("SGD_momentum", MOMENTUM, O.SGD, ref.SGD,
              {"lr": 0.05, "momentum": 0.9, "weight_decay": WD}, WRONG_SIGN),
    optimizer("SGD_nesterov", MOMENTUM, O.SGD, ref.SGD,
              {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": WD}, WRONG_SIGN),
    optimizer("SGD_dampening_maximize", MOMENTUM, O.SGD, ref.SGD,
              {"lr": 0.01, "momentum": 0.5, "dampening": 0.3, "maximize": True}, WRONG_SIGN),
    optimizer("Adagrad", ADAGRAD, O.Adagrad, ref.Adagrad,
              {"lr": 0.1, "lr_decay": 0.01, "weight_decay": WD,
               "initial_accumulator_value": 0.1}, {**EPS_INSIDE_ROOT, **BY_VARIANCE}),
    optimizer("Adagrad_eps", ADAGRAD, O.Adagrad, ref.Adagrad,
              {"lr": 0.1, "eps": 1e-3}, EPS_INSIDE_ROOT),
    optimizer("RMSprop", RMSPROP, O.RMSprop, ref.RMSprop,
              {"lr": 0.01, "weight_decay": WD}, NO_LEAK),
    optimizer("RMSprop_notes_form", RMSPROP, O.RMSprop, formulas.NotesRMSprop,
              {"lr": 0.01, "eps": 1e-3, "eps_inside_sqrt": True, "weight_decay": WD},
              {"torch's form, eps outside the root": Wrong(RMSpropEpsOutsideRoot)},
              convention=True, ref_kwargs={"lr": 0.01, "eps": 1e-3, "weight_decay": WD},
              state=False),
    optimizer("RMSprop_centered_momentum", RMSPROP, O.RMSprop, ref.RMSprop,
              {"lr": 0.01, "alpha": 0.9, "momentum": 0.9, "centered": True, "weight_decay": WD},
              NO_LEAK),
    optimizer("Adam", ADAM, O.Adam, ref.Adam, {"lr": 0.01, "weight_decay": WD},
              {**NO_BIAS_CORRECTION,
               "notes: r as the rate": notes_wrong(formulas.AdamRAsLearningRate, E.ADAM_R,
                                                   "笔记：把 r 当作学习率")}),
    optimizer("Adam_amsgrad", ADAM, O.Adam, ref.Adam,
              {"lr": 0.01, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": WD},
              NO_BIAS_CORRECTION),
    optimizer("SGD_momentum_notes_form", MOMENTUM, O.SGD, ref.SGD, NOTES_MOMENTUM,
              {"notes: theta + v": notes_wrong(SGDMomentumWrongSign, E.MOMENTUM_SIGN,
                                               "笔记：theta + v"),
               "notes: v_0 = theta_0": notes_wrong(formulas.MomentumStartsAtTheta,
                                                   E.MOMENTUM_START, "笔记：v_0 = theta_0")},
              convention=True, ref_kwargs=TORCH_MOMENTUM, schedule=None, state=False),
    differs("SGD_momentum_notes_form_warmup", MOMENTUM, O.SGD, ref.SGD,
            NOTES_MOMENTUM, TORCH_MOMENTUM, schedule="warmup"),
    differs("RMSprop_notes_eps_small_grads", RMSPROP, O.RMSprop, ref.RMSprop,
            {"lr": 0.01, "eps_inside_sqrt": True}, {"lr": 0.01}, schedule=None, scale=1e-4),
]

# the edges (param groups, sparse gradients): each optimizer, its section and its controls
EDGES = {
    "groups": [(O.SGD, MOMENTUM, WRONG_SIGN),
               (O.Adagrad, ADAGRAD, {**BY_VARIANCE, "each group's initial accumulator":
                                     Wrong(AdagradGroupStart)}),
               (O.RMSprop, RMSPROP, NO_LEAK), (O.Adam, ADAM, NO_BIAS_CORRECTION)],
    "sparse": [(O.SGD, MOMENTUM, WRONG_SIGN),
               (O.Adagrad, ADAGRAD, {**BY_VARIANCE, "no root of the sparse sum":
                                     Wrong(AdagradSparseWithoutRoot)}),
               (O.RMSprop, RMSPROP, {"takes a sparse gradient": Wrong(RMSpropTakesSparse)}),
               (O.Adam, ADAM, {"takes a sparse gradient": Wrong(AdamTakesSparse)})]}
# torch's optim_db configurations of each optimizer
TORCH_CONFIGS = [(O.SGD, MOMENTUM, WRONG_SIGN), (O.Adagrad, ADAGRAD, EPS_INSIDE_ROOT),
                 (O.RMSprop, RMSPROP, NO_LEAK), (O.Adam, ADAM, NO_BIAS_CORRECTION)]


def edge_entries() -> list[Entry]:
    """``optim_groups_<name>`` and ``optim_sparse_<name>``: beyond a learner's exercise."""
    return [Entry(f"optim_{what}_{cls.__name__}", section, f"optim_{what}", "optimizer", cls,
                  check_groups if what == "groups" else check_sparse,
                  getattr(ref, cls.__name__), wrong=wrong, piece=optimizer_piece(cls),
                  learners=False, **_edge(what, cls.__name__))
            for what, rows in EDGES.items() for cls, section, wrong in rows]


def _edge(what, name):
    """What an edge entry runs on: the param groups' options, or the sparse settings."""
    if what == "groups":
        return {"setup": Setup(GROUP_OPTIONS[name])}
    return {"sparse": tuple(SPARSE[name])}


def torch_config_entries() -> list[Entry]:
    """``optim_db_<name>``: each optimizer on torch's own configurations of it."""
    return [Entry(f"optim_db_{cls.__name__}", section, "optim", "optimizer", cls,
                  check_torch_configs, getattr(ref, cls.__name__), wrong=wrong,
                  piece=optimizer_piece(cls))
            for cls, section, wrong in TORCH_CONFIGS]
