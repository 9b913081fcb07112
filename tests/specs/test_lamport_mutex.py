"""Lamport's mutual exclusion (specs/lamport/mutex.mc): state counts, liveness, seeded bugs.

Where the figures come from (none of them is output copied from the code under test):
- N = 3, maxClock = 6 (the model of MCLamportMutex.cfg): 724274 distinct states,
  2729079 states generated, depth 61. These are TLC's figures as published in the TLA+
  Examples repository, tlaplus/Examples, file specifications/lamport_mutex/manifest.json
  (model specifications/lamport_mutex/MCLamportMutex.cfg: "distinctStates": 724274,
  "totalStates": 2729079, "stateDepth": 61, "runtime": "00:00:10").
- Smaller configurations, the liveness configuration and the seeded bugs:
  ``reachable_states`` / ``shortest_violation`` below, a transcription of
  LamportMutex.tla into plain Python written for this test (it uses nothing from
  modelcheck), compared with the compiled spec state by state. It builds states in the
  layout a compiled spec uses (functions as tuples indexed by process id - 1, sets as
  frozensets, a message as ``(kind, clock)``), so whole state sets can be compared.
- Counterexample lengths (states, the initial one counted): the hand-written BFS gives
  the same shortest lengths; the reasoning for each is next to ``BUGS``.

The full MC run takes 45-60 s here (safety alone about 35-45 s; the default run also
decides RequestGranted), so it is marked slow; the small configurations run in seconds.
"""

import re
from collections import deque
from pathlib import Path

import pytest

from modelcheck import Verdict, check, load
from modelcheck.result import StopReason
from tests.helpers import MUTEX, load_spec, reachable

REQ, ACK, REL = "ReqMsg", "AckMsg", "RelMsg"


def spec(config=None, text=None, **consts):
    if text is None:
        return load_spec(MUTEX, config, **consts)
    return load(MUTEX, config=config, text=text, consts=consts)


def only_mutex(text):
    """The spec text with every invariant but Mutex removed."""
    out = re.sub(r"invariant (TypeOK|BoundedNetwork|ClockCondition) \[\w+\]:.*?(?=\n\n)", "", text, flags=re.S)
    assert "invariant Mutex" in out and out.count("invariant ") == 1
    return out


# -------------------------------------------------------------- hand-written model

def _put(t, i, v):
    return t[:i] + (v,) + t[i + 1:]


def successors(s, n, max_requests=0, no_max=False, max_no_inc=False, no_tie=False,
               non_fifo=False, majority=False):
    """LamportMutex.tla's Next, for processes 0..n-1 (process id = index + 1)."""
    clock, req, ack, net, crit, requested = s
    out = []

    def beats(p, q):
        if req[p][q] == 0 or req[p][p] < req[p][q]:
            return True
        if req[p][p] == req[p][q]:
            return True if no_tie else p < q
        return False

    def bcast(src, m):
        return tuple(ch if r == src else ch + (m,) for r, ch in enumerate(net[src]))

    for p in range(n):
        if req[p][p] == 0 and (max_requests == 0 or requested[p] < max_requests):
            out.append((clock, _put(req, p, _put(req[p], p, clock[p])), _put(ack, p, frozenset({p + 1})),
                        _put(net, p, bcast(p, (REQ, clock[p]))), crit,
                        _put(requested, p, requested[p] + 1) if max_requests else requested))
        enough = 2 * len(ack[p]) > n if majority else len(ack[p]) == n
        if enough and all(beats(p, q) for q in range(n) if q != p):
            out.append((clock, req, ack, net, crit | {p + 1}, requested))
        if p + 1 in crit:
            out.append((clock, _put(req, p, _put(req[p], p, 0)), _put(ack, p, frozenset()),
                        _put(net, p, bcast(p, (REL, 0))), crit - {p + 1}, requested))
    for p in range(n):
        for q in range(n):
            if p == q:
                continue
            chan = net[q][p]
            for i in range(len(chan) if non_fifo else min(1, len(chan))):
                kind, c = chan[i]
                rest = _put(net, q, _put(net[q], p, chan[:i] + chan[i + 1:]))
                if kind == REQ:
                    mine = clock[p]
                    new = mine + 1 if no_max else max(c, mine) if max_no_inc else max(c, mine) + 1
                    out.append((_put(clock, p, new), _put(req, p, _put(req[p], q, c)), ack,
                                _put(rest, p, _put(rest[p], q, rest[p][q] + ((ACK, 0),))), crit, requested))
                elif kind == ACK:
                    out.append((clock, req, _put(ack, p, ack[p] | {q + 1}), rest, crit, requested))
                else:
                    out.append((clock, _put(req, p, _put(req[p], q, 0)), ack, rest, crit, requested))
    return out


