"""The excerpt of the state graph around a trace, for the report.

:func:`excerpt` expands only the states on the trace: the path and, for each state on
it, up to ``per_state`` of its other successors (inside the constraints; the rest are
counted as "+n more"), plus every transition between two states of the path (the path
itself, shortcuts, the loop back of a lasso). The command line computes it and hands it
to the renderer (:func:`modelcheck.render.graphs.draw_excerpt`), which never calls the
search.

The result is data in creation order, so the drawing is deterministic: ``nodes`` (a
state of the path, a successor drawn by what its step changed from ``base``, or a
"+n more" node) and ``edges`` between node positions (``label`` None for the edge to a
"+n more" node).

Depends on the model protocol and :mod:`modelcheck.result`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Label, Model, State
from ..result import Trace


@dataclass(frozen=True, slots=True)
class ExcerptNode:
    kind: str  # "path" | "successor" | "more"
    #: the state (None for a "+n more" node)
    state: State | None = None
    #: path: its position on the trace; successor: the path state it is drawn against
    position: int = 0
    base: State | None = None
    #: "+n more": how many successors it stands for
    count: int = 0


@dataclass(frozen=True, slots=True)
class ExcerptEdge:
    src: int
    dst: int
    label: Label | None  # None: the edge to a "+n more" node
    count: int = 0


@dataclass(frozen=True, slots=True)
class Excerpt:
    trace: Trace
    per_state: int
    nodes: tuple[ExcerptNode, ...]
    edges: tuple[ExcerptEdge, ...]


def excerpt(model: Model, trace: Trace, per_state: int = 3) -> Excerpt:
    """The path of ``trace`` and, around each state on it, up to ``per_state`` other
    successors: what the checker saw next to the counterexample, without a full search."""
    constraints = [c.check for c in model.constraints]
    path = list(trace.states)
    nodes: list[ExcerptNode] = []
    pos: dict = {}
    edges: list[ExcerptEdge] = []

    def node(key, n: ExcerptNode) -> int:
        k = pos.get(key)
        if k is None:
            k = pos[key] = len(nodes)
            nodes.append(n)
        return k

    for i, s in enumerate(path):
        node(s, ExcerptNode("path", s, i))
    on_path = set(path)

    def successors(s):
        try:
            return model.successors(s)
        except Exception:  # an assertion failed in s (the counterexample says so)
            return ()

    for s in path:
        extra = 0
        shown = 0
        for label, t in successors(s):
            if t in on_path:
                continue
            if not all(c(t) for c in constraints):
                continue
            if t in pos:  # already drawn as a neighbour of an earlier state
                edges.append(ExcerptEdge(pos[s], pos[t], label))
                continue
            if shown < per_state:
                shown += 1
                k = node(t, ExcerptNode("successor", t, base=s))
                edges.append(ExcerptEdge(pos[s], k, label))
            else:
                extra += 1
        if extra:
            k = node(("more", pos[s]), ExcerptNode("more", count=extra))
            edges.append(ExcerptEdge(pos[s], k, None, count=extra))
    # transitions between path states (the path itself, shortcuts, the loop back)
    for s in path:
        for label, t in successors(s):
            if t in on_path and t != s:
                edges.append(ExcerptEdge(pos[s], pos[t], label))
    return Excerpt(trace, per_state, tuple(nodes), tuple(edges))


def fitting_excerpt(model: Model, trace: Trace, max_nodes: int, per_state: int = 3) -> Excerpt:
    """The excerpt with the most successors per state (at most ``per_state``) that has at
    most ``max_nodes`` nodes; the one with none when even that is larger (the renderer
    then says it is not drawn)."""
    d = excerpt(model, trace, per_state)
    while len(d.nodes) > max_nodes and per_state > 0:
        per_state -= 1
        d = excerpt(model, trace, per_state)
    return d


def excerpts_for(model: Model, violations, witnesses, max_nodes: int = 150) -> tuple[Excerpt | None, ...]:
    """The excerpt of each counterexample, then of each witness (None for an empty
    trace), as the report draws them (``ReportRun.excerpts``)."""
    return tuple(fitting_excerpt(model, f.trace, max_nodes) if f.trace.states else None
                 for f in (*violations, *witnesses))
