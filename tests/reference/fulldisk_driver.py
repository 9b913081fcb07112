"""A full disk under a running cluster (issue 14, section 2); run by
tests/reference/test_ref_attacks.py inside its own mount namespace (``unshare``), so
the small tmpfs it mounts is private to this process and its children and disappears
with them, whatever happens.

    python -m tests.reference.fulldisk_driver WORKDIR

It mounts a tmpfs of SIZE bytes on WORKDIR/disk, starts a cluster there, and runs a
workload while a filler file takes every free byte for a while and is then removed.
Processes that cannot write stop (exit 74); a supervisor restarts every process that has
exited, as an operator or systemd would. Afterwards every process must be running and
settled, and the end-to-end checks (client.verify: acknowledged outcomes against every
participant's state and log, money, atomicity, intact logs) must find nothing. Prints
one JSON object with what happened.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

from reference.twophase import client, cluster
from reference.twophase.trace import merge_dir

SIZE = 32 << 20                 # 32 MiB: room for the workload, until the filler takes the rest
TRANSFERS = 2000
FULL_SECONDS = 1.0              # how long the disk stays full each time


def fill(path: str) -> int:
    """Take every free byte of the file system that holds ``path``."""
    n = 0
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                w = f.write(b"\0" * 4096)
            except OSError:
                return n
            if not w:
                return n
            n += w


def main(work: str) -> int:
    disk = os.path.join(work, "disk")
    os.makedirs(disk, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", disk], check=True)
    d = os.path.join(disk, "cluster")
    conf = cluster.create(d, participants=3, accounts=10, balance=100, lifetime=60, vote_timeout=0.5,
                          ask_interval=0.1)
    procs: dict[str, subprocess.Popen] = dict(cluster.start_all(d))
    exits: list[tuple[str, int]] = []
    filled: dict = {"bytes": 0, "at": []}
    t0 = time.monotonic()
    try:
        async def filler():
            # three times: the disk fills up, stays full a while, then has room again
            for _ in range(3):
                await asyncio.sleep(0.4)
                filled["bytes"] = await asyncio.to_thread(fill, os.path.join(disk, "filler"))
                filled["at"].append(round(time.monotonic() - t0, 2))
                await asyncio.sleep(FULL_SECONDS)
                os.unlink(os.path.join(disk, "filler"))

        async def supervisor(stop: asyncio.Event):
            deadline = time.monotonic() + 40
            while not stop.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                for name, p in list(procs.items()):
                    if p.poll() is not None:
                        if isinstance(p, subprocess.Popen):
                            exits.append((name, p.returncode))
                        try:
                            procs[name] = await asyncio.to_thread(cluster.start_role, d, name, conf, wait=2.0)
                        except cluster.ClusterError:
                            pass            # still no room: the next round tries again
                        else:
                            continue
                        procs[name] = _Exited()

        async def run():
            stop = asyncio.Event()
            f = asyncio.ensure_future(filler())
            s = asyncio.ensure_future(supervisor(stop))
            res = await client.run_workload(d, TRANSFERS, concurrency=4, seed=3, timeout=2.0)
            await f
            await asyncio.sleep(0.5)
            stop.set()
            await s
            for name in conf["roles"]:                      # anything still down comes back
                if cluster.pid_of(d, name) is None:
                    procs[name] = await asyncio.to_thread(cluster.start_role, d, name, conf)
            status = await client.wait_quiet(d, timeout=30)
            return res, status

        res, status = asyncio.run(run())
        problems = client.verify(d, status, res)
        logs = {n: open(os.path.join(d, f"{n}.log")).read() for n in conf["roles"]}
        merged = merge_dir(d)                               # raises on a torn line mid-file
        print(json.dumps({
            "problems": problems,
            "transfers": len(res.txns), "committed": res.committed, "errors": len(res.errors),
            "summary": res.summary(),
            "filled_bytes": filled["bytes"], "filled_at": filled["at"],
            "exits": exits,
            "cannot_write": {n: t.count("cannot write") for n, t in logs.items()},
            "tracebacks": sum(t.count("Traceback") for t in logs.values()),
            "events": len(merged.events),
            "seconds": round(time.monotonic() - t0, 1),
        }))
        return 0
    finally:
        cluster.stop_all(d)
        for p in procs.values():
            if isinstance(p, subprocess.Popen) and p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=10)
        keep = os.path.join(work, "logs")                   # what the processes said, kept off the tmpfs
        os.makedirs(keep, exist_ok=True)
        for n in conf["roles"]:
            try:
                with open(os.path.join(d, f"{n}.log"), "rb") as src, open(os.path.join(keep, f"{n}.log"), "wb") as dst:
                    dst.write(src.read())
            except OSError:
                pass
        subprocess.run(["umount", "-l", disk], check=False)


class _Exited:
    """A process that could not be restarted yet (the supervisor retries)."""
    returncode = None

    def poll(self):
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
