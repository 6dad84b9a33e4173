"""The records of the convolution (卷积核, 卷积核的运算规则, 填充): im2col and col2im, the
convolution and its input gradient, the module; and the fast arrangement training uses
(manual/conv_fast.py), proved to give conv.py's numbers."""
from unittest import mock

import torch

from crosscheck.proof.checks.families import COMPLEXES, FLOATS
from crosscheck.proof.checks.harness import check_op
from crosscheck.proof.records import samples as S
from crosscheck.proof.records.entry import Entry, ErrorInput, Sample, Wrong, swap, with_backward
from crosscheck.proof.records.kinds import function, module, op, torch_names
from crosscheck.proof.records.sections import CNN, CONV
from crosscheck.proof.records.wrong import graphless, opmath
from manual import conv, conv_fast
from manual.conv import Col2im, Conv2dFunction, Im2col
from torch_ref import conv as ref

_conv_backward = Conv2dFunction.backward  # the right ones, taken before any swap
_col2im_forward = Col2im.forward


def _averaged(fold, cols):
    """A fold that averages where patches overlap instead of summing."""
    return fold(cols) / fold(torch.ones_like(cols)).clamp(min=1)


def _im2col_backward_averages(ctx, grad):
    kernel, dilation, pads, stride = ctx.window
    fold = lambda cols: conv.col2im(cols, ctx.size, kernel, dilation, pads[::2], stride)  # noqa: E731
    return _averaged(fold, grad), None, None, None, None


class _Col2imAveraged(Col2im):
    @staticmethod
    def forward(cols, *args):
        return _averaged(lambda c: _col2im_forward(c, *args), cols)


def _conv_backward_unflipped(ctx, grad):
    _, grad_w, grad_b, *_ = _conv_backward(ctx, grad)
    x, weight = ctx.saved_tensors
    stride, pads, dilation, groups = ctx.window
    # the input gradient as a convolution, but with the kernel not rotated by 180 degrees
    # (flipping an already flipped kernel undoes conv2d_input's flip)
    grad_x = conv.conv2d_input(x.shape, weight.flip(2, 3), grad, stride, pads[::2], dilation,
                               groups)
    return grad_x, grad_w, grad_b, None, None, None, None


def _conv2d_input_unflipped(input_size, weight, grad_output, stride=1, padding=0, dilation=1,
                            groups=1):
    return conv.conv2d_input(input_size, weight.flip(2, 3), grad_output, stride, padding,
                             dilation, groups)


# the built-in convolutions, of an input or a kernel
CONVOLUTIONS = (*torch_names("conv2d", "torch.nn.Conv2d", "torch.convolution",
                             "torch.nn.functional.conv_transpose2d", "torch.conv_transpose2d",
                             "torch.nn.grad", "torch._convolution"),)
UNFLIPPED = {"backward without the kernel flip": with_backward(
    Conv2dFunction, _conv_backward_unflipped).named("反向传播没有翻转卷积核")}
# (args, {kwargs}, input shape), torch.nn.Conv2d's defaults (fan_in 2*3*2 in the last)
CONFIGS = [((1, 4, 3), {"padding": 1}, (2, 1, 13, 11)),
           ((3, 2, 5), {"stride": 2, "padding": "valid"}, (1, 3, 13, 11)),
           ((3, 2, 4), {"padding": "same"}, (1, 3, 8, 7)),
           ((4, 6, (3, 2)), {"groups": 2}, (2, 4, 7, 6))]

X = torch.zeros(1, 2, 5, 6, dtype=torch.float64)  # the refused inputs' image
COLS = torch.zeros(1, 2 * 4, 20, dtype=torch.float64)  # its 2x2 patches: L = 20


def _weight(*shape):
    return torch.zeros(shape, dtype=torch.float64)


IM2COL_ERRORS = (ErrorInput((X, (6, 3)), {}, "does not fit"),  # too tall only
                 ErrorInput((X, (3, 7)), {}, "does not fit"))  # too wide only
COL2IM_ERRORS = (ErrorInput((COLS[:, :, :19], (5, 6), 2), {}, "does not fit"),  # L only
                 ErrorInput((COLS[:, :7], (5, 6), 2), {}, "does not fit"),  # C*k*k only
                 ErrorInput((COLS[0, 0], (5, 6), 2), {}, "expected"))
