"""Paxos's duelling proposers (specs/consensus/duel.mc): ballots kept relative, so that a
duel that never ends is a lasso of the finite graph.

Figures: distinct states are recounted by an independent breadth-first walk of the model
(tests.helpers.reachable); the lasso is checked step by step for what makes it a duel;
the seeded bug's counterexample length is argued next to it."""

import pytest

from modelcheck import Verdict, check
from tests.helpers import ROOT, load_spec, reachable

DUEL = ROOT / "specs" / "consensus" / "duel.mc"


@pytest.fixture(scope="module")
def default():
    spec = load_spec(DUEL)
    return spec, check(spec)


@pytest.fixture(scope="module")
def leader():
    spec = load_spec(DUEL, "leader")
    return spec, check(spec)


def test_safety_holds_and_termination_fails_by_a_duel(default):
    spec, r = default
    props = {p.name: p.verdict for p in r.properties}
    assert props == {"Agreement": Verdict.HOLDS, "Decided": Verdict.VIOLATED}
    assert (r.distinct_states, r.depth) == (len(reachable(spec.model)), 22)
    assert r.distinct_states == 25387
    (v,) = r.violations
    t = v.trace
    cycle = [spec.model.describe(lab) for lab in t.labels[t.loop + 1:]] + [spec.model.describe(t.loop_label)]
    starts = [i.values for i in cycle if i.action == "Start"]
    # both proposers start a ballot on the cycle, each pre-empting the other ...
    q = {v for (v,) in starts}
    assert len(q) == 2
    # ... and nobody is ever chosen on it: no proposer reaches a quorum of accepts
    m = spec.model
    accepted = m.variables.index("accepted")
    for s in t.states[t.loop:]:
        assert all(len(a) < 2 for a in s[accepted])


def test_a_stable_leader_terminates(leader):
    spec, r = leader
    assert r.verdict is Verdict.HOLDS
    assert r.distinct_states == len(reachable(spec.model)) == 254


def test_ignoring_reported_votes_breaks_agreement():
    # two values chosen need, for each proposer, Start, two promises, Propose and two
    # accepts: 12 steps, 13 states; the second proposer's promises come from acceptors
    # that had not voted yet (else it would adopt the vote), which the bug ignores anyway
    r = check(load_spec(DUEL, BugOwnValue=True), check_temporal=False)
    assert r.verdict is Verdict.VIOLATED
    (v,) = r.violations
    assert v.property == "Agreement" and len(v.trace.states) == 13
