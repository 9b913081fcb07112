"""``prove --set-bound K``: a set over an infinite element type is a size and K slots
(modelcheck/symbolic/sorts.py), so that ``size`` of it translates and z3's states hold
finite sets; the bound is proven with the invariant, as ``--seq-bound``'s."""

import pytest
import z3

from modelcheck import load
from modelcheck.cli import main
from modelcheck.diagnostics import SpecError
from modelcheck.symbolic import prove
from modelcheck.symbolic.crosscheck import cross_check
from modelcheck.symbolic.problem import Problem
from tests.symbolic.small_specs import POOL, spec_of


def _bad(r):
    return [(o.kind, o.name.partition("#")[0], o.detail) for o in r.obligations if o.verdict != "holds"]


def test_size_of_a_set_of_records_needs_the_set_bound(tmp_path):
    spec, _ = spec_of(tmp_path, POOL)
    with pytest.raises(SpecError) as e:
        prove(spec, "Inv")
    assert "supports `size` only over a finite element type" in str(e.value)
    r = prove(spec, "Inv", set_bound=2)
    assert r.verdict == "holds", _bad(r)
    assert r.set_bound == 2
    assert [(o.kind, o.detail) for o in r.obligations if o.kind == "bound"] == [("bound", "--set-bound")]
    assert any(o.detail == "pool stays in set[{ n: int, tag: (int, int) }] with sets at most 2 large"
               for o in r.obligations), [o.detail for o in r.obligations]


def test_a_bound_the_spec_exceeds_is_a_failed_obligation_with_the_explicit_step(tmp_path):
    spec = load(spec_of(tmp_path, POOL)[1], consts={"CAP": 3})
    r = prove(spec, "Inv", set_bound=2)
    assert r.verdict == "violated"
    assert _bad(r) == [("fails", "Make", "pool stays in set[{ n: int, tag: (int, int) }] with sets at most 2 large"),
                       ("fails", "Make", "every set it builds fits 2 slots")]
    f = next(o.failure for o in r.obligations if o.verdict == "violated")
    assert len(f.trace.states[0][0]) == 2 and len(f.trace.states[-1][0]) == 3
    assert "a set of 3 elements, larger than --set-bound 2 allows" in f.message
    assert prove(spec, "Inv", set_bound=3).verdict == "holds"


def test_a_set_built_beyond_the_slots_on_the_way_fails_the_capacity_obligation(tmp_path):
    # two tokens in and one out: the pool keeps its size, the union in between does not
    text = POOL.replace("action Take {", """action Swap {
  require made < 3 and size(pool) < CAP
  pool' = (pool union {{ n: made, tag: (made, 2 * made) }, { n: made + 1, tag: (made + 1, 2 * made + 2) }})
          diff {{ n: made + 1, tag: (made + 1, 2 * made + 2) }}
  made' = made + 2
}
action Take {""")
    spec, _ = spec_of(tmp_path, text)
    r = prove(spec, "Inv", set_bound=2)
    assert _bad(r) == [("fails", "Swap", "every set it builds fits 2 slots")]
    assert prove(spec, "Inv", set_bound=3).verdict == "holds"


def test_the_bound_must_hold_initially(tmp_path):
    text = POOL.replace("init { pool = {}  made = 0 }",
                        "init { pool = {{ n: 0, tag: (0, 0) }, { n: 1, tag: (1, 2) }, { n: 2, tag: (2, 4) }}  made = 3 }")
    spec = load(spec_of(tmp_path, text)[1], consts={"CAP": 3})
    r = prove(spec, "Inv", set_bound=2)
    assert r.obligations[1].kind == "bound" and r.obligations[1].verdict == "violated"
    assert "a set of 3 elements, larger than --set-bound 2 allows" in r.obligations[1].failure.message


def test_a_set_in_slot_form_is_compared_by_its_elements(tmp_path):
    spec, _ = spec_of(tmp_path, POOL)
    pb = Problem(spec, set_bound=3)
    t = pb.enc.var_types[0]
    srt = pb.enc.sorts
    a, b = srt.encode(t.elem, (1, (1, 2))), srt.encode(t.elem, (2, (2, 4)))
    d = srt.default(t.elem)
    ab, ba = srt.set_mk(t, z3.IntVal(2), [a, b, d]), srt.set_mk(t, z3.IntVal(2), [b, a, d])
    assert pb.state("s")[0].sort().name().startswith("set3!")
    s = z3.Solver()
    s.add(z3.Not(pb.enc.eq(t, ab, ba)))
    assert s.check() == z3.unsat          # one set, two terms
    s = z3.Solver()
    s.add(pb.enc.eq(t, ab, srt.set_mk(t, z3.IntVal(2), [a, a, d])))
    assert s.check() == z3.unsat          # {a, b} is not {a}
    # decoded to the set either way
    s = z3.Solver()
    assert s.check() == z3.sat
    assert srt.decode(t, ba, s.model()) == frozenset({(1, (1, 2)), (2, (2, 4))})


def test_the_slot_set_encoding_agrees_with_the_explicit_checker(tmp_path):
    spec = load(spec_of(tmp_path, POOL)[1], consts={"CAP": 3})
    rep = cross_check(spec, problem=Problem(spec, set_bound=3))
    assert rep.ok, "\n".join(rep.problems)
    assert rep.states > 10 and rep.successors_compared > 0


def test_an_array_indexed_by_sets_in_slot_form_is_refused(tmp_path):
    text = POOL.replace("var made: 0..4", "var made: 0..4\nvar seen: map[set[(int, int)], int]").replace(
        "made = 0 }", "made = 0  seen = map() }")
    spec, _ = spec_of(tmp_path, text)
    with pytest.raises(SpecError) as e:
        prove(spec, "Inv", set_bound=2)
    assert "indexed by set[(int, int)]" in str(e.value)


def test_the_cli_says_the_proof_is_under_a_set_bound(tmp_path, capsys):
    _, path = spec_of(tmp_path, POOL)
    assert main(["prove", str(path), "--invariant", "Inv", "--set-bound", "2"]) == 0
    out = capsys.readouterr().out
    assert "with every set over an infinite type at most 2 large" in out
    assert "init establishes the types and the --set-bound" in out
    assert main(["prove", str(path), "--invariant", "Inv", "--set-bound", "2", "--k", "2"]) == 2
    assert "--set-bound is supported with --k 1 only" in capsys.readouterr().err


def test_a_property_that_could_build_a_larger_set_is_refused(tmp_path):
    text = POOL + "invariant Room [typing]: size(pool union {{ n: 9, tag: (9, 18) }}) <= CAP + 1\n"
    spec, _ = spec_of(tmp_path, text)
    with pytest.raises(SpecError) as e:
        prove(spec, "Inv", set_bound=2)
    d = e.value.diagnostics[0]
    assert d.code.value == "MC500" and "may not build a larger set (union)" in d.message
    # whatever the bound: the union has one candidate more than the slots
    with pytest.raises(SpecError):
        prove(spec, "Inv", set_bound=3)
