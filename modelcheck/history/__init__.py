"""Checking histories of concurrent operations against a sequential model: linearizability
(Wing and Gong's search, Lowe's memoisation, P-compositionality, as Porcupine does) and
sequential consistency. See docs/histories.md.

Layout: :mod:`.core` the shared types, :mod:`.formats` the readers (JSON lines, Jepsen
EDN histories and test logs), :mod:`.models` the sequential models (register, CAS
register, key-value map, ZooKeeper's data tree, a ``.mc`` spec), :mod:`.check` the search.
This part sits above the language (a ``.mc`` spec can be a model) and below the
renderers (``modelcheck history report`` draws a result).
"""

from .core import Consistency, HistoryError, HistoryResult, HistoryVerdict, Model, Op, PartFailure

__all__ = ["Consistency", "HistoryError", "HistoryResult", "HistoryVerdict", "Model", "Op", "PartFailure"]
