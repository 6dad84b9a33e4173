"""The ops on inputs nobody here chose: the sample inputs of torch's own OpInfo database.

For every OpInfo of an op that manual/ re-derives, every sample (torch's test suite's own
shapes and arguments) is called on the manual op and on torch's, and is one of:

* equal: forward, and backward under a random upstream gradient, at the project's tolerances;
* refused: the manual op raised ``manual.NotSupported`` naming an argument the sample
  passes (a refusal of an argument the sample does not pass is a refusal of a valid input:
  wrong);
* wrong: anything else (a mismatch, a crash, another error).

A row of ``handgrad check --only conformance`` passes when no sample is wrong.
"""
import torch

from crosscheck.proof import wrong as W
from crosscheck.proof.entry import Entry
from crosscheck.proof.harness import tensors
from crosscheck.proof.measure import Measure, compare, compare_grads, default_tol
from crosscheck.proof.torch_suite import Unavailable, database
from manual import NotSupported, activations, conv, linear, losses, pooling

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


def opinfos(name):
    """torch's OpInfos named ``name`` (variants included)."""
    return [op for op in database("op_db") if op.name == name]


def _call(fn, sample):
    return fn(sample.input, *sample.args, **sample.kwargs)


def _leaves(sample):
    found = [sample.input, *sample.args, *sample.kwargs.values()]
    return [t for t in tensors(found) if t.requires_grad]


def check_sample(m, k, impl, op, sample, dtype, gen):
    """One sample: 'equal', 'refused' or 'wrong' (the failure recorded in ``m``)."""
    before = len(m.failures)
    try:
        outs = tensors(_call(impl, sample))
    except NotSupported as err:
        if err.argument in sample.kwargs:
            return "refused"
        m.fail("refused", f"refused {err.argument!r}, which the sample does not pass ({err})",
               sample=k)
        return "wrong"
    except Exception as err:
        m.raised(err, sample=k)
        return "wrong"
    refs = tensors(_call(op.op, sample))
    if len(outs) != len(refs):
        m.fail("outputs", f"{len(outs)} outputs, torch gives {len(refs)}", sample=k)
        return "wrong"
    tol = default_tol(dtype)
    for i, (out, ref) in enumerate(zip(outs, refs)):
        compare(m, "out", out, ref, tol, check="forward", sample=k, index=i)
    leaves = _leaves(sample)
    pairs = [(o, r) for o, r in zip(outs, refs) if r.requires_grad and o.shape == r.shape]
    if leaves and pairs and len(m.failures) == before:
        vs = [torch.randn(r.shape, generator=gen, dtype=torch.float64).to(r.device, r.dtype)
              for _, r in pairs]
        compare_grads(m, ([o for o, _ in pairs], leaves), ([r for _, r in pairs], leaves), vs,
                      tol, sample=k)
    return "equal" if len(m.failures) == before else "wrong"


def check_conformance(entry, impl, dtype, device):
    """Every OpInfo sample of the op named ``entry.samples``; the row's note counts equal /
    refused / wrong."""
    m = Measure()
    try:
        ops = opinfos(entry.samples)
    except Unavailable as err:
        m.fail("unavailable", str(err))
        return m
    m.counts = {"equal": 0, "refused": 0, "wrong": 0}
    gen = torch.Generator().manual_seed(0)
    k = 0
    for op in ops:
        if dtype not in op.supported_dtypes(torch.device(device).type):
            continue
        for sample in op.sample_inputs(device, dtype, requires_grad=op.supports_autograd):
            m.counts[check_sample(m, k, impl, op, sample, dtype, gen)] += 1
            k += 1
    total = sum(m.counts.values())
    m.notes.insert(0, f"{total} samples: {m.counts['equal']} equal, {m.counts['refused']} "
                      f"refused, {m.counts['wrong']} wrong")
    if total == 0:
        m.fail("unavailable", f"torch's OpInfo database has no sample of {entry.samples!r} for "
                              f"{dtype} on {device}")
    return m


def entries(registry):
    """One ``conformance_<op>`` entry per OpInfo, with the negative controls of the registry
    entry that checks the same manual op on our own samples, and its piece."""
    own = {id(e.manual): e for e in registry}
    made = []
    for name, op in OPS.items():
        entry = own[id(op)]
        wrong = ({"slope 1 on the negative side": CONTROLS[name]} if name in CONTROLS
                 else dict(list(entry.wrong.items())[:1]))
        made.append(Entry(f"conformance_{name.rsplit('.', 1)[-1]}", entry.section,
                          "conformance", "op", op, check_conformance, samples=name,
                          wrong=wrong, piece=entry.piece))
    return made
