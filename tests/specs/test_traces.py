"""The generated traces under traces/ (traces/README.md): they are current, and they mean
what traces/README.md says.

- Regenerating them (scripts/make-traces.sh, into a temporary directory) gives the
  committed files byte for byte: the generators are deterministic and the files are not
  stale.
- The spec's covering set replays as legal steps of durable.mc.
- The reference implementation's merged traces: the correct run is explained; each
  seeded bug's run diverges where the bug's definition says it must, at an event found
  here by reading the trace itself (not taken from the validator's output).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import DURABLE, ROOT, TRACES


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_regenerated_traces_equal_the_committed_ones(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable)
    subprocess.run(["bash", str(ROOT / "scripts" / "make-traces.sh"), str(tmp_path)], cwd=ROOT, env=env,
                   check=True, capture_output=True, text=True, timeout=300)
    for sub in ("generated", "reference"):
        fresh, committed = _files(tmp_path / sub), _files(TRACES / sub)
        assert sorted(fresh) == sorted(committed)
        for name in committed:
            assert fresh[name] == committed[name], f"traces/{sub}/{name} is stale: run make traces"


def _cli(*args: str) -> tuple[int, dict]:
    p = subprocess.run([sys.executable, "-m", "modelcheck.cli", *args], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    return p.returncode, json.loads(p.stdout)


def test_covering_set_replays_legally():
    manifest = json.loads((TRACES / "generated" / "durable-actions" / "manifest.json").read_text())
    files = [str(TRACES / "generated" / "durable-actions" / t["file"]) for t in manifest["traces"]]
    assert len(files) == 8
    for f in files:
        code, out = _cli("replay", DURABLE, f, "--json")
        assert code == 0 and out["legal"], f


def _validate(name: str) -> dict:
    code, out = _cli("trace", "validate", DURABLE, str(TRACES / "reference" / f"{name}.jsonl"),
                     "--config", "validate", "--json")
    assert code == (0 if out["verdict"] == "explained" else 1)
    return out


def _events(name: str) -> list[dict]:
    lines = (TRACES / "reference" / f"{name}.jsonl").read_text().splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def _txn_events(name: str, txn: str) -> list[dict]:
    """The events of one transaction, numbered from 1 as the validator numbers them:
    its own events and the process-level ones (txn null) that join it (docs/traces.md)."""
    evs = _events(name)
    first = next(i for i, e in enumerate(evs) if e["txn"] == txn)
    parts = set(evs[first].get("participants") or [])
    return [e for e in evs[first:]
            if e["txn"] == txn or (e["txn"] is None and (e["proc"] == "tm" or e["proc"] in parts))]


def _diverged(out: dict) -> list[dict]:
    bad = [b for b in out["behaviours"] if b["verdict"] != "explained"]
    assert bad
    return bad


def _failure(div: dict) -> dict:
    (inst,) = div["instances"][:1]
    return inst["explanations"][0]


def test_correct_run_is_explained():
    out = _validate("correct-seed3")
    assert out["verdict"] == "explained"
    assert len(out["behaviours"]) == 5  # five transfers, one behaviour each


def test_commit_before_log_is_an_incorrect_state_at_tmcommit():
    # the coordinator sends Commit before it logs the decision: its TMCommit event
    # reports tmLog = none, where the spec's TMCommit writes logCommit
    for b in _diverged(_validate("commit-before-log")):
        d = b["divergence"]
        assert (d["kind"], d["action"]) == ("incorrect-state", "TMCommit")
        evs = _txn_events("commit-before-log", b["txn"])
        assert evs[d["event"] - 1]["action"] == "TMCommit"
        assert evs[d["event"] - 1]["state"]["tmLog"] == "none"
        assert _failure(d)["successors"][0] == [{"variable": "tmLog", "expected": "logCommit", "observed": "none"}]


def test_commit_on_majority_is_an_unexpected_tmcommit():
    # the coordinator commits on two yes votes of three: TMCommit's guard tmPrepared == RM
    for b in _diverged(_validate("commit-on-majority")):
        d = b["divergence"]
        assert (d["kind"], d["action"]) == ("unexpected-action", "TMCommit")
        evs = _txn_events("commit-on-majority", b["txn"])
        # the first TMCommit of the transaction, made with fewer votes than participants
        k = next(i for i, e in enumerate(evs) if e["action"] == "TMCommit")
        assert d["event"] == k + 1
        assert len(evs[k]["state"]["tmPrepared"]["#set"]) == 2
        (f,) = _failure(d)["failures"]
        assert (f["kind"], f["text"]) == ("require", "tmPrepared == RM")


def test_vote_before_log_is_an_incorrect_state_at_the_first_vote():
    # a participant sends its yes vote before logging it: its RMPrepare event reports
    # rmLog = rmNone, where the spec's RMPrepare writes rmYes
    for b in _diverged(_validate("vote-before-log")):
        d = b["divergence"]
        assert d["kind"] == "incorrect-state" and d["action"].startswith("RMPrepare(")
        evs = _txn_events("vote-before-log", b["txn"])
        k = next(i for i, e in enumerate(evs) if e["action"] == "RMPrepare")
        assert d["event"] == k + 1
        rm = evs[k]["params"]["rm"]
        assert _failure(d)["successors"][0] == [{"variable": f"rmLog[{rm}]", "expected": "rmYes",
                                                  "observed": "rmNone"}]


def test_forget_in_doubt_is_an_unexpected_abort_of_a_prepared_participant():
    # a participant recovers an in-doubt transaction as aborted: it aborts after having
    # voted yes, which RMChooseToAbort's guard rmState[rm] == working forbids
    (b,) = _diverged(_validate("forget-in-doubt"))
    d = b["divergence"]
    assert d["kind"] == "unexpected-action" and d["action"].startswith("RMChooseToAbort(")
    evs = _txn_events("forget-in-doubt", b["txn"])
    e = evs[d["event"] - 1]
    assert e["action"] == "RMChooseToAbort"
    rm = e["params"]["rm"]
    earlier = [x for x in evs[: d["event"] - 1] if x["proc"] == rm]
    assert any(x["action"] == "RMPrepare" for x in earlier)  # it had voted yes
    assert any(x["action"] == "RMRecover" for x in earlier)  # and crashed and recovered since
    (f,) = _failure(d)["failures"]
    assert (f["kind"], f["text"]) == ("require", "rmState[rm] == working")