def initial(n):
    z = (0,) * n
    return ((1,) * n, (z,) * n, (frozenset(),) * n, (((),) * n,) * n, frozenset(), z)


def reachable_states(n, max_clock, **kw):
    """BFS under the clock constraint: (states, generated, depth), counted as TLC does
    (generated = initial states + every successor computed, inside the constraint or not;
    depth = number of BFS levels)."""
    init = initial(n)
    seen, frontier, generated, depth = {init}, [init], 1, 0
    while frontier:
        depth += 1
        nxt = []
        for s in frontier:
            for t in successors(s, n, **kw):
                generated += 1
                if max(t[0]) <= max_clock and t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    return seen, generated, depth


def mutex_holds(s):
    return len(s[4]) <= 1


def shortest_violation(n, max_clock, **kw):
    """Number of states on a shortest path to a state with two processes in the critical
    section (None if there is none)."""
    init = initial(n)
    dist, todo = {init: 1}, deque([init])
    while todo:
        s = todo.popleft()
        if not mutex_holds(s):
            return dist[s]
        for t in successors(s, n, **kw):
            if max(t[0]) <= max_clock and t not in dist:
                dist[t] = dist[s] + 1
                todo.append(t)
    return None


# -------------------------------------------------------------- the MC configuration

@pytest.mark.slow
def test_mc_config_matches_tlc():
    # in C where there is a compiler (11 s; 32 s in Python): tests/native/test_differential.py
    # holds Python's counts on this configuration equal to C's, so both meet TLC's
    r = check(spec(), backend="auto")
    assert r.stop_reason is StopReason.EXHAUSTED
    # TLC, MCLamportMutex.cfg (N = 3, maxClock = 6): the published figures
    assert (r.distinct_states, r.generated_states, r.depth) == (724274, 2729079, 61)
    verdicts = {p.name: p.verdict for p in r.properties}
    for name in ("Mutex", "TypeOK", "BoundedNetwork", "ClockCondition", "Deadlock"):
        assert verdicts[name] is Verdict.HOLDS
    # liveness fails, but only because of the clock bound: in the state the behaviour
    # stutters in forever, a request is waiting at the head of a channel and receiving
    # it would take the receiver's clock past maxClock, out of the model
    assert verdicts["RequestGranted"] is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, v.kind) == ("RequestGranted", "temporal")
    assert len(v.trace) == 21
    assert_stuck_at_the_bound(v.trace, 6)


def assert_stuck_at_the_bound(t, max_clock):
    """The lasso ends stuttering in a state where a request waits at the head of a
    channel and receiving it would take the receiver's clock past the bound."""
    assert t.loop == len(t) - 1 and t.loop_label is None
    clock, req, ack, net, crit, requested = t.states[-1]
    n = len(clock)
    cut = [(q, p) for p in range(n) for q in range(n)
           if net[q][p] and net[q][p][0][0] == REQ and max(net[q][p][0][1], clock[p]) + 1 > max_clock]
    assert cut


@pytest.mark.parametrize("n,max_clock", [(2, 4), (3, 3)])
def test_liveness_cut_by_the_clock_bound(n, max_clock):
    r = check(spec(N=n, maxClock=max_clock))
    (v,) = r.violations
    assert (v.property, v.kind, v.message) == ("RequestGranted", "temporal", "for p=1")
    assert_stuck_at_the_bound(v.trace, max_clock)


# -------------------------------------------------------------- smaller configurations

