"""Throughput and latency of the reference ZooKeeper against the real Apache ZooKeeper.

    python benchmarks/zab_ref.py                  # both backends, 3 servers each, fsync on
    python benchmarks/zab_ref.py --ops 3000 --backend ours

For each backend: a three-server ensemble on this machine (ours: reference/zab; the real
one: Debian's zookeeper, QuorumPeerMain, forceSync=yes), then with kazoo's async API
create and setData operations per second and their latency (p50, p99, ms) at 1, 8 and
32 requests in flight, and getData per second at 32 in flight, and getData per second the three servers answer to one raw pipelined
jute client each (kazoo itself tops out near 3,000 requests/s here). Requests in flight are
spread over up to 4 clients, each connected to a different server (round robin), every
client keeping its share outstanding: a completion starts the next request.

Floor here (2 cores, all servers on one machine): 1,000 writes/s and 5,000 reads/s;
goal: within 3x of the real ZooKeeper's writes/s (issue 15). The figures go in the
README (docs/reference-zab.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "reference" / "zab"))

from kazoo.client import KazooClient  # noqa: E402

from reference.zab import apache, ensemble  # noqa: E402


def free_block(n):
    from conftest import free_block as fb
    return fb(n)


class Backend:
    def __init__(self, kind: str):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=f"bench-{kind}-")
        base = free_block(12)
        if kind == "ours":
            ensemble.create(self.dir, servers=3, client_port=base, peer_port=base + 3, lifetime=900, trace=False)
            ensemble.start_all(self.dir)
            ensemble.wait_serving(self.dir, timeout=30)
            self.procs = None
        else:
            self.procs = apache.start(self.dir, servers=3, client_port=base, peer_port=base + 4)
        self.ports = [base, base + 1, base + 2]

    def close(self):
        if self.procs is None:
            ensemble.stop_all(self.dir)
        else:
            apache.stop(self.procs)
        shutil.rmtree(self.dir, ignore_errors=True)


def run(clients, n_ops: int, inflight: int, make_op):
    """Keep `inflight` requests outstanding until n_ops completed; (ops/s, p50, p99 ms)."""
    lat: list[float] = []
    lock = threading.Lock()
    done = threading.Event()
    issued = [0]
    errors = [0]

    def start(k):
        with lock:
            if issued[0] >= n_ops:
                return
            i = issued[0]
            issued[0] += 1
        zk = clients[k % len(clients)]
        t0 = time.perf_counter()
        a = make_op(zk, i)

        def finished(res, t0=t0, k=k):
            try:
                res.get_nowait()
            except Exception:
                errors[0] += 1
            with lock:
                lat.append(time.perf_counter() - t0)
                if len(lat) >= n_ops:
                    done.set()
            start(k)
        a.rawlink(finished)

    t = time.perf_counter()
    for k in range(inflight):
        start(k)
    done.wait(300)
    el = time.perf_counter() - t
    lat.sort()
    if errors[0]:
        print(f"    ({errors[0]} errors)")
    return n_ops / el, lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000


def _raw_reads(port: int, n: int, q):
    """One connection, n getData("/") requests pipelined: reads/s a server answers when
    the client is not the bottleneck (kazoo's Python client is, at about 3,000/s)."""
    import socket
    import struct
    from reference.zab import jute
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(jute.frame(struct.pack(">iqiq", 0, 0, 10000, 0) + jute.buffer(bytes(16)) + b"\0"))
    f = s.makefile("rb")
    f.read(struct.unpack(">i", f.read(4))[0])
    req = b"".join(jute.frame(struct.pack(">ii", i + 1, 4) + jute.string("/") + b"\0") for i in range(n))
    t = time.perf_counter()
    s.sendall(req)
    for _ in range(n):
        f.read(struct.unpack(">i", f.read(4))[0])
    q.put(n / (time.perf_counter() - t))
    s.close()


def raw_reads(ports, n: int) -> float:
    """The three servers read in parallel by one process each: total reads/s."""
    import multiprocessing as mp
    q = mp.Queue()
    ps = [mp.Process(target=_raw_reads, args=(p, n, q)) for p in ports]
    for p in ps:
        p.start()
    for p in ps:
        p.join(120)
    return sum(q.get() for _ in ps)


def bench(kind: str, n_ops: int) -> dict:
    b = Backend(kind)
    out = {}
    try:
        clients = []
        for i in range(4):
            zk = KazooClient(hosts=f"127.0.0.1:{b.ports[i % 3]}", timeout=10)
            zk.start(timeout=30)
            clients.append(zk)
        clients[0].ensure_path("/bench")
        clients[0].create("/bench/v", b"x")
        for c in (1, 8, 32):
            cl = clients[:min(c, 4)]
            out[("create", c)] = run(cl, n_ops, c, lambda zk, i, c=c: zk.create_async(f"/bench/c{c}-{i}", b"v" * 100))
            out[("setData", c)] = run(cl, n_ops, c, lambda zk, i: zk.set_async("/bench/v", b"v" * 100))
        out[("getData", 32)] = run(clients, n_ops * 3, 32, lambda zk, i: zk.get_async("/bench/v"))
        for zk in clients:
            zk.stop()
        out["raw"] = raw_reads(b.ports, n_ops * 10)
    finally:
        b.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--backend", choices=["ours", "zookeeper", "both"], default="both")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    kinds = ["ours", "zookeeper"] if args.backend == "both" else [args.backend]
    if "zookeeper" in kinds and apache.available():
        print(f"real ZooKeeper unavailable: {apache.available()}")
        kinds.remove("zookeeper")
    results = {k: bench(k, args.ops) for k in kinds}
    print(f"{'operation':<10} {'in flight':>9}  " + "  ".join(f"{k + ' ops/s':>15} {'p50 ms':>7} {'p99 ms':>7}"
                                                          for k in kinds))
    for key in results[kinds[0]]:
        if key == "raw":
            continue
        row = f"{key[0]:<10} {key[1]:>9}  "
        row += "  ".join(f"{results[k][key][0]:>15,.0f} {results[k][key][1]:>7.2f} {results[k][key][2]:>7.2f}"
                         for k in kinds)
        print(row)
    print("getData, a raw pipelined jute client per server (kazoo is not the bottleneck): "
          + ", ".join(f"{k} {results[k]['raw']:,.0f} reads/s" for k in kinds))
    if len(kinds) == 2:
        for key in results["ours"]:
            if key == "raw":
                continue
            print(f"ours / real {key[0]} at {key[1]}: {results['ours'][key][0] / results['zookeeper'][key][0]:.2f}x")
    print(f"(machine: {os.cpu_count()} cores; 3 servers per backend on 127.0.0.1; fsync on)")


if __name__ == "__main__":
    main()
