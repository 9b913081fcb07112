"""What the search remembers: the seen map with parent links, and the state graph.

* :class:`Store` is the seen map of the exhaustive search: every distinct state (a
  symmetry representative when symmetry is on) mapped to the state it was first reached
  from (``None`` for an initial state). Test-and-insert is one dict operation. States are
  stored whole: no fingerprint collisions, memory about the size of the reachable states.
  A counterexample is rebuilt from the parent links by replaying ``successors`` along
  the chain (TLC's way), so nothing but states is stored per state.
* :class:`StateGraph` is THE reachable state graph, in compact rows: the transitions of
  state ``i`` are ``to[start[i]:start[i + 1]]`` with labels ``lab[...]``, in the model's
  deterministic successor order. Liveness, ``modelcheck graph``, test generation and the
  report's excerpts all read this one type; :mod:`modelcheck.search.graph` builds it by a
  search of its own, and the breadth-first search records it while it runs
  (:class:`GraphRecorder`) when temporal properties are to be decided.

Depends on :mod:`modelcheck.model` and :mod:`modelcheck.result` only.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from ..model import Label, Model, State
from ..result import Trace


class Store:
    """The seen map: state -> parent state (``None`` for an initial state), in discovery
    order. The strategies use :attr:`parent` directly (it is the hot loop's dict)."""

    __slots__ = ("parent",)

    def __init__(self) -> None:
        self.parent: dict[State, State | None] = {}

    def __len__(self) -> int:
        return len(self.parent)

    def states(self) -> list[State]:
        """Every stored state, in discovery order."""
        return list(self.parent)

    def trace_to(self, model: Model, state: State, canon: Callable[[State], State] | None = None) -> Trace:
        """The path from an initial state to ``state`` (see :func:`rebuild_trace`)."""
        return rebuild_trace(model, self.parent, state, canon)


def rebuild_trace(model: Model, parent: dict, state: State, canon=None) -> Trace:
    """The path from an initial state to ``state``, rebuilt from parent links by replaying
    ``successors`` (TLC's way). With symmetry the stored states are representatives;
    replay then finds, at each step, a concrete successor whose representative is the next
    one on the path, so the trace is a real behaviour."""
    chain = []
    s: State | None = state
    while s is not None:
        chain.append(s)
        s = parent[s]
    chain.reverse()
    key = canon if canon is not None else (lambda x: x)
    # first state: an initial state whose representative is chain[0]
    cur = None
    for s0 in model.initial_states():
        if key(s0) == chain[0]:
            cur = s0
            break
    if cur is None:  # pragma: no cover - would mean a broken canonicalizer
        raise RuntimeError("cannot replay the trace: no initial state matches")
    states = [cur]
    labels: list = [None]
    for target in chain[1:]:
        for label, t in model.successors(cur):
            if key(t) == target:
                cur = t
                states.append(t)
                labels.append(label)
                break
        else:  # pragma: no cover
            raise RuntimeError("cannot replay the trace: no successor matches")
    return Trace(tuple(states), tuple(labels))


@dataclass(frozen=True, eq=False)
class StateGraph:
    """Reachable states (``states[i]``, in discovery order), the indices of the initial
    ones, and the transitions in compact rows (``start``, ``to``, ``lab``: the row of state
    ``i`` is ``start[i]:start[i + 1]``).

    ``self_loops`` says whether transitions from a state to itself are kept (liveness
    treats them as stuttering and reads a graph without them). A graph built by
    :func:`modelcheck.search.graph.build_graph` also has the breadth-first tree
    (``parent[i]``, -1 for an initial state, with ``parent_label[i]``, and ``depth[i]``, the
    initial states at depth 1), ``truncated`` (a limit stopped it: some state was not
    expanded or some successor not kept) and ``assertions`` (``"Prop: message"`` for each
    state whose expansion failed an ``assert``; such a state has no transitions here)."""

    states: list
    initial: tuple[int, ...]
    start: array
    to: array
    lab: array
    self_loops: bool = True
    parent: array | None = None
    parent_label: array | None = None
    depth: array | None = None
    truncated: bool = False
    assertions: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return len(self.states)

    @property
    def edge_count(self) -> int:
        return len(self.to)

    def edges(self, i: int) -> Iterator[tuple[int, Label]]:
        """The transitions out of state ``i``: ``(target, label)`` in successor order."""
        a, b = self.start[i], self.start[i + 1]
        return zip(self.to[a:b], self.lab[a:b])

    def transitions(self) -> Iterator[tuple[int, Label, int]]:
        """Every transition as ``(source, label, target)``, row by row."""
        start, to, lab = self.start, self.to, self.lab
        for i in range(len(self.states)):
            for k in range(start[i], start[i + 1]):
                yield i, lab[k], to[k]

    def index(self) -> dict[State, int]:
        return {s: i for i, s in enumerate(self.states)}

    def path_to(self, v: int) -> list[tuple[int, Label, int]]:
        """The breadth-first tree's transitions from an initial state to ``v``."""
        assert self.parent is not None and self.parent_label is not None, "no breadth-first tree"
        out = []
        while self.parent[v] >= 0:
            u = self.parent[v]
            out.append((u, self.parent_label[v], v))
            v = u
        out.reverse()
        return out

    def without_self_loops(self) -> "StateGraph":
        """The same graph without transitions from a state to itself (stuttering)."""
        if not self.self_loops:
            return self
        start, to, lab = array("l", [0]), array("l"), array("l")
        s0, t0, l0 = self.start, self.to, self.lab
        for i in range(len(self.states)):
            for k in range(s0[i], s0[i + 1]):
                if t0[k] != i:
                    to.append(t0[k])
                    lab.append(l0[k])
            start.append(len(to))
        return StateGraph(self.states, self.initial, start, to, lab, False, self.parent, self.parent_label,
                          self.depth, self.truncated, self.assertions)


class GraphRecorder:
    """Rows of a :class:`StateGraph` filled while a breadth-first search runs: BFS expands
    states in discovery order, so row ``i`` belongs to the ``i``-th state stored. Self-loops
    are not recorded (the liveness checker reads stuttering as staying put)."""

    __slots__ = ("index", "start", "to", "lab")

    def __init__(self, stored: Sequence[State]):
        self.index: dict[State, int] = {t: i for i, t in enumerate(stored)}
        self.start, self.to, self.lab = array("l", [0]), array("l"), array("l")

    def graph(self, states: list, initial: Sequence[State]) -> StateGraph | None:
        """The graph, if every stored state was expanded (a row per state)."""
        if len(self.start) != len(states) + 1:
            return None
        index = self.index
        init = tuple(sorted({index[s] for s in initial if s in index}))
        return StateGraph(states, init, self.start, self.to, self.lab, self_loops=False)


def expand_states(model: Model, states: Sequence[State], initial: Sequence[State]) -> StateGraph:
    """The graph of the given states (in that order), each expanded once more; transitions
    to states not given (outside a constraint) and self-loops are left out."""
    states = list(states)
    index = {s: i for i, s in enumerate(states)}
    start, to, lab = array("l", [0]), array("l"), array("l")
    get = index.get
    succ = model.successors
    for s in states:
        for label, t in succ(s):
            if t == s:
                continue  # stuttering
            j = get(t)
            if j is None:
                continue  # outside a state constraint
            to.append(j)
            lab.append(label)
        start.append(len(to))
    init = tuple(sorted({index[s] for s in initial if s in index}))
    return StateGraph(states, init, start, to, lab, self_loops=False)
