"""Lamport clocks (specs/lamport/clocks.mc) and total order broadcast (specs/lamport/tob.mc).

Where the figures come from (none of them is output copied from the code under test):
- Distinct states and depth of every bundled configuration, and the length of the
  shortest counterexample for every safety property a seeded bug breaks: equal to those
  of ``handwritten_lamport``, a brute-force breadth-first search over plain Python tuples
  written from the protocol description, asserted here for every configuration (the
  biggest, tob n3, under ``slow``).
- Termination (tob): the state graph has no cycle but the Terminated self-loop (every
  step adds a broadcast, consumes a message or delivers one), so under weak fairness of
  Receive and Deliver it fails exactly when some reachable state has a broadcast message
  not delivered everywhere and neither action enabled; ``handwritten_lamport`` finds the
  shortest path to such a state, which is the lasso's stem (the lasso then stutters).
- Counterexample lengths argued by hand next to each bug below as well.
"""

import pytest

from modelcheck import Verdict, check
from modelcheck.result import StopReason
from tests.helpers import CLOCKS, TOB, load_spec, replay
from tests.models.handwritten_lamport import clocks, tob


def clocks_spec(config=None, **bugs):
    return load_spec(CLOCKS, config, **{k: True for k, v in bugs.items() if v})


def tob_spec(config=None, **bugs):
    return load_spec(TOB, config, **{k: True for k, v in bugs.items() if v})


# ============================================================== Lamport clocks

# (config, handwritten arguments (N, MaxEvents), distinct, depth). Depth is 2 * MaxEvents
# (N = 2) or 3 * MaxEvents (N = 3) events plus the initial state: some process can
# always do a local event, so every process reaches its bound.
CLOCKS_CONFIGS = [
    (None, (2, 3), 779, 7),
    ("n3", (3, 2), 6738, 7),
    ("big", (2, 4), 6486, 9),
]


@pytest.mark.parametrize("config,args,distinct,depth", CLOCKS_CONFIGS)
def test_clocks_counts(config, args, distinct, depth):
    r = check(clocks_spec(config))
    assert (r.verdict, r.stop_reason) == (Verdict.HOLDS, StopReason.EXHAUSTED)
    assert (r.distinct_states, r.depth) == (distinct, depth)
    assert {p.name: p.cls for p in r.properties} == {
        "TypeOK": "typing", "ClockCondition": "validity", "TotalOrder": "agreement",
        "Monotone": "integrity", "Deadlock": "deadlock"}
    hand = clocks(*args)
    assert (hand.distinct, hand.depth, hand.violations, hand.deadlock) == (distinct, depth, {}, None)


def test_clocks_one_event_each_by_hand():
    # N = 2, MaxEvents = 1. A process's single event is none, local, send (a message
    # then waits in the channel: the receiver has no event left for it, or has not yet
    # received it) or receive (only if the other sent). Pairs over {none, local, send}:
    # 9; plus (send, receive) and (receive, send): 11 states. Two events at most: depth 3.
    spec = load_spec(CLOCKS, MaxEvents=1)
    r = check(spec)
    assert (r.verdict, r.distinct_states, r.depth) == (Verdict.HOLDS, 11, 3)
    hand = clocks(2, 1)
    assert (hand.distinct, hand.depth) == (11, 3)


# Shortest counterexamples, in states (the initial state counted), every configuration:
# - BugNoMax: 1 sends to 2 (stamped 1), 2 receives: C := 0 + 1 = 1, not above the send:
#   3 states. The same trace breaks BugMaxNoIncrement: max(0, 1) = 1.
# - BugNoTieBreak: a local event at 1 and one at 2, both stamped 1 and tied: 3 states.
# No shorter one exists: a single event is never wrong (nothing happened before it).
# Both clock bugs break TotalOrder in the same state (it asks for order extending
# happened-before); ClockCondition is declared first and is the one reported.
CLOCKS_BUGS = [
    ("BugNoMax", "ClockCondition", "validity", 3, {"ClockCondition": 3, "TotalOrder": 3}),
    ("BugMaxNoIncrement", "ClockCondition", "validity", 3, {"ClockCondition": 3, "TotalOrder": 3}),
    ("BugNoTieBreak", "TotalOrder", "agreement", 3, {"TotalOrder": 3}),
]
HAND_CLOCK_BUG = {"BugNoMax": "no_max", "BugMaxNoIncrement": "max_no_increment",
                  "BugNoTieBreak": "no_tie_break"}


