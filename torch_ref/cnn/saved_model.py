"""A trained CNN saved (``handgrad train --save-model``: model.pt in the run's folder) and
read back, for ``handgrad evaluate`` or a line of Python:

    state = torch.load("runs/<run>/model.pt", weights_only=True)
    model = CNN(ops, state["config"]["channels"], state["config"]["hidden"])
    model.load_state_dict(state["model"])

The parameters the run was tested with (after early stopping, the best epoch's), the run's
settings (which data, ops and dtype), and its test loss and accuracy. Like a checkpoint it
holds tensors, numbers and strings only: loading one runs no code.
"""
from dataclasses import asdict

from torch_ref.cnn import checkpoint
from torch_ref.cnn.config import Config
from torch_ref.errors import HandgradError, one_line
from torch_ref.model import CNN

MODEL = "model.pt"
FORMAT = "handgrad-cnn-model/1"
REQUIRED = ("config", "model", "test_loss", "test_accuracy")


def save(path, cfg, model, test_loss, test_accuracy):
    checkpoint.save(path, {"config": {k: v for k, v in asdict(cfg).items() if k != "resume"},
                           "model": model.state_dict(), "test_loss": test_loss,
                           "test_accuracy": test_accuracy}, FORMAT)


def load(path):
    """The saved model's state, refused in one line where it is none of handgrad's."""
    return checkpoint.read(path, FORMAT, REQUIRED, "", "saved model", "evaluate it")


def config(state, **changes):
    """The run's settings, with ``changes`` (where the data are now, the device)."""
    return Config(**{**state["config"], **{k: v for k, v in changes.items() if v is not None}})


def model(state, ops, cfg, device, dtype):
    """The CNN on ``ops`` with the saved parameters; parameters that do not fit it (a
    damaged or edited file) are one line."""
    net = CNN(ops, cfg.channels, cfg.hidden).to(device, dtype)
    try:
        net.load_state_dict(state["model"])
    except (RuntimeError, ValueError, KeyError) as err:
        raise HandgradError(f"evaluate: the saved parameters do not fit the CNN "
                            f"({one_line(err, 200)}); the file is damaged, or was edited") \
            from None
    return net.eval()
