"""Temporal properties under fairness, decided on the explored state graph.

After an exhaustive search, the reachable states and their transitions form a finite
graph. Every behaviour of the spec is an infinite path through it in which any state
may also *stutter* (repeat), as in TLA+: a state with no enabled action stutters
forever, and so may any other state unless fairness forbids it. A transition whose
target is its source is a stuttering step too: it neither enables an action nor takes
it for fairness (TLA+'s ``<<A>>_vars``).

Fairness (see :class:`~modelcheck.model.Fairness`): each declared condition becomes one
or more *units* (one per action, or one per action instance for ``A(*)``). A unit is
*enabled* in a state with a non-stuttering transition of that unit, and *taken* by such
a transition. On an infinite path,

* weak fairness (WF) holds iff the unit is disabled infinitely often or taken
  infinitely often;
* strong fairness (SF) holds iff the unit is eventually always disabled or taken
  infinitely often.

Every property reduces to "is there a fair cycle, inside a region R, reachable in a
given way, that (for one kind) visits a set B?" A fair behaviour violating

* ``eventually P``        stays in R = not P from an initial state on;
* ``always eventually P`` reaches R = not P and stays there;
* ``eventually always P`` visits B = not P infinitely often (R = every state);
* ``P ~> Q``              reaches a state with P and not Q, then stays in R = not Q.

**The algorithm** (after the Emerson-Lei / Streett emptiness check used by TLC's
liveness checker and by SPIN for strong fairness). Restrict the graph to R, intersected
with the states that can be reached in the way the property needs; split it into
strongly connected components (Tarjan, iterative); for each component C:

1. if B is given and C has no state in B, C has no suitable cycle;
2. a weak unit enabled in *every* state of C and taken by no transition inside C makes
   every cycle in C unfair (any sub-component keeps it enabled everywhere): drop C;
3. a strong unit enabled somewhere in C and taken by no transition inside C can only be
   satisfied by never visiting the states where it is enabled: remove those states,
   split the rest into components again, and check each (back to 1);
4. otherwise C is fair: the cycle that walks through all of C satisfies every unit.

A component found by step 4 is a counterexample; if none is found, the property holds.
This is exact (sound and complete) for the supported forms. Cost: building the graph
expands every state once more (about one safety search); each property then costs
O(states + transitions) per level of step 3, and step 3 can repeat at most once per
strong unit on a shrinking component, so O(units * (states + transitions)) in the
worst case, O(states + transitions) without strong fairness.

**The counterexample** is a lasso: the shortest path (BFS) from an initial state to the
nearest fair component, then a short cycle inside it built greedily: from the entry
state, repeatedly walk (BFS inside the component) to the nearest place that discharges
an outstanding obligation (take a unit that is enabled everywhere, visit a state where a
weak unit is disabled, take a strong unit enabled somewhere, visit B), then walk back to
the entry. When nothing must be taken, the cycle is the entry state stuttering forever.

**Symmetry**: fairness per instance and properties naming particular values are not
invariant under permutations, and checking liveness on symmetry-reduced graphs gives
wrong answers (TLC documents that it may). The explorer therefore checks temporal
properties on the unreduced graph and says so (:class:`modelcheck.search.run.Run`).

**Constraints**: transitions to states discarded by a state constraint are not part of
the graph, so behaviours are those that stay inside the constraint (as in TLC).

The graph is a :class:`~modelcheck.search.store.StateGraph`, the one the breadth-first
search records while it runs (or the stored states expanded once more after a
depth-first search); :func:`decide` is what a run calls.

Depends on :mod:`modelcheck.model`, :mod:`modelcheck.result` and
:mod:`modelcheck.search.store`.
"""

from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass
from typing import Sequence

from ..model import Fairness, Label, Model, TemporalProperty
from ..result import PropertyKind, Trace, Verdict, Violation, Witness
from .store import StateGraph

#: the graph the liveness checker reads: compact rows without self-loops
Graph = StateGraph


