"""The reachable state graph of a model, for drawing (``modelcheck graph``, the report).

:func:`build_graph` explores every reachable state breadth-first, as ``check`` does
(constraints discard states; symmetry is *not* applied, so every node is a real state),
and keeps every transition. :func:`project` maps states through a view function (the
``--view`` expression) and merges the states with equal views. :func:`neighbourhood`
is the small excerpt the HTML report draws around a counterexample: the path and, for
each state on it, a few of its successors, computed by expanding those states only
(no full search).

Each of them returns a :class:`DrawGraph`: nodes and edges already labelled, in a
deterministic order (discovery order, which follows the model's deterministic
successor order), ready for :mod:`modelcheck.render.dot`.

Depends on the model protocol and the result types only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .model import Label, State
from .result import Trace


class GraphTooLarge(Exception):
    """The graph has more than ``limit`` states (``what`` says which limit)."""

    def __init__(self, count: int, limit: int, what: str, exact: bool):
        super().__init__(f"{count} {what} > {limit}")
        self.count = count  # states found so far (a lower bound unless ``exact``)
        self.limit = limit
        self.what = what
        self.exact = exact


@dataclass(frozen=True, slots=True)
class StateGraph:
    """Every reachable state (``states[i]``, in BFS discovery order), the indices of
    the initial ones, and every transition ``(source, label, target)``."""

    states: tuple[State, ...]
    initial: tuple[int, ...]
    edges: tuple[tuple[int, Label, int], ...]

    def index(self) -> dict[State, int]:
        return {s: i for i, s in enumerate(self.states)}


def build_graph(model, max_states: int = 100_000) -> StateGraph:
    """Explore ``model`` completely (no symmetry) and keep every transition; raise
    :class:`GraphTooLarge` past ``max_states`` states."""
    constraints = [c.check for c in model.constraints]
    index: dict[State, int] = {}
    states: list[State] = []
    initial: list[int] = []
    edges: list[tuple[int, Label, int]] = []

    def admit(t: State) -> int | None:
        k = index.get(t)
        if k is not None:
            return k
        for c in constraints:
            if not c(t):
                return None
        if len(states) >= max_states:
            raise GraphTooLarge(len(states) + 1, max_states, "states", exact=False)
        k = index[t] = len(states)
        states.append(t)
        return k

    for s in model.initial_states():
        k = admit(s)
        if k is not None and k not in initial:
            initial.append(k)
    i = 0
    while i < len(states):
        s = states[i]
        try:
            succs = model.successors(s)
        except Exception:  # an assertion failing in s: the check reports it; draw s as a leaf
            succs = ()
        for label, t in succs:
            k = admit(t)
            if k is not None:
                edges.append((i, label, k))
        i += 1
    return StateGraph(tuple(states), tuple(initial), tuple(edges))


# ----------------------------------------------------------------------------- drawable graphs


@dataclass(slots=True)
class DrawNode:
    key: Any
    lines: list[str]
    initial: bool = False
    on_path: bool = False
    #: the last state of the counterexample (the bad state)
    bad: bool = False
    #: a node standing for states left out of an excerpt ("+3 more")
    elided: bool = False


@dataclass(slots=True)
class DrawEdge:
    src: int
    dst: int
    #: action instances taken along this edge, in discovery order (a projected edge
    #: merges several transitions)
    actions: list[str] = field(default_factory=list)
    #: variables changed by those transitions, in declaration order
    changed: list[str] = field(default_factory=list)
    on_path: bool = False
    #: the step from the last state of a lasso back to the start of its cycle
    loop_back: bool = False
    count: int = 0


@dataclass(slots=True)
class DrawGraph:
    """A graph ready to draw: nodes in order, edges between node positions."""

    nodes: list[DrawNode]
    edges: list[DrawEdge]
    title: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int]:
        return len(self.nodes), len(self.edges)


def changed_vars(model, s: State, t: State) -> list[str]:
    return [n for n, a, b in zip(model.variables, s, t) if a != b]


def state_lines(model, s: State) -> list[str]:
    return [f"{n} = {model.show_value(k, v)}" for k, (n, v) in enumerate(zip(model.variables, s))]


def _path_steps(trace: Trace | None) -> list[tuple[State, Label, State, bool]]:
    """The steps of a trace as (source, label, target, loop_back)."""
    if trace is None or not trace.states:
        return []
    out = [(a, lab, b, False) for a, lab, b in zip(trace.states, trace.labels[1:], trace.states[1:])]
    if trace.loop is not None and trace.loop_label is not None:
        out.append((trace.states[-1], trace.loop_label, trace.states[trace.loop], True))
    return out


class _Builder:
    """Nodes keyed by any hashable key, edges merged per (source, target) pair."""

    def __init__(self, model):
        self.model = model
        self.pos: dict[Any, int] = {}
        self.nodes: list[DrawNode] = []
        self.edge_pos: dict[tuple[int, int], int] = {}
        self.edges: list[DrawEdge] = []

    def node(self, key, lines: Callable[[], list[str]]) -> int:
        k = self.pos.get(key)
        if k is None:
            k = self.pos[key] = len(self.nodes)
            self.nodes.append(DrawNode(key, lines()))
        return k

    def edge(self, a: int, b: int, label: Label, changed: Sequence[str]) -> DrawEdge:
        k = self.edge_pos.get((a, b))
        if k is None:
            k = self.edge_pos[(a, b)] = len(self.edges)
            self.edges.append(DrawEdge(a, b))
        e = self.edges[k]
        shown = self.model.describe(label).show()
        if shown not in e.actions:
            e.actions.append(shown)
        for n in changed:
            if n not in e.changed:
                e.changed.append(n)
        e.changed.sort(key=self.model.variables.index)
        e.count += 1
        return e

    def done(self, title: str) -> DrawGraph:
        return DrawGraph(self.nodes, self.edges, title)


def draw_full(model, g: StateGraph, trace: Trace | None = None) -> DrawGraph:
    """The whole state graph: one node per state, one edge per transition."""
    b = _Builder(model)
    for s in g.states:
        b.node(s, lambda s=s: state_lines(model, s))
    for k in g.initial:
        b.nodes[k].initial = True
    for i, label, j in g.edges:
        b.edge(i, j, label, changed_vars(model, g.states[i], g.states[j]))
    _mark_path(b, trace, key=lambda s: s, model=model)
    return b.done(f"{model.name}: {len(g.states)} states, {len(g.edges)} transitions")


def project(model, g: StateGraph, view: Callable[[State], Any], show: Callable[[Any], str],
            trace: Trace | None = None, view_text: str = "") -> DrawGraph:
    """The graph of the views: states with equal ``view(state)`` become one node; the
    transitions between two views become one edge listing their actions. A transition
    that does not change the view is left out (it would be a self-loop on every node)."""
    b = _Builder(model)
    views = [view(s) for s in g.states]
    for v in views:
        b.node(v, lambda v=v: [show(v)])
    for k in g.initial:
        b.nodes[b.pos[views[k]]].initial = True
    hidden = 0
    for i, label, j in g.edges:
        a, c = b.pos[views[i]], b.pos[views[j]]
        if a == c:
            hidden += 1
            continue
        b.edge(a, c, label, changed_vars(model, g.states[i], g.states[j]))
    _mark_path(b, trace, key=view, model=model)
    out = b.done(f"{model.name}: view {view_text}: {len(b.nodes)} views of {len(g.states)} states")
    if hidden:
        out.notes.append(f"{hidden} transitions that leave the view unchanged are not drawn")
    return out


def neighbourhood(model, trace: Trace, per_state: int = 3) -> DrawGraph:
    """The path of ``trace`` and, around each state on it, up to ``per_state`` other
    successors (the rest summarised by one "+n more" node): what the checker saw next
    to the counterexample, without a full search."""
    b = _Builder(model)
    constraints = [c.check for c in model.constraints]
    path = list(trace.states)
    # path states are labelled by what their step changed (the whole initial state,
    # values cut at EXCERPT_VALUE characters): excerpts of big specs stay readable
    for i, s in enumerate(path):
        if i == 0:
            b.node(s, lambda s=s: ["state 1 (initial)"] + [_cut(x) for x in state_lines(model, s)])
        else:
            b.node(s, lambda i=i, s=s: [f"state {i + 1}"] + [_cut(x) for x in _diff_lines(model, path[i - 1], s)])
    b.nodes[0].initial = True
    on_path = set(path)
    for s in path:
        try:
            succs = model.successors(s)
        except Exception:  # an assertion failed in s (the counterexample says so)
            succs = ()
        extra = 0
        shown = 0
        for label, t in succs:
            if t in on_path:
                continue
            if not all(c(t) for c in constraints):
                continue
            if t in b.pos:  # already drawn as a neighbour of an earlier state
                b.edge(b.pos[s], b.pos[t], label, changed_vars(model, s, t))
                continue
            if shown < per_state:
                shown += 1
                k = b.node(t, lambda t=t: _diff_lines(model, s, t))
                b.edge(b.pos[s], k, label, changed_vars(model, s, t))
            else:
                extra += 1
        if extra:
            k = b.node(("more", b.pos[s]), lambda n=extra: [f"+{n} more successor{'s' if n > 1 else ''}"])
            b.nodes[k].elided = True
            b.edges.append(DrawEdge(b.pos[s], k, [], [], count=extra))
    # transitions between path states (the path itself, shortcuts, the loop back)
    for s in path:
        try:
            succs = model.successors(s)
        except Exception:
            continue
        for label, t in succs:
            if t in on_path and t != s:
                b.edge(b.pos[s], b.pos[t], label, changed_vars(model, s, t))
    _mark_path(b, trace, key=lambda s: s, model=model)
    out = b.done(f"the counterexample's {len(path)} states and their other successors")
    return out


EXCERPT_VALUE = 70


def _cut(line: str) -> str:
    return line if len(line) <= EXCERPT_VALUE else line[: EXCERPT_VALUE - 1] + "…"


def _diff_lines(model, s: State, t: State) -> list[str]:
    """A state drawn by what differs from another (its predecessor on the path)."""
    lines = [_cut(f"{n} = {model.show_value(k, b)}") for k, (n, a, b) in enumerate(zip(model.variables, s, t))
             if a != b]
    return lines or ["(unchanged)"]


def _mark_path(b: _Builder, trace: Trace | None, key: Callable[[State], Any], model) -> None:
    if trace is None or not trace.states:
        return
    for s in trace.states:
        k = b.pos.get(key(s))
        if k is not None:
            b.nodes[k].on_path = True
    last = b.pos.get(key(trace.states[-1]))
    if last is not None and trace.loop is None:
        b.nodes[last].bad = True
    for s, label, t, back in _path_steps(trace):
        a, c = b.pos.get(key(s)), b.pos.get(key(t))
        if a is None or c is None or a == c:
            continue
        if (a, c) not in b.edge_pos:  # not drawn yet (cannot happen for a whole graph)
            b.edge(a, c, label, changed_vars(model, s, t))
        e = b.edge_pos[(a, c)]
        b.edges[e].on_path = True
        if back:
            b.edges[e].loop_back = True
