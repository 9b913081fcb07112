"""`modelcheck replay`: ITF traces read back and replayed against the spec.

Round trips: every counterexample `modelcheck check --json` finds for the bundled
seeded bugs replays as legal, and the replay names the property the checker found
violated (found again by the replay's own evaluation of the trace). Tampered traces are
reported at the tampered step, with the reason.
"""

from __future__ import annotations

import copy
import json

import pytest

from modelcheck.cli import main
from tests.helpers import CRASH, TCOMMIT, TWOPHASE

SEEDED = [
    (TWOPHASE, ["--const", "BugCommitOnMajority=true"]),
    (TWOPHASE, ["--const", "BugCommitOnAny=true"]),
    (TWOPHASE, ["--const", "BugAbortAfterPrepare=true"]),
    (TWOPHASE, ["--const", "BugAbortAfterCommit=true"]),
    (CRASH, ["--config", "recovery", "--const", "BugRecoverWithoutLog=true"]),
    (CRASH, ["--no-deadlock"]),  # Termination: a lasso
    (CRASH, []),  # a deadlock
    (TCOMMIT, ["--const", "RM=2"]),  # holds: no trace
]


def check_json(capsys, path, args):
    main(["check", path, "--json", *args])
    return json.loads(capsys.readouterr().out)


def consts_of(args):
    """The --const/--config arguments of a check command line (replay needs the same)."""
    out, it = [], iter(args)
    for a in it:
        if a in ("--const", "--config"):
            out += [a, next(it)]
    return out


