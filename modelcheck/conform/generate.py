"""Traces from the spec, for testing an implementation (``modelcheck trace generate``).

Three kinds, each an ITF trace with ``mbt::actionTaken`` and ``mbt::nondetPicks``:

* ``--cover actions``: a covering set in which every action instance (an action with
  concrete parameters) is taken at least once. The reachable states are explored
  breadth-first (at most ``max_states``, traces of at most ``depth`` states); for each
  instance not yet covered, in label order, one trace: a shortest path to the first
  state (in breadth-first order) where it is enabled, then that step. A trace covers
  every instance on it, so later instances often need no trace of their own.
* ``--cover transitions``: every edge of the reachable state graph (state, action
  instance, next state; self-loops included) is taken at least once. Only for small
  configurations: the whole graph is built, and a graph above ``max_states`` states is
  refused. Greedy path cover: a trace starts with a shortest path to the first
  uncovered edge, then keeps walking to the nearest state with an uncovered edge
  (breadth-first from where it is) while it has fewer than ``depth`` states.
* random walks (``--traces N``): from a random initial state, a uniformly chosen
  successor at each step, up to ``depth`` states or a deadlock, as ``modelcheck
  simulate`` walks; seeded (``--seed``).
* ``--reach EXPR``: a targeted witness, the trap of a situation the tests must bring the
  implementation to: a shortest trace to a state satisfying a state predicate, or ending
  with a step satisfying a step predicate (one that reads primed variables), found
  breadth-first (at most ``max_states`` states, ``depth`` states per trace), as
  ``check`` finds the shortest counterexample to ``invariant not EXPR`` (or to ``step
  not EXPR``). One trace per predicate; a predicate no explored state or step satisfies
  is reported as unreachable when the exploration was exhaustive, else as not reached.

Everything is deterministic: breadth-first order follows the model's successor order,
instances are taken in label order, walks use their own ``random.Random(seed)``. States
outside a ``constraint`` are not explored (as in ``check``). Coverage is reported as
``x of y``: for actions, ``y`` counts every instance of the actions whose parameter
domains are constant plus every instance of the other actions seen enabled; the
instances never enabled are listed, and the list is final only when the exploration
was exhaustive.

Depends on the model protocol, the search's state graph (:mod:`modelcheck.search`),
:mod:`modelcheck.itf` and :mod:`modelcheck.result`.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from ..itf import trace_to_itf
from ..model import ActionAssertionFailed, HasStaticInstances
from ..result import Trace
from ..search import build_graph

DEFAULT_MAX_STATES = 200_000  # --cover actions
DEFAULT_TRANSITION_LIMIT = 5_000  # --cover transitions: reachable states at most
DEFAULT_DEPTH = 50


class GenerateError(Exception):
    """A request that cannot be served (a graph too large, a file in the way)."""


@dataclass(frozen=True)
class Target:
    """A ``--reach`` predicate: ``holds(s)`` of a state, or ``holds(s, t)`` of a step
    when ``step`` (:func:`modelcheck.dsl.view.compile_predicate` makes one)."""

    text: str
    step: bool
    holds: Callable[..., bool]


@dataclass(frozen=True)
class GeneratedTrace:
    kind: str  # "actions" | "transitions" | "walk" | "reach"
    number: int
    states: tuple
    labels: tuple
    #: what this trace covers first (instances or edges shown as text)
    covers: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return f"{self.kind}-{self.number:04d}.itf.json"


@dataclass(frozen=True)
class Coverage:
    mode: str  # "actions" | "transitions" | "walks" | "reach"
    covered: int
    total: int
    missing: tuple[str, ...]
    exhaustive: bool
    states: int
    note: str = ""

    def to_dict(self) -> dict:
        return {"mode": self.mode, "covered": self.covered, "total": self.total, "missing": list(self.missing),
                "exhaustive": self.exhaustive, "states_explored": self.states, "note": self.note}


@dataclass(frozen=True)
class Generation:
    traces: tuple[GeneratedTrace, ...]
    coverage: tuple[Coverage, ...]
    seconds: float
    seed: int


# ----------------------------------------------------------------------------- the state graph


class _Graph:
    """The reachable state graph (:func:`modelcheck.search.build_graph`: breadth-first,
    with its tree of shortest paths), seen as the covering algorithms need it: ``first``
    maps each action instance to its first transition in breadth-first order, and (with
    ``keep_edges``) ``edges`` lists the distinct transitions ``(source, label, target)``,
    ``out`` the ids of those leaving each state."""

    def __init__(self, model, max_states: int, max_depth: int, keep_edges: bool):
        g = build_graph(model, max_states=max_states, max_depth=max_depth, strict=False, errors_as_leaves=False)
        self.model = model
        self.graph = g
        self.states = g.states
        self.truncated = g.truncated
        self.assertions = list(g.assertions)
        self.edges: list[tuple[int, int, int]] = []
        self.first: dict[int, tuple[int, int, int]] = {}
        self.out: dict[int, list[int]] = {}
        seen_edges: set = set()
        for e in g.transitions():
            lab = e[1]
            if lab not in self.first:
                self.first[lab] = e
            if keep_edges and e not in seen_edges:
                seen_edges.add(e)
                self.out.setdefault(e[0], []).append(len(self.edges))
                self.edges.append(e)

    def path_to(self, v: int) -> list[tuple[int, int, int]]:
        """The breadth-first tree's path (edges) from an initial state to ``v``."""
        return self.graph.path_to(v)

    def trace(self, start: int, edges: list[tuple[int, int, int]]) -> tuple[tuple, tuple]:
        states = [self.states[start]] + [self.states[d] for _, _, d in edges]
        labels = [None] + [lab for _, lab, _ in edges]
        return tuple(states), tuple(labels)


