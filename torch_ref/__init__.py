"""The PyTorch built-in twin of every manual module, plus the CNN, its data and its trainer.

Never imports ``manual``: the model and trainer take their ops and optimizers as arguments.
"""