SMALL = [
    # (N, maxClock, distinct, depth): the hand-written model gives the same
    (2, 3, 191, 22),
    (2, 5, 685, 34),
    (3, 2, 511, 15),
    (3, 3, 10209, 31),
]


@pytest.mark.parametrize("n,max_clock,distinct,depth", SMALL)
def test_small_configs_equal_handwritten(n, max_clock, distinct, depth):
    r = check(spec(N=n, maxClock=max_clock), check_temporal=False)
    assert (r.verdict, r.stop_reason) == (Verdict.HOLDS, StopReason.EXHAUSTED)
    hand, generated, hand_depth = reachable_states(n, max_clock)
    assert (r.distinct_states, r.generated_states, r.depth) == (len(hand), generated, hand_depth)
    assert (r.distinct_states, r.depth) == (distinct, depth)
    # state for state (the spec's ClockConstraint is clock[p] <= maxClock)
    assert set(reachable(spec(N=n, maxClock=max_clock).model)) == hand


def test_small_config_block():
    r = check(spec(config="small"))
    hand, generated, depth = reachable_states(2, 4)
    assert (r.distinct_states, r.generated_states, r.depth) == (len(hand), generated, depth)


# -------------------------------------------------------------- liveness

def test_requests_granted_with_a_request_budget():
    # config live: N = 3, one request per process, no effective clock bound. Every
    # behaviour is finite up to stuttering; the final states are deadlocks by design.
    r = check(spec(config="live"), check_deadlock=False)
    assert r.verdict is Verdict.HOLDS
    assert {p.name: p.verdict for p in r.properties}["RequestGranted"] is Verdict.HOLDS
    hand, generated, depth = reachable_states(3, 1000, max_requests=1)
    assert (r.distinct_states, r.generated_states, r.depth) == (len(hand), generated, depth)
    assert (r.distinct_states, r.depth) == (20000, 28)


@pytest.mark.parametrize("budget", [2, 3])
def test_requests_granted_two_processes(budget):
    r = check(spec(config="live", N=2, MaxRequests=budget), check_deadlock=False)
    assert r.verdict is Verdict.HOLDS
    hand, _, _ = reachable_states(2, 1000, max_requests=budget)
    assert r.distinct_states == len(hand)


def test_liveness_needs_exit_to_be_fair():
    # without weak fairness of Exit a process may stay in the critical section forever
    text = Path(MUTEX).read_text().replace("weak Enter(*), weak Exit(*)", "weak Enter(*)")
    r = check(load(MUTEX, config="live", text=text), check_deadlock=False)
    (v,) = r.violations
    assert (v.property, v.message) == ("RequestGranted", "for p=1")
    t = v.trace
    assert t.loop == len(t) - 1 and t.loop_label is None
    crit = t.states[-1][4]
    assert len(crit) == 1 and 1 not in crit


def test_no_budget_is_exactly_the_mc_model():
    # MaxRequests = 0 leaves `requested` at 0: same counts as without the variable
    r = check(spec(N=3, maxClock=3), check_temporal=False)
    assert {s[5] for s in reachable_states(3, 3)[0]} == {(0, 0, 0)}
    assert r.distinct_states == 10209


# -------------------------------------------------------------- seeded bugs

