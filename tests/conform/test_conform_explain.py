"""The diagnostics can never contradict the checker.

On every reachable state of several specs (pick, either, if, let, asserts, parameter
domains that depend on the state), and for every action instance, three evaluations of
the same action must agree exactly:

* the compiled successor function ``_succ`` (the search's), filtered by the instance's label;
* ``CompiledModel.action_function`` (the validator's hot path: parameters bound);
* the :class:`Explainer` (the divergence reports: statement by statement, with every
  guard conjunct judged on its own).

When an instance does not fire, every path the Explainer reports must end at a guard
conjunct that is false in that state (re-evaluated here with the compiled expression),
so a report never blames a guard that holds.
"""

from __future__ import annotations


import pytest

from modelcheck import ir
from modelcheck.dsl.explain import Explainer
from modelcheck.model import ActionAssertionFailed
from tests.helpers import MUTEX, SPECS, ZAB, load_spec, reachable

CASES = [
    ("twophase/twophase.mc", {}, None, 288),  # TLC's count for RM = 3
    ("twophase/twophase.mc", {"BugCommitOnMajority": True, "BugAbortAfterPrepare": True}, None, None),
    ("twophase/crash.mc", {}, "recovery", None),
    ("tcommit/tcommit.mc", {}, None, 34),
    ("lamport/mutex.mc", {}, "small", None),
    ("lamport/tob.mc", {}, "n2", None),
]


def agree_on_every_state(model, expected_states=None):
    ex = Explainer(model)
    states = reachable(model)
    if expected_states is not None:
        assert len(states) == expected_states
    actions = model.checked.actions
    checked_instances = fired_instances = blocked_paths = 0
    for k, s in enumerate(states):
        try:
            succ = model.successors(s)
        except ActionAssertionFailed:
            succ = None
        for ai, a in enumerate(actions):
            fn = model.action_function(ai)
            instances = ex.instances(s, ai)
            if succ is not None:
                # no compiled successor of this action outside the instances enumerated
                labelled = {model.describe(lab).values for lab, _ in succ if model.describe(lab).action == a.name}
                assert labelled <= set(instances), (a.name, s)
            for vals in instances:
                checked_instances += 1
                # values of sub-expressions on a sample of states only (they are display)
                outcomes = ex.run(s, ai, vals, detail=(k % 16 == 0))
                walker = [o.state for o in outcomes if o.fired]
                aborted = any(o.failure is not None and o.failure.kind in ("assert", "error") for o in outcomes)
                try:
                    fast = fn(s, *vals)
                except ActionAssertionFailed:
                    fast = None
                if fast is None:
                    assert aborted and not walker, (a.name, vals, s)
                    continue
                assert not aborted
                assert walker == fast, (a.name, vals, s)
                if succ is not None:
                    compiled = [t for lab, t in succ
                                if model.describe(lab).action == a.name and model.describe(lab).values == vals]
                    assert compiled == fast, (a.name, vals, s)
                if walker:
                    fired_instances += 1
                    continue
                for o in outcomes:
                    f = o.failure
                    assert f is not None and f.where is not None
                    blocked_paths += 1
                    if f.kind == "require":
                        assert f.where.text  # the conjunct's source text is shown
                        assert f.where.line >= 1 and f.where.snippet
    assert fired_instances and blocked_paths  # both kinds of verdict were exercised
    return checked_instances


@pytest.mark.parametrize("path,consts,config,count", CASES, ids=[f"{c[0]}:{c[2] or ''}{sorted(c[1])}" for c in CASES])
def test_explainer_agrees_with_compiled_successors(path, consts, config, count):
    sp = load_spec(SPECS / path, config, **consts)
    assert agree_on_every_state(sp.model, count) > 0


@pytest.mark.slow
def test_explainer_agrees_on_zab():
    """ZAB: picks, either, asserts, nested ifs; 1451 states (tests/specs/test_zab.py pins it)."""
    sp = load_spec(ZAB, config="small")
    assert agree_on_every_state(sp.model, 1451) > 0


def test_blamed_conjunct_is_false_in_that_state():
    """Every ``require`` failure names a conjunct that the compiled expression finds
    false with the same bindings (params and picks)."""
    sp = load_spec(MUTEX, config="small")
    model = sp.model
    ex = Explainer(model)
    nodes = {}
    for a in model.checked.actions:
        for n in _walk(a.body):
            nodes.setdefault(id(n), n)
    seen = 0
    for s in reachable(model)[:150]:
        for ai, a in enumerate(model.checked.actions):
            for vals in ex.instances(s, ai):
                for o in ex.run(s, ai, vals):
                    if o.failure is None or o.failure.kind != "require":
                        continue
                    cj = _node_at(model, a, o.failure.where)
                    assert not ex.ev(cj, s, o.env)
                    seen += 1
    assert seen > 100


def _walk(node):
    from modelcheck.ir import walk

    return walk(node)


def _node_at(model, action, where):
    spans = model.checked.module.spans
    for n in _walk(action.body):
        sp = spans.get(n.id)
        if sp is not None and (sp.line, sp.col) == (where.line, where.col) and not isinstance(n, ir.Require):
            if isinstance(n, (ir.Binary, ir.Unary, ir.Call, ir.Name, ir.Quant, ir.Index)):
                return n
    raise AssertionError(f"no node at {where.line}:{where.col}")


DYNAMIC = """module Jobs
models P = {p1, p2, p3}
var pending: set[P]
var done: set[P]
var owner: P -> 0..2
init {
  pending = P
  done = {}
  owner = { p: 0 for p in P }
}
// a parameter whose domain is the state: only a pending job can finish
action Finish(p in pending) {
  require size(done) < 2
  pick k in 1..2
  done' = done union {p}
  pending' = pending diff {p}
  owner' = owner.put(p, k)
}
action Retry(p in done) {
  either { pending' = pending union {p} } or { owner' = owner.put(p, 0) }
}
invariant Ok [typing]: size(done) <= 3
"""


def test_state_dependent_parameter_domains(tmp_path):
    """Labels of Finish and Retry are given on first sight (their domains depend on the
    state); the three evaluations agree on every reachable state, and a parameter value
    outside its domain is reported as such by the validator."""
    from modelcheck.api import load
    from modelcheck.conform.events import read_jsonl
    from modelcheck.conform.validate import Validator

    sp = load("jobs.mc", text=DYNAMIC)
    assert sp.model.static_instances() == 0
    agree_on_every_state(sp.model)
    f = tmp_path / "t.jsonl"
    f.write_text('{"v": 1, "proc": "p1", "action": "Finish", "params": {"p": "p1"}}\n'
                 '{"v": 1, "proc": "p1", "action": "Finish", "params": {"p": "p1"}}\n')
    (b,) = read_jsonl(f, sp.model)
    r = Validator(sp.model).validate(b, record=True)
    # after Finish(p1) two states fit: the pick k in 1..2 is not observed
    assert r.sizes == (1, 2)
    d = r.divergence
    assert (d.kind, d.event) == ("unexpected-action", 2)
    (g,) = d.instances[0].groups
    (fail,) = g.failures
    assert fail.kind == "parameter" and fail.message == "p = p1 is not in pending"
    assert fail.values == (("pending", "{p2, p3}"),)
