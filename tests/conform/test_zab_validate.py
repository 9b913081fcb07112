"""Issue 19 §1: the reference ZooKeeper's traces validated against specs/zab/zab_impl.mc
(ZAB at the implementation's grain; docs/conformance.md, "ZAB: the reference ZooKeeper
against zab.mc"): the deterministic scheduler's runs with crashes and restarts, each seeded
implementation bug of docs/reference-zab.md, a divergence report of each kind on a trace
corrupted on purpose, and (slow) a real three-server run whose leader is killed and
restarted.

The expected event counts are those of the scheduler's runs as they are (they change when
the scheduler or the core's tracing changes: then look at the new run, not at this file);
the expected divergences were read off the runs and checked against the bug each one seeds
(the comment at each case says why that event is where the bug shows).
"""

from __future__ import annotations

import json
import shutil
import time

import pytest

from modelcheck.cli import main
from reference.zab.sim import Sim
from tests.conform.conform_helpers import ZAB_IMPL as SPEC
from tests.conform.conform_helpers import validate_zab, write_jsonl


_RUNS: dict = {}


def sim_trace(tmp_path, seed: int, bugs=(), n: int = 3):
    """The run of tests/reference/zab/test_zab_sim.py with this seed, traced (each run
    made once per test process: several tests read the same one, none changes it)."""
    key = (seed, tuple(bugs), n)
    if key not in _RUNS:
        s = Sim(n, seed=seed, bugs=bugs, trace=True).run(3000, fault_weight=0.02).heal()
        path = tmp_path / f"sim{seed}-n{n}{'-' + '-'.join(bugs) if bugs else ''}.jsonl"
        s.write_trace(str(path))
        _RUNS[key] = (path, s)
    return _RUNS[key]


def rewrite(src, dst, change):
    """Copy a trace, letting change(k, event) edit event k (0-based) in place."""
    events = [json.loads(x) for x in open(src)]
    for k, e in enumerate(events):
        change(k, e)
    with open(dst, "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")


def first_failure(div):
    (inst,) = div["instances"]
    (group,) = inst["explanations"]
    return group["failures"][0]


# ----------------------------------------------------------------------------- explained

# seed -> events of its run (every one with crashes and restarts)
SIM_EVENTS = {0: 949, 1: 914, 2: 856, 3: 1049, 4: 945, 5: 977}


@pytest.mark.parametrize("seed", sorted(SIM_EVENTS))
def test_scheduler_runs_with_crashes_are_explained(tmp_path, seed):
    path, sim = sim_trace(tmp_path, seed)
    crashes = sum(1 for st in sim.steps if st[0] == "crash")
    assert crashes >= 5
    code, out = validate_zab(path, "--complete")
    assert code == 0 and out["verdict"] == "explained", out["behaviours"]
    (b,) = out["behaviours"]
    assert b["events"] == SIM_EVENTS[seed]
    assert b["candidates"] == 1                  # the trace pins the spec state down at the end
    actions = {json.loads(x)["action"] for x in open(path)}
    assert {"Restart", "Timeout", "LeaderProcessACKEPOCH", "FollowerProcessNEWLEADER", "LeaderProcessACK",
            "FollowerProcessCOMMIT", "LeaderSyncLog"} <= actions


