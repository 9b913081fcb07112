"""Clients of a running cluster: requests to one process, the transfer workload, and the
end-to-end checks (money, atomicity, acknowledged transactions, logs).

Depends on runtime (addresses), cluster (the cluster's shape), wal (inspection).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from dataclasses import dataclass, field

from .. import wal
from . import auth, cluster
from .protocol import transfer_ops
from .runtime import read_addr


class Unreachable(ConnectionError):
    """A process did not answer; ``reason`` says why without its name ("connection
    refused", "not listening")."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


#: a status reply lists every transaction a participant knows: allow long lines
LINE_LIMIT = 1 << 26


def _why(e: BaseException, timeout: float) -> str:
    if isinstance(e, asyncio.TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, OSError) and e.strerror:
        return e.strerror[0].lower() + e.strerror[1:]
    if isinstance(e, ValueError):
        return "a reply that is not JSON"
    return type(e).__name__


def _key(directory: str) -> bytes:
    """The cluster's secret, which clients and operator commands need (auth.py)."""
    return auth.read_secret(directory)


async def request(directory: str, name: str, body: dict, timeout: float = 2.0) -> dict:
    """Send one request to process ``name`` and return its reply. :class:`Unreachable`
    says why not in words ("rm2: connection refused"), never as a Python repr."""
    addr = read_addr(directory, name)
    if addr is None:
        raise Unreachable(f"{name} is not listening", "not listening")
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(*addr, limit=LINE_LIMIT), timeout)
    except (OSError, asyncio.TimeoutError) as e:
        raise Unreachable(f"{name}: {_why(e, timeout)}", _why(e, timeout)) from None
    try:
        hello = json.loads(await asyncio.wait_for(reader.readline(), timeout))
        writer.write((json.dumps(auth.answer(_key(directory), hello, auth.CLIENT)) + "\n").encode())
        writer.write((json.dumps(body) + "\n").encode())
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        if not line:
            raise Unreachable(f"{name} closed the connection", "closed the connection")
        return json.loads(line)
    except auth.AuthError as e:
        raise Unreachable(f"{name}: {e}", str(e)) from None
    except (OSError, asyncio.TimeoutError, ValueError) as e:
        raise Unreachable(f"{name}: {_why(e, timeout)}", _why(e, timeout)) from None
    finally:
        writer.close()


def request_sync(directory: str, name: str, body: dict, timeout: float = 2.0) -> dict:
    return asyncio.run(request(directory, name, body, timeout))


@dataclass
class WorkloadResult:
    txns: list[str] = field(default_factory=list)
    acked: dict[str, str] = field(default_factory=dict)      # answered by the coordinator
    resolved: dict[str, str] = field(default_factory=dict)   # outcome asked after a lost reply
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def outcome(self, txn: str) -> str | None:
        return self.acked.get(txn) or self.resolved.get(txn)

    @property
    def committed(self) -> int:
        return sum(1 for t in self.txns if self.outcome(t) == "committed")

    def summary(self) -> str:
        ab = sum(1 for t in self.txns if self.outcome(t) == "aborted")
        return (f"{len(self.txns)} transfers in {self.seconds:.2f} s: {self.committed} committed, {ab} aborted, "
                f"{len(self.resolved)} outcome(s) learnt after a lost reply, {len(self.errors)} error(s); "
                f"{self.committed / self.seconds if self.seconds else 0:.1f} commits/s")