# ----------------------------------------------------------------------------- covering sets


def _all_instances(model, seen: set[int]) -> list[int]:
    n = model.static_instances() if isinstance(model, HasStaticInstances) else 0
    return sorted(set(range(n)) | seen)


def cover_actions(model, depth: int = DEFAULT_DEPTH, max_states: int = DEFAULT_MAX_STATES):
    g = _Graph(model, max_states, depth, keep_edges=False)
    labels = _all_instances(model, set(g.first))
    covered: set[int] = set()
    traces = []
    for lab in labels:
        if lab in covered or lab not in g.first:
            continue
        u, _, v = g.first[lab]
        tree = g.path_to(u) + [g.first[lab]]
        states = [g.states[tree[0][0]]] + [g.states[d] for _, _, d in tree]
        labs: list = [None] + [x for _, x, _ in tree]
        new = [x for x in labs[1:] if x not in covered]
        covered.update(labs[1:])
        # keep going: the nearest state enabling an instance not yet covered, while the
        # trace has room (fewer traces, each covering more)
        while len(states) < depth:
            ext = _nearest_instance(model, states[-1], covered, g.first, depth - len(states))
            if ext is None:
                break
            for x, t in ext:
                states.append(t)
                labs.append(x)
                if x not in covered:
                    covered.add(x)
                    new.append(x)
        traces.append(GeneratedTrace("actions", len(traces) + 1, tuple(states), tuple(labs),
                                     tuple(model.describe(x).show() for x in dict.fromkeys(new))))
    missing = tuple(model.describe(x).show() for x in labels if x not in covered)
    # an action with no instance at all (empty parameter domain) never appears as a label
    never = tuple(a for a in model.action_names if not any(model.describe(x).action == a for x in labels))
    exhaustive = not g.truncated
    note = "" if exhaustive else (f"exploration stopped at {len(g.states):,} states or depth {depth}: "
                                  "the instances not covered may be enabled further on")
    cov = Coverage("actions", len(labels) - len(missing), len(labels), missing + never, exhaustive, len(g.states), note)
    return traces, cov


