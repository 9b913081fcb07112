"""``prove --seq-bound K``: sequences declared without a bound are encoded with at most K
elements, and the bound is proven with the invariant (init establishes it, every action
keeps it), so a proof under a bound the spec can exceed is refused, not given."""

import pytest

from modelcheck import load
from modelcheck.cli import main
from modelcheck.symbolic import prove
from modelcheck.symbolic.crosscheck import cross_check
from modelcheck.symbolic.problem import Problem
from tests.symbolic.small_specs import CHANNEL, spec_of


def test_a_bound_the_spec_keeps_is_proven_with_the_invariant(tmp_path):
    spec, _ = spec_of(tmp_path, CHANNEL)
    r = prove(spec, "Inv", seq_bound=2)
    assert r.verdict == "holds", [(o.kind, o.name, o.verdict) for o in r.obligations]
    assert r.seq_bound == 2
    bound = [o for o in r.obligations if o.kind == "bound"]
    assert [(o.name, o.verdict) for o in bound] == [("init", "holds")]
    # Send's assignment to q is a range obligation that now includes the bound
    send = [o for o in r.obligations if o.kind == "fails" and o.name.startswith("Send")]
    assert any(o.detail == "q stays in seq[0..3] with sequences at most 2 long" for o in send), [o.detail for o in send]


def test_a_bound_the_spec_exceeds_is_a_failed_obligation(tmp_path):
    # Send may append a third message: a proof assuming at most two would hide states
    spec = load(spec_of(tmp_path, CHANNEL)[1], consts={"CAP": 3})
    r = prove(spec, "Inv", seq_bound=2)
    assert r.verdict == "violated" and r.exit_code == 1
    failed = [(o.kind, o.name.partition("#")[0], o.detail) for o in r.obligations if o.verdict == "violated"]
    # the assignment to q leaves the bound, and the append needs a third slot
    assert failed == [("fails", "Send", "q stays in seq[0..3] with sequences at most 2 long"),
                      ("fails", "Send", "every sequence it builds fits 2 slots")]
    # the counterexample: a state with two messages, and Send's explicit step to three
    f = next(o.failure for o in r.obligations if o.verdict == "violated")
    assert len(f.trace.states[0][0]) == 2
    assert f.trace.states[-1][0] == (1, 1, 1)
    assert "a sequence of 3 elements, longer than --seq-bound 2 allows" in f.message
    # without the bound, the same invariant holds (z3's unbounded sequences)
    assert prove(spec, "Inv").verdict == "holds"
    # and with a bound the spec keeps
    assert prove(spec, "Inv", seq_bound=3).verdict == "holds"


def test_the_bound_must_hold_initially(tmp_path):
    text = CHANNEL.replace("init { q = []", "init { q = [1, 1, 1]").replace("const CAP = 2", "const CAP = 4")
    spec, _ = spec_of(tmp_path, text)
    r = prove(spec, "Inv", seq_bound=2)
    assert [(o.kind, o.name) for o in r.obligations if o.verdict == "violated"][0] == ("bound", "init")


def test_the_encoding_with_a_bound_agrees_with_the_explicit_checker(tmp_path):
    spec, _ = spec_of(tmp_path, CHANNEL)
    rep = cross_check(spec, problem=Problem(spec, seq_bound=2))
    assert rep.ok, rep
    assert rep.states > 0


def test_the_cli_says_the_proof_is_under_a_bound(tmp_path, capsys):
    _, path = spec_of(tmp_path, CHANNEL)
    assert main(["prove", str(path), "--invariant", "Inv", "--seq-bound", "2"]) == 0
    out = capsys.readouterr().out
    assert "with every unbounded sequence at most 2 long" in out
    assert "init establishes the types and the --seq-bound" in out
    assert main(["prove", str(path), "--invariant", "Inv", "--seq-bound", "2", "--k", "2"]) == 2
    assert "--seq-bound is supported with --k 1 only" in capsys.readouterr().err


# ---------------------------------------------------------------------------- slot form
# Under --seq-bound every sequence is a length and K slots (modelcheck/symbolic/sorts.py)


def test_sequences_are_slots_not_z3_sequences(tmp_path):
    spec, _ = spec_of(tmp_path, CHANNEL)
    pb = Problem(spec, seq_bound=2)
    q = pb.state("s")[0]
    assert q.sort().name().startswith("seq2!")  # a datatype: length and two slots
    assert pb.enc.slots == 2
    # canonical: the empty sequence and [1] are one term each, whatever built them
    import z3
    t = spec.checked.variables[0][1]
    one = pb.enc.sorts.encode(t, (1,))
    assert z3.simplify(pb.enc.sq_tail(t, pb.enc.sorts.encode(t, (1, 1)))).eq(z3.simplify(one))
    assert z3.simplify(pb.enc.sq_tail(t, one)).eq(z3.simplify(pb.enc.sorts.default(t)))


