"""``modelcheck prove``: inductive invariants for a configuration and for every size,
counterexamples to induction that are real transitions, k-induction, and clear errors
(issue 16, sections 3, 4 and 5)."""

import json

import pytest

from modelcheck import load
from modelcheck.cli import main
from modelcheck.diagnostics import SpecError
from modelcheck.symbolic import prove
from tests.helpers import CRASH, TCOMMIT, TWOPHASE, load_spec
from tests.symbolic.small_specs import ASSERTING, spec_of

LIBRARY = [
    pytest.param(TWOPHASE, None, "Inductive", id="twophase"),
    pytest.param(TCOMMIT, None, "Consistent", id="tcommit"),
    pytest.param(CRASH, None, "Inductive", id="crash"),
    pytest.param(CRASH, "recovery", "Inductive", id="crash-recovery"),
]


@pytest.mark.parametrize("path, config, inv", LIBRARY)
@pytest.mark.parametrize("all_sizes", [False, True], ids=["rm3", "all-sizes"])
def test_the_librarys_inductive_invariants_hold(path, config, inv, all_sizes):
    spec = load_spec(path, config=config)
    r = prove(spec, inv, for_all_sizes=("RM",) if all_sizes else ())
    assert r.verdict == "holds" and r.exit_code == 0, [(o.name, o.verdict) for o in r.obligations]
    kinds = {o.kind for o in r.obligations}
    assert {"init", "action", "implies", "step"} <= kinds
    assert sum(o.kind == "action" for o in r.obligations) == len(spec.checked.actions)
    # every other invariant and every step property is an obligation
    others = {p.name for p in spec.checked.properties if p.kind in ("invariant", "step") and p.name != inv}
    assert {o.name for o in r.obligations if o.kind in ("implies", "step")} == others


def test_twophase_at_rm_10_holds():
    r = prove(load_spec(TWOPHASE, RM=10), "Inductive")
    assert r.verdict == "holds"


def _assert_real_step(f, action=None):
    """A counterexample to induction is a real transition of the explicit model."""
    model = f.spec.model
    pre, post = f.trace.states
    assert (f.trace.labels[1], post) in model.successors(pre)
    if action is not None:
        assert model.describe(f.trace.labels[1]).action == action


@pytest.mark.parametrize("all_sizes", [False, True])
def test_agreement_alone_is_not_inductive_and_the_cti_is_a_real_step(all_sizes):
    spec = load_spec(TWOPHASE)
    r = prove(spec, "Agreement", for_all_sizes=("RM",) if all_sizes else ())
    assert r.verdict == "violated" and r.exit_code == 1
    failed = {o.name: o for o in r.obligations if o.verdict == "violated"}
    assert {"RMChooseToAbort", "RMRcvCommitMsg", "RMRcvAbortMsg"} <= set(failed)
    o = failed["RMChooseToAbort"]
    _assert_real_step(o.failure, "RMChooseToAbort")
    pre, post = o.failure.trace.states
    agreement = next(p for p in o.failure.spec.model.invariants if p.name == "Agreement")
    assert agreement.check(pre) and not agreement.check(post)
    ((text, inst, parts),) = o.failure.conjuncts
    assert text.startswith("not (exists r1, r2 in RM") and inst.startswith("r1=")
    assert ("rmState[r1]", "aborted") in parts and ("rmState[r2]", "committed") in parts
    if all_sizes:
        assert o.failure.sizes == {"RM": 2}  # the smallest size with a counterexample
        assert len(o.failure.spec.checked.models["RM"].names) == 2


def test_a_seeded_bug_breaks_the_inductive_invariant_where_it_should():
    spec = load_spec(TWOPHASE, BugCommitOnAny=True)
    r = prove(spec, "Inductive")
    failed = [o for o in r.obligations if o.verdict == "violated"]
    assert [o.name for o in failed if o.kind == "action"] == ["TMCommit"]
    _assert_real_step(failed[0].failure, "TMCommit")
    ((text, inst, parts),) = failed[0].failure.conjuncts
    assert text.startswith("forall r in RM") and ("Prepared(r) in msgs", "false") in parts


def test_recovery_without_the_log_is_caught_at_tmrecover():
    spec = load_spec(CRASH, config="recovery", BugRecoverWithoutLog=True)
    r = prove(spec, "Inductive")
    (o,) = [o for o in r.obligations if o.verdict == "violated"]
    assert o.name == "TMRecover"
    _assert_real_step(o.failure, "TMRecover")
    assert o.failure.conjuncts[0][0] == "tmState == init implies tmLog == none"


TWO_INDUCTIVE = """module Swap
var x: int
var y: int
init { x = 0  y = 0 }
action Step { x' = y  y' = x + 1 }
invariant NonNeg [typing]: x >= 0
"""


def test_k_induction_proves_what_plain_induction_cannot(tmp_path):
    spec, _ = spec_of(tmp_path, TWO_INDUCTIVE)
    one = prove(spec, "NonNeg")
    assert one.verdict == "violated"
    (o,) = [o for o in one.obligations if o.verdict == "violated"]
    pre, post = o.failure.trace.states
    assert pre[0] >= 0 and post[0] < 0
    two = prove(spec, "NonNeg", k=2)
    assert two.verdict == "holds" and two.k == 2
    assert [o.kind for o in two.obligations] == ["base", "action"]


