"""Single-decree Paxos (specs/consensus/paxos.mc): state counts, depths, verdicts, seeded bugs.

Where the figures come from (none of them is output copied from the code under test alone):
- Config `tlc` (one acceptor, one value, ballots 0..1) is MCPaxos.cfg as it stands in the
  TLA+ Examples; the Examples' manifest (specifications/Paxos/manifest.json) gives TLC's
  figures for it: 25 distinct states, 82 states generated, depth 9.
- Every configuration's distinct states, generated states and depth equal those of
  ``transcription`` below, a breadth-first search over plain Python tuples and frozensets
  written from Paxos.tla's next-state relation (not from the .mc file).
- Termination: every step that changes the state adds a message (asserted by the
  transcription), so the state graph has no cycle but stuttering, and a fair behaviour
  that never chooses is one that stutters forever in a state where nothing is chosen and
  no weakly fair action can change the state. The transcription finds the shortest path
  to such a state: the lasso's stem. Default: the initial state itself (nobody is obliged
  to propose). With the stable leader (config `leader`): no such state.
- Seeded bugs: the transcription's shortest path to an Agreement violation, and the hand
  argument next to BUGS below.
"""

import functools
import itertools
from collections import deque
from pathlib import Path

import pytest

from modelcheck import Verdict, check, load
from modelcheck.result import StopReason
from tests.helpers import SPECS, load_spec, replay

PAXOS = (SPECS / "consensus" / "paxos.mc").as_posix()


def paxos(config=None, **consts):
    return load_spec(PAXOS, config, **consts)


def run(spec, **kw):
    return check(spec, **kw)


@functools.lru_cache(maxsize=None)
def result(config=None, symmetry=True, temporal=True, **consts):
    """The check of a configuration, run once per module and shared by the tests."""
    return run(paxos(config, **consts), symmetry=symmetry, check_temporal=temporal)


# ====================================================== an independent transcription

def transcription(n_acc, n_val, max_ballot, stable_leader=False, bug_promise=False,
                  bug_any_value=False, bug_quorum=False, with_orbits=False,
                  stop_at_violation=False):
    """Paxos.tla's Init and Next over Python values, searched breadth first.

    A state is (maxBal, maxVBal, maxVal, msgs): three tuples indexed by acceptor
    0..n_acc-1 (None for "no value") and a frozenset of messages ("1a", b),
    ("1b", a, b, mbal, mval), ("2a", b, v), ("2b", a, b, v). Returns a dict: distinct,
    generated (the initial states plus one per successor of each action instance, as TLC
    counts), depth, agreement (the length in states of the shortest path to a state where
    two values are chosen, or None) and stuck (the length of the shortest path to a state
    where nothing is chosen and no weakly fair action changes the state, or None), and
    with ``with_orbits`` the number of orbits of the reachable states under every
    renaming of acceptors and of values (what symmetry reduction must count).
    ``stop_at_violation``: stop at the first Agreement violation (breadth first, so at a
    shortest one); the other figures are then partial."""
    accs, vals, ballots = range(n_acc), range(n_val), range(max_ballot + 1)

    def is_quorum(q):
        if bug_quorum:
            return len(q) >= n_acc // 2 and len(q) > 0
        return 2 * len(q) > n_acc

    quorums = [frozenset(c) for r in range(n_acc + 1) for c in itertools.combinations(accs, r)
               if is_quorum(c)]

    def chosen(msgs):
        return {v for v in vals for b in ballots for q in quorums
                if all(("2b", a, b, v) in msgs for a in q)}

    def phase2a_ok(msgs, b, v):
        if any(m[0] == "2a" and m[1] == b for m in msgs):
            return False
        for q in quorums:
            q1b = [m for m in msgs if m[0] == "1b" and m[1] in q and m[2] == b]
            if not all(any(m[1] == a for m in q1b) for a in q):
                continue
            q1bv = [m for m in q1b if m[3] >= 0]
            if bug_any_value or not q1bv or any(
                    m[4] == v and all(m[3] >= mm[3] for mm in q1bv) for m in q1bv):
                return True
        return False

    def successors(s):
        """(fair, t) for every action instance's successor t; fair: the instance has weak
        fairness (Phase1b(a), Phase2b(a), and the stable leader's steps)."""
        max_bal, max_vbal, max_val, msgs = s
        out = []
        for b in ballots:
            leader = stable_leader and b == max_ballot
            out.append((leader, (max_bal, max_vbal, max_val, msgs | {("1a", b)})))
            for v in vals:
                if phase2a_ok(msgs, b, v):
                    out.append((leader, (max_bal, max_vbal, max_val, msgs | {("2a", b, v)})))
        for a in accs:
            for m in msgs:
                if m[0] == "1a" and m[1] > max_bal[a]:
                    nb = max_bal[:a] + (m[1],) + max_bal[a + 1:]
                    out.append((True, (nb, max_vbal, max_val,
                                       msgs | {("1b", a, m[1], max_vbal[a], max_val[a])})))
            for m in msgs:
                if m[0] == "2a" and (bug_promise or m[1] >= max_bal[a]):
                    b, v = m[1], m[2]
                    put = lambda t, x: t[:a] + (x,) + t[a + 1:]
                    out.append((True, (put(max_bal, b), put(max_vbal, b), put(max_val, v),
                                       msgs | {("2b", a, b, v)})))
        return out

    def permute(s, pa, pv):
        """s with acceptor a renamed pa[a] and value v renamed pv[v]."""
        max_bal, max_vbal, max_val, msgs = s
        move = lambda t, f: tuple(f(t[pa.index(i)]) for i in accs)
        val = lambda v: None if v is None else pv[v]
        msg = {"1a": lambda m: m,
               "1b": lambda m: ("1b", pa[m[1]], m[2], m[3], val(m[4])),
               "2a": lambda m: ("2a", m[1], pv[m[2]]),
               "2b": lambda m: ("2b", pa[m[1]], m[2], pv[m[3]])}
        return (move(max_bal, int), move(max_vbal, int), move(max_val, val),
                frozenset(msg[m[0]](m) for m in msgs))

    init = ((-1,) * n_acc, (-1,) * n_acc, (None,) * n_acc, frozenset())
    depth_of = {init: 1}
    queue = deque([init])
    generated = 1
    agreement = stuck = None
    while queue:
        s = queue.popleft()
        succ = successors(s)
        generated += len(succ)
        decided = chosen(s[3])
        if agreement is None and len(decided) > 1:
            agreement = depth_of[s]
            if stop_at_violation:
                break
        if stuck is None and not decided and all(t == s for fair, t in succ if fair):
            stuck = depth_of[s]
        for _, t in succ:
            if not bug_promise:
                # every step that changes the state sends a message: no cycles
                assert t == s or t[3] > s[3]
            if t not in depth_of:
                depth_of[t] = depth_of[s] + 1
                queue.append(t)
    orbits = None
    if with_orbits:
        perms = [(pa, pv) for pa in itertools.permutations(accs) for pv in itertools.permutations(vals)]
        orbits = len({frozenset(permute(s, pa, pv) for pa, pv in perms) for s in depth_of})
    return dict(distinct=len(depth_of), generated=generated, depth=max(depth_of.values()),
                agreement=agreement, stuck=stuck, orbits=orbits)