#: Swap appends to a full queue and takes the head in one step: the queue keeps its
#: length, but the value in between has CAP + 1 elements. A proof with CAP slots must
#: not lose the appended element (it would be silently dropped)
SWAP = """module W
const CAP = 2
var q: seq[0..3]
init { q = [0, 0] }
action Swap { require len(q) == CAP  q' = tail(append(q, 1)) }
invariant Zeros [integrity]: forall x in elems(q): x == 0
invariant Len [typing]: len(q) == CAP
"""


def test_a_sequence_beyond_the_slots_on_the_way_is_a_failed_obligation(tmp_path):
    spec, _ = spec_of(tmp_path, SWAP)
    r = prove(spec, "Zeros", seq_bound=2)
    failed = [(o.kind, o.detail) for o in r.obligations if o.verdict == "violated"]
    # q keeps two elements, but the append needs a third slot: not a proof
    assert ("fails", "every sequence it builds fits 2 slots") in failed, failed
    assert r.verdict == "violated"
    f = next(o.failure for o in r.obligations if o.detail == "every sequence it builds fits 2 slots")
    assert "builds a sequence longer than the 2 slots" in f.message
    # Zeros is indeed not an invariant: with three slots, Swap's step is a CTI
    r3 = prove(spec, "Zeros", seq_bound=3)
    failed3 = [(o.kind, o.name.partition("#")[0]) for o in r3.obligations if o.verdict == "violated"]
    assert ("action", "Swap") in failed3 and ("fails", "Swap") not in failed3, failed3


def test_a_declared_bound_above_the_seq_bound_keeps_its_slots(tmp_path):
    # q is seq[int, 3]: three slots even with --seq-bound 1, and its own bound is proven
    text = CHANNEL.replace("var q: seq[0..3]", "var q: seq[0..3, 3]").replace("const CAP = 2", "const CAP = 3")
    spec, _ = spec_of(tmp_path, text)
    r = prove(spec, "Inv", seq_bound=1)
    assert r.verdict == "holds", [(o.kind, o.name, o.verdict) for o in r.obligations]
    assert Problem(spec, seq_bound=1).enc.slots == 3
    # with CAP = 4 the declared bound 3 is exceeded: Send's range obligation fails
    r4 = prove(load(spec_of(tmp_path, text, "t.mc")[1], consts={"CAP": 4}), "Inv", seq_bound=1)
    assert ("fails", "q stays in seq[0..3, 3]") in [(o.kind, o.detail) for o in r4.obligations
                                                    if o.verdict == "violated"]


def test_an_element_outside_its_range_fails_the_range_obligation(tmp_path):
    text = CHANNEL.replace("q' = append(q, 1)", "q' = append(q, 4)").replace(
        "invariant Inv [integrity]: (forall x in elems(q): x == 1) and len(q) <= CAP",
        "invariant Inv [integrity]: len(q) <= CAP")
    spec, _ = spec_of(tmp_path, text)
    r = prove(spec, "Inv", seq_bound=2)
    failed = [o for o in r.obligations if o.verdict == "violated" and o.kind == "fails"]
    assert [o.name.partition("#")[0] for o in failed] == ["Send"]
    assert "outside 0..3" in failed[0].failure.message  # the explicit checker's MC300


def test_a_property_that_grows_a_sequence_is_refused(tmp_path):
    from modelcheck.diagnostics import SpecError

    text = CHANNEL + "invariant Grows [typing]: len(q) <= CAP and len(append(q, 1)) <= CAP + 1\n"
    spec, _ = spec_of(tmp_path, text)
    with pytest.raises(SpecError) as e:
        prove(spec, "Grows", seq_bound=2)
    d = e.value.diagnostics[0]
    assert d.code == "MC500" and d.span.line == text.count("\n")
    assert "may not build a longer sequence" in d.message
    # without --seq-bound (z3's sequences) it is translated, and inductive
    r = prove(spec, "Grows")
    assert [(o.kind, o.verdict) for o in r.obligations if o.kind in ("init", "action")] == [
        ("init", "holds"), ("action", "holds"), ("action", "holds")]


def test_the_slot_encoding_agrees_with_the_explicit_checker_on_lamport_clocks():
    from tests.helpers import CLOCKS, load_spec

    # logs reach MaxEvents = 3 and the successors past the constraint 4: four slots
    spec = load_spec(CLOCKS)
    rep = cross_check(spec, max_states=40, transitions=25, states=4, problem=Problem(spec, seq_bound=4))
    assert rep.ok, "\n".join(rep.problems)
    assert rep.transitions_checked == 25 and rep.states_enumerated == 4 and rep.successors_compared > 0


