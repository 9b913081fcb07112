"""The tools of the history tests, without servers: the per-link proxy (delay, cut, heal)
against a local echo server, and the recorder's rules (results, definite errors, pending
operations, a new process after one) against a stand-in for kazoo."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from kazoo.exceptions import BadVersionError, ConnectionLoss, NoNodeError
from kazoo.handlers.threading import KazooTimeoutError

from .history import History
from .proxy import Proxies

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def echo():
    """A TCP echo server on 127.0.0.1; its port."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    stop = threading.Event()

    def serve(conn):
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def accept():
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join(2)
    srv.close()


def roundtrip(port: int, data: bytes, timeout: float = 2.0) -> tuple[bytes, float]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        t0 = time.monotonic()
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
        return got, time.monotonic() - t0


def test_the_proxy_forwards_delays_in_order_cuts_and_heals(echo):
    with Proxies() as px:
        link = px.add(echo, "test")
        assert roundtrip(link.port, b"hello") [0] == b"hello"
        link.set_delay(0.1)                      # each direction: 0.2 s there and back
        got, took = roundtrip(link.port, b"x" * 100_000)
        assert got == b"x" * 100_000 and took >= 0.2
        link.set_delay(0.0)
        with socket.create_connection(("127.0.0.1", link.port), timeout=2) as s:
            for i in range(50):                  # many small writes: order kept
                s.sendall(b"%03d" % i)
            got = b""
            while len(got) < 150:
                got += s.recv(4096)
            assert got == b"".join(b"%03d" % i for i in range(50))
            link.cut()
            s.sendall(b"lost")
            s.settimeout(0.3)
            with pytest.raises(socket.timeout):
                s.recv(10)                       # swallowed: a partition, not a reset
            link.heal()
            s.settimeout(2)
            assert s.recv(10) == b""             # the connection that lost bytes is closed
        link.cut()
        with pytest.raises(socket.timeout):
            roundtrip(link.port, b"new", timeout=0.3)
        link.heal()
        assert roundtrip(link.port, b"again")[0] == b"again"
        assert link.forwarded > 100_000


class Done:
    def __init__(self, value=None, exc=None):
        self.value, self.exc = value, exc

    def get(self, timeout=None):
        if self.exc is not None:
            raise self.exc
        return self.value


class Stat:
    def __init__(self, version):
        self.version = version


class FakeZk:
    """Answers from a script: each call pops the next outcome."""

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def _next(self, name, *a, **kw):
        self.calls.append(name)
        out = self.outcomes.pop(0)
        return Done(exc=out) if isinstance(out, BaseException) else Done(out)

    def __getattr__(self, name):
        if name.endswith("_async"):
            return lambda *a, **kw: self._next(name[:-6], *a, **kw)
        raise AttributeError(name)


def test_the_recorder_writes_results_errors_and_pending_operations(tmp_path):
    h = History()
    zk = FakeZk(["/k", Stat(1), BadVersionError(), ConnectionLoss(), (b"v", Stat(1)), NoNodeError(),
                 KazooTimeoutError(), None, (b"w", Stat(2)), ["b", "a"], Stat(3)])
    c = h.client(zk)
    assert c.create("/k", "v") == "/k"
    assert c.set("/k", "v", 0) == 1
    assert c.set("/k", "x", 0) == "BadVersion"
    assert c.delete("/k") is None                          # lost: pending
    assert c.get("/k") == ["v", 1]
    assert c.get("/nope") == "NoNode"
    assert c.exists("/k") is None                          # timed out: pending
    assert c.syncread("/k") == ["w", 2]
    assert c.children("/k") == ["a", "b"]
    assert c.exists("/k") == 3
    assert zk.calls == ["create", "set", "set", "delete", "get", "get", "exists", "sync", "get",
                        "get_children", "exists"]
    recs = h.select()
    assert [(r["process"], r["f"], r["args"], r["result"], r["ret"] is None) for r in recs] == [
        (0, "create", ["/k", "v"], "/k", False),
        (0, "setData", ["/k", "v", 0], 1, False),
        (0, "setData", ["/k", "x", 0], "BadVersion", False),
        (0, "delete", ["/k", -1], None, True),             # the last of process 0
        (1, "getData", ["/k"], ["v", 1], False),
        (1, "getData", ["/nope"], "NoNode", False),
        (1, "exists", ["/k"], None, True),
        (2, "getData", ["/k"], ["w", 2], False),          # the sync-read
        (2, "getChildren", ["/k"], ["a", "b"], False),
        (2, "exists", ["/k"], 3, False),
    ]
    assert all(r["call"] <= r["ret"] for r in recs if r["ret"] is not None)
    assert all(a["call"] <= b["call"] for a, b in zip(recs, recs[1:]))
    assert h.counts() == {"ops": 10, "pending": 2, "write": 4, "read": 5, "syncread": 1}
    assert [r["f"] for r in h.select(("write", "syncread"))] == ["create", "setData", "setData", "delete", "getData"]
    path = tmp_path / "h.jsonl"
    assert h.write(str(path)) == 10
    lines = [json.loads(ln) for ln in path.read_text().splitlines()]
    assert lines == recs and set(lines[0]) == {"process", "call", "ret", "f", "args", "result"}
