"""Random simulation (``modelcheck simulate``): determinism, the seeded bugs, shrinking,
honest verdicts, the explorer's semantics for constraints and deadlock, the CLI.

Every counterexample is checked here by replaying it with the model's own
``successors`` (not with the simulator's replay): it starts in an initial state, each
step is a transition of the model, and its last state (or step) violates the property.
Shortest lengths come from the breadth-first explorer (shortest by construction) or
are argued by hand next to the test.
"""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck import Options, Verdict, check, load
from modelcheck.search import explore, step_violated
from modelcheck.model import SimpleModel, StateProperty, StepProperty
from modelcheck.result import StopReason
from modelcheck import simulate
from tests.helpers import ROOT, TWOPHASE, load_spec, run
from tests.models.handwritten import counter, twophase

BUGS = ["BugCommitOnAny", "BugCommitOnMajority", "BugAbortAfterPrepare", "BugAbortAfterCommit"]


def twophase_spec(n=3, **bugs):
    """Loaded once per configuration and session (hypothesis reuses it)."""
    return load_spec(TWOPHASE, RM=n, **{k: True for k, v in bugs.items() if v})


def shortest(model):
    """The length (in states) of the shortest counterexample of every property: a BFS
    that goes on after violations records the first, hence shortest, of each."""
    r = explore(model, Options(stop_at_first=False, check_temporal=False, symmetry=False))
    return {v.property: len(v.trace) for v in r.violations}


def assert_legal_counterexample(model, v):
    """``v.trace`` is a behaviour of ``model`` that ends violating ``v.property``."""
    trace = v.trace
    assert trace.labels[0] is None
    assert trace.states[0] in model.initial_states()
    for s, label, t in zip(trace.states, trace.labels[1:], trace.states[1:]):
        assert (label, t) in model.successors(s)
    # every state the behaviour goes through is inside the constraints (the last one of a
    # step violation may be outside: the explorer checks steps before constraints)
    inside = trace.states if v.kind != "step" else trace.states[:-1]
    for s in inside:
        assert all(c.check(s) for c in model.constraints)
    last = trace.states[-1]
    if v.kind == "invariant":
        (p,) = [p for p in model.invariants if p.name == v.property]
        assert not p.check(last)
    elif v.kind == "step":
        (p,) = [p for p in model.step_properties if p.name == v.property]
        assert step_violated(p, trace.states[-2], last)
    elif v.kind == "deadlock":
        assert list(model.successors(last)) == []
    else:
        raise AssertionError(v.kind)


def without_one_step(model, v):
    """Every trace obtained by dropping one step of ``v.trace`` and replaying the other
    labels: those that are still behaviours reaching a violation of the same property
    (the first successor with the label is taken: labels are unique in these models)."""
    labels = v.trace.labels[1:]
    s0 = v.trace.states[0]
    out = []
    for drop in range(len(labels)):
        rest = labels[:drop] + labels[drop + 1:]
        s, ok, hit = s0, True, False
        for k, lab in enumerate(rest):
            nxt = [t for l2, t in model.successors(s) if l2 == lab]
            if not nxt or not all(c.check(nxt[0]) for c in model.constraints):
                ok = False
                break
            t = nxt[0]
            if v.kind == "step":
                (p,) = [p for p in model.step_properties if p.name == v.property]
                hit = step_violated(p, s, t)
            s = t
            if v.kind == "invariant":
                (p,) = [p for p in model.invariants if p.name == v.property]
                hit = not p.check(s)
            if hit:
                break
        if ok and hit:
            out.append(rest)
    return out


def summary(r):
    """What must be equal between two runs with the same seed (no timings)."""
    sim = r.simulation
    return (r.verdict, r.stop_reason, r.distinct_states, r.generated_states, r.depth,
            sim.traces, sim.steps, sim.distinct_states, tuple(sorted(sim.ends.items())),
            tuple((s.property, s.trace, s.original_length, s.length, s.replays) for s in sim.shrinks),
            tuple((v.property, v.trace.states, v.trace.labels) for v in r.violations),
            tuple((c.instance, c.generated, c.distinct) for c in r.coverage))


