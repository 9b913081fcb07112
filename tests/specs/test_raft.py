"""specs/raft/election.mc: Raft leader election with a flaky link to s3, and the
flapping leader (DDIA ch. 9); pre-vote and check-quorum's lease (config ``prevote``)
stop it.

Where the figures come from (not only pasted from the checker's output):
- Distinct states: recounted by ``tests.helpers.reachable`` (a BFS written apart from
  modelcheck.search); depths: recounted by a level-by-level BFS below.
- The lasso: replayed step by step (the back edge included) and read for what makes it
  the flapping leader: two different servers elected in its cycle, a leader deposed by
  a higher term, and s3's link failing in it.
- Its length: a lower bound argued by hand (test_flapping_lasso_cycle_lower_bound); the
  checker's lasso is not the shortest, so its exact length (2 states, then a cycle of
  41) is pinned as what the checker prints, not derived.
"""

from pathlib import Path

from modelcheck import Verdict, check, load
from modelcheck.result import StopReason
from tests.helpers import SPECS, bfs_depth, load_spec, named, reachable

import pytest

RAFT = (SPECS / "raft" / "election.mc").as_posix()


@pytest.fixture(scope="module")
def default():
    return load_spec(RAFT)


@pytest.fixture(scope="module")
def prevote():
    return load_spec(RAFT, config="prevote")


@pytest.fixture(scope="module")
def default_result(default):
    return check(default)


@pytest.fixture(scope="module")
def prevote_result(prevote):
    return check(prevote)


def actions(spec, labels):
    return [spec.model.describe(lab).action for lab in labels]


def params(spec, label):
    return dict(spec.model.describe(label).params)


def leaders(spec, state):
    return {i for i, r in enumerate(named(spec, state)["role"]) if r == "leader"}


# -------------------------------------------------------------- default: the flapping leader

def test_default_safe_but_flapping(default_result):
    r = default_result
    assert (r.verdict, r.stop_reason) == (Verdict.VIOLATED, StopReason.EXHAUSTED)
    props = {p.name: (p.cls, p.kind, p.verdict) for p in r.properties}
    assert props == {
        "ElectionSafety": ("agreement", "invariant", Verdict.HOLDS),
        "StableLeader": ("termination", "temporal", Verdict.VIOLATED),
    }
    assert (r.distinct_states, r.generated_states, r.depth) == (409, 1429, 18)


def test_default_counts_recounted(default):
    assert len(reachable(default.model)) == 409
    assert bfs_depth(default.model) == 18


def test_flapping_lasso(default, default_result):
    (v,) = default_result.violations
    t = v.trace
    assert (v.property, len(t), t.loop) == ("StableLeader", 43, 2)  # 2 states, a cycle of 41
    m = default.model
    # a real behaviour: every step, and the step back to the loop state
    assert t.states[0] in m.initial_states()
    for s, label, nxt in zip(t.states, t.labels[1:], t.states[1:]):
        assert (label, nxt) in m.successors(s)
    assert (t.loop_label, t.states[t.loop]) in m.successors(t.states[-1])
    cycle = list(t.states[t.loop:])
    cycle_labels = list(t.labels[t.loop + 1:]) + [t.loop_label]
    steps = list(zip(cycle, cycle_labels, cycle[1:] + [cycle[0]]))
    # leadership moves: two different servers are elected in the cycle
    elected = {params(default, lab)["c"] for s, lab, n in steps
               if default.model.describe(lab).action == "RequestVote" and leaders(default, n) - leaders(default, s)}
    assert elected == {"s1", "s2"}
    # a leader is deposed by a higher term (its heartbeat's reply or a vote request)
    deposed = [(default.model.describe(lab).action, n) for s, lab, n in steps
               if leaders(default, s) - leaders(default, n)]
    assert deposed
    for _, n in deposed:
        assert not leaders(default, n)  # and no leader is left: an election must follow
    # the disruption: s3's link fails and s3 times out while cut off, in the cycle
    acts = actions(default, cycle_labels)
    assert {"Disconnect", "Reconnect"} <= set(acts)
    assert any(a == "Timeout" and params(default, lab)["s"] == "s3" and not named(default, s)["linkUp"]
               for s, lab, a in zip(cycle, cycle_labels, acts))
    # StableLeader's predicate fails somewhere in the cycle (infinitely often)
    assert any(not leaders(default, s) for s in cycle)


