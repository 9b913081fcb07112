"""Hostile input (issue 15 section 10, the rules of issue 14): a peer connection without
the ensemble's secret and a server id of the configuration is closed; malformed,
truncated or oversize client packets close that connection with a log line. None of it
crashes a server or changes its state."""

from __future__ import annotations

import json
import os
import socket
import struct
import time

import pytest

from reference.zab import ensemble, jute

pytestmark = pytest.mark.timeout(120)


def connect_request() -> bytes:
    body = struct.pack(">iqiq", 0, 0, 10000, 0) + jute.buffer(b"\0" * 16) + b"\0"
    return jute.frame(body)


def raw_session(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(connect_request())
    n = struct.unpack(">i", recv_exactly(s, 4))[0]
    recv_exactly(s, n)
    return s


def recv_exactly(s, n) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed")
        out += chunk
    return out


def closed_by_server(s: socket.socket, timeout: float = 5.0) -> bool:
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def state(ours) -> list:
    """Each server's (id, znode count, whether it serves), read after every status file
    was rewritten (they are every 0.5 s). Sessions of earlier tests may expire meanwhile,
    so the digest and zxids are not compared; what an attack could add is a znode."""
    t = time.time()
    while True:
        st = ensemble.status(ours.dir)
        if all(s.get("time", 0) > t + 0.1 for s in st):
            return [(s["id"], s.get("znodes"), s.get("serving")) for s in st]
        assert time.time() < t + 10, st
        time.sleep(0.05)


def test_a_bad_path_is_bad_arguments_on_both_backends(backend):
    s = raw_session(backend.ports[0])
    body = struct.pack(">ii", 1, 1) + jute.string("no-slash") + jute.buffer(b"") + jute.acls([jute.OPEN_ACL]) \
        + struct.pack(">i", 0)
    s.sendall(jute.frame(body))
    n = struct.unpack(">i", recv_exactly(s, 4))[0]
    xid, _zxid, err = struct.unpack(">iqi", recv_exactly(s, n)[:16])
    assert (xid, err) == (1, -8)
    s.close()


def test_an_unknown_operation_is_unimplemented_and_the_connection_stays(backend):
    s = raw_session(backend.ports[0])
    s.sendall(jute.frame(struct.pack(">ii", 5, 4242)))
    n = struct.unpack(">i", recv_exactly(s, 4))[0]
    xid, _zxid, err = struct.unpack(">iqi", recv_exactly(s, n)[:16])
    assert xid == 5 and err == -6                 # Unimplemented
    s.close()


@pytest.mark.parametrize("payload", [
    b"\xff\xff\xff\xf0garbage",                                         # a negative length
    struct.pack(">i", 0x7FFFFFFF) + b"x" * 100,                         # 2 GB announced
    struct.pack(">i", 2 * 1024 * 1024),                                 # over jute.maxbuffer
    jute.frame(b"\0\0\0\0"),                                            # a truncated ConnectRequest
    jute.frame(struct.pack(">iqiq", 0, 0, 10000, 0) + struct.pack(">i", 1 << 30)),   # passwd length absurd
], ids=["negative-length", "2GB", "over-maxbuffer", "truncated-connect", "absurd-passwd"])
def test_malformed_connects_close_the_connection_and_change_nothing(ours, payload):
    before = state(ours)
    s = socket.create_connection(("127.0.0.1", ours.ports[0]), timeout=5)
    s.sendall(payload)
    assert closed_by_server(s)
    s.close()
    assert all(ensemble.pid_of(ours.dir, i) for i in (1, 2, 3))
    assert state(ours) == before
    assert "malformed client packet" in open(os.path.join(ours.dir, "s1", "server.log")).read()


@pytest.mark.parametrize("body", [
    struct.pack(">ii", 7, 1) + struct.pack(">i", 1 << 20) + b"/x",          # create: a path longer than the packet
    struct.pack(">ii", 7, 14) + struct.pack(">ibi", 99, 0, -1),             # multi with an unknown op type
    struct.pack(">ii", 7, 4) + jute.string("/x"),                           # getData without its watch flag
    struct.pack(">ii", 7, 1) + struct.pack(">i", 3) + b"/\xff\xfe",         # a path that is not UTF-8
], ids=["long-path", "multi-unknown-op", "truncated-getdata", "not-utf8"])
def test_malformed_requests_close_that_connection_only(ours, body):
    zk = raw_session(ours.ports[1])
    bad = raw_session(ours.ports[1])
    bad.sendall(jute.frame(body))
    assert closed_by_server(bad)
    zk.sendall(jute.frame(struct.pack(">ii", 3, 3) + jute.string("/") + b"\0"))        # exists("/")
    n = struct.unpack(">i", recv_exactly(zk, 4))[0]
    assert struct.unpack(">iqi", recv_exactly(zk, n)[:16])[::2] == (3, 0)
    zk.close()


def _peer_hello(port: int) -> tuple[socket.socket, dict]:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    f = s.makefile("rb")
    return s, json.loads(f.readline())


@pytest.mark.parametrize("first", [
    b'{"m": "PROPOSE", "zxid": 99999999999, "txn": {"op": "create", "path": "/forged"}}\n',
    b'{"auth": "2", "proof": "00"}\n',                         # a wrong proof
    b'{"auth": "../evil", "proof": "00"}\n',                   # not a server of the configuration
    b"x" * 10000 + b"\n",                                      # an oversize first line
    b"\x00\x01garbage\n",
], ids=["forged-propose", "wrong-proof", "unknown-id", "oversize", "garbage"])
def test_a_peer_connection_without_the_secret_is_refused(ours, first):
    before = state(ours)
    peer = ours.conf["servers"]["1"]["peer"]
    s, hello = _peer_hello(peer)
    assert set(hello) == {"hello", "nonce"}
    s.sendall(first)
    s.sendall(b'{"m": "COMMIT", "zxid": 99999999999}\n')
    assert closed_by_server(s)
    s.close()
    time.sleep(0.2)
    assert state(ours) == before             # no proposal was taken, no tree changed
    assert "refused a peer connection" in open(os.path.join(ours.dir, "s1", "server.log")).read()


def test_set_watches_re_registers_and_fires_what_was_missed(backend):
    """SetWatches (what a client sends after a reconnect): a data watch on a node changed
    since the client's zxid fires at once; one on an unchanged node fires on the next
    change. Raw packets, as kazoo does not send it."""
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=backend.hosts(), timeout=10)
    zk.start(timeout=15)
    zk.ensure_path("/sw")
    zk.create("/sw/a", b"")
    zk.create("/sw/b", b"")
    seen = zk.exists("/sw/b").mzxid
    zk.set("/sw/a", b"changed")
    s = raw_session(backend.ports[0])
    body = struct.pack(">ii", -8, 101) + struct.pack(">q", seen) + jute.strings(["/sw/a", "/sw/b"]) \
        + jute.strings([]) + jute.strings([])
    s.sendall(jute.frame(body))

    def packet():
        n = struct.unpack(">i", recv_exactly(s, 4))[0]
        return recv_exactly(s, n)
    got = [packet(), packet()]
    kinds = sorted(struct.unpack(">iqi", p[:16])[0] for p in got)
    assert kinds == [-8, -1]                               # the reply and one event
    ev = next(p for p in got if struct.unpack(">i", p[:4])[0] == -1)
    assert struct.unpack(">ii", ev[16:24])[0] == jute.NODE_DATA_CHANGED and ev.endswith(b"/sw/a")
    zk.set("/sw/b", b"now")
    ev = packet()
    assert struct.unpack(">i", ev[:4])[0] == -1 and ev.endswith(b"/sw/b")
    s.close()
    zk.delete("/sw", recursive=True)
    zk.stop()


def test_an_endless_unauthenticated_line_is_refused_early(ours):
    """Bytes without a newline before authentication: the server holds at most its
    64 KiB read buffer, then refuses the connection (it does not wait for a line of up
    to the 256 MiB an authenticated peer may send)."""
    peer = ours.conf["servers"]["2"]["peer"]
    s, _hello = _peer_hello(peer)
    sent = 0
    try:
        while sent < 8 << 20:
            s.sendall(b"x" * 65536)
            sent += 65536
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert closed_by_server(s)
    s.close()
    assert sent < 8 << 20                     # refused long before 8 MiB
    assert "refused a peer connection" in open(os.path.join(ours.dir, "s2", "server.log")).read()
