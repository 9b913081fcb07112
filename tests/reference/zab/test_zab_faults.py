"""Issue 15, section 7: a seeded kazoo workload on three servers (creates, conditional
setData, sequential nodes, ephemeral nodes, a session that expires) while the leader and
followers are SIGKILLed and restarted, and the whole ensemble twice loses power (each
log loses what it had not synced; the followers come back first), bounded in count and
time. Afterwards no
acknowledged write is lost, no failed write is visible, no client read missed its own
earlier write, every server's tree is the same,
sequential names are unique, and service resumed within a bounded time each time. (The
same promises under the deterministic scheduler with many seeds: test_zab_sim.py.)"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, KazooException, NoNodeError
from kazoo.handlers.threading import KazooTimeoutError

from reference.zab import ensemble
from tests.conform.conform_helpers import validate_zab, write_jsonl

from .conftest import Ours
from .test_zab_processes import EPHEMERAL_THEN_VANISH, digests

pytestmark = pytest.mark.timeout(300)

UNKNOWN = (KazooException, KazooTimeoutError)      # connection loss, timeouts: the outcome is unknown


class Worker(threading.Thread):
    def __init__(self, e, k: int, seed: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.k, self.rng, self.stop = k, random.Random(seed * 100 + k), stop
        self.zk = KazooClient(hosts=e.hosts(), timeout=4)
        self.zk.start(timeout=20)
        self.acked: dict[str, bytes] = {}        # path -> data of acknowledged creates and sets
        self.failed: list[str] = []              # creates that failed for sure
        self.seq: list[str] = []                 # names of acknowledged sequential creates
        self.sets = self.maybe_sets = 0          # acknowledged / unknown conditional sets of /w/v
        self.ephemeral: list[str] = []
        self.stale: list[int] = []               # reads that did not see the same client's earlier write
        self.ops = self.unknown = 0

    def call(self, fn, *a, **kw):
        return fn(*a, **kw)

    def run(self):
        zk, n = self.zk, 0
        while not self.stop.is_set():
            n += 1
            r = self.rng.random()
            try:
                if r < 0.4:
                    p = f"/w/c{self.k}-{n}"
                    data = f"{self.k}:{n}".encode()
                    zk.create_async(p, data).get(timeout=8)
                    self.acked[p] = data
                elif r < 0.6:
                    data, st = zk.get_async("/w/v").get(timeout=8)
                    try:
                        self.maybe_sets += 1
                        w = zk.set_async("/w/v", b"%d" % (st.version + 1), version=st.version)
                        after = zk.get_async("/w/v")          # pipelined behind the write
                        new = w.get(timeout=8)
                        self.sets += 1
                        self.maybe_sets -= 1
                        if after.get(timeout=8)[1].version < new.version:
                            self.stale.append(new.version)      # the client missed its own write
                    except BadVersionError:
                        self.maybe_sets -= 1
                elif r < 0.8:
                    self.seq.append(zk.create_async("/w/seq/s-", b"", sequence=True).get(timeout=8))
                elif r < 0.9:
                    p = f"/w/e{self.k}-{n}"
                    zk.create_async(p, b"", ephemeral=True).get(timeout=8)
                    self.ephemeral.append(p)
                else:
                    p = f"/w/missing/c{self.k}-{n}"
                    try:
                        zk.create_async(p, b"").get(timeout=8)
                        self.acked[p] = b""
                    except NoNodeError:
                        self.failed.append(p)
                self.ops += 1
            except UNKNOWN:
                self.unknown += 1
                time.sleep(0.05)


#: a second seed (another schedule of kills and outages, 50 s) in `make test-deep` only:
#: `make test` keeps under its 15 minutes on 2 cores
DEEP = os.environ.get("MODELCHECK_DEEP") == "1"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.skipif(not DEEP, reason="deep: make test-deep"))])
def test_kills_and_restarts_lose_no_acknowledged_write(seed, tmp_path):
    """... and the run's merged trace, tens of thousands of events with SIGKILLs, power
    outages, snapshots and SNAP synchronisation (which depends on timing), is explained by
    specs/zab/zab_impl.mc (issue 19 §1; docs/conformance.md)."""
    events = run_faults(seed, trace=True)
    assert sum(x["action"] == "Restart" for x in events) >= 10
    path = write_jsonl(tmp_path / "merged.jsonl", events)
    code, out = validate_zab(path, "--complete")
    assert code == 0 and out["verdict"] == "explained", _short(out)
    assert out["events"] == len(events) > 10_000


def _short(out: dict) -> str:
    """The divergence, without the histories of thousands of zxids it prints."""
    return json.dumps(out, default=str)[:4000]


def run_faults(seed: int, bugs=(), trace: bool = False) -> list[dict]:
    """The fault run; with ``trace``, the servers' merged trace (else [])."""
    rng = random.Random(seed)
    e = Ours(tick_ms=200, snap_count=300, bugs=list(bugs))
    try:
        setup = KazooClient(hosts=e.hosts(), timeout=4)
        setup.start(timeout=20)
        setup.ensure_path("/w/seq")
        setup.create("/w/v", b"0")
        out = subprocess.run([sys.executable, "-c", EPHEMERAL_THEN_VANISH, e.hosts()], timeout=60)
        assert out.returncode == 0
        stop = threading.Event()
        workers = [Worker(e, k, seed, stop) for k in range(3)]
        for w in workers:
            w.start()
        resumed = []
        ids = ensemble.ids(ensemble.load(e.dir))
        for rnd in range(8):
            time.sleep(rng.uniform(1.0, 2.0))
            if rnd in (2, 5):
                # a power outage of the whole ensemble (each log loses what it had not
                # synced); the followers come back first and elect a leader among
                # themselves, then the old leader rejoins
                st = ensemble.status(e.dir)
                leader = next((s["id"] for s in st if s.get("role") == "LEADING" and s["running"]), ids[0])
                ensemble.power_fail(e.dir, ids)
                rest = [i for i in ids if i != leader]
                for i in rest:
                    ensemble.start_server(e.dir, i)
                t0 = time.monotonic()
                ensemble.wait_serving(e.dir, timeout=30, servers=set(rest))
                resumed.append(time.monotonic() - t0)
                ensemble.start_server(e.dir, leader)
                ensemble.wait_serving(e.dir, timeout=30)
                continue
            st = ensemble.status(e.dir)
            leader = next((s["id"] for s in st if s.get("role") == "LEADING" and s["running"]), None)
            victim = leader if rng.random() < 0.5 and leader else rng.choice(ids)
            ensemble.kill(e.dir, victim)
            time.sleep(rng.uniform(0.3, 1.5))
            ensemble.start_server(e.dir, victim)
            t0 = time.monotonic()
            ensemble.wait_serving(e.dir, timeout=30)
            resumed.append(time.monotonic() - t0)
        time.sleep(1.0)
        stop.set()
        for w in workers:
            w.join(30)
        check = KazooClient(hosts=e.hosts(), timeout=4)
        check.start(timeout=20)
        check.sync("/")
        total_ops = sum(w.ops for w in workers)
        assert total_ops > 200, total_ops
        for w in workers:
            for p, data in w.acked.items():
                assert check.exists(p) is not None, f"acknowledged create of {p} lost"
                assert check.get(p)[0] == data, f"acknowledged {p} changed"
            for p in w.failed:
                assert check.exists(p) is None, f"failed create {p} is visible"
        assert not any(w.stale for w in workers), "a client's read missed its own acknowledged write"
        seq = [s for w in workers for s in w.seq]
        assert len(seq) == len(set(seq)) and all(check.exists(s) for s in seq)
        version = check.get("/w/v")[1].version
        acked_sets = sum(w.sets for w in workers)
        assert acked_sets <= version <= acked_sets + sum(w.maybe_sets for w in workers)
        for w in workers:
            w.zk.stop()
        end = time.monotonic() + 15
        while time.monotonic() < end and any(check.exists(p) for w in workers for p in w.ephemeral):
            time.sleep(0.1)
        assert not any(check.exists(p) for w in workers for p in w.ephemeral)
        assert check.exists("/owned") is None          # the abandoned session expired
        check.stop()
        setup.stop()
        assert len(digests(e, timeout=30)) == 1
        assert max(resumed) < 15, resumed
        if not trace:
            return []
        ensemble.stop_all(e.dir)
        return e.merged_trace()
    finally:
        e.close()


