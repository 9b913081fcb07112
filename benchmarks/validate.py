"""Trace validation speed: events per second on long implementation traces.

    python benchmarks/validate.py            # 10,000 events per scenario
    python benchmarks/validate.py --events 50000

Scenarios (each trace is written to a temporary directory, then validated the way
`modelcheck trace validate` does it; "end to end" runs the command itself, spec
loading and process start included):

* crash-walk: one transaction of TwoPhaseCrash with recovery and MaxCrashes large
  enough never to stop the walk, a seeded random walk of N steps; every event names
  its action and parameters and logs what its process owns (an RM its rmState key,
  the TM tmState, tmPrepared, tmLog, crashes; nobody logs msgs).
* many-txns: TwoPhase, N/10 transactions of 10 events each (prepare, receive, commit,
  receive the decision), interleaved two at a time, so the validator groups by txn.
* anonymous: as many-txns, but the TM never says whose Prepared it received
  (TMRcvPrepared without params, and without tmPrepared): the validator searches over
  the instances and carries every set of prepared RMs that fits (3, 6, then 7 states,
  until TMCommit leaves one).
* itf: the crash walk as an ITF trace with every variable (what `replay` reads).

The requirement is 10,000 events in under 10 s; the figures below are what this
machine gives.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "conform"))

from conform_helpers import encode_walk  # noqa: E402
from modelcheck.api import load  # noqa: E402
from modelcheck.conform.events import read_itf, read_jsonl  # noqa: E402
from modelcheck.conform.validate import validate_behaviours  # noqa: E402
from modelcheck.itf import trace_to_itf  # noqa: E402
from modelcheck.result import Trace  # noqa: E402

CRASH = ROOT / "specs" / "twophase" / "crash.mc"
TWOPHASE = ROOT / "specs" / "twophase" / "twophase.mc"


def walk(model, n, seed):
    rng = random.Random(seed)
    s = model.initial_states()[0]
    states, labels = [s], [None]
    while len(labels) <= n:
        succ = model.successors(s)
        lab, s = succ[rng.randrange(len(succ))]
        states.append(s)
        labels.append(lab)
    return states, labels


def many_txns(n_events):
    """Commit transactions of TwoPhase (RM = 3), two interleaved at a time."""
    def txn(t, lc):
        out = []
        for r in ("r1", "r2", "r3"):
            out.append({"v": 1, "proc": r, "lc": lc, "txn": t, "action": "RMPrepare", "params": {"rm": r},
                        "state": {"rmState": {"#map": [[r, "prepared"]]}}})
        got = []
        for k, r in enumerate(("r1", "r2", "r3")):
            got.append(r)
            out.append({"v": 1, "proc": "tm", "lc": lc + 1 + k, "txn": t, "action": "TMRcvPrepared",
                        "params": {"rm": r}, "state": {"tmPrepared": {"#set": list(got)}}})
        out.append({"v": 1, "proc": "tm", "lc": lc + 4, "txn": t, "action": "TMCommit", "params": {},
                    "state": {"tmState": "tmCommitted"}})
        for r in ("r1", "r2", "r3"):
            out.append({"v": 1, "proc": r, "lc": lc + 5, "txn": t, "action": "RMRcvCommitMsg", "params": {"rm": r},
                        "state": {"rmState": {"#map": [[r, "committed"]]}}})
        return out

    events, lc = [], 1
    for t in range(0, n_events // 10, 2):
        a, b = txn(f"t{t}", lc), txn(f"t{t + 1}", lc + 6)
        for x, y in zip(a, b):
            events += [x, y]
        lc += 12
    # each process's clock must grow: renumber per process in file order
    clocks: dict[str, int] = {}
    for e in events:
        clocks[e["proc"]] = clocks.get(e["proc"], 0) + 1
        e["lc"] = clocks[e["proc"]]
    return events


def write(path, events):
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def measure(name, model, path, itf=False, consts=(), spec=CRASH):
    t0 = time.perf_counter()
    behaviours = read_itf(path, model) if itf else read_jsonl(path, model)
    t1 = time.perf_counter()
    r = validate_behaviours(model, behaviours)
    t2 = time.perf_counter()
    n = r.events
    assert r.verdict == "explained", r.verdict
    cmd = [sys.executable, "-m", "modelcheck.cli", "trace", "validate", str(spec), str(path), *consts]
    t3 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    t4 = time.perf_counter()
    assert p.returncode == 0, p.stdout + p.stderr
    most = max(b.max_candidates for b in r.behaviours)
    print(f"  {name:<11} {n:>7,} events in {len(r.behaviours):>5,} behaviours (at most {most} candidates): "
          f"read {t1 - t0:5.2f} s, validate {t2 - t1:5.2f} s ({n / (t2 - t1):>9,.0f} events/s), "
          f"read+validate {n / (t2 - t0):>8,.0f} events/s; end to end {t4 - t3:5.2f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    n = args.events
    consts = ("--config", "recovery", "--const", f"MaxCrashes={n}")
    crash = load(str(CRASH), consts={"MaxCrashes": n}, config="recovery").model
    states, labels = walk(crash, n, args.seed)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        print(f"trace validation, {n:,} events per scenario (python {sys.version.split()[0]})")
        measure("crash-walk", crash, write(d / "walk.jsonl", encode_walk(crash, states, labels, "owner")),
                consts=consts)
        tp = load(str(TWOPHASE)).model
        measure("many-txns", tp, write(d / "txns.jsonl", many_txns(n)), spec=TWOPHASE)
        anon = many_txns(n)
        for e in anon:
            if e["action"] == "TMRcvPrepared":
                e["params"], e["state"] = {}, {}
        measure("anonymous", tp, write(d / "anon.jsonl", anon), spec=TWOPHASE)
        itf = trace_to_itf(crash, Trace(tuple(states), tuple(labels)))
        (d / "walk.itf.json").write_text(json.dumps(itf))
        measure("itf", crash, d / "walk.itf.json", itf=True, consts=consts)


if __name__ == "__main__":
    main()
