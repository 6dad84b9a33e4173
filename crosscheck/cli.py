"""The ``handgrad`` command line (also ``python -m crosscheck``)."""
import argparse
import importlib
import os
import sys

import torch

from crosscheck import flags as F
from torch_ref.cnn.config import WARMUP_START_FACTOR
from torch_ref.errors import HandgradError, Interrupted
from torch_ref.optimizers import OPTIMIZERS, default_lrs


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error: what was wrong, and where the help is."""

    def __init__(self, *args, **kwargs):
        self.flags = []  # every --flag added (-h among them), as the Action argparse returns
        super().__init__(*args, allow_abbrev=False, formatter_class=_Formatter, **kwargs)

    def add_argument(self, *args, **kwargs):
        action = super().add_argument(*args, **kwargs)
        if action.option_strings:
            self.flags.append(action)
        return action

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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


def command(name, threads=None):
    """The run(args) of crosscheck/commands/<name>.py, imported only when that command runs
    (so that `handgrad check` never loads the trainer, nor `train` the proof). ``threads``:
    the commands on tiny tensors (check, gradients, landscape) run on one thread, where
    measured on 2 cores they lose to threading overhead (gradients: 53 s with both, 12 s
    with one); the others use torch's default."""
    def run(args):
        if threads:
            torch.set_num_threads(threads)
        return importlib.import_module(f"crosscheck.commands.{name}").run(args)
    return run


CHECK_DTYPES = ("float64", "float32", "float16", "bfloat16", "complex128", "complex64", "int64",
                "int32", "int16", "int8", "uint8", "bool")


def add_lang(p):
    p.add_argument("--lang", choices=["en", "zh"], default=None,
                   help="the language of diagnoses and starters (default: the locale's, zh "
                   "where LC_ALL or LANG starts with zh, else en)")


def add_check(sub):
    p = sub.add_parser("check",
                       help="prove every manual piece equal to its torch twin")
    p.add_argument("--only", metavar="PATTERN", help="cases or groups matching a glob/substring")
    p.add_argument("--device", choices=["all", "cpu", "cuda"], default="all",
                   help="'all' is the CPU plus CUDA when available")
    p.add_argument("--dtype", choices=["all", *CHECK_DTYPES], default="all",
                   help="the rows in one dtype only (their negative controls run in an entry's "
                   "first dtype)")
    p.add_argument("--json", metavar="FILE", type=F.out_file, help="also write the rows as JSON")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--with", dest="with_", metavar="FILE",
                   help="check your own derivation: the pieces of this file (or module) "
                   "that carry a checked name, in place of handgrad's")
    p.add_argument("--as", dest="as_", metavar="NAME=PIECE", action="append", type=F.alias,
                   help="with --with: the file's NAME is PIECE (repeatable), e.g. "
                   "--as my_sigmoid=sigmoid")
    p.add_argument("--watch", action="store_true",
                   help="with --with FILE: check again each time FILE is saved (Ctrl-C ends)")
    p.add_argument("--strict", action="store_true",
                   help="with --with FILE: the rows beyond the exercise (forward mode, complex, "
                   "half, layout, ...) fail the check too (default: shown as advice)")
    p.add_argument("--timeout", type=F.real(0.0, inclusive=False), default=600.0,
                   help="with --with FILE: seconds its check may take, all rows together")
    p.add_argument("--gradescope", metavar="FILE", type=F.out_file,
                   help="with --with FILE: also write FILE's grade as Gradescope's "
                   "results.json")
    p.add_argument("--jobs", type=F.integer(1, 256), default=None,
                   help="rows run at once, each process one core (default: the cores, at "
                   "most 8, for 60 rows or more; fewer run in this process)")
    add_points(p)
    add_lang(p)
    p.set_defaults(run=command("check", threads=1))
    return p


def add_points(p):
    p.add_argument("--points", metavar="FILE", type=F.in_file,
                   help="what each piece is worth: TOML or JSON, e.g. sigmoid = 2 (default: "
                   "one point per piece a starter asks for that a submission defines)")


def add_grade(sub):
    p = sub.add_parser("grade", help="grade a class: every submission in DIR, isolated, "
                       "with points, feedback and Gradescope's results.json")
    p.add_argument("dir", metavar="DIR", type=F.existing_dir,
                   help="one submission per .py file, notebook (.ipynb) or folder of them in it")
    p.add_argument("--out", type=F.out_dir, default=None, help="(default: runs/grade-<time>)")
    p.add_argument("--timeout", type=F.real(0.0, inclusive=False), default=60.0,
                   help="seconds per submission")
    p.add_argument("--memory", type=F.real(0.5, inclusive=True), default=2.0,
                   help="GiB of memory per submission, beyond Python's and torch's own")
    p.add_argument("--jobs", type=F.integer(1, 256), default=os.cpu_count() or 1,
                   help="submissions graded at once")
    p.add_argument("--seed", type=F.integer(0, 2**31 - 1), default=None,
                   help="the seed of the hidden samples, to grade again exactly as before "
                   "(default: a new one, written in grades.csv)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade where bubblewrap (bwrap) cannot run: each submission can then "
                   "read and change whatever you can (default: refuse)")
    add_points(p)
    add_lang(p)
    p.set_defaults(run=command("grade"))
    return p