LOCAL_SEARCH_LIMIT = 20_000  # states visited when looking for the next instance to cover


def _successors(model, s) -> list:
    """``s``'s transitions, or none when an action's assertion fails in it (a state no
    generated trace goes through)."""
    try:
        return model.successors(s)
    except ActionAssertionFailed:
        return []


def _inside(cons: tuple, s) -> bool:
    """``s`` satisfies the state constraints ``cons``."""
    return all(c.check(s) for c in cons)


def _nearest_instance(model, start, covered: set, wanted: dict, budget: int):
    """A shortest run of steps from ``start`` (at most ``budget``) whose last step is an
    instance that is reachable (in ``wanted``) and not yet covered."""
    cons = tuple(model.constraints)
    prev: dict = {start: None}
    frontier = [start]
    for _ in range(budget):
        nxt = []
        for s in frontier:
            for lab, t in _successors(model, s):
                if not _inside(cons, t):
                    continue
                if lab not in covered and lab in wanted:
                    run = [(lab, t)]
                    x = s
                    while prev[x] is not None:
                        p, plab = prev[x]
                        run.append((plab, x))
                        x = p
                    run.reverse()
                    return run
                if t not in prev and len(prev) < LOCAL_SEARCH_LIMIT:
                    prev[t] = (s, lab)
                    nxt.append(t)
        frontier = nxt
        if not frontier:
            break
    return None


def cover_transitions(model, depth: int = DEFAULT_DEPTH, max_states: int = DEFAULT_TRANSITION_LIMIT):
    g = _Graph(model, max_states, 10**9, keep_edges=True)
    if g.truncated:
        raise GenerateError(
            f"the reachable state graph has more than {max_states:,} states: --cover transitions builds the "
            f"whole graph and is meant for small configurations (raise the limit with --max-states, or use "
            f"--cover actions)")
    uncovered = dict.fromkeys(range(len(g.edges)))
    too_deep: list[int] = []
    traces = []
    while uncovered:
        e0 = next(iter(uncovered))
        u, lab, v = g.edges[e0]
        path = g.path_to(u) + [g.edges[e0]]
        if len(path) + 1 > depth:
            too_deep.append(e0)
            del uncovered[e0]
            continue
        firsts = []
        for e in path:
            k = _edge_id(g, e)
            if k in uncovered:
                del uncovered[k]
                firsts.append(k)
        cur = v
        while uncovered and len(path) + 1 < depth:
            ext = _nearest_uncovered(g, cur, uncovered, depth - 1 - len(path))
            if ext is None:
                break
            for k in ext:
                path.append(g.edges[k])
                if k in uncovered:
                    del uncovered[k]
                    firsts.append(k)
            cur = path[-1][2]
        states, labs = g.trace(path[0][0], path)
        traces.append(GeneratedTrace("transitions", len(traces) + 1, states, labs,
                                     tuple(_edge_text(model, g, k) for k in firsts)))
    missing = tuple(_edge_text(model, g, k) for k in too_deep)
    cov = Coverage("transitions", len(g.edges) - len(missing), len(g.edges), missing, True, len(g.states),
                   "" if not missing else f"edges listed need traces longer than {depth} states (--depth)")
    return traces, cov


def _edge_id(g: _Graph, e) -> int:
    for k in g.out.get(e[0], ()):
        if g.edges[k] == e:
            return k
    raise KeyError(e)  # pragma: no cover - every tree edge is an edge


def _nearest_uncovered(g: _Graph, start: int, uncovered: dict, budget: int) -> list[int] | None:
    """Edge ids of a shortest walk from ``start`` ending with an uncovered edge, at most
    ``budget`` edges long."""
    if budget <= 0:
        return None
    prev: dict[int, tuple[int, int] | None] = {start: None}
    frontier = [start]
    dist = 0
    while frontier and dist < budget:
        nxt = []
        for u in frontier:
            for k in g.out.get(u, ()):
                if k in uncovered:
                    walk = [k]
                    x = u
                    while prev[x] is not None:
                        p, pk = prev[x]
                        walk.append(pk)
                        x = p
                    walk.reverse()
                    return walk
            for k in g.out.get(u, ()):
                w = g.edges[k][2]
                if w not in prev:
                    prev[w] = (u, k)
                    nxt.append(w)
        frontier = nxt
        dist += 1
    return None


