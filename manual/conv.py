"""Convolution by hand: im2col (unfold), col2im (fold), and conv2d as one matrix product.

Notes sections: 通道, 卷积核 (Convolutions), 卷积核的运算规则, 响应值 (response), 填充 (Padding).

A 3x3 kernel slid over the image computes, at every position, the dot product of the kernel
with the 3x3 patch under it (the response). im2col lays every patch out as a column, so
all the responses of all kernels are one matrix product:

    cols = im2col(x)                     # (C*kh*kw, L), L = out_h * out_w positions
    out  = W.reshape(O, C*kh*kw) @ cols  # (O, L): row o is the response map of kernel o

Why the gradient of a convolution is a convolution (stride 1, no padding, one channel):

    y[i, j]      = sum_{u,v} w[u, v] x[i+u, j+v]
    dE/dx[p, q]  = sum_{u,v} g[p-u, q-v] w[u, v]       (g = dE/dy, zero outside y)
                 = (g padded by k-1) correlated with w flipped in u and v
    dE/dw[u, v]  = sum_{i,j} g[i, j] x[i+u, j+v]       = x correlated with g

So the input gradient is a "full" convolution of the upstream gradient with the flipped
kernel (``conv2d_input``; with stride s, g first gets s-1 zeros between its entries), and
the weight gradient correlates the input with the upstream gradient. In column form both
are matrix products: dE/dW = g @ cols^T, and dE/dx = col2im(W^T @ g), because col2im is
the adjoint of im2col (each patch entry adds its gradient back where it was copied from).

This file is the convolution as the notes teach it, every patch of the batch at once.
Training runs the same products arranged for the cache (manual/conv_fast.py), which the
registry proves gives these numbers.

Channels: a kernel spans all C input channels (a 1x28x28 MNIST image has C = 1); O kernels
give O output channels, O response maps. Padding adds a border of zeros so the edge pixels
are seen by as many kernel positions as the centre ones and the map keeps its size.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from manual import Function, NotSupported, apply, laid_out, layout, only_floating, opmath

__all__ = ["Conv2d", "col2im", "conv2d", "conv2d_input", "im2col"]


def pair(v: int | tuple) -> tuple:
    """An int or a pair as a pair, as torch reads kernel_size, stride, padding, dilation."""
    return (v, v) if isinstance(v, int) else tuple(v)


def out_size(size: int, k: int, stride: int = 1, pad: int = 0, dilation: int = 1,
             pad_after: int | None = None, ceil_mode: bool = False) -> int:
    """How many windows of k entries, d apart, fit along an axis of ``size`` padded by
    ``pad`` (and ``pad_after`` at the end, default the same) at steps of ``stride``:

        floor((size + pads - d(k - 1) - 1) / stride) + 1

    or the ceiling with ``ceil_mode``, whose last window must still start inside the input
    or its first padding (torch's pooling rule)."""
    pad_after = pad if pad_after is None else pad_after
    span = size + pad + pad_after - dilation * (k - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def pad(x: torch.Tensor, top: int, bottom: int, left: int, right: int, value: float = 0
       ) -> torch.Tensor:
    """A border of ``value`` (zeros by default) around the last two dims; a negative amount
    crops instead. Built by concatenation rather than written into a fresh tensor, so that
    torch.vmap can batch it."""
    if min(top, bottom, left, right) < 0:
        H, W = x.shape[-2:]
        x = x.narrow(-2, max(-top, 0), H - max(-top, 0) - max(-bottom, 0))
        x = x.narrow(-1, max(-left, 0), W - max(-left, 0) - max(-right, 0))
    top, bottom, left, right = (max(p, 0) for p in (top, bottom, left, right))
    if top or bottom:
        edge = x.new_full((*x.shape[:-2], 1, x.shape[-1]), value)
        x = torch.cat([edge.expand(*x.shape[:-2], top, -1), x,
                       edge.expand(*x.shape[:-2], bottom, -1)], -2)
    if left or right:
        edge = x.new_full((*x.shape[:-1], 1), value)
        x = torch.cat([edge.expand(*x.shape[:-1], left), x, edge.expand(*x.shape[:-1], right)],
                      -1)
    return x


def _spread(g, s, dim):
    """s - 1 zeros after every entry of g along ``dim`` but the last (a stride undone)."""
    if s == 1:
        return g
    spaced = torch.stack([g] + [torch.zeros_like(g)] * (s - 1), dim + 1)
    shape = (*g.shape[:dim], g.shape[dim] * s, *g.shape[dim + 1:])
    return spaced.reshape(shape).narrow(dim, 0, (g.shape[dim] - 1) * s + 1)


def _patches(x, kernel, dilation, pads, stride):
    """(N, C, H, W) -> (N, C, kh, kw, oh, ow): every patch, as a strided view (no copy but
    the padding). Entry [n, c, u, v, i, j] is x_padded[n, c, i*s + u*d, j*s + v*d]."""
    (kh, kw), (dh, dw), (sh, sw) = kernel, dilation, stride
    top, bottom, left, right = pads
    N, C, H, W = x.shape
    oh = out_size(H, kh, sh, top, dh, bottom)
    ow = out_size(W, kw, sw, left, dw, right)
    if oh < 1 or ow < 1:
        raise ValueError(f"im2col: kernel {kernel} does not fit the padded input {H}x{W}")
    xp = pad(x, *pads) if any(pads) else x.contiguous()
    sN, sC, sH, sW = xp.stride()
    # kernel offset (u, v) moves by the dilation, output position (i, j) by the stride
    return xp.as_strided((N, C, kh, kw, oh, ow), (sN, sC, dh * sH, dw * sW, sh * sH, sw * sW))


def _fold_patches(patches, size, dilation, pads, stride):
    """(N, C, kh, kw, oh, ow) -> (N, C, H, W): the adjoint of _patches, every entry added
    back to the pixel it was copied from, overlaps summed: entry [n, c, u, v, i, j] goes to
    padded pixel (i*s + u*d, j*s + v*d), all of them in one scatter_add."""
    N, C, kh, kw, oh, ow = patches.shape
    (dh, dw), (sh, sw) = dilation, stride
    top, bottom, left, right = pads
    H, W = size
    Hp, Wp = H + top + bottom, W + left + right
    device = patches.device
    rows = torch.arange(kh, device=device)[:, None] * dh + torch.arange(oh, device=device) * sh
    cols = torch.arange(kw, device=device)[:, None] * dw + torch.arange(ow, device=device) * sw
    flat = (rows[:, None, :, None] * Wp + cols[None, :, None, :]).reshape(1, 1, -1)
    xp = patches.new_zeros(N, C, Hp * Wp).scatter_add(2, flat.expand(N, C, -1),
                                                       patches.reshape(N, C, flat.shape[-1]))
    xp = xp.reshape(N, C, Hp, Wp)
    if any(pads):
        xp = xp.narrow(2, top, H).narrow(3, left, W)
    # (an empty view keeps the padded buffer's strides through contiguous(), where torch's
    # empty result has its own: a fresh one)
    return xp.contiguous() if xp.numel() else patches.new_zeros(N, C, H, W)


def _unfold(x, kernel, dilation, pads, stride):
    """(N, C, H, W) -> (N, C*kh*kw, L): every patch as a column, F.unfold's layout."""
    p = _patches(x, kernel, dilation, pads, stride)
    N, C, kh, kw, oh, ow = p.shape
    return p.reshape(N, C * kh * kw, oh * ow)  # explicit sizes: N may be 0


def _fold(cols, size, kernel, dilation, pads, stride):
    """(N, C*kh*kw, L) -> (N, C, H, W): F.fold's layout, the adjoint of _unfold."""
    (kh, kw), (dh, dw), (sh, sw) = kernel, dilation, stride
    oh = out_size(size[0], kh, sh, pads[0], dh, pads[1])
    ow = out_size(size[1], kw, sw, pads[2], dw, pads[3])
    N, CKK, L = cols.shape
    if CKK % (kh * kw) or L != oh * ow:
        raise ValueError(f"col2im: input of shape {tuple(cols.shape)} does not fit output "
                         f"{size[0]}x{size[1]} with kernel {kernel}: expected "
                         f"(N, C*{kh * kw}, {oh * ow})")
    patches = cols.reshape(N, CKK // (kh * kw), kh, kw, oh, ow)
    return _fold_patches(patches, size, dilation, pads, stride)


def _symmetric(padding):
    ph, pw = pair(padding)
    return ph, ph, pw, pw


class Im2col(Function):
    @staticmethod
    def forward(x, kernel, dilation, pads, stride):
        return _unfold(x, kernel, dilation, pads, stride)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, *ctx.window = inputs
        ctx.size = tuple(x.shape[-2:])

    @staticmethod
    def backward(ctx, grad):
        # im2col copies each pixel into several columns; its adjoint sums them back: col2im
        # (whose own derivative is im2col again: the two are each other's adjoint)
        return apply(Col2im, grad, ctx.size, *ctx.window), None, None, None, None

    @staticmethod
    def jvp(ctx, tangent, *_):
        # im2col is linear: its derivative in the direction v is im2col of v
        return apply(Im2col, tangent, *ctx.window)


class Col2im(Function):
    @staticmethod
    def forward(cols, size, kernel, dilation, pads, stride):
        return _fold(cols, size, kernel, dilation, pads, stride)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.size, *ctx.window = inputs[1:]

    @staticmethod
    def backward(ctx, grad):
        # col2im sums columns into pixels; its adjoint copies each pixel back to every column
        return apply(Im2col, grad, *ctx.window), None, None, None, None, None

    @staticmethod
    def jvp(ctx, tangent, *_):
        # col2im is linear too: col2im of v
        return apply(Col2im, tangent, ctx.size, *ctx.window)


def im2col(input: torch.Tensor, kernel_size: int | tuple, dilation: int | tuple = 1,
           padding: int | tuple | str = 0, stride: int | tuple = 1) -> torch.Tensor:
    """F.unfold by hand: (N, C, H, W) -> (N, C*kh*kw, L); unbatched (C, H, W) -> (C*kh*kw, L)."""
    if input.dim() == 3:
        return im2col(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    if input.dim() != 4:
        raise ValueError(f"im2col: expected (N, C, H, W) or (C, H, W), got {tuple(input.shape)}")
    only_floating("im2col", input, but=(torch.complex128, torch.complex64, torch.bool))
    return apply(Im2col, input, pair(kernel_size), pair(dilation), _symmetric(padding),
                        pair(stride))


def col2im(input: torch.Tensor, output_size: int | tuple, kernel_size: int | tuple,
           dilation: int | tuple = 1, padding: int | tuple | str = 0, stride: int | tuple = 1
          ) -> torch.Tensor:
    """F.fold by hand: (N, C*kh*kw, L) -> (N, C, H, W), overlapping entries summed;
    unbatched (C*kh*kw, L) -> (C, H, W)."""
    if input.dim() == 2:
        return col2im(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                      stride).squeeze(0)
    if input.dim() != 3:
        raise ValueError(f"col2im: expected (N, C*kh*kw, L) or (C*kh*kw, L), got "
                         f"{tuple(input.shape)}")
    return apply(Col2im, input, pair(output_size), pair(kernel_size), pair(dilation),
                        _symmetric(padding), pair(stride))


def responses(x: torch.Tensor, weight: torch.Tensor, stride: tuple, pads: tuple, dilation: tuple,
              groups: int) -> torch.Tensor:
    """(N, O, oh, ow): every kernel's response at every position, kernels @ cols, group by
    group: the columns (N, G, C/G*kh*kw, L) of each image times the kernels (G, O/G, ...)."""
    O, Cg, kh, kw = weight.shape
    N = x.shape[0]
    cols = _patches(x, (kh, kw), dilation, pads, stride)  # (N, C, kh, kw, oh, ow)
    oh, ow = cols.shape[-2:]
    kernels = weight.reshape(groups, O // groups, Cg * kh * kw)  # one kernel per row
    return (kernels @ cols.reshape(N, groups, Cg * kh * kw, oh * ow)).reshape(N, O, oh, ow)


class Conv2dFunction(Function):
    """The columns are laid out (N, C*kh*kw, L), F.unfold's, so the responses of every image
    are one batched matrix product and come out (N, O, L): NCHW, no copy. With ``groups`` G
    the channels split into G independent convolutions: channel group j of the input meets
    only the kernels of output group j, so the product is G products at once."""

    @staticmethod
    def forward(x, weight, bias, stride, pads, dilation, groups):
        out = responses(x, weight, stride, pads, dilation, groups)
        if bias is not None:
            out += bias.reshape(-1, 1, 1)
        return laid_out(out, conv_layout(x, weight))

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, weight, bias, *ctx.window = inputs  # stride, pads, dilation, groups
        ctx.save_for_backward(x, weight)
        ctx.save_for_forward(x, weight)
        ctx.has_bias, ctx.shape = bias is not None, output.shape

    @staticmethod
    def backward(ctx, grad):
        # out_j = W_j cols_j + b_j, group by group:
        #   dE/dx   = the upstream gradient convolved with the flipped kernel (conv2d_input)
        #   dE/dW_j = g_j cols_j^T: the input correlated with the upstream gradient
        #   dE/db   = sum g
        # (complex: conj(W) and conj(cols), torch's convention). Both are written with the
        # manual convolution and im2col, so their own derivatives follow from those.
        x, weight = ctx.saved_tensors
        stride, pads, dilation, groups = ctx.window
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_x = laid_out(input_grad(Conv2dFunction, x.shape, weight.conj(), grad, stride,
                                         pads[::2], dilation, groups), conv_layout(x, weight))
        if ctx.needs_input_grad[1]:
            N, O = x.shape[0], weight.shape[0]
            g = grad.reshape(N, groups, O // groups, -1)  # (N, G, O/G, L)
            # (the columns from Im2col: in a backward that is itself differentiated, their
            # derivative is col2im)
            cols = apply(Im2col, x, weight.shape[-2:], dilation, pads, stride)
            cols = cols.reshape(N, groups, -1, cols.shape[-1])  # (N, G, K, L)
            # image n's g_n cols_n^T, (N, G, O/G, K), then the sum over the images
            per_image = g @ cols.conj().transpose(-1, -2)
            grad_w = laid_out(per_image.sum(0).reshape(weight.shape), conv_layout(x, weight))
        grad_b = grad.sum((0, 2, 3)) if ctx.has_bias else None
        return grad_x, grad_w, grad_b, None, None, None, None

    @staticmethod
    def jvp(ctx, x_t, weight_t, bias_t, *_):
        # out = conv(x, W) + b is linear in each of x, W and b, so its derivative in the
        # direction (dx, dW, db) is conv(dx, W) + conv(x, dW) + db
        x, weight = ctx.saved_tensors
        out = torch.zeros((), dtype=x.dtype, device=x.device)
        if x_t is not None:
            out = out + apply(Conv2dFunction, x_t, weight, None, *ctx.window)
        if weight_t is not None:
            out = out + apply(Conv2dFunction, x, weight_t, None, *ctx.window)
        if bias_t is not None:
            out = out + bias_t.reshape(-1, 1, 1)
        return laid_out(out.expand(ctx.shape), conv_layout(x, weight))


def conv_layout(x: torch.Tensor, weight: torch.Tensor) -> torch.memory_format:
    """torch's convolution answers in channels_last where the input or the kernels are."""
    return (torch.channels_last if torch.channels_last in (layout(x), layout(weight))
            else torch.contiguous_format)


def _conv_pads(padding, kernel, dilation, stride):
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        if stride != (1, 1):
            raise ValueError("conv2d: padding='same' needs stride 1, as in torch")
        # total d(k-1) per axis; an odd total puts the extra row/column at the bottom/right
        (th, tw) = (dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1))
        return th // 2, th - th // 2, tw // 2, tw - tw // 2
    if isinstance(padding, str):
        raise ValueError(f"conv2d: padding must be an int, a pair, 'same' or 'valid', "
                         f"got {padding!r}")
    return _symmetric(padding)


def conv2d(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int | tuple = 1, padding: int | tuple | str = 0, dilation: int | tuple = 1,
           groups: int = 1) -> torch.Tensor:
    """Cross-correlation of (N, C, H, W), or unbatched (C, H, W), with kernels
    (O, C/groups, kh, kw), as torch's conv2d."""
    return convolve(Conv2dFunction, input, weight, bias, stride, padding, dilation, groups)


def convolve(function: type, input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
             stride: int | tuple, padding: int | tuple | str, dilation: int | tuple, groups: int
            ) -> torch.Tensor:
    """conv2d's arguments checked and read as torch reads them, then the convolution by
    the autograd Function ``function``."""
    if input.dim() == 3:  # unbatched: a batch of one
        return convolve(function, input.unsqueeze(0), weight, bias, stride, padding, dilation,
                        groups).squeeze(0)
    if not (isinstance(groups, int) and groups >= 1):
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    only_floating("conv2d", input, but=(torch.complex128, torch.complex64, torch.int64))
    O = weight.shape[0] if weight.dim() else 0
    if (input.dim() != 4 or weight.dim() != 4 or input.shape[1] != weight.shape[1] * groups
            or input.shape[1] % groups or O % groups):
        raise ValueError(f"conv2d: input {tuple(input.shape)} and weight "
                         f"{tuple(weight.shape)} do not fit (N, C, H, W) and "
                         f"(O, C/groups, kh, kw) with groups={groups}")
    if bias is not None and tuple(bias.shape) != (O,):
        raise ValueError(f"conv2d: bias must have shape ({O},), got {tuple(bias.shape)}")
    stride, dilation = pair(stride), pair(dilation)
    pads = _conv_pads(padding, weight.shape[-2:], dilation, stride)
    x, result = opmath(input, promote_integers=False)
    weight, bias = weight.to(x.dtype), None if bias is None else bias.to(x.dtype)
    return apply(function, x, weight, bias, stride, pads, dilation, groups).to(result)


def input_grad(function: type, input_size: tuple, weight: torch.Tensor, grad_output: torch.Tensor,
               stride: tuple, top_left: tuple, dilation: tuple, groups: int) -> torch.Tensor:
    """dE/dx of conv2d as a convolution (by the autograd Function ``function``, this file's
    or the fast one's): the upstream gradient, dilated by the stride (s - 1
    zeros between entries) and padded by d(k-1) - p before and by whatever reaches the input's
    end after, correlated with the flipped kernel, transposed group by group (the kernels
    (O, C/G) become (C, O/G)). Only the padding before the input matters: the padding after
    it only says how many responses there are, and grad_output has them."""
    (sh, sw), (ph, pw), (dh, dw) = stride, top_left, dilation
    H, W = input_size[-2:]
    O, Cg, kh, kw = weight.shape
    N, _, oh, ow = grad_output.shape
    g = _spread(_spread(grad_output, sh, 2), sw, 3)  # s - 1 zeros between entries
    pads = (dh * (kh - 1) - ph, H + ph - (oh - 1) * sh - 1,
            dw * (kw - 1) - pw, W + pw - (ow - 1) * sw - 1)
    # where the padding reaches beyond the kernel, the amount is negative: a crop (a view)
    g = pad(g, *(min(p, 0) for p in pads))
    flipped = weight.flip(2, 3)  # each kernel rotated 180 degrees
    flipped = flipped.reshape(groups, O // groups, Cg, kh, kw).transpose(1, 2)
    return apply(function, g, flipped.reshape(groups * Cg, O // groups, kh, kw), None,
                 (1, 1), tuple(max(p, 0) for p in pads), (dh, dw), groups)


def conv2d_input(input_size: tuple, weight: torch.Tensor, grad_output: torch.Tensor,
                 stride: int | tuple = 1, padding: int | tuple = 0, dilation: int | tuple = 1,
                 groups: int = 1) -> torch.Tensor:
    """torch.nn.grad.conv2d_input by hand: dE/dx of conv2d as a convolution (see above)."""
    g, result = opmath(grad_output, promote_integers=False)
    return input_grad(Conv2dFunction, input_size, weight.to(g.dtype), g, pair(stride),
                      pair(padding), pair(dilation), groups).to(result)


class Conv2d(nn.Module):
    """``out_channels`` kernels of size kh x kw over ``in_channels`` channels.

    Initialization is torch's: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C*kh*kw.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__()
        if padding_mode != "zeros":
            raise NotSupported("Conv2d", "padding_mode", f"padding_mode={padding_mode!r}",
                               "only 'zeros'")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = pair(kernel_size), pair(stride)
        self.padding = padding if isinstance(padding, str) else pair(padding)
        self.dilation = pair(dilation)
        factory = {"device": device, "dtype": dtype}
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = nn.Parameter(torch.empty(shape, **factory))
        self.bias = nn.Parameter(torch.empty(out_channels, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        fan_in = self.in_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]
        bound = 1 / math.sqrt(fan_in)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")
