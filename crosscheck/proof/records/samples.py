"""Seeded sample inputs for the registry: shapes, keyword arguments and edge values."""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from crosscheck.proof.records.entry import Sample
from manual.conv import out_size, pair

if TYPE_CHECKING:
    from crosscheck.proof.records.entry import SampleFn


def randn(gen: torch.Generator, shape: tuple, dtype: torch.dtype, device: str, scale: float = 1.0,
          grad: bool = True) -> torch.Tensor:
    x = torch.randn(shape, generator=gen, dtype=torch.float64) * scale
    return x.to(device, dtype).requires_grad_(grad)


def const(values: list, dtype: torch.dtype, device: str, grad: bool = True) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype, device=device, requires_grad=grad)


def pointwise(kwargs: tuple = (), extremes: bool = False) -> SampleFn:
    """Random shapes, a tensor with exact zeros (the kink), and optionally +-800."""

    def samples(dtype, device, gen):
        for kw in ({},) + tuple(kwargs):
            yield Sample((randn(gen, (4, 7), dtype, device),), kw)
            yield Sample((randn(gen, (2, 3, 5), dtype, device, scale=4),), kw)
            yield Sample((randn(gen, (2, 3, 4, 5), dtype, device),), kw)  # a batch of maps
            # finite differences straddle a kink, so no gradcheck where x = 0 exactly
            yield Sample((const([-1.5, 0.0, 0.0, 2.0], dtype, device),), kw, gradcheck=False)
            if extremes:
                big = [-800.0, -60.0, -1e-9, 1e-9, 60.0, 800.0]
                yield Sample((const(big, dtype, device),), kw)

    return samples


def linear_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    yield Sample((randn(gen, (5, 3), dtype, device), randn(gen, (4, 3), dtype, device),
                  randn(gen, (4,), dtype, device)))
    yield Sample((randn(gen, (2, 3, 6, 3), dtype, device), randn(gen, (4, 3), dtype, device),
                  randn(gen, (4,), dtype, device)))
    yield Sample((randn(gen, (7, 2), dtype, device), randn(gen, (1, 2), dtype, device)))
    # every shape F.linear takes: one input vector; a 1-D weight, one neuron without a
    # neuron dimension (with a bias only where the input is a vector: torch's addmm refuses
    # it beside a batch); both vectors (a dot product); empty batch and feature dims
    yield Sample((randn(gen, (3,), dtype, device), randn(gen, (4, 3), dtype, device),
                  randn(gen, (4,), dtype, device)))
    yield Sample((randn(gen, (2, 5, 3), dtype, device), randn(gen, (3,), dtype, device)))
    yield Sample((randn(gen, (3,), dtype, device), randn(gen, (3,), dtype, device),
                  randn(gen, (), dtype, device)))
    yield Sample((randn(gen, (0, 3), dtype, device), randn(gen, (4, 3), dtype, device),
                  randn(gen, (4,), dtype, device)))
    yield Sample((randn(gen, (2, 4, 0), dtype, device), randn(gen, (5, 0), dtype, device),
                  randn(gen, (5,), dtype, device)))
    yield Sample((randn(gen, (0, 8), dtype, device), randn(gen, (8,), dtype, device)))


def softmax_dtype_samples(dtype: torch.dtype, device: str, gen: torch.Generator
                         ) -> Iterator[Sample]:
    """softmax(x, dim, dtype=...): torch casts the input first (no gradcheck: the input is
    float32 in the float64 row)."""
    other = torch.float32 if dtype == torch.float64 else torch.float64
    yield Sample((randn(gen, (3, 5), other, device),), {"dim": 1, "dtype": dtype},
                 gradcheck=False)


def mse_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    for reduction in ("mean", "sum", "none"):
        x, t = randn(gen, (4, 5), dtype, device), randn(gen, (4, 5), dtype, device)
        yield Sample((x, t), {"reduction": reduction})
    x, t = randn(gen, (2, 3, 4, 5), dtype, device), randn(gen, (2, 3, 4, 5), dtype, device)
    yield Sample((x, t), {"reduction": "none"})  # maps, elementwise