def add_bench(sub):
    p = sub.add_parser("bench",
                       help="time manual against built-in ops, as ratios from one run")
    p.add_argument("--device", choices=["all", "cpu", "cuda"], default="all",
                   help="'all' is the CPU plus CUDA when available")
    p.add_argument("--batch-size", type=F.integer(1, 4096), default=128, help="images per step")
    p.add_argument("--rounds", type=F.positive_int, default=20, help="timed rounds per case")
    p.add_argument("--compiled", action="store_true",
                   help="also time the manual step under torch.compile (compiles first)")
    p.add_argument("--json", metavar="FILE", type=F.out_file, help="also write the rows as JSON")
    p.set_defaults(run=command("bench"))
    return p


def add_data_flags(p):
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist",
                   help="which data set")
    p.add_argument("--data-dir", type=F.in_dir, default="data",
                   help="where the IDX files are or go")
    p.add_argument("--batch-size", type=F.positive_int, default=128, help="images per step")
    p.add_argument("--val-size", type=F.integer(0), default=5000,
                   help="images held out for validation")
    p.add_argument("--train-size", type=F.positive_int, default=None,
                   help="train on this many images only (default: all the rest)")
    p.add_argument("--epochs", type=F.positive_int, default=3, help="passes over the data")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="auto: CUDA when available")
    p.add_argument("--seed", type=F.seed, default=0, help="initialization, split and order")
    p.add_argument("--channels", type=F.channels, default=(32, 64), metavar="C1,C2",
                   help="output channels of the two convs")
    p.add_argument("--hidden", type=F.integer(0, 65536), default=128, help="hidden units (0: none)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="parameter and data precision")
    p.add_argument("--dry-run", action="store_true", help="three batches per split, for a "
                   "smoke test")


def add_train(sub):
    p = sub.add_parser("train",
                       help="train the CNN, logging to TensorBoard")
    add_data_flags(p)
    p.add_argument("--impl", choices=["torch", "manual"], default="torch",
                   help="which ops the CNN runs on")
    p.add_argument("--optimizer", type=F.optimizer_spec, default=("adam", None),
                   metavar="NAME[:manual|:torch]",
                   help=f"one of {', '.join(tuple(OPTIMIZERS))}; the side defaults to "
                   "--impl's (default: adam)")
    p.add_argument("--lr", type=F.learning_rate, default=None,
                   help=f"learning rate (default: per optimizer: {default_lrs()})")
    p.add_argument("--warmup-steps", type=F.integer(0), default=0,
                   help=f"linear warm-up from {WARMUP_START_FACTOR:g} x lr over this many steps")
    p.add_argument("--weight-decay", type=F.real(0.0, inclusive=True), default=0.0,
                   help="L2 penalty")
    p.add_argument("--early-stop-patience", type=F.positive_int, default=None,
                   help="stop after this many epochs without a better validation loss, "
                   "and restore the best parameters (default: off)")
    p.add_argument("--logdir", type=F.out_dir, default=None,
                   help="(default: runs/<dataset>-<ops>-<optimizer>-<optimizer side>-<time>, "
                   "e.g. runs/mnist-torch-adam-torch-20261205-111500)")
    p.add_argument("--resume", metavar="CHECKPOINT", type=F.in_file, default=None,
                   help="continue a run from its checkpoint.pt")
    p.add_argument("--save-model", action="store_true",
                   help="write the tested parameters as model.pt in the run's folder, for "
                   "handgrad evaluate")
    p.add_argument("--nproc", type=F.integer(1, 64), default=1,
                   help="processes, each on its share of every batch, as torchrun "
                   "--nproc-per-node starts them (gloo on the CPU, NCCL on CUDA)")
    p.set_defaults(run=command("train"))
    return p


def add_evaluate(sub):
    p = sub.add_parser("evaluate", help="a saved model on the test set: its accuracy, "
                       "confusion matrix and the images it misreads")
    p.add_argument("model", metavar="MODEL", type=F.in_file,
                   help="model.pt, written by handgrad train --save-model")
    p.add_argument("--data-dir", type=F.in_dir, default=None,
                   help="where the IDX files are (default: where the training run read them)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                   help="auto: CUDA when available")
    p.add_argument("--out", type=F.out_dir, default=None,
                   help="where the pictures go (default: the model's folder)")
    p.set_defaults(run=command("evaluate"))
    return p


def add_compare(sub):
    p = sub.add_parser("compare",
                       help="optimizer curves: one run per optimizer and implementation")
    add_data_flags(p)
    p.add_argument("--optimizers", type=F.optimizer_list, default=tuple(OPTIMIZERS),
                   help="comma-separated names")
    p.add_argument("--impl", choices=["manual", "torch", "both"], default="both",
                   help="which ops and optimizers")
    p.add_argument("--lr", type=F.lr_map, default={}, metavar="NAME=LR,...",
                   help="learning rates, e.g. adam=1e-3,sgd=0.05 (default: per optimizer)")
    p.add_argument("--logdir", type=F.out_dir, default=None, help="(default: runs/compare-<time>)")
    p.add_argument("--resume", metavar="FOLDER", type=F.existing_dir, default=None,
                   help="continue the comparison in FOLDER: finish its unfinished runs, then "
                   "draw (its settings come from FOLDER/compare.json)")
    p.set_defaults(run=command("compare"))
    return p


def add_landscape(sub):
    p = sub.add_parser("landscape",
                       help="every optimizer's path down 2-D test functions, drawn")
    p.add_argument("--logdir", type=F.out_dir, default=None,
                   help="(default: runs/landscape-<time>)")
    p.set_defaults(run=command("landscape", threads=1))
    return p


def add_gradients(sub):
    p = sub.add_parser("gradients",
                       help="vanishing gradients and dead ReLUs in a deep MLP")
    p.add_argument("--depth", type=F.integer(2, 200), default=10, help="layers")
    p.add_argument("--steps", type=F.integer(1, 100_000), default=300,
                   help="gradient-descent steps (at most 100,000)")
    p.add_argument("--seed", type=F.seed, default=0, help="data and initialization")
    p.add_argument("--logdir", type=F.out_dir, default=None,
                   help="(default: runs/gradients-<time>)")
    p.set_defaults(run=command("gradients", threads=1))
    return p


def add_exercise(sub):
    p = sub.add_parser("exercise",
                       help="write a starter file for deriving one piece yourself")
    p.add_argument("name", nargs="?", help="the piece, e.g. sigmoid, conv2d, Adam")
    p.add_argument("--list", action="store_true", help="list the exercises and exit")
    p.add_argument("--out", type=F.out_file, metavar="FILE",
                   help="where to write it (default: <name>_exercise.py, or .ipynb)")
    p.add_argument("--notebook", action="store_true",
                   help="write a Jupyter notebook: what to derive, the starter cell and a cell "
                   "that checks it")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    add_lang(p)
    p.set_defaults(run=command("exercise"))
    return p


def build_parser():
    """The parser, and each command's own parser by name."""
    parser = Parser(prog="handgrad", description="Deep-learning notes derived by hand and "
                    "proved against PyTorch.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=Parser)
    commands = {}
    for add in (add_check, add_bench, add_train, add_evaluate, add_compare, add_landscape,
                add_gradients, add_exercise, add_grade):
        p = add(sub)
        commands[p.prog.split()[-1]] = p
    return parser, commands


class _Unset(list):
    """No value typed: a list, so that an 'append' flag copies it (and so replaces it)."""


def _given(args, command):
    """The settings typed on the command line: the command's parser, run again over a
    namespace where every setting is already there (so no default is filled in), sets only
    those."""
    unset = _Unset()
    typed = argparse.Namespace(**{k: unset for k in vars(args)})
    command.parse_args(args.argv, namespace=typed)
    return {k for k, v in vars(typed).items() if v is not unset}


def validate(args):
    """What no single flag can check alone; a message, or None."""
    if getattr(args, "early_stop_patience", None) and args.val_size == 0:
        return "--early-stop-patience watches the validation loss: it needs --val-size > 0"
    if getattr(args, "watch", False) and not args.with_:
        return "--watch checks your file again when it is saved: it needs --with FILE"
    if getattr(args, "as_", None) and not args.with_:
        return "--as names a piece of your file: it needs --with FILE"
    if args.command == "compare" and set(args.lr) - set(args.optimizers):
        unused = sorted(set(args.lr) - set(args.optimizers))
        return (f"--lr names {', '.join(unused)}, which --optimizers does not run "
                f"({','.join(args.optimizers)})")
    if getattr(args, "strict", False) and not args.with_:
        return "--strict holds your file to every family: it needs --with FILE"
    if args.command == "check" and args.timeout != 600.0 and not args.with_:
        return "--timeout limits the check of your file: it needs --with FILE"
    if args.command == "check" and (args.gradescope or args.points) and not args.with_:
        return "--gradescope and --points grade a learner's file: they need --with FILE"
    return None


def parse(argv=None):
    """The parsed and validated command line; a bad one exits with status 2 and one line."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv[argv.index(args.command) + 1:]  # the command's own flags, as typed
    args.given = _given(args, commands[args.command])
    problem = validate(args)
    if problem:
        commands[args.command].error(problem)
    return args


def main(argv=None):
    """The exit status: 0 done, 1 a check row failed, 2 bad input, 130 interrupted."""
    try:
        args = parse(argv)
    except SystemExit as done:  # --help, or a bad command line (its line is printed)
        return done.code
    try:
        if getattr(args, "device", None) == "cuda":  # before any work
            from torch_ref.cnn.device import resolve_device
            resolve_device("cuda")
        status = args.run(args)
        sys.stdout.flush()  # inside the try: a reader that has gone is met here
        return status
    except HandgradError as err:
        print(f"handgrad {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        then = f"; continue with: {err.resume}" if isinstance(err, Interrupted) else ""
        print(f"handgrad {args.command}: interrupted{then}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `handgrad check --list | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
