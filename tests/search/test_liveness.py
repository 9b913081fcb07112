"""Temporal properties under fairness (modelcheck.liveness), on hand-written models.

Known answers for the subtle cases, then a property-based comparison against a brute
force decision procedure on random small graphs, and an independent check that every
counterexample lasso is a real, fair behaviour that violates the property.
"""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.search import Options, explore
from modelcheck.model import Fairness, SimpleModel, TemporalProperty
from modelcheck.result import Verdict

WEAK, STRONG = "weak", "strong"


def run(model, **kw):
    return explore(model, Options(check_deadlock=False, **kw))


def verdict_of(result, name):
    (p,) = [p for p in result.properties if p.name == name]
    return p.verdict


def lasso_of(result, name):
    (v,) = [v for v in result.violations if v.property == name]
    return v.trace


# ---------------------------------------------------------------------- lasso validation


def cycle_of(model, trace):
    """The states and transitions (label or None for stuttering) of the lasso's cycle."""
    states = list(trace.states[trace.loop:])
    labels = list(trace.labels[trace.loop + 1:]) + [trace.loop_label]
    return states, labels


def check_lasso(model, trace, fairness):
    """The lasso is a behaviour of the model and its cycle is fair (by the definitions
    of WF / SF with <<A>>_vars), computed here independently of modelcheck.liveness."""
    assert trace.loop is not None
    assert trace.states[0] in model.initial_states()
    for s, lab, t in zip(trace.states, trace.labels[1:], trace.states[1:]):
        assert (lab, t) in model.successors(s)
    if trace.loop_label is None:
        assert trace.loop == len(trace.states) - 1
    else:
        assert (trace.loop_label, trace.states[trace.loop]) in model.successors(trace.states[-1])
    states, labels = cycle_of(model, trace)

    def units(label, f):
        info = model.describe(label)
        if info.action != f.action:
            return None
        return info.values if f.per_instance else ()

    for f in fairness:
        keys = set()
        enabled = []  # per cycle state: the unit keys enabled (non-stuttering)
        for s in states:
            here = {units(lab, f) for lab, t in model.successors(s) if t != s} - {None}
            enabled.append(here)
            keys |= here
        taken = set()
        for s, lab, nxt in zip(states, labels, states[1:] + states[:1]):
            if lab is not None and nxt != s:
                k = units(lab, f)
                if k is not None:
                    taken.add(k)
        for k in keys:
            if k in taken:
                continue
            if f.strength == WEAK:
                assert any(k not in e for e in enabled), f"cycle unfair to {f.show()} {k}"
            else:
                assert all(k not in e for e in enabled), f"cycle unfair to {f.show()} {k}"


# ---------------------------------------------------------------------- known answers


def counter(fairness):
    def nxt(s):
        return [("Inc", (), (s[0] + 1,))] if s[0] < 3 else []

    return SimpleModel("counter", ("x",), lambda: [(0,)], nxt, fairness=fairness,
                       temporal_properties=(TemporalProperty("Done", "termination", "eventually",
                                                             lambda s: s[0] == 3),))


def test_stuttering_only_violation():
    m = counter(())
    r = run(m)
    assert verdict_of(r, "Done") is Verdict.VIOLATED
    t = lasso_of(r, "Done")
    # the initial state stutters forever: nothing forces Inc
    assert (t.states, t.loop, t.loop_label) == (((0,),), 0, None)
    check_lasso(m, t, m.fairness)


def test_weak_fairness_forces_progress():
    r = run(counter((Fairness(WEAK, "Inc"),)))
    assert verdict_of(r, "Done") is Verdict.HOLDS
    assert r.verdict is Verdict.HOLDS


def toggler(go_strength):
    """x toggles 0/1 forever; Go is enabled only when x = 0 and ends the run."""

    def nxt(s):
        x, done = s
        out = []
        if not done:
            out.append(("Toggle", (), (1 - x, done)))
            if x == 0:
                out.append(("Go", (), (x, True)))
        return out

    fairness = (Fairness(WEAK, "Toggle"), Fairness(go_strength, "Go"))
    return SimpleModel("toggler", ("x", "done"), lambda: [(0, False)], nxt, fairness=fairness,
                       temporal_properties=(TemporalProperty("Finishes", "termination", "eventually",
                                                             lambda s: s[1]),))