@pytest.mark.parametrize("config,args,distinct,depth", CLOCKS_CONFIGS)
@pytest.mark.parametrize("bug,prop,cls,length,every", CLOCKS_BUGS)
def test_clocks_bug_found(bug, prop, cls, length, every, config, args, distinct, depth):
    spec = clocks_spec(config, **{bug: True})
    r = check(spec)
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, v.cls, v.kind, len(v.trace)) == (prop, cls, "invariant", length)
    replay(spec, v.trace)
    # every property the bug breaks, each with its shortest counterexample
    r = check(spec, stop_at_first=False)
    assert {v.property: len(v.trace) for v in r.violations} == every
    assert clocks(*args, **{HAND_CLOCK_BUG[bug]: True}).violations == every


def test_clocks_bugs_differ():
    # BugNoMax lets a receive be stamped below its send; BugMaxNoIncrement never does
    # (max(C, ts) >= ts) but repeats a timestamp. In the no-max trace below, 1 does two
    # events (clock 2) and sends (3); 2 receives: 1 with BugNoMax, 3 with
    # BugMaxNoIncrement (the clock of process 2 after the receive).
    for bug, expected in (("BugNoMax", 1), ("BugMaxNoIncrement", 3)):
        spec = clocks_spec(**{bug: True})
        m = spec.model
        names = m.variables
        s = next(iter(m.initial_states()))
        for action, params in (("Local", (1,)), ("Local", (1,)), ("Send", (1, 2)), ("Receive", (2, 1))):
            (s,) = [t for lab, t in m.successors(s)
                    if m.describe(lab).action == action and tuple(m.describe(lab).values) == params]
        state = dict(zip(names, s))
        assert state["clock"][1] == expected


def test_clocks_no_deadlock_and_bounded_by_constraint():
    r = check(clocks_spec())
    assert {p.name: p.verdict for p in r.properties}["Deadlock"] is Verdict.HOLDS
    assert r.never_enabled == ()


# ============================================================== total order broadcast

