"""Proves every manual piece equal to its torch twin, and the ``handgrad`` command line."""