class Units:
    """Fairness units: which labels belong to which unit, and each unit's strength."""

    def __init__(self, model: Model, fairness: Sequence[Fairness]):
        self.model = model
        self.fairness = tuple(fairness)
        self.ids: dict[tuple, int] = {}
        self.strong: list[bool] = []
        self.names: list[str] = []
        self._of_label: dict[Label, tuple[int, ...]] = {}

    def of(self, label: Label) -> tuple[int, ...]:
        us = self._of_label.get(label)
        if us is None:
            info = self.model.describe(label)
            found = []
            for k, f in enumerate(self.fairness):
                inst = f.key(info.action, info.values)
                if inst is None:
                    continue
                key = (k, inst) if f.per_instance else (k,)
                u = self.ids.get(key)
                if u is None:
                    u = self.ids[key] = len(self.strong)
                    self.strong.append(f.strength == "strong")
                    if not f.per_instance:
                        name = f"{f.strength} {f.action}"
                    elif not f.group:
                        name = f"{f.strength} {info.show()}"
                    else:                   # a group's instance: its keys' values
                        pos = dict(f.group)[info.action]
                        name = f"{f.show()} for " + ", ".join(f"{info.params[i][0]}={info.params[i][1]}" for i in pos)
                    self.names.append(name)
                found.append(u)
            us = self._of_label[label] = tuple(found)
        return us


# ---------------------------------------------------------------------- graph algorithms