# (config, handwritten arguments (N, MaxBcast, Senders), distinct, depth)
TOB_CONFIGS = [
    pytest.param(None, (2, 2, 2), 6736, 21, id="default"),
    pytest.param("n2", (2, 1, 2), 93, 11, id="n2"),
    pytest.param("n3", (3, 1, 2), 80259, 21, id="n3", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("config,args,distinct,depth", TOB_CONFIGS)
def test_tob_counts_and_termination(config, args, distinct, depth):
    r = check(tob_spec(config))
    assert (r.verdict, r.stop_reason) == (Verdict.HOLDS, StopReason.EXHAUSTED)
    assert (r.distinct_states, r.depth) == (distinct, depth)
    props = {p.name: (p.cls, p.verdict) for p in r.properties}
    assert props == {
        "TypeOK": ("typing", Verdict.HOLDS), "Agreement": ("agreement", Verdict.HOLDS),
        "NoDuplicate": ("integrity", Verdict.HOLDS), "Validity": ("validity", Verdict.HOLDS),
        "CausalOrder": ("validity", Verdict.HOLDS),
        "Termination": ("termination", Verdict.HOLDS), "Deadlock": ("deadlock", Verdict.HOLDS)}
    hand = tob(*args)
    assert (hand.distinct, hand.depth) == (distinct, depth)
    assert (hand.violations, hand.deadlock, hand.stuck) == ({}, None, None)


def test_tob_n2_depth_by_hand():
    # N = 2, one broadcast each: 2 broadcasts, 2 receipts of a broadcast (each sending one
    # Ack), 2 receipts of an Ack, 4 deliveries: 10 steps, 11 states, and every run that
    # finishes takes exactly these steps.
    r = check(tob_spec("n2"))
    assert r.depth == 11


# Shortest counterexamples, in states (the initial state counted). For each bug and
# configuration: the property reported first and its trace length, then every safety
# property the bug breaks with its shortest counterexample (``stop_at_first=False``).
# Default configuration (N = 2, MaxBcast = 2), by hand:
# - BugNoTieBreak: both broadcast (stamped 1), both receive, each delivers its own
#   first (ties broken its own way): 2 + 2 + 2 steps, 7 states.
# - BugNonFifo: 1 broadcasts twice (stamped 1, 2); 2 takes the second first and may
#   deliver it at once (it has heard 1 at (2, 1): the message itself), before its
#   causal predecessor: 4 steps, 5 states. Agreement: 7, as BugNoTieBreak's trace but 2
#   takes 1's Ack (stamped 2) before 1's broadcast.
# - BugNoMax: 2 broadcasts (stamped 1); 1 receives it (clock 1) and acks (1); 2 receives
#   the Ack (clock 2) and broadcasts again (3); 1 receives that with C := 1 + 1 = 2 (not
#   4) and broadcasts, stamped 3: (3, 1) comes before 2's (3, 2), which happened before
#   it; 1 delivers 2's first message, then its own: 8 steps, 9 states. Agreement: 13.
# - BugDeliverEarly: both broadcast, each delivers its own at once: 4 steps, 5 states.
#   CausalOrder survives with two processes: whatever happened before a message is in
#   every queue before the message (a process's own broadcasts are queued at once, the
#   other's arrive in FIFO order) and has a smaller timestamp, so delivering the
#   smallest keeps causal order even without waiting. With three processes (n3) a
#   predecessor from the third process may still be on its way: 6 states.
# Configuration n3 (N = 3, processes 1 and 2 broadcast once each): a delivery needs to
# have heard from two others, so the traces are longer.
TOB_BUGS = [
    # config, bug, first property, class, length, every safety violation
    (None, "BugNoTieBreak", "Agreement", "agreement", 7, {"Agreement": 7}),
    (None, "BugNonFifo", "CausalOrder", "validity", 5, {"CausalOrder": 5, "Agreement": 7}),
    (None, "BugNoMax", "CausalOrder", "validity", 9, {"CausalOrder": 9, "Agreement": 13}),
    (None, "BugDeliverEarly", "Agreement", "agreement", 5, {"Agreement": 5}),
    ("n2", "BugNoTieBreak", "Agreement", "agreement", 7, {"Agreement": 7}),
    ("n2", "BugNonFifo", "Agreement", "agreement", 7, {"Agreement": 7}),
    ("n2", "BugDeliverEarly", "Agreement", "agreement", 5, {"Agreement": 5}),
    ("n3", "BugNoTieBreak", "Agreement", "agreement", 9, {"Agreement": 9}),
    ("n3", "BugNonFifo", "CausalOrder", "validity", 8, {"CausalOrder": 8, "Agreement": 9}),
    ("n3", "BugDeliverEarly", "Agreement", "agreement", 5, {"Agreement": 5, "CausalOrder": 6}),
]
TOB_ARGS = {None: (2, 2, 2), "n2": (2, 1, 2), "n3": (3, 1, 2)}
HAND_TOB_BUG = {"BugNoTieBreak": "no_tie_break", "BugNonFifo": "non_fifo", "BugNoMax": "no_max",
                "BugDeliverEarly": "deliver_early"}


@pytest.mark.parametrize("config,bug,prop,cls,length,every", TOB_BUGS)
def test_tob_bug_found(config, bug, prop, cls, length, every):
    spec = tob_spec(config, **{bug: True})
    r = check(spec)
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, v.cls, v.kind, len(v.trace)) == (prop, cls, "invariant", length)
    replay(spec, v.trace)
    assert min(every.values()) == length and every[prop] == length
    # the hand-written search, up to the longest of these counterexamples: each property
    # is first broken at the length given, and no other is broken that soon
    hand = tob(*TOB_ARGS[config], **{HAND_TOB_BUG[bug]: True}, max_depth=max(every.values()))
    assert hand.violations == every


def _slow_when_big(rows):
    # the whole buggy state space: n3's, and the default's with BugNonFifo (about 450,000
    # states), take more than a few seconds
    return [pytest.param(*row, marks=pytest.mark.slow) if row[0] == "n3" or row[:2] == (None, "BugNonFifo")
            else row for row in rows]


@pytest.mark.parametrize("config,bug,prop,cls,length,every", _slow_when_big(TOB_BUGS))
def test_tob_bug_every_broken_property(config, bug, prop, cls, length, every):
    # no other safety property breaks anywhere in the (bounded) buggy system
    # in C where there is a compiler (the whole n3 space with BugNonFifo: 50 s in Python)
    r = check(tob_spec(config, **{bug: True}), stop_at_first=False, check_temporal=False,
              check_deadlock=False, backend="auto")
    assert r.stop_reason is StopReason.EXHAUSTED
    assert {v.property: len(v.trace) for v in r.violations} == every


# Configuration n3all (N = 3, one broadcast each) is too big to search whole (millions of
# states), but the seeded bugs are found quickly. The hand-written search goes up to the
# counterexample's length: the property reported is the only one broken that soon.
# BugNoMax: 2 hears of 3's broadcast (stamped 3) only through 1's Ack, its clock at 2,
# and broadcasts stamped 3: (3, 2) is ordered before (3, 3), which happened before it;
# 1 delivers its own message then 2's: 13 steps, 14 states.
TOB_N3ALL_BUGS = [
    ("BugNoTieBreak", "Agreement", 9),
    ("BugNonFifo", "CausalOrder", 8),
    pytest.param("BugNoMax", "CausalOrder", 14, marks=pytest.mark.slow),
    ("BugDeliverEarly", "Agreement", 5),
]


@pytest.mark.parametrize("bug,prop,length", TOB_N3ALL_BUGS)
def test_tob_three_broadcasters_bug_found(bug, prop, length):
    spec = tob_spec("n3all", **{bug: True})
    r = check(spec, backend="auto")
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, len(v.trace)) == (prop, length)
    replay(spec, v.trace)
    hand = tob(3, 1, 3, **{HAND_TOB_BUG[bug]: True}, max_depth=length)
    assert hand.violations == {prop: length}


