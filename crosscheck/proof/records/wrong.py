"""Deliberately wrong versions: the negative controls.

Each keeps the right forward and breaks one step of the backward (or of an update), the way
a hand derivation goes wrong, and is put in place inside the real public function for the
length of a check (``with_backward``, ``swap``). The check that passes the right piece must
reject every one of them, which proves that the check can fail. The notes' own slips, written
as the notes state them, live in crosscheck/proof/notes/formulas.py.
"""
import math
import sys

import torch

from crosscheck.proof.records.backends import MANUAL
from crosscheck.proof.records.entry import Wrong, swap, with_backward, with_methods
from manual import activations as A
from manual import conv as C
from manual import least_squares as LS
from manual import linear as L
from manual import losses as Lo
from manual import optim as O
from manual import pooling as P
from manual import schedules as S

# the right backward passes, taken before any swap, for the controls that break one output
_linear_backward = L.LinearFunction.backward
_mse_backward = Lo.MSELoss.backward
_cross_entropy_backward = Lo.CrossEntropy.backward
_conv_backward = C.Conv2dFunction.backward
_col2im_forward = C.Col2im.forward


def _tanh_one_minus_t(ctx, grad):
    (t,) = ctx.saved_tensors
    return grad * (1 - t)  # forgot the square: 1 - t instead of 1 - t^2


