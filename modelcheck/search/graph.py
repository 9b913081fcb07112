"""The whole reachable state graph, for drawing and for test generation.

:func:`build_graph` explores every reachable state breadth-first, as ``check`` does
(constraints discard states), but without symmetry (every node is a real state) and
keeping every transition, self-loops included, in successor order. It returns the one
:class:`~modelcheck.search.store.StateGraph`, with its breadth-first tree (parents and
depths) for shortest paths.

Limits: ``max_states`` and ``max_depth``. With ``strict`` (``modelcheck graph``) the
first state beyond ``max_states`` raises :class:`GraphTooLarge`; otherwise (test
generation) the graph is cut there and marked ``truncated``: states at ``max_depth`` are
not expanded, and successors beyond ``max_states`` are not kept. A state whose
expansion fails an ``assert`` is kept as a leaf, its failure listed in ``assertions``.

Depends on the model protocol and :mod:`modelcheck.search.store`.
"""

from __future__ import annotations

from array import array

from ..model import ActionAssertionFailed, Model, State
from .store import StateGraph


class GraphTooLarge(Exception):
    """The graph has more than ``limit`` states (``what`` says which limit)."""

    def __init__(self, count: int, limit: int, what: str, exact: bool):
        super().__init__(f"{count} {what} > {limit}")
        self.count = count  # states found so far (a lower bound unless ``exact``)
        self.limit = limit
        self.what = what
        self.exact = exact


def build_graph(model: Model, max_states: int | None = 100_000, max_depth: int | None = None,
                strict: bool = True, errors_as_leaves: bool = True) -> StateGraph:
    """Every reachable state and every transition (see the module docstring).
    ``errors_as_leaves``: a runtime error expanding a state makes it a leaf (for
    drawing: the check reports the error); otherwise it propagates."""
    constraints = [c.check for c in model.constraints]
    index: dict[State, int] = {}
    states: list[State] = []
    parent, parent_label, depth = array("l"), array("l"), array("l")
    initial: list[int] = []
    start, to, lab = array("l", [0]), array("l"), array("l")
    assertions: list[str] = []
    truncated = False

    def admit(t: State, p: int, label: int, d: int) -> int | None:
        nonlocal truncated
        k = index.get(t)
        if k is not None:
            return k
        for c in constraints:
            if not c(t):
                return None
        if max_states is not None and len(states) >= max_states:
            if strict:
                raise GraphTooLarge(len(states) + 1, max_states, "states", exact=False)
            truncated = True
            return None
        k = index[t] = len(states)
        states.append(t)
        parent.append(p)
        parent_label.append(label)
        depth.append(d)
        return k

    for s in model.initial_states():
        k = admit(s, -1, -1, 1)
        if k is not None and k not in initial:
            initial.append(k)
    i = 0
    while i < len(states):
        s = states[i]
        d = depth[i]
        if max_depth is not None and d >= max_depth:
            truncated = True
            succs = ()
        else:
            try:
                succs = model.successors(s)
            except ActionAssertionFailed as e:  # the check reports it; s is a leaf here
                assertions.append(f"{e.prop}: {e.message}")
                succs = ()
            except Exception:  # a runtime error in s: the check reports it; s is a leaf here
                if not errors_as_leaves:
                    raise
                succs = ()
        for label, t in succs:
            k = admit(t, i, label, d + 1)
            if k is not None:
                to.append(k)
                lab.append(label)
        start.append(len(to))
        i += 1
    return StateGraph(states, tuple(initial), start, to, lab, True, parent, parent_label, depth,
                      truncated, tuple(assertions))