CONV2D_ERRORS = (
    ErrorInput((X, _weight(3, 2, 3, 3)), {"groups": 0}, "positive int"),
    ErrorInput((X, _weight(3, 2, 3, 3)), {"groups": 1.5}, "positive int"),
    ErrorInput((X, _weight(3, 3, 3, 3)), {}, "do not fit"),  # channels only
    ErrorInput((X, _weight(3, 2, 3)), {}, "do not fit"),  # the weight's rank only
    ErrorInput((X, _weight()), {}, "do not fit"),  # a 0-dim weight
    ErrorInput((X, _weight(3, 1, 3, 3)), {"groups": 2}, "do not fit"),  # 3 kernels, 2 groups
    ErrorInput((X, _weight(4, 2, 3, 3)), {"bias": _weight(3)}, "bias"),
    ErrorInput((X, _weight(4, 2, 3, 3)), {"padding": "full"}, "padding"),
    ErrorInput((X, _weight(4, 2, 3, 3)), {"padding": "same", "stride": 2}, "same"),
    ErrorInput((X[0, 0], _weight(3, 2, 3, 3)), {}, "do not fit"),  # the input's rank
    ErrorInput((_weight(1, 3, 5, 5), _weight(2, 1, 3, 3)), {"groups": 2}, "do not fit"))

IM2COL = op("im2col", CONV, conv.im2col, Im2col, ref.im2col, S.im2col_samples,
            {"backward averages overlaps": with_backward(Im2col, _im2col_backward_averages)
             .named("反向传播在重叠处取平均")},
            torch_names("unfold", "torch.nn.Unfold", "torch.im2col"),
            torch_name="nn.functional.unfold", torch_dtypes=FLOATS + COMPLEXES + (torch.bool,),
            controls={"gradgrad": graphless(Im2col)}, error_inputs=IM2COL_ERRORS)
COL2IM = op("col2im", CONV, conv.col2im, Col2im, ref.col2im, S.col2im_samples,
            {"overlaps averaged": swap(Col2im, _Col2imAveraged).named("重叠处取了平均")},
            torch_names("fold", "torch.nn.Fold", "torch.col2im"),
            why_no_families="torch's OpInfo database has no entry for fold",
            error_inputs=COL2IM_ERRORS)
CONV2D = op("conv2d", CONV, conv.conv2d, Conv2dFunction, ref.conv2d, S.conv2d_samples,
            UNFLIPPED, CONVOLUTIONS, torch_name="nn.functional.conv2d",
            torch_dtypes=FLOATS + COMPLEXES + (torch.int64,),
            controls={"half": opmath(conv, "in float16/bfloat16 throughout")},
            error_inputs=CONV2D_ERRORS)
INPUT = function("conv2d_input", CONV, conv.conv2d_input, ref.conv2d_input,
                 S.conv2d_input_samples,
                 {"kernel not flipped": Wrong(_conv2d_input_unflipped, zh="卷积核没有翻转")},
                 CONVOLUTIONS, group="ops")
MODULE = module("Conv2d", CONV, conv.Conv2d, ref.Conv2d, CONFIGS, UNFLIPPED, CONVOLUTIONS)


def _cnn_layers(dtype, device, gen):
    """The CNN's two convolutions as training computes them (a batch of 128: conv1's input
    needs no gradient, conv2's does), then conv2d's own samples (grouped, strided,
    dilated). The big ones take no gradcheck: the row compares two arrangements."""
    for shape, out, grad in (((128, 1, 28, 28), 32, False), ((128, 32, 14, 14), 64, True)):
        x = S.randn(gen, shape, dtype, device, grad=grad)
        w, b = S.randn(gen, (out, shape[1], 3, 3), dtype, device), S.randn(gen, (out,), dtype,
                                                                           device)
        yield Sample((x, w, b), {"padding": 1}, gradcheck=False)
    yield from S.conv2d_samples(dtype, device, gen)


def _check_small_caches(entry, impl, dtype, device):
    """check_op with conv_fast's caches shrunk, so that every sample runs its chunked and
    wide paths."""
    with mock.patch.multiple(conv_fast, WHOLE_BYTES=0, CHUNK_BYTES=1 << 10):
        return check_op(entry, impl, dtype, device)


_fast_responses = conv_fast.fast_responses
ONE_OFF = {"each row's responses one position off": Wrong(swaps=((
    conv_fast, "fast_responses",
    lambda *args: _fast_responses(*args).roll(1, -1)),))}
FAST = ("another arrangement of conv.py's products: off the CNN's layers the matrix library "
        "may sum a row of another length in another order (measured on these samples: 7e-17 "
        "relative in float64, 5e-8 in float32)")
FAST_ENTRIES = [
    Entry("conv2d_fast", CNN, "ops", "op", conv_fast.conv2d, check_op, conv.conv2d,
          _cnn_layers, ONE_OFF, tol={"rtol": 0.0, "atol": 0.0},
          why_tol="to the bit: the same products in the same order, as training runs them",
          why_no_families="conv2d's rows hold its families; this row holds the fast "
                          "arrangement to conv2d's numbers"),
    Entry("conv2d_fast_paths", CNN, "ops", "op", conv_fast.conv2d, _check_small_caches,
          conv.conv2d, S.conv2d_samples, ONE_OFF, why_tol=FAST,
          why_no_families="conv2d's rows hold its families"),
]
ENTRIES = [IM2COL, COL2IM, CONV2D, INPUT, MODULE]
