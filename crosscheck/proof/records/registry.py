"""The registry: every entry of the proof, in the order ``handgrad check`` runs them.

An op, a module, an optimizer... is recorded in ``records/<topic>.py``, beside its
manual/<topic>.py and torch_ref/<topic>.py: there it gets its samples, its controls (the
notes' own slips among them, with their errata: crosscheck/proof/notes/errata.py), what it
re-derives and, for an op, its OpInfo record, from which its family rows are made here.
pytest and ``handgrad check`` read this list.
"""
from crosscheck.proof.records import (
    activations,
    backprop,
    conv,
    distributed,
    errata,
    family_rows,
    least_squares,
    linear,
    losses,
    optim,
    pooling,
    schedules,
    setups,
)

REGISTRY = [
    *activations.ENTRIES, linear.OP, *losses.ENTRIES, linear.MODULE, *conv.ENTRIES,
    *conv.FAST_ENTRIES, *pooling.ENTRIES, *setups.CNN_ENTRIES, *optim.ENTRIES, *schedules.ENTRIES,
    *least_squares.ENTRIES, *backprop.ENTRIES, setups.LANDSCAPE, linear.NEURON_ENTRY,
    *errata.OWN_ENTRIES, *distributed.ENTRIES,
]
REGISTRY += family_rows.entries(REGISTRY)
REGISTRY += optim.edge_entries() + optim.torch_config_entries()
