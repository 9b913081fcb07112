"""``modelcheck bmc``: shortest counterexamples, the explicit search's length on every
seeded bug it can reach (issue 16, sections 2 and 5), and never ``holds``."""

import json

import pytest

from modelcheck import check
from modelcheck.cli import main
from modelcheck.result import StopReason, Verdict
from modelcheck.symbolic import bmc
from tests.helpers import CRASH, TWOPHASE, load_spec
from tests.symbolic.small_specs import ASSERTING, spec_of

# (spec, config, consts, violated property, states in the shortest counterexample).
# The lengths are TwoPhase's published shortest traces (TLC's BFS); each is also checked
# against our explicit BFS below.
SEEDED = [
    pytest.param(TWOPHASE, None, {"BugCommitOnMajority": True}, "Validity", 7, id="commit-on-majority"),
    pytest.param(TWOPHASE, None, {"BugCommitOnAny": True}, "Validity", 5, id="commit-on-any"),
    pytest.param(TWOPHASE, None, {"BugAbortAfterPrepare": True}, "Integrity", 10, id="abort-after-prepare"),
    pytest.param(TWOPHASE, None, {"BugAbortAfterCommit": True}, "Integrity", 11, id="abort-after-commit"),
    pytest.param(CRASH, "recovery", {"BugRecoverWithoutLog": True}, None, None, id="recover-without-log",
                 marks=pytest.mark.slow),
]


@pytest.mark.parametrize("path, config, consts, prop, length", SEEDED)
def test_bmc_finds_each_seeded_bug_at_the_explicit_searchs_length(path, config, consts, prop, length):
    spec = load_spec(path, config=config, **consts)
    explicit = check(spec, symmetry=False, check_temporal=False)
    (ev,) = explicit.violations
    r = bmc(spec, 14)
    assert r.verdict == Verdict.VIOLATED and r.exit_code == 1
    (v,) = r.violations
    assert len(v.trace) == len(ev.trace)
    if length is not None:
        assert (v.property, len(v.trace)) == (prop, length)
    # the trace is a behaviour of the explicit model: starts in an initial state, every
    # step one of its transitions, and the property fails at the end
    model = spec.model
    assert v.trace.states[0] in model.initial_states()
    for lab, a, b in zip(v.trace.labels[1:], v.trace.states, v.trace.states[1:]):
        assert (lab, b) in model.successors(a)


def test_no_violation_within_the_depth_is_undetermined_never_holds():
    spec = load_spec(TWOPHASE, RM=2)
    r = bmc(spec, 4)
    assert r.verdict == Verdict.UNDETERMINED and r.exit_code == 3
    assert r.stop_reason == StopReason.MAX_DEPTH
    assert r.extra["bmc"]["max_depth"] == 4 and len(r.extra["bmc"]["seconds_per_depth"]) == 5
    assert all(p.verdict == Verdict.UNDETERMINED for p in r.properties)


def test_a_time_limit_stops_it_undetermined():
    spec = load_spec(TWOPHASE, RM=7)
    r = bmc(spec, 30, time_limit=0.5)
    assert r.verdict == Verdict.UNDETERMINED and r.stop_reason == StopReason.TIME_LIMIT


OVERFLOW = """module O
var x: 0..2
init { x = 0 }
action Up { x' = x + 1 }
invariant Small [typing]: x <= 2
"""


def test_an_assertion_failure_is_found_with_the_failing_action(tmp_path):
    spec, _ = spec_of(tmp_path, ASSERTING)
    r = bmc(spec, 5)
    (v,) = r.violations
    assert v.kind == "assertion" and v.message == "x reached two"
    assert len(v.trace) == 3 and v.trace.states[-1] == (2,)
    assert spec.model.describe(v.failed_label).action == "Check"
    e = check(spec)
    assert len(e.violations[0].trace) == len(v.trace)


def test_a_value_outside_its_range_is_an_error_as_in_the_explicit_checker(tmp_path):
    spec, _ = spec_of(tmp_path, OVERFLOW)
    r = bmc(spec, 5)
    assert r.verdict == Verdict.ERROR and r.exit_code == 2
    assert "MC300" in r.error and "x" in r.error
    assert check(spec).verdict == Verdict.ERROR


def test_cli_bmc_text_json_and_itf(capsys, tmp_path):
    code = main(["bmc", TWOPHASE, "--depth", "8", "--const", "BugCommitOnAny=true", "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    assert "a violation in 4 steps, the shortest there is" in out
    assert "Invariant Validity [validity] violated in 5 states" in out
    itf = tmp_path / "cex.itf.json"
    code = main(["bmc", TWOPHASE, "--depth", "8", "--const", "BugCommitOnAny=true", "--json", "--itf", str(itf)])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["strategy"] == "bmc" and data["verdict"] == "violated"
    (v,) = data["violations"]
    assert v["length"] == 5 and len(v["trace"]["states"]) == 5
    assert json.loads(itf.read_text())["states"] == v["trace"]["states"]
    code = main(["bmc", TWOPHASE, "--depth", "3"])
    out = capsys.readouterr().out
    assert code == 3 and "nothing is proven" in out and "verdict: undetermined" in out
