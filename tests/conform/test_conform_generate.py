"""`modelcheck trace generate`: covering sets and random walks as ITF traces."""

from __future__ import annotations

import json
from collections import deque

import pytest

from modelcheck.cli import main
from modelcheck.conform.events import read_itf, read_jsonl
from modelcheck.conform.generate import cover_actions, cover_transitions, generate
from modelcheck.conform.replay import replay_file
from modelcheck.conform.validate import validate_behaviours
from tests.conform.conform_helpers import encode_walk, write_jsonl
from tests.helpers import CRASH, TWOPHASE, load_spec


def gen(tmp_path, path, *args, out="out"):
    return main(["trace", "generate", path, "--out", str(tmp_path / out), *args])


def manifest(tmp_path, out="out"):
    return json.loads((tmp_path / out / "manifest.json").read_text())


def test_cover_actions_twophase(tmp_path, capsys):
    """TwoPhase with RM = 3 has 17 action instances: TMRcvPrepared, RMPrepare,
    RMChooseToAbort, RMRcvCommitMsg, RMRcvAbortMsg for each of 3 RMs (15), TMCommit and
    TMAbort. All are reachable, and every generated trace replays as legal."""
    assert gen(tmp_path, TWOPHASE, "--cover", "actions") == 0
    out = capsys.readouterr().out
    assert "cover actions: 17 of 17 action instances covered (288 states explored, exhaustive)" in out
    m = manifest(tmp_path)
    (cov,) = m["coverage"]
    assert (cov["covered"], cov["total"], cov["missing"], cov["exhaustive"]) == (17, 17, [], True)
    sp = load_spec(TWOPHASE)
    taken = set()
    for t in m["traces"]:
        (r,) = replay_file(sp.model, str(tmp_path / "out" / t["file"]))
        assert r.legal and r.states == t["states"]
        data = json.loads((tmp_path / "out" / t["file"]).read_text())
        for st in data["states"][1:]:
            taken.add((st["mbt::actionTaken"], json.dumps(st["mbt::nondetPicks"], sort_keys=True)))
    assert len(taken) == 17
    # the `covers` lists partition the instances: each is reported by the trace that takes it first
    firsts = [c for t in m["traces"] for c in t["covers"]]
    assert len(firsts) == len(set(firsts)) == 17


def test_never_enabled_is_listed(tmp_path, capsys):
    """crash.mc: 21 instances (TMRcvPrepared x3, TMCommit, TMAbort, TMSendCommit,
    TMSendAbort, TMCrash, TMRecover, four RM actions x3); without TMCanRecover the guard
    of TMRecover is false everywhere: 20 of 21, and the search was exhaustive."""
    assert gen(tmp_path, CRASH, "--cover", "actions") == 0
    out = capsys.readouterr().out
    assert "cover actions: 20 of 21 action instances covered" in out
    assert "never enabled: TMRecover" in out
    (cov,) = manifest(tmp_path)["coverage"]
    assert cov["missing"] == ["TMRecover"] and cov["exhaustive"]


def test_depth_bound_reports_what_it_could_not_reach():
    """TMCommit needs 3 RMPrepare and 3 TMRcvPrepared first: 8 states with it. With at
    most 5 states per trace it (and every RMRcvCommitMsg) stays uncovered, and the
    exploration is not exhaustive."""
    sp = load_spec(TWOPHASE)
    traces, cov = cover_actions(sp.model, depth=5)
    assert not cov.exhaustive
    assert {"TMCommit", "RMRcvCommitMsg(rm=r1)", "RMRcvCommitMsg(rm=r2)", "RMRcvCommitMsg(rm=r3)"} <= set(cov.missing)
    assert all(len(t.states) <= 5 for t in traces)
    traces, cov = cover_actions(sp.model, depth=8)
    assert "TMCommit" not in cov.missing


def edges_of(model):
    """Every edge (state, label, next state) of the reachable graph, computed here."""
    seen, q, edges = set(), deque(), set()
    for s in model.initial_states():
        seen.add(s)
        q.append(s)
    while q:
        s = q.popleft()
        for lab, t in model.successors(s):
            edges.add((s, lab, t))
            if t not in seen:
                seen.add(t)
                q.append(t)
    return edges