# ------------------------------------------------------------------ determinism

def test_same_seed_same_result():
    for bug in (None, "BugCommitOnMajority"):
        spec = twophase_spec(3, **({bug: True} if bug else {}))
        a = simulate(spec.model, traces=300, depth=40, seed=7)
        b = simulate(spec.model, traces=300, depth=40, seed=7)
        assert summary(a) == summary(b)
    # a fresh compilation of the spec gives the same walks (nothing depends on the process)
    fresh = load(TWOPHASE, consts={"RM": 3, "BugCommitOnMajority": True})
    c = simulate(fresh.model, traces=300, depth=40, seed=7)
    shown = [[fresh.model.describe(l).show() for l in v.trace.labels[1:]] for v in c.violations]
    m = twophase_spec(3, BugCommitOnMajority=True).model
    again = simulate(m, traces=300, depth=40, seed=7)
    assert shown == [[m.describe(l).show() for l in v.trace.labels[1:]] for v in again.violations]


def test_different_seeds_walk_differently():
    m = twophase_spec(4).model
    results = {summary(simulate(m, traces=20, depth=30, seed=seed))[2:] for seed in range(6)}
    assert len(results) > 1


def test_global_random_is_not_used():
    import random

    m = twophase_spec(3).model
    random.seed(1)
    a = summary(simulate(m, traces=50, depth=30, seed=3))
    random.seed(2)
    state = random.getstate()
    b = summary(simulate(m, traces=50, depth=30, seed=3))
    assert a == b
    assert random.getstate() == state


# ------------------------------------------------------------------ seeded bugs

@pytest.mark.parametrize("bug", BUGS)
def test_finds_each_seeded_bug_with_a_legal_shrunk_trace(bug):
    spec = twophase_spec(3, **{bug: True})
    mins = shortest(spec.model)
    r = simulate(spec, traces=2000, depth=100, seed=0)
    assert r.verdict is Verdict.VIOLATED and r.exit_code == 1
    assert r.stop_reason is StopReason.VIOLATION
    (v,) = r.violations
    (info,) = r.simulation.shrinks
    assert info.property == v.property and info.length == len(v.trace)
    assert_legal_counterexample(spec.model, v)
    assert mins[v.property] <= len(v.trace) <= info.original_length
    # greedy shrinking stops only when no single step can be dropped
    assert without_one_step(spec.model, v) == []


def test_continue_reports_every_property_each_shrunk():
    spec = twophase_spec(3, BugAbortAfterCommit=True)
    mins = shortest(spec.model)
    r = simulate(spec, traces=3000, depth=60, seed=1, stop_at_first=False)
    assert r.stop_reason is StopReason.TRACES and r.simulation.traces == 3000
    assert {v.property for v in r.violations} == set(mins) == {"Integrity", "Agreement"}
    for v in r.violations:
        assert_legal_counterexample(spec.model, v)
        assert len(v.trace) >= mins[v.property]
    verdicts = {p.name: p.verdict for p in r.properties}
    assert verdicts["Integrity"] is verdicts["Agreement"] is Verdict.VIOLATED
    assert verdicts["Validity"] is Verdict.NOT_VIOLATED


# ------------------------------------------------------------------ shrinking reaches the minimum

