"""The ops on inputs nobody here chose, family by family: FAMILIES, the table of the
families (their checks in families.py and transforms.py), and one registry entry per op and
family, named ``<family>_<op>`` (``conformance_conv2d``, ``gradgrad_cross_entropy``,
``half_gelu``, ``vmap_max_pool2d``), run in the dtypes torch runs the op in.

OPS maps torch's OpInfo names to the manual ops (torch has no OpInfo for fold, i.e. col2im);
TORCH_DTYPES says which dtypes torch computes each op in on the CPU (its OpInfo's supported
dtypes: tests/test_families.py holds the two equal), which decides the rows of a family.
"""
from dataclasses import replace

import torch

from crosscheck.proof.checks import families as F
from crosscheck.proof.checks import transforms as T
from crosscheck.proof.checks.families import INTEGERS, Family, check_family
from crosscheck.proof.records import wrong as W
from crosscheck.proof.records.entry import Entry
from crosscheck.proof.torch_suite.errata import cannot_compile
from manual import activations, conv, linear, losses, pooling

OPS = {
    "sigmoid": activations.sigmoid,
    "tanh": activations.tanh,
    "nn.functional.relu": activations.relu,
    "nn.functional.leaky_relu": activations.leaky_relu,
    "nn.functional.elu": activations.elu,
    "nn.functional.gelu": activations.gelu,
    "nn.functional.linear": linear.linear,
    "nn.functional.mse_loss": losses.mse_loss,
    "softmax": losses.softmax,
    "log_softmax": losses.log_softmax,
    "nn.functional.cross_entropy": losses.cross_entropy,
    "nn.functional.conv2d": conv.conv2d,
    "nn.functional.max_pool2d": pooling.max_pool2d,
    "flatten": pooling.flatten,
    "nn.functional.unfold": conv.im2col,
}
FAMILIES = {f.name: f for f in [
    Family("conformance", (torch.float64, torch.float32), F.conformance, sources=("torch",)),
    Family("gradgrad", (torch.float64,), F.second_order, gradgrad=True),
    Family("complex", (torch.complex128, torch.complex64), F.conformance),
    Family("integer", INTEGERS, F.exact_dtype),
    Family("half", (torch.float16, torch.bfloat16), F.reduced_precision),
    Family("layout", (torch.float64,), F.same_layout,
           variants=lambda call: [F.channels_last(call), F.noncontiguous(call)]),
    Family("forward", (torch.float64, torch.complex128), T.forward_mode),
    Family("vmap", (torch.float64,), T.batched),
    Family("func", (torch.float64,), T.transforms),
    Family("compile", (torch.float64,), T.compiled, sources=("ours",), opt_in=True,
           not_run=cannot_compile),
]}
_FLOAT = (torch.float64, torch.float32, torch.float16, torch.bfloat16)
_COMPLEX = (torch.complex128, torch.complex64)
_ANY = _FLOAT + _COMPLEX + INTEGERS
TORCH_DTYPES = {  # the union over an op's OpInfos (softmax's with_dtype variant casts first)
    "sigmoid": _ANY, "tanh": _ANY, "softmax": _ANY, "log_softmax": _ANY, "flatten": _ANY,
    "nn.functional.relu": _FLOAT + INTEGERS[:-1],
    "nn.functional.linear": _FLOAT + _COMPLEX + INTEGERS[:-1],
    "nn.functional.conv2d": _FLOAT + _COMPLEX + (torch.int64,),
    "nn.functional.max_pool2d": _FLOAT + INTEGERS[:-1],
    "nn.functional.unfold": _FLOAT + _COMPLEX + (torch.bool,),
    **dict.fromkeys(["nn.functional.leaky_relu", "nn.functional.elu", "nn.functional.gelu",
                     "nn.functional.mse_loss", "nn.functional.cross_entropy"], _FLOAT),
}
# torch's samples hold no exact zeros and elu's only at alpha = 1, where the registry's
# controls (a kink, alpha) do not show: these ops get a control that the samples reach
CONTROLS = {"nn.functional.relu": W.RELU_SLOPE_ONE, "nn.functional.leaky_relu": W.LEAKY_SLOPE_ONE,
            "nn.functional.elu": W.ELU_SLOPE_ONE}


def _controls(family, name, own):
    """The negative controls of a family's row of op ``name`` (own: its registry entry),
    and where there is none, why."""
    if family.name == "conformance":
        return ({"slope 1 on the negative side": CONTROLS[name]} if name in CONTROLS
                else dict(list(own.wrong.items())[:1])), ""
    return W.family_controls(family.name, own.manual, own.piece.function)


def on_our_samples(entry):
    """A family entry on our own samples only (torch's thousands left to the conformance
    row): a learner's advice rows, seconds instead of a minute for max_pool2d."""
    if entry.check is not check_family:
        return entry
    name, family, own = entry.samples
    return replace(entry, samples=(name, replace(family, sources=("ours",)), own))


def entries(registry):
    """One ``<family>_<op>`` entry per family and OpInfo op, in the dtypes torch runs the op
    in; a learner's piece is held to the plain conformance only."""
    own = {id(e.manual): e for e in registry}
    made = []
    for family in FAMILIES.values():
        for name, op in OPS.items():
            dtypes = tuple(d for d in family.dtypes if d in TORCH_DTYPES[name])
            if not dtypes:
                continue
            entry = own[id(op)]
            wrong, why = _controls(family, name, entry)
            made.append(Entry(f"{family.name}_{name.rsplit('.', 1)[-1]}", entry.section,
                              family.name, "op", op, check_family, samples=(name, family, entry),
                              wrong=wrong, piece=entry.piece, dtypes=dtypes, why_no_wrong=why,
                              learners=family.name == "conformance",
                              opt_in=family.opt_in))
    return made