# ====================================================== counts and depth

# (config, transcription arguments, distinct, generated, depth)
CONFIGS = [
    ("tlc", (1, 1, 1), 25, 82, 9),
    (None, (3, 2, 1), 3921, 22995, 17),
]


@pytest.mark.parametrize("config,args,distinct,generated,depth", CONFIGS)
def test_counts_match_transcription(config, args, distinct, generated, depth):
    hand = transcription(*args)
    assert (hand["distinct"], hand["generated"], hand["depth"]) == (distinct, generated, depth)
    r = result(config, symmetry=False, temporal=False)
    assert (r.verdict, r.stop_reason) == (Verdict.HOLDS, StopReason.EXHAUSTED)
    assert (r.distinct_states, r.generated_states, r.depth) == (distinct, generated, depth)


def test_tlc_configuration_matches_tlc():
    # MCPaxos.cfg in the TLA+ Examples: TLC reports 25 distinct states, 82 generated, depth 9
    r = result("tlc")
    assert (r.distinct_states, r.generated_states, r.depth) == (25, 82, 9)


def test_default_configuration():
    """3 acceptors, 2 values, ballots 0..1: safety holds, Termination does not."""
    r = result()
    assert r.symmetry is False  # the temporal property needs the whole graph
    assert (r.distinct_states, r.generated_states, r.depth) == (3921, 22995, 17)
    props = {p.name: (p.cls, p.kind, p.verdict) for p in r.properties}
    assert props == {
        "TypeOK": ("typing", "invariant", Verdict.HOLDS),
        "Agreement": ("agreement", "invariant", Verdict.HOLDS),
        "Validity": ("validity", "invariant", Verdict.HOLDS),
        "Integrity": ("integrity", "step", Verdict.HOLDS),
        "Termination": ("termination", "temporal", Verdict.VIOLATED),
        # Phase1a is always enabled, as in Paxos.tla: no state is a deadlock
        "Deadlock": ("deadlock", "deadlock", Verdict.HOLDS),
    }
    assert r.verdict is Verdict.VIOLATED


def test_safety_with_symmetry_counts_orbits():
    """Symmetry (Acceptor and Value) applies when the temporal property is skipped: one
    state per orbit, counted by brute force over the transcription's states."""
    assert transcription(3, 2, 1, with_orbits=True)["orbits"] == 443
    r = result(temporal=False)
    assert r.symmetry is True
    assert (r.verdict, r.distinct_states, r.depth) == (Verdict.HOLDS, 443, 17)


