"""The reference two-phase commit as real OS processes on 127.0.0.1.

A coordinator and 3 participants run as separate processes (python -m reference.twophase),
with fsync on and tracing on. While a client runs 200 transfers, every role is killed
with SIGKILL and restarted, repeatedly; afterwards every process must agree:

- the total money is unchanged;
- every transaction is committed at every participant or at none;
- every transaction acknowledged as committed is committed everywhere, and none
  reported aborted is committed anywhere (nothing acknowledged is lost);
- every process's log is intact (a torn tail left by a kill is dropped at the next start);
- the merged trace is explained by specs/twophase/durable.mc, transaction by transaction,
  by the small checker of these tests and by `modelcheck trace validate --complete`, run
  as a user runs it on the file `merge-traces` writes: the run ends settled, so every
  transaction must be a complete behaviour, no step the spec's fairness obliges still
  due (which needs every restart stamped after the clocks of the processes that send to
  it, and a step's messages kept across a kill: docs/traces.md, *Crashes and restarts*).

Every process is started with a lifetime and killed at the end in any case.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time

import pytest

from reference.twophase import client, cluster
from reference.twophase.trace import merge_dir
from tests.reference.clusters import reap
from tests.reference.spec_check import DURABLE, check_trace

MODELCHECK = os.path.join(os.path.dirname(sys.executable), "modelcheck")   # the venv's command

pytestmark = pytest.mark.timeout(120)


def _run_cluster(tmp_path, transfers, kills, seed):
    d = str(tmp_path / "cluster")
    conf = cluster.create(d, participants=3, accounts=10, balance=100, lifetime=100, vote_timeout=0.5,
                          ask_interval=0.1)
    procs = list(cluster.start_all(d).values())
    rng = random.Random(seed)
    killed: list[str] = []
    try:
        async def killer(stop: asyncio.Event):
            roles = list(conf["roles"])
            order = rng.sample(roles, len(roles))           # every role at least once, first
            # until the workload ends, but every role at least once in any case
            while (not stop.is_set() or len(killed) < len(roles)) and len(killed) < kills:
                await asyncio.sleep(rng.uniform(0.03, 0.15))
                if stop.is_set() and len(killed) >= len(roles):
                    break
                name = order[len(killed)] if len(killed) < len(order) else rng.choice(roles)
                await asyncio.to_thread(cluster.kill, d, name)
                killed.append(name)
                await asyncio.sleep(rng.uniform(0.02, 0.15))
                procs.append(await asyncio.to_thread(cluster.start_role, d, name))

        async def main():
            stop = asyncio.Event()
            k = asyncio.ensure_future(killer(stop))
            res = await client.run_workload(d, transfers, concurrency=4, seed=seed, timeout=3.0)
            stop.set()
            await k
            status = await client.wait_quiet(d, timeout=30)
            return res, status

        res, status = asyncio.run(main())
        stopped = cluster.stop_all(d)
        assert sorted(stopped) == sorted(conf["roles"])      # all four were still running
        return d, conf, res, status, killed
    finally:
        reap(procs)


@pytest.mark.slow
def test_kills_and_restarts_of_every_role(tmp_path):
    t0 = time.monotonic()
    d, conf, res, status, killed = _run_cluster(tmp_path, transfers=200, kills=20, seed=7)
    assert set(killed) == set(conf["roles"]), killed
    assert len(res.txns) == 200
    assert not res.errors, res.errors
    problems = client.verify(d, status, res)
    assert problems == []
    # the checks above are not vacuous: transfers committed, and some replies were lost
    # to coordinator kills and resolved afterwards, or transfers aborted by timeouts
    assert res.committed >= 10, res.summary()
    total = sum(s["total"] for s in status.values())
    assert total == 3 * 10 * 100
    # restarts happened: every process logged its recoveries
    for name in killed:
        assert "recovering:" in open(os.path.join(d, f"{name}.log")).read()
    merged = merge_dir(d).events
    crashes = [e for e in merged if e["action"] in ("TMCrash", "RMCrash")]
    assert len(crashes) == len(killed)
    divergences = check_trace(merged)
    assert divergences == [], [str(x) for x in divergences[:3]]
    cli("merge-traces", d, "-o", str(tmp_path / "merged.jsonl"))
    v = subprocess.run([MODELCHECK, "trace", "validate", str(DURABLE), str(tmp_path / "merged.jsonl"), "--config",
                        "validate", "--complete", "--json"], capture_output=True, text=True, timeout=120)
    report = json.loads(v.stdout)
    assert (v.returncode, report["verdict"]) == (0, "explained"), v.stdout[-3000:]
    assert len(report["behaviours"]) == len({e["txn"] for e in merged if e["txn"] is not None})
    print(f"\n{res.summary()}; kills {len(killed)}: {killed}; {len(merged)} events; {time.monotonic() - t0:.1f} s")


def cli(*argv, check=True):
    r = subprocess.run([sys.executable, "-m", "reference.twophase", *argv], capture_output=True, text=True,
                       timeout=60)
    if check:
        assert r.returncode == 0, (argv, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return r


@pytest.mark.slow
def test_command_line_on_a_real_cluster(tmp_path):
    """The README's commands, as a user types them: start, workload with verification,
    kill and restart, a torn log tail, an operator's heuristic decision, status, stop."""
    d = str(tmp_path / "c")
    try:
        out = cli("cluster", "start", d, "--lifetime", "60", "--vote-timeout", "0.5").stdout
        assert out.splitlines()[0] == f"created {d}/cluster.json"
        assert [x.split()[1] for x in out.splitlines()[1:]] == ["tm", "rm1", "rm2", "rm3"]
        out = cli("workload", d, "--transfers", "30", "--seed", "1", "--verify").stdout
        assert "30 transfers in" in out and "verify: total money 30000; no problem found" in out
        assert cli("kill", d, "rm2", "--restart").stdout.startswith("killed rm2 (pid ")
        # a torn record at the end of rm3's log: dropped with a log line at the restart
        cli("kill", d, "rm3")
        with open(os.path.join(d, "rm3.wal"), "ab") as f:
            f.write(b"\x00\x00\x01\x00garbage")
        assert cli("inspect-log", os.path.join(d, "rm3.wal"), check=False).returncode == 1
        cli("restart", d, "rm3")
        assert "torn tail at offset" in open(os.path.join(d, "rm3.log")).read()
        assert cli("inspect-log", os.path.join(d, "rm3.wal")).stdout.rstrip().endswith("; intact")
        out = cli("workload", d, "--transfers", "20", "--seed", "2", "--verify").stdout
        assert "no problem found" in out
        status = cli("cluster", "status", d).stdout.splitlines()
        assert len(status) == 4 and all(" pid " in x for x in status)
        assert sum(int(x.split("total ")[1].split(",")[0]) for x in status[1:]) == 30000
        # an in-doubt participant: the coordinator is down when rm1 votes on a prepare
        # request (sent here by hand, as the coordinator would)
        cli("kill", d, "tm")
        prep = {"m": "prepare", "txn": "h1", "src": "tm", "dst": "rm1", "lc": 10**6, "ops": [["a0", -1]]}
        asyncio.run(_send_line(d, "rm1", prep))
        st = _wait_for(lambda: json.loads(cli("status", d, "rm1").stdout), lambda s: s["in_doubt"] == ["h1"])
        assert st["locks"] == {"a0": "h1"}
        assert "HEURISTIC" in cli("heuristic", d, "rm1", "h1", "commit").stdout
        st = json.loads(cli("status", d, "rm1").stdout)
        assert st["in_doubt"] == [] and st["heuristic"] == ["h1"] and st["txns"]["h1"] == "committed"
        r = cli("heuristic", d, "rm1", "h1", "abort", check=False)
        assert r.returncode == 2 and "is not in doubt" in r.stderr
        logged = cli("inspect-log", os.path.join(d, "rm1.wal")).stdout
        assert '"outcome": "commit"' in logged and '"t": "heuristic"' in logged
        cli("restart", d, "tm")
        assert cli("cluster", "stop", d).stdout == "stopped tm, rm1, rm2, rm3\n"
        assert cli("cluster", "stop", d).stdout == "nothing was running\n"
    finally:
        subprocess.run([sys.executable, "-m", "reference.twophase", "cluster", "stop", d], capture_output=True,
                       timeout=60)