def test_errors_are_coded_and_located():
    spec = load_spec(TWOPHASE)
    with pytest.raises(SpecError) as e:
        prove(spec, "Integrity")
    assert e.value.diagnostics[0].code == "MC502"
    with pytest.raises(SpecError) as e:
        prove(spec, "Inductive", for_all_sizes=("Nope",))
    assert e.value.diagnostics[0].code == "MC501"
    with pytest.raises(SpecError) as e:
        prove(load_spec(TWOPHASE, BugCommitOnMajority=True), "Inductive", for_all_sizes=("RM",))
    d = e.value.diagnostics[0]
    assert d.code == "MC501" and (d.span.line, d.span.col) == (47, 40)
    assert "size(tmPrepared)" in e.value.render() and "^" in e.value.render()


def test_unsupported_construct_is_mc500_with_a_caret(tmp_path, capsys):
    p = tmp_path / "pairs.mc"
    p.write_text("module P\nvar s: seq[int]\ninit { s = [] }\n"
                 "action A { s' = append(s, 1) }\n"
                 "invariant Pairs [typing]: len([ a + b for a in s, b in s ]) >= 0\n")
    code = main(["prove", str(p), "--invariant", "Pairs"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{p}:5:31: MC500 symbolic checking supports a sequence comprehension with one binder only" in err
    assert "^^^" in err and "Traceback" not in err


def test_cli_prove_text_json_and_itf(capsys, tmp_path):
    code = main(["prove", TWOPHASE, "--invariant", "Inductive", "--for-all-sizes", "RM"])
    out = capsys.readouterr().out
    assert code == 0 and "for every size of RM" in out and "verdict: holds" in out
    code = main(["prove", TWOPHASE, "--invariant", "Agreement"])
    out = capsys.readouterr().out
    assert code == 1
    assert "Counterexample to induction: RMChooseToAbort does not preserve Agreement" in out
    assert "1. a state satisfying Agreement (not necessarily reachable)" in out
    code = main(["prove", TWOPHASE, "--invariant", "Agreement", "--json", "--itf", str(tmp_path) + "/"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["verdict"] == "violated"
    bad = [o for o in data["obligations"] if o["verdict"] == "violated"]
    files = sorted(f.name for f in tmp_path.iterdir())
    assert files == sorted(f"Agreement-{o['kind']}-{o['name']}.itf.json" for o in bad)
    one = json.loads((tmp_path / "Agreement-action-RMChooseToAbort.itf.json").read_text())
    assert len(one["states"]) == 2 and one["#meta"]["kind"] == "induction"


SIZES = """module Full
models S = {a, b, c}
var x: set[S]
init { x = {} }
action Add(s in S) { x' = x union {s} }
invariant NotFull [typing]: x != S
invariant Two [typing]: exists p, q in S: p != q
"""


def test_every_size_means_the_small_ones_too(tmp_path):
    """A set of size 1 is a size: z3 finds the counterexamples that exist only there, and
    they are rebuilt at the smallest size that has one."""
    spec, _ = spec_of(tmp_path, SIZES)
    r = prove(spec, "NotFull", for_all_sizes=("S",))
    (o,) = [o for o in r.obligations if o.verdict == "violated" and o.kind == "action"]
    assert o.failure.sizes == {"S": 1} and o.failure.trace.states == ((frozenset(),), (frozenset({0}),))
    r = prove(spec, "Two", for_all_sizes=("S",))
    init = r.obligations[0]
    assert init.kind == "init" and init.verdict == "violated" and init.failure.sizes == {"S": 1}
    # for the bound configuration (S has three values) Two holds initially
    assert prove(spec, "Two").obligations[0].verdict == "holds"


def test_an_assertion_that_can_fail_is_not_proven(tmp_path):
    """Assertions (and values leaving their ranges) are safety properties too: `prove`
    never says holds while an action can fail from a state satisfying the invariant."""
    spec, p = spec_of(tmp_path, ASSERTING)
    r = prove(spec, "Small")
    assert r.verdict == "violated"
    (o,) = [o for o in r.obligations if o.verdict == "violated"]
    assert o.kind == "fails" and o.title == "Check: Assertion@5:16 holds"
    assert o.failure.trace.states == ((2,),) and o.failure.message == "x reached two"
    ranges = [o for o in r.obligations if o.kind == "fails" and "stays in 0..3" in o.title]
    assert len(ranges) == 2 and all(o.verdict == "holds" for o in ranges)
    p.write_text(ASSERTING.replace("require x < 3  ", ""))
    r = prove(load(p), "Small")
    (bad,) = [o for o in r.obligations if o.verdict == "violated" and "Up" in o.title]
    assert bad.title == "Up: x stays in 0..3" and bad.failure.trace.states == ((3,),)
    assert "MC300" in bad.failure.message
