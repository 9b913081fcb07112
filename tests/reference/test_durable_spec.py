"""specs/twophase/durable.mc: state counts, depths and verdicts, and why they are right.

Where the figures come from (none is output of modelcheck pasted in):

- Every count is also computed by handwritten_durable.py, an independent transcription
  of the spec in plain Python with its own breadth-first search; for the small
  configurations the two sets of reachable states are compared state by state, which
  also checks that the compiled spec means what the transcription says.
- A hand count for the smallest case, RM = 1 without crashes, is below
  (test_one_rm_no_crash_by_hand).
- Safety (Agreement, Validity, DurableState, DecisionLogged; Integrity on every step) is
  re-checked on every state of the transcription.
- Termination: modelcheck's verdict under the declared fairness; cross-checked by two
  necessary conditions on the transcription's graph (from every reachable state a
  settled state is reachable; every state with no state-changing successor is
  settled), and shown to have teeth: without the in-doubt inquiry (RMAskOutcome) the
  protocol blocks, with a lasso argued below.
- The heuristic counterexamples are shortest by BFS; their lengths are argued below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reference import handwritten_durable as hw
from modelcheck import Verdict, check, load
from modelcheck.result import StopReason
from tests.helpers import reachable

DURABLE = Path(__file__).resolve().parents[2] / "specs" / "twophase" / "durable.mc"
PROPS = ["Agreement", "Validity", "DurableState", "DecisionLogged", "Integrity", "Termination"]


def spec(config=None, text=None, **consts):
    return load(DURABLE, consts=consts or None, config=config, text=text)


# (RM, MaxCrashes, distinct, generated, depth): equal to the transcription's figures
FIGURES = [
    (1, 0, 40, 73, 8),
    (1, 1, 152, 351, 10),
    (2, 0, 680, 2124, 13),
    (2, 1, 3686, 13716, 15),
    (2, 2, 9778, 41562, 17),       # config small
    (3, 0, 14560, 66152, 18),
]


@pytest.mark.parametrize("n,k,distinct,generated,depth", FIGURES)
def test_counts_agree_with_the_transcription(n, k, distinct, generated, depth):
    d, g, dep, states, _ = hw.explore(n, k)
    assert (d, g, dep) == (distinct, generated, depth)
    s = spec(RM=n, MaxCrashes=k)
    r = check(s, symmetry=False, check_temporal=False, check_deadlock=False)
    assert (r.verdict, r.stop_reason) == (Verdict.HOLDS, StopReason.EXHAUSTED)
    assert (r.distinct_states, r.generated_states, r.depth) == (distinct, generated, depth)
    assert set(reachable(s.model)) == states
    assert all(hw.safety_ok(x) for x in states)


def test_one_rm_no_crash_by_hand():
    """RM = 1, MaxCrashes = 0: 40 states, of which the 9 reachable from the initial
    state where the RM is down are counted by hand.

    Down at the start, the RM gets no Prepare (TMBegin sends only to RMs that are up),
    so it can never vote; it may recover (a recovery is not a crash) at any time, and
    the TM can only abort. The states: idle (1); TM init, RM down or up (2); TM aborted
    with r1 still pending, RM down or up (2); the Abort sent while the RM was down, so
    lost, then RM down or up (2); the Abort sent while it was up, so Abort(r1) in msgs,
    RM working or aborted (2). 1 + 2 + 2 + 2 + 2 = 9. The other 31 (the RM up at the
    start) are the transcription's; one of them exists only because a decision sent to
    an RM that has already decided is not kept (sendDecision): the RM voted no, then
    the TM aborted and sent Abort(r1), and msgs is still {Prepare(r1)}."""
    _, _, _, states, _ = hw.explore(1, 0)
    # the states in which the RM never voted and never received a Prepare are the ones
    # reachable from the initial state with the RM down
    init, nxt = hw.model(1, 0)
    down0 = [s for s in init() if not s[2][0]]
    seen = set(down0)
    todo = list(down0)
    while todo:
        s = todo.pop()
        for _, _, t in nxt(s):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    assert len(seen) == 9 and len(states) == 40
    # the 9, as argued: idle + 8 after TMBegin
    assert sorted(s[3] for s in seen).count("idle") == 1
    assert sum(1 for s in seen if s[3] == "init") == 2
    assert sum(1 for s in seen if s[3] == "tmAborted") == 6


@pytest.mark.slow
def test_default_config_holds():
    """RM = 3, MaxCrashes = 1: 101,302 states, depth 20; every property holds."""
    r = check(spec(), symmetry=False, check_deadlock=False)
    assert (r.verdict, r.stop_reason) == (Verdict.HOLDS, StopReason.EXHAUSTED)
    assert (r.distinct_states, r.generated_states, r.depth) == (101302, 524657, 20)
    assert [(p.name, p.verdict) for p in r.properties] == [(n, Verdict.HOLDS) for n in PROPS]
    # the transcription agrees on the figures and on the state set
    d, g, dep, states, _ = hw.explore(3, 1)
    assert (d, g, dep) == (101302, 524657, 20)
    assert set(reachable(spec().model)) == states


def test_small_config_holds_with_termination():
    r = check(spec("small"), symmetry=False, check_deadlock=False)
    assert (r.verdict, r.distinct_states, r.depth) == (Verdict.HOLDS, 9778, 17)
    assert [(p.name, p.verdict) for p in r.properties] == [(n, Verdict.HOLDS) for n in PROPS]
    # the final states are deadlocks (nothing left to do), hence the spec's
    # `options { deadlock = false }`: asked for, they are found
    assert check(spec("small"), symmetry=False, check_temporal=False).verdict is Verdict.HOLDS
    r = check(spec("small"), symmetry=False, check_temporal=False, check_deadlock=True)
    assert r.verdict is Verdict.DEADLOCK


def _orbits(states, n):
    """The number of orbits of ``states`` under every permutation of the n RMs, by
    brute force: each state renamed every way, the least (in a total order) kept."""
    from itertools import permutations

    def rename(st, p):
        rs, rl, ru, ts, tp, tpend, tl, ms, cr = st
        inv = [0] * n
        for i, j in enumerate(p):
            inv[j] = i
        f = lambda t: tuple(t[inv[j]] for j in range(n))
        return (f(rs), f(rl), f(ru), ts, tuple(sorted(p[x] for x in tp)), tuple(sorted(p[x] for x in tpend)),
                tl, tuple(sorted((m, p[x]) for m, x in ms)), cr)

    perms = list(permutations(range(n)))
    return len({min(rename(st, p) for p in perms) for st in states})


@pytest.mark.parametrize("n,k,orbits", [(2, 2, 4989), (3, 0, 2780)])
def test_symmetry_counts_orbits(n, k, orbits):
    """With symmetry (safety only), modelcheck counts one state per orbit of the
    reachable states under renaming of the RMs: checked by brute force on the
    transcription's states."""
    _, _, _, states, _ = hw.explore(n, k)
    assert _orbits(states, n) == orbits
    r = check(spec(RM=n, MaxCrashes=k), symmetry=True, check_temporal=False, check_deadlock=False)
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, orbits)


