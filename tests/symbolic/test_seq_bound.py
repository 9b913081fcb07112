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