def test_shrinking_reaches_the_minimum_for_commit_on_any():
    # BugCommitOnAny breaks Validity with 5 states (tests/specs/test_specs.py): RMPrepare(a),
    # TMRcvPrepared(a), TMCommit, RMRcvCommitMsg(b). Every trace violating Validity
    # contains such a chain, and any other step can be dropped on its own: another
    # RM's receipt (commit needs one), then its prepare; an RMChooseToAbort (an aborted
    # RM has not prepared either; RMRcvCommitMsg does not care); an earlier
    # RMRcvCommitMsg would have been the violation. TMAbort cannot occur (it would
    # disable TMCommit, and it is disabled after it). So shrinking, which stops only when
    # no single step can be dropped, ends at exactly 5 states.
    spec = twophase_spec(3, BugCommitOnAny=True)
    assert shortest(spec.model)["Validity"] == 5
    for seed in range(4):
        r = simulate(spec, traces=300, depth=60, seed=seed, stop_at_first=False)
        (v,) = [v for v in r.violations if v.property == "Validity"]
        assert len(v.trace) == 5
        assert_legal_counterexample(spec.model, v)


def _updown(limit_inv=3):
    """x starts at 0; Inc (up to 6), Dec (when positive) and Noop. Invariant x < 3."""

    def nxt(s):
        (x,) = s
        out = [("Noop", (), (x,))]
        if x < 6:
            out.append(("Inc", (), (x + 1,)))
        if x > 0:
            out.append(("Dec", (), (x - 1,)))
        return out

    return SimpleModel("updown", ("x",), lambda: [(0,)], nxt,
                       invariants=(StateProperty("Low", "validity", lambda s: s[0] < limit_inv, (0,)),))


def test_shrinking_reaches_the_minimum_on_a_counter():
    # The shortest violation is Inc, Inc, Inc (4 states). In a trace where no single step
    # can be dropped there is no Noop (dropping it changes nothing after it) and no Dec
    # (dropping the first Dec leaves every later state one higher: every later step is
    # still enabled and x reaches 3 no later than before). So shrinking ends at Inc x 3.
    m = _updown()
    for seed in range(20):
        r = simulate(m, traces=200, depth=60, seed=seed)
        (v,) = r.violations
        assert [m.describe(l).action for l in v.trace.labels[1:]] == ["Inc", "Inc", "Inc"]
        assert r.simulation.shrinks[0].original_length >= 4


def test_no_shrink_reports_the_walk_as_found():
    m = _updown()
    r = simulate(m, traces=200, depth=60, seed=5, shrink=False)
    (v,) = r.violations
    (info,) = r.simulation.shrinks
    assert (info.replays, info.length, info.original_length) == (0, len(v.trace), len(v.trace))
    assert_legal_counterexample(m, v)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), depth=st.integers(12, 60))
def test_any_seed_shrunk_trace_replays_and_still_violates(seed, depth):
    m = twophase(3, bug_abort_after_commit=True)  # Integrity and Agreement: 11 states at least
    r = simulate(m, traces=250, depth=depth, seed=seed, stop_at_first=False)
    infos = {s.property: s for s in r.simulation.shrinks}
    for v in r.violations:
        assert_legal_counterexample(m, v)
        assert 11 <= len(v.trace) <= infos[v.property].original_length
        assert without_one_step(m, v) == []


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_any_seed_compiled_spec(seed):
    spec = twophase_spec(3, BugCommitOnMajority=True)
    r = simulate(spec.model, traces=300, depth=50, seed=seed)
    for v in r.violations:
        assert_legal_counterexample(spec.model, v)
        assert len(v.trace) <= r.simulation.shrinks[0].original_length


def test_repeated_labels_pick_a_legal_successor():
    # one action instance with two successors (as `pick` or `either` give): the shrunk
    # trace must still be a behaviour, whichever of them each step took
    def nxt(s):
        (x,) = s
        return [("Jump", (), (x + 1,)), ("Jump", (), (x + 2,)), ("Back", (), (max(x - 1, 0),))]

    m = SimpleModel("jumps", ("x",), lambda: [(0,)], nxt,
                    invariants=(StateProperty("Below", "validity", lambda s: s[0] != 7, (0,)),))
    for seed in range(10):
        r = simulate(m, traces=300, depth=40, seed=seed)
        for v in r.violations:
            assert_legal_counterexample(m, v)
            assert 5 <= len(v.trace) <= r.simulation.shrinks[0].original_length


