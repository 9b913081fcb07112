"""specs/threephase/threephase.mc: three-phase commit with crash-stop failures, a
termination protocol, and a failure detector chosen by a constant.

Where the figures come from (not only pasted from the checker's output):
- Distinct states: recounted by ``tests.helpers.reachable`` (a BFS written apart from
  modelcheck.search); depths: recounted by the level-by-level BFS below.
- Orbits under symmetry: the reachable states grouped into orbits by a permutation of
  RM written here by hand (as tests/specs/test_specs.py does for TwoPhase).
- Counterexample lengths: argued by hand next to each test (a lower bound from what
  the violating state needs, and the trace shown reaching it); the timeouts one (9
  states) also by bounded model checking with z3 (none in 7 steps, one in 8).
- Depth 15 of the perfect-FD configuration: the deepest states have every RM committed
  through the normal protocol (so the TM is up: with a perfect detector Terminate needs
  it down) and two RMs crashed after committing. Committing r needs Yes(r),
  RMRcvPreCommit(r) and RMRcvDoCommit(r) (9 RM steps for 3 RMs) and the TM's
  TMSendCanCommit, TMPreCommit and TMCommit (3); plus the 2 crashes: 14 steps, 15 states.
"""

import itertools
from pathlib import Path

import pytest

from modelcheck import Verdict, check, load
from modelcheck.result import StopReason
from tests.helpers import SPECS, bfs_depth, load_spec, named, reachable, replay

THREEPHASE = (SPECS / "threephase" / "threephase.mc").as_posix()


@pytest.fixture(scope="module")
def perfect():
    return load_spec(THREEPHASE)


@pytest.fixture(scope="module")
def timeouts():
    return load_spec(THREEPHASE, config="timeouts")


@pytest.fixture(scope="module")
def perfect_result(perfect):
    return check(perfect, check_deadlock=False)


@pytest.fixture(scope="module")
def timeouts_result(timeouts):
    return check(timeouts, check_deadlock=False)


def params(spec, label):
    return spec.model.describe(label).params


def actions(spec, trace):
    return [spec.model.describe(lab).action for lab in trace.labels[1:]]


# -------------------------------------------------------------- perfect failure detector

def test_perfect_fd_holds_non_blocking(perfect_result):
    r = perfect_result
    assert (r.verdict, r.stop_reason) == (Verdict.HOLDS, StopReason.EXHAUSTED)
    assert r.symmetry is False  # Termination is decided on the full graph
    props = {p.name: (p.cls, p.kind, p.verdict) for p in r.properties}
    assert props == {
        "Agreement": ("agreement", "invariant", Verdict.HOLDS),
        "Validity": ("validity", "invariant", Verdict.HOLDS),
        "Integrity": ("integrity", "step", Verdict.HOLDS),
        "Termination": ("termination", "temporal", Verdict.HOLDS),
    }
    assert (r.distinct_states, r.generated_states, r.depth) == (1604, 4121, 15)


def test_perfect_fd_counts_recounted(perfect):
    states = reachable(perfect.model)
    assert len(states) == 1604
    assert bfs_depth(perfect.model) == 15


def test_perfect_fd_no_stuck_state(perfect):
    """A necessary condition for Termination, checked apart from the liveness checker:
    every state with no step that changes it has every live RM decided (so nothing
    can wait forever with an undecided live RM: 2PC's blocked state is unreachable)."""
    m = perfect.model
    for s in reachable(m):
        if all(t == s for _, t in m.successors(s)):
            v = named(perfect, s)
            assert all(st in ("committed", "aborted")
                       for i, st in enumerate(v["rmState"]) if i not in v["rmDown"])


def permute(state, perm):
    """threephase.mc's value layout, permuted by hand: rmState a tuple indexed by RM
    ordinal, tmState a name, rmDown a set of ordinals, msgs a set of names and
    (constructor, ordinal) pairs."""
    rm_state, tm_state, rm_down, msgs = state
    new_rm = [None] * len(rm_state)
    for i, v in enumerate(rm_state):
        new_rm[perm[i]] = v
    new_msgs = frozenset((m[0], perm[m[1]]) if isinstance(m, tuple) else m for m in msgs)
    return (tuple(new_rm), tm_state, frozenset(perm[i] for i in rm_down), new_msgs)


