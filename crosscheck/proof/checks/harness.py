"""The checks of an op and of a module: forward, backward under a random upstream gradient,
and float64 gradcheck; negative controls are these same checks run on a wrong version.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

import torch

from crosscheck.messages import saying
from crosscheck.proof.checks.measure import Measure, compare, compare_grads, default_tol
from manual import NotSupported

if TYPE_CHECKING:
    from crosscheck.proof.records.entry import Entry, Sample


def exact_float32() -> None:
    """Compare float32 at float32's tolerances: no TF32 shortcuts in GPU matrix products
    and convolutions (cuDNN allows them by default, at about 1e-3 relative error)."""
    torch.backends.cuda.matmul.allow_tf32 = False
    if torch.backends.cudnn.allow_tf32:  # once: torch's test suite, when imported, locks it
        torch.backends.cudnn.allow_tf32 = False


def devices() -> list[str]:
    """The CPU, and CUDA where there is one."""
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def tensors(out: object) -> list[torch.Tensor]:
    """The tensors of an output, nested tuples and lists flattened; other values dropped."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in tensors(o)]
    return [out] if isinstance(out, torch.Tensor) else []


def grad_inputs(args: tuple) -> list[torch.Tensor]:
    return [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]


# gradcheck in torch's fast mode (a random projection v^T J u of the Jacobian, both ways,
# instead of every column): where each call of the piece is a request to a grading sandbox
FAST_GRADCHECK = ContextVar("fast_gradcheck", default=False)


def _gradcheck(impl, sample):
    inputs = grad_inputs(sample.args)
    slots = [i for i, a in enumerate(sample.args) if any(a is x for x in inputs)]

    def fn(*xs):
        args = list(sample.args)
        for i, x in zip(slots, xs):
            args[i] = x
        return tuple(tensors(impl(*args, **sample.kwargs)))

    try:
        return torch.autograd.gradcheck(fn, inputs, raise_exception=False,
                                        fast_mode=FAST_GRADCHECK.get())
    except Exception:  # a wrong backward may not even return the right shapes
        return False


def fair_refusal(err: NotSupported, kwargs: dict) -> bool:
    """Whether a refusal (manual.NotSupported) is one a row accepts: it names the input (its
    dtype, say) or an argument the sample passes. Refusing an argument the sample does not
    pass would let a piece that computes nothing pass."""
    return err.argument == "input" or err.argument in kwargs


def run_sample(m: Measure, k: int, impl: Callable, sample: Sample) -> list[torch.Tensor] | None:
    """The outputs of ``impl`` on one sample, or None: refused (a note, where it names the
    input or an argument the sample passes), or failed (recorded)."""
    try:
        return tensors(impl(*sample.args, **sample.kwargs))
    except NotSupported as err:
        if fair_refusal(err, sample.kwargs):
            m.notes.append(saying("m_sample_refused", k=k, error=str(err)))
        else:
            m.fail("refused", saying("m_refused_unasked", argument=err.argument), sample=k)
        return None
    except Exception as err:  # a wrong implementation may not even run
        m.raised(err, sample=k)
        return None


def check_op(entry: Entry, impl: Callable, dtype: torch.dtype, device: str) -> Measure:
    """Forward, backward with a random upstream gradient, and float64 gradcheck, on every
    sample of ``entry.samples(dtype, device, generator)`` against ``entry.reference``, at
    the dtype's tolerance or the entry's own."""
    m, tol = Measure(), entry.tol or default_tol(dtype)
    gen = torch.Generator().manual_seed(0)
    assert entry.samples is not None, entry.name
    for k, sample in enumerate(entry.samples(dtype, device, gen)):
        outs = run_sample(m, k, impl, sample)
        if outs is None:
            continue
        refs = tensors(entry.reference(*sample.args, **sample.kwargs))
        if len(outs) != len(refs):
            m.fail("outputs", saying("m_outputs", yours=len(outs), theirs=len(refs)), sample=k)
            continue
        first_input = next((a for a in sample.args if isinstance(a, torch.Tensor)), None)
        for i, (out, ref) in enumerate(zip(outs, refs)):
            compare(m, "out", out, ref, tol, at=first_input, check="forward", sample=k, index=i)
        inputs = grad_inputs(sample.args)
        if not inputs or any(o.shape != r.shape for o, r in zip(outs, refs)):
            continue
        pairs = [(o, r) for o, r in zip(outs, refs) if r.requires_grad]  # not indices
        vs = [torch.randn(r.shape, generator=gen, dtype=torch.float64).to(device, dtype)
              for _, r in pairs]
        grads = compare_grads(m, ([o for o, _ in pairs], inputs), ([r for _, r in pairs], inputs),
                              vs, tol, sample=k)
        # a backward that raised leaves gradcheck nothing to weigh
        if grads is not None and dtype == torch.float64 and sample.gradcheck:
            ok = _gradcheck(impl, sample)
            m.gradcheck = ok and m.gradcheck is not False
            if not ok:
                m.fail("gradcheck", saying("m_gradcheck"), sample=k)
    return m


def check_module(entry: Entry, impl: Callable, dtype: torch.dtype, device: str) -> Measure:
    """A layer built both ways from one seed, for every (args, kwargs, input shape) of
    ``entry.configs``: its initial parameters, then its forward and the gradients of its
    input and parameters under a random upstream gradient."""
    m, tol = Measure(), default_tol(dtype)
    gen = torch.Generator().manual_seed(0)
    for k, (args, kwargs, input_shape) in enumerate(entry.configs):
        torch.manual_seed(k)
        mine = impl(*args, **kwargs, device=device, dtype=dtype)
        torch.manual_seed(k)
        theirs = entry.reference(*args, **kwargs, device=device, dtype=dtype)
        params = dict(theirs.named_parameters())
        for name, p in mine.named_parameters():
            compare(m, "out", p, params.get(name), tol, check="forward", sample=k,
                    label=saying("label_initial", name=name))
        with torch.no_grad():  # the forward pass is checked on the same parameters
            for name, p in mine.named_parameters():
                p.copy_(params[name])
        x = torch.randn(input_shape, generator=gen, dtype=torch.float64).to(device, dtype)
        x.requires_grad_()
        out, ref = mine(x), theirs(x)
        compare(m, "out", out, ref, tol, check="forward", sample=k, index=0)
        if out.shape != ref.shape:
            continue
        v = torch.randn(ref.shape, generator=gen, dtype=torch.float64).to(device, dtype)
        compare_grads(m, ([out], [x, *mine.parameters()]), ([ref], [x, *theirs.parameters()]),
                      [v], tol, sample=k)
    return m


def quiet() -> None:
    """Exact float32 comparisons, and torch's notes that say nothing about the rows kept
    off the table."""
    exact_float32()
    # torch's own note that its 'same' padding for even kernels copies the input
    warnings.filterwarnings("ignore", message="Using padding='same'")
    # and that initializing a Linear(0, n)'s empty weight does nothing (a registry config),
    # that softmax's dtype= casts a complex sample to a real dtype (torch's own sample),
    # that torch's own sparse Adagrad does not check its sparse tensors, and, importing
    # torch.func, that torch.jit.script is deprecated, and (torch 2.4) that its half
    # mse_loss kernel on the CPU is slow
    for note in ("Initializing zero-element tensors", "Casting complex values to real",
                 "Applying the CPU mse kernel on half-type tensors",
                 "Sparse invariant checks are implicitly disabled", "`torch.jit.script`"):
        warnings.filterwarnings("ignore", message=note)