def softmax_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    for dim in (0, 1, -1):
        yield Sample((randn(gen, (3, 4, 5), dtype, device),), {"dim": dim})
    yield Sample((randn(gen, (2, 3, 4, 5), dtype, device),), {"dim": 1})  # over channels
    yield from softmax_dtype_samples(dtype, device, gen)
    huge = randn(gen, (4, 6), dtype, device, scale=1e4, grad=False)  # exp(1e4) overflows
    yield Sample((huge.requires_grad_(),), {"dim": 1}, gradcheck=False)


def cross_entropy_samples(dtype: torch.dtype, device: str, gen: torch.Generator
                         ) -> Iterator[Sample]:
    labels = torch.tensor([0, 4, 2, 2, 1, 3], device=device)
    for reduction in ("mean", "sum", "none"):
        yield Sample((randn(gen, (6, 5), dtype, device), labels), {"reduction": reduction})
    probs = torch.softmax(torch.randn(6, 5, generator=gen, dtype=torch.float64), 1)
    yield Sample((randn(gen, (6, 5), dtype, device), probs.to(device, dtype).requires_grad_()))
    one_hot = torch.nn.functional.one_hot(labels, 5).to(dtype)
    yield Sample((randn(gen, (6, 5), dtype, device), one_hot))
    huge = randn(gen, (6, 5), dtype, device, scale=1e4)
    yield Sample((huge, labels), gradcheck=False)
    # -100 is the default ignore_index; label smoothing at its largest, 1
    ignored = torch.tensor([0, -100, 2, -100, 1, 3], device=device)
    yield Sample((randn(gen, (6, 5), dtype, device), ignored))
    yield Sample((randn(gen, (6, 5), dtype, device), labels), {"label_smoothing": 1.0})
    # unbatched: logits (C,) with a class index, or with class probabilities
    yield Sample((randn(gen, (5,), dtype, device), torch.tensor(3, device=device)))
    yield Sample((randn(gen, (5,), dtype, device), probs[0].to(device, dtype)))
    yield Sample((randn(gen, (5,), dtype, device), torch.tensor(1, device=device)),
                 {"reduction": "none"})
    # (N, C, d1, d2) per prediction; one class only, with an ignored target
    spatial = torch.randint(0, 5, (2, 3, 4), generator=gen).to(device)
    yield Sample((randn(gen, (2, 5, 3, 4), dtype, device), spatial), {"reduction": "none"})
    yield Sample((randn(gen, (4, 1), dtype, device), torch.tensor([0, -100, 0, 0], device=device)))
    # weights and smoothing together, with class indices (one ignored) and with probabilities
    w = (torch.rand(5, generator=gen, dtype=torch.float64) + 0.5).to(device, dtype)
    yield Sample((randn(gen, (6, 5), dtype, device), ignored),
                 {"weight": w, "label_smoothing": 0.2})
    yield Sample((randn(gen, (6, 5), dtype, device), probs.to(device, dtype).requires_grad_()),
                 {"weight": w, "label_smoothing": 0.2})


# (N, C, H, W, out channels, kernel, stride, padding, dilation): 1 and 3 input channels,
# stride 1 and 2, padding 0, 1, 'same' (odd and even kernels), kernels 1, 3, 5, odd 13x11
CONV = [
    (2, 1, 13, 11, 4, 3, 1, 1, 1),
    (1, 3, 13, 11, 2, 3, 2, 0, 1),
    (2, 3, 7, 6, 3, 1, 1, 0, 1),
    (1, 3, 9, 8, 2, 5, 2, 2, 1),
    (2, 1, 8, 7, 2, 3, 1, "same", 1),
    (1, 3, 8, 7, 2, 4, 1, "same", 1),
    (1, 2, 9, 9, 2, 3, (2, 1), (1, 0), 2),
    # stride 3 that divides neither side, ph != pw, dilation 2; an output exactly 1 high
    (1, 2, 10, 11, 2, 3, 3, (1, 2), 2),
    (2, 1, 3, 7, 2, 3, 1, 0, 1),
]