def test_flapping_lasso_cycle_lower_bound(default_result):
    """No flapping cycle is shorter than 6 steps: s3's term rises only by its own
    Timeout, only while cut off (Disconnect ... Reconnect: 3 steps); a deposition is a
    step of its own (RequestVote from s3, or AppendEntries answered with s3's term); s3
    is behind after a Disconnect and cannot win, so a new leader needs a Timeout of s1
    or s2 and a granted RequestVote (2 steps). The checker's cycle (41) is longer: it
    is the first fair cycle its search meets, not a shortest one."""
    (v,) = default_result.violations
    assert len(v.trace) - v.trace.loop >= 6


def test_s3_never_leads(default):
    """A structural claim of the opening comment: s3 never leads (so the leader always
    reaches a majority and check-quorum's step-down has nothing to do); and leaders
    are elected at all."""
    states = reachable(default.model)
    assert all(2 not in leaders(default, s) for s in states)
    assert any(leaders(default, s) for s in states)


# -------------------------------------------------------------- pre-vote and check-quorum

def test_prevote_holds(prevote_result):
    r = prevote_result
    assert (r.verdict, r.stop_reason) == (Verdict.HOLDS, StopReason.EXHAUSTED)
    assert {p.name: p.verdict for p in r.properties} == {
        "ElectionSafety": Verdict.HOLDS, "StableLeader": Verdict.HOLDS}
    assert (r.distinct_states, r.generated_states, r.depth) == (33, 66, 6)


def test_prevote_counts_recounted(prevote):
    states = reachable(prevote.model)
    assert len(states) == 33
    assert bfs_depth(prevote.model) == 6
    # s3's term never rises above a leader's: the disruption is gone
    for s in states:
        v = named(prevote, s)
        for l in leaders(prevote, s):
            assert v["currentTerm"][2] <= v["currentTerm"][l]


# -------------------------------------------------------------- the model is not vacuous

def variant(*edits, **consts):
    text = Path(RAFT).read_text()
    for old, new in edits:
        assert text.count(old) == 1
        text = text.replace(old, new)
    spec = load(RAFT, text=text, consts=consts or None)
    return spec, check(spec)


def test_votes_twice_breaks_election_safety():
    """A server that may vote twice in a term, and timers that fire while a candidate
    asks for votes (without them two connected servers are never candidates at once):
    s1 and s2 time out into term 1, s3 votes for both: two leaders of term 1.
    Timeout(s1), Timeout(s2), RequestVote(s1, s3), RequestVote(s2, s3): 5 states, the
    least (two candidacies and two granted votes)."""
    spec, r = variant(("(currentTerm[v] == currentTerm[c] and votedFor[v] == Nobody))",
                       "currentTerm[v] == currentTerm[c])"),
                      (" and not hearsCandidate(s)\n", "\n"))
    (v,) = r.violations
    assert (v.property, len(v.trace)) == ("ElectionSafety", 5)
    assert actions(spec, v.trace.labels[1:]) == ["Timeout", "Timeout", "RequestVote", "RequestVote"]


def test_flapping_does_not_need_the_timing_assumption_on_candidates():
    """Without the rule that a timer does not fire while a candidate asks for its vote,
    ElectionSafety still holds (votedFor alone guarantees it) and the leader still
    flaps."""
    spec, r = variant((" and not hearsCandidate(s)\n", "\n"))
    assert {p.name: p.verdict for p in r.properties} == {
        "ElectionSafety": Verdict.HOLDS, "StableLeader": Verdict.VIOLATED}
    assert r.distinct_states == 716


def test_without_the_lease_prevote_alone_still_holds_here():
    """Pre-vote alone already stops this disruption (s3 cut off cannot gather pre-votes);
    the lease matters for a partial partition, which this network does not have."""
    spec, r = variant(("require not (PreVote and hearsLeader(v))", "require true"), PreVote=True)
    assert {p.name: p.verdict for p in r.properties}["StableLeader"] is Verdict.HOLDS