# ------------------------------------------------------------------ honest verdicts

def test_no_violation_is_never_reported_as_holds():
    spec = twophase_spec(3)
    r = simulate(spec, traces=200, depth=30, seed=0)
    assert r.verdict is Verdict.NOT_VIOLATED and r.verdict is not Verdict.HOLDS
    assert r.exit_code == 0
    assert r.stop_reason is StopReason.TRACES
    assert all(p.verdict is not Verdict.HOLDS for p in r.properties)
    verdicts = {p.name: p.verdict for p in r.properties}
    assert verdicts["Termination"] is Verdict.UNDETERMINED  # temporal: not checked
    assert verdicts["Agreement"] is verdicts["Deadlock"] is Verdict.NOT_VIOLATED
    assert any("not checked by simulation" in w for w in r.warnings)
    sim = r.simulation
    assert (sim.traces, sim.max_traces, sim.max_depth, sim.seed) == (200, 200, 30, 0)
    assert sim.steps == 200 * 29  # TwoPhase never deadlocks: every walk reaches the bound
    assert sim.ends == {"depth": 200}
    assert r.depth == 30 and r.strategy == "simulate" and not r.symmetry
    assert 0 < r.distinct_states == sim.distinct_states <= 288
    assert sim.traces_per_second > 0 and sim.steps_per_second > 0


def test_time_limit_stops_and_still_does_not_claim_anything():
    def nxt(s):
        return [("Inc", (), (s[0] + 1,)), ("Dec", (), (s[0] - 1,))]

    m = SimpleModel("endless", ("x",), lambda: [(0,)], nxt,
                    invariants=(StateProperty("Any", "validity", lambda s: True, (0,)),))
    r = simulate(m, traces=10**9, depth=1000, seed=0, time_limit=0.3)
    assert (r.verdict, r.stop_reason) == (Verdict.NOT_VIOLATED, StopReason.TIME_LIMIT)
    assert 0 < r.simulation.traces < 10**9
    assert r.seconds < 5


def test_runtime_error_in_spec(tmp_path):
    p = tmp_path / "rt.mc"
    p.write_text(RUNTIME)
    r = simulate(load(p), traces=10, depth=10, seed=0)
    assert r.verdict is Verdict.ERROR and r.exit_code == 2
    assert "MC300" in r.error and "x = 3" in r.error


# ------------------------------------------------------------------ the explorer's semantics

def test_constraint_discards_states_like_the_explorer():
    # 0..3 inside the constraint; 4 is discarded: its invariant is not checked, and 3 is
    # not a deadlock (it has a successor, outside the constraint)
    def nxt(s):
        return [("Inc", (), (s[0] + 1,))]

    m = SimpleModel("bounded", ("x",), lambda: [(0,)], nxt,
                    invariants=(StateProperty("Not4", "validity", lambda s: s[0] != 4),),
                    constraints=(StateProperty("Bound", "constraint", lambda s: s[0] <= 3),))
    e = explore(m)
    assert (e.verdict, e.distinct_states) == (Verdict.HOLDS, 4)
    r = simulate(m, traces=5, depth=50, seed=0)
    assert r.verdict is Verdict.NOT_VIOLATED
    assert r.distinct_states == 4 and r.depth == 4
    assert r.simulation.ends == {"constraint": 5}


def test_step_property_checked_before_the_constraint_like_the_explorer():
    def nxt(s):
        return [("Inc", (), (s[0] + 1,))]

    m = SimpleModel("bounded", ("x",), lambda: [(0,)], nxt,
                    step_properties=(StepProperty("Not3to4", "integrity", lambda s, t: t[0] != 4, (0,)),),
                    constraints=(StateProperty("Bound", "constraint", lambda s: s[0] <= 3),))
    e = explore(m)
    r = simulate(m, traces=5, depth=50, seed=0)
    assert e.verdict is r.verdict is Verdict.VIOLATED
    assert e.violations[0].trace == r.violations[0].trace
    assert r.violations[0].trace.states[-1] == (4,)


