"""The ``handgrad`` command line (also ``python -m crosscheck``)."""
import argparse
import sys

from torch_ref.errors import HandgradError


def _formatter(prog):
    return argparse.ArgumentDefaultsHelpFormatter(prog, max_help_position=32)


def add_check(sub):
    p = sub.add_parser("check", formatter_class=_formatter,
                       help="prove every manual piece equal to its torch twin")
    p.add_argument("--only", metavar="PATTERN", help="cases or groups matching a glob/substring")
    p.add_argument("--device", choices=["all", "cpu", "cuda"], default="all",
                   help="'all' is the CPU plus CUDA when available")
    p.add_argument("--dtype", choices=["all", "float64", "float32"], default="all")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    p.add_argument("--list", action="store_true", help="list the cases and exit")


def add_bench(sub):
    p = sub.add_parser("bench", formatter_class=_formatter,
                       help="time manual against built-in ops, as ratios from one run")
    p.add_argument("--device", choices=["all", "cpu", "cuda"], default="all",
                   help="'all' is the CPU plus CUDA when available")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--rounds", type=int, default=20, help="timed rounds per case")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="handgrad", description="Deep-learning notes derived by hand and proved against "
        "PyTorch.", formatter_class=_formatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_check(sub)
    add_bench(sub)
    return parser


def dispatch(args):
    if args.command == "check":
        from crosscheck import check
        from crosscheck.registry import REGISTRY
        return check.main(args, REGISTRY)
    if args.command == "bench":
        from crosscheck import bench
        require_device(args.device)
        return bench.main(args)
    raise AssertionError(args.command)


def require_device(device):
    import torch
    if device == "cuda" and not torch.cuda.is_available():
        raise HandgradError("--device cuda: CUDA is not available on this machine "
                            "(torch.cuda.is_available() is False); use --device cpu")


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return dispatch(args)
    except HandgradError as err:
        print(f"handgrad {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"handgrad {args.command}: interrupted", file=sys.stderr)
        return 130