def conv2d_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    for N, C, H, W, O, k, s, p, d in CONV:
        x, w = randn(gen, (N, C, H, W), dtype, device), randn(gen, (O, C, k, k), dtype, device)
        b = randn(gen, (O,), dtype, device) if O != 3 else None
        yield Sample((x, w, b), {"stride": s, "padding": p, "dilation": d})
    x = randn(gen, (2, 3, 9, 8), dtype, device)
    yield Sample((x, randn(gen, (2, 3, 3, 2), dtype, device)))  # the defaults
    yield Sample((x, randn(gen, (2, 3, 3, 2), dtype, device)), {"padding": "valid"})
    # 'same' with a kernel 2 high: nothing above, one row below
    yield Sample((x, randn(gen, (2, 3, 2, 3), dtype, device)), {"padding": "same"})
    # 'same' with a non-square kernel and a dilation per axis
    yield Sample((x, randn(gen, (2, 3, 3, 2), dtype, device)), {"padding": "same",
                                                                "dilation": (2, 1)})
    # a kernel that is not learned: only the input's gradient is asked for
    yield Sample((x, randn(gen, (2, 3, 3, 3), dtype, device, grad=False)), {"stride": 2})


def _unfold_configs():
    return [c for c in CONV if c[7] != "same"]


def im2col_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    for N, C, H, W, _, k, s, p, d in _unfold_configs():
        x = randn(gen, (N, C, H, W), dtype, device)
        yield Sample((x, k), {"dilation": d, "padding": p, "stride": s})
    yield Sample((randn(gen, (2, 3, 6, 5), dtype, device), 2))  # the defaults
    yield Sample((randn(gen, (3, 6, 5), dtype, device), (2, 3)), {"padding": 1})  # unbatched


def col2im_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    for N, C, H, W, _, k, s, p, d in _unfold_configs():
        (sh, sw), (ph, pw), (dh, dw) = pair(s), pair(p), pair(d)
        L = out_size(H, k, sh, ph, dh) * out_size(W, k, sw, pw, dw)
        cols = randn(gen, (N, C * k * k, L), dtype, device)
        yield Sample((cols, (H, W), k), {"dilation": d, "padding": p, "stride": s})
    yield Sample((randn(gen, (2, 3 * 4, 20), dtype, device), (6, 5), 2))  # the defaults
    yield Sample((randn(gen, (3 * 6, 35), dtype, device), (6, 5), (2, 3)),
                 {"padding": 1})  # unbatched


def conv2d_input_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    for N, C, H, W, O, k, s, p, d in _unfold_configs():
        (sh, sw), (ph, pw), (dh, dw) = pair(s), pair(p), pair(d)
        oh, ow = out_size(H, k, sh, ph, dh), out_size(W, k, sw, pw, dw)
        w, g = randn(gen, (O, C, k, k), dtype, device), randn(gen, (N, O, oh, ow), dtype, device)
        yield Sample(((N, C, H, W), w, g), {"stride": s, "padding": p, "dilation": d})
    w = randn(gen, (2, 3, 3, 3), dtype, device)
    yield Sample(((1, 3, 7, 6), w, randn(gen, (1, 2, 5, 4), dtype, device)))  # the defaults
    # padding beyond d(k - 1): the flipped convolution crops the upstream gradient instead
    yield Sample(((1, 3, 5, 6), w, randn(gen, (1, 2, 9, 10), dtype, device)), {"padding": 3})


def max_pool2d_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    # random values (no ties): plain, padded and overlapping windows, odd non-square sizes
    for shape, k, s, p in [((2, 3, 13, 11), 2, None, 0), ((2, 1, 13, 11), 3, 2, 1),
                           ((1, 3, 9, 8), (3, 2), 1, (1, 0))]:
        yield Sample((randn(gen, shape, dtype, device), k), {"stride": s, "padding": p})
    # ties: few distinct values, so most windows hold their maximum twice or more; finite
    # differences cannot pick a side of a tie, so no gradcheck here
    for shape, k, s, p in [((2, 2, 9, 8), 3, 2, 1), ((1, 3, 6, 6), 2, 1, 0)]:
        ties = torch.randint(0, 3, shape, generator=gen).to(device, dtype).requires_grad_()
        yield Sample((ties, k), {"stride": s, "padding": p}, gradcheck=False)
    # ceil_mode where the last window would start in the right padding (torch drops it);
    # a non-square kernel with padding up to half of each side
    yield Sample((randn(gen, (1, 2, 5, 5), dtype, device), 3),
                 {"stride": 3, "padding": 1, "ceil_mode": True, "return_indices": True})
    yield Sample((randn(gen, (1, 2, 6, 7), dtype, device), (2, 4)), {"padding": (1, 2)})
    yield Sample((randn(gen, (1, 2, 7, 6), dtype, device), (4, 2)), {"padding": (2, 1)})
    # -inf at the borders: a window's first real entry is its arg-max, not the padding
    x = randn(gen, (1, 2, 5, 6), dtype, device, grad=False)
    x[:, :, :2] = x[:, :, :, :2] = float("-inf")
    yield Sample((x.requires_grad_(), 3), {"stride": 2, "padding": 1, "ceil_mode": True,
                                           "return_indices": True}, gradcheck=False)


