"""A reconnecting client never reads older data than it has seen (ZooKeeper's
per-client sequential consistency), on our reference ZooKeeper and on the real one.

The connect request carries the last zxid the client saw; a server that has applied
less must not serve it (ZooKeeperServer.processConnectRequest refuses it; ours first
passes a sync, then refuses if still behind: docs/reference-zab.md, "Clients").

- fast: a raw connect request claiming a zxid far beyond the server's is refused (the
  connection closes with no connect response), where the same request with zxid 0 is
  answered; on ours the refusal is logged.
- slow: a kazoo client writes through the leader, then is moved to a follower whose
  incoming link is delayed by 400 ms (the proxy of tests/reference/zab/proxy.py, as in
  test_zab_histories.py); its first read there returns the value it wrote. Without the
  check the follower answers the old value.

Depends on kazoo, the fixtures of conftest.py and, for the real ZooKeeper, Debian's
zookeeper package (reference/zab/apache.py).
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time

import pytest
from kazoo.client import KazooClient, KazooState

from .proxy import Proxies
from .test_zab_histories import lagging_cluster

pytestmark = pytest.mark.timeout(240)


def connect_request(last_zxid: int) -> bytes:
    """A ConnectRequest written out by hand from ZooKeeper's jute definition (protocol
    version, lastZxidSeen, timeOut, sessionId, passwd, readOnly), length-prefixed."""
    body = struct.pack(">iqiqi", 0, last_zxid, 10000, 0, 16) + bytes(16) + b"\0"
    return struct.pack(">i", len(body)) + body


def answer(port: int, last_zxid: int, wait: float = 5.0) -> bytes:
    """What the server sends back on a fresh connection to a connect request, until it
    closes the connection or ``wait`` seconds pass."""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        s.sendall(connect_request(last_zxid))
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                break
            if not chunk:
                return got
            got += chunk
            if len(got) >= 4 and len(got) >= 4 + struct.unpack(">i", got[:4])[0]:
                return got             # a whole connect response
    return got


def test_a_connect_request_from_the_future_is_refused(backend):
    """zxid 0 gets a connect response (a session id and password); a zxid of epoch 2^30,
    beyond anything this server applied, gets the connection closed without one."""
    port = backend.ports[0]
    ok = answer(port, 0)
    assert len(ok) >= 4 + 4 + 4 + 8 + 4 + 16, ok            # protocol, timeout, session, passwd
    timeout, sid = struct.unpack(">iq", ok[8:20])
    assert timeout > 0 and sid != 0, (timeout, sid)
    future = (1 << 30) << 32
    t0 = time.monotonic()
    assert answer(port, future, wait=10.0) == b""
    assert time.monotonic() - t0 < 10.0                       # closed, not timed out
    if backend.name == "ours":
        with open(os.path.join(backend.dir, "s1", "server.log"), errors="replace") as f:
            log = f.read()
        assert f"it has seen zxid {1 << 30}.0" in log, log[-2000:]


def move(zk: KazooClient, hosts: str, timeout: float = 15.0) -> float:
    """Point ``zk`` at ``hosts`` and break its connection, so that it reconnects there
    with its session; the seconds until it is connected again."""
    lost, back = threading.Event(), threading.Event()

    def listen(state):
        if state != KazooState.CONNECTED:
            lost.set()
        elif lost.is_set():
            back.set()
            return True                # done: remove the listener
    zk.add_listener(listen)
    zk.set_hosts(hosts, randomize_hosts=False)
    t0 = time.monotonic()
    zk._connection._socket.shutdown(socket.SHUT_RDWR)    # kazoo sees the connection dropped
    assert back.wait(timeout), "the client did not reconnect"
    return time.monotonic() - t0


@pytest.mark.slow
@pytest.mark.parametrize("system", ["ours", "zookeeper"])
def test_a_client_moved_to_a_lagging_follower_reads_its_own_write(system):
    """A client writes "1" through the leader, is moved to a follower that has not heard
    of the write yet (its incoming link delayed by 400 ms): its first read there returns
    "1", not the "0" the follower still holds. Ours catches up by a sync before accepting
    the connection; the real ZooKeeper refuses until it has caught up, and kazoo retries."""
    with Proxies() as px:
        e, leader, follower, slow = lagging_cluster(system, px)
        made = []
        try:
            def client(i):
                zk = KazooClient(hosts=e.hosts(i - 1), timeout=10, randomize_hosts=False)
                zk.start(timeout=20)
                made.append(zk)
                return zk
            a, b = client(leader), client(follower)
            p = "/moved"
            assert a.create(p, b"0") == p
            b.sync(p)
            assert b.get(p)[0] == b"0"                 # the follower has the node
            for link in slow:
                link.set_delay(0.4)
            assert a.set(p, b"1").version == 1         # acknowledged: committed by a quorum
            seen = a.last_zxid
            assert b.get(p)[0] == b"0"                 # the follower is behind (the delay works)
            took = move(a, e.hosts(follower - 1))
            got = a.get(p)[0]
            now_seen = a.last_zxid             # the zxid in the read's reply header
            assert a._connection._socket.getpeername()[1] == e.ports[follower - 1]
            for link in slow:
                link.set_delay(0.0)
            assert got == b"1", f"a stale read after moving (reconnected in {took:.2f} s)"
            assert now_seen >= seen                    # nor did its zxid go back
            assert sum(link.forwarded for link in slow) > 0
        finally:
            for zk in made:
                zk.stop()
                zk.close()
            e.close()
