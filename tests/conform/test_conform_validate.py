"""`modelcheck trace validate`: hand-written implementation traces against TwoPhase and
TwoPhaseCrash, each kind of divergence, partial observation resolved by search, bad input.

The traces in traces/ (top level) are written by hand (see the comments in the tests)
with RM = 3, so the participants are rm1..rm3 as the trace contract names them.
"""

from __future__ import annotations

import json

import pytest

from modelcheck.cli import main
from modelcheck.conform.events import TraceError, itf_behaviours, read_itf, read_jsonl
from modelcheck.conform.validate import INCORRECT, MISSING, UNEXPECTED, Validator, validate_behaviours
from tests.conform.conform_helpers import write_jsonl
from tests.helpers import CRASH, TRACES, TWOPHASE, load_spec

RM3 = {"RM": 3}


def run(path, trace, *extra):
    return main(["trace", "validate", path, str(trace), "--const", "RM=3", *extra])


def run_json(capsys, path, trace, *extra):
    code = run(path, trace, "--json", *extra)
    return code, json.loads(capsys.readouterr().out)


# ----------------------------------------------------------------------------- explained


def test_commit_trace_is_explained(capsys):
    code, out = run_json(capsys, TWOPHASE, TRACES / "tp_commit.jsonl")
    assert code == 0
    assert out["verdict"] == "explained"
    (b,) = out["behaviours"]
    # ten events; every action is named with its parameters and TwoPhase's actions are
    # deterministic, so exactly one spec state fits after every event
    assert (b["txn"], b["events"], b["candidates"], b["max_candidates"]) == ("t1", 10, 1, 1)


def test_commit_trace_is_complete(capsys):
    code, out = run_json(capsys, TWOPHASE, TRACES / "tp_commit.jsonl", "--complete")
    assert code == 0 and out["verdict"] == "explained"


# ----------------------------------------------------------------------------- divergences


def test_unexpected_action_names_the_false_guard(capsys):
    """The TM commits having received two Prepared messages (events 4, 5): TMCommit's
    guard canCommit is false, because tmPrepared == RM is."""
    assert run(TWOPHASE, TRACES / "tp_early_commit.jsonl") == 1
    text = capsys.readouterr().out
    assert "event 6 (line 6), process tm: TMCommit" in text
    assert "unexpected action" in text
    assert "twophase.mc:67:11: require canCommit is false" in text
    assert "   67 |   require canCommit\n" in text
    assert "          |           ^^^^^^^^^\n" in text
    assert "false: tmPrepared == RM" in text
    assert "tmPrepared = {rm1, rm2}" in text and "RM = {rm1, rm2, rm3}" in text

    code, out = run_json(capsys, TWOPHASE, TRACES / "tp_early_commit.jsonl")
    d = out["behaviours"][0]["divergence"]
    assert (d["kind"], d["event"], d["line"], d["proc"], d["action"]) == (UNEXPECTED, 6, 6, "tm", "TMCommit")
    (inst,) = d["instances"]
    (group,) = inst["explanations"]
    (f,) = group["failures"]
    assert (f["kind"], f["text"], f["line"], f["col"]) == ("require", "canCommit", 67, 11)
    (exp,) = f["expansions"]
    assert exp["failed"]["text"] == "tmPrepared == RM"
    assert ["tmPrepared", "{rm1, rm2}"] in exp["values"] and ["RM", "{rm1, rm2, rm3}"] in exp["values"]
    assert d["candidates_before"]["count"] == 1
    assert d["candidates_before"]["agree"]["tmPrepared"] == "{rm1, rm2}"


def test_incorrect_state_shows_expected_and_observed(capsys):
    """rm2 logs `committed` for its RMPrepare step: the action fires, into `prepared`."""
    code, out = run_json(capsys, TWOPHASE, TRACES / "tp_wrong_state.jsonl")
    assert code == 1
    d = out["behaviours"][0]["divergence"]
    assert (d["kind"], d["event"], d["line"], d["proc"], d["action"]) == (INCORRECT, 2, 2, "rm2", "RMPrepare(rm=rm2)")
    (group,) = d["instances"][0]["explanations"]
    assert group["fired"]
    assert group["successors"] == [[{"variable": "rmState[rm2]", "expected": "prepared", "observed": "committed"}]]
    run(TWOPHASE, TRACES / "tp_wrong_state.jsonl")
    assert "rmState[rm2]: the spec gives prepared, observed committed" in capsys.readouterr().out


