"""What TensorBoard shows besides the scalars: each epoch's parameter and gradient
histograms, the first layer's 3x3 kernels and one image's response maps (响应值); and the
PNG figures the commands draw, so they sit beside the curves.
"""
import matplotlib.image
import torch


def log_picture(writer, tag, png):
    """A PNG file drawn by a command, as a TensorBoard image."""
    writer.add_image(tag, matplotlib.image.imread(png)[..., :3], 0, dataformats="HWC")


def _normalize(maps):
    """Each map to [0, 1] on its own, so a weak response is as visible as a strong one."""
    flat = maps.flatten(1)
    low, high = flat.min(1).values, flat.max(1).values
    return ((flat - low[:, None]) / (high - low).clamp(min=1e-12)[:, None]).view_as(maps)


def grid(maps, scale=1):
    """(K, H, W) maps -> one (3, H', W') image, each map enlarged ``scale`` times."""
    from torchvision.utils import make_grid  # (only a run that draws pays for torchvision)
    maps = _normalize(maps.detach().float().cpu()).unsqueeze(1)
    if scale > 1:
        maps = maps.repeat_interleave(scale, 2).repeat_interleave(scale, 3)
    return make_grid(maps, nrow=8, padding=1, pad_value=1.0)


@torch.no_grad()
def log_epoch(writer, model, image, epoch):
    for name, p in model.named_parameters():
        writer.add_histogram(f"params/{name}", p, epoch)
        if p.grad is not None:
            writer.add_histogram(f"grads/{name}", p.grad, epoch)
    writer.add_image("kernels/conv1", grid(model.conv1_weight[:, 0], scale=8), epoch)
    r1, r2 = model.features(image)
    writer.add_image("response/input", grid(image[0], scale=4), epoch)
    writer.add_image("response/conv1", grid(r1[0], scale=4), epoch)
    writer.add_image("response/conv2", grid(r2[0], scale=4), epoch)
