"""Who may say what (issue 14, section 1), against a real cluster on 127.0.0.1: each
forged line the issue lists is sent to a real process and must be refused, logged, and
leave the state unchanged; the cluster still works afterwards (money conserved, every
transaction atomic, status answered).

Before the fix every one of these was applied: a forged prepare from "mallory" and a
forged commit moved money (1,200 became 1,001,200), `{"op": "shutdown"}` stopped a
process for anyone, "src": "../evil" made a participant read ../evil.addr, and one
clock of 18446744073709551613 wedged the cluster for good.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import time

import pytest

from reference.twophase import auth, client, cluster
from tests.reference.clusters import stop

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]


async def _raw(d, name, lines, who=None, key=None, read=True):
    """Open a connection to ``name``; authenticate as ``who`` (with ``key``, default
    the cluster's secret) if given; send ``lines``; return what came back."""
    from reference.twophase.runtime import read_addr
    reader, writer = await asyncio.open_connection(*read_addr(d, name))
    hello = json.loads(await reader.readline())
    if who is not None:
        writer.write((json.dumps(auth.answer(key or auth.read_secret(d), hello, who)) + "\n").encode())
    for obj in lines:
        writer.write((obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n")
    await writer.drain()
    got = b""
    while read:
        try:
            line = await asyncio.wait_for(reader.readline(), 0.5)
        except asyncio.TimeoutError:
            break
        if not line:
            break
        got += line
    writer.close()
    return hello, got.decode()


def _refused_with_more(d, name):
    """A refused first line with 200 KB more behind it, unread when the process refuses;
    then read to the end: what came back, or the error that ended the reading."""
    from reference.twophase.runtime import read_addr
    with socket.create_connection(read_addr(d, name), timeout=5) as s:
        s.recv(4096)                                          # the hello
        s.sendall(json.dumps(PREPARE).encode() + b"\n" + b" " * 200_000)
        time.sleep(0.3)
        got = b""
        try:
            while chunk := s.recv(4096):
                got += chunk
        except OSError as e:
            return f"{got.decode()} then {e!r}"
        return got.decode()


def _status(d):
    return {p: client.request_sync(d, p, {"op": "status"}) for p in cluster.load(d)["participants"]}


def _money(st):
    return sum(s["total"] for s in st.values())


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("attacks") / "c")
    cluster.create(d, participants=3, accounts=4, balance=100, lifetime=100, vote_timeout=0.5, ask_interval=0.1)
    procs = list(cluster.start_all(d).values())
    res = asyncio.run(client.run_workload(d, 20, concurrency=2, seed=1, timeout=3.0))
    assert res.committed > 0
    # the workload may end with a transaction still in doubt at a participant (it asks the
    # coordinator every 0.1 s): wait until none is, so that a test's "before" and "after"
    # snapshots differ only by what the test did (a loaded machine once caught one resolving
    # between the two). Bounded: 100 tries, 10 s.
    for _ in range(100):
        if not any(s["in_doubt"] for s in _status(d).values()):
            break
        time.sleep(0.1)
    else:
        pytest.fail("a transaction stayed in doubt for 10 s after the workload")
    yield d
    stop(d, procs)


def _log(d, name):
    return open(os.path.join(d, f"{name}.log")).read()


def test_the_secret_is_private(live):
    mode = stat.S_IMODE(os.stat(auth.secret_path(live)).st_mode)
    assert mode == 0o600


PREPARE = {"m": "prepare", "txn": "evil1", "src": "mallory", "dst": "rm1", "lc": 5, "ops": [["a0", 1000000]]}
COMMIT = {"m": "commit", "txn": "evil1", "src": "tm", "dst": "rm1", "lc": 6}


def test_unauthenticated_lines_are_refused_and_change_nothing(live):
    d = live
    before = _status(d)
    for lines in ([PREPARE, COMMIT], [{"op": "shutdown"}], [{"op": "heuristic", "txn": "x", "outcome": "commit"}],
                  [b"not json at all"], [b"[" * 50000]):
        hello, got = asyncio.run(_raw(d, "rm1", lines))
        assert "nonce" in hello and '"error": "not authenticated"' in got
    # a wrong secret is no better
    _, got = asyncio.run(_raw(d, "rm1", [COMMIT], who="tm", key=b"\x01" * 32))
    assert '"error": "not authenticated"' in got
    assert _status(d) == before                                   # still running, nothing applied
    assert "refused: a connection: " in _log(d, "rm1")


def test_a_refused_connection_closes_without_a_reset(live):
    # Closing a socket with unread input sends a reset, and the reset throws away the
    # error line the peer had not read yet (CI once lost it that way): the process reads
    # and drops what follows a refused line before it closes (runtime.LINGER).
    assert _refused_with_more(live, "rm1") == '{"error": "not authenticated"}\n'


@pytest.mark.parametrize("who,line,why", [
    # authenticated, but not who the message claims to be
    ("tm", PREPARE, "claims to be from 'mallory' on tm's connection"),
    ("tm", dict(PREPARE, src="../evil"), "claims to be from '../evil'"),
    # a vote "from rm3" on rm1's connection, at the coordinator
    ("rm1", {"m": "yes", "txn": "evil2", "src": "rm3", "dst": "tm", "lc": 7}, "claims to be from 'rm3'"),
    # a client may not speak the protocol
    ("client", dict(COMMIT, src="client"), "from client, which does not send to rm1"),
    # a participant does not receive votes
    ("tm", {"m": "yes", "txn": "evil3", "src": "tm", "dst": "rm1", "lc": 8}, "rm1 does not receive yes"),
    # a clock that would wedge the cluster (struct ">Q" overflow, for good)
    ("tm", dict(COMMIT, lc=18446744073709551613), "the clock 18446744073709551613 is outside 0..2^63-1"),
    ("tm", dict(COMMIT, lc=1 << 50), "more than 2^40 ahead"),
    # operations that are not integers
    ("tm", dict(PREPARE, src="tm", ops=[["a0", 0.9]]), "a delta must be an integer"),
    ("tm", dict(PREPARE, src="tm", ops=[["a0", True]]), "a delta must be an integer"),
])
def test_authenticated_but_not_allowed(live, who, line, why):
    d = live
    name = line["dst"]
    before = _status(d)
    logged = _log(d, name).count("refused:")
    asyncio.run(_raw(d, name, [line], who=who, read=False))
    asyncio.run(asyncio.sleep(0.2))
    after = _status(d)
    assert after == before and _money(after) == 1200
    text = _log(d, name)
    assert text.count("refused:") > logged
    assert why in text, text[-2000:]


def test_begin_requests_with_bad_operations_get_an_error_and_log_nothing(live):
    d = live
    wal = os.path.join(d, "tm.wal")
    size = os.path.getsize(wal)
    for ops in ({"rm1": [["a0", float("inf")]], "rm2": [["a0", 0]]},
                {"rm1": [["a0", 0.9]], "rm2": [["a0", -0.9]]},
                {"rm1": [["a0", True]], "rm2": [["a0", -1]]}):
        body = json.dumps({"op": "begin", "txn": "bad", "ops": ops})          # inf is written Infinity
        _, got = asyncio.run(_raw(d, "tm", [body.encode()], who="client"))
        assert "ops must map participants to lists of [account, delta]" in got, got
    assert os.path.getsize(wal) == size


def test_a_flood_of_idle_connections_does_not_stop_status(live):
    d = live
    from reference.twophase.runtime import MAX_PENDING, read_addr

    async def flood():
        conns = [await asyncio.open_connection(*read_addr(d, "rm2")) for _ in range(MAX_PENDING * 3)]
        st = await client.request(d, "rm2", {"op": "status"}, timeout=3.0)     # still answered
        for _, w in conns:
            w.close()
        return st

    st = asyncio.run(flood())
    assert st["proc"] == "rm2"
    assert "connections waiting to authenticate: the oldest closed" in _log(d, "rm2")


def test_the_cluster_still_works_after_all_that(live):
    d = live
    res = asyncio.run(client.run_workload(d, 20, concurrency=2, seed=2, timeout=3.0))
    status = asyncio.run(client.wait_quiet(d, timeout=20))
    assert client.verify(d, status, res) == []
    assert res.committed > 0 and _money(status) == 1200


def test_a_flood_of_authenticated_prepares_does_not_stop_status(tmp_path):
    """3,000 prepares with empty operations from the coordinator's own (authenticated)
    connection: each is a logged, fsynced vote, and the participant used to take them all
    before answering anything else (status waited 1.5 to over 5 s). It now yields after
    each message: status is answered within a fraction of a second throughout."""
    from reference.twophase.runtime import read_addr

    d = str(tmp_path / "c")
    cluster.create(d, participants=3, accounts=4, balance=100, lifetime=60, vote_timeout=0.5, ask_interval=0.1)
    procs = list(cluster.start_all(d).values())
    try:
        async def flood():
            reader, writer = await asyncio.open_connection(*read_addr(d, "rm1"))
            hello = json.loads(await reader.readline())
            writer.write((json.dumps(auth.answer(auth.read_secret(d), hello, "tm")) + "\n").encode())
            for k in range(3000):
                writer.write(json.dumps({"m": "prepare", "txn": f"f{k}", "src": "tm", "dst": "rm1", "lc": 1000 + k,
                                         "ops": []}).encode() + b"\n")
            await writer.drain()
            worst, asked, end = 0.0, 0, time.monotonic() + 3
            while time.monotonic() < end:
                t0 = time.monotonic()
                st = await client.request(d, "rm1", {"op": "status"}, timeout=5.0)
                worst = max(worst, time.monotonic() - t0)
                asked += 1
            writer.close()
            return worst, asked, st

        worst, asked, st = asyncio.run(flood())
        assert st["proc"] == "rm1" and asked >= 10
        assert worst < 0.5, worst
    finally:
        stop(d, procs)