def test_perfect_fd_safety_with_symmetry_counts_orbits(perfect):
    r = check(perfect, check_deadlock=False, check_temporal=False)
    assert (r.verdict, r.symmetry) == (Verdict.HOLDS, True)
    states = reachable(perfect.model)
    orbits = {frozenset(permute(s, p) for p in itertools.permutations(range(3))) for s in states}
    assert len(orbits) == 369
    assert (r.distinct_states, r.depth) == (369, 15)


def test_final_states_are_deadlocks_unless_disabled(perfect):
    """Once every live RM has decided and the crash budget is spent, nothing is left to
    do: the default run reports such a state as a deadlock (hence --no-deadlock /
    deadlock = false). While crashCount < MaxCrashes = 2 an RMCrash is enabled, so a
    deadlock needs 2 crash steps and at least one deciding step: TMCrash, RMCrash, then
    the termination protocol (the live RMs are still working: abort), 4 states."""
    r = check(perfect)
    assert r.verdict is Verdict.DEADLOCK
    (v,) = r.violations
    final = named(perfect, v.trace.states[-1])
    assert len(v.trace) == 4
    assert actions(perfect, v.trace) == ["TMCrash", "RMCrash", "Terminate"]
    assert final["tmState"] == "tmDown" and len(final["rmDown"]) == 1
    assert sorted(final["rmState"]) == ["aborted", "aborted", "working"]


# -------------------------------------------------------------- timeouts

def test_timeouts_violate_agreement(timeouts, timeouts_result):
    """Shortest counterexample: 9 states (8 steps). Lower bound: some RM must commit,
    which needs a precommitted RM (Terminate commits only then; DoCommit is received
    only when precommitted), which needs PreCommit, which needs a Yes vote from each of
    the 3 RMs, which needs CanCommit: TMSendCanCommit, 3 x RMVoteYes, TMPreCommit,
    RMRcvPreCommit = 6 steps. Then a commit (1 step) and an abort of another RM (1
    step): every RM voted Yes, so none aborted by voting No; Abort is never sent (TMAbort
    is enabled only in `waiting`, which TMPreCommit has left); so the abort is a
    Terminate, and one Terminate gives all its undecided members the same outcome, so
    the commit and the abort are two steps: 8 steps at least. The trace below has 8."""
    r = timeouts_result
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, v.cls, v.kind, len(v.trace)) == ("Agreement", "agreement", "invariant", 9)
    replay(timeouts, v.trace)
    assert actions(timeouts, v.trace) == (
        ["TMSendCanCommit"] + ["RMVoteYes"] * 3
        + ["TMPreCommit", "RMRcvPreCommit", "Terminate", "Terminate"])
    final = named(timeouts, v.trace.states[-1])
    # one RM committed, another aborted, nobody crashed, and the TM is alive: no
    # failure at all, only a wrong suspicion (a partition: {r1} | {r2})
    assert "committed" in final["rmState"] and "aborted" in final["rmState"]
    assert final["rmDown"] == frozenset() and final["tmState"] == "tmPreCommitted"
    groups = [dict(params(timeouts, lab))["g"] for lab in v.trace.labels[-2:]]
    assert groups == ["{r1}", "{r2}"]


def test_timeouts_shortest_counterexample_by_bmc(timeouts):
    """The length cross-checked by the z3 encoding (a search that shares nothing with
    BFS but the compiled spec): no behaviour of up to 7 steps violates a property, one of
    8 steps (9 states) violates Agreement."""
    from modelcheck.symbolic import bmc

    assert bmc(timeouts, 7).verdict is Verdict.UNDETERMINED
    r = bmc(timeouts, 8)
    (v,) = r.violations
    assert (r.verdict, v.property, len(v.trace)) == (Verdict.VIOLATED, "Agreement", 9)
    replay(timeouts, v.trace)


def test_timeouts_figures_at_the_stop(timeouts, timeouts_result):
    """BFS stops while expanding level 8 (the violating state is on level 9, the
    counterexample's length), so depth 8; the distinct states then are every state of
    levels 1..8 and some of level 9: recounted here as bounds."""
    r = timeouts_result
    assert (r.distinct_states, r.depth) == (2884, 8)
    m = timeouts.model
    level, seen, sizes = set(m.initial_states()), set(), []
    while level and len(sizes) < 9:
        seen |= level
        sizes.append(len(level))
        level = {t for s in level for _, t in m.successors(s) if t not in seen}
    assert sum(sizes[:8]) < 2884 <= sum(sizes[:9])