@pytest.mark.slow
def test_the_slot_encoding_agrees_with_the_explicit_checker_on_lamport_mutex():
    from tests.helpers import MUTEX, load_spec

    spec = load_spec(MUTEX, config="small")
    rep = cross_check(spec, max_states=401, transitions=120, states=10, problem=Problem(spec, seq_bound=3))
    assert rep.ok, "\n".join(rep.problems)
    assert rep.states == 401 and rep.transitions_checked == 120 and rep.successors_compared > 0


def _mutex_with_inductive_as_invariant(tmp_path, extra: str = ""):
    from tests.helpers import MUTEX

    text = open(MUTEX).read().replace("def Inductive =", "invariant Inductive [agreement]:")
    return spec_of(tmp_path, text + extra, "mutex.mc")


def test_mutex_inductive_holds_in_every_reachable_state_of_config_small(tmp_path):
    from modelcheck import check

    _, path = _mutex_with_inductive_as_invariant(tmp_path)
    r = check(load(path, config="small"), check_temporal=False)
    assert {p.name: str(p.verdict) for p in r.properties}["Inductive"] == "holds"
    assert r.distinct_states == 401


@pytest.mark.slow
def test_mutex_inductive_is_proven_with_three_slots():
    from tests.helpers import MUTEX, load_spec

    r = prove(load_spec(MUTEX, config="small"), "Inductive", seq_bound=3)
    assert r.verdict == "holds", [(o.kind, o.name, o.verdict, o.reason) for o in r.obligations if o.verdict != "holds"]
    assert {o.kind for o in r.obligations} == {"init", "bound", "action", "fails", "implies"}
    assert sum(o.kind == "fails" and o.detail == "every sequence it builds fits 3 slots" for o in r.obligations) == 3


@pytest.mark.slow
@pytest.mark.parametrize("bug, action", [("BugNoTieBreak", "Enter"), ("BugMaxWithoutIncrement", "ReceiveRequest")])
def test_mutex_inductive_fails_on_a_seeded_bug(bug, action):
    from tests.helpers import MUTEX, load_spec

    r = prove(load_spec(MUTEX, config="small", **{bug: True}), "Inductive", seq_bound=3)
    assert r.verdict == "violated"
    assert [(o.kind, o.name) for o in r.obligations if o.verdict == "violated"] == [("action", action)]


@pytest.mark.slow
def test_mutex_without_the_ack_conjunct_has_a_counterexample_to_induction(tmp_path):
    # drop "an ack in flight from p to q answers q's current request": ReceiveAck then
    # lets p count an ack for a request it no longer has
    from tests.helpers import MUTEX

    text = open(MUTEX).read()
    start = text.index("  and (forall p, q in Proc: inCh(p, q, AckMsg) implies")
    end = text.index("  and (forall p, q in Proc: q != p and req[q][q] > 0 and p notin ack[q]")
    _, path = spec_of(tmp_path, text[:start] + text[end:], "mutex.mc")
    r = prove(load(path, config="small"), "Inductive", seq_bound=3)
    assert r.verdict == "violated"
    bad = [o for o in r.obligations if o.verdict == "violated"]
    assert bad and all(o.failure is not None and o.failure.conjuncts for o in bad if o.kind == "action")


def test_a_counterexample_that_is_no_state_is_unknown_not_an_internal_error(tmp_path, monkeypatch):
    # z3 may answer with a state the language has no value for (an infinite set over an
    # infinite element type, as on tob.mc): the obligation is then undecided
    import importlib

    from modelcheck.symbolic.sorts import DecodeError

    prove_module = importlib.import_module("modelcheck.symbolic.prove")

    def undecodable(*args, **kw):
        raise DecodeError("an array whose default is not empty: an infinite set, map or bag")

    monkeypatch.setattr(prove_module, "_failure", undecodable)
    spec = load(spec_of(tmp_path, CHANNEL)[1], consts={"CAP": 3})
    r = prove(spec, "Inv", seq_bound=2)
    assert r.verdict == "undetermined" and r.exit_code == 3
    unknown = [o for o in r.obligations if o.verdict == "unknown"]
    assert unknown and all("no state of the spec" in o.reason for o in unknown)


def test_a_union_of_finite_sets_in_a_model_is_decoded():
    # z3's model of a union of two stored sets is Map(or, ...): read as the set it is
    # (it was "cannot read the array value", an unknown on clocks.mc's Receive)
    import z3

    from modelcheck.symbolic.sorts import DecodeError, Sorts
    from modelcheck.types import IntT, SetT

    srt = Sorts()
    t = SetT(IntT())
    union = z3.SetUnion(srt.encode(t, frozenset({1})), srt.encode(t, frozenset({2, 5})))
    s = z3.Solver()
    assert s.check() == z3.sat
    assert srt.decode(t, union, s.model()) == frozenset({1, 2, 5})
    # a union with an infinite set is still no value
    with pytest.raises(DecodeError):
        srt.decode(t, z3.SetUnion(srt.encode(t, frozenset({1})), z3.K(z3.IntSort(), True)), s.model())