def test_initial_states_outside_the_constraint_are_discarded():
    m = SimpleModel("inits", ("x",), lambda: [(0,), (9,)], lambda s: [("Stay", (), s)],
                    invariants=(StateProperty("Small", "validity", lambda s: s[0] < 5),),
                    constraints=(StateProperty("Bound", "constraint", lambda s: s[0] <= 3),))
    assert explore(m).verdict is Verdict.HOLDS
    r = simulate(m, traces=50, depth=5, seed=0)
    assert (r.verdict, r.distinct_states) == (Verdict.NOT_VIOLATED, 1)


def test_deadlock_like_the_explorer():
    m = counter(5)
    e = explore(m)
    r = simulate(m, traces=10, depth=100, seed=0)
    assert e.verdict is r.verdict is Verdict.DEADLOCK
    assert r.exit_code == 1
    assert e.violations[0].trace == r.violations[0].trace  # the only path: 6 states
    assert_legal_counterexample(m, r.violations[0])
    off = simulate(m, traces=10, depth=100, seed=0, check_deadlock=False)
    assert off.verdict is Verdict.NOT_VIOLATED
    assert off.simulation.ends == {"deadlock": 10}
    assert "Deadlock" not in {p.name for p in off.properties}


def test_a_state_whose_successors_all_leave_the_constraint_is_no_deadlock():
    def nxt(s):
        x = s[0]
        return [("Inc", (), (x + 1,)), ("Jump", (), (x + 10,))] if x < 3 else [("Out", (), (99,))]

    m = SimpleModel("cut", ("x",), lambda: [(0,)], nxt,
                    constraints=(StateProperty("Bound", "constraint", lambda s: s[0] <= 5),))
    assert explore(m).verdict is Verdict.HOLDS
    r = simulate(m, traces=100, depth=100, seed=0)
    assert r.verdict is Verdict.NOT_VIOLATED
    assert set(r.simulation.ends) == {"constraint"}


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 12))
    edges = {i: sorted(set(draw(st.lists(st.integers(0, n - 1), max_size=3)))) for i in range(n)}
    inits = sorted(set(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2))))
    bad = draw(st.sets(st.integers(0, n - 1), max_size=2))
    outside = draw(st.sets(st.integers(0, n - 1), max_size=2))
    bad_edges = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2))
    return edges, inits, bad, outside, bad_edges


@settings(max_examples=150, deadline=None)
@given(graphs(), st.booleans(), st.integers(0, 1000))
def test_random_graphs_agree_with_the_explorer(g, deadlock, seed):
    edges, inits, bad, outside, bad_edges = g
    m = SimpleModel(
        "graph", ("node",), lambda: [(i,) for i in inits],
        lambda s: [("Go", (j,), (j,)) for j in edges[s[0]]],
        invariants=(StateProperty("Good", "validity", lambda s: s[0] not in bad, (0,)),),
        step_properties=(StepProperty("Edge", "integrity", lambda s, t: (s[0], t[0]) not in bad_edges, (0,)),),
        constraints=(StateProperty("In", "constraint", lambda s: s[0] not in outside),),
    )
    e = explore(m, Options(check_deadlock=deadlock, stop_at_first=False))
    r = simulate(m, traces=60, depth=30, seed=seed, check_deadlock=deadlock, stop_at_first=False)
    found = {v.property: len(v.trace) for v in e.violations}
    # no false alarm, every counterexample real, never shorter than the shortest
    for v in r.violations:
        assert v.property in found
        assert len(v.trace) >= found[v.property]
        assert_legal_counterexample(m, v)
    assert r.distinct_states <= e.distinct_states
    if not r.violations:
        assert r.verdict is Verdict.NOT_VIOLATED
    # a violation reachable in one step from every initial state cannot be missed
    if inits and all(i in bad and i not in outside for i in inits):
        assert "Good" in {v.property for v in r.violations}


