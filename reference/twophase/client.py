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


# ------------------------------------------------------------------ a bank history

#: an account of the bank as the history names it: participant and account, "rm1/a0"
def account_name(participant: str, account: str) -> str:
    return f"{participant}/{account}"


@dataclass
class BankHistory:
    """What :func:`record_bank_history` wrote: the accounts (in the order reads list
    them), every account's opening balance, and counts."""
    path: str
    accounts: list[str]
    initial: int
    transfers: int = 0
    reads: int = 0
    failed: int = 0          # aborted without effect (a lock conflict, a vote timeout): "type": "fail"
    pending: int = 0         # no reply and no outcome learnt: "ret": null
    seconds: float = 0.0


async def record_bank_history(directory: str, path: str, *, clients: int = 3, rounds: int = 5, seed: int = 0,
                              max_amount: int = 10, retries: int = 10, timeout: float = 5.0,
                              resolve_timeout: float = 10.0) -> BankHistory:
    """Run ``clients`` clients at once, each ``rounds`` times a transfer followed by a
    read of every balance, and write what each saw to ``path`` as a history (JSON lines,
    docs/histories.md) for ``modelcheck history check --model bank``.

    A transfer moves ``amount`` from one account to another (any two accounts of the
    cluster, on one participant or two): ``transfer(from, to, amount)`` answers ``"ok"``
    when it committed, ``"insufficient"`` when it aborted because ``from`` could not pay
    (the participant's refusal says so). An abort for any other reason (an account locked
    by another transaction: locking is no-wait; a vote timeout) changed nothing and is
    written with ``"type": "fail"`` and tried again, up to ``retries`` times.

    A read is a transaction through two-phase commit that changes nothing: a delta of 0
    on every account of every participant, with ``"detail": true``. Each participant
    votes yes only if it can lock all its accounts (no transfer is in doubt there), and
    its vote reports their balances; the locks are held until the outcome, so when the
    last vote is cast every participant holds its balances still at once, and no transfer
    is half applied (one in doubt anywhere holds a lock the read needs). A committed read
    answers every balance, a list in the order of :attr:`BankHistory.accounts`
    (``rm1/a0, rm1/a1, ..., rm2/a0, ...``); an aborted one is written as failed and tried again,
    up to ``retries`` times.

    A request whose reply is lost is written with ``"ret": null`` (its outcome is asked
    for afterwards: an aborted one becomes failed). Times are seconds on this process's
    monotonic clock, from the start."""
    conf = cluster.load(directory)
    parts, n = conf["participants"], conf["accounts"]
    every = [(p, f"a{k}") for p in parts for k in range(n)]
    res = BankHistory(path, [account_name(p, a) for p, a in every], conf["balance"])
    rng = random.Random(seed)
    prefix = f"h{seed}x{os.urandom(3).hex()}"
    conn = _TMConn(directory)
    lines: list[dict] = []
    lost: list[tuple[dict, str]] = []        # (history line, txn) whose reply never came
    t0 = time.monotonic()
    serial = iter(range(1 << 62))

    def now() -> float:
        return round(time.monotonic() - t0, 6)

    async def attempt(proc: int, f: str, args: list, ops: dict) -> dict:
        txn = f"{prefix}-{next(serial)}"
        line = {"process": proc, "call": now(), "ret": None, "f": f, "args": args, "result": None}
        lines.append(line)
        try:
            r = await conn.call({"op": "begin", "txn": txn, "ops": ops, "detail": True}, timeout)
        except (Unreachable, asyncio.TimeoutError):
            lost.append((line, txn))
            return line
        line["ret"] = now()
        if "error" in r:        # the workload's own mistake: say so, never record it as an answer
            raise ValueError(f"{txn} refused: {r['error']}")
        if r["outcome"] == "committed":
            if f == "read":
                # a list in the order of the accounts (the history format has no objects)
                line["result"] = [r["values"][p][a] for p, a in every]
            else:
                line["result"] = "ok"
        elif f == "transfer" and "balance of" in r.get("why", ""):
            line["result"] = "insufficient"
        else:
            line["type"] = "fail"
        return line

    async def client(proc: int):
        for _ in range(rounds):
            (p, a), (q, b) = rng.sample(every, 2)
            amount = rng.randint(1, max_amount)
            ops: dict = {}
            ops.setdefault(p, []).append([a, -amount])
            ops.setdefault(q, []).append([b, amount])
            for _ in range(retries):
                line = await attempt(proc, "transfer", [account_name(p, a), account_name(q, b), amount], ops)
                if line.get("type") != "fail":
                    break
                await asyncio.sleep(rng.uniform(0.001, 0.02))     # no-wait locks: back off a little
            for _ in range(retries):
                line = await attempt(proc, "read", [], {p: [[f"a{k}", 0] for k in range(n)] for p in parts})
                if line.get("type") != "fail":
                    break
                await asyncio.sleep(rng.uniform(0.001, 0.02))     # no-wait locks: back off a little

    try:
        await asyncio.gather(*(client(k) for k in range(clients)))
    finally:
        if conn.writer is not None:
            conn.writer.close()
    res.seconds = time.monotonic() - t0
    deadline = time.monotonic() + resolve_timeout
    for line, txn in lost:
        while time.monotonic() < deadline:
            try:
                r = await request(directory, "tm", {"op": "outcome", "txn": txn})
            except Unreachable:
                await asyncio.sleep(0.1)
                continue
            if r["outcome"] == "aborted":
                line["type"] = "fail"
            break
    res.transfers = sum(1 for x in lines if x["f"] == "transfer")
    res.reads = sum(1 for x in lines if x["f"] == "read")
    res.failed = sum(1 for x in lines if x.get("type") == "fail")
    res.pending = sum(1 for x in lines if x["ret"] is None and x.get("type") != "fail")
    with open(path, "w") as fh:
        # a comment line (readers skip it): what the bank model needs to know
        fh.write("# bank " + json.dumps({"accounts": res.accounts, "initial": res.initial}) + "\n")
        for x in sorted(lines, key=lambda x: x["call"]):
            fh.write(json.dumps(x) + "\n")
    return res