def test_missing_action_with_complete(capsys):
    """The trace stops after rm1 received Commit; rm2 and rm3 are obliged (weak fairness
    of RMRcvCommitMsg(*)) to receive it too, and Termination is still pending. Without
    --complete the trace is a fine prefix of a behaviour."""
    assert run(TWOPHASE, TRACES / "tp_incomplete.jsonl") == 0
    capsys.readouterr()
    code, out = run_json(capsys, TWOPHASE, TRACES / "tp_incomplete.jsonl", "--complete")
    assert code == 1
    d = out["behaviours"][0]["divergence"]
    assert (d["kind"], d["event"], d["action"]) == (MISSING, 9, "end of trace")
    assert d["fair_steps_enabled"] == [["RMRcvCommitMsg(rm=rm2) (weak RMRcvCommitMsg(*))",
                                        "RMRcvCommitMsg(rm=rm3) (weak RMRcvCommitMsg(*))"]]
    assert d["liveness_pending"] == [["Termination [termination]"]]


def test_missing_action_when_the_spec_itself_blocks(capsys):
    """crash.mc without recovery: every RM prepared, then the coordinator crashed. No
    fair step is enabled (TMRecover needs TMCanRecover), yet Termination is pending: the
    report says the spec itself allows stopping there (the blocking result)."""
    code, out = run_json(capsys, CRASH, TRACES / "crash_blocked.jsonl", "--complete")
    assert code == 1
    d = out["behaviours"][0]["divergence"]
    assert d["kind"] == MISSING
    assert d["fair_steps_enabled"] == [[]]
    assert d["liveness_pending"] == [["Termination [termination]"]]
    run(CRASH, TRACES / "crash_blocked.jsonl", "--complete")
    assert "the spec itself allows stopping here" in capsys.readouterr().out
    # with recovery, TMRecover is weakly fair and enabled: a missing step, named
    code, out = run_json(capsys, CRASH, TRACES / "crash_blocked.jsonl", "--complete", "--config", "recovery")
    assert out["behaviours"][0]["divergence"]["fair_steps_enabled"] == [["TMRecover (weak TMRecover)"]]


def test_second_crash_is_unexpected(capsys):
    """MaxCrashes = 1: the second TMCrash (event 6) finds crashes < MaxCrashes false;
    its first conjunct tmState != tmDown holds (the TM recovered), so the second is named."""
    code, out = run_json(capsys, CRASH, TRACES / "crash_twice.jsonl", "--config", "recovery")
    assert code == 1
    d = out["behaviours"][0]["divergence"]
    assert (d["kind"], d["event"], d["action"]) == (UNEXPECTED, 6, "TMCrash")
    (f,) = d["instances"][0]["explanations"][0]["failures"]
    assert (f["text"], f["line"], f["col"]) == ("crashes < MaxCrashes", 83, 33)
    assert f["values"] == [["crashes", "1"], ["MaxCrashes", "1"]]


# ----------------------------------------------------------------------------- transactions


