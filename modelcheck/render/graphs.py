"""Drawable state graphs: nodes and edges already labelled, for :mod:`.dot`.

:func:`draw_full` draws a whole :class:`~modelcheck.search.store.StateGraph` (one node
per state); :func:`project` maps its states through a view function (the ``--view``
expression) and merges the states with equal views; :func:`draw_excerpt` draws the
report's excerpt around a counterexample (:mod:`modelcheck.search.excerpt`, computed by
the command line). Each returns a :class:`DrawGraph` in a deterministic order
(discovery order, which follows the model's deterministic successor order).

Data in, drawing out: this module reads graphs and excerpts, never runs a search.
Depends on the model protocol (to name actions and show values) and the result types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..model import Label, State
from ..result import Trace

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


def draw_full(model, g, trace: Trace | None = None) -> DrawGraph:
    """The whole state graph (a :class:`~modelcheck.search.store.StateGraph`): one node per
    state, one edge per transition."""
    b = _Builder(model)
    for s in g.states:
        b.node(s, lambda s=s: state_lines(model, s))
    for k in g.initial:
        b.nodes[k].initial = True
    for i, label, j in g.transitions():
        b.edge(i, j, label, changed_vars(model, g.states[i], g.states[j]))
    _mark_path(b, trace, key=lambda s: s, model=model)
    return b.done(f"{model.name}: {len(g.states):,} states, {g.edge_count:,} transitions")


def project(model, g, view: Callable[[State], Any], show: Callable[[Any], str],
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
    for i, label, j in g.transitions():
        a, c = b.pos[views[i]], b.pos[views[j]]
        if a == c:
            hidden += 1
            continue
        b.edge(a, c, label, changed_vars(model, g.states[i], g.states[j]))
    _mark_path(b, trace, key=view, model=model)
    out = b.done(f"{model.name}: view {view_text}: {len(b.nodes)} views of {len(g.states)} states")
    if hidden:
        out.notes.append(f"{hidden:,} transitions that leave the view unchanged are not drawn")
    return out


def draw_excerpt(model, d) -> DrawGraph:
    """The report's excerpt (a :class:`~modelcheck.search.excerpt.Excerpt`): the path's
    states labelled by what their step changed (the initial state whole, values cut at
    ``EXCERPT_VALUE`` characters, so excerpts of big specs stay readable), each drawn
    successor by what it changes, greyed "+n more" nodes for the rest."""
    b = _Builder(model)
    path = d.trace.states
    states = []
    for n in d.nodes:
        states.append(n.state)
        if n.kind == "path":
            i, s = n.position, n.state
            if i == 0:
                b.node(s, lambda s=s: ["state 1 (initial)"] + [_cut(x) for x in state_lines(model, s)])
            else:
                b.node(s, lambda i=i, s=s: [f"state {i + 1}"] + [_cut(x) for x in _diff_lines(model, path[i - 1], s)])
        elif n.kind == "successor":
            b.node(n.state, lambda n=n: _diff_lines(model, n.base, n.state))
        else:
            k = b.node(("more", len(b.nodes)), lambda n=n: [f"+{n.count} more successor{'s' if n.count > 1 else ''}"])
            b.nodes[k].elided = True
        if len(b.nodes) == 1:
            b.nodes[0].initial = True
    for e in d.edges:
        if e.label is None:
            b.edges.append(DrawEdge(e.src, e.dst, [], [], count=e.count))
        else:
            b.edge(e.src, e.dst, e.label, changed_vars(model, states[e.src], states[e.dst]))
    _mark_path(b, d.trace, key=lambda s: s, model=model)
    return b.done(f"the counterexample's {len(path)} states and their other successors")


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