# ====================================================== termination

def test_termination_fails_without_a_stable_leader():
    """Nobody is obliged to propose: the initial state stutters forever. The transcription
    agrees: the shortest path to a state where nothing is chosen and no fair action can
    move is the initial state itself (so the lasso is 1 state, looping on itself)."""
    assert transcription(3, 2, 1)["stuck"] == 1
    r = result()
    (v,) = r.violations
    assert (v.property, v.cls, v.kind) == ("Termination", "termination", "temporal")
    t = v.trace
    assert (len(t), t.loop, t.loop_label) == (1, 0, None)
    assert t.states[0] in paxos().model.initial_states()


def test_termination_holds_with_a_stable_leader():
    assert transcription(3, 2, 1, stable_leader=True)["stuck"] is None
    r = result("leader")
    assert r.verdict is Verdict.HOLDS
    # the same transitions as the default, only labelled differently
    assert (r.distinct_states, r.generated_states, r.depth) == (3921, 22995, 17)
    assert {p.name: p.verdict for p in r.properties}["Termination"] is Verdict.HOLDS


def test_termination_needs_the_leader_to_be_fair():
    """Without weak fairness of the leader's phase 2, the leader may stop after phase 1
    (the FLP point: a proposer that stops is indistinguishable from a slow one). The
    shortest such lasso: LeaderPhase1a, then every acceptor promises ballot 1 (weak
    fairness of Phase1b forces each), then stuttering forever: 5 states."""
    text = Path(PAXOS).read_text().replace(", weak LeaderPhase2a(*)", "")
    spec = load(PAXOS, text=text, config="leader")
    r = run(spec)
    (v,) = r.violations
    assert v.property == "Termination"
    t = v.trace
    assert (len(t), t.loop, t.loop_label) == (5, 4, None)
    actions = [spec.model.describe(lab).action for lab in t.labels[1:]]
    assert actions == ["LeaderPhase1a"] + ["Phase1b"] * 3


# ====================================================== seeded bugs

# Shortest counterexamples, in states (the initial state counted), default configuration.
# Lower bound, for every bug: every step sends at most one message. Two chosen values need
# two 2a messages, of two ballots (a proposer sends one 2a per ballot); each 2a needs that
# ballot's 1a and 1b messages from a quorum; each chosen value needs 2b messages from a
# quorum. With majorities of 3 (quorums of 2): 2 * (1 + 2 + 1 + 2) = 12 messages, 13
# states; with BugNonMajorityQuorum (quorums of 1): 2 * (1 + 1 + 1 + 1) = 8, 9 states.
# The bound is met:
# - BugAcceptorIgnoresPromise: a1, a2 promise ballots 0 and 1; 2a(0, v1) and 2a(1, v2);
#   a1 votes v1 at 0 then v2 at 1; a2 likewise: both chosen (a2's vote at 0 comes after
#   its promise of 1, which the bug ignores).
# - BugProposerIgnoresAcceptedValue: ballot 0 with a1, a2, v1 chosen by a1, a2; ballot 1
#   hears from a2 (which reports its vote for v1) and a3, and proposes v2 anyway.
#   (The checker's trace interleaves the two ballots; same 12 messages.)
# - BugNonMajorityQuorum: a1 alone promises 0 and 1; 2a(0, v1), 2a(1, v2); a1 votes v2 at
#   1 and a2 votes v1 at 0: each a quorum of one.
BUGS = [
    ("BugAcceptorIgnoresPromise", dict(bug_promise=True), 13),
    ("BugProposerIgnoresAcceptedValue", dict(bug_any_value=True), 13),
    ("BugNonMajorityQuorum", dict(bug_quorum=True), 9),
]


@pytest.mark.parametrize("bug,hand_args,length", BUGS)
def test_seeded_bug_found_with_shortest_trace(bug, hand_args, length):
    assert transcription(3, 2, 1, stop_at_violation=True, **hand_args)["agreement"] == length
    spec = paxos(**{bug: True})
    r = run(spec, symmetry=False)
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, v.cls, len(v.trace)) == ("Agreement", "agreement", length)
    replay(spec, v.trace)
    # with symmetry too, the same length
    r = run(spec, check_temporal=False)
    (v,) = r.violations
    assert (v.property, len(v.trace)) == ("Agreement", length)


def test_safety_holds_with_the_bugs_off():
    assert transcription(3, 2, 1)["agreement"] is None


# ====================================================== three ballots

@pytest.mark.slow
def test_three_ballots():
    hand = transcription(3, 2, 2)
    r = result("ballots3", symmetry=False, temporal=False)
    assert r.verdict is Verdict.HOLDS
    assert (r.distinct_states, r.generated_states, r.depth) == (
        hand["distinct"], hand["generated"], hand["depth"])
    assert (r.distinct_states, r.depth) == (185369, 25)