def test_process_level_events_join_the_transactions_begun_before_them(capsys):
    """crash_two_txns.jsonl: t1 commits (11 events with TMSendCommit), the coordinator
    crashes and recovers (txn null, after t1 began: t1 only), t2 begins (rm1 aborts, the
    TM aborts), the coordinator crashes and recovers again (both t1 and t2), t2 ends. So
    t1 has 11 + 2 + 2 = 15 events and t2 has 2 + 2 + 4 = 8. With MaxCrashes = 1, t1's
    second crash (its event 14, line 16) is one too many; t2 saw only one crash."""
    code, out = run_json(capsys, CRASH, TRACES / "crash_two_txns.jsonl", "--config", "recovery")
    assert code == 1
    t1, t2 = out["behaviours"]
    assert (t1["txn"], t1["events"], t1["verdict"]) == ("t1", 15, "divergence")
    assert (t1["divergence"]["event"], t1["divergence"]["line"], t1["divergence"]["action"]) == (14, 16, "TMCrash")
    assert (t2["txn"], t2["events"], t2["verdict"]) == ("t2", 8, "explained")
    code, out = run_json(capsys, CRASH, TRACES / "crash_two_txns.jsonl", "--config", "recovery",
                         "--const", "MaxCrashes=2", "--complete")
    assert code == 0, out
    assert main(["trace", "validate", CRASH, str(TRACES / "crash_two_txns.jsonl"), "--const", "RM=3",
                 "--config", "recovery", "--txn", "t2"]) == 0
    assert main(["trace", "validate", CRASH, str(TRACES / "crash_two_txns.jsonl"), "--const", "RM=3",
                 "--txn", "t3"]) == 2
    assert "no transaction `t3`" in capsys.readouterr().err


def test_directory_of_per_process_files_is_merged(tmp_path, capsys):
    """One file per process, merged by (lc, proc): the commit trace split by process."""
    lines = [json.loads(x) for x in (TRACES / "tp_commit.jsonl").read_text().splitlines()]
    for proc in ("tm", "rm1", "rm2", "rm3"):
        write_jsonl(tmp_path / f"{proc}.trace.jsonl", [e for e in lines if e["proc"] == proc])
    code, out = run_json(capsys, TWOPHASE, tmp_path)
    assert code == 0 and out["events"] == 10
    # a divergence names the per-process file and its line: the early commit is the
    # TM's third event (two TMRcvPrepared, then TMCommit), so line 3 of tm.trace.jsonl
    lines = [json.loads(x) for x in (TRACES / "tp_early_commit.jsonl").read_text().splitlines()]
    bad = tmp_path / "bad"
    bad.mkdir()
    for proc in ("tm", "rm1", "rm2", "rm3"):
        write_jsonl(bad / f"{proc}.trace.jsonl", [e for e in lines if e["proc"] == proc])
    code, out = run_json(capsys, TWOPHASE, bad)
    d = out["behaviours"][0]["divergence"]
    assert (code, d["event"], d["file"], d["line"]) == (1, 6, str(bad / "tm.trace.jsonl"), 3)


# ----------------------------------------------------------------------------- partial observation


def _behaviour(model, events, tmp_path, name="t.jsonl"):
    return read_jsonl(write_jsonl(tmp_path / name, events), model)


def test_trace_logging_only_rmstate_validates(tmp_path):
    """Only rmState is ever observed (never tmState, tmPrepared, msgs). The actions are
    named with their parameters, the initial state is unique and every TwoPhase action
    is a function of the state and its parameters, so the candidate set is exactly one
    state after every event: the unobserved variables are determined by the actions."""
    sp = load_spec(TWOPHASE, **RM3)
    lines = [json.loads(x) for x in (TRACES / "tp_commit.jsonl").read_text().splitlines()]
    for e in lines:
        e["state"] = {k: v for k, v in e["state"].items() if k == "rmState"}
    (b,) = _behaviour(sp.model, lines, tmp_path)
    r = Validator(sp.model).validate(b, record=True, complete=True)
    assert r.verdict == "explained"
    assert r.sizes == (1,) * 11


def test_unknown_parameters_are_resolved_by_search(tmp_path):
    """The TM logs TMRcvPrepared without saying from whom, and nothing it observes. After
    the three RMPrepare steps one state fits; the first anonymous TMRcvPrepared could be
    from any of the three (3 states: tmPrepared = {rmX}); the second gives every set of
    one or two (3 + 3 = 6); the third every non-empty subset (7); TMCommit requires
    tmPrepared == RM, which leaves 1. Sizes: 1 (initial), 1, 1, 1, 3, 6, 7, 1."""
    sp = load_spec(TWOPHASE, **RM3)
    lines = [json.loads(x) for x in (TRACES / "tp_commit.jsonl").read_text().splitlines()][:7]
    for e in lines:
        if e["action"] == "TMRcvPrepared":
            e["params"], e["state"] = {}, {}
    (b,) = _behaviour(sp.model, lines, tmp_path)
    seen = []
    r = Validator(sp.model).validate(b, record=True, on_step=lambda k, c: seen.append(set(c)))
    assert r.verdict == "explained"
    assert r.sizes == (1, 1, 1, 1, 3, 6, 7, 1)
    i = sp.model.variables.index("tmPrepared")
    assert {s[i] for s in seen[6]} == {frozenset(x) for x in ({0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}, {0, 1, 2})}