def sccs(g: Graph, nodes: Sequence[int], member, mark: int) -> list[list[int]]:
    """Strongly connected components of the subgraph induced by ``nodes`` (those ``i``
    with ``member[i] == mark``), by Tarjan's algorithm without recursion."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    start, to = g.start, g.to
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, start[root])]
        while work:
            v, k = work[-1]
            end = start[v + 1]
            while k < end:
                w = to[k]
                k += 1
                if member[w] != mark:
                    continue
                if w not in index:
                    work[-1] = (v, k)
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, start[w]))
                    break
                if w in on_stack and index[w] < low[v]:
                    low[v] = index[w]
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(comp)
    return out


@dataclass
class _Component:
    nodes: list[int]
    #: per unit enabled somewhere in the component: (number of states where enabled, taken inside)
    units: dict[int, tuple[int, bool]]


def _unit_summary(g: Graph, units: Units, comp: list[int], member, mark: int) -> dict[int, tuple[int, bool]]:
    enabled: dict[int, int] = {}
    taken: set[int] = set()
    of = units.of
    for i in comp:
        here: set[int] = set()
        for j, label in g.edges(i):
            us = of(label)
            if us:
                here.update(us)
                if member[j] == mark:
                    taken.update(us)
        for u in here:
            enabled[u] = enabled.get(u, 0) + 1
    return {u: (c, u in taken) for u, c in enabled.items()}


def _has_loop(g: Graph, i: int) -> bool:
    return i in g.to[g.start[i]:g.start[i + 1]]


def fair_enabled_states(g: Graph, units: Units) -> bytearray:
    """1 for every state where some fairness unit is enabled."""
    fair_labels = {lab for lab in set(g.lab) if units.of(lab)}
    out = bytearray(g.n)
    if not fair_labels:
        return out
    start, lab = g.start, g.lab
    for i in range(g.n):
        for k in range(start[i], start[i + 1]):
            if lab[k] in fair_labels:
                out[i] = 1
                break
    return out


def fair_components(g: Graph, units: Units, region: bytearray, buchi: bytearray | None,
                    fair_enabled: bytearray | None = None) -> list[_Component]:
    """Every fair component inside ``region`` (a 0/1 mask over states), per the module
    docstring; ``buchi``, when given, must be visited. ``fair_enabled`` is
    :func:`fair_enabled_states` (computed when not given)."""
    if fair_enabled is None:
        fair_enabled = fair_enabled_states(g, units)
    member = array("l", bytes(8 * g.n)) if g.n else array("l")  # current candidate marks
    mark = 0
    work = [[i for i in range(g.n) if region[i]]]
    found: list[_Component] = []
    while work:
        nodes = work.pop()
        mark += 1
        for i in nodes:
            member[i] = mark
        for comp in sccs(g, nodes, member, mark):
            mark += 1
            for i in comp:
                member[i] = mark
            if buchi is not None and not any(buchi[i] for i in comp):
                continue
            if len(comp) == 1 and not _has_loop(g, comp[0]):
                # a lone state can only stutter: fair iff no fairness unit is enabled there
                if not fair_enabled[comp[0]]:
                    found.append(_Component(comp, {}))
                continue
            summary = _unit_summary(g, units, comp, member, mark)
            unfair = False
            remove: set[int] = set()
            for u, (count, taken) in summary.items():
                if taken:
                    continue
                if not units.strong[u]:
                    if count == len(comp):
                        unfair = True
                        break
                else:
                    remove.add(u)
            if unfair:
                continue
            if remove:
                rest = [i for i in comp
                        if not any(u in remove for _, lab in g.edges(i) for u in units.of(lab))]
                if rest:
                    work.append(rest)
                continue
            found.append(_Component(comp, summary))
    return found


def bfs_path(g: Graph, sources: Sequence[int], allowed: bytearray | None, targets: bytearray) -> list[tuple[int, Label | None]] | None:
    """Shortest path from any source to any target, moving only through allowed states
    (sources must be allowed). Returns [(state, label into it)], or None."""
    parent: dict[int, tuple[int, Label] | None] = {}
    queue = deque()
    for s in sources:
        if (allowed is None or allowed[s]) and s not in parent:
            parent[s] = None
            queue.append(s)
    while queue:
        v = queue.popleft()
        if targets[v]:
            path = []
            cur: int | None = v
            while cur is not None:
                p = parent[cur]
                if p is None:
                    path.append((cur, None))
                    cur = None
                else:
                    path.append((cur, p[1]))
                    cur = p[0]
            path.reverse()
            return path
        for w, label in g.edges(v):
            if w not in parent and (allowed is None or allowed[w]):
                parent[w] = (v, label)
                queue.append(w)
    return None


def _cycle(g: Graph, units: Units, comp: _Component, entry: int, buchi: bytearray | None) -> tuple[list[tuple[int, Label]], Label | None]:
    """A short fair cycle through ``entry`` inside the component: the steps after
    ``entry`` (each (state, label into it)) up to, not including, the return to
    ``entry``, and the label of the closing step (None: stuttering at ``entry``)."""
    inside = bytearray(g.n)
    for i in comp.nodes:
        inside[i] = 1
    size = len(comp.nodes)
    take: set[int] = set()  # units to take by a transition inside the component
    avoid: set[int] = set()  # weak units: visit a state where the unit is disabled
    for u, (count, taken) in comp.units.items():
        if units.strong[u] or count == size:
            take.add(u)
        else:
            avoid.add(u)
    need_buchi = buchi is not None

    def enabled_units(i):
        out = set()
        for _, lab in g.edges(i):
            out.update(units.of(lab))
        return out

    def discharge_state(i):
        nonlocal need_buchi
        if avoid:
            avoid.difference_update([u for u in list(avoid) if u not in enabled_units(i)])
        if need_buchi and buchi[i]:
            need_buchi = False

    steps: list[tuple[int, Label]] = []

    def walk(x, lab):
        steps.append((x, lab))
        take.difference_update(units.of(lab))
        discharge_state(x)

    cur = entry
    discharge_state(cur)
    while take or avoid or need_buchi:
        # BFS inside the component to the nearest place that discharges something: a
        # state (other than where we are) for a state obligation, or a transition
        parent: dict[int, tuple[int, Label] | None] = {cur: None}
        queue = deque([cur])
        hit = None
        while queue and hit is None:
            v = queue.popleft()
            if v != cur and ((need_buchi and buchi[v]) or
                             (avoid and any(u not in enabled_units(v) for u in avoid))):
                hit = (v, None)
                break
            for w, lab in g.edges(v):
                if inside[w] and take.intersection(units.of(lab)):
                    hit = (v, (w, lab))
                    break
            else:
                for w, lab in g.edges(v):
                    if inside[w] and w not in parent:
                        parent[w] = (v, lab)
                        queue.append(w)
        if hit is None:  # pragma: no cover - the component was checked fair
            raise RuntimeError("fair cycle construction failed")
        v, edge = hit
        path = []
        x = v
        while parent[x] is not None:
            px, lab = parent[x]
            path.append((x, lab))
            x = px
        for x, lab in reversed(path):
            walk(x, lab)
        cur = v
        if edge is not None:
            walk(*edge)
            cur = edge[0]
    if not steps:
        return [], None
    # walk back to the entry
    if cur == entry:
        _, closing = steps.pop()
        return steps, closing
    back = bfs_path(g, [cur], inside, _single(g.n, entry))
    assert back is not None
    back = back[1:]  # drop cur itself
    closing = back[-1][1]
    steps.extend(back[:-1])
    return steps, closing


def _single(n: int, i: int) -> bytearray:
    m = bytearray(n)
    m[i] = 1
    return m


# ---------------------------------------------------------------------- properties


@dataclass(frozen=True)
class Outcome:
    """The decision on one temporal property instance. ``holds`` is True or False;
    ``trace`` is the counterexample (a lasso, or a finite path for ``always``) or, for
    ``reachable``, the witness; ``vacuous`` marks a ``~>`` whose premise never holds."""

    prop: TemporalProperty
    holds: bool
    trace: Trace | None = None
    vacuous: bool = False


class LivenessChecker:
    """Decides temporal properties on one state graph (self-loops are dropped: they are
    stuttering steps)."""

    def __init__(self, model: Model, graph: StateGraph, fairness: Sequence[Fairness] | None = None):
        self.model = model
        self.graph = graph.without_self_loops()
        self.units = Units(model, model.fairness if fairness is None else fairness)
        # register every unit that occurs, so warnings can name the silent ones
        for lab in set(self.graph.lab):
            self.units.of(lab)
        self.fair_enabled = fair_enabled_states(self.graph, self.units)

    def never_enabled_fairness(self) -> list[str]:
        """Fairness conditions whose action never takes a non-stuttering step."""
        seen = {key[0] for key in self.units.ids}
        return [f.show() for k, f in enumerate(self.units.fairness) if k not in seen]

    def _mask(self, pred, negate: bool) -> bytearray:
        states = self.graph.states
        if negate:
            return bytearray(0 if pred(s) else 1 for s in states)
        return bytearray(1 if pred(s) else 0 for s in states)

    def _trace(self, path: list[tuple[int, Label | None]], cycle=None) -> Trace:
        states = [self.graph.states[i] for i, _ in path]
        labels = [lab for _, lab in path]
        if cycle is None:
            return Trace(tuple(states), tuple(labels))
        steps, closing = cycle
        loop = len(states) - 1
        for i, lab in steps:
            states.append(self.graph.states[i])
            labels.append(lab)
        if closing is None:
            loop = len(states) - 1
        return Trace(tuple(states), tuple(labels), loop, closing)

    def _lasso(self, comps: list[_Component], path_to) -> Trace:
        """The lasso through the component nearest to the start (``path_to(targets)``
        finds the prefix)."""
        targets = bytearray(self.graph.n)
        owner: dict[int, _Component] = {}
        for c in comps:
            for i in c.nodes:
                targets[i] = 1
                owner[i] = c
        prefix = path_to(targets)
        entry = prefix[-1][0]
        return self._trace(prefix, _cycle(self.graph, self.units, owner[entry], entry, self._buchi))

    def check(self, prop: TemporalProperty) -> Outcome:
        g = self.graph
        self._buchi = None
        kind = prop.kind
        if kind in ("always", "reachable"):
            want = self._mask(prop.p, negate=(kind == "always"))
            path = bfs_path(g, g.initial, None, want)
            if kind == "always":
                return Outcome(prop, path is None, None if path is None else self._trace(path))
            return Outcome(prop, path is not None, None if path is None else self._trace(path))
        if kind == "eventually":
            region = self._mask(prop.p, negate=True)
            reach = self._reach(g.initial, region)
            comps = fair_components(g, self.units, reach, None, self.fair_enabled)
            if not comps:
                return Outcome(prop, True)
            return Outcome(prop, False, self._lasso(comps, lambda t: bfs_path(g, g.initial, region, t)))
        if kind == "always_eventually":
            region = self._mask(prop.p, negate=True)
            comps = fair_components(g, self.units, region, None, self.fair_enabled)
            if not comps:
                return Outcome(prop, True)
            return Outcome(prop, False, self._lasso(comps, lambda t: bfs_path(g, g.initial, None, t)))
        if kind == "eventually_always":
            self._buchi = self._mask(prop.p, negate=True)
            comps = fair_components(g, self.units, bytearray([1]) * g.n, self._buchi, self.fair_enabled)
            if not comps:
                return Outcome(prop, True)
            return Outcome(prop, False, self._lasso(comps, lambda t: bfs_path(g, g.initial, None, t)))
        if kind == "leadsto":
            premise = self._mask(prop.p, negate=False)
            region = self._mask(prop.q, negate=True)
            seeds = [i for i in range(g.n) if premise[i] and region[i]]
            vacuous = not any(premise)
            reach = self._reach(seeds, region)
            comps = fair_components(g, self.units, reach, None, self.fair_enabled)
            if not comps:
                return Outcome(prop, True, vacuous=vacuous)
            seed_mask = bytearray(g.n)
            for i in seeds:
                seed_mask[i] = 1

            def path_to(targets):
                return _two_phase_path(g, g.initial, seed_mask, region, targets)

            return Outcome(prop, False, self._lasso(comps, path_to), vacuous=vacuous)
        raise ValueError(f"unknown temporal property kind {kind!r}")

    def _reach(self, sources: Sequence[int], region: bytearray) -> bytearray:
        """States of ``region`` reachable from the sources in ``region`` through it."""
        g = self.graph
        out = bytearray(g.n)
        stack = [s for s in sources if region[s]]
        for s in stack:
            out[s] = 1
        while stack:
            v = stack.pop()
            for w, _ in g.edges(v):
                if region[w] and not out[w]:
                    out[w] = 1
                    stack.append(w)
        return out


def _two_phase_path(g: Graph, sources, seeds: bytearray, region: bytearray, targets: bytearray):
    """Shortest path from a source, anywhere, to a seed, then inside ``region`` to a
    target (a 0-1 BFS over (state, phase) pairs: switching phase at a seed is free)."""
    start = [(s, 0) for s in sources]
    parent: dict[tuple[int, int], tuple[tuple[int, int], Label | None] | None] = {}
    queue = deque()
    for node in start:
        if node not in parent:
            parent[node] = None
            queue.append(node)
    while queue:
        node = queue.popleft()
        v, phase = node
        if phase == 0 and seeds[v] and (v, 1) not in parent:
            parent[(v, 1)] = (node, "switch")
            queue.appendleft((v, 1))
        if phase == 1 and targets[v]:
            path = []
            cur = node
            while cur is not None:
                p = parent[cur]
                if p is None:
                    path.append((cur[0], None))
                    cur = None
                elif p[1] == "switch":
                    cur = p[0]
                else:
                    path.append((cur[0], p[1]))
                    cur = p[0]
            path.reverse()
            return path
        for w, lab in g.edges(v):
            nxt = (w, phase)
            if nxt in parent or (phase == 1 and not region[w]):
                continue
            parent[nxt] = (node, lab)
            queue.append(nxt)
    return None


# ---------------------------------------------------------------------- what a run asks


@dataclass(frozen=True)
class Decision:
    """Every temporal property decided: ``results`` is ``(name, class, verdict)`` per
    property (its instances merged), with the violations, witnesses and notes to report."""

    results: tuple[tuple[str, str, Verdict], ...]
    violations: tuple[Violation, ...]
    witnesses: tuple[Witness, ...]
    notes: tuple[str, ...]


def decide(model: Model, graph: StateGraph, temporal: Sequence[TemporalProperty]) -> Decision:
    """Decide every property of ``temporal`` on ``graph``. A property with several
    instances (a ``forall`` expanded) holds when every instance holds; the first failing
    instance is its counterexample."""
    checker = LivenessChecker(model, graph)
    notes = [f"fairness `{f}`: the action never takes a step that changes the state"
             for f in checker.never_enabled_fairness()]
    results, violations, witnesses = [], [], []
    by_name: dict[str, list] = {}
    for prop in temporal:
        by_name.setdefault(prop.name, []).append(prop)
    for name, instances in by_name.items():
        first = instances[0]
        failed = None
        vacuous = []
        witness = None
        for prop in instances:
            out = checker.check(prop)
            if out.vacuous:
                vacuous.append(prop.instance)
            if prop.kind == "reachable":
                if out.holds and witness is None:
                    witness = Witness(name, prop.cls, out.trace, prop.instance)
                if not out.holds:
                    failed = Violation(name, prop.cls, PropertyKind.TEMPORAL, Trace((), ()),
                                       _instance_message(prop, "no reachable state satisfies it"))
                    break
            elif not out.holds:
                failed = Violation(name, prop.cls, PropertyKind.TEMPORAL, out.trace, _instance_message(prop, ""))
                break
        if failed is not None:
            violations.append(failed)
        elif witness is not None:
            witnesses.append(witness)
        if vacuous and failed is None and len(vacuous) == len(instances):
            notes.append(f"{name}: the premise of `~>` never holds, so it holds vacuously")
        elif vacuous and failed is None:
            notes.append(f"{name}: the premise of `~>` never holds for "
                         + ", ".join(v or "it" for v in vacuous) + " (vacuous there)")
        results.append((name, first.cls, Verdict.VIOLATED if failed else Verdict.HOLDS))
    return Decision(tuple(results), tuple(violations), tuple(witnesses), tuple(notes))


def _instance_message(prop: TemporalProperty, why: str) -> str:
    parts = [p for p in (f"for {prop.instance}" if prop.instance else "", why) if p]
    return ", ".join(parts)
