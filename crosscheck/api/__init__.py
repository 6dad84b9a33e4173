"""handgrad from Python: what ``import handgrad`` offers (handgrad/__init__.py names it)."""
