"""specs/quorum/register.mc: a register replicated on 3 replicas with write and read
quorums of 2 (DDIA chapter 9, "Linearizability and quorums"), without read repair (a
new-old inversion between two reads) and with ABD's write-back (configs abd, abd2).

Where the figures come from (not only pasted from the checker's output):
- Distinct states under symmetry: recounted here as orbits of the reachable states
  (``tests.helpers.reachable``, a BFS apart from modelcheck.search) under the
  permutations of Replica and of Reader, applied by hand to the value layout.
- Depths: recounted by a level-by-level BFS, and argued by hand. Every action can fire
  a bounded number of times in a behaviour: per write StartWrite, EndWrite once and
  DeliverWrite once per replica (5); per read StartRead, EndQuery once, Reply R = 2
  times (4), and with read repair DeliverWriteBack once per replica and EndWriteBack
  once (4 more). The state where everything has completed and every Put is delivered
  needs all of them, and no behaviour is longer. Without read repair, 2 writes: 10 + 8
  = 18 steps, depth 19; abd (1 write): 5 + 16 = 21 steps, depth 22; abd2: 26 steps, 27.
- The counterexample's length: argued by hand in its test (a lower bound from what the
  violating state needs, and the trace reaching it). Bounded model checking with z3
  (``modelcheck.symbolic.bmc``) agrees (none in 9 steps, one in 10) but takes minutes,
  so it is not run here.
"""

import itertools
from pathlib import Path

import pytest

from modelcheck import Verdict, check, load
from modelcheck.result import StopReason
from tests.helpers import SPECS, bfs_depth, load_spec, named, reachable, replay

REGISTER = (SPECS / "quorum" / "register.mc").as_posix()


@pytest.fixture(scope="module")
def plain():
    return load_spec(REGISTER)


@pytest.fixture(scope="module")
def abd():
    return load_spec(REGISTER, config="abd")


@pytest.fixture(scope="module")
def plain_result(plain):
    return check(plain)


@pytest.fixture(scope="module")
def abd_result(abd):
    return check(abd)


def steps(spec, trace):
    """(action, parameters) of every step."""
    out = []
    for lab in trace.labels[1:]:
        d = spec.model.describe(lab)
        out.append((d.action, dict(d.params)))
    return out


def permute(state, rp, dp):
    """register.mc's value layout, permuted by hand: replicas and readers are ordinals;
    a Version record is a (ts, val) tuple; a function over Replica or Reader is a tuple
    indexed by ordinal; sets are frozensets; WPut(r, t) is ('WPut', r, t) and
    BPut(rd, r, t) is ('BPut', rd, r, t). rp permutes replicas, dp readers."""
    store, net, w_phase, w_ts, w_acks, r_phase, replied, best, b_acks, ret, before, seen = state

    def by(perm, f):
        out = [None] * len(f)
        for i, v in enumerate(f):
            out[perm[i]] = v
        return tuple(out)

    def rset(s):
        return frozenset(rp[i] for i in s)

    def msg(m):
        return ("WPut", rp[m[1]], m[2]) if m[0] == "WPut" else ("BPut", dp[m[1]], rp[m[2]], m[3])

    return (by(rp, store), frozenset(msg(m) for m in net), w_phase, w_ts, rset(w_acks),
            by(dp, r_phase), by(dp, tuple(rset(s) for s in replied)), by(dp, best),
            by(dp, tuple(rset(s) for s in b_acks)), by(dp, ret),
            by(dp, tuple(frozenset(dp[i] for i in s) for s in before)), by(dp, seen))


def orbits(states):
    perms = [(rp, dp) for rp in itertools.permutations(range(3))
             for dp in itertools.permutations(range(2))]
    return {frozenset(permute(s, rp, dp) for rp, dp in perms) for s in states}


# -------------------------------------------------------------- without read repair

def test_no_read_repair_new_old_inversion(plain, plain_result):
    """Shortest counterexample: 11 states (10 steps). Lower bound: the violating state
    has a read b done whose `before` holds a read a (a completed before b started) and
    ret[b].ts < ret[a].ts, so ret[a].ts >= 1. Read a: StartRead, R = 2 Replys, EndQuery
    (4 steps); read b: StartRead (after a's EndQuery), 2 Replys, EndQuery (4 more).
    A reply of timestamp >= 1 needs a replica that holds it: without read repair only
    DeliverWrite puts it there (no BPut is ever sent), after StartWrite (2 steps): 10
    steps at least. The trace has 10: the write reaches one replica, a reads it and
    another (returns 1), b reads the two others (returns 0)."""
    r = plain_result
    assert (r.verdict, r.stop_reason) == (Verdict.VIOLATED, StopReason.VIOLATION)
    (v,) = r.violations
    assert (v.property, v.cls, v.kind, len(v.trace)) == ("NoNewOldInversion", "agreement", "invariant", 11)
    replay(plain, v.trace)
    acts = steps(plain, v.trace)
    assert [a for a, _ in acts] == (["StartWrite", "DeliverWrite"]
                                    + ["StartRead", "Reply", "Reply", "EndQuery"] * 2)
    a, b = acts[2][1]["rd"], acts[6][1]["rd"]
    assert a != b
    # the write reached one replica only, and a asked it; b asked the other two
    reached = acts[1][1]["r"]
    a_asked = {p["r"] for _, p in acts[3:5]}
    b_asked = {p["r"] for _, p in acts[7:9]}
    assert reached in a_asked and reached not in b_asked and len(a_asked | b_asked) == 3
    final = named(plain, v.trace.states[-1])
    ia, ib = ("ra", "rb").index(a), ("ra", "rb").index(b)
    assert final["rPhase"] == ("done", "done")
    assert final["ret"][ia] == (1, 1) and final["ret"][ib] == (0, 0)  # new, then old
    assert final["before"][ib] == frozenset({ia}) and final["before"][ia] == frozenset()
    # the write is still in progress: it has reached one replica, two Puts are in flight
    assert final["wPhase"] == "writing" and final["wTs"] == 1
    assert sorted(final["store"]) == [(0, 0), (0, 0), (1, 1)]
    assert len(final["net"]) == 2
    # a's read ended before b's started: EndQuery(a) comes before StartRead(b)
    assert acts.index(("EndQuery", {"rd": a})) < acts.index(("StartRead", {"rd": b}))


