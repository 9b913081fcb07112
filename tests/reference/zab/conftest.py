"""Fixtures for the reference ZooKeeper: our three-server ensemble and the real Apache
ZooKeeper (Debian's package), each started once per test session (per xdist worker) on
free ports of 127.0.0.1 and stopped at the end. ``backend`` runs a test against both."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import tempfile
import time
import uuid

import pytest

from reference.zab import apache, ensemble


def free_block(n: int) -> int:
    """A base port with n consecutive ports free on 127.0.0.1."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 60000 - n)
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free block of ports")


class Ours:
    name = "ours"

    def __init__(self, servers: int = 3, proxies=None, **kw):
        """``proxies`` (a proxy.Proxies): every directed link between two servers goes
        through a proxy of its own, ``self.links[(i, j)]`` (server i dialling server j)."""
        self.links = {}
        # free_block only finds ports free at that moment; another worker or process may
        # take one before a server binds it, so a failed start is tried once more on others
        for attempt in (1, 2):
            self.dir = tempfile.mkdtemp(prefix="zabref-")
            base = free_block(2 * servers)
            if proxies is not None:
                self.links = {(i, j): proxies.add(base + servers + j - 1, f"s{i}>s{j}")
                              for i in range(1, servers + 1) for j in range(1, servers + 1) if i != j}
                kw["via"] = {f"{i}>{j}": link.port for (i, j), link in self.links.items()}
            self.conf = ensemble.create(self.dir, servers=servers, client_port=base, peer_port=base + servers,
                                        lifetime=900, **kw)
            try:
                ensemble.start_all(self.dir)
                ensemble.wait_serving(self.dir, timeout=60)
                break
            except ensemble.EnsembleError:
                logs = "".join(open(os.path.join(self.dir, f"s{i}", "server.log"), errors="replace").read()[-800:]
                               for i in range(1, servers + 1)
                               if os.path.exists(os.path.join(self.dir, f"s{i}", "server.log")))
                ensemble.stop_all(self.dir)
                if attempt == 2:
                    raise RuntimeError(f"the ensemble in {self.dir} did not start:\n{logs}") from None
        self.ports = [base + i for i in range(servers)]

    def hosts(self, i: int | None = None) -> str:
        ports = self.ports if i is None else [self.ports[i]]
        return ",".join(f"127.0.0.1:{p}" for p in ports)

    def merged_trace(self) -> list[dict]:
        """The servers' traces (each server's ``trace.jsonl``) merged by (lc, proc), as the
        validator merges per-process files."""
        events = []
        for i in ensemble.ids(ensemble.load(self.dir)):
            with open(os.path.join(self.dir, f"s{i}", "trace.jsonl")) as f:
                events += [json.loads(x) for x in f if x.strip()]
        events.sort(key=lambda e: (e["lc"], e["proc"]))
        return events

    def close(self):
        ensemble.stop_all(self.dir)
        if os.environ.get("ZAB_KEEP") != "1":          # keep the servers' files to look at
            shutil.rmtree(self.dir, ignore_errors=True)


class Real:
    name = "zookeeper"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="realzk-")
        base = free_block(1)
        self.procs = apache.start(self.dir, servers=1, client_port=base)
        self.ports = [base]

    def hosts(self, i: int | None = None) -> str:
        return f"127.0.0.1:{self.ports[0]}"

    def close(self):
        apache.stop(self.procs)
        shutil.rmtree(self.dir, ignore_errors=True)


class RealQuorum:
    """Three real ZooKeeper servers, each directed quorum link through a proxy of its own:
    ``self.links[(i, j)]`` is the proxy in server i's zoo.cfg for server j's quorum port
    (a follower i dials its leader j there)."""

    name = "zookeeper"

    def __init__(self, proxies):
        self.dir = tempfile.mkdtemp(prefix="realzk-")
        base = free_block(9)
        self.ports = [base, base + 1, base + 2]
        peer = base + 3
        self.links = {(i, j): proxies.add(peer + 2 * (j - 1), f"zk{i}>zk{j}")
                      for i in (1, 2, 3) for j in (1, 2, 3) if i != j}
        try:
            self.procs = apache.start(self.dir, servers=3, client_port=base, peer_port=peer,
                                      via={k: link.port for k, link in self.links.items()})
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def hosts(self, i: int | None = None) -> str:
        ports = self.ports if i is None else [self.ports[i]]
        return ",".join(f"127.0.0.1:{p}" for p in ports)

    def modes(self, timeout: float = 30.0) -> dict[int, str]:
        """Server id -> "leader" / "follower", once every server answers ``srvr`` with one."""
        deadline = time.monotonic() + timeout
        while True:
            modes = {}
            for i, port in enumerate(self.ports, 1):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                        s.sendall(b"srvr")
                        text = b""
                        while chunk := s.recv(4096):
                            text += chunk
                    mode = next((ln.split(":", 1)[1].strip() for ln in text.decode().splitlines()
                                 if ln.startswith("Mode:")), None)
                    if mode:
                        modes[i] = mode
                except OSError:
                    pass
            if len(modes) == 3 and list(modes.values()).count("leader") == 1:
                return modes
            if time.monotonic() > deadline:
                raise RuntimeError(f"the real ZooKeeper ensemble has no leader after {timeout} s: {modes}")
            time.sleep(0.2)

    def close(self):
        apache.stop(self.procs)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def ours():
    # a tick of 1 s (a follower waits 4 s for its leader): the shared ensemble rides out
    # the CPU stalls of a 2-core machine running the fault tests beside it, so that its
    # clients see no connection loss (kazoo's recipes retry on one, and a retried
    # increment of Counter counts twice)
    e = Ours(tick_ms=1000)
    yield e
    e.close()


def require_zookeeper() -> None:
    """Fail the test when Debian's zookeeper package is missing (``make test`` installs
    it), or skip it when MODELCHECK_SKIP_ZOOKEEPER=1 says to."""
    why = apache.available()
    if why is not None:
        if os.environ.get("MODELCHECK_SKIP_ZOOKEEPER") == "1":
            pytest.skip(f"MODELCHECK_SKIP_ZOOKEEPER=1: {why}")
        pytest.fail(why)


@pytest.fixture(scope="session")
def real():
    require_zookeeper()
    e = Real()
    yield e
    e.close()


@pytest.fixture(params=["ours", "zookeeper"])
def backend(request):
    return request.getfixturevalue("ours" if request.param == "ours" else "real")


@pytest.fixture
def root():
    """A fresh path for one test (the backends are shared by the session)."""
    return f"/t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def clients(backend):
    """A function making started kazoo clients (on server i, or any), all stopped after."""
    from kazoo.client import KazooClient
    made = []

    def make(i: int | None = None, **kw):
        zk = KazooClient(hosts=backend.hosts(i), timeout=10, **kw)
        zk.start(timeout=15)
        made.append(zk)
        return zk
    yield make
    for zk in made:
        try:
            zk.stop()
            zk.close()
        except Exception:
            pass