def test_tob_no_max_breaks_only_termination_with_one_broadcast_each():
    # n2: 2 broadcasts (stamped 1); 1 receives it with C := 0 + 1 and acks at 1; 2
    # receives the Ack: it has heard 1 only at (1, 1), before its own (1, 2), and waits
    # for 1 to broadcast, which 1 need not do. Fairness forces 1 to deliver 2's message
    # (it heard 2 at (1, 2) itself): 4 steps, then the system stutters (only
    # Broadcast(1), which has no fairness, is enabled: not a deadlock).
    spec = tob_spec("n2", BugNoMax=True)
    r = check(spec)
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, v.cls, v.kind) == ("Termination", "termination", "temporal")
    assert (len(v.trace), v.trace.loop, v.trace.loop_label) == (5, 4, None)
    assert "p=2, k=1" in v.message
    props = {p.name: p.verdict for p in r.properties}
    assert props["Agreement"] is props["CausalOrder"] is props["Deadlock"] is Verdict.HOLDS
    hand = tob(2, 1, 2, no_max=True)
    assert (hand.violations, hand.deadlock, hand.stuck) == ({}, None, 5)
    # a lasso's stem is a real behaviour too
    replay(spec, v.trace)


@pytest.mark.slow
def test_tob_no_max_deadlocks_with_three_processes():
    # n3: both broadcasts stuck behind Acks stamped too early; no one can broadcast any
    # more: a deadlock, 19 states; with deadlock checking off, Termination fails with a
    # stem of 9 states (the shortest path to a state where some message is stuck and
    # neither Receive nor Deliver is enabled)
    spec = tob_spec("n3", BugNoMax=True)
    r = check(spec)
    assert r.verdict is Verdict.DEADLOCK
    (v,) = r.violations
    assert (v.kind, len(v.trace)) == ("deadlock", 19)
    r = check(spec, check_deadlock=False)
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert (v.property, len(v.trace), v.trace.loop_label) == ("Termination", 9, None)
    hand = tob(3, 1, 2, no_max=True)
    assert (hand.violations, hand.deadlock, hand.stuck) == ({}, 19, 9)


def test_tob_every_bug_breaks_agreement_in_default_configuration():
    # the configuration `modelcheck check specs/lamport/tob.mc` runs: every bug is found
    # there (test_tob_bug_found), and every one breaks Agreement, though BugNonFifo and
    # BugNoMax break CausalOrder first (the lengths are checked above)
    rows = [row for row in TOB_BUGS if row[0] is None]
    assert sorted(row[1] for row in rows) == sorted(HAND_TOB_BUG)
    assert all("Agreement" in row[5] for row in rows)


def test_tob_terminated_is_not_a_deadlock():
    # the final states idle through Terminated; no state is stuck
    r = check(tob_spec())
    assert r.never_enabled == ()
    assert {p.name: p.verdict for p in r.properties}["Deadlock"] is Verdict.HOLDS
