"""The ``handgrad`` command line (also ``python -m crosscheck``)."""
import argparse
import importlib
import sys

from torch_ref.cnn.optimizers import OPTIMIZERS, default_lrs
from torch_ref.errors import HandgradError


class _Formatter(argparse.HelpFormatter):
    """Every flag's help ends with its default, as in pytorch/examples."""

    def __init__(self, prog):
        super().__init__(prog, max_help_position=32)

    def _get_help_string(self, action):
        text, default = action.help or "", action.default
        if "(default" in text or any(default is v for v in (None, False, argparse.SUPPRESS)):
            return text
        if isinstance(default, tuple):
            default = ",".join(map(str, default))
        return f"{text} (default: {default})"


_formatter = _Formatter


def command(name):
    """The run(args) of crosscheck/commands/<name>.py, imported only when that command runs
    (so that `handgrad check` never loads the trainer, nor `train` the proof)."""
    return lambda args: importlib.import_module(f"crosscheck.commands.{name}").run(args)


def add_check(sub):
    p = sub.add_parser("check", formatter_class=_formatter,
                       help="prove every manual piece equal to its torch twin")
    p.add_argument("--only", metavar="PATTERN", help="cases or groups matching a glob/substring")
    p.add_argument("--device", choices=["all", "cpu", "cuda"], default="all",
                   help="'all' is the CPU plus CUDA when available")
    p.add_argument("--dtype", choices=["all", "float64", "float32"], default="all",
                   help="which precisions")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.set_defaults(run=command("check"))


def add_bench(sub):
    p = sub.add_parser("bench", formatter_class=_formatter,
                       help="time manual against built-in ops, as ratios from one run")
    p.add_argument("--device", choices=["all", "cpu", "cuda"], default="all",
                   help="'all' is the CPU plus CUDA when available")
    p.add_argument("--batch-size", type=int, default=128, help="images per step")
    p.add_argument("--rounds", type=int, default=20, help="timed rounds per case")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    p.set_defaults(run=command("bench"))


OPTIMIZER_NAMES = tuple(OPTIMIZERS)


def optimizer_spec(text):
    """'adam', 'adam:manual' or 'adam:torch' -> ('adam', side or None)."""
    name, _, side = text.partition(":")
    if name not in OPTIMIZER_NAMES:
        raise argparse.ArgumentTypeError(f"unknown optimizer {name!r}; choose from "
                                         f"{', '.join(OPTIMIZER_NAMES)}")
    if side not in ("", "manual", "torch"):
        raise argparse.ArgumentTypeError(f"optimizer side must be manual or torch, got {side!r}")
    return name, side or None


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def channels(text):
    try:
        c1, c2 = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two widths like 16,32, got {text!r}") from None
    return c1, c2


def add_data_flags(p):
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist",
                   help="which data set")
    p.add_argument("--data-dir", default="data", help="where the IDX files are or go")
    p.add_argument("--batch-size", type=positive_int, default=128, help="images per step")
    p.add_argument("--val-size", type=int, default=5000, help="images held out for validation")
    p.add_argument("--train-size", type=positive_int, default=None,
                   help="train on this many images only (default: all the rest)")
    p.add_argument("--epochs", type=positive_int, default=3, help="passes over the data")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="auto: CUDA when available")
    p.add_argument("--seed", type=int, default=0, help="initialization, split and order")
    p.add_argument("--channels", type=channels, default=(32, 64), metavar="C1,C2",
                   help="output channels of the two convs")
    p.add_argument("--hidden", type=int, default=128, help="hidden units (0: none)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="parameter and data precision")
    p.add_argument("--dry-run", action="store_true", help="three batches per split, for a "
                   "smoke test")


def add_train(sub):
    p = sub.add_parser("train", formatter_class=_formatter,
                       help="train the CNN, logging to TensorBoard")
    add_data_flags(p)
    p.add_argument("--impl", choices=["torch", "manual"], default="torch",
                   help="which ops the CNN runs on")
    p.add_argument("--optimizer", type=optimizer_spec, default=("adam", None),
                   metavar="NAME[:manual|:torch]",
                   help=f"one of {', '.join(OPTIMIZER_NAMES)}; the side defaults to "
                   "--impl's (default: adam)")
    p.add_argument("--lr", type=float, default=None,
                   help=f"learning rate (default: per optimizer: {default_lrs()})")
    p.add_argument("--warmup-steps", type=int, default=0,
                   help="linear warm-up from 0.1 x lr over this many steps")
    p.add_argument("--weight-decay", type=float, default=0.0, help="L2 penalty")
    p.add_argument("--early-stop-patience", type=int, default=None,
                   help="stop after this many epochs without a better validation loss, "
                   "and restore the best parameters (default: off)")
    p.add_argument("--logdir", default=None,
                   help="(default: runs/<dataset>-<impl>-<optimizer>-<time>)")
    p.add_argument("--resume", metavar="CHECKPOINT", default=None,
                   help="continue a run from its checkpoint.pt")
    p.set_defaults(run=command("train"))


def add_compare(sub):
    p = sub.add_parser("compare", formatter_class=_formatter,
                       help="optimizer curves: one run per optimizer and implementation")
    add_data_flags(p)
    p.add_argument("--optimizers", default=",".join(OPTIMIZER_NAMES),
                   help="comma-separated names")
    p.add_argument("--impl", choices=["manual", "torch", "both"], default="both",
                   help="which ops and optimizers")
    p.add_argument("--lr", default=None, metavar="NAME=LR,...",
                   help="learning rates, e.g. adam=1e-3,sgd=0.05 (default: per optimizer)")
    p.add_argument("--logdir", default=None, help="(default: runs/compare-<time>)")
    p.set_defaults(run=command("compare"))


def add_landscape(sub):
    p = sub.add_parser("landscape", formatter_class=_formatter,
                       help="every optimizer's path down 2-D test functions, drawn")
    p.add_argument("--logdir", default=None, help="(default: runs/landscape-<time>)")
    p.set_defaults(run=command("landscape"))


def add_gradients(sub):
    p = sub.add_parser("gradients", formatter_class=_formatter,
                       help="vanishing gradients and dead ReLUs in a deep MLP")
    p.add_argument("--depth", type=positive_int, default=10, help="layers")
    p.add_argument("--steps", type=int, default=300, help="gradient-descent steps")
    p.add_argument("--seed", type=int, default=0, help="data and initialization")
    p.add_argument("--logdir", default=None, help="(default: runs/gradients-<time>)")
    p.set_defaults(run=command("gradients"))


def build_parser():
    parser = argparse.ArgumentParser(
        prog="handgrad", description="Deep-learning notes derived by hand and proved against "
        "PyTorch.", formatter_class=_formatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_check(sub)
    add_bench(sub)
    add_train(sub)
    add_compare(sub)
    add_landscape(sub)
    add_gradients(sub)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "device", None) == "cuda":  # before any work
            from torch_ref.cnn.device import resolve_device
            resolve_device("cuda")
        return args.run(args)
    except HandgradError as err:
        print(f"handgrad {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"handgrad {args.command}: interrupted", file=sys.stderr)
        return 130
