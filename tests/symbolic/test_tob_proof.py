"""Total order broadcast (specs/lamport/tob.mc): ``def Inductive`` is proven with the
sets and sequences in slot form (``prove --config n2 --seq-bound 2 --set-bound 2``)."""

import os

import pytest

from modelcheck import check, load
from modelcheck.symbolic import prove
from modelcheck.symbolic.crosscheck import cross_check
from modelcheck.symbolic.problem import Problem
from tests.helpers import TOB, load_spec
from tests.symbolic.small_specs import spec_of

BOUNDS = {"seq_bound": 2, "set_bound": 2}

# half a minute or less each: in `make test-deep`, to keep `make test` within its 15
# minutes (the proof of n2 stays in `make test`; a proof's failure on a seeded bug and a
# counterexample to induction that is an explicit step are also tests/symbolic/test_seq_bound.py's
# and test_set_bound.py's, on smaller specs)
DEEP = pytest.mark.skipif(os.environ.get("MODELCHECK_DEEP") != "1", reason="deep: make test-deep")


def _not_holding(r):
    return [(o.kind, o.name, o.verdict, o.reason) for o in r.obligations if o.verdict != "holds"]


def test_tob_inductive_holds_in_every_reachable_state_of_n2(tmp_path):
    text = open(TOB).read().replace("def Inductive =", "invariant Inductive [agreement]:")
    _, path = spec_of(tmp_path, text, "tob.mc")
    r = check(load(path, config="n2"), check_temporal=False)
    assert {p.name: str(p.verdict) for p in r.properties}["Inductive"] == "holds"
    assert r.distinct_states == 93


@pytest.mark.slow
@DEEP
def test_the_slot_encoding_agrees_with_the_explicit_checker_on_tob():
    spec = load_spec(TOB, config="n2")
    rep = cross_check(spec, max_states=93, transitions=20, states=2, problem=Problem(spec, **BOUNDS))
    assert rep.ok, "\n".join(rep.problems)
    assert rep.states == 93 and rep.transitions_checked == 20 and rep.successors_compared > 0


@pytest.mark.slow
def test_tob_inductive_is_proven_with_two_slots():
    r = prove(load_spec(TOB, config="n2"), "Inductive", **BOUNDS)
    assert r.verdict == "holds", _not_holding(r)
    assert {o.kind for o in r.obligations} == {"init", "bound", "action", "fails", "implies"}
    assert {o.name for o in r.obligations if o.kind == "implies"} == {
        "TypeOK", "Agreement", "NoDuplicate", "Validity", "CausalOrder"}
    assert sum(o.detail == "every set it builds fits 2 slots" for o in r.obligations) == 2


@pytest.mark.slow
@pytest.mark.parametrize("bug, action", [pytest.param("BugDeliverEarly", "Deliver", marks=DEEP),
                                         pytest.param("BugNonFifo", "Receive", marks=DEEP)])
def test_tob_inductive_fails_on_a_seeded_bug(bug, action):
    r = prove(load_spec(TOB, config="n2", **{bug: True}), "Inductive", **BOUNDS)
    assert r.verdict == "violated"
    assert [(o.kind, o.name) for o in r.obligations if o.verdict == "violated"] == [("action", action)]


@pytest.mark.slow
@DEEP
def test_tob_without_the_ack_conjunct_has_counterexamples_that_are_explicit_steps(tmp_path):
    # drop "an ack on a channel from q answers a broadcast of another process q has
    # received": a channel may then hold acks enough to overflow the bound, or an ack of
    # q's own broadcast
    text = open(TOB).read()
    start = text.index("  and (forall p, q in 1..N: forall k in 1..len(chan[q][p]): chan[q][p][k].kind == ack implies")
    end = text.index("  // every broadcast is received by its sender")
    _, path = spec_of(tmp_path, text[:start] + text[end:], "tob.mc")
    spec = load(path, config="n2")
    r = prove(spec, "Inductive", **BOUNDS)
    assert r.verdict == "violated"
    bad = [o for o in r.obligations if o.verdict == "violated"]
    assert bad and all(o.kind in ("action", "fails") for o in bad), _not_holding(r)
    for o in bad:
        states = o.failure.trace.states
        # the step from the state satisfying Inductive is one of the explicit model's
        assert states[-1] in {t for _, t in spec.model.successors(states[-2])}
