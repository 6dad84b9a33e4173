"""What crosses between the grader and a sandboxed submission: values as JSON with the raw
bytes of their tensors, never pickle (unpickling runs code; this only builds tensors).

One message: an 8-byte header (the JSON's length, the bytes' length), the JSON, the bytes.
A value is a number, a string, a bool, None, a list, or one of

    {"tensor": [dtype, shape, dims by stride, requires_grad, offset]}   its bytes in the blob
    {"tuple": [...]}  {"dict": [[key, value], ...]}  {"dtype": "float32"}  {"complex": [re, im]}
    {"record": [[field, value], ...]}   a dataclass's fields (read back as a namespace)

``decode`` takes nothing on trust: a dtype outside DTYPES, a shape whose size disagrees
with its bytes, too many values or too deep a nesting is a ``WireError``, as is a message
over its size limit. This module imports torch alone: it runs inside the sandbox too.
"""
import dataclasses
import json
import math
import struct
import types

import torch

DTYPES = {str(d)[6:]: d for d in (
    torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.complex128,
    torch.complex64, torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8,
    torch.bool)}
HEADER = struct.Struct("<II")
MOST_VALUES, DEEPEST = 100_000, 32


class WireError(ValueError):
    """A message that is not what the other side may send."""


def encode(value):
    """(JSON bytes, tensor bytes) of ``value``; a TypeError names what cannot be sent."""
    blobs, size = [], [0]

    def one(v):
        if isinstance(v, torch.Tensor):
            return _tensor(v, blobs, size)
        if isinstance(v, torch.dtype):
            return {"dtype": str(v)[6:]}
        if isinstance(v, complex):
            return {"complex": [v.real, v.imag]}
        if isinstance(v, (bool, int, float, str)) or v is None:
            return v
        if isinstance(v, (tuple, torch.Size)):
            return {"tuple": [one(x) for x in v]}
        if isinstance(v, list):
            return [one(x) for x in v]
        if isinstance(v, dict):
            return {"dict": [[one(k), one(x)] for k, x in v.items()]}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {"record": [[f.name, one(getattr(v, f.name))]
                               for f in dataclasses.fields(v)]}
        raise TypeError(f"a {type(v).__name__} cannot be sent to the sandbox")
    text = json.dumps(one(value), allow_nan=True).encode()
    return text, b"".join(blobs)


def _tensor(t, blobs, size):
    if t.layout != torch.strided or t.dtype not in DTYPES.values():
        raise TypeError(f"a {t.layout} {t.dtype} tensor cannot be sent to the sandbox")
    requires_grad, t = t.requires_grad, t.detach().cpu()
    # the dims from the largest stride down: channels_last comes back channels_last
    order = list(range(t.dim())) if t.is_contiguous() else \
        sorted(range(t.dim()), key=lambda d: -t.stride(d))
    flat = t.permute(order).contiguous() if order != sorted(order) else t.contiguous()
    data = flat.reshape(-1).view(torch.uint8).numpy().tobytes() if flat.numel() else b""
    blobs.append(data)
    size[0] += len(data)
    return {"tensor": [str(t.dtype)[6:], list(t.shape), order, requires_grad,
                       size[0] - len(data)]}


def decode(text, blob):
    """The value of a message, checked: a WireError where it is malformed."""
    try:
        tree = json.loads(text)
    except ValueError as err:
        raise WireError(f"not JSON ({err})") from None
    count = [0]

    def one(v, depth):
        count[0] += 1
        if count[0] > MOST_VALUES or depth > DEEPEST:
            raise WireError("too many values, or nested too deep")
        if isinstance(v, (bool, int, float, str)) or v is None:
            return v
        if isinstance(v, list):
            return [one(x, depth + 1) for x in v]
        if not (isinstance(v, dict) and len(v) == 1):
            raise WireError(f"not a value: {str(v)[:60]}")
        (kind, body), = v.items()
        if kind == "tensor":
            return _untensor(body, blob)
        if kind == "tuple" and isinstance(body, list):
            return tuple(one(x, depth + 1) for x in body)
        if kind == "dict" and isinstance(body, list):
            return {_key(one(k, depth + 1)): one(x, depth + 1) for k, x in map(_pair, body)}
        if kind == "record" and isinstance(body, list):  # a dataclass's fields, as data
            return types.SimpleNamespace(**{_field(k): one(x, depth + 1)
                                            for k, x in map(_pair, body)})
        if kind == "dtype" and body in DTYPES:
            return DTYPES[body]
        if kind == "complex" and isinstance(body, list) and len(body) == 2:
            return complex(*(float(x) for x in body))
        raise WireError(f"not a value: {kind}")
    return one(tree, 0)


def _pair(item):
    if not (isinstance(item, list) and len(item) == 2):
        raise WireError("a dict item that is not a [key, value] pair")
    return item


def _field(k):
    if not (isinstance(k, str) and k.isidentifier()):
        raise WireError("a record's field that is not a name")
    return k


def _key(k):
    if isinstance(k, (list, dict)):
        raise WireError("an unhashable dict key")
    return k


def _untensor(body, blob):
    try:
        name, shape, order, requires_grad, offset = body
        dtype = DTYPES[name]
        assert all(isinstance(n, int) and n >= 0 for n in shape)
        assert sorted(order) == list(range(len(shape))) and isinstance(offset, int)
    except (ValueError, TypeError, KeyError, AssertionError):
        raise WireError(f"not a tensor: {str(body)[:80]}") from None
    nbytes = math.prod(shape) * dtype.itemsize
    if not 0 <= offset <= offset + nbytes <= len(blob):
        raise WireError("a tensor's bytes are not in the message")
    stored = [shape[d] for d in order]
    if nbytes:
        flat = torch.frombuffer(bytearray(blob[offset:offset + nbytes]), dtype=torch.uint8)
        t = flat.view(dtype).reshape(stored)
    else:
        t = torch.empty(stored, dtype=dtype)
    if order != sorted(order):
        t = t.permute([order.index(d) for d in range(len(shape))])
    return t.requires_grad_() if requires_grad and (t.is_floating_point() or t.is_complex()) \
        else t


def tensors(value):
    """The tensors in a value, in the order encode sends them (lists, tuples, dicts)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensors(v)]
    return []


def send(stream, value):
    text, blob = encode(value)
    stream.write(HEADER.pack(len(text), len(blob)) + text + blob)
    stream.flush()


def receive(stream, most_bytes):
    """The next value from ``stream``; EOFError where it ended; WireError where a message
    is larger than ``most_bytes`` or malformed."""
    head = _exactly(stream, HEADER.size)
    n_text, n_blob = HEADER.unpack(head)
    if n_text + n_blob > most_bytes:
        raise WireError(f"a message of {n_text + n_blob} bytes (at most {most_bytes})")
    return decode(_exactly(stream, n_text), _exactly(stream, n_blob))


def _exactly(stream, n):
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data