class _ReLUOneAtZero(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return torch.where(x >= 0, grad, torch.zeros_like(grad))  # relu'(0) = 1: not torch's


def _leaky_one_at_zero(ctx, grad):
    (x,) = ctx.saved_tensors
    return torch.where(x >= 0, grad, grad * ctx.negative_slope), None


def _elu_without_alpha(ctx, grad):
    (x,) = ctx.saved_tensors
    return torch.where(x > 0, grad, grad * torch.exp(torch.clamp(x, max=0))), None


def _gelu_cdf_only(ctx, grad):
    (x,) = ctx.saved_tensors  # product rule half-forgotten: Phi(x) without x phi(x)
    return grad * 0.5 * (1 + torch.erf(x / 2**0.5)), None


def _linear_bias_mean(ctx, grad):
    grad_x, grad_w, grad_b = _linear_backward(ctx, grad)
    if grad_b is not None:  # the mean over the batch, not the sum
        grad_b = grad_b / grad.reshape(-1, grad.shape[-1]).shape[0]
    return grad_x, grad_w, grad_b


def _mse_without_two(ctx, grad):
    g, _, _ = _mse_backward(ctx, grad)
    return g / 2, -g / 2, None  # the 1/2 of E = 1/2 sum (.)^2 applied to plain MSE


def _softmax_diagonal(ctx, grad):
    (s,) = ctx.saved_tensors
    return grad * s * (1 - s), None  # only the diagonal of the Jacobian s_i (delta_ij - s_j)


def _log_softmax_no_sum(ctx, grad):
    (y,) = ctx.saved_tensors
    return grad - torch.exp(y), None  # dropped the sum over the upstream gradient


def _cross_entropy_no_mean(ctx, grad):
    grad_x, *rest = _cross_entropy_backward(ctx, grad)
    if ctx.reduction == "mean":  # forgot the 1/N of reduction='mean'
        x, target, weight = ctx.saved_tensors
        _, total = Lo.target_distribution(x, target, weight, ctx.ignore_index, ctx.eps)
        grad_x = grad_x * total
    return grad_x, *rest


def _slope_one(ctx, grad):
    return (grad,) + (None,) * (len(ctx.needs_input_grad) - 1)  # the mask forgotten: f' = 1


TANH_ONE_MINUS_T = with_backward(A.Tanh, _tanh_one_minus_t)
RELU_SLOPE_ONE = with_backward(A.ReLU, _slope_one)
LEAKY_SLOPE_ONE = with_backward(A.LeakyReLU, _slope_one)
ELU_SLOPE_ONE = with_backward(A.ELU, _slope_one)
RELU_ONE_AT_ZERO = swap(A.ReLU, _ReLUOneAtZero)
LEAKY_ONE_AT_ZERO = with_backward(A.LeakyReLU, _leaky_one_at_zero)
ELU_WITHOUT_ALPHA = with_backward(A.ELU, _elu_without_alpha)
GELU_CDF_ONLY = with_backward(A.GELU, _gelu_cdf_only)
LINEAR_BIAS_MEAN = with_backward(L.LinearFunction, _linear_bias_mean)
MSE_WITHOUT_TWO = with_backward(Lo.MSELoss, _mse_without_two)
SOFTMAX_DIAGONAL = with_backward(Lo.Softmax, _softmax_diagonal)
LOG_SOFTMAX_NO_SUM = with_backward(Lo.LogSoftmax, _log_softmax_no_sum)
CROSS_ENTROPY_NO_MEAN = with_backward(Lo.CrossEntropy, _cross_entropy_no_mean)


# -- convolution and pooling ------------------------------------------------------------


def _averaged(fold, cols):
    """A fold that averages where patches overlap instead of summing."""
    return fold(cols) / fold(torch.ones_like(cols)).clamp(min=1)


def _im2col_backward_averages(ctx, grad):
    kernel, dilation, pads, stride = ctx.window
    fold = lambda cols: C.col2im(cols, ctx.size, kernel, dilation, pads[::2], stride)  # noqa: E731
    return _averaged(fold, grad), None, None, None, None


class _Col2imAveraged(C.Col2im):
    @staticmethod
    def forward(cols, *args):
        return _averaged(lambda c: _col2im_forward(c, *args), cols)


def _conv_backward_unflipped(ctx, grad):
    _, grad_w, grad_b, *_ = _conv_backward(ctx, grad)
    x, weight = ctx.saved_tensors
    stride, pads, dilation, groups = ctx.window
    # the input gradient as a convolution, but with the kernel not rotated by 180 degrees
    # (flipping an already flipped kernel undoes conv2d_input's flip)
    grad_x = C.conv2d_input(x.shape, weight.flip(2, 3), grad, stride, pads[::2], dilation,
                            groups)
    return grad_x, grad_w, grad_b, None, None, None, None


def conv2d_input_unflipped(input_size, weight, grad_output, stride=1, padding=0, dilation=1,
                           groups=1):
    return C.conv2d_input(input_size, weight.flip(2, 3), grad_output, stride, padding, dilation,
                          groups)


def _pool_backward_spread(ctx, grad, _):
    N, Ch, H, W = ctx.shape
    kernel, stride, padding, dilation = ctx.pool
    K = kernel[0] * kernel[1]
    # the gradient shared evenly over the window (average pooling's rule), not to its max
    cols = (grad.reshape(N, Ch, 1, -1) / K).expand(N, Ch, K, grad[0, 0].numel())
    grad_x = C.col2im(cols.reshape(N, Ch * K, -1), (H, W), kernel, dilation, padding, stride)
    return grad_x, None, None, None, None, None


def _pool_backward_no_accumulate(ctx, grad, _):
    (index,) = ctx.saved_tensors
    N, Ch, H, W = ctx.shape
    grad_x = grad.new_zeros(N * Ch, H * W)  # scatter_ keeps one of two windows sharing a max
    grad_x.scatter_(1, index.reshape(N * Ch, -1), grad.reshape(N * Ch, -1))
    return grad_x.reshape(N, Ch, H, W), None, None, None, None, None


def _flatten_backward_channels_last(ctx, grad):
    N, Ch, H, W = ctx.shape  # unflattened as (H, W, C): the wrong order
    return grad.reshape(N, H, W, Ch).permute(0, 3, 1, 2), None, None


IM2COL_BACKWARD_AVERAGES = with_backward(C.Im2col, _im2col_backward_averages)
COL2IM_AVERAGES = swap(C.Col2im, _Col2imAveraged)
CONV_UNFLIPPED = with_backward(C.Conv2dFunction, _conv_backward_unflipped)
CONV2D_INPUT_UNFLIPPED = Wrong(conv2d_input_unflipped)
POOL_SPREAD = with_backward(P.MaxPool2d, _pool_backward_spread)
POOL_NO_ACCUMULATE = with_backward(P.MaxPool2d, _pool_backward_no_accumulate)
FLATTEN_CHANNELS_LAST = with_backward(P.Flatten, _flatten_backward_channels_last)


# -- optimizers: the state is the real one (init_state); only the math is wrong ------------


class AdamWithoutBiasCorrection(O.Adam):
    def update(self, p, g, state, group):
        (beta1, beta2), eps = group["betas"], group["eps"]
        m = state["exp_avg"].mul_(beta1).add_((1 - beta1) * g)
        v = state["exp_avg_sq"].mul_(beta2).add_((1 - beta2) * g * g)
        p.sub_(group["lr"] * m / (v.sqrt() + eps))  # m and v used raw: too small early on


class AdagradEpsInsideRoot(O.Adagrad):
    def update(self, p, g, state, group):
        clr = group["lr"] / (1 + (state["step"].item() - 1) * group["lr_decay"])
        state["sum"].add_(g * g)
        p.sub_(clr * g / (state["sum"] + group["eps"]).sqrt())  # eps under the root


class AdagradGroupStart(O.Adagrad):
    """Each param group's own initial_accumulator_value, where torch takes the constructor's."""

    def init_state(self, p, state, group):
        super().init_state(p, state, group)
        state["sum"].fill_(group["initial_accumulator_value"])


class AdagradSparseWithoutRoot(O.Adagrad):
    @staticmethod
    def sparse_update(p, g, sums, clr, eps):
        g = g.coalesce()
        index, values = g.indices(), g.values()
        sums.add_(torch.sparse_coo_tensor(index, values * values, g.shape, check_invariants=False))
        denom = sums.sparse_mask(g).coalesce().values().add_(eps)  # the root forgotten
        p.add_(torch.sparse_coo_tensor(index, values / denom, g.shape,
                                      check_invariants=False), alpha=-clr)


class RMSpropTakesSparse(O.RMSprop):
    sparse_refusal = None  # goes on with a sparse gradient: aten's error, not torch's words


class AdamTakesSparse(O.Adam):
    sparse_refusal = None


class SGDMomentumWrongSign(O.SGD):
    """theta + eta b (or, in the notes' form, theta + v): climbs the hill. The notes'
    动量梯度下降 writes it so: theta_t = theta_{t-1} + v_t."""

    def update(self, p, g, state, group):
        v = self.velocity(g, state, group)
        eta_inside = group["lr_in_velocity"] and group["momentum"]
        p.add_(v, alpha=1 if eta_inside else group["lr"])


class RMSpropWithoutLeak(O.RMSprop):
    def update(self, p, g, state, group):
        r = state["square_avg"].mul_(group["alpha"]).add_(g * g)  # (1 - alpha) forgotten
        p.sub_(group["lr"] * g / (r.sqrt() + group["eps"]))


class RMSpropEpsOutsideRoot(O.RMSprop):
    """Asked for the notes' form, gives torch's: sqrt(r) + eps."""

    def update(self, p, g, state, group):
        super().update(p, g, state, {**group, "eps_inside_sqrt": False})


# -- schedules, least squares, the neuron ----------------------------------------------------


class WarmupOneStepLate(S.WarmupLR):
    def lr_at(self, base, t):
        W = self.warmup_steps  # divides by W + 1: full rate one step after the warm-up ends
        if t < W + 1:
            return base * (self.start_factor + (1 - self.start_factor) * t / (W + 1))
        return super().lr_at(base, t)


class CosineFromStepZero(S.WarmupLR):
    def lr_at(self, base, t):
        if t < self.warmup_steps or self.decay == "constant":
            return super().lr_at(base, t)
        progress = min(t, self.total_steps) / self.total_steps  # forgot to start after warm-up
        return self.min_lr + (base - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2


def fit_line_bias_sign(x, y):
    w, b = LS.fit_line(x, y)
    return w, y.mean() + w * x.mean()  # b = y_mean + w x_mean: the sign of the shift


def fit_without_bias_column(X, y):
    w = torch.linalg.solve(X.T @ X, X.T @ y)  # forgot the column of ones
    return w, torch.zeros((), dtype=X.dtype, device=X.device)


def neuron_bias_subtracted(x1, x2, bias=-1.0):
    return x1 + x2 - bias


# -- the families' controls: the first derivative right, one family's property broken -------


class _Detached:
    """A ctx whose saved tensors come without their graph: the backward still gives the
    right first derivative, and its own derivative with respect to them is lost (the slip of
    a backward that reuses what the forward computed without autograd)."""

    def __init__(self, ctx):
        self.ctx = ctx

    @property
    def saved_tensors(self):
        return tuple(None if t is None else t.detach() for t in self.ctx.saved_tensors)

    def __getattr__(self, name):
        return getattr(self.ctx, name)


def _grads(out):
    return out if isinstance(out, tuple) else (out,)


def _detached_backward(function):
    right = function.backward
    return lambda ctx, *grads: right(_Detached(ctx), *grads)


def _graphless_backward(function):
    right = function.backward

    def backward(ctx, *grads):
        with torch.no_grad():  # once_differentiable, without saying so
            return right(ctx, *grads)
    return backward


def _conjugated_backward(function):
    right = function.backward
    return lambda ctx, *grads: tuple(g.conj() if isinstance(g, torch.Tensor) else g
                                     for g in _grads(right(ctx, *grads)))


def _in_input_dtype(x, promote_integers=True):  # manual.opmath without its promotions
    return x, x.dtype


def _flip(t):
    """The same values in the other memory format."""
    if t.dim() == 4 and t.is_contiguous() and t.shape[1] > 1 and t[0, 0].numel() > 1:
        return t.contiguous(memory_format=torch.channels_last)
    return t.contiguous() if t.dim() == 4 else t.mT.contiguous().mT if t.dim() > 1 else t


def _flipped(op):
    def wrong(*args, **kwargs):
        out = op(*args, **kwargs)
        return tuple(map(_flip, out)) if isinstance(out, tuple) else _flip(out)
    return wrong


# ops with no second derivative of their own (piecewise linear, or routing the gradient):
# detaching what they saved changes nothing, so their control is a backward without a graph
ROUTING = (A.ReLU, A.LeakyReLU, P.MaxPool2d, P.Flatten, C.Im2col)
EXACT = "computed in the input's dtype as torch computes it: no promotion to get wrong"
CAST = "the input is cast to the dtype asked for first, as torch casts it"
ONE_ROUNDING = ("in float32 rounded once or in float16 throughout, these samples come out the "
                "same (measured), so no control is claimed")


def _gradgrad(function):
    if function in ROUTING:
        return {"backward without a graph": with_backward(function,
                                                          _graphless_backward(function))}
    return {"saved tensors detached": with_backward(function, _detached_backward(function))}


def _opmath(op, what):
    module = sys.modules[op.__module__]
    return {f"computed {what}": Wrong(swaps=((module, "opmath", _in_input_dtype),))}


def _integer(op):
    if op in (A.sigmoid, A.tanh):
        return _opmath(op, "in the input's dtype"), ""
    if op is P.max_pool2d:
        return {"-inf padding": Wrong(swaps=((P, "_lowest", lambda x: float("-inf")),))}, ""
    return {}, CAST if op in (Lo.softmax, Lo.log_softmax) else EXACT


def _half(op):
    if op in (A.sigmoid, A.tanh, A.gelu, Lo.softmax, Lo.log_softmax, Lo.cross_entropy, C.conv2d):
        return _opmath(op, "in float16/bfloat16 throughout"), ""
    return {}, ONE_ROUNDING if op in (A.leaky_relu, A.elu, Lo.mse_loss) else EXACT


def _off_jvp(function, by=1e-6):
    """A jvp one part in a million off: the forward-mode rows must see that small a slip."""
    right = function.jvp

    def jvp(ctx, *tangents):
        out = right(ctx, *tangents)
        return (tuple(t if t is None else t * (1 + by) for t in out) if isinstance(out, tuple)
                else out * (1 + by))
    return {"a jvp one part in a million off": with_methods(function, jvp=staticmethod(jvp))}


def _first_element_vmap(function):
    """A vmap rule that gives every element of the batch the first one's result: the slip of
    a rule that forgets to move the batch dimension."""
    def vmap(info, in_dims, *args):
        firsts = [a if d is None else a.select(d, 0) for a, d in zip(args, in_dims)]
        out = function.apply(*firsts)
        outs = out if isinstance(out, tuple) else (out,)
        batched = tuple(o.unsqueeze(0).expand(info.batch_size, *o.shape) for o in outs)
        return (batched, (0,) * len(batched)) if isinstance(out, tuple) else (batched[0], 0)
    label = "a vmap rule that gives every element the first one's result"
    return {label: with_methods(function, generate_vmap_rule=False, vmap=staticmethod(vmap))}


def _read_into_python(op):
    """The op with a value read into Python first: the compiler must stop its graph there,
    which fullgraph=True refuses."""
    def wrong(*args, **kwargs):
        first = next(a for a in args if isinstance(a, torch.Tensor))
        if float(first.detach().sum().real) == math.inf:
            raise AssertionError("unreachable: a sum of finite samples")
        return op(*args, **kwargs)
    return wrong


GRAPH_BREAK_RELU = Wrong(swaps=((MANUAL, "relu", _read_into_python(MANUAL.relu)),))


def _graph_break(op):
    return {"a value read into Python (a graph break)": Wrong(impl=_read_into_python(op))}


def family_controls(family, op, function):
    """({label: Wrong}, why there is none) for the row of ``op`` (whose autograd Function
    is ``function``) in ``family``."""
    if family == "gradgrad":
        return _gradgrad(function), ""
    if family in ("forward", "func"):
        return _off_jvp(function), ""
    if family == "vmap":
        return _first_element_vmap(function), ""
    if family == "compile":
        return _graph_break(op), ""
    if family == "complex" and op in (Lo.softmax, Lo.log_softmax):
        return {}, "the complex input is cast to the real dtype asked for first, as torch does"
    if family == "complex":
        return {"gradient not conjugated": with_backward(function,
                                                         _conjugated_backward(function))}, ""
    if family == "integer":
        return _integer(op)
    if family == "half":
        return _half(op)
    return {"output in the other memory format": Wrong(_flipped(op))}, ""
