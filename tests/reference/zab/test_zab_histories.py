"""Issue 19, section 4: histories recorded from kazoo clients of the reference ZooKeeper
and of the real one, checked by modelcheck's history checker against the data-tree model.

What ZooKeeper promises (its paper; DDIA, chapter 9): writes are linearizable, and a read
after ``sync`` is up to date, so writes with sync-reads form a linearizable history;
a plain read is answered by the client's own server, maybe behind the leader, so the
whole history is only sequentially consistent. The tests show both sides:

- a stale read, made deterministic by a proxy that delays what reaches one follower: a
  write is acknowledged, then a read on that follower returns the old value: not
  linearizable (the checker names the read), sequentially consistent; the same read
  after sync returns the new value: linearizable. On our ensemble and on three real
  ZooKeeper servers.
- a workload of several clients while the leader is killed, a server paused (SIGSTOP)
  and a link partitioned (tests/reference/zab/proxy.py): writes and sync-reads
  linearizable, everything sequentially consistent.
- the seeded bugs that lose or reorder a write make the history non-linearizable, and
  the checker names the operations.

Recording: tests/reference/zab/history.py. The fast tests at the end check the proxy and
the recorder themselves.
"""

from __future__ import annotations

import os
import random
import signal
import tempfile
import threading
import time

import pytest
from kazoo.client import KazooClient

from modelcheck.history.check import check_history
from modelcheck.history.core import Consistency, HistoryVerdict
from modelcheck.history.formats import read_history
from modelcheck.history.zktree import ZkTreeModel
from reference.zab import ensemble

from .conftest import Ours, RealQuorum, require_zookeeper
from .history import History
from .proxy import Proxies

pytestmark = pytest.mark.timeout(300)

LIN, SEQ = Consistency.LINEARIZABLE, Consistency.SEQUENTIAL


