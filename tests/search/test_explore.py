"""The search on hand-written Python models: counts, verdicts, limits, traces."""

from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.search import Options, explore
from modelcheck.model import SimpleModel, StateProperty
from modelcheck.result import StopReason, Verdict
from tests.models.handwritten import counter, twophase

STRATEGIES = ["bfs", "dfs"]


# Published figures: TLC finds 288 states for 3 RMs (depth 11) and 50816 for 6 RMs
# (TwoPhase.tla's closing comment). The others are ours, equal for BFS and DFS.
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("n,distinct,generated", [(1, 12, 20), (2, 56, 154), (3, 288, 1146), (4, 1568, 8258), (5, 8832, 58146)])
def test_twophase_handwritten_counts(strategy, n, distinct, generated):
    r = explore(twophase(n), Options(strategy=strategy))
    assert r.verdict is Verdict.HOLDS
    assert r.stop_reason is StopReason.EXHAUSTED
    assert (r.distinct_states, r.generated_states) == (distinct, generated)


@pytest.mark.parametrize("n,depth", [(2, 8), (3, 11), (4, 14), (5, 17)])
def test_twophase_handwritten_bfs_depth(n, depth):
    assert explore(twophase(n)).depth == depth


@pytest.mark.slow
def test_twophase_handwritten_six_rms_matches_tlc():
    r = explore(twophase(6))
    assert (r.distinct_states, r.verdict) == (50816, Verdict.HOLDS)


def test_shortest_counterexample_is_replayed():
    m = twophase(3, bug_abort_after_commit=True)
    r = explore(m)
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, v.kind, len(v.trace)) == ("Integrity", "step", 11)
    # every step of the trace is a real transition of the model
    for (s, (label, t)) in zip(v.trace.states, zip(v.trace.labels[1:], v.trace.states[1:])):
        assert (label, t) in m.successors(s)
    assert v.trace.states[0] in m.initial_states()
    assert m.describe(v.trace.labels[-1]).action == "RMRcvAbortMsg"


def test_continue_finds_every_property():
    r = explore(twophase(3, bug_abort_after_commit=True), Options(stop_at_first=False))
    assert {v.property for v in r.violations} == {"Integrity", "Agreement"}
    lengths = {v.property: len(v.trace) for v in r.violations}
    assert lengths == {"Integrity": 11, "Agreement": 11}


def test_deadlock_found_and_can_be_disabled():
    r = explore(counter(5))
    assert r.verdict is Verdict.DEADLOCK
    (v,) = r.violations
    assert (v.kind, len(v.trace), v.trace.states[-1]) == ("deadlock", 6, (5,))
    r2 = explore(counter(5), Options(check_deadlock=False))
    assert (r2.verdict, r2.distinct_states, r2.depth) == (Verdict.HOLDS, 6, 6)


def test_never_enabled_actions_are_reported():
    r = explore(counter(5), Options(check_deadlock=False))
    assert r.exhaustive and r.never_enabled == ("Stay", "Never")
    assert "action Never was never enabled" in r.warnings
    # stopped at the deadlock: only "not enabled in the states explored"
    r = explore(counter(5))
    assert not r.exhaustive and r.never_enabled == ("Stay", "Never")
    assert ("action Never was not enabled in the states explored (the search stopped at the first "
            "counterexample)") in r.warnings


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_limits_give_undetermined(strategy):
    m = counter(1000, deadlock=False)
    r = explore(m, Options(strategy=strategy, max_states=10))
    assert (r.verdict, r.stop_reason, r.distinct_states) == (Verdict.UNDETERMINED, StopReason.MAX_STATES, 10)
    assert all(p.verdict is Verdict.UNDETERMINED for p in r.properties)
    r = explore(m, Options(strategy=strategy, max_depth=7))
    assert (r.verdict, r.stop_reason, r.depth) == (Verdict.UNDETERMINED, StopReason.MAX_DEPTH, 7)


def test_time_limit_gives_undetermined():
    def nxt(s):
        return [("Inc", (), (s[0] + 1,))]

    m = SimpleModel("endless", ("x",), lambda: [(0,)], nxt)
    r = explore(m, Options(time_limit=0.2))
    assert (r.verdict, r.stop_reason) == (Verdict.UNDETERMINED, StopReason.TIME_LIMIT)
    assert r.distinct_states > 1000


def test_constraint_discards_states_like_tlc():
    def nxt(s):
        return [("Inc", (), (s[0] + 1,))]

    m = SimpleModel("bounded", ("x",), lambda: [(0,)], nxt,
                    invariants=(StateProperty("Small", "validity", lambda s: s[0] < 5),),
                    constraints=(StateProperty("Bound", "constraint", lambda s: s[0] <= 3),))
    r = explore(m)
    # 0..3 are explored; 4 is outside the constraint: not counted, not checked, and 3 is
    # not a deadlock because it has a successor
    assert (r.verdict, r.distinct_states, r.depth) == (Verdict.HOLDS, 4, 4)


def test_coverage_counts():
    r = explore(twophase(2))
    by_instance = {c.instance: (c.generated, c.distinct) for c in r.coverage}
    assert sum(g for g, _ in by_instance.values()) + 1 == r.generated_states  # + the initial state
    assert sum(d for _, d in by_instance.values()) + 1 == r.distinct_states
    assert by_instance["TMCommit"][1] > 0


def test_deterministic():
    a = explore(twophase(3, bug_abort_after_commit=True))
    b = explore(twophase(3, bug_abort_after_commit=True))
    assert a.violations[0].trace == b.violations[0].trace


# ---------------------------------------------------------------- random graphs

@st.composite
def graphs(draw):
    n = draw(st.integers(1, 25))
    edges = {i: sorted(set(draw(st.lists(st.integers(0, n - 1), max_size=4)))) for i in range(n)}
    inits = sorted(set(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))))
    return n, edges, inits


def _graph_model(edges, inits):
    return SimpleModel("graph", ("node",), lambda: [(i,) for i in inits],
                       lambda s: [("Go", (j,), (j,)) for j in edges[s[0]]])


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_random_graphs_bfs_and_dfs_agree_with_brute_force(g):
    n, edges, inits = g
    # brute-force BFS distances
    dist = {i: 1 for i in inits}
    q = deque(inits)
    while q:
        u = q.popleft()
        for v in edges[u]:
            if v not in dist:
                dist[v] = dist[u] + 1
                q.append(v)
    deadlocked = [u for u in dist if not edges[u]]
    for strategy in STRATEGIES:
        r = explore(_graph_model(edges, inits), Options(strategy=strategy, check_deadlock=False))
        assert r.distinct_states == len(dist)
        if strategy == "bfs":
            assert r.depth == max(dist.values())
        r2 = explore(_graph_model(edges, inits), Options(strategy=strategy))
        if deadlocked:
            assert r2.verdict is Verdict.DEADLOCK
            if strategy == "bfs":
                assert len(r2.violations[0].trace) == min(dist[u] for u in deadlocked)
        else:
            assert r2.verdict is Verdict.HOLDS