def test_holds_under_strong_fairness_fails_under_weak():
    m = toggler(WEAK)
    r = run(m)
    assert verdict_of(r, "Finishes") is Verdict.VIOLATED
    t = lasso_of(r, "Finishes")
    # (0, F) -Toggle-> (1, F) -Toggle-> back: Go is disabled every other state
    assert t.states == ((0, False), (1, False))
    assert t.loop == 0 and m.describe(t.loop_label).action == "Toggle"
    check_lasso(m, t, m.fairness)
    assert verdict_of(run(toggler(STRONG)), "Finishes") is Verdict.HOLDS


def server(per_instance):
    """Two clients request and a server serves; fairness on Serve per action or per client."""

    def nxt(s):
        out = []
        for p in (0, 1):
            if not s[p]:
                out.append(("Request", (p,), tuple(True if q == p else s[q] for q in (0, 1))))
            else:
                out.append(("Serve", (p,), tuple(False if q == p else s[q] for q in (0, 1))))
        return out

    fairness = (Fairness(WEAK, "Serve", per_instance),)
    props = tuple(
        TemporalProperty("Served", "termination", "leadsto", (lambda s, p=p: s[p]), (lambda s, p=p: not s[p]),
                         instance=f"p={p}")
        for p in (0, 1)
    )
    return SimpleModel("server", ("waiting0", "waiting1"), lambda: [(False, False)], nxt,
                       fairness=fairness, temporal_properties=props)


def test_cycle_fair_for_one_instance_and_not_another():
    m = server(per_instance=False)
    r = run(m)
    # WF(Serve) as one action: serving client 0 over and over is fair, client 1 starves
    assert verdict_of(r, "Served") is Verdict.VIOLATED
    (v,) = r.violations
    t = v.trace
    check_lasso(m, t, m.fairness)
    states, _ = cycle_of(m, t)
    assert v.message == "for p=0"  # the first instance checked fails
    assert all(s[0] for s in states)  # client 0 waits throughout the cycle
    assert any(m.describe(lab).values == (1,) for lab in t.labels[t.loop + 1:] + (t.loop_label,)
               if lab is not None)  # while client 1 is served
    # per instance: WF(Serve(0)) forbids starving client 0
    assert verdict_of(run(server(per_instance=True)), "Served") is Verdict.HOLDS


def test_leadsto_holds_vacuously_with_a_warning():
    m = counter((Fairness(WEAK, "Inc"),))
    m.temporal_properties = (TemporalProperty("Never", "termination", "leadsto",
                                              lambda s: s[0] > 10, lambda s: s[0] == 0),)
    r = run(m)
    assert verdict_of(r, "Never") is Verdict.HOLDS
    assert any("Never" in w and "vacuous" in w for w in r.warnings)


def test_leadsto_prefix_reaches_the_premise():
    # x goes 0 -> 1 -> 2 -> 3; P: x == 1, Q: x == 3; without fairness x may stop at 1 or 2
    m = counter(())
    m.temporal_properties = (TemporalProperty("OneToThree", "termination", "leadsto",
                                              lambda s: s[0] == 1, lambda s: s[0] == 3),)
    r = run(m)
    t = lasso_of(r, "OneToThree")
    assert t.states == ((0,), (1,)) and t.loop == 1 and t.loop_label is None


def test_eventually_always_and_always_eventually():
    # x cycles 0 -> 1 -> 2 -> 0 under weak fairness
    def nxt(s):
        return [("Step", (), ((s[0] + 1) % 3,))]

    props = (
        TemporalProperty("InfinitelyOftenZero", "termination", "always_eventually", lambda s: s[0] == 0),
        TemporalProperty("StableZero", "termination", "eventually_always", lambda s: s[0] == 0),
        TemporalProperty("StableSmall", "termination", "eventually_always", lambda s: s[0] < 3),
    )
    m = SimpleModel("cycle", ("x",), lambda: [(0,)], nxt, fairness=(Fairness(WEAK, "Step"),),
                    temporal_properties=props)
    r = explore(m, Options(stop_at_first=False))
    assert verdict_of(r, "InfinitelyOftenZero") is Verdict.HOLDS
    assert verdict_of(r, "StableZero") is Verdict.VIOLATED
    assert verdict_of(r, "StableSmall") is Verdict.HOLDS
    check_lasso(m, lasso_of(r, "StableZero"), m.fairness)
    # without fairness the cycle may stop anywhere: at 1, []<>(x = 0) fails
    m.fairness = ()
    r = run(m)
    t = lasso_of(r, "InfinitelyOftenZero")
    assert t.states == ((0,), (1,)) and t.loop == 1