def replay_json(capsys, path, trace_file, *args):
    code = main(["replay", path, str(trace_file), "--json", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("path,args", SEEDED, ids=[f"{p.split('/')[-1]}{' '.join(a)}" for p, a in SEEDED])
def test_counterexamples_replay_as_legal_and_name_the_property(tmp_path, capsys, path, args):
    result = check_json(capsys, path, args)
    if result["verdict"] == "holds":
        assert not result["violations"]
        return
    (v,) = result["violations"]
    f = tmp_path / "trace.itf.json"
    f.write_text(json.dumps(v["trace"], indent=2))
    code, out = replay_json(capsys, path, f, *consts_of(args))
    assert code == 0, out
    (r,) = out["traces"]
    assert r["legal"] and r["illegal_steps"] == [] and r["states"] == v["length"]
    named = {x["property"] for x in r["violations"]}
    assert v["property"] in named
    if v["kind"] == "temporal":
        assert r["loop"] == v["trace"]["loop"] and r["loop_legal"] and r["fair"]
    # the whole `check --json` result is accepted too
    whole = tmp_path / "result.json"
    whole.write_text(json.dumps(result))
    code, out = replay_json(capsys, path, whole, *consts_of(args))
    assert code == 0 and out["traces"][0]["trace"].startswith("violations[0]")


def _integrity_trace(capsys):
    """The shortest Integrity counterexample with BugAbortAfterPrepare (10 states: it
    commits, so it has a TMCommit step)."""
    result = check_json(capsys, TWOPHASE, ["--const", "BugAbortAfterPrepare=true"])
    (v,) = result["violations"]
    assert v["property"] == "Integrity" and v["length"] == 10
    assert any(s["mbt::actionTaken"] == "TMCommit" for s in v["trace"]["states"])
    return v["trace"]


def test_tampered_value_is_reported_at_that_step(tmp_path, capsys):
    """Change tmState in states[k]: the step into states[k] fires into another state
    (incorrect-state, the variable named with expected and observed values)."""
    trace = _integrity_trace(capsys)
    k = next(i for i, s in enumerate(trace["states"]) if s["mbt::actionTaken"] == "TMCommit")
    bad = copy.deepcopy(trace)
    bad["states"][k]["tmState"] = "tmAborted"
    f = tmp_path / "bad.itf.json"
    f.write_text(json.dumps(bad, indent=2))
    code, out = replay_json(capsys, TWOPHASE, f, "--const", "BugAbortAfterPrepare=true")
    assert code == 1
    (r,) = out["traces"]
    assert not r["legal"] and r["illegal_steps"][0] == k
    d = r["steps"][k - 1]["divergence"]
    assert d["kind"] == "incorrect-state" and d["event"] == k
    (g,) = d["instances"][0]["explanations"]
    assert g["successors"] == [[{"variable": "tmState", "expected": "tmCommitted", "observed": "tmAborted"}]]
    main(["replay", TWOPHASE, str(f), "--const", "BugAbortAfterPrepare=true"])
    text = capsys.readouterr().out
    assert f"step into states[{k}]" in text and "tmState: the spec gives tmCommitted, observed tmAborted" in text


def test_tampered_action_is_reported_with_the_guard(tmp_path, capsys):
    """Say the first step was TMCommit: its guard fails in the initial state."""
    trace = _integrity_trace(capsys)
    bad = copy.deepcopy(trace)
    bad["states"][1]["mbt::actionTaken"] = "TMCommit"
    bad["states"][1]["mbt::nondetPicks"] = {}
    f = tmp_path / "bad.itf.json"
    f.write_text(json.dumps(bad, indent=2))
    code, out = replay_json(capsys, TWOPHASE, f, "--const", "BugAbortAfterPrepare=true")
    assert code == 1
    (r,) = out["traces"]
    assert r["illegal_steps"][0] == 1
    d = r["steps"][0]["divergence"]
    assert d["kind"] == "unexpected-action"
    (f0,) = d["instances"][0]["explanations"][0]["failures"]
    assert f0["text"] == "canCommit"


def test_unfair_lasso_is_not_a_counterexample(tmp_path, capsys):
    """The initial state stuttering forever: Termination fails on it, but RMPrepare(*),
    TMAbort (weakly fair) are enabled throughout and never taken, so it is not a
    behaviour the spec's fairness allows, and Termination is not reported."""
    result = check_json(capsys, TWOPHASE, ["--const", "BugCommitOnAny=true"])
    init = copy.deepcopy(result["violations"][0]["trace"])
    init["states"] = init["states"][:1]
    init["loop"] = 0
    init["#meta"]["loop-action"] = "stutter"
    f = tmp_path / "stutter.itf.json"
    f.write_text(json.dumps(init))
    code, out = replay_json(capsys, TWOPHASE, f)
    assert code == 0
    (r,) = out["traces"]
    assert r["legal"] and r["loop_legal"] and r["fair"] is False
    assert "weak TMAbort: TMAbort is enabled on every state of the cycle but never taken" in r["unfair"]
    assert "weak RMPrepare(*): RMPrepare(rm=r1) is enabled on every state of the cycle but never taken" in r["unfair"]
    assert "Termination" not in {v["property"] for v in r["violations"]}


def test_loop_closed_by_the_wrong_action(tmp_path, capsys):
    """Close the Integrity counterexample into a lasso on its last state. Receiving
    Commit again, by an RM that has committed, is a self-loop there: a legal closing
    step. RMChooseToAbort(r1) is not (r1 is no longer working)."""
    result = check_json(capsys, TWOPHASE, ["--const", "BugAbortAfterPrepare=true"])
    t = copy.deepcopy(result["violations"][0]["trace"])
    last = len(t["states"]) - 1
    committed = [r for r, v in t["states"][last]["rmState"]["#map"] if v == "committed"]
    assert committed  # the Integrity counterexample ends with a commit
    t["loop"] = last
    t["#meta"]["loop-action"] = "RMChooseToAbort(rm=r1)"
    f = tmp_path / "loop.itf.json"
    f.write_text(json.dumps(t))
    code, out = replay_json(capsys, TWOPHASE, f, "--const", "BugAbortAfterPrepare=true")
    assert code == 1 and out["traces"][0]["loop_legal"] is False
    assert "RMChooseToAbort(rm=r1), which does not lead back" in out["traces"][0]["loop_message"]
    t["#meta"]["loop-action"] = f"RMRcvCommitMsg(rm={committed[0]})"
    f.write_text(json.dumps(t))
    code, out = replay_json(capsys, TWOPHASE, f, "--const", "BugAbortAfterPrepare=true")
    assert code == 0 and out["traces"][0]["loop_legal"] is True


def test_replay_needs_every_variable(tmp_path, capsys):
    trace = _integrity_trace(capsys)
    del trace["states"][2]["msgs"]
    f = tmp_path / "partial.itf.json"
    f.write_text(json.dumps(trace, indent=2))
    assert main(["replay", TWOPHASE, str(f), "--const", "BugAbortAfterPrepare=true"]) == 2
    err = capsys.readouterr().err
    assert "states[2]: variable `msgs` is missing (replay needs every variable in every state)" in err


def test_replay_with_itf_file_option(tmp_path, capsys):
    """`check --itf FILE` (issue 5) writes the counterexamples as ITF files."""
    f = tmp_path / "cx.itf.json"
    assert main(["check", TWOPHASE, "--const", "BugCommitOnAny=true", "--itf", str(f)]) == 1
    capsys.readouterr()
    code, out = replay_json(capsys, TWOPHASE, f, "--const", "BugCommitOnAny=true")
    assert code == 0 and out["legal"]
    assert "Validity" in {v["property"] for t in out["traces"] for v in t["violations"]}
