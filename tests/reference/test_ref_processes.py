"""The reference two-phase commit as real OS processes on 127.0.0.1.

A coordinator and 3 participants run as separate processes (python -m reference.twophase),
with fsync on and tracing on. While a client runs 200 transfers, every role is killed
with SIGKILL and restarted, repeatedly; afterwards every process must agree:

- the total money is unchanged;
- every transaction is committed at every participant or at none;
- every transaction acknowledged as committed is committed everywhere, and none
  reported aborted is committed anywhere (nothing acknowledged is lost);
- every process's log is intact (a torn tail left by a kill is dropped at the next start);
- the merged trace is explained by specs/twophase/durable.mc, transaction by transaction.

Every process is started with a lifetime and killed at the end in any case.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time

import pytest

from reference.twophase import client, cluster
from reference.twophase.trace import merge_dir
from spec_check import check_trace

pytestmark = pytest.mark.timeout(120)


def _reap(procs):
    for p in procs:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        p.wait(timeout=10)


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
            while not stop.is_set() and len(killed) < kills:
                await asyncio.sleep(rng.uniform(0.03, 0.15))
                if stop.is_set():
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
        _reap(procs)


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
    assert res.committed >= 20, res.summary()
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
    print(f"\n{res.summary()}; kills {len(killed)}: {killed}; {len(merged)} events; {time.monotonic() - t0:.1f} s")