def test_reachable_witness_and_failure():
    m = counter(())
    m.temporal_properties = (
        TemporalProperty("CanFinish", "validity", "reachable", lambda s: s[0] == 3),
        TemporalProperty("CanOverflow", "validity", "reachable", lambda s: s[0] == 4),
    )
    r = explore(m, Options(check_deadlock=False, stop_at_first=False))
    assert verdict_of(r, "CanFinish") is Verdict.HOLDS
    (w,) = r.witnesses
    assert w.property == "CanFinish" and w.trace.states == ((0,), (1,), (2,), (3,))
    assert verdict_of(r, "CanOverflow") is Verdict.VIOLATED


def test_strong_fairness_removal_finds_a_sub_cycle():
    # states 0 <-> 1 <-> 2 (A moves left/right); B is enabled only in 2 and leads to done.
    # SF(B): a cycle visiting 2 must take B, but the cycle 0 <-> 1 avoids 2: violated.
    def nxt(s):
        x, done = s
        if done:
            return []
        out = []
        if x > 0:
            out.append(("Left", (), (x - 1, done)))
        if x < 2:
            out.append(("Right", (x,), (x + 1, done)))
        if x == 2:
            out.append(("B", (), (x, True)))
        return out

    fair = (Fairness(STRONG, "B"), Fairness(WEAK, "Left"), Fairness(WEAK, "Right"))
    m = SimpleModel("sf", ("x", "done"), lambda: [(0, False)], nxt, fairness=fair,
                    temporal_properties=(TemporalProperty("Done", "termination", "eventually", lambda s: s[1]),))
    r = run(m)
    t = lasso_of(r, "Done")
    check_lasso(m, t, fair)
    assert all(s[0] < 2 for s in t.states)
    # strong fairness on Right as one action is met by the cycle 0 <-> 1 (Right(0) taken)
    m.fairness = fair + (Fairness(STRONG, "Right"),)
    assert verdict_of(run(m), "Done") is Verdict.VIOLATED
    # weak fairness per instance too: Right(1) is disabled at 0 infinitely often
    m.fairness = fair + (Fairness(WEAK, "Right", True),)
    assert verdict_of(run(m), "Done") is Verdict.VIOLATED
    # strong fairness per instance: Right(1) is enabled infinitely often, so it is taken,
    # 2 is visited infinitely often, and B (strongly fair) is taken
    m.fairness = fair + (Fairness(STRONG, "Right", True),)
    assert verdict_of(run(m), "Done") is Verdict.HOLDS


def test_temporal_is_undetermined_when_the_search_is_cut_short():
    m = counter((Fairness(WEAK, "Inc"),))
    r = explore(m, Options(check_deadlock=False, max_states=2))
    assert verdict_of(r, "Done") is Verdict.UNDETERMINED
    r = explore(m, Options(check_deadlock=False, check_temporal=False))
    assert verdict_of(r, "Done") is Verdict.UNDETERMINED
    assert r.verdict is Verdict.HOLDS  # of what was checked, and it says what was not
    assert any("not checked" in w for w in r.warnings)


def test_symmetry_is_not_applied_to_liveness():
    m = server(per_instance=False)
    m.canon = lambda s: tuple(sorted(s))
    r = run(m)
    assert r.symmetry is False
    assert any("symmetry is not applied" in w for w in r.warnings)
    assert verdict_of(r, "Served") is Verdict.VIOLATED
    # without temporal properties the same model uses symmetry
    r = explore(m, Options(check_deadlock=False, check_temporal=False))
    assert r.symmetry is True


def test_fairness_on_an_action_that_never_moves_is_warned():
    m = counter((Fairness(WEAK, "Inc"), Fairness(WEAK, "Nothing")))
    r = run(m)
    assert any("weak Nothing" in w for w in r.warnings)


# ---------------------------------------------------------------------- brute force


