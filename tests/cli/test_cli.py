"""The `modelcheck` command: exit codes, human and JSON output, ITF traces, errors."""

import json
import subprocess
import sys

import pytest

from modelcheck.cli import main
from tests.helpers import CRASH, ROOT, TWOPHASE, run


def write(tmp_path, text, name="spec.mc"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


COUNTER = """\
module Counter
const N = 3
var x: 0..10
init { x = 0 }
action Inc {
  require x < N
  x' = x + 1
}
action Reset {
  require x == N
  x' = 0
}
invariant Small [validity]: x <= N
"""


# ------------------------------------------------------------------ exit codes

def test_exit_0_when_everything_holds(capsys):
    code, out, err = run(capsys, "check", TWOPHASE)
    assert code == 0
    assert "verdict: holds" in out
    for prop, cls in [("Agreement", "agreement"), ("Validity", "validity"), ("Integrity", "integrity")]:
        line = next(l for l in out.splitlines() if l.strip().startswith(prop))
        assert cls in line and "holds" in line


def test_exit_1_on_violation_with_readable_trace(capsys):
    code, out, _ = run(capsys, "check", TWOPHASE, "--const", "BugCommitOnAny=true")
    assert code == 1
    assert "Invariant Validity [validity] violated in 5 states" in out
    steps = [l.strip() for l in out.splitlines() if l.strip()[:3] in ("1. ", "2. ", "3. ", "4. ", "5. ")]
    assert steps == ["1. initial state", "2. RMPrepare(rm=r1)", "3. TMRcvPrepared(rm=r1)", "4. TMCommit",
                     "5. RMRcvCommitMsg(rm=r1)"]
    # only the variables that changed are shown after the initial state
    tail = out.split("4. TMCommit", 1)[1].split("5. ", 1)[0]
    assert "tmState" in tail and "rmState" not in tail


def test_exit_1_on_deadlock_and_no_deadlock_flag(capsys, tmp_path):
    spec = write(tmp_path, COUNTER.replace("action Reset {\n  require x == N\n  x' = 0\n}\n", ""))
    code, out, _ = run(capsys, "check", spec)
    assert code == 1 and "verdict: deadlock" in out
    code, out, _ = run(capsys, "check", spec, "--no-deadlock")
    assert code == 0


def test_exit_2_on_spec_error_with_caret_and_every_error(capsys, tmp_path):
    spec = write(tmp_path, "module M\nvar x: 0..3\ninit { x = 0 }\naction A {\n  x' = y\n  x' = 1\n}\n")
    code, out, err = run(capsys, "check", spec)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert f"{spec}:5:8: MC201 unknown name `y`" in err
    assert "    5 |   x' = y\n      |        ^" in err
    assert f"{spec}:6:3: MC221" in err
    assert "2 errors" in err


def test_exit_2_on_missing_file_and_bad_usage(capsys, tmp_path):
    code, _, err = run(capsys, "check", str(tmp_path / "nope.mc"))
    assert code == 2 and "MC001" in err and "Traceback" not in err
    code, _, err = run(capsys, "check", TWOPHASE, "--const", "RM")
    assert code == 2 and "NAME=VALUE" in err
    with pytest.raises(SystemExit) as e:
        main(["check"])
    assert e.value.code == 2


def test_exit_3_when_a_limit_stops_the_search(capsys):
    for flag in (["--max-states", "50"], ["--max-depth", "4"]):
        code, out, _ = run(capsys, "check", TWOPHASE, "--no-symmetry", *flag)
        assert code == 3
        assert "verdict: undetermined" in out
        assert "holds" not in out
    code, out, _ = run(capsys, "check", TWOPHASE, "--json", "--max-states", "50")
    obj = json.loads(out)
    assert (obj["verdict"], obj["stop_reason"]) == ("undetermined", "max-states")


# ------------------------------------------------------------------ constants

def test_const_and_config(capsys):
    code, out, _ = run(capsys, "check", TWOPHASE, "--const", "RM=4", "--no-symmetry", "--json")
    assert json.loads(out)["distinct_states"] == 1568
    code, out, _ = run(capsys, "check", TWOPHASE, "--config", "rm5", "--no-symmetry", "--json")
    obj = json.loads(out)
    assert (obj["distinct_states"], obj["depth"]) == (8832, 17)
    assert obj["constants"].startswith("RM={rm1, rm2, rm3, rm4, rm5}, ")
    code, out, _ = run(capsys, "check", TWOPHASE, "--const", "RM={a, b}", "--no-symmetry", "--json")
    obj = json.loads(out)
    assert obj["distinct_states"] == 56 and "RM={a, b}" in obj["constants"]


def test_unknown_config_and_constant_are_errors(capsys):
    code, _, err = run(capsys, "check", TWOPHASE, "--config", "nosuch")
    assert code == 2 and "nosuch" in err and "rm5" in err
    code, _, err = run(capsys, "check", TWOPHASE, "--const", "Nope=1")
    assert code == 2 and "Nope" in err
    code, _, err = run(capsys, "check", TWOPHASE, "--const", "BugCommitOnAny=7")
    assert code == 2 and "BugCommitOnAny" in err


def test_integer_constant_override(capsys, tmp_path):
    spec = write(tmp_path, COUNTER)
    code, out, _ = run(capsys, "check", spec, "--json")
    assert json.loads(out)["distinct_states"] == 4
    code, out, _ = run(capsys, "check", spec, "--const", "N=7", "--json")
    assert json.loads(out)["distinct_states"] == 8


# ------------------------------------------------------------------ JSON and ITF

def test_json_fields_and_itf_trace(capsys):
    code, out, _ = run(capsys, "check", TWOPHASE, "--const", "BugCommitOnAny=true", "--json")
    assert code == 1
    obj = json.loads(out)
    for key in ("verdict", "distinct_states", "generated_states", "depth", "seconds", "violations"):
        assert key in obj
    assert obj["verdict"] == "violated"
    (v,) = obj["violations"]
    assert (v["property"], v["class"]) == ("Validity", "validity")
    itf = v["trace"]
    assert itf["vars"] == ["rmState", "tmState", "tmPrepared", "msgs"]
    assert len(itf["states"]) == 5
    first, last = itf["states"][0], itf["states"][-1]
    assert first["rmState"] == {"#map": [["r1", "working"], ["r2", "working"], ["r3", "working"]]}
    assert first["tmPrepared"] == {"#set": []}
    assert last["tmPrepared"] == {"#set": ["r1"]}
    assert {"tag": "Prepared", "value": "r1"} in last["msgs"]["#set"]
    assert "Commit" in last["msgs"]["#set"]
    assert [s["#meta"]["index"] for s in itf["states"]] == [0, 1, 2, 3, 4]
    assert last["mbt::actionTaken"] == "RMRcvCommitMsg"


def test_json_tuples_sequences_bags_records(capsys, tmp_path):
    spec = write(tmp_path, """\
module Shapes
var t: (0..2, bool)
var s: seq[0..2, 3]
var b: bag[0..2]
var r: { a: 0..2, f: bool }
init { t = (0, false)
  s = []
  b = bag()
  r = { a: 0, f: false } }
action Go {
  require len(s) < 2
  t' = (t[1] + 1, true)
  s' = append(s, 1)
  b' = b.add(2)
  r' = { ...r, a: 1 }
}
invariant Short [validity]: len(s) < 2
""")
    code, out, _ = run(capsys, "check", spec, "--json")
    assert code == 1
    last = json.loads(out)["violations"][0]["trace"]["states"][-1]
    assert last["t"] == {"#tup": [2, True]}
    assert last["s"] == [1, 1]
    assert last["b"] == {"#map": [[2, 2]]}
    assert last["r"] == {"a": 1, "f": False}


def test_json_on_spec_error(capsys, tmp_path):
    spec = write(tmp_path, "module M\nvar x: 0..3\ninit { x = 0 }\naction A { x' = y }\n")
    code, out, _ = run(capsys, "check", spec, "--json")
    assert code == 2
    obj = json.loads(out)
    assert obj["verdict"] == "error"
    assert obj["errors"][0]["code"] == "MC201"
    assert (obj["errors"][0]["line"], obj["errors"][0]["col"]) == (4, 17)


# ------------------------------------------------------------------ runtime errors

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


def test_runtime_error_names_action_params_expression_and_state(capsys, tmp_path):
    spec = write(tmp_path, RUNTIME)
    code, out, err = run(capsys, "check", spec)
    assert code == 2
    text = out + err
    assert "Traceback" not in text
    assert "MC300" in text
    assert "Inc(d=1)" in text
    assert f"{spec}:10:12" in text
    assert "x' = x + m[x] * d" in text and "^^^^" in text
    assert "x = 3" in text
    assert "verdict: error" in out


# ------------------------------------------------------------------ coverage, progress

def test_coverage_and_never_enabled_warning(capsys, tmp_path):
    spec = write(tmp_path, COUNTER + "action Never {\n  require x > 5\n  x' = 0\n}\n")
    code, out, _ = run(capsys, "check", spec, "--coverage")
    assert code == 0
    assert "action Never was never enabled" in out
    code, out, _ = run(capsys, "check", TWOPHASE, "--json", "--no-symmetry")
    cov = json.loads(out)["coverage"]
    per_action = {}
    for c in cov:
        per_action.setdefault(c["action"], 0)
        per_action[c["action"]] += c["distinct"]
    # every state but the initial one was first produced by exactly one action instance
    assert sum(per_action.values()) == 288 - 1
    assert set(per_action) == {"TMRcvPrepared", "TMCommit", "TMAbort", "RMPrepare", "RMChooseToAbort",
                               "RMRcvCommitMsg", "RMRcvAbortMsg"}
    # TLC counts the initial state as generated: 1146 = 1 + 1145 transitions
    assert sum(c["generated"] for c in cov) == 1146 - 1


def test_never_enabled_is_said_only_after_an_exhaustive_search(capsys, tmp_path):
    # crash.mc stops at its first counterexample (a deadlock) before the TM ever commits:
    # TMCommit is enabled in the full search, so the early stop may not say "never"
    code, out, _ = run(capsys, "check", CRASH, "--coverage")
    assert code == 1
    assert "action TMCommit was not enabled in the states explored (the search stopped at the first " \
           "counterexample)" in out
    assert "never enabled" not in out
    assert "    TMCommit                                 not enabled in the states explored" in out
    report = json.loads(run(capsys, "check", CRASH, "--json")[1])
    assert "TMCommit" in report["never_enabled"] and report["exhaustive"] is False
    # a limit: the same
    spec = write(tmp_path, COUNTER + "action Never {\n  require x > 5\n  x' = 0\n}\n")
    out = run(capsys, "check", spec, "--max-states", "2")[1]
    assert "action Never was not enabled in the states explored (the search stopped by --max-states)" in out
    # exhaustive (with --continue past the counterexamples too): "never"
    report = json.loads(run(capsys, "check", spec, "--json")[1])
    assert report["never_enabled"] == ["Never"] and report["exhaustive"] is True
    out = run(capsys, "check", CRASH, "--continue")[1]
    assert "action TMRecover was never enabled" in out and "TMCommit was" not in out


def test_progress_is_quiet_unless_asked(capsys):
    code, _, err = run(capsys, "check", TWOPHASE, "--config", "rm5", "--no-symmetry")
    assert err == ""


def test_progress_when_asked(monkeypatch, capsys):
    from modelcheck.cli import common

    real = common.search_options

    def fast(args, progress=None):
        from dataclasses import replace
        return replace(real(args, progress), progress_every=0.0)

    monkeypatch.setattr(common, "search_options", fast)
    code, _, err = run(capsys, "check", TWOPHASE, "--config", "rm5", "--no-symmetry", "--progress")
    assert code == 0
    assert "distinct" in err and "states/s" in err and "queue" in err


# ------------------------------------------------------------------ determinism, entry point

def test_same_output_every_run(capsys):
    outs = set()
    for _ in range(2):
        _, out, _ = run(capsys, "check", TWOPHASE, "--const", "BugCommitOnMajority=true", "--json")
        obj = json.loads(out)
        obj.pop("seconds")
        outs.add(json.dumps(obj, sort_keys=True))
    assert len(outs) == 1


def test_module_entry_point_runs_in_a_subprocess():
    p = subprocess.run([sys.executable, "-m", "modelcheck.cli", "check", TWOPHASE, "--json"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["verdict"] == "holds"


def test_no_temporal_uses_symmetry_and_says_what_was_skipped(capsys):
    code, out, _ = run(capsys, "check", TWOPHASE, "--no-temporal", "--json")
    obj = json.loads(out)
    assert code == 0
    assert (obj["symmetry"], obj["distinct_states"]) == (True, 80)
    assert {p["property"]: p["verdict"] for p in obj["properties"]}["Termination"] == "undetermined"
    assert any("not checked" in w for w in obj["warnings"])
    code, out, _ = run(capsys, "check", TWOPHASE, "--json")
    obj = json.loads(out)
    assert (obj["symmetry"], obj["distinct_states"]) == (False, 288)
    assert {p["property"]: p["verdict"] for p in obj["properties"]}["Termination"] == "holds"
    assert any("symmetry is not applied" in w for w in obj["warnings"])
