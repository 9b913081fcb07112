"""The bundled specs, compiled: state counts, depths, symmetry exactness, seeded bugs.

Where the figures come from (none of them is output copied from the code under test):
- TwoPhase, RM = 3: 288 distinct states, depth 11 (TLC, TwoPhase.tla in the TLA+
  Examples); RM = 6: 50816 (same source).
- TwoPhase, other sizes: equal to ``handwritten.twophase(n)``, an independent Python
  transcription of TwoPhase.tla (its counts are pinned in tests/search/test_explore.py).
- With symmetry: the number of orbits of the reachable states under every permutation
  of RM, counted here by brute force with a permutation written for this test.
- TCommit, RM = 3: 34 states = 27 states with no RM committed ({working, prepared,
  aborted}^3) + 7 with some RM committed and every RM prepared or committed (2^3 - 1).
- Counterexample lengths: argued by hand next to each bug below.
"""

import itertools
from pathlib import Path

import pytest

from modelcheck import Options, Verdict, check, load
from modelcheck.search import explore
from modelcheck.result import StopReason
from tests.helpers import CRASH, TCOMMIT, TWOPHASE, load_spec, reachable
from tests.models.handwritten import twophase


def twophase_spec(n, **bugs):
    return load_spec(TWOPHASE, RM=n, **{k: True for k, v in bugs.items() if v})


# -------------------------------------------------------------- counts and depth

# (RM, distinct without symmetry, generated, BFS depth, orbits)
TWOPHASE_FIGURES = [
    (1, 12, 20, 5, 12),
    (2, 56, 154, 8, 34),
    (3, 288, 1146, 11, 80),
    (4, 1568, 8258, 14, 166),
    (5, 8832, 58146, 17, 314),
]


@pytest.mark.parametrize("strategy", ["bfs", "dfs"])
@pytest.mark.parametrize("n,distinct,generated,depth,orbits", TWOPHASE_FIGURES)
def test_twophase_counts(strategy, n, distinct, generated, depth, orbits):
    spec = twophase_spec(n)
    plain = check(spec, strategy=strategy, symmetry=False)
    assert (plain.verdict, plain.stop_reason) == (Verdict.HOLDS, StopReason.EXHAUSTED)
    assert (plain.distinct_states, plain.generated_states) == (distinct, generated)
    # TwoPhase's state graph is graded (every action moves one step up a fixed order),
    # so the longest DFS path equals the BFS depth
    assert plain.depth == depth
    # symmetry applies to safety only: skip the temporal properties to use it
    sym = check(spec, strategy=strategy, symmetry=True, check_temporal=False)
    assert sym.verdict is Verdict.HOLDS
    assert (sym.distinct_states, sym.depth) == (orbits, depth)


def test_twophase_rm3_matches_tlc():
    r = check(twophase_spec(3), symmetry=False)
    assert (r.distinct_states, r.depth) == (288, 11)


@pytest.mark.slow
def test_twophase_rm6_matches_tlc():
    r = check(twophase_spec(6), symmetry=False)
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 50816)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_compiled_spec_equals_handwritten_model(n):
    """Same reachable states, same transitions, state for state."""
    spec = twophase_spec(n).model
    hand = twophase(n)

    def graph(m):
        edges, todo, seen = set(), list(m.initial_states()), set()
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            for label, t in m.successors(s):
                d = m.describe(label)
                edges.add((s, d.action, tuple(d.params.values()) if isinstance(d.params, dict) else tuple(d.params), t))
                todo.append(t)
        return seen, edges

    s1, e1 = graph(spec)
    s2, e2 = graph(hand)
    assert s1 == s2
    assert len(e1) == len(e2)


def test_tcommit_counts():
    spec = load_spec(TCOMMIT)
    r = check(spec, symmetry=False, check_deadlock=False)
    assert (r.verdict, r.distinct_states, r.depth) == (Verdict.HOLDS, 34, 7)
    r = check(spec, check_deadlock=False)
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 13)


