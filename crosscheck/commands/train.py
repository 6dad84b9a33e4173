"""``handgrad train``: the CNN on the manual or the built-in ops and optimizers, in one
process or in several.

The one place where the trainer's parts are chosen: torch_ref never imports manual, so the
ops backend, the optimizer, the warm-up, the stop rules and, over several processes, the
gradients' averaging are wired in here.
"""
import importlib
import warnings
from dataclasses import replace
from pathlib import Path

from crosscheck.proof.records.backends import BACKENDS
from manual import optim, schedules, stopping
from torch_ref import optim as ref_optim
from torch_ref import schedules as ref_schedules
from torch_ref.cnn import checkpoint, launch, rank
from torch_ref.cnn.config import Config
from torch_ref.cnn.run_dir import run_folder
from torch_ref.cnn.train import Parts, Trainer
from torch_ref.errors import HandgradError
from torch_ref.optimizers import optimizer_factory


def build_parts(cfg):
    """The ops of ``cfg.impl``; the optimizer and warm-up of ``cfg.optimizer_impl``; the
    stop rules, which only exist by hand; over several processes, the data parallelism of
    ``cfg.impl``: DDP, or manual/distributed.py's gradients averaged by hand."""
    manual_side = cfg.optimizer_impl == "manual"
    return Parts(BACKENDS[cfg.impl],
                 optimizer_factory(cfg.optimizer, optim if manual_side else ref_optim),
                 schedules.WarmupLR if manual_side else ref_schedules.WarmupLR, stopping,
                 _parallel(cfg.impl) if cfg.nproc > 1 else None)


def _parallel(impl):
    """manual.distributed or torch_ref.distributed, imported only for a run over several
    processes. Importing ZeroRedundancyOptimizer, torch 2.4 warns under a filter of its own
    ('always', which no filter here can override) that TorchScript optimizers are
    deprecated: recorded, the warning is dropped instead of shown."""
    with warnings.catch_warnings(record=True):
        return importlib.import_module(f"{'manual' if impl == 'manual' else 'torch_ref'}"
                                       ".distributed")


def train(cfg, state=None, place=rank.ALONE):
    """Train as ``cfg`` says, as process ``place``; on resume, ``state`` is the checkpoint
    already read (read here, and what it fixes held to ``cfg``, where the caller has not)."""
    if cfg.resume and state is None:
        state = checkpoint.load(cfg.resume)
        cfg = cfg.resumed(state["config"])
    return Trainer(cfg, build_parts(cfg), state, place).fit()


def config(args):
    """The run's Config, and on --resume the checkpoint, read once: what it fixes comes from
    it, and a flag typed against it is refused."""
    name, side = args.optimizer
    cfg = Config.from_args(args, optimizer=name, optimizer_impl=side or args.impl)
    if not args.resume:
        return cfg, None
    state = checkpoint.load(args.resume)
    given = set(args.given) | ({"optimizer_impl"} if side else set())
    return cfg.resumed(state["config"], given), state


def run(args):
    """One process; or, with --nproc N, the launcher of N; or one of those N."""
    if rank.launched():
        with rank.joined(args.device) as place:
            cfg, state = config(args)
            if "nproc" in args.given and args.nproc != place.world:
                raise HandgradError(f"--nproc {args.nproc}, and the launcher started "
                                    f"{place.world} processes: drop --nproc under torchrun")
            train(replace(cfg, nproc=place.world), state, place)
        return 0
    cfg, state = config(args)
    if cfg.nproc == 1:
        train(cfg, state)
        return 0
    launch.able(cfg.nproc, cfg.device, cfg.batch_size)
    folder = Path(cfg.logdir or run_folder(cfg.dataset, cfg.impl, cfg.optimizer,
                                           cfg.optimizer_impl))
    given = [] if cfg.resume or cfg.logdir else ["--logdir", str(folder)]  # one folder for all
    launch.start([*args.argv, *given], cfg.nproc, folder)
    return 0
