"""Hand-derived deep learning: every forward pass with its derivative written under it.

Depends on torch tensors only; see README.md for which section of the notes each module follows.
"""