def flatten_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    yield Sample((randn(gen, (2, 3, 4, 5), dtype, device),))
    yield Sample((randn(gen, (2, 3, 4, 5), dtype, device),), {"start_dim": 1})  # the CNN's
    yield Sample((randn(gen, (2, 3, 4, 5), dtype, device),), {"start_dim": 2})
    yield Sample((randn(gen, (2, 3, 4, 5), dtype, device),), {"start_dim": 0, "end_dim": 1})
    yield Sample((randn(gen, (2, 3, 4, 5), dtype, device),), {"start_dim": 2, "end_dim": 2})


def line_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    x = torch.rand(30, generator=gen, dtype=torch.float64) * 6 - 3
    y = 1.5 * x + 0.25 + 0.1 * torch.randn(30, generator=gen, dtype=torch.float64)
    yield Sample((x.to(device, dtype).requires_grad_(), y.to(device, dtype).requires_grad_()))


def normal_equation_samples(dtype: torch.dtype, device: str, gen: torch.Generator
                           ) -> Iterator[Sample]:
    X = torch.randn(25, 3, generator=gen, dtype=torch.float64)
    y = X @ torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64) + 0.3
    y = y + 0.05 * torch.randn(25, generator=gen, dtype=torch.float64)
    yield Sample((X.to(device, dtype), y.to(device, dtype)))


# the worked 2-2-2 example that the notes' figure follows: inputs 0.05 and 0.10, sigmoid
# everywhere, targets 0.01 and 0.99
WORKED: dict[str, Any] = {"x": [[0.05, 0.10]], "target": [[0.01, 0.99]],
          "weights": [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]],
          "biases": [[0.35, 0.35], [0.60, 0.60]]}


def backprop_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    def t(v):
        return torch.tensor(v, dtype=dtype, device=device)

    yield Sample((t(WORKED["x"]), t(WORKED["target"]), [t(w) for w in WORKED["weights"]],
                  [t(b) for b in WORKED["biases"]], ["sigmoid", "sigmoid"]))
    sizes = [5, 7, 6, 3]
    for acts, loss in ((["tanh", "relu", "sigmoid"], "mse"), (["leaky_relu"] * 3, "mse"),
                       (["sigmoid", "tanh", "identity"], "mse"),
                       (["relu", "sigmoid", "identity"], "cross_entropy")):
        x = randn(gen, (8, sizes[0]), dtype, device, grad=False)
        ws = [randn(gen, (o, i), dtype, device, grad=False) for i, o in zip(sizes, sizes[1:])]
        bs = [randn(gen, (o,), dtype, device, grad=False) for o in sizes[1:]]
        target = (torch.randint(0, 3, (8,), generator=gen).to(device) if loss != "mse"
                  else randn(gen, (8, 3), dtype, device, grad=False))
        yield Sample((x, target, ws, bs, acts), {"loss": loss})


def neuron_samples(dtype: torch.dtype, device: str, gen: torch.Generator) -> Iterator[Sample]:
    x1 = torch.tensor([0.0, 0.0, 1.0, 1.0], dtype=dtype, device=device, requires_grad=True)
    x2 = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=dtype, device=device, requires_grad=True)
    yield Sample((x1, x2))
    yield Sample((x1, x2), {"bias": 1.0})


def backprop_forward_samples(dtype: torch.dtype, device: str, gen: torch.Generator
                            ) -> Iterator[Sample]:
    for sample in backprop_samples(dtype, device, gen):
        yield Sample(sample.args[:1] + sample.args[2:])  # (x, weights, biases, activations)