class _TMConn:
    """One connection to the coordinator, re-established when it breaks."""

    def __init__(self, directory: str):
        self.directory = directory
        self.key = _key(directory)          # no secret: auth.AuthError now, not a timeout later
        self.writer = None
        self.waiting: dict[str, asyncio.Future] = {}
        self.lock = asyncio.Lock()

    async def _connect(self, deadline: float) -> None:
        while True:
            addr = read_addr(self.directory, "tm")
            if addr is not None:
                try:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(*addr, limit=LINE_LIMIT), 1.0)
                    hello = json.loads(await asyncio.wait_for(reader.readline(), 1.0))
                    writer.write((json.dumps(auth.answer(self.key, hello, auth.CLIENT)) + "\n").encode())
                    self.writer = writer
                    asyncio.ensure_future(self._read(reader, writer))
                    return
                except (OSError, asyncio.TimeoutError, ValueError):
                    pass                # auth.AuthError is a ValueError: a wrong secret
            if time.monotonic() > deadline:
                raise Unreachable("the coordinator is not reachable")
            await asyncio.sleep(0.05)

    async def _read(self, reader, writer) -> None:
        try:
            while line := await reader.readline():
                d = json.loads(line)
                f = self.waiting.pop(d.get("txn"), None)
                if f is not None and not f.done():
                    f.set_result(d)
        except (OSError, ValueError):
            pass
        if self.writer is writer:
            self.writer = None
        # the coordinator went away: every pending request's reply is lost
        for f in [f for f in self.waiting.values()]:
            if not f.done():
                f.set_exception(Unreachable("connection to the coordinator lost"))
        self.waiting.clear()

    async def call(self, body: dict, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        async with self.lock:
            if self.writer is None:
                await self._connect(deadline)
            f = asyncio.get_running_loop().create_future()
            self.waiting[body["txn"]] = f
            self.writer.write((json.dumps(body) + "\n").encode())
        return await asyncio.wait_for(f, max(0.01, deadline - time.monotonic()))


async def run_workload(directory: str, transfers: int, *, concurrency: int = 4, seed: int = 0,
                       prefix: str | None = None, timeout: float = 5.0, resolve_timeout: float = 30.0,
                       progress=None) -> WorkloadResult:
    """Run ``transfers`` transfers, ``concurrency`` at a time; a transfer whose reply is
    lost (the coordinator crashed) has its outcome asked for afterwards."""
    conf = cluster.load(directory)
    rng = random.Random(seed)
    prefix = prefix or f"w{seed}x{os.urandom(3).hex()}"
    res = WorkloadResult()
    conn = _TMConn(directory)
    lost: list[str] = []
    todo = [(f"{prefix}-{i}", transfer_ops(rng, conf["participants"], conf["accounts"])) for i in range(transfers)]
    res.txns = [t for t, _ in todo]
    it = iter(todo)
    t0 = time.monotonic()

    async def worker():
        for txn, ops in it:
            try:
                r = await conn.call({"op": "begin", "txn": txn, "ops": ops}, timeout)
            except (Unreachable, asyncio.TimeoutError):
                lost.append(txn)
                continue
            if "error" in r:
                res.errors[txn] = r["error"]
            else:
                res.acked[txn] = r["outcome"]
            if progress:
                progress(len(res.acked) + len(lost))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    res.seconds = time.monotonic() - t0
    if conn.writer is not None:
        conn.writer.close()
    deadline = time.monotonic() + resolve_timeout
    for txn in lost:
        while True:
            try:
                r = await request(directory, "tm", {"op": "outcome", "txn": txn})
                res.resolved[txn] = r["outcome"]
                break
            except Unreachable:
                if time.monotonic() > deadline:
                    res.errors[txn] = "outcome unknown: coordinator unreachable"
                    break
                await asyncio.sleep(0.1)
    return res


class Unsettled(TimeoutError):
    """The participants did not all answer with nothing in doubt in time: ``down`` maps
    each participant that did not answer to why, ``in_doubt`` each one that answered with
    transactions in doubt to those transactions."""

    def __init__(self, timeout: float, down: dict[str, str], in_doubt: dict[str, list[str]]):
        self.down, self.in_doubt = down, in_doubt
        parts = [f"{p} is down or not answering ({why})" for p, why in sorted(down.items())]
        for p, txns in sorted(in_doubt.items()):
            shown = ", ".join(sorted(txns)[:5]) + (f" and {len(txns) - 5} more" if len(txns) > 5 else "")
            parts.append(f"{p} is in doubt on {len(txns)} transaction(s): {shown}")
        super().__init__(f"the participants did not settle within {timeout:g} s: " + "; ".join(parts))


async def wait_quiet(directory: str, timeout: float = 30.0, on_wait=None) -> dict[str, dict]:
    """Wait until every participant answers and none is in doubt; return their status.

    Every participant is asked in every round (one that is down does not hide the
    others). ``on_wait(down, in_doubt)``, if given, is called once when the first second
    has passed without settling, so that a caller can say what it is waiting for.
    Raises :class:`Unsettled` after ``timeout`` seconds."""
    conf = cluster.load(directory)
    start = time.monotonic()
    told = False
    while True:
        st: dict[str, dict] = {}
        down: dict[str, str] = {}
        for p in conf["participants"]:
            try:
                st[p] = await request(directory, p, {"op": "status"})
            except Unreachable as e:
                down[p] = e.reason
        doubt = {p: list(s["in_doubt"]) for p, s in st.items() if s["in_doubt"]}
        if not down and not doubt:
            return st
        waited = time.monotonic() - start
        if waited > timeout:
            raise Unsettled(timeout, down, doubt)
        if on_wait is not None and not told and waited >= 1.0:
            on_wait(down, doubt)
            told = True
        await asyncio.sleep(0.1)


def _outcomes(records: list[dict]) -> dict[str, str]:
    """The outcome of each transaction in a participant's log records: the last of
    commit / abort / no / heuristic (a heuristic decision counts as what it decided)."""
    out: dict[str, str] = {}
    for r in records:
        t = r.get("t")
        if t == "commit":
            out[r.get("txn")] = "committed"
        elif t in ("abort", "no"):
            out[r.get("txn")] = "aborted"
        elif t == "heuristic":
            out[r.get("txn")] = "committed" if r.get("outcome") == "commit" else "aborted"
    return out


def verify(directory: str, status: dict[str, dict], result: WorkloadResult | None = None) -> list[str]:
    """The end-to-end checks; returns the problems found (empty: all good)."""
    conf = cluster.load(directory)
    problems = []
    expected = len(conf["participants"]) * conf["accounts"] * conf["balance"]
    total = sum(s["total"] for s in status.values())
    if total != expected:
        problems.append(f"total money is {total}, expected {expected}")
    states: dict[str, dict[str, str]] = {}
    for p, s in status.items():
        for txn, st in s["txns"].items():
            states.setdefault(txn, {})[p] = st
    for txn, by in sorted(states.items()):
        vals = set(by.values())
        if "committed" in vals and vals != {"committed"}:
            problems.append(f"{txn} is not atomic: {by}")
        elif "committed" in vals and set(by) != set(conf["participants"]):
            problems.append(f"{txn} committed at {sorted(by)} only")
    if result is not None:
        for txn in result.txns:
            out = result.outcome(txn)
            seen = set(states.get(txn, {}).values())
            if out == "committed" and seen != {"committed"}:
                problems.append(f"{txn} was acknowledged as committed but is {states.get(txn)} at the participants")
            if out == "aborted" and "committed" in seen:
                problems.append(f"{txn} was reported aborted but committed at {states.get(txn)}")
    logged: dict[str, dict[str, str]] = {}       # participant -> txn -> outcome its log holds
    for name in conf["roles"]:
        path = os.path.join(directory, f"{name}.wal")
        if os.path.exists(path):
            sc = wal.inspect(path)
            if sc.problem:
                problems.append(f"{path}: {sc.summary()}")
            if name in conf["participants"]:
                logged[name] = _outcomes(sc.records)
        else:
            problems.append(f"{path}: missing")
    if result is not None:
        # every acknowledged outcome against every participant's log itself (not only
        # the state a live process reports): a record lost from a log is caught here
        for txn in result.txns:
            out = result.outcome(txn)
            for p, outcomes in sorted(logged.items()):
                got = outcomes.get(txn)
                if out == "committed" and got != "committed":
                    problems.append(f"{txn} was acknowledged as committed but {p}'s log has "
                                    f"{'no outcome for it' if got is None else got}")
                elif out == "aborted" and got == "committed":
                    problems.append(f"{txn} was reported aborted but {p}'s log has it committed")
    for p, s in status.items():
        if s["damage"]:
            problems.append(f"{p}: heuristic damage {s['damage']}")
    return problems