def brute_force(n, edges, initial, fairness, kind, P, Q):
    """Is there a fair behaviour violating the property? Exact for small graphs: a fair
    cycle exists iff some set S of states, strongly connected through its internal
    transitions (a single state may stutter), is fair when the cycle walks all of S and
    takes every transition inside S."""
    succ = {i: [(j, lab) for (a, j, lab) in edges if a == i and j != i] for i in range(n)}

    def reach(sources, allowed):
        seen = {s for s in sources if allowed(s)}
        todo = list(seen)
        while todo:
            v = todo.pop()
            for w, _ in succ[v]:
                if w not in seen and allowed(w):
                    seen.add(w)
                    todo.append(w)
        return seen

    everything = reach(initial, lambda s: True)

    def strongly_connected(S):
        first = next(iter(S))
        return all(reach([v], lambda s: s in S) >= S for v in [first]) and \
            all(first in reach([v], lambda s: s in S) for v in S)

    def unit(lab, f):
        action, param = lab
        if action != f[1]:
            return None
        return param if f[2] else ()

    def fair(S):
        for f in fairness:
            enabled = [{unit(lab, f) for _, lab in succ[v]} - {None} for v in S]
            taken = {unit(lab, f) for v in S for w, lab in succ[v] if w in S} - {None}
            for k in set().union(*enabled):
                if k in taken:
                    continue
                if f[0] == WEAK and all(k in e for e in enabled):
                    return False
                if f[0] == STRONG and any(k in e for e in enabled):
                    return False
        return True

    if kind == "eventually":
        region = reach(initial, lambda s: not P[s])
        need = None
    elif kind == "always_eventually":
        region = {s for s in everything if not P[s]}
        need = None
    elif kind == "eventually_always":
        region = everything
        need = {s for s in everything if not P[s]}
    else:  # leadsto
        seeds = [s for s in everything if P[s] and not Q[s]]
        region = reach(seeds, lambda s: not Q[s])
        need = None
    region = sorted(region)
    for size in range(1, len(region) + 1):
        for S in itertools.combinations(region, size):
            S = set(S)
            if need is not None and not (S & need):
                continue
            if strongly_connected(S) and fair(S):
                return True
    return False


@st.composite
def systems(draw):
    n = draw(st.integers(1, 6))
    actions = [("A", 0), ("A", 1), ("B", 0), ("C", 0)]
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(actions)),
                          max_size=12, unique=True))
    initial = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
    fairness = draw(st.lists(st.tuples(st.sampled_from([WEAK, STRONG]), st.sampled_from(["A", "B", "C"]),
                                       st.booleans()), max_size=3, unique=True))
    P = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    Q = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    kind = draw(st.sampled_from(["eventually", "always_eventually", "eventually_always", "leadsto"]))
    return n, edges, initial, fairness, kind, P, Q


@settings(max_examples=400, deadline=None)
@given(systems())
def test_random_graphs_agree_with_brute_force(system):
    n, edges, initial, fairness, kind, P, Q = system

    def nxt(s):
        # deterministic order; one transition per (source, target, label)
        return [(lab[0], (lab[1],), (j,)) for (i, j, lab) in sorted(edges) if i == s[0]]

    fair = tuple(Fairness(st_, a, per) for st_, a, per in fairness)
    prop = TemporalProperty("Prop", "termination", kind, lambda s: P[s[0]], lambda s: Q[s[0]])
    m = SimpleModel("random", ("x",), lambda: [(i,) for i in initial], nxt, fairness=fair,
                    temporal_properties=(prop,))
    r = run(m)
    # DFS does not record the graph during the search: the checker rebuilds it
    assert verdict_of(explore(m, Options(check_deadlock=False, strategy="dfs")), "Prop") is verdict_of(r, "Prop")
    expected = brute_force(n, [(i, j, lab) for (i, j, lab) in edges], initial, fairness, kind, P, Q)
    assert (verdict_of(r, "Prop") is Verdict.VIOLATED) == expected
    if expected:
        t = lasso_of(r, "Prop")
        check_lasso(m, t, fair)
        states, _ = cycle_of(m, t)
        xs = [s[0] for s in t.states]
        cyc = [s[0] for s in states]
        if kind == "eventually":
            assert not any(P[x] for x in xs)
        elif kind == "always_eventually":
            assert not any(P[x] for x in cyc)
        elif kind == "eventually_always":
            assert any(not P[x] for x in cyc)
        else:
            k = next(i for i, x in enumerate(xs) if P[x] and not Q[x] and all(not Q[y] for y in xs[i:]))
            assert k <= t.loop


def test_a_runtime_error_in_a_temporal_formula_is_a_reported_error(tmp_path, capsys):
    # n / n with n = 0: the liveness checker's evaluation fails; that is the spec's
    # error (MC300, exit 2), never an internal error (exit 70)
    from modelcheck.cli import main

    spec = tmp_path / "tz.mc"
    spec.write_text("module TZ\nvar n: 0..1\ninit { n = 0 }\naction A1 { n' = 1 - n }\n"
                    "temporal T [termination]: eventually always (n / n <= 1)\nfairness weak A1\n")
    for backend in ("python", "auto"):
        assert main(["check", str(spec), "--backend", backend]) == 2
        out = capsys.readouterr().out
        assert "MC300 runtime error while deciding the temporal properties: division by zero" in out
        assert "verdict: error" in out
