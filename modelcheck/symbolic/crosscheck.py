"""Do the two backends agree? The explicit successor function against z3's formulas.

:func:`cross_check` explores a spec explicitly (breadth first, inside its state
constraints, up to ``max_states``) and then asks z3:

* **initial states**: z3's ``init`` formula has exactly the explicit initial states
  (every solution enumerated with blocking clauses);
* **soundness of the explicit steps**: every explicit transition ``s -> t`` among the
  states explored satisfies the transition formula (every one, or a seeded sample of
  ``transitions`` of them);
* **completeness**: for a seeded sample of ``states`` explored states, every successor
  z3 finds is an explicit successor and the other way round (solutions enumerated with
  blocking clauses).

The tests run it on every bundled spec; it is also the first thing to run on a spec of
one's own when a symbolic verdict is surprising.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import z3

from .problem import Problem


@dataclass
class CrossCheck:
    initial: int = 0
    states: int = 0
    transitions_checked: int = 0
    states_enumerated: int = 0
    successors_compared: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def explore(model, max_states: int) -> tuple[list, list]:
    """Breadth-first: the states inside the constraints (up to ``max_states``) and the
    transitions between them."""
    keep = [c.check for c in model.constraints]
    init = [s for s in model.initial_states() if all(k(s) for k in keep)]
    seen = set(init)
    order = list(init)
    edges = []
    i = 0
    while i < len(order):
        s = order[i]
        i += 1
        for _, t in model.successors(s):
            if not all(k(t) for k in keep):
                continue
            edges.append((s, t))
            if t not in seen and len(seen) < max_states:
                seen.add(t)
                order.append(t)
    return order, [(s, t) for s, t in edges if t in seen]


def enumerate_states(pb: Problem, solver: z3.Solver, terms: list, limit: int) -> set:
    """Every solution for ``terms`` (blocking each), at most ``limit``."""
    out = set()
    while len(out) < limit and solver.check() == z3.sat:
        st = pb.decode(solver.model(), terms)
        out.add(st)
        solver.add(z3.Not(pb.equals(terms, st)))
    return out


def cross_check(spec, max_states: int = 2000, transitions: int | None = 500, states: int = 40,
                seed: int = 0, problem: Problem | None = None) -> CrossCheck:
    """Compare ``spec``'s explicit model with its encoding (``problem``, by default
    ``Problem(spec)``; a test passes a tampered one to see a disagreement reported)."""
    model = spec.model
    pb = problem or Problem(spec)
    rep = CrossCheck()
    order, edges = explore(model, max_states)
    rep.states = len(order)
    rng = random.Random(seed)
    # initial states
    s0 = pb.state("i")
    solver = z3.Solver()
    solver.add(pb.init(s0))
    explicit_init = set(model.initial_states())
    rep.initial = len(explicit_init)
    got = enumerate_states(pb, solver, s0, len(explicit_init) + 5)
    if got != explicit_init:
        rep.problems.append(f"initial states differ: z3 only {sorted(map(repr, got - explicit_init))[:3]}, "
                            f"explicit only {sorted(map(repr, explicit_init - got))[:3]}")
    # the transition formula
    s, t = pb.state("s"), pb.state("t")
    trans = z3.Or([pb.action(a, s, t, "x").formula for a in pb.actions])
    solver = z3.Solver()
    solver.add(trans)
    sample = edges if transitions is None or len(edges) <= transitions else rng.sample(edges, transitions)
    for a, b in sample:
        solver.push()
        solver.add(pb.equals(s, a))
        solver.add(pb.equals(t, b))
        r = solver.check()
        solver.pop()
        rep.transitions_checked += 1
        if r != z3.sat:
            rep.problems.append(f"an explicit step fails the transition formula ({r}):\n{model.show_state(a)}\n"
                                f"  ->\n{model.show_state(b)}")
            if len(rep.problems) > 3:
                return rep
    for st in rng.sample(order, min(states, len(order))):
        expected = {x for _, x in model.successors(st)}
        solver.push()
        solver.add(pb.equals(s, st))
        found = enumerate_states(pb, solver, t, len(expected) + 5)
        solver.pop()
        rep.states_enumerated += 1
        rep.successors_compared += len(expected)
        if found != expected:
            rep.problems.append(f"successors differ from\n{model.show_state(st)}\n  z3 only: "
                                f"{[model.show_state(x) for x in list(found - expected)[:2]]}\n  explicit only: "
                                f"{[model.show_state(x) for x in list(expected - found)[:2]]}")
            if len(rep.problems) > 3:
                return rep
    return rep