def test_tcommit_terminal_states_are_deadlocks_unless_disabled():
    # the spec disables deadlock checking itself (options { deadlock = false }) ...
    assert check(load_spec(TCOMMIT)).verdict is Verdict.HOLDS
    # ... and a run that asks for it finds a state where every RM has decided
    r = check(load_spec(TCOMMIT), check_deadlock=True)
    assert r.verdict is Verdict.DEADLOCK
    (v,) = r.violations
    final = v.trace.states[-1]
    # the reported state is one where every RM has decided
    assert set(final[0]) <= {"committed", "aborted"}


# -------------------------------------------------------------- symmetry exactness

def permute_twophase(state, perm):
    """TwoPhase's value layout, permuted by hand (independent of modelcheck.symmetry):
    rmState is a tuple indexed by RM ordinal, tmPrepared a set of ordinals, msgs a set
    of "Commit" / "Abort" / ("Prepared", ordinal)."""
    rm_state, tm_state, tm_prepared, msgs = state
    new_rm = [None] * len(rm_state)
    for i, v in enumerate(rm_state):
        new_rm[perm[i]] = v
    new_msgs = frozenset(("Prepared", perm[m[1]]) if isinstance(m, tuple) else m for m in msgs)
    return (tuple(new_rm), tm_state, frozenset(perm[i] for i in tm_prepared), new_msgs)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_symmetry_counts_are_orbit_counts(n):
    model = twophase_spec(n).model
    states = reachable(model)
    perms = list(itertools.permutations(range(n)))
    orbits = {frozenset(permute_twophase(s, p) for p in perms) for s in states}
    r = check(twophase_spec(n), symmetry=True, check_temporal=False)
    assert r.distinct_states == len(orbits)
    # and the representatives found are one per orbit
    canon = model.canonicalizer()
    reps = {canon(s) for s in states}
    assert len(reps) == len(orbits)
    for orbit in orbits:
        assert len({canon(s) for s in orbit}) == 1


# -------------------------------------------------------------- seeded bugs

# Shortest counterexamples, in states (the initial state counted), RM = 3:
# - BugCommitOnAny: prepare r1, TM receives it, commit, r1 commits while r2 works: 5.
# - BugCommitOnMajority: two prepares and two receipts, commit, r1 commits: 7.
# - BugAbortAfterPrepare: all three prepare and are received (6 steps), commit, r1
#   aborts, r1 receives Commit (aborted -> committed breaks Integrity): 10.
# - BugAbortAfterCommit: all prepared and received, commit, abort, r1 receives Commit,
#   then Abort (committed -> aborted): 11.
BUGS = [
    ("BugCommitOnAny", "Validity", "validity", 5),
    ("BugCommitOnMajority", "Validity", "validity", 7),
    ("BugAbortAfterPrepare", "Integrity", "integrity", 10),
    ("BugAbortAfterCommit", "Integrity", "integrity", 11),
]


@pytest.mark.parametrize("symmetry", [True, False])
@pytest.mark.parametrize("bug,prop,cls,length", BUGS)
def test_seeded_bug_found_with_shortest_trace(bug, prop, cls, length, symmetry):
    spec = twophase_spec(3, **{bug: True})
    r = check(spec, symmetry=symmetry)
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, v.cls, len(v.trace)) == (prop, cls, length)
    # the trace is a real behaviour of the spec (symmetry off: replay it exactly)
    m = spec.model
    assert v.trace.states[0] in m.initial_states()
    for s, label, t in zip(v.trace.states, v.trace.labels[1:], v.trace.states[1:]):
        assert (label, t) in m.successors(s)


@pytest.mark.parametrize("bug,prop,cls,length", BUGS)
def test_seeded_bug_not_found_when_off(bug, prop, cls, length):
    assert check(twophase_spec(3), symmetry=False).verdict is Verdict.HOLDS


def test_bug_with_continue_reports_every_broken_property():
    r = check(twophase_spec(3, BugAbortAfterCommit=True), stop_at_first=False)
    assert {v.property for v in r.violations} == {"Integrity", "Agreement"}
    assert r.verdict is Verdict.VIOLATED
    # Validity reads the history in msgs: an RM that prepared and later aborted did prepare
    assert "Validity" not in {v.property for v in r.violations}


