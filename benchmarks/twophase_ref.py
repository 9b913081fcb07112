"""Throughput of the reference two-phase commit (reference/twophase/) on 127.0.0.1.

A coordinator and 3 participants run as OS processes, fsync on (the default), and a
client runs transfers touching all three participants (python -m reference.twophase
workload does the same). Accounts are many, so that lock conflicts are rare and the
figure measures the protocol, not contention. Prints committed transactions per second
for a few client concurrencies, with tracing on (the default) and off, and, for
comparison only, with fsync off; and this disk's fsync latency, which bounds the rest:
each transaction waits for three fsyncs in sequence (a participant's vote, the
coordinator's decision, then the reply) and costs five in all.

    python benchmarks/twophase_ref.py [--transfers N] [--quick]

Asserts nothing. Every process it starts is stopped (or killed) before it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from reference.twophase import client, cluster  # noqa: E402


def fsync_latency(directory: str, n: int = 200) -> float:
    path = os.path.join(directory, "fsync.probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            os.write(fd, b"x" * 64)
            os.fsync(fd)
        return (time.perf_counter() - t0) / n
    finally:
        os.close(fd)
        os.unlink(path)


def run(base: str, label: str, transfers: int, concurrencies, **opts) -> None:
    d = os.path.join(base, label.replace(" ", "-").replace(",", ""))
    cluster.create(d, participants=3, accounts=1000, balance=1000, lifetime=600, **opts)
    procs = list(cluster.start_all(d).values())
    try:
        asyncio.run(client.run_workload(d, 50, concurrency=4, seed=99))          # warm up
        for c in concurrencies:
            res = asyncio.run(client.run_workload(d, transfers, concurrency=c, seed=c))
            aborted = sum(1 for t in res.txns if res.outcome(t) == "aborted")
            print(f"  {label:28} concurrency {c:3}: {res.committed / res.seconds:8.1f} commits/s "
                  f"({res.committed} committed, {aborted} aborted, {res.seconds:.2f} s)", flush=True)
        status = asyncio.run(client.wait_quiet(d))
        problems = client.verify(d, status)
        if problems:
            print(f"  {label}: PROBLEMS {problems[:3]}")
    finally:
        cluster.stop_all(d)
        for p in procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--transfers", type=int, default=1000)
    ap.add_argument("--quick", action="store_true", help="fewer transfers and concurrencies")
    a = ap.parse_args()
    n = 200 if a.quick else a.transfers
    conc = [1, 16] if a.quick else [1, 4, 16, 64]
    with tempfile.TemporaryDirectory(prefix="twophase-bench-") as base:
        lat = fsync_latency(base)
        print(f"reference two-phase commit, 3 participants on 127.0.0.1, {n} transfers per run, "
              f"{os.cpu_count()} cores")
        print(f"  fsync latency of {base}: {lat * 1e3:.3f} ms (so at most {1 / lat:.0f} fsyncs/s per process)")
        run(base, "fsync on, tracing on", n, conc)
        run(base, "fsync on, tracing off", n, conc, trace=False)
        run(base, "fsync off (comparison only)", n, conc[-1:], fsync=False)


if __name__ == "__main__":
    main()