def test_five_servers(tmp_path, capsys):
    path, _ = sim_trace(tmp_path, 3, n=5)
    code = main(["trace", "validate", SPEC, str(path), "--config", "validate", "--const", "N=5", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["verdict"] == "explained"
    assert out["behaviours"][0]["events"] > 500


# ----------------------------------------------------------------------------- seeded bugs

# (bug, seed of test_zab_sim.py at which it loses a committed write, event, action, guard)
BUGS = [
    # the follower ACKs an entry before its log is synced; the leader counts the ACK (the
    # entry is durable, says the spec), the follower crashes before the sync and restarts
    # without it
    ("ack-before-durable", 92, 185, "Restart", "last >= durable[i]"),
    # the follower stores the new current epoch, then the synchronised history; it crashes
    # in between and restarts with the new epoch and the old history
    ("epoch-before-history", 27, 105, "Restart", "last >= durable[i]"),
    # the follower ignores TRUNC: what it keeps of its own history is no entry of the leader's
    ("no-truncate", 0, 459, "FollowerProcessNEWLEADER", "kept == 0 or kept in elems(h)"),
    # the leader sends COMMIT as it proposes: the follower receives a COMMIT that the spec's
    # leader, without a quorum of ACKs, never sent (its zxid is in no message on the channel)
    ("commit-without-quorum", 0, 35, "FollowerProcessCOMMIT", "sent(i, leader)"),
]


@pytest.mark.parametrize("bug,seed,event,action,guard", BUGS, ids=[b[0] for b in BUGS])
def test_each_seeded_bug_is_caught(tmp_path, bug, seed, event, action, guard):
    path, _ = sim_trace(tmp_path, seed, bugs=(bug,))
    code, out = validate_zab(path)
    assert code == 1 and out["verdict"] == "divergence"
    div = out["behaviours"][0]["divergence"]
    assert div["kind"] == "unexpected-action"
    assert (div["event"], div["action"].split("(")[0]) == (event, action)
    f = first_failure(div)
    assert f["kind"] == ("parameter" if bug == "commit-without-quorum" else "require") and f["text"] == guard
    # the same schedule without the bug is explained
    clean, _ = sim_trace(tmp_path, seed)
    assert validate_zab(clean)[0] == 0


# ----------------------------------------------------------------------------- reports


def test_a_commit_never_sent_names_the_guard_and_its_values(tmp_path, capsys):
    """Event 141 of seed 0 is follower 1's COMMIT of epoch 3's first zxid; made into a
    second COMMIT of 8589934593 (epoch 2's first, committed long before), it has no message."""
    src, _ = sim_trace(tmp_path, 0)
    bad = tmp_path / "bad.jsonl"

    def change(k, e):
        if k == 140:
            assert e["action"] == "FollowerProcessCOMMIT" and e["params"]["zxid"] == 12884901889
            e["params"]["zxid"] = 8589934593
    rewrite(src, bad, change)
    code, out = validate_zab(bad)
    assert code == 1
    div = out["behaviours"][0]["divergence"]
    assert (div["kind"], div["event"], div["proc"]) == ("unexpected-action", 141, "s1")
    assert div["action"] == "FollowerProcessCOMMIT(i=1, leader=3, zxid=8589934593)"
    assert div["candidates_before"]["count"] == 1
    f = first_failure(div)
    # the zxid is in no message from the leader: the report lists those that are
    assert (f["kind"], f["text"]) == ("parameter", "sent(i, leader)")
    assert f["message"] == "zxid = 8589934593 is not in sent(i, leader)"
    assert f["values"] == [["sent(i, leader)", "{0, 12884901889}"]]
    # the text report says the same
    main(["trace", "validate", SPEC, str(bad), "--config", "validate"])
    text = capsys.readouterr().out
    assert "event 141 (line 141), process s1: FollowerProcessCOMMIT(i=1, leader=3, zxid=8589934593)" in text
    assert "zab_impl.mc:" in text and "zxid = 8589934593 is not in sent(i, leader)" in text


def test_a_late_divergence_elides_long_histories(tmp_path, capsys):
    """A divergence late in a long run printed every server's whole history (a real run's
    report was 343 KB); a collection of more than 16 elements shows its first and last
    few around "... N more ...". The elements shown are the spec state's own."""
    src, _ = sim_trace(tmp_path, 0)
    events = [json.loads(x) for x in open(src)]
    last = max(k for k, e in enumerate(events) if e["action"] == "FollowerProcessCOMMIT")
    bad = tmp_path / "bad.jsonl"

    def change(k, e):
        if k == last:
            e["params"]["zxid"] = 1                          # no server ever sent zxid 1
    rewrite(src, bad, change)
    main(["trace", "validate", SPEC, str(bad), "--config", "validate"])
    text = capsys.readouterr().out
    assert f"event {last + 1} (line {last + 1})" in text
    line = next(x for x in text.splitlines() if x.strip().startswith("history = "))
    assert " more ..., " in line and len(line) < 2000
    assert len(text) < 8000


def test_an_observed_state_that_differs_is_expected_vs_observed(tmp_path):
    """The second NEWLEADER of seed 0 (event 66: follower 1 adopts epoch 2) observed with
    currentEpoch 7."""
    src, _ = sim_trace(tmp_path, 0)
    bad = tmp_path / "bad.jsonl"

    def change(k, e):
        if k == 65:
            assert e["action"] == "FollowerProcessNEWLEADER" and e["params"]["epoch"] == 2
            e["state"] = {"currentEpoch": {"#map": [[1, 7]]}}
    rewrite(src, bad, change)
    code, out = validate_zab(bad)
    assert code == 1
    div = out["behaviours"][0]["divergence"]
    assert (div["kind"], div["event"]) == ("incorrect-state", 66)
    (inst,) = div["instances"]
    (group,) = inst["explanations"]
    assert group["fired"] and group["successors"] == [[{"variable": "currentEpoch[1]", "expected": "2", "observed": "7"}]]
    # with the epoch it did adopt, the trace is explained
    rewrite(src, bad, lambda k, e: e.update(state={"currentEpoch": {"#map": [[1, 2]]}}) if k == 65 else None)
    assert validate_zab(bad)[0] == 0


def test_a_restart_that_recovers_more_than_it_had(tmp_path):
    """A restart (event 38 of seed 0, server 3 after a crash) claiming a last zxid it never
    had: the parameter is outside its domain, and the report says which set it is not in."""
    src, _ = sim_trace(tmp_path, 0)
    events = [json.loads(x) for x in open(src)]
    k = next(k for k, e in enumerate(events) if e["action"] == "Restart" and e["params"]["last"] > 0)
    bad = tmp_path / "bad.jsonl"
    rewrite(src, bad, lambda j, e: e["params"].update(last=e["params"]["last"] + 1000) if j == k else None)
    code, out = validate_zab(bad)
    assert code == 1
    div = out["behaviours"][0]["divergence"]
    assert (div["kind"], div["event"], div["action"].split("(")[0]) == ("unexpected-action", k + 1, "Restart")
    f = first_failure(div)
    last = events[k]["params"]["last"] + 1000
    assert (f["kind"], f["text"]) == ("parameter", "zx(i)")
    assert f["message"] == f"last = {last} is not in zx(i)"
    assert str(last - 1000) in f["values"][0][1]          # the set it is not in, with the real one


def test_complete_accepts_a_run_cut_anywhere(tmp_path):
    """zab_impl.mc has no fairness: a ZooKeeper run may stop at any point (a server may lose
    every message), so `--complete` never reports missing actions for it. Pinned, because
    a fairness condition added later changes what --complete means for these traces."""
    src, _ = sim_trace(tmp_path, 1)
    cut = tmp_path / "cut.jsonl"
    lines = open(src).readlines()[:300]
    cut.write_text("".join(lines))
    code, out = validate_zab(cut, "--complete")
    assert code == 0 and out["behaviours"][0]["events"] == 300


def test_a_misspelt_parameter_is_bad_input(tmp_path, capsys):
    src, _ = sim_trace(tmp_path, 1)
    bad = tmp_path / "bad.jsonl"
    rewrite(src, bad, lambda k, e: e["params"].update(leadr=e["params"].pop("leader")) if k == 6 else None)
    code = main(["trace", "validate", SPEC, str(bad), "--config", "validate"])
    err = capsys.readouterr().err
    assert code == 2 and "no parameter `leadr`" in err and "leader" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- real processes


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_real_run_with_leader_kills_is_explained(tmp_path):
    """Three server processes on 127.0.0.1; a kazoo client writes 150 znodes per round;
    after each of 3 rounds the leader is SIGKILLed and restarted (each round bounded by
    the ensemble's own waits); the merged trace is explained, also with --complete."""
    kazoo = pytest.importorskip("kazoo.client")
    from reference.zab import ensemble
    from tests.reference.zab.conftest import Ours

    e = Ours()
    try:
        zk = kazoo.KazooClient(hosts=e.hosts(), timeout=4)
        zk.start(timeout=20)
        n = 0
        for _ in range(3):
            for _ in range(150):
                n += 1
                try:
                    zk.create(f"/v{n}", b"x")
                except Exception:                # noqa: BLE001 - a create during a leader change
                    pass
            (lead,) = [s["id"] for s in ensemble.status(e.dir) if s.get("role") == "LEADING"]
            ensemble.kill(e.dir, lead)
            time.sleep(1.0)
            ensemble.start_server(e.dir, lead)
            ensemble.wait_serving(e.dir, timeout=30)
        zk.stop()
        zk.close()
    finally:
        ensemble.stop_all(e.dir)
    events = e.merged_trace()
    shutil.rmtree(e.dir, ignore_errors=True)
    path = tmp_path / "merged.jsonl"
    write_jsonl(path, events)
    assert sum(x["action"] == "Restart" for x in events) == 6          # 3 starts, 3 restarts
    for extra in ((), ("--complete",)):
        code, out = validate_zab(path, *extra)
        assert code == 0 and out["verdict"] == "explained", out["behaviours"]
        assert out["events"] == len(events) > 1500
        assert out["seconds"] < 5


def test_a_parameter_domain_too_large_is_the_specs_runtime_error(tmp_path, capsys):
    """Found while writing zab_impl.mc (its first zxid domain was a range up to 2**33): a
    domain that cannot be evaluated was an internal error (exit 70, a traceback); it is
    the spec's MC300 at the domain, exit 2."""
    spec = tmp_path / "big.mc"
    spec.write_text("module Big\nvar x: int\ninit { x = 0 }\naction Set(v in 0..x + 4294967296) { x' = v }\n")
    trace = tmp_path / "t.jsonl"
    trace.write_text('{"v": 1, "proc": "p", "lc": 1, "txn": null, "action": "Set", "params": {"v": 3}}\n')
    code = main(["trace", "validate", str(spec), str(trace)])
    err = capsys.readouterr().err
    assert code == 2
    assert "MC300 runtime error in action Set(v=3): the range 0..4294967296 has 4,294,967,297 values" in err
    assert "big.mc:4:17" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- stale-own-read

def test_the_stale_read_bug_leaves_the_trace_alone_and_the_history_shows_it(tmp_path, capsys):
    """stale-own-read is client-facing: a read queued behind the client's sync is read at
    once (reference/zab/pipeline.py). The scheduler's run with clients that sync-read
    (seed 8: 39 sync-reads, crashes and restarts) traces exactly the same events with the
    bug as without, and validation explains both: the protocol trace cannot show it. Its
    counterpart is the clients' history of the same run: `modelcheck history check`
    (the ZooKeeper tree model) finds it linearizable without the bug and names the path
    of a stale read with it."""
    runs = {}
    for bugs in ((), ("stale-own-read",)):
        s = Sim(3, seed=8, bugs=bugs, trace=True).run(3000, fault_weight=0.02, read_weight=0.1).heal()
        trace, history = tmp_path / f"trace{len(bugs)}.jsonl", tmp_path / f"history{len(bugs)}.jsonl"
        s.write_trace(str(trace))
        history.write_text("".join(json.dumps(op) + "\n" for op in s.history()))
        runs[bugs] = (s, trace, history)
    (ok, ok_trace, ok_history), (bad, bad_trace, bad_history) = runs.values()
    assert sum(1 for o in ok.ops if o["process"].startswith("q")) == 39
    assert sum(1 for st in ok.steps if st[0] == "crash") >= 3
    assert ok_trace.read_text() == bad_trace.read_text() and len(ok.events) == 858
    assert validate_zab(bad_trace, "--complete")[0] == 0
    capsys.readouterr()
    assert main(["history", "check", str(ok_history), "--model", "zk"]) == 0
    assert capsys.readouterr().out.startswith("linearizable")
    assert main(["history", "check", str(bad_history), "--model", "zk", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "violated" and out["failure"]["key"] == '"/n21"'      # the part's key, as JSON text
    stuck = out["failure"]["stuck"]
    assert stuck and all("exists" in s["op"] for s in stuck), stuck