# -------------------------------------------------------------- determinism

def test_same_counterexample_every_run():
    # a fresh load each time: label numbers must not depend on anything but the spec
    traces = {tuple(check(load(TWOPHASE, consts={"RM": 3, "BugCommitOnMajority": True})).violations[0]
                    .trace.labels)
              for _ in range(3)}
    assert len(traces) == 1


def test_limits_never_say_holds():
    spec = twophase_spec(4)
    for opts in (Options(max_states=100), Options(max_depth=5)):
        r = explore(spec.model, opts)
        assert r.verdict is Verdict.UNDETERMINED
        assert all(p.verdict is not Verdict.HOLDS for p in r.properties)


# -------------------------------------------------------------- termination (liveness)

@pytest.mark.parametrize("n", [2, 3, 4])
def test_twophase_terminates_under_fairness(n):
    r = check(twophase_spec(n))
    assert r.symmetry is False  # liveness runs on the full graph
    (term,) = [p for p in r.properties if p.name == "Termination"]
    assert (term.cls, term.kind, term.verdict) == ("termination", "temporal", Verdict.HOLDS)
    assert r.verdict is Verdict.HOLDS


def test_twophase_needs_the_tm_timeout():
    # without weak fairness of TMAbort, r1 prepares (and is received), r2 and r3 choose
    # to abort, and the TM waits forever: 4 steps, then stuttering
    text = Path(TWOPHASE).read_text().replace("weak TMCommit, weak TMAbort,", "weak TMCommit,")
    spec = load(TWOPHASE, text=text)
    r = check(spec)
    (v,) = r.violations
    assert (v.property, v.kind) == ("Termination", "temporal")
    t = v.trace
    assert (len(t), t.loop, t.loop_label) == (5, 4, None)
    final = t.states[-1]
    assert final[1] == "init" and sorted(final[0]) == ["aborted", "aborted", "prepared"]


def test_coordinator_crash_blocks():
    spec = load_spec(CRASH)
    r = check(spec, check_deadlock=False)
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, v.cls, v.kind) == ("Termination", "termination", "temporal")
    t = v.trace
    # TMCrash, then each RM prepares (weak fairness of RMPrepare(*) forces it), then the
    # prepared RMs wait forever: 5 states, the last one stuttering
    assert (len(t), t.loop, t.loop_label) == (5, 4, None)
    names = spec.model.variables
    final = dict(zip(names, t.states[-1]))
    assert final["tmState"] == "tmDown"
    assert final["rmState"] == ("prepared",) * 3
    assert [spec.model.describe(lab).action for lab in t.labels[1:]] == ["TMCrash"] + ["RMPrepare"] * 3
    # the blocked state is also a deadlock, which the default run reports first
    assert check(spec).verdict is Verdict.DEADLOCK


def test_coordinator_recovery_terminates():
    r = check(load_spec(CRASH, config="recovery"))
    assert r.verdict is Verdict.HOLDS
    assert {p.name: p.verdict for p in r.properties}["Termination"] is Verdict.HOLDS


def test_recovery_without_the_log_breaks_integrity():
    # shortest: all prepare and are received (6 steps), commit and send (2), crash and
    # recover undecided (2), abort and send (2), one RM receives Commit, then Abort (2)
    # -- or the same steps in another order: 14 steps, 15 states
    r = check(load_spec(CRASH, config="recovery", BugRecoverWithoutLog=True))
    (v,) = r.violations
    assert (v.property, len(v.trace)) == ("Integrity", 15)


def test_lasso_in_itf_has_loop(capsys):
    from modelcheck.cli import main

    assert main(["check", CRASH, "--no-deadlock", "--json"]) == 1
    import json

    obj = json.loads(capsys.readouterr().out)
    itf = obj["violations"][0]["trace"]
    assert itf["loop"] == 4 and len(itf["states"]) == 5
    assert itf["#meta"]["loop-action"] == "stutter"