def _edge_text(model, g: _Graph, k: int) -> str:
    u, lab, v = g.edges[k]
    return f"state {u} --{model.describe(lab).show()}--> state {v}"


# ----------------------------------------------------------------------------- random walks


def random_walks(model, traces: int, depth: int, seed: int) -> list[GeneratedTrace]:
    rng = random.Random(seed)
    cons = tuple(model.constraints)
    inits = [s for s in model.initial_states() if _inside(cons, s)]
    out = []
    for n in range(traces):
        if not inits:
            break
        s = inits[rng.randrange(len(inits))]
        states, labels = [s], [None]
        while len(states) < depth:
            succ = [(lab, t) for lab, t in _successors(model, s) if _inside(cons, t)]
            if not succ:
                break
            lab, s = succ[rng.randrange(len(succ))]
            states.append(s)
            labels.append(lab)
        out.append(GeneratedTrace("walk", n + 1, tuple(states), tuple(labels)))
    return out


def walk_coverage(model, walks: list[GeneratedTrace]) -> Coverage:
    seen = {lab for w in walks for lab in w.labels[1:]}
    labels = _all_instances(model, seen)
    missing = tuple(model.describe(x).show() for x in labels if x not in seen)
    return Coverage("walks", len(labels) - len(missing), len(labels), missing, False,
                    len({s for w in walks for s in w.states}),
                    "random walks: instances not taken may still be enabled somewhere")


# ----------------------------------------------------------------------------- targeted witnesses


def reach(model, targets: Sequence[Target], depth: int = DEFAULT_DEPTH, max_states: int = DEFAULT_MAX_STATES):
    """One shortest trace per target (numbered by the target's position), found by one
    breadth-first search that stops once every target is reached; the coverage counts
    the targets reached. As ``check`` orders its checks: a step predicate is tried on
    every transition, before the state constraints (so the last step may leave them), a
    state predicate on every state inside them when it is first seen (the initial states
    included: a trace of one state); in breadth-first order, so that the first hit ends a
    shortest trace."""
    cons = tuple(model.constraints)
    prev: dict = {}                 # state -> (parent, label of the step to it), None for an initial state
    found: dict[int, tuple[tuple, tuple]] = {}
    pending = list(range(len(targets)))

    def path(v, step=None) -> tuple[tuple, tuple]:
        states, labs = [v], []
        while prev[v] is not None:
            v, lab = prev[v]
            states.append(v)
            labs.append(lab)
        states.reverse()
        labs = [None] + labs[::-1]
        if step is not None:
            states.append(step[1])
            labs.append(step[0])
        return tuple(states), tuple(labs)

    def try_states(v) -> None:
        for k in [k for k in pending if not targets[k].step and targets[k].holds(v)]:
            found[k] = path(v)
            pending.remove(k)

    def try_steps(s, lab, t) -> None:
        for k in [k for k in pending if targets[k].step and targets[k].holds(s, t)]:
            found[k] = path(s, (lab, t))
            pending.remove(k)

    frontier = []
    for s in model.initial_states():
        if s in prev or not _inside(cons, s):
            continue
        prev[s] = None
        frontier.append(s)
        try_states(s)
    truncated = ""                  # the bound that stopped the search
    length = 1                      # states of a trace to a state of the frontier
    while frontier and pending:
        if length >= depth:
            truncated = "depth"
            break
        nxt = []
        for s in frontier:
            for lab, t in _successors(model, s):
                # check's order: step properties on the transition, then the constraints,
                # then invariants on new states only
                try_steps(s, lab, t)
                if pending and t not in prev and _inside(cons, t):
                    if len(prev) >= max_states:
                        # stop here: a hit beyond a state left out need not be shortest
                        truncated = "max-states"
                        break
                    prev[t] = (s, lab)
                    nxt.append(t)
                    try_states(t)
                if not pending:
                    break
            if not pending or truncated:
                break
        if truncated:
            break
        frontier = nxt
        length += 1
    exhaustive = not truncated and not frontier
    traces = [GeneratedTrace("reach", k + 1, *found[k], covers=(targets[k].text,)) for k in sorted(found)]
    missing = tuple(targets[k].text for k in pending)
    if not missing:
        note = ""
    elif exhaustive:
        note = "unreachable: no reachable state (within the constraints) or step satisfies it"
    elif truncated == "depth":
        note = (f"exploration stopped at traces of {depth} states (--depth), {len(prev):,} states explored: "
                "the predicates not reached may hold further on")
    else:
        note = (f"exploration stopped at {max_states:,} states (--max-states), at traces of {length + 1} "
                "states: the predicates not reached may hold further on")
    return traces, Coverage("reach", len(found), len(targets), missing, exhaustive, len(prev), note)


