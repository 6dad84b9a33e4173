"""``handgrad bench``: the speed of the manual ops against the built-ins, as ratios.

Each pair is timed in the same run, alternating manual and built-in round by round so that
a machine that speeds up or slows down affects both. A round's ratio is manual / built-in
in that round; the figure is the median round, and the spread the middle half of the
rounds' ratios (25th to 75th percentile).

The cases are the default CNN's pieces at its shapes, each part alone (a forward; a
backward with the graph built outside the timing; one optimizer step), then the whole
training step.
"""
import json
import statistics
import time

import torch
from tqdm import tqdm

from crosscheck.proof.checks.harness import devices
from crosscheck.proof.checks.torch_errata import cannot_compile
from crosscheck.proof.records.backends import MANUAL, TORCH
from manual import optim
from torch_ref import optim as ref_optim
from torch_ref.errors import HandgradError
from torch_ref.model import CNN


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def _time(prepare, device):
    """Seconds of the function ``prepare()`` returns (the preparing is not timed)."""
    fn = prepare()
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def _randn(shape, device, grad=False):
    return torch.randn(shape, device=device).requires_grad_(grad)


def conv_case(part, shape, out_channels, device):
    """One conv layer (3x3, padding 1): its forward, the input gradient alone, or the
    weight and bias gradients alone (as the first layer, whose input needs none)."""
    wants_x, wants_w = part in ("forward", "input grad"), part in ("forward", "weight grad")
    x = _randn(shape, device, wants_x)
    w = _randn((out_channels, shape[1], 3, 3), device, wants_w)
    b = _randn(out_channels, device, wants_w)
    if part == "forward":
        return lambda ops: lambda: lambda: ops.conv2d(x, w, b, padding=1)
    g = torch.randn(shape[0], out_channels, *shape[2:], device=device)
    return lambda ops: lambda: _backward(ops.conv2d(x, w, b, padding=1), g)


def _backward(out, grad):
    return lambda: out.backward(grad)


def pool_case(part, shape, device):
    x = _randn(shape, device, part == "backward")
    if part == "forward":
        return lambda ops: lambda: lambda: ops.max_pool2d(x, 2)
    g = torch.randn(*shape[:2], shape[2] // 2, shape[3] // 2, device=device)
    return lambda ops: lambda: _backward(ops.max_pool2d(x, 2), g)


def relu_backward_case(shape, device):
    x, g = _randn(shape, device, True), torch.randn(shape, device=device)
    return lambda ops: lambda: _backward(ops.relu(x), g)


def _model_and_adam(ops, device):
    torch.manual_seed(0)
    model = CNN(ops).to(device)
    return model, (optim.Adam if ops is MANUAL else ref_optim.Adam)(model.parameters())


def adam_case(device):
    """One Adam step on the CNN's parameters, past the first (its state exists)."""
    def make(ops):
        model, opt = _model_and_adam(ops, device)
        for p in model.parameters():
            p.grad = torch.randn_like(p)
        opt.step()
        return lambda: opt.step
    return make


def train_step_case(batch, device, compiled=False):
    """One CNN training step; ``compiled``: the manual side's loss (forward and backward)
    and optimizer step each compiled whole (fullgraph=True: a graph break is an error),
    the built-in side eager."""
    x = torch.randn(batch, 1, 28, 28, device=device)
    y = torch.randint(0, 10, (batch,), device=device)

    def make(ops):
        model, opt = _model_and_adam(ops, device)
        loss, update = model.loss, opt.step
        if compiled and ops is MANUAL:
            torch.compiler.reset()
            loss, update = (torch.compile(f, fullgraph=True) for f in (loss, update))

        def step():
            opt.zero_grad()  # zeroed, not None: the compiled step sees the same tensors
            loss(x, y).backward()
            update()
        return lambda: step
    return make


def cases(batch, device, compiled):
    """(label, factory): a factory turns an ops backend into a function that prepares one
    round and returns what to time. The shapes are those of the default CNN's layers."""
    layers = [("conv1", (batch, 1, 28, 28), 32), ("conv2", (batch, 32, 14, 14), 64)]
    pools = [("pool1", (batch, 32, 28, 28)), ("pool2", (batch, 64, 14, 14))]
    found = [(f"{name} {part} {shape[1]}->{o}", conv_case(part, shape, o, device))
             for name, shape, o in layers for part in ("forward", "input grad", "weight grad")]
    found += [(f"{name} max_pool2d {part} {shape[1]}x{shape[2]}x{shape[3]}",
               pool_case(part, shape, device))
              for name, shape in pools for part in ("forward", "backward")]
    found += [(f"relu backward {batch}x32x28x28", relu_backward_case((batch, 32, 28, 28),
                                                                      device)),
              ("Adam step (the CNN's parameters)", adam_case(device)),
              (f"CNN train step (batch {batch}, Adam)", train_step_case(batch, device))]
    if compiled:
        found.append(("CNN train step, manual compiled", train_step_case(batch, device, True)))
    return found


def measure(factory, device, rounds, warmup=3):
    """Each round's seconds per side, and each side's first call (a compile happens there)."""
    fns = {"manual": factory(MANUAL), "torch": factory(TORCH)}
    first = {name: _time(fn, device) for name, fn in fns.items()}
    for _ in range(warmup - 1):
        for fn in fns.values():
            fn()()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            times[name].append(_time(fn, device))
    return times, first


def row(label, device, times, first):
    ratios = sorted(m / t for m, t in zip(times["manual"], times["torch"]))
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return {"case": label, "device": device,
            "manual_ms": statistics.median(times["manual"]) * 1e3,
            "torch_ms": statistics.median(times["torch"]) * 1e3,
            "ratio": statistics.median(ratios), "ratio_p25": quartiles[0],
            "ratio_p75": quartiles[-1], "rounds": len(ratios),
            "manual_first_call_s": first["manual"]}


def run(args):
    chosen = devices() if args.device == "all" else [args.device]
    if args.compiled and cannot_compile():
        raise HandgradError(f"--compiled: {cannot_compile()}")
    rows = []
    for device in chosen:
        if device == "cuda":
            torch.backends.cudnn.benchmark = True
        bar = tqdm(cases(args.batch_size, device, args.compiled), desc=f"bench {device}",
                   leave=False, disable=None)  # no bar where stderr is not a terminal
        for label, factory in bar:
            rows.append(row(label, device, *measure(factory, device, args.rounds)))
    width = max(len(r["case"]) for r in rows)
    print(f"{'case':<{width}}  device  manual ms  torch ms  manual/torch  (middle half)")
    for r in rows:
        print(f"{r['case']:<{width}}  {r['device']:<6}  {r['manual_ms']:9.2f}  "
              f"{r['torch_ms']:8.2f}  {r['ratio']:11.2f}x  "
              f"({r['ratio_p25']:.2f}-{r['ratio_p75']:.2f})")
    if args.compiled:
        print("compiled: the manual loss (forward and backward) and Adam step, each "
              "torch.compile(fullgraph=True), against the built-in step eager; its first "
              f"call (compiling) took {rows[-1]['manual_first_call_s']:.1f} s")
    print(f"medians of {args.rounds} alternating rounds; threads: {torch.get_num_threads()}, "
          f"torch {torch.__version__}"
          + (f", {torch.cuda.get_device_name()}" if "cuda" in chosen else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0
