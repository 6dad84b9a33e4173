"""The records of back propagation by the chain rule (正向传播 / 反向传播): the notes' small
network's forward and its gradients, with the notes' slips in them."""
from crosscheck.proof.notes import errata as E
from crosscheck.proof.notes import formulas
from crosscheck.proof.records import samples as S
from crosscheck.proof.records.kinds import function, notes_wrong, torch_names
from crosscheck.proof.records.sections import BACKPROP
from manual import backprop
from torch_ref import backprop as ref

SIGMOID = torch_names("sigmoid", "torch.special.expit")

ENTRIES = [
    function("backprop", BACKPROP, backprop.gradients, ref.gradients, S.backprop_samples,
             {"notes: sigma(out)(1 - sigma(out))": notes_wrong(
                 formulas.backprop_sigma_of_output, E.SIGMA_OF_OUTPUT,
                 "笔记：sigma(out)(1 - sigma(out))"),
              "notes: dE/dw5 without (out - target)": notes_wrong(
                  formulas.backprop_w5_b2_without_error, E.W5_ERROR_FACTOR,
                  "笔记：dE/dw5 缺少 (out - target)"),
              "notes: dE/dw1 along one path": notes_wrong(
                  formulas.backprop_w1_one_path, E.W1_CHAIN_RULE, "笔记：dE/dw1 只沿一条路径")},
             SIGMOID),
    function("backprop_forward", BACKPROP, backprop.forward, ref.forward,
             S.backprop_forward_samples,
             {"notes: 1/(1-e^-y)": notes_wrong(formulas.notes_forward, E.SIGMOID_SIGN,
                                               "笔记：1/(1-e^-y)")},
             SIGMOID),
]
