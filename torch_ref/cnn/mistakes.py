"""What a trained CNN gets wrong: the confusion matrix (a row per true class, a column per
predicted one) and the test images it misreads, counted and drawn."""
import matplotlib.pyplot as plt
import numpy as np
import torch


def confusion(truth, predicted, classes=10):
    """counts[t, p]: the images of class t read as class p."""
    return torch.bincount(truth * classes + predicted, minlength=classes**2).view(classes, classes)


def draw_confusion(counts, names, title):
    """The matrix as a picture: counts in each cell, the diagonal (right) apart in colour,
    each row's recall at its end."""
    counts = counts.numpy()
    fig, ax = plt.subplots(figsize=(8.2, 7))
    wrong = np.where(np.eye(len(names), dtype=bool), 0, counts)
    ax.imshow(wrong, cmap="Reds")
    for t in range(len(names)):
        for p in range(len(names)):
            if counts[t, p]:
                color = "tab:green" if t == p else ("white" if wrong[t, p] > wrong.max() / 2
                                                   else "black")
                ax.text(p, t, str(counts[t, p]), ha="center", va="center", fontsize=8,
                        color=color, fontweight="bold" if t == p else "normal")
    recall = counts.diagonal() / np.maximum(counts.sum(1), 1)
    ax.set_yticks(range(len(names)), [f"{n} ({r:.1%})" for n, r in zip(names, recall)])
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set(xlabel="predicted", ylabel="true (recall)", title=title)
    fig.tight_layout()
    return fig


def draw_wrong(images, truth, predicted, names, most=40):
    """Up to ``most`` misread images, each titled 'true -> predicted'."""
    missed = (truth != predicted).nonzero().flatten()[:most]
    columns = 10
    rows = max(1, -(-len(missed) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.5 * rows + 0.6),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, k in zip(axes.flat, missed.tolist()):
        ax.imshow(images[k, 0].float().cpu().numpy(), cmap="gray_r")
        ax.set_title(f"{names[truth[k]]} -> {names[predicted[k]]}", fontsize=7)
    fig.suptitle(f"the first {len(missed)} test images it misreads (true -> predicted)",
                 fontsize=10)
    fig.tight_layout()
    return fig
