"""The records of max pooling and flatten (最大池化, 扁平化处理)."""
import torch

from crosscheck.proof.checks.families import ANY, FLOATS, INTEGERS
from crosscheck.proof.records import samples as S
from crosscheck.proof.records.entry import ErrorInput, Wrong, with_backward
from crosscheck.proof.records.kinds import op, torch_names
from crosscheck.proof.records.sections import FLAT, POOL
from crosscheck.proof.records.wrong import graphless
from manual import conv, pooling
from manual.pooling import Flatten, MaxPool2d
from torch_ref import pooling as ref


def _backward_spread(ctx, grad, _):
    N, Ch, H, W = ctx.shape
    kernel, stride, padding, dilation = ctx.pool
    K = kernel[0] * kernel[1]
    # the gradient shared evenly over the window (average pooling's rule), not to its max
    cols = (grad.reshape(N, Ch, 1, -1) / K).expand(N, Ch, K, grad[0, 0].numel())
    grad_x = conv.col2im(cols.reshape(N, Ch * K, -1), (H, W), kernel, dilation, padding, stride)
    return grad_x, None, None, None, None, None


def _backward_no_accumulate(ctx, grad, _):
    (index,) = ctx.saved_tensors
    N, Ch, H, W = ctx.shape
    grad_x = grad.new_zeros(N * Ch, H * W)  # scatter_ keeps one of two windows sharing a max
    grad_x.scatter_(1, index.reshape(N * Ch, -1), grad.reshape(N * Ch, -1))
    return grad_x.reshape(N, Ch, H, W), None, None, None, None, None


def _flatten_backward_channels_last(ctx, grad):
    N, Ch, H, W = ctx.shape  # unflattened as (H, W, C): the wrong order
    return grad.reshape(N, H, W, Ch).permute(0, 3, 1, 2), None, None


SPREAD = with_backward(MaxPool2d, _backward_spread).named("梯度平摊到整个窗口")
X = torch.zeros(1, 2, 5, 6, dtype=torch.float64)  # the refused inputs' image
POOL_ERRORS = (
    ErrorInput((X,), {"kernel_size": 2, "padding": (2, 0)}, "half the kernel"),  # height only
    ErrorInput((X,), {"kernel_size": 2, "padding": (0, 2)}, "half the kernel"),  # width only
    ErrorInput((X,), {"kernel_size": 2, "padding": (0, -1)}, "padding >= 0"),  # negative only
    ErrorInput((X,), {"kernel_size": 2, "stride": (1, 0)}, ">= 1"),  # only a zero stride
    ErrorInput((X,), {"kernel_size": (6, 2)}, "does not fit"),  # too tall only
    ErrorInput((X,), {"kernel_size": (2, 7)}, "does not fit"))  # too wide only

ENTRIES = [
    op("max_pool2d", POOL, pooling.max_pool2d, MaxPool2d, ref.max_pool2d,
       S.max_pool2d_samples,
       {"gradient spread over the window": SPREAD,
        "overlaps not accumulated": with_backward(MaxPool2d, _backward_no_accumulate)
        .named("重叠的窗口没有累加")},
       torch_names("max_pool2d", "torch.nn.MaxPool2d", "torch.max_pool2d_with_indices",
                   "torch.nn.functional.max_pool2d_with_indices",
                   "torch.nn.functional.adaptive_max_pool2d"),
       torch_name="nn.functional.max_pool2d", torch_dtypes=FLOATS + INTEGERS[:-1],
       controls={"integer": ({"-inf padding": Wrong(swaps=((pooling, "_lowest",
                                                             lambda x: float("-inf")),))}, ""),
                 "gradgrad": graphless(MaxPool2d)},
       error_inputs=POOL_ERRORS),
    op("flatten", FLAT, pooling.flatten, Flatten, ref.flatten, S.flatten_samples,
       {"unflattened channels-last": with_backward(Flatten, _flatten_backward_channels_last)
        .named("按通道在后的顺序还原形状")},
       torch_names("flatten", "torch.nn.Flatten"), torch_name="flatten", torch_dtypes=ANY,
       controls={"gradgrad": graphless(Flatten)},
       error_inputs=(ErrorInput((X, 2, 1), {}, "start_dim"),)),
]