def test_no_read_repair_figures_at_the_stop(plain, plain_result):
    """BFS stops while expanding level 10 (the violating state is on level 11), so
    depth 10; the distinct states then are every state of levels 1..10 and some of
    level 11 (counted in orbits)."""
    r = plain_result
    assert (r.distinct_states, r.depth) == (1025, 10)
    m = plain.model
    level, seen, sizes = set(m.initial_states()), set(), []
    while level and len(sizes) < 11:
        seen |= level
        sizes.append(len(orbits(level)))
        level = {t for s in level for _, t in m.successors(s) if t not in seen}
    assert sum(sizes[:10]) < 1025 <= sum(sizes[:11])


@pytest.mark.slow
def test_no_read_repair_breaks_only_the_inversion(plain):
    """Exploring on: the quorum condition W + R > N alone keeps reads fresh (a read
    started after a write completed sees it); only NoNewOldInversion fails."""
    r = check(plain, stop_at_first=False)
    props = {p.name: (p.cls, p.verdict) for p in r.properties}
    assert props == {"NoNewOldInversion": ("agreement", Verdict.VIOLATED),
                     "ReadsAreFresh": ("validity", Verdict.HOLDS),
                     "TypeOK": ("typing", Verdict.HOLDS)}
    assert (r.distinct_states, r.depth) == (9029, 19)
    states = reachable(plain.model)
    assert len(orbits(states)) == 9029
    assert bfs_depth(plain.model) == 19


def test_one_write_is_enough_for_the_inversion():
    spec = load(REGISTER, consts={"MaxWrites": 1})
    (v,) = check(spec).violations
    assert (v.property, len(v.trace)) == ("NoNewOldInversion", 11)


# -------------------------------------------------------------- ABD: read repair

def test_abd_holds(abd_result):
    r = abd_result
    assert (r.verdict, r.stop_reason) == (Verdict.HOLDS, StopReason.EXHAUSTED)
    assert r.symmetry is True
    props = {p.name: (p.cls, p.kind, p.verdict) for p in r.properties}
    assert props == {
        "NoNewOldInversion": ("agreement", "invariant", Verdict.HOLDS),
        "ReadsAreFresh": ("validity", "invariant", Verdict.HOLDS),
        "TypeOK": ("typing", "invariant", Verdict.HOLDS),
    }
    assert (r.distinct_states, r.generated_states, r.depth) == (3567, 14778, 22)


@pytest.mark.slow
def test_abd_counts_recounted(abd):
    states = reachable(abd.model)
    assert len(states) == 30474
    assert len(orbits(states)) == 3567
    assert bfs_depth(abd.model) == 22


def test_abd_reads_still_disagree_when_they_overlap(abd):
    """The fix is the write-back, not a model where the bad replies cannot happen: with
    read repair too, one read can choose 1 (from the replica the write reached) and the
    other 0 (from the two others). Linearizability allows that only while the two
    reads overlap, and so it happens here only with both still writing back (neither
    finished before the other started)."""
    disagree = []
    for s in reachable(abd.model):
        v = named(abd, s)
        if v["rPhase"] == ("writingBack", "writingBack") and sorted(b[0] for b in v["best"]) == [0, 1]:
            disagree.append(v)
    assert disagree
    assert all(v["before"] == (frozenset(), frozenset()) for v in disagree)


def test_write_quorum_too_small_breaks_freshness():
    """W = 1 (W + R = N): a completed write may sit on one replica that a later read
    quorum misses. StartWrite, DeliverWrite, EndWrite, StartRead, 2 Replys, EndQuery,
    one DeliverWriteBack (W = 1 ack), EndWriteBack: 9 steps, 10 states."""
    spec = load(REGISTER, config="abd", consts={"W": 1})
    r = check(spec)
    (v,) = r.violations
    assert (v.property, v.cls, len(v.trace)) == ("ReadsAreFresh", "validity", 10)
    final = named(spec, v.trace.states[-1])
    done = [i for i, p in enumerate(final["rPhase"]) if p == "done"]
    assert len(done) == 1 and final["ret"][done[0]] == (0, 0) and final["seen"][done[0]] == 1


@pytest.mark.slow
def test_abd_two_writes_holds():
    r = check(load_spec(REGISTER, config="abd2"))
    assert (r.verdict, r.distinct_states, r.depth) == (Verdict.HOLDS, 57293, 27)


def test_final_states_are_not_deadlocks(plain):
    """options { deadlock = false }: with --deadlock the completed run (every
    operation done, every Put delivered) is reported as a deadlock."""
    r = check(plain, check_deadlock=True)
    assert r.verdict is Verdict.VIOLATED  # the inversion comes first (11 states)
    spec = load(REGISTER, config="abd")
    r = check(spec, check_deadlock=True)
    (v,) = r.violations
    assert r.verdict is Verdict.DEADLOCK and len(v.trace) == 22
    final = named(spec, v.trace.states[-1])
    assert final["rPhase"] == ("done", "done") and final["net"] == frozenset()