# N = 3, maxClock = 6. (bug, first property violated with every property on, its
# length, shortest Mutex violation with the other invariants removed)
#
# Lower bound for Mutex when entering needs every acknowledgement: two processes in the
# critical section each made a Request, had it received by the two others and received
# both acknowledgements, and entered: 2 * 6 = 12 steps, 13 states. BugMaxWithoutIncrement,
# BugNoTieBreak and BugNonFifo reach it:
# - BugMaxWithoutIncrement: 2 requests at clock 1; 1 receives it and keeps clock 1, then
#   requests at clock 1 too. 2 gets every ack and enters (1's request not yet arrived);
#   1's request is then received by 2, 1 gets the ack, and the tie 1 vs 1 goes to 1.
# - BugNoTieBreak: 1 and 2 both request at clock 1, every message is delivered, and
#   each sees a tie it believes it wins.
# - BugNonFifo: 2's acknowledgement of 1's request overtakes 2's earlier request on the
#   channel 2 -> 1; 1 enters without knowing 2's request, which is older.
# - BugMajorityAcks: one acknowledgement besides its own suffices, so each of two
#   processes needs Request, one receipt, one ack and Enter: 8 steps, 9 states (1 and 2
#   request, 3 acknowledges both). At the same depth 1 can request, enter on 3's ack,
#   exit and request again while 2 reads nothing: channel 1 -> 2 holds Req, Ack, Rel,
#   Req, four messages, and BFS meets that BoundedNetwork violation first.
# - BugNoMaxOnReceive breaks the clock condition in 4 steps: a stamp above 1 needs a
#   requester that has received a request (1 requests, 2 receives it: clock 2), 2
#   requests stamped 2, 3 (clock 1) receives it and moves only to 2. Mutex takes a full
#   round first (21 steps): 1's second request gets a stamp (2) that ties with 2's
#   pending request, because 1's clock went from 1 to 2 on 2's request stamped 2,
#   instead of to 3; 2 enters on 1's release before 1's new request arrives, and 1,
#   winning the tie by id, enters too.
# - BugMaxWithoutIncrement breaks the clock condition in 2 steps: 1 requests at clock 1,
#   2 receives it and stays at clock 1, not ahead of the stamp.
BUGS = [
    ("BugNoMaxOnReceive", "ClockCondition", "integrity", 5, 22),
    ("BugMaxWithoutIncrement", "ClockCondition", "integrity", 3, 13),
    ("BugNoTieBreak", "Mutex", "agreement", 13, 13),
    ("BugNonFifo", "Mutex", "agreement", 13, 13),
    ("BugMajorityAcks", "BoundedNetwork", "typing", 9, 9),
]

HAND_FLAGS = {
    "BugNoMaxOnReceive": "no_max",
    "BugMaxWithoutIncrement": "max_no_inc",
    "BugNoTieBreak": "no_tie",
    "BugNonFifo": "non_fifo",
    "BugMajorityAcks": "majority",
}


def _replays(model, trace):
    assert trace.states[0] in model.initial_states()
    for s, label, t in zip(trace.states, trace.labels[1:], trace.states[1:]):
        assert (label, t) in model.successors(s)


@pytest.mark.parametrize("bug,prop,cls,length,mutex_length", BUGS)
def test_seeded_bug_first_violation(bug, prop, cls, length, mutex_length):
    s = spec(**{bug: True})
    r = check(s, check_temporal=False)
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, v.cls, len(v.trace)) == (prop, cls, length)
    _replays(s.model, v.trace)


@pytest.mark.parametrize("bug,prop,cls,length,mutex_length", BUGS)
def test_seeded_bug_breaks_mutex(bug, prop, cls, length, mutex_length):
    s = spec(text=only_mutex(Path(MUTEX).read_text()), **{bug: True})
    r = check(s, check_temporal=False)
    (v,) = r.violations
    assert (v.property, v.cls, len(v.trace)) == ("Mutex", "agreement", mutex_length)
    _replays(s.model, v.trace)
    assert len(v.trace.states[-1][4]) == 2
    # an independent BFS finds the same shortest length
    assert shortest_violation(3, 6, **{HAND_FLAGS[bug]: True}) == mutex_length


def test_no_bug_no_mutex_violation_small():
    assert shortest_violation(3, 3) is None
    assert check(spec(N=3, maxClock=3), check_temporal=False).verdict is Verdict.HOLDS


def test_strict_clock_comparison_deadlocks_instead():
    # the other reading of "no tie-break": on equal stamps neither side goes first.
    # All three request at clock 1 and every request and ack is delivered (3 + 6 + 6
    # steps); nobody beats anybody, nothing is enabled: a deadlock, not a Mutex violation
    text = Path(MUTEX).read_text().replace("(if BugNoTieBreak then req[p][p] == req[p][q]",
                                     "(if BugNoTieBreak then false")
    r = check(load(MUTEX, text=text, consts={"BugNoTieBreak": True}), check_temporal=False)
    assert r.verdict is Verdict.DEADLOCK
    (v,) = r.violations
    assert len(v.trace) == 16
    assert not v.trace.states[-1][4]