# ------------------------------------------------------------------ CLI

RUNTIME = """\
module Rt
var x: 0..5
var m: map[0..5, 0..5]
init {
  x = 0
  m = { k: k + 1 for k in 0..1 if true }
}
action Inc(d in 1..1) {
  require x < 5
  x' = x + m[x] * d
}
invariant Small [validity]: x <= 5
"""

STOPS = """\
module Stops
var x: 0..10
init { x = 0 }
action Inc {
  require x < 4
  x' = x + 1
}
invariant Small [validity]: x <= 10
"""


def test_cli_exit_0_and_says_not_exhaustive(capsys):
    code, out, err = run(capsys, "simulate", TWOPHASE, "--traces", "200", "--depth", "30", "--seed", "3")
    assert code == 0
    assert "no violation found in 200 traces" in out and "not exhaustive" in out
    assert "verdict: not-violated" in out
    assert "holds" not in out
    assert re.search(r"[\d,]+ traces/s, [\d,]+ steps/s", out)
    assert "200 traces of up to 30 states (seed 3), 5,800 steps" in out
    assert "Termination  termination temporal   undetermined" in out


def test_cli_exit_1_with_shrunk_counterexample(capsys):
    code, out, _ = run(capsys, "simulate", TWOPHASE, "--const", "BugCommitOnAny=true", "--seed", "3")
    assert code == 1
    assert "verdict: violated" in out
    m = re.search(r"Found by random trace (\d+) \(seed 3\) in (\d+) states; shrunk to (\d+) states", out)
    assert m and int(m.group(3)) <= int(m.group(2))
    # the same renderer as `check`
    assert re.search(rf"(Invariant|Step property) \w+ \[\w+\] violated (in|by the last step of) {m.group(3)} states:",
                     out)
    assert "  1. initial state" in out


def test_cli_deadlock_and_no_deadlock(capsys, tmp_path):
    spec = tmp_path / "stops.mc"
    spec.write_text(STOPS)
    code, out, _ = run(capsys, "simulate", spec, "--traces", "5")
    assert code == 1 and "verdict: deadlock" in out and "Deadlock: a state with no enabled action, reached in 5 states" in out
    code, out, _ = run(capsys, "simulate", spec, "--traces", "5", "--no-deadlock")
    assert code == 0 and "no violation found in 5 traces" in out and "no successor 5" in out


def test_cli_continue_and_time_limit(capsys):
    code, out, _ = run(capsys, "simulate", TWOPHASE, "--const", "BugAbortAfterCommit=true", "--continue",
                       "--traces", "3000", "--depth", "60", "--seed", "1", "--json")
    assert code == 1
    obj = json.loads(out)
    assert {v["property"] for v in obj["violations"]} == {"Integrity", "Agreement"}
    assert obj["simulation"]["traces"] == 3000 and obj["stop_reason"] == "traces"
    code, out, _ = run(capsys, "simulate", TWOPHASE, "--traces", "100000000", "--time-limit", "0.3")
    assert code == 0
    assert "stopped by --time-limit after" in out and "no violation found in" in out


def test_cli_json_has_check_shape_plus_simulation(capsys):
    code, out, _ = run(capsys, "check", TWOPHASE, "--const", "BugCommitOnMajority=true", "--json")
    checked = json.loads(out)
    code, out, _ = run(capsys, "simulate", TWOPHASE, "--const", "BugCommitOnMajority=true", "--json",
                       "--seed", "2")
    assert code == 1
    obj = json.loads(out)
    assert set(checked) <= set(obj)
    assert obj["verdict"] == "violated" and obj["strategy"] == "simulate"
    sim = obj["simulation"]
    for key in ("seed", "traces", "steps", "distinct_states", "traces_per_second", "steps_per_second",
                "seconds", "max_traces", "max_depth", "exhaustive"):
        assert key in sim
    assert sim["seed"] == 2 and sim["exhaustive"] is False
    (v,) = obj["violations"]
    assert v["length"] == len(v["trace"]["states"]) <= v["original_length"]
    assert v["found_by_trace"] >= 1
    assert v["trace"]["vars"] == checked["violations"][0]["trace"]["vars"]
    # no violation: the JSON verdict is not "holds" either
    code, out, _ = run(capsys, "simulate", TWOPHASE, "--json", "--traces", "50")
    obj = json.loads(out)
    assert code == 0 and obj["verdict"] == "not-violated"
    assert "holds" not in {p["verdict"] for p in obj["properties"]}