def test_timeouts_break_only_agreement(timeouts):
    """Exploring on: with timeouts 3PC stays valid and live; only Agreement fails."""
    r = check(timeouts, check_deadlock=False, stop_at_first=False)
    props = {p.name: p.verdict for p in r.properties}
    assert props == {"Agreement": Verdict.VIOLATED, "Validity": Verdict.HOLDS,
                     "Integrity": Verdict.HOLDS, "Termination": Verdict.HOLDS}
    assert (r.distinct_states, r.depth) == (5302, 14)
    assert len(reachable(timeouts.model)) == 5302
    assert bfs_depth(timeouts.model) == 14


# -------------------------------------------------------------- the model is not vacuous

def variant(old, new, **consts):
    text = Path(THREEPHASE).read_text()
    assert text.count(old) == 1
    spec = load(THREEPHASE, text=text.replace(old, new), consts=consts or None)
    return spec, check(spec, check_deadlock=False)


def test_without_termination_protocol_3pc_blocks_like_2pc():
    """With no Terminate, a TM crash leaves the RMs waiting forever (crash.mc's blocking
    result): TMCrash, then stuttering, 2 states."""
    spec, r = variant("require (not PerfectFD) or tmState == tmDown", "require false")
    (v,) = r.violations
    assert (v.property, len(v.trace), v.trace.loop) == ("Termination", 2, 1)
    assert actions(spec, v.trace) == ["TMCrash"]


def test_partition_needs_no_false_suspicion_of_a_live_tm():
    """Groups smaller than every live RM while the TM really is down (a partition with a
    perfect crash detector) break Agreement too: the 9-state trace with a TMCrash
    before the two Terminate steps, 10 states."""
    spec, r = variant("if PerfectFD then {live}\n  else ", "")
    (v,) = r.violations
    assert (v.property, len(v.trace)) == ("Agreement", 10)
    assert "TMCrash" in actions(spec, v.trace)


def test_tm_must_wait_for_every_ack():
    """If the TM sent DoCommit without the acks, an RM could commit and crash, the TM
    crash, and the live RMs (prepared only) abort: CanCommit, 3 Yes, PreCommit,
    TMCommit, r1 receives PreCommit and DoCommit, r1 crashes, TM crashes, Terminate:
    11 steps, 12 states. That needs 2 crashes: with MaxCrashes = 1 it holds."""
    old = "require forall r in RM: Ack(r) in msgs or suspects(r)"
    spec, r = variant(old, "require true")
    (v,) = r.violations
    assert (v.property, len(v.trace)) == ("Agreement", 12)
    final = named(spec, v.trace.states[-1])
    committed = [i for i, s in enumerate(final["rmState"]) if s == "committed"]
    assert committed and set(committed) <= final["rmDown"]
    assert variant(old, "require true", MaxCrashes=1)[1].verdict is Verdict.HOLDS


# -------------------------------------------------------------- the suite's worker processes

def test_suite_workers_render_the_counterexample(tmp_path):
    """`modelcheck suite -j 2` checks each run in a worker process and renders its
    counterexample in the parent, from a fresh load of the spec. A state-dependent
    parameter domain (`Terminate(g in groups)`) numbers its labels during the search;
    the worker sends them with its result (the parent once died of an IndexError)."""
    from modelcheck.suite import check_runs, read_manifest, summary

    manifest = tmp_path / "suite.toml"
    manifest.write_text(f'[[run]]\nspec = "{THREEPHASE}"\ndeadlock = false\n'
                        f'[[run]]\nspec = "{THREEPHASE}"\nconfig = "timeouts"\ndeadlock = false\n'
                        f'expect = "violated"\n')
    runs = read_manifest(manifest)
    outcomes = check_runs(runs, [{}, {}], jobs=2)
    assert [o.verdict for o in outcomes] == ["holds", "violated"]
    records = summary(outcomes)["runs"]
    trace = records[1]["violations"][0]["trace"]
    assert len(trace["states"]) == 9
    last = trace["states"][-1]
    assert (last["mbt::actionTaken"], last["mbt::nondetPicks"]) == ("Terminate", {"g": {"#set": ["r2"]}})
    assert dict(last["rmState"]["#map"]) == {"r1": "committed", "r2": "aborted", "r3": "prepared"}
