"""The ops on inputs nobody here chose: the sample inputs of torch's own OpInfo database.

For every OpInfo of an op that manual/ re-derives, every sample (torch's test suite's own
shapes and arguments) is called on the manual op and on torch's, and is one of:

* equal: forward, and backward under a random upstream gradient, at the project's tolerances;
* refused: the manual op raised a one-line ValueError or NotImplementedError that says
  "not supported" and names an argument the sample passes (a validation error on a valid
  input, or a refusal that does not say what, is wrong);
* wrong: anything else (a mismatch, a crash, a refusal that is not one line).

A row of ``handgrad check --only conformance`` passes when no sample is wrong. The OpInfo
database is private to torch (``torch.testing._internal``, which needs the ``expecttest``
package); where it cannot be imported, every row fails and says why, rather than pass empty.
"""
import logging
from functools import partial

import torch

from crosscheck.proof import wrong as W
from crosscheck.proof.harness import Entry, Measure, compare, default_tol, tensors
from manual import activations, conv, linear, losses, pooling

OPS = {  # torch's OpInfo name -> the manual op (torch has no OpInfo for fold, i.e. col2im)
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
# torch's samples hold no exact zeros and elu's only at alpha = 1, where the registry's
# controls (a kink, alpha) do not show: these ops get a control that the samples reach
CONTROLS = {"nn.functional.relu": W.RELU_SLOPE_ONE, "nn.functional.leaky_relu": W.LEAKY_SLOPE_ONE,
            "nn.functional.elu": W.ELU_SLOPE_ONE}
REFUSALS = (ValueError, NotImplementedError)


def opinfos(name):
    """torch's OpInfos named ``name`` (variants included); ImportError where the private
    database is missing or has moved."""
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)  # its CUDA_HOME note
    try:
        from torch.testing._internal.common_methods_invocations import op_db
    except Exception as err:  # private API: any failure to import is reported, not hidden
        raise ImportError(f"torch.testing._internal is not importable ({type(err).__name__}: "
                          f"{err}); pip install expecttest") from None
    return [op for op in op_db if op.name == name]


def _call(fn, sample):
    return fn(sample.input, *sample.args, **sample.kwargs)


def _leaves(sample):
    found = [sample.input, *sample.args, *sample.kwargs.values()]
    return [t for t in tensors(found) if t.requires_grad]


def check_sample(m, k, impl, op, sample, dtype, gen):
    """One sample: 'equal', 'refused' or 'wrong' (the reason recorded in ``m``)."""
    try:
        outs = tensors(_call(impl, sample))
    except REFUSALS as err:
        text = str(err)
        if "\n" not in text and "not supported" in text and any(a in text for a in sample.kwargs):
            return "refused"
        m.fail(f"sample {k}: refused without naming an unsupported argument: {err!r}")
        return "wrong"
    except Exception as err:
        m.fail(f"sample {k}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
        return "wrong"
    refs = tensors(_call(op.op, sample))
    before = len(m.failures)
    if len(outs) != len(refs):
        m.fail(f"sample {k}: {len(outs)} outputs, torch gives {len(refs)}")
        return "wrong"
    for i, (out, ref) in enumerate(zip(outs, refs)):
        compare(m, "out", f"sample {k} output {i}", out, ref, default_tol(dtype))
    leaves = _leaves(sample)
    pairs = [(o, r) for o, r in zip(outs, refs) if r.requires_grad and o.shape == r.shape]
    if leaves and pairs and len(m.failures) == before:
        vs = [torch.randn(r.shape, generator=gen, dtype=torch.float64).to(r.device, r.dtype)
              for _, r in pairs]
        want = torch.autograd.grad([r for _, r in pairs], leaves, vs, allow_unused=True)
        try:
            got = torch.autograd.grad([o for o, _ in pairs], leaves, vs, allow_unused=True)
        except Exception as err:
            m.fail(f"sample {k} backward: {type(err).__name__}: {str(err).splitlines()[0]}")
            return "wrong"
        for i, (g, w) in enumerate(zip(got, want)):
            if w is not None or g is not None:
                g = torch.zeros_like(leaves[i]) if g is None else g
                w = torch.zeros_like(leaves[i]) if w is None else w
                compare(m, "grad", f"sample {k} grad of input {i}", g, w, default_tol(dtype))
    return "equal" if len(m.failures) == before else "wrong"


def check_conformance(impl, dtype, device, *, name):
    """Every OpInfo sample of op ``name``; the row's note counts equal / refused / wrong."""
    m = Measure()
    try:
        ops = opinfos(name)
    except ImportError as err:
        m.fail(str(err))
        return m
    counts = {"equal": 0, "refused": 0, "wrong": 0}
    gen = torch.Generator().manual_seed(0)
    k = 0
    for op in ops:
        if dtype not in op.supported_dtypes(torch.device(device).type):
            continue
        for sample in op.sample_inputs(device, dtype, requires_grad=op.supports_autograd):
            counts[check_sample(m, k, impl, op, sample, dtype, gen)] += 1
            k += 1
    total = sum(counts.values())
    m.notes.insert(0, f"{total} samples: {counts['equal']} equal, {counts['refused']} refused, "
                      f"{counts['wrong']} wrong")
    m.counts = counts
    if total == 0:
        m.fail(f"torch's OpInfo database has no sample of {name!r} for {dtype} on {device}")
    return m


def entries(registry):
    """One ``conformance_<op>`` entry per OpInfo, with the negative controls of the registry
    entry that checks the same manual op on our own samples."""
    own = {id(e.manual): e for e in registry}
    made = []
    for name, op in OPS.items():
        entry = own[id(op)]
        wrong = ({"slope 1 on the negative side": CONTROLS[name]} if name in CONTROLS
                 else dict(list(entry.wrong.items())[:1]))
        made.append(Entry(f"conformance_{name.rsplit('.', 1)[-1]}", entry.section,
                          "conformance", op, partial(check_conformance, name=name), wrong))
    return made