# ----------------------------------------------------------------------------- the command


def generate(model, cover: str | None, traces: int, depth: int, seed: int, max_states: int | None = None,
             targets: Sequence[Target] = ()) -> Generation:
    t0 = time.perf_counter()
    out: list[GeneratedTrace] = []
    covs: list[Coverage] = []
    if cover == "actions":
        tr, cov = cover_actions(model, depth, max_states or DEFAULT_MAX_STATES)
        out.extend(tr)
        covs.append(cov)
    elif cover == "transitions":
        tr, cov = cover_transitions(model, depth, max_states or DEFAULT_TRANSITION_LIMIT)
        out.extend(tr)
        covs.append(cov)
    elif cover is not None:
        raise GenerateError(f"--cover must be `actions` or `transitions`, not `{cover}`")
    if targets:
        tr, cov = reach(model, targets, depth, max_states or DEFAULT_MAX_STATES)
        out.extend(tr)
        covs.append(cov)
    if traces:
        walks = random_walks(model, traces, depth, seed)
        out.extend(walks)
        covs.append(walk_coverage(model, walks))
    return Generation(tuple(out), tuple(covs), time.perf_counter() - t0, seed)


def write(model, gen: Generation, out_dir: str | Path, force: bool, source: str = "", consts: str = "") -> list[Path]:
    """Write every trace and ``manifest.json`` into ``out_dir``; refuse to overwrite an
    existing file unless ``force`` (checked for every file before writing any)."""
    d = Path(out_dir)
    if d.exists() and not d.is_dir():
        raise GenerateError(f"{d} exists and is not a directory")
    paths = [d / t.file for t in gen.traces] + [d / "manifest.json"]
    if not force:
        existing = [p for p in paths if p.exists()]
        if existing:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise GenerateError(f"{existing[0]} exists{more}: not overwriting it (use --force, or another --out)")
    d.mkdir(parents=True, exist_ok=True)
    for t in gen.traces:
        what = f" (--reach {t.covers[0]})" if t.kind == "reach" else ""
        itf = trace_to_itf(model, Trace(t.states, t.labels), source=source,
                           description=f"{t.kind} trace {t.number}{what} generated by modelcheck trace generate")
        (d / t.file).write_text(json.dumps(itf, indent=2) + "\n", encoding="utf-8")
    manifest = manifest_dict(model, gen, source, consts)
    (d / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return paths


def manifest_dict(model, gen: Generation, source: str, consts: str) -> dict[str, Any]:
    return {
        "spec": model.name, "file": source, "constants": consts, "seed": gen.seed,
        "traces": [{"file": t.file, "kind": t.kind, "states": len(t.states), "covers": list(t.covers)}
                   for t in gen.traces],
        "coverage": [c.to_dict() for c in gen.coverage],
    }
