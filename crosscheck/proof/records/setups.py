"""The records of whole setups: the CNN on the manual ops against the built-in ones (and
compiled), and every optimizer's path on the 2-D test functions."""
import torch

from crosscheck.proof.checks.functions import check_paths
from crosscheck.proof.checks.twins import check_compiled_cnn, check_twin_cnn
from crosscheck.proof.records.backends import MANUAL, TORCH
from crosscheck.proof.records.entry import Entry, swap
from crosscheck.proof.records.optim import AdamWithoutBiasCorrection
from crosscheck.proof.records.pooling import SPREAD
from crosscheck.proof.records.sections import CNN, GD
from crosscheck.proof.records.wrong import GRAPH_BREAK_RELU
from manual import optim
from torch_ref import optim as ref_optim

CNN_ENTRIES = [
    Entry("cnn_twin_sgd", CNN, "cnn", "setup", MANUAL, check_twin_cnn, TORCH,
          wrong={"pool gradient spread": SPREAD}),
    Entry("compile_cnn_step", CNN, "compile", "setup", MANUAL, check_compiled_cnn, TORCH,
          optimizer=optim.Adam, dtypes=(torch.float64,), opt_in=True,
          wrong={"a value read into Python (a graph break)": GRAPH_BREAK_RELU}),
]
LANDSCAPE = Entry("landscape_paths", GD, "optim", "setup", optim, check_paths, ref_optim,
                  wrong={"Adam without bias correction": swap(optim.Adam,
                                                              AdamWithoutBiasCorrection)})
