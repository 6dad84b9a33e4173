"""Built-in twins of manual/optim.py: torch.optim's own classes."""
from torch.optim import SGD, Adagrad, Adam, RMSprop

__all__ = ["SGD", "Adagrad", "RMSprop", "Adam"]
