"""``handgrad bench``: the speed of the manual ops against the built-ins, as ratios.

Each pair is timed in the same run, alternating manual and built-in round by round so that
a machine that speeds up or slows down affects both; the figure is the median round.
"""
import json
import statistics
import time

import torch
from tqdm import tqdm

from crosscheck.proof.backends import MANUAL, TORCH
from crosscheck.proof.harness import devices
from manual import optim
from torch_ref import optim as ref_optim
from torch_ref.model import CNN


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def _time(fn, device):
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def conv_case(shape, out_channels, device):
    x = torch.randn(shape, device=device, requires_grad=True)
    w = torch.randn(out_channels, shape[1], 3, 3, device=device, requires_grad=True)
    b = torch.randn(out_channels, device=device, requires_grad=True)
    return lambda ops: lambda: ops.conv2d(x, w, b, padding=1).sum().backward()


def pool_case(shape, device):
    x = torch.randn(shape, device=device, requires_grad=True)
    return lambda ops: lambda: ops.max_pool2d(x, 2).sum().backward()


def train_step_case(batch, device, compiled=False):
    """One CNN training step; ``compiled``: the manual side's loss (forward and backward)
    and optimizer step each compiled whole (fullgraph=True: a graph break is an error),
    the built-in side eager."""
    x = torch.randn(batch, 1, 28, 28, device=device)
    y = torch.randint(0, 10, (batch,), device=device)

    def make(ops):
        torch.manual_seed(0)
        model = CNN(ops).to(device)
        opt = (optim.Adam if ops is MANUAL else ref_optim.Adam)(model.parameters())
        loss, update = model.loss, opt.step
        if compiled and ops is MANUAL:
            torch.compiler.reset()
            loss, update = (torch.compile(f, fullgraph=True) for f in (loss, update))

        def step():
            opt.zero_grad()  # zeroed, not None: the compiled step sees the same tensors
            loss(x, y).backward()
            update()
        return step
    return make


def cases(batch, device):
    """(label, factory): a factory turns an ops backend into a function to time. The
    shapes are those of the default CNN's layers."""
    return [
        (f"conv2d fwd+bwd {batch}x1x28x28 -> 32", conv_case((batch, 1, 28, 28), 32, device)),
        (f"conv2d fwd+bwd {batch}x32x14x14 -> 64", conv_case((batch, 32, 14, 14), 64, device)),
        (f"max_pool2d fwd+bwd {batch}x32x28x28", pool_case((batch, 32, 28, 28), device)),
        (f"CNN train step (batch {batch}, Adam)", train_step_case(batch, device)),
        ("CNN train step, manual compiled", train_step_case(batch, device, compiled=True)),
    ]


def measure(factory, device, rounds, warmup=3):
    """The median round of each side, and each side's first call (a compile happens there)."""
    fns = {"manual": factory(MANUAL), "torch": factory(TORCH)}
    first = {name: _time(fn, device) for name, fn in fns.items()}
    for _ in range(warmup - 1):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            times[name].append(_time(fn, device))
    return {name: statistics.median(t) for name, t in times.items()}, first


def run(args):
    chosen = devices() if args.device == "all" else [args.device]
    rows = []
    for device in chosen:
        if device == "cuda":
            torch.backends.cudnn.benchmark = True
        bar = tqdm(cases(args.batch_size, device), desc=f"bench {device}", leave=False,
                   disable=None)  # no bar where stderr is not a terminal
        for label, factory in bar:
            t, first = measure(factory, device, args.rounds)
            rows.append({"case": label, "device": device, "manual_ms": t["manual"] * 1e3,
                         "torch_ms": t["torch"] * 1e3, "ratio": t["manual"] / t["torch"],
                         "manual_first_call_s": first["manual"]})
    width = max(len(r["case"]) for r in rows)
    print(f"{'case':<{width}}  device  manual ms  torch ms  manual/torch  manual 1st call s")
    for r in rows:
        print(f"{r['case']:<{width}}  {r['device']:<6}  {r['manual_ms']:9.2f}  "
              f"{r['torch_ms']:8.2f}  {r['ratio']:11.2f}x  {r['manual_first_call_s']:17.2f}")
    print("compiled: the manual loss (forward and backward) and Adam step, each "
          "torch.compile(fullgraph=True), against the built-in step eager; its first call "
          "compiles")
    print(f"threads: {torch.get_num_threads()}, torch {torch.__version__}"
          + (f", {torch.cuda.get_device_name()}" if "cuda" in chosen else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0