def test_divergence_summary_of_several_candidates(tmp_path):
    """Two anonymous TMRcvPrepared after rm1 and rm2 prepared, then TMCommit: 3 states
    fit before TMCommit (tmPrepared = {rm1}, {rm2}, {rm1, rm2}); none has every RM
    prepared, and the summary shows where they agree and differ."""
    sp = load_spec(TWOPHASE, **RM3)
    lines = [json.loads(x) for x in (TRACES / "tp_commit.jsonl").read_text().splitlines()]
    evs = [lines[0], lines[1], dict(lines[3], params={}, state={}), dict(lines[4], params={}, state={}), lines[6]]
    (b,) = _behaviour(sp.model, evs, tmp_path)
    r = Validator(sp.model).validate(b)
    d = r.divergence
    assert (d.kind, d.event) == (UNEXPECTED, 5)
    assert d.before.count == 3
    assert dict(d.before.differ)["tmPrepared"] == (("{rm1}", 1), ("{rm2}", 1), ("{rm1, rm2}", 1))
    assert dict(d.before.agree)["tmState"] == "init"
    (inst,) = d.instances
    assert sum(g.states for g in inst.groups) == 3


def test_itf_without_actions_is_searched(tmp_path):
    """An ITF trace (another tool's) that names no action and observes only rmState: the
    step into states[1] (rm1 prepared) is RMPrepare(rm1) only; states[2] repeats the
    rmState, which three steps explain: stuttering, TMRcvPrepared(rm1) and TMAbort (no
    RM action leaves rmState unchanged there). So 1, 1, 3 states."""
    sp = load_spec(TWOPHASE, **RM3)

    def st(a):
        return {"rmState": {"#map": [["rm1", a], ["rm2", "working"], ["rm3", "working"]]}}

    obj = {"vars": ["rmState"], "states": [st("working"), st("prepared"), st("prepared")]}
    (b,) = itf_behaviours(obj, sp.model)
    r = Validator(sp.model).validate(b, record=True)
    assert r.verdict == "explained" and r.sizes == (1, 1, 3)


# ----------------------------------------------------------------------------- ITF traces