def check(h: History, kinds, consistency, time_limit=60.0):
    """Write the records of ``kinds`` as JSON lines, read them back with the checker's
    reader (the agreed format, end to end) and check them with the data-tree model.
    Operation ids are the records' positions in ``h.select(kinds)``."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "history.jsonl")
        n = h.write(path, kinds)
        ops, notes = read_history(path)
    assert len(ops) == n and [o.id for o in ops] == list(range(n)), notes
    return check_history(ops, ZkTreeModel(), consistency=consistency, time_limit=time_limit)


def keep(h: History, name: str) -> None:
    """Write the history where a failed run can be looked at (ZAB_KEEP=1)."""
    if os.environ.get("ZAB_KEEP") == "1":
        path = f"/tmp/{name}-{os.getpid()}.jsonl"
        h.write(path)
        print("history:", path)


# ---- a stale read, DDIA's way ---------------------------------------------------------

def ours_cluster(px):
    e = Ours(proxies=px)
    st = ensemble.status(e.dir)
    leader = next(s["id"] for s in st if s.get("role") == "LEADING")
    follower = min(i for i in (1, 2, 3) if i != leader)
    # our servers send on connections they open: what reaches the follower comes on
    # the links the others dial to it
    return e, leader, follower, [link for (i, j), link in e.links.items() if j == follower]


def real_cluster(px):
    e = RealQuorum(px)
    try:
        modes = e.modes()
    except BaseException:
        e.close()
        raise
    leader = next(i for i, m in modes.items() if m == "leader")
    follower = min(i for i in (1, 2, 3) if i != leader)
    # a real follower dials its leader, and the leader answers on that connection
    return e, leader, follower, [e.links[(follower, leader)]]


def lagging_cluster(system: str, px):
    """Three servers of ``system`` ("ours" or "zookeeper") behind the proxies ``px``:
    (ensemble, leader, a follower, the links that reach that follower)."""
    if system == "zookeeper":
        require_zookeeper()
        return real_cluster(px)
    return ours_cluster(px)


@pytest.mark.slow
@pytest.mark.parametrize("system", ["ours", "zookeeper"])
def test_a_stale_read_from_a_follower_is_sequentially_consistent_not_linearizable(system):
    """A write acknowledged through the leader, then a read on a follower whose incoming
    link is delayed by 400 ms (below every timeout): the read returns the old value. The
    history is not linearizable, and the checker names that read; it is sequentially
    consistent (the follower's client saw a prefix of the writes). A sync-read right after
    returns the new value: without the plain read, the history is linearizable."""
    with Proxies() as px:
        e, leader, follower, slow = lagging_cluster(system, px)
        made = []
        try:
            def client(i):
                zk = KazooClient(hosts=e.hosts(i - 1), timeout=10)
                zk.start(timeout=20)
                made.append(zk)
                return zk
            h = History()
            a, b = h.client(client(leader)), h.client(client(follower))
            stale = None
            for attempt in range(3):           # a CPU stall of 400 ms could hide it: bounded retry
                p = f"/stale{attempt}"
                assert a.create(p, "0") == p
                assert b.syncread(p) == ["0", 0]             # the follower has the node
                for link in slow:
                    link.set_delay(0.4)
                assert a.set(p, "1") == 1                    # acknowledged: committed by a quorum
                read_id = len(h.records)          # the id the plain read will have
                got = b.get(p)
                assert b.syncread(p) == ["1", 1]             # a sync-read is up to date
                for link in slow:
                    link.set_delay(0.0)
                if got == ["0", 0]:
                    stale = read_id
                    break
                assert got == ["1", 1], got
            assert stale is not None, "three tries saw no stale read behind a 400 ms delay"
            assert sum(link.forwarded for link in slow) > 0      # the delayed links carried the broadcast
            keep(h, f"stale-{system}")
            records = h.select()
            lin = check(h, ("write", "read", "syncread"), LIN)
            assert lin.verdict is HistoryVerdict.VIOLATED
            f = lin.failure
            assert f.key == f"/stale{attempt}"
            # the stale read is what cannot be placed: after the set, the model answers the new value
            assert records[stale]["result"] == ["0", 0]
            assert stale in dict(f.stuck), (stale, f.stuck, records)
            assert dict(f.stuck)[stale].endswith("-> ['1', 1]"), f.stuck
            assert check(h, ("write", "read", "syncread"), SEQ).verdict is HistoryVerdict.OK
            assert check(h, ("write", "syncread"), LIN).verdict is HistoryVerdict.OK
        finally:
            for zk in made:
                zk.stop()
                zk.close()
            e.close()


# ---- a workload under faults ------------------------------------------------------------

KEYS = [f"/f{i}" for i in range(4)]       # top-level: each key (with its children) is a part of its own


class Worker(threading.Thread):
    """One kazoo client issuing random operations on KEYS until stopped, recorded."""

    def __init__(self, h: History, hosts: str, k: int, seed: int, stop: threading.Event, pause: float):
        super().__init__(daemon=True)
        self.k, self.rng, self.stop, self.pause = k, random.Random(seed * 100 + k), stop, pause
        self.zk = KazooClient(hosts=hosts, timeout=4)
        self.zk.start(timeout=20)
        self.c = h.client(self.zk, timeout=5)
        self.version: dict[str, int] = {}      # the last version this client saw of each key
        self.children: list[str] = []
        self.error: BaseException | None = None

    def run(self):
        try:
            self.work()
        except BaseException as exc:           # reported by the test, not lost in the thread
            self.error = exc

    def work(self):
        c, rng, n = self.c, self.rng, 0
        while not self.stop.is_set():
            n += 1
            key = rng.choice(KEYS)
            data = f"{self.k}.{n}"
            r = rng.random()
            if r < 0.15:
                c.set(key, data)
            elif r < 0.25:
                c.set(key, data, self.version.get(key, 0))
            elif r < 0.32:
                c.create(key, data)
            elif r < 0.36:
                c.delete(key, rng.choice([-1, self.version.get(key, 0)]))
            elif r < 0.40:
                child = f"{key}/c{self.k}.{n}"
                if c.create(child, "") == child:
                    self.children.append(child)
            elif r < 0.43 and self.children:
                c.delete(self.children.pop(rng.randrange(len(self.children))))
            elif r < 0.47:
                c.children(key)
            elif r < 0.67:
                self.seen(key, c.get(key))
            elif r < 0.72:
                c.exists(key)
            else:
                self.seen(key, c.syncread(key))
            time.sleep(rng.uniform(0, 2 * self.pause))

    def seen(self, key, result):
        if isinstance(result, list):
            self.version[key] = result[1]


def leader_of(e) -> int | None:
    return next((s["id"] for s in ensemble.status(e.dir) if s.get("role") == "LEADING" and s["running"]), None)


def signal_server(e, sid: int, sig: int) -> None:
    pid = ensemble.pid_of(e.dir, sid)
    if pid is not None:
        os.kill(pid, sig)


def pause(e, server: int, seconds: float) -> None:
    """Stop ``server`` (SIGSTOP) for ``seconds``, then let it go on (SIGCONT) whatever happens."""
    signal_server(e, server, signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        signal_server(e, server, signal.SIGCONT)


def run_workload(e, seed: int, clients: int, pause: float, faults) -> tuple[History, dict]:
    """Run ``clients`` recorded workers while ``faults(e)`` runs in this thread; return
    the history and what happened."""
    setup = KazooClient(hosts=e.hosts(), timeout=4)
    setup.start(timeout=20)
    setup.stop()
    setup.close()
    h = History()
    stop = threading.Event()
    workers = []
    try:
        workers = [Worker(h, e.hosts(), k, seed, stop, pause) for k in range(clients)]
        for w in workers:
            w.start()
        notes = faults(e)
    finally:
        stop.set()
        for w in workers:
            w.join(20)
        for w in workers:
            w.zk.stop()
            w.zk.close()
    errors = [w.error for w in workers if w.error is not None]
    assert not errors, errors
    return h, notes


def kill_pause_partition(e, rng: random.Random) -> dict:
    """The faults, each followed by a wait until the ensemble serves again: the leader
    killed and restarted; a follower paused for 2 s; the links between the leader and a
    follower cut for 3 s (both directions), then healed; the leader paused for 2 s (the
    others elect a new one; the old one resumes behind them)."""
    ids = [1, 2, 3]
    resumed = []

    def serving():
        t0 = time.monotonic()
        ensemble.wait_serving(e.dir, timeout=30)
        resumed.append(round(time.monotonic() - t0, 2))
    time.sleep(2.5)
    leader = leader_of(e)
    ensemble.kill(e.dir, leader)
    time.sleep(1.0)
    ensemble.start_server(e.dir, leader)
    serving()
    time.sleep(2.0)
    follower = rng.choice([i for i in ids if i != leader_of(e)])
    pause(e, follower, 2.0)
    serving()
    time.sleep(2.0)
    leader = leader_of(e)
    follower = rng.choice([i for i in ids if i != leader])
    cut = [e.links[(leader, follower)], e.links[(follower, leader)]]
    for link in cut:
        link.cut()
    end = time.monotonic() + 3.0
    left = False                        # the cut follower noticed: it stopped following
    while time.monotonic() < end:
        st = {s["id"]: s for s in ensemble.status(e.dir)}
        left = left or st[follower].get("role") != "FOLLOWING" or not st[follower].get("serving")
        time.sleep(0.05)
    for link in cut:
        link.heal()
    serving()
    time.sleep(2.0)
    leader = leader_of(e)
    pause(e, leader, 2.0)
    serving()
    time.sleep(2.0)
    return {"resumed": resumed, "partition_noticed": left, "paused_leader": leader, "leader_after": leader_of(e)}


@pytest.mark.slow
def test_kills_pauses_and_a_partition_keep_writes_and_sync_reads_linearizable():
    """Four recorded clients on our three servers while the leader is killed, a
    follower and then the leader paused (SIGSTOP/SIGCONT), and a leader-follower link cut
    (a proxy per directed link). Writes with sync-reads are linearizable; the whole
    history, plain reads too, is sequentially consistent. Bounded: about 25 s of workload,
    about 5,000 operations."""
    rng = random.Random(3)
    t0 = time.monotonic()
    with Proxies() as px:
        e = Ours(proxies=px, tick_ms=200)
        try:
            h, notes = run_workload(e, 3, clients=4, pause=0.01, faults=lambda e: kill_pause_partition(e, rng))
        finally:
            e.close()
    keep(h, "faults")
    counts = h.counts()
    print("ops:", counts, "faults:", notes, f"run {time.monotonic() - t0:.1f} s")
    assert counts["ops"] > 2000 and counts["syncread"] > 50 and counts["read"] > 100, counts
    assert counts["pending"] > 0, counts                # the faults did interrupt operations
    assert max(notes["resumed"]) < 15, notes
    assert notes["partition_noticed"] and notes["leader_after"] != notes["paused_leader"], notes
    lin = check(h, ("write", "syncread"), LIN, time_limit=30)
    print(f"linearizable: {lin.operations} ops, {lin.parts} parts, {lin.elapsed:.2f} s")
    assert lin.verdict is HistoryVerdict.OK, lin
    seq = check(h, ("write", "read", "syncread"), SEQ, time_limit=30)
    print(f"sequential: {seq.operations} ops, {seq.parts} parts, {seq.elapsed:.2f} s")
    assert seq.verdict is HistoryVerdict.OK, seq


# ---- seeded bugs ------------------------------------------------------------------------

@pytest.mark.slow
def test_the_stale_own_read_bug_makes_a_sync_read_stale():
    """Seeded bug stale-own-read: a read queued behind the connection's pending write is
    answered from the tree at once. A sync is such a write, so the read of a sync-read is
    taken before the sync: on a follower 400 ms behind (the stale-read setup), the
    sync-read after an acknowledged write returns the old value. The writes and sync-reads
    are then not linearizable, and the checker names that sync-read. (Without the bug the
    same sync-read is up to date: the stale-read test above.)"""
    with Proxies() as px:
        e = Ours(proxies=px, bugs=["stale-own-read"])
        made = []
        try:
            st = ensemble.status(e.dir)
            leader = next(s["id"] for s in st if s.get("role") == "LEADING")
            follower = min(i for i in (1, 2, 3) if i != leader)
            slow = [link for (i, j), link in e.links.items() if j == follower]
            for i in (leader, follower):
                made.append(KazooClient(hosts=e.hosts(i - 1), timeout=10))
                made[-1].start(timeout=20)
            h = History()
            a, b = h.client(made[0]), h.client(made[1])
            assert a.create("/own", "0") == "/own"
            deadline = time.monotonic() + 5
            while b.get("/own") != ["0", 0] and time.monotonic() < deadline:
                time.sleep(0.05)                 # the follower has the node
            for link in slow:
                link.set_delay(0.4)
            assert a.set("/own", "1") == 1
            sync_read = len(h.select(("write", "syncread")))     # its id in the checked history
            assert b.syncread("/own") == ["0", 0]        # the bug: the sync did not order the read
            keep(h, "stale-own-read")
            lin = check(h, ("write", "syncread"), LIN)
            assert lin.verdict is HistoryVerdict.VIOLATED
            assert lin.failure.key == "/own"
            assert dict(lin.failure.stuck)[sync_read].endswith("-> ['1', 1]"), lin.failure.stuck
        finally:
            for zk in made:
                zk.stop()
                zk.close()
            e.close()


class Creator(threading.Thread):
    """Creates /aK.N (each a part of its own) one after another until stopped."""

    def __init__(self, h: History, hosts: str, k: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.k, self.stop = k, stop
        self.zk = KazooClient(hosts=hosts, timeout=4)
        self.zk.start(timeout=20)
        self.c = h.client(self.zk, timeout=5)
        self.done = 0

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            if self.c.create(f"/a{self.k}.{n}", f"{self.k}.{n}") is None:
                time.sleep(0.05)            # no answer: the ensemble is down, wait for it
            else:
                self.done += 1


@pytest.mark.slow
def test_ack_before_durable_loses_an_acknowledged_create_in_the_history():
    """Seeded bug ack-before-durable (ZOOKEEPER-3911) with power outages of the whole
    ensemble (the followers come back first), as in test_zab_faults.py: after each outage
    a recorded client sync-reads every path whose create was acknowledged. Up to 20
    outages (200 s at most), stopping at the first create lost; the history is then not linearizable, and
    the checker names the lost path and the sync-read that found no node."""
    e = Ours(tick_ms=200, bugs=["ack-before-durable"])
    h = History()
    stop = threading.Event()
    workers = []
    try:
        workers = [Creator(h, e.hosts(), k, stop) for k in range(3)]
        for w in workers:
            w.start()
        ids = ensemble.ids(ensemble.load(e.dir))
        lost, checked = None, 0
        give_up = time.monotonic() + 200          # bounded in time as in count
        for _ in range(20):
            if time.monotonic() > give_up:
                break
            done = sum(w.done for w in workers)
            end = time.monotonic() + 10
            while sum(w.done for w in workers) < done + 30 and time.monotonic() < end:
                time.sleep(0.05)                 # the workers write again after the last outage
            leader = leader_of(e) or ids[0]
            ensemble.power_fail(e.dir, ids)
            rest = [i for i in ids if i != leader]
            for i in rest:
                ensemble.start_server(e.dir, i)
            ensemble.wait_serving(e.dir, timeout=30, servers=set(rest))
            ensemble.start_server(e.dir, leader)
            ensemble.wait_serving(e.dir, timeout=30)
            writes = h.select(("write",))
            acked = [r["args"][0] for r in writes[checked:] if r["ret"] is not None and r["result"] == r["args"][0]]
            checked = len(writes)
            zk = KazooClient(hosts=e.hosts(), timeout=4)
            zk.start(timeout=20)
            reader = h.client(zk)
            # the loss window is the last batch before the outage: the newest creates,
            # newest first, at most 100 and 10 s a round (a read may wait 5 s for an answer)
            end = time.monotonic() + 10
            for p in acked[::-1][:100]:
                if reader.syncread(p) == "NoNode":
                    lost = p
                    break
                if time.monotonic() > end or time.monotonic() > give_up:
                    break
            zk.stop()
            zk.close()
            if lost:
                break
        assert lost is not None, "twenty outages lost no acknowledged create with ack-before-durable"
    finally:
        stop.set()
        for w in workers:
            w.join(20)
            w.zk.stop()
            w.zk.close()
        e.close()
    keep(h, "ack-before-durable")
    path = lost
    read = next(i for i, r in enumerate(h.select(("write", "syncread")))    # its id in the checked history
                if r["f"] == "getData" and r["args"] == [path] and r["result"] == "NoNode")
    counts = h.counts()
    t0 = time.monotonic()
    lin = check(h, ("write", "syncread"), LIN)
    print("ops:", counts, f"check {time.monotonic() - t0:.2f} s, {lin.parts} parts")
    assert lin.verdict is HistoryVerdict.VIOLATED
    assert lin.failure.key == path
    assert dict(lin.failure.stuck)[read].endswith("-> [" + repr(path[2:]) + ", 0]"), lin.failure.stuck