def test_termination_necessary_conditions_on_the_graph():
    """On the transcription's graph (RM = 2, MaxCrashes = 2): a settled state (TM decided,
    nobody in doubt) is reachable from every state, and a state whose every successor
    is itself is settled. Termination under fairness needs both (it needs more, which
    modelcheck decides)."""
    _, _, _, states, graph = hw.explore(2, 2)
    settled = {s for s in states if hw.settled(s)}
    rev: dict = {}
    for s, succ in graph.items():
        for t in succ:
            rev.setdefault(t, set()).add(s)
    can = set(settled)
    todo = list(settled)
    while todo:
        t = todo.pop()
        for s in rev.get(t, ()):
            if s not in can:
                can.add(s)
                todo.append(s)
    assert can == states
    stuck = [s for s in states if all(t == s for t in graph[s])]
    assert stuck and all(hw.settled(s) for s in stuck)


def test_without_the_inquiry_the_protocol_blocks():
    """Disable RMAskOutcome: Termination fails. The shortest lasso (6 states): TMBegin;
    TMCrash; rm1 votes yes, its vote lost (the TM is down); TMRecover presumes abort and
    knows nobody to tell; rm2 (down from the start) recovers; then rm1 is in doubt
    forever."""
    text = DURABLE.read_text()
    mutated = text.replace("  require rmUp[rm] and rmState[rm] == prepared\n  msgs' = sendToTM(Ask(rm))",
                           "  require false\n  msgs' = sendToTM(Ask(rm))")
    assert mutated != text
    s = spec("small", text=mutated)
    r = check(s, symmetry=False, check_deadlock=False)
    assert [(p.name, p.verdict) for p in r.properties][-1] == ("Termination", Verdict.VIOLATED)
    (v,) = r.violations
    steps = [s.model.describe(l).show() for l in v.trace.labels[1:]]
    assert steps == ["TMBegin", "TMCrash", "RMPrepare(rm=rm1)", "TMRecover", "RMRecover(rm=rm2)"]
    assert v.trace.loop == 5
    # and safety still holds: blocking is a liveness failure
    assert all(p.verdict is Verdict.HOLDS for p in r.properties[:-1])


def test_unlogged_vote_breaks_durable_state():
    """If RMPrepare did not log the vote, a recovering RM would come back working: the
    invariant DurableState fails right after the vote (3 states: init, TMBegin,
    RMPrepare) and the RMRecover assertion would fail later."""
    text = DURABLE.read_text()
    mutated = text.replace("  rmLog' = rmLog.put(rm, rmYes)\n", "")
    assert mutated != text
    r = check(spec("small", text=mutated), symmetry=False, check_deadlock=False, check_temporal=False)
    (v,) = r.violations
    assert (v.property, len(v.trace.states)) == ("DurableState", 3)


def test_heuristic_decisions_break_validity_and_agreement():
    """With AllowHeuristic, the shortest violations: Validity in 4 states (TMBegin, rm1
    votes yes, rm1 commits heuristically while the others have not voted) and Agreement
    in 5 (one more step: rm2 votes no, so that one RM committed and another aborted).
    No shorter trace can commit an RM: it needs TMBegin, a yes vote and then a commit."""
    s = spec("small", AllowHeuristic=True)
    r = check(s, symmetry=False, check_temporal=False, check_deadlock=False, stop_at_first=False)
    assert r.verdict is Verdict.VIOLATED
    got = {v.property: [s.model.describe(l).show() for l in v.trace.labels[1:]] for v in r.violations}
    assert got == {
        "Validity": ["TMBegin", "RMPrepare(rm=rm1)", "RMHeuristicCommit(rm=rm1)"],
        "Agreement": ["TMBegin", "RMPrepare(rm=rm1)", "RMChooseToAbort(rm=rm2)", "RMHeuristicCommit(rm=rm1)"],
    }
    verdicts = {p.name: p.verdict for p in r.properties}
    assert verdicts["DurableState"] is Verdict.HOLDS and verdicts["DecisionLogged"] is Verdict.HOLDS


def test_validate_config_binds_large_bounds():
    s = spec("validate")
    assert s.model.var_types[s.model.variables.index("crashes")].hi == 100000