def test_cli_same_output_for_the_same_seed(capsys):
    outs = set()
    for _ in range(2):
        _, out, _ = run(capsys, "simulate", TWOPHASE, "--const", "BugCommitOnMajority=true", "--json", "--seed", "9")
        obj = json.loads(out)
        for key in ("seconds", "shrink_seconds", "traces_per_second", "steps_per_second"):
            obj["simulation"].pop(key)
        obj.pop("seconds")
        outs.add(json.dumps(obj, sort_keys=True))
    assert len(outs) == 1


def test_cli_errors(capsys, tmp_path):
    code, _, err = run(capsys, "simulate", TWOPHASE, "--depth", "0")
    assert code == 2 and "--depth" in err
    code, _, err = run(capsys, "simulate", TWOPHASE, "--traces", "-1")
    assert code == 2 and "--traces" in err
    code, _, err = run(capsys, "simulate", tmp_path / "nope.mc")
    assert code == 2 and "MC001" in err
    spec = tmp_path / "rt.mc"
    spec.write_text(RUNTIME)
    code, out, _ = run(capsys, "simulate", spec)
    assert code == 2 and "MC300" in out and "verdict: error" in out


def test_readme_simulate_example(capsys, monkeypatch):
    """The README's `simulate` example: every line shown is printed, in order, once
    timings and rates are normalized ("..." elides lines)."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("$ modelcheck simulate ", 1)[1].split("```", 1)[0]
    argv = block.split("\n", 1)[0].split()
    monkeypatch.chdir(ROOT)
    code, out, _ = run(capsys, "simulate", *argv)

    def norm(line):
        line = re.sub(r"\d+\.\d\d s", "T s", line)
        return re.sub(r"[\d,]+ (traces|steps)/s", r"N \1/s", line)

    lines = [norm(l) for l in out.splitlines()]
    pos = 0
    for line in block.split("\n")[1:]:
        if line in ("...", ""):
            continue
        pos = lines.index(norm(line), pos) + 1
    assert code == 1


ASSERTS = """\
module Asserts
var x: 0..10
init { x = 0 }
action Inc {
  require x < 10
  x' = x + 1
}
action Dec {
  require x > 0
  x' = x - 1
}
action Check {
  require x >= 3
  assert x < 3: "x is too big"
  x' = 0
}
invariant Small [validity]: x <= 10
"""


def test_assertion_in_an_action_like_the_explorer(tmp_path, capsys):
    # the assertion fails in every state with x >= 3; the shortest path there is
    # Inc x 3, and (as for the counter above) no Dec survives shrinking
    p = tmp_path / "asserts.mc"
    p.write_text(ASSERTS)
    spec = load(p)
    e = check(spec)
    r = simulate(spec, traces=50, depth=50, seed=4)
    assert e.verdict is r.verdict is Verdict.VIOLATED
    (ev,), (v,) = e.violations, r.violations
    assert (v.kind, v.property, v.message) == ("assertion", ev.property, "x is too big")
    assert v.trace == ev.trace and len(v.trace) == 4
    assert spec.model.describe(v.failed_label).action == "Check"
    code, out, _ = run(capsys, "simulate", p, "--seed", "4")
    assert code == 1
    assert "Assertion Assertion@14:3 failed: x is too big" in out and "then Check fails the assertion" in out