@pytest.mark.slow
@pytest.mark.timeout(420)   # the outages' 200 s, one more outage's restarts, the cleanup
def test_a_power_outage_exposes_ack_before_durable():
    """Seeded bug ack-before-durable (ZOOKEEPER-3911) on real processes: followers ACK
    before their batch is synced; the whole ensemble loses power, the followers come
    back first and elect a leader without the writes only the old leader had; an
    acknowledged create is gone. Up to 40 outages started within 200 s, stopping at the first
    loss (5 runs here found one within 12 to 30 s; one run of the whole suite on a busy
    machine met none in 20 outages, so the bound is twice that). The same outages
    without the bug lose nothing (test_kills_and_restarts_lose_no_acknowledged_write)."""
    e = Ours(tick_ms=200, bugs=["ack-before-durable"])
    stop = threading.Event()
    workers = []
    try:
        setup = KazooClient(hosts=e.hosts(), timeout=4)
        setup.start(timeout=20)
        setup.ensure_path("/w/seq")
        setup.create("/w/v", b"0")
        setup.stop()
        workers = [Worker(e, k, 7, stop) for k in range(3)]
        for w in workers:
            w.start()
        ids = ensemble.ids(ensemble.load(e.dir))
        lost = None
        outages, give_up = 0, time.monotonic() + 200
        while outages < 40 and time.monotonic() < give_up:
            outages += 1
            ops = sum(w.ops for w in workers)
            end = time.monotonic() + 10
            while sum(w.ops for w in workers) < ops + 30 and time.monotonic() < end:
                time.sleep(0.05)                 # the workers write again after the last outage
            st = ensemble.status(e.dir)
            leader = next((s["id"] for s in st if s.get("role") == "LEADING" and s["running"]), ids[0])
            ensemble.power_fail(e.dir, ids)
            acked = {p for w in workers for p in list(w.acked)}     # nothing is acknowledged after this
            rest = [i for i in ids if i != leader]
            for i in rest:
                ensemble.start_server(e.dir, i)
            ensemble.wait_serving(e.dir, timeout=30, servers=set(rest))
            ensemble.start_server(e.dir, leader)
            ensemble.wait_serving(e.dir, timeout=30)
            check = KazooClient(hosts=e.hosts(), timeout=4)
            check.start(timeout=20)
            check.sync("/")
            lost = next((p for p in sorted(acked) if check.exists(p) is None), None)
            check.stop()
            if lost:
                break
        assert lost is not None, f"{outages} outages lost no acknowledged write with ack-before-durable"
    finally:
        stop.set()
        for w in workers:
            w.join(30)
            w.zk.stop()
        e.close()
