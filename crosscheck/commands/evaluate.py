"""``handgrad evaluate MODEL``: a model saved by ``handgrad train --save-model``, on the test
set it was tested on: its accuracy (the run's own figure, computed again by the same
evaluation), the confusion matrix, and the images it misreads, drawn as PNG files.
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from crosscheck.proof.records.backends import BACKENDS  # noqa: E402
from torch_ref.cnn import saved_model  # noqa: E402
from torch_ref.cnn.data import classes  # noqa: E402
from torch_ref.cnn.device import resolve_device  # noqa: E402
from torch_ref.cnn.loop import evaluate  # noqa: E402
from torch_ref.cnn.mistakes import confusion, draw_confusion, draw_wrong  # noqa: E402
from torch_ref.cnn.train import DTYPES, load_data  # noqa: E402

CONFUSION, WRONG = "confusion.png", "misread.png"


def run(args):
    state = saved_model.load(args.model)
    cfg = saved_model.config(state, data_dir=args.data_dir, device=args.device)
    device = resolve_device(cfg.device)
    model = saved_model.model(state, BACKENDS[cfg.impl], cfg, device, DTYPES[cfg.dtype])
    data = load_data(cfg, device)
    batches = []  # each batch's predicted classes
    loss, accuracy = evaluate(model, data, "test", predicted=batches)  # as the run tested it
    predicted = torch.cat(batches)
    truth = data.test_y.cpu()
    names = classes(cfg.dataset)
    out = Path(args.out or Path(args.model).parent)
    out.mkdir(parents=True, exist_ok=True)
    counts = confusion(truth, predicted)
    _save(draw_confusion(counts, names, f"{cfg.dataset}: {len(truth)} test images, "
                                        f"accuracy {accuracy:.2%} ({cfg.impl} ops)"),
          out / CONFUSION)
    _save(draw_wrong(data.test_x, truth, predicted, names), out / WRONG)
    print(f"test accuracy {accuracy:.2%} (test loss {loss:.4f}) on {len(truth)} {cfg.dataset} "
          f"test images from {data.source}; at the end of training: "
          f"{state['test_accuracy']:.2%}")
    print(_table(counts, names))
    print(f"wrote {out / CONFUSION} and {out / WRONG}")
    return 0


def _table(counts, names):
    """The matrix as text: a row per true class, a column per predicted one."""
    width = max(5, len(str(int(counts.max()))) + 1)
    head = "true \\ predicted".ljust(18) + "".join(str(k).rjust(width) for k in range(len(names)))
    rows = [f"{k} {name[:15]}".ljust(18) + "".join(str(int(c)).rjust(width) for c in row)
            for k, (name, row) in enumerate(zip(names, counts))]
    return "\n".join([head, *rows])


def _save(fig, path):
    fig.savefig(path, dpi=110)
    plt.close(fig)