async def _send_line(d, name, obj, who="tm"):
    """Send ``obj`` to process ``name`` as ``who`` would, authenticated with the
    cluster's secret (reference/twophase/auth.py)."""
    from reference.twophase import auth
    from reference.twophase.runtime import read_addr
    reader, writer = await asyncio.open_connection(*read_addr(d, name))
    hello = json.loads(await reader.readline())
    writer.write((json.dumps(auth.answer(auth.read_secret(d), hello, who)) + "\n").encode())
    writer.write((json.dumps(obj) + "\n").encode())
    await writer.drain()
    writer.close()


def _wait_for(get, ok, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        v = get()
        if ok(v) or time.monotonic() > deadline:
            return v
        time.sleep(0.05)


@pytest.mark.slow
def test_verify_names_the_participant_that_is_down(tmp_path):
    """`workload --verify` with rm2 killed: it says what it waits for, then names rm2 as
    down and the reason, not a dict of the participants it happened to reach first."""
    d = str(tmp_path / "c")
    try:
        cli("cluster", "start", d, "--lifetime", "60", "--vote-timeout", "0.3")
        cli("kill", d, "rm2")
        r = cli("workload", d, "--transfers", "4", "--seed", "1", "--verify", "--settle-timeout", "1.5",
                check=False)
        assert r.returncode == 2, (r.stdout, r.stderr)
        lines = r.stderr.splitlines()
        assert lines[0] == "verify: waiting up to 1.5 s for rm2 (down or not answering) ..."
        assert lines[-1].startswith("error: the participants did not settle within 1.5 s: "
                                    "rm2 is down or not answering (")
        assert "rm1" not in lines[-1] and "{" not in lines[-1], lines[-1]
        r = cli("workload", d, "--transfers", "1", "--verify", "--settle-timeout", "nan", check=False)
        assert r.returncode == 2 and "--settle-timeout must be" in r.stderr
    finally:
        subprocess.run([sys.executable, "-m", "reference.twophase", "cluster", "stop", d], capture_output=True,
                       timeout=60)