@pytest.mark.parametrize("path,config", [(TWOPHASE, None), (CRASH, "recovery")])
def test_cover_transitions_takes_every_edge(path, config):
    sp = load_spec(path, config)
    expected = edges_of(sp.model)
    traces, cov = cover_transitions(sp.model, depth=50)
    taken = set()
    for t in traces:
        assert len(t.states) <= 50
        for k in range(1, len(t.states)):
            e = (t.states[k - 1], t.labels[k], t.states[k])
            assert e in expected  # every step is an edge of the graph
            taken.add(e)
    assert taken == expected
    assert (cov.covered, cov.total, cov.missing) == (len(expected), len(expected), ())


def test_cover_transitions_refuses_big_graphs(tmp_path, capsys):
    assert gen(tmp_path, TWOPHASE, "--cover", "transitions", "--max-states", "100") == 2
    err = capsys.readouterr().err
    assert "more than 100 states" in err and "--max-states" in err
    assert not (tmp_path / "out").exists()


def test_walks_are_deterministic(tmp_path, capsys):
    assert gen(tmp_path, TWOPHASE, "--traces", "5", "--seed", "7", out="a") == 0
    assert gen(tmp_path, TWOPHASE, "--traces", "5", "--seed", "7", out="b") == 0
    assert gen(tmp_path, TWOPHASE, "--traces", "5", "--seed", "8", out="c") == 0
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == ["manifest.json"] + [f"walk-000{k}.itf.json" for k in range(1, 6)]
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert any((tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes() for f in files)


def test_never_overwrites_without_force(tmp_path, capsys):
    assert gen(tmp_path, TWOPHASE, "--cover", "actions") == 0
    target = tmp_path / "out" / "actions-0001.itf.json"
    target.write_text("mine")
    assert gen(tmp_path, TWOPHASE, "--cover", "actions") == 2
    assert "actions-0001.itf.json exists" in capsys.readouterr().err
    assert target.read_text() == "mine"
    assert gen(tmp_path, TWOPHASE, "--cover", "actions", "--force") == 0
    assert target.read_text() != "mine"


def test_generated_traces_validate(tmp_path):
    """Generated traces are explained by `trace validate`: as ITF, and as implementation
    traces (each step logged by its process, owning what it logs)."""
    sp = load_spec(CRASH, config="recovery")
    g = generate(sp.model, "actions", 3, 30, 1)
    from modelcheck.conform.generate import write

    write(sp.model, g, tmp_path / "g", force=False)
    for t in g.traces:
        r = validate_behaviours(sp.model, read_itf(tmp_path / "g" / t.file, sp.model))
        assert r.verdict == "explained"
        events = encode_walk(sp.model, list(t.states), list(t.labels), observe="owner")
        f = write_jsonl(tmp_path / f"{t.file}.jsonl", events)
        r = validate_behaviours(sp.model, read_jsonl(f, sp.model), complete=False)
        assert r.verdict == "explained"


def test_json_output(tmp_path, capsys):
    assert gen(tmp_path, CRASH, "--cover", "actions", "--traces", "2", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {**manifest(tmp_path), "out": str(tmp_path / "out"), "seconds": out["seconds"]}
    assert [c["mode"] for c in out["coverage"]] == ["actions", "walks"]
    assert [t["kind"] for t in out["traces"]][-2:] == ["walk", "walk"]


# --reach: targeted witnesses

REACH = ["tmState == tmCommitted",                                             # a state predicate
         "exists r in RM: rmState[r] == working and rmState'[r] == prepared",   # a step predicate
         "tmState == tmCommitted and tmState' == tmAborted",                   # no such step
         "size(tmPrepared) == 2"]


def test_reach_writes_a_shortest_trace_per_predicate(tmp_path, capsys):
    """TwoPhase, RM = 3: TMCommit needs three RMPrepare and three TMRcvPrepared (8
    states), one RMPrepare is the shortest step predicate's witness (2 states), two
    prepared RMs heard of take 5 states; a commit is never followed by an abort: the whole
    graph (288 states) is explored for it, it is unreachable and the exit status 1. Each
    trace replays as legal and ends where its predicate holds."""
    args = [x for r in REACH for x in ("--reach", r)]
    assert gen(tmp_path, TWOPHASE, *args) == 1
    out = capsys.readouterr().out
    assert "--reach: 3 of 4 predicates reached (288 states explored)" in out
    assert "unreachable: tmState == tmCommitted and tmState' == tmAborted" in out
    m = manifest(tmp_path)
    assert [(t["file"], t["states"], t["covers"]) for t in m["traces"]] == [
        ("reach-0001.itf.json", 8, [REACH[0]]), ("reach-0002.itf.json", 2, [REACH[1]]),
        ("reach-0004.itf.json", 5, [REACH[3]])]
    (cov,) = m["coverage"]
    assert (cov["mode"], cov["covered"], cov["total"], cov["missing"], cov["exhaustive"]) == \
        ("reach", 3, 4, [REACH[2]], True)
    sp = load_spec(TWOPHASE)
    for t in m["traces"]:
        (r,) = replay_file(sp.model, str(tmp_path / "out" / t["file"]))
        assert r.legal and r.states == t["states"]
    itfs = [json.loads((tmp_path / "out" / t["file"]).read_text()) for t in m["traces"]]
    assert itfs[0]["#meta"]["description"] == f"reach trace 1 (--reach {REACH[0]}) generated by modelcheck trace generate"
    last = [d["states"][-1] for d in itfs]
    assert last[0]["tmState"] == "tmCommitted" and last[0]["mbt::actionTaken"] == "TMCommit"
    assert last[1]["mbt::actionTaken"] == "RMPrepare"
    assert len(last[2]["tmPrepared"]["#set"]) == 2


def test_reach_within_bounds_says_not_reached(tmp_path, capsys):
    """With at most 7 states per trace TMCommit's state is out of reach: not reached, not
    unreachable (the exploration stopped: exit 3, undetermined); the initial state
    satisfies a predicate at once: a trace of one state. The note names the bound that
    stopped the search."""
    assert gen(tmp_path, TWOPHASE, "--depth", "7", "--reach", REACH[0], "--reach", "tmState == init") == 3
    out = capsys.readouterr().out
    assert "--reach: 1 of 2 predicates reached" in out and f"not reached: {REACH[0]}" in out
    (cov,) = manifest(tmp_path)["coverage"]
    assert not cov["exhaustive"] and "--depth" in cov["note"]
    assert [(t["file"], t["states"]) for t in manifest(tmp_path)["traces"]] == [("reach-0002.itf.json", 1)]
    assert gen(tmp_path, TWOPHASE, "--max-states", "50", "--reach", REACH[0], out="small") == 3
    (cov,) = manifest(tmp_path, "small")["coverage"]
    assert cov["note"].startswith("exploration stopped at 50 states (--max-states), at traces of 4 states")


@pytest.mark.parametrize("expr,message", [
    ("rmState", "MC210 a --reach predicate: expected bool, found RM -> RMState"),
    ("tmStat == init", "unknown name `tmStat`; did you mean `tmState`?"),
    ("eventually tmState == init", "MC280"),
])
def test_reach_predicate_errors(tmp_path, capsys, expr, message):
    assert gen(tmp_path, TWOPHASE, "--reach", expr) == 2
    err = capsys.readouterr().err
    assert message in err and "--reach:1:" in err
    assert not (tmp_path / "out").exists()


def test_reach_on_a_handwritten_model():
    """reach() sees the model only through the protocol: the hand-written TwoPhase gives
    the compiled spec's lengths."""
    from modelcheck.conform.generate import Target, reach
    from tests.models.handwritten import twophase

    committed = Target("committed", False, lambda s: s[1] == "tmCommitted")
    aborts = Target("an RM aborts", True, lambda s, t: "aborted" not in s[0] and "aborted" in t[0])
    traces, cov = reach(twophase(3), [committed, aborts])
    assert [(t.number, len(t.states)) for t in traces] == [(1, 8), (2, 2)]
    assert (cov.covered, cov.total, cov.exhaustive) == (2, 2, False)
    assert traces[1].labels[0] is None and traces[1].states[-1][0].count("aborted") == 1
