"""Every write of merges: customer_merge (merge.py) and merge_undo (undo.py)."""

from merges.services.merge import (
    CHOOSABLE_FIELDS,
    MERGE_MAX,
    MergeOutcome,
    customer_merge,
)
from merges.services.undo import MergeUndoRefused, UndoOutcome, merge_undo

__all__ = [
    "CHOOSABLE_FIELDS",
    "MERGE_MAX",
    "MergeOutcome",
    "MergeUndoRefused",
    "UndoOutcome",
    "customer_merge",
    "merge_undo",
]
