"""Histories: what a concurrent run of clients did to one object, as the checker reads it.

This module is the contract the rest of :mod:`modelcheck.history` shares (the readers in
:mod:`.formats`, the sequential models in :mod:`.models`, the search in :mod:`.check`,
the picture in :mod:`modelcheck.render.history`); it depends on nothing but the
standard library.

An :class:`Op` is one operation as a client saw it: which process issued it, when it
was invoked, when the answer came back (``None`` if it never did: a timeout, Jepsen's
``:info``), the operation's name, its arguments and its result. Times are numbers on one
clock (seconds, nanoseconds or line numbers: only their order matters). An operation
known to have failed without effect (Jepsen's ``:fail``) is not an ``Op``: readers drop
it and count it.

A :class:`Model` is a sequential specification: an initial state and a partial step
function. ``step(state, op)`` returns the state after ``op`` when ``op``'s recorded
result is one the object could have answered in ``state``, else ``None``. For an op
without a response (``op.ret is None``) the result is unknown and any result is
accepted: only the effect counts. A state is never ``None`` (that is the refusal:
wrap a value that may be ``null``, as the register does with ``(value,)``). States must be hashable (the search memoises
``(linearized set, state)`` pairs, as Lowe's algorithm does).

``partition`` splits a history into parts that may be checked independently
(P-compositionality: a history is linearizable iff each part is, as for per-key
operations on a map); a model whose operations all touch one object returns ``None``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Hashable, Protocol, Sequence

__all__ = ["Op", "Model", "PrunesPendingReadonly", "Consistency", "HistoryVerdict", "PartFailure", "HistoryResult", "HistoryError"]


class HistoryError(Exception):
    """A history that cannot be read or does not fit its model (a malformed line, an
    operation the model does not know). ``where`` names the file and line when known."""

    def __init__(self, message: str, where: str | None = None):
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.where = where


@dataclass(frozen=True, slots=True)
class Op:
    """One operation of a history. ``id`` is its index in the history as read (stable:
    reports and results name operations by it); ``line`` is where it came from in the
    file (0 when built in code)."""

    id: int
    process: Any               # a JSON scalar: an int or a string
    call: float                # invocation time
    ret: float | None          # response time; None: no response (timed out, crashed)
    f: str                     # the operation's name: "read", "write", "cas", "create", ...
    args: tuple = ()           # its arguments (JSON values, lists made tuples)
    result: Any = None         # its result (JSON value, lists made tuples); meaningless if ret is None
    line: int = 0

    @property
    def pending(self) -> bool:
        return self.ret is None


class Model(Protocol):
    """A sequential specification (see the module docstring)."""

    name: str

    def init(self) -> Hashable: ...

    def step(self, state: Hashable, op: Op) -> Hashable | None: ...

    def partition(self, ops: Sequence[Op]) -> dict[Any, list[Op]] | None: ...

    def expected(self, state: Hashable, op: Op) -> str:
        """What ``op`` would have returned in ``state``, in words (``read -> 3``), for
        the report of an operation that cannot be placed."""
        ...

    def describe(self, op: Op) -> str:
        """``op`` in one short line (``write(3)``, ``cas(1, 4) -> ok``)."""
        ...


class PrunesPendingReadonly:
    """A model whose :attr:`readonly` operations have no effect: a pending one (no
    response) constrains nothing, so :meth:`prune` drops it; each one left in would
    multiply the configurations the checker explores."""

    readonly: frozenset = frozenset()

    def prune(self, ops: Sequence[Op]) -> list[Op]:
        return [o for o in ops if not (o.ret is None and o.f in self.readonly)]


class Consistency(enum.Enum):
    LINEARIZABLE = "linearizable"     # one order, respecting real time (call/ret)
    SEQUENTIAL = "sequential"         # one order, respecting each process's own order only


class HistoryVerdict(enum.Enum):
    OK = "ok"                 # linearizable (or sequentially consistent)
    VIOLATED = "violated"     # not
    UNKNOWN = "unknown"       # a limit stopped the search first


@dataclass(frozen=True)
class PartFailure:
    """The smallest part that does not fit: the partition key (None for the whole
    history), the operations of the part, the longest prefix that could be ordered (op
    ids, in order), and the operations that could come next and do not fit, each with what
    the model would have answered after that prefix."""

    key: Any
    ops: tuple[Op, ...]
    prefix: tuple[int, ...]
    stuck: tuple[tuple[int, str], ...]     # (op id, what the model expected there)


@dataclass(frozen=True)
class HistoryResult:
    verdict: HistoryVerdict
    consistency: Consistency
    model: str
    operations: int                      # operations checked (failed ones dropped)
    parts: int                           # independent parts checked
    failure: PartFailure | None = None
    #: a witness order per part key (op ids), for an OK verdict
    order: dict = field(default_factory=dict)
    reason: str = ""                     # why UNKNOWN (the limit), or notes
    elapsed: float = 0.0
    explored: int = 0                    # search nodes visited (memoised configurations)