def test_itf_counterexample_validates(tmp_path, capsys):
    """`check --json` gives an ITF counterexample; validate reads it (with its
    mbt::actionTaken / mbt::nondetPicks) and explains it, under the same constants."""
    assert main(["check", TWOPHASE, "--const", "BugCommitOnAny=true", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    f = tmp_path / "cx.itf.json"
    f.write_text(json.dumps(result["violations"][0]["trace"]))
    assert main(["trace", "validate", TWOPHASE, str(f), "--const", "BugCommitOnAny=true"]) == 0
    capsys.readouterr()
    # without the seeded bug the spec does not allow TMCommit there
    assert main(["trace", "validate", TWOPHASE, str(f), "--json"]) == 1
    d = json.loads(capsys.readouterr().out)["behaviours"][0]["divergence"]
    assert d["kind"] == UNEXPECTED and d["action"] == "TMCommit"
    assert d["line"] is not None  # the line of states[k] in the file


def test_itf_initial_state_divergence(tmp_path):
    sp = load_spec(TWOPHASE, **RM3)
    obj = {"vars": ["tmState"], "states": [{"tmState": "tmCommitted"}]}
    (b,) = itf_behaviours(obj, sp.model)
    r = Validator(sp.model).validate(b)
    assert (r.divergence.kind, r.divergence.event) == (INCORRECT, 0)
    (g,) = r.divergence.instances[0].groups
    assert [d.to_dict() for d in g.mismatches[0]] == [
        {"variable": "tmState", "expected": "init", "observed": "tmCommitted"}]


# ----------------------------------------------------------------------------- bad input


BAD = [
    ('{"v": 1, "proc": "rm1", "action": "RMPrepar", "params": {"rm": "rm1"}}',
     "unknown action `RMPrepar`: the spec TwoPhase has no such action; did you mean `RMPrepare`?"),
    ('{"v": 1, "proc": "rm1", "action": "RMPrepare", "params": {"r": "rm1"}}',
     "action `RMPrepare` has no parameter `r` (its parameters: rm); did you mean `rm`?"),
    ('{"v": 1, "proc": "rm1", "action": "RMPrepare", "state": {"rmstate": {}}}',
     "unknown variable `rmstate`: the spec TwoPhase has no such variable; did you mean `rmState`?"),
    ('{"v": 1, "proc": "rm1", "action": "RMPrepare", "params": {"rm": "r1"}}',
     "params.rm: 'r1' is not a model value of RM (rm1, rm2, rm3)"),
    ('{"v": 1, "proc": "tm", "action": "TMAbort", "state": {"tmState": "aborted"}}',
     'state.tmState: "aborted" is not a value of TMState (init, tmCommitted, tmAborted); did you mean `tmAborted`?'),
    ('{"v": 1, "proc": "rm1", "action": "RMPrepare"', "not valid JSON: Expecting ',' delimiter (column "),
    ('{"v": 2, "proc": "rm1", "action": "RMPrepare"}', "unsupported format version 2 (this validator reads v = 1)"),
    ('{"v": 1, "proc": "rm1", "lc": 0, "action": "RMPrepare"}', "`lc` must be an integer >= 1, found 0"),
    ('{"v": 1, "proc": "rm1", "actoin": "RMPrepare"}', "unknown field `actoin`; did you mean `action`?"),
    ('["RMPrepare"]', "an event must be a JSON object"),
]


@pytest.mark.parametrize("line,message", BAD, ids=[m.split(":")[0][:30] for _, m in BAD])
def test_bad_trace_line_is_located(tmp_path, capsys, line, message):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"v": 1, "proc": "rm2", "lc": 1, "action": "RMPrepare", "params": {"rm": "rm2"}}\n\n' + line + "\n")
    assert run(TWOPHASE, f) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{f}:3: {message}"), err
    assert "Traceback" not in err
    code, out = run_json(capsys, TWOPHASE, f)
    assert code == 2 and out["verdict"] == "error"
    assert out["errors"][0]["line"] == 3 and out["errors"][0]["message"].startswith(message)


def test_every_bad_line_is_reported(tmp_path, capsys):
    f = tmp_path / "bad.jsonl"
    f.write_text("".join(line + "\n" for line, _ in BAD))
    assert run(TWOPHASE, f) == 2
    err = capsys.readouterr().err.splitlines()
    located = [e for e in err if e.startswith(f"{f}:")]
    assert [int(e.split(":")[1]) for e in located] == list(range(1, len(BAD) + 1))


def test_clock_must_increase_per_process(tmp_path, capsys):
    f = tmp_path / "lc.jsonl"
    f.write_text('{"v": 1, "proc": "rm1", "lc": 3, "action": "RMPrepare", "params": {"rm": "rm1"}}\n'
                 '{"v": 1, "proc": "rm1", "lc": 3, "action": "RMChooseToAbort", "params": {"rm": "rm1"}}\n')
    assert run(TWOPHASE, f) == 2
    assert f"{f}:2: `lc` 3 of process rm1 does not increase (line 1 has lc 3)" in capsys.readouterr().err


def test_missing_trace_and_not_itf(tmp_path, capsys):
    assert run(TWOPHASE, tmp_path / "nope.jsonl") == 2
    assert "no such trace file" in capsys.readouterr().err
    f = tmp_path / "x.json"
    f.write_text('{"hello": 1}')
    assert run(TWOPHASE, f) == 2
    assert "not an ITF trace" in capsys.readouterr().err


def test_itf_bad_state_is_located(tmp_path, capsys):
    sp = load_spec(TWOPHASE, **RM3)
    obj = {"vars": ["rmState", "tmStat"], "states": [{"#meta": {"index": 0}, "tmStat": "init"}]}
    f = tmp_path / "t.itf.json"
    f.write_text(json.dumps(obj, indent=2))
    with pytest.raises(TraceError) as e:
        read_itf(f, sp.model)
    msgs = [p.render() for p in e.value.problems]
    assert "unknown variable `tmStat` in `vars`" in msgs[0] and "did you mean `tmState`?" in msgs[0]
    # json.dumps(indent=2) puts `"states": [` on line 6 and the state's `{` on line 7
    assert msgs[1].startswith(f"{f}:7: states[0]: unknown variable `tmStat`")


def test_python_api():
    from modelcheck.conform import validate_trace

    model = load_spec(TWOPHASE, **RM3).model
    r = validate_trace(model, TRACES / "tp_commit.jsonl")
    assert (r.verdict, r.exit_code, r.events, r.format) == ("explained", 0, 10, "jsonl")
    r = validate_trace(model, TRACES / "tp_incomplete.jsonl", complete=True)
    assert r.exit_code == 1 and r.behaviours[0].divergence.kind == MISSING
    r2 = validate_behaviours(model, read_jsonl(TRACES / "tp_early_commit.jsonl", model))
    assert r2.behaviours[0].divergence.event == 6


# ----------------------------------------------------------------------------- limits and odd inputs


def test_too_many_candidates_is_undetermined(tmp_path, capsys):
    """An ITF trace of 4 states that observes nothing and names no action: after three
    anonymous steps from the initial state of TwoPhase (RM = 3) more than 5 states fit."""
    obj = {"vars": [], "states": [{}, {}, {}, {}]}
    f = tmp_path / "blind.itf.json"
    f.write_text(json.dumps(obj))
    code, out = run_json(capsys, TWOPHASE, f, "--max-candidates", "5")
    assert code == 3 and out["verdict"] == "undetermined"
    assert "more than 5 spec states" in out["behaviours"][0]["message"]


def test_quint_option_encoded_picks(tmp_path):
    """Quint writes nondetPicks as options; `None` means the parameter was not picked."""
    sp = load_spec(TWOPHASE, **RM3)
    obj = {"vars": ["rmState"], "states": [
        {"mbt::actionTaken": "init", "mbt::nondetPicks": {}},
        {"mbt::actionTaken": "RMPrepare", "mbt::nondetPicks": {"rm": {"tag": "Some", "value": "rm2"}},
         "rmState": {"#map": [["rm2", "prepared"]]}},
        {"mbt::actionTaken": "RMChooseToAbort", "mbt::nondetPicks": {"rm": {"tag": "None", "value": {"#tup": []}}},
         "rmState": {"#map": [["rm2", "prepared"], ["rm1", "aborted"]]}},
    ]}
    (b,) = itf_behaviours(obj, sp.model)
    assert b.events[0].params == (1,) and b.events[1].params is None
    r = Validator(sp.model).validate(b, record=True)
    assert r.verdict == "explained" and r.sizes == (1, 1, 1)


def test_runtime_error_in_the_spec_is_explained(tmp_path, capsys):
    """A map lookup outside its domain while validating is the spec's MC300 error (exit
    2), located, not a traceback."""
    spec_file = tmp_path / "m.mc"
    spec_file.write_text(
        "module M\n"
        "var m: map[0..3, bool]\n"
        "init { m = map() }\n"
        "action Set(k in 0..3) {\n"
        "  m' = m.put(k, true)\n"
        "}\n"
        "action Flip(k in 0..3) {\n"
        "  require m[k] or true\n"
        "  m' = m.put(k, not m[k])\n"
        "}\n")
    f = tmp_path / "t.jsonl"
    f.write_text('{"v": 1, "proc": "p", "action": "Flip", "params": {"k": 2}}\n')
    assert main(["trace", "validate", str(spec_file), str(f)]) == 2
    err = capsys.readouterr().err
    # located at the event's instance (k = 2) and at the lookup that fails; `m[k] or
    # true` in the guard is folded to true by the compiler, so the update fails first
    assert err.startswith("MC300 runtime error in action Flip(k=2): lookup of a key outside the domain: 2\n")
    assert f"at {spec_file}:9:21" in err and "while following the event on line 1" in err
    assert "Traceback" not in err
