"""``handgrad train``: the CNN on the manual or the built-in ops and optimizers.

The one place where the trainer's parts are chosen: torch_ref never imports manual, so the
ops backend, the optimizer, the warm-up and the stop rules are wired in here.
"""
from crosscheck.proof.records.backends import BACKENDS
from manual import optim, schedules, stopping
from torch_ref import optim as ref_optim
from torch_ref import schedules as ref_schedules
from torch_ref.cnn import checkpoint
from torch_ref.cnn.config import Config
from torch_ref.cnn.train import Parts, Trainer
from torch_ref.optimizers import optimizer_factory


def build_parts(cfg):
    """The ops of ``cfg.impl``; the optimizer and warm-up of ``cfg.optimizer_impl``; the
    stop rules, which only exist by hand."""
    manual_side = cfg.optimizer_impl == "manual"
    return Parts(BACKENDS[cfg.impl],
                 optimizer_factory(cfg.optimizer, optim if manual_side else ref_optim),
                 schedules.WarmupLR if manual_side else ref_schedules.WarmupLR, stopping)


def train(cfg, state=None):
    """Train as ``cfg`` says; on resume, ``state`` is the checkpoint already read (read
    here, and what it fixes held to ``cfg``, where the caller has not)."""
    if cfg.resume and state is None:
        state = checkpoint.load(cfg.resume)
        cfg = cfg.resumed(state["config"])
    return Trainer(cfg, build_parts(cfg), state).fit()


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
    train(*config(args))
    return 0
