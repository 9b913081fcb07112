"""The deterministic scheduler: the same state machines, in one process, under full control.

A :class:`Sim` holds a coordinator ("tm") and participants ("rm1".."rmN"), a simulated
network, disk and clock. Nothing happens unless the caller takes a step:

- ``enabled()`` lists the steps possible now, in a fixed order; ``step(s)`` takes one.
- A step is one of: deliver a message (any message in any per-pair queue, not only the
  oldest), deliver a client request to the coordinator, fire a timer (any armed timer:
  the simulated clock jumps to its deadline if it is later), take a pending internal
  step of a process (decide, send a decision to one participant, ask after a restart),
  crash a process, restart a crashed one, an operator command (not listed by
  ``enabled()``), or (with ``drops=True``) lose a message.
- The network: a message sent to a process that is down is lost, and so are the
  messages queued for a process when it crashes (as on TCP, and as in durable.mc). With
  ``duplicate=True`` a delivered message stays deliverable (the spec's set of messages).
  When a process sends to a peer for the first time since that peer started, it learns
  the peer's clock, as the real runtime does in the connection hello. A restarted
  process stamps its recovery after the persisted clocks of the processes that send to
  it, up or down, as the real runtime reads their clock files, so every message lost
  to it sorts before its restart (docs/traces.md, *Crashes and restarts*).
- The disk: log records that were appended but not fsynced are lost when the process
  crashes; the persisted Lamport clock and the trace survive (as under SIGKILL).
- A run is reproducible: from a seed (``run_random``) or from an explicit schedule (a
  list of step labels, ``replay``); ``history`` is the schedule taken so far.

For conformance testing, ``observe(proc, txn)`` is a process's observable protocol state
(the spec variables it owns, as Python values) and ``spec_state(txn)`` the union over
processes, a crashed process showing what it will recover with; ``network(txn)`` the
messages in flight as spec messages.

Depends on protocol, coordinator, participant, wal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .coordinator import DOWN, Coordinator
from .participant import Participant
from .protocol import (Bugs, CancelTimer, Deliver, Emit, Log, Msg, Note, Reply, Request, Send,
                       SetTimer, TimerFired)
from .protocol import transfer_ops  # noqa: F401  (public: the workload generator, for callers of Sim)
from ..wal import MAGIC, encode_record, scan


class StepError(ValueError):
    """A step that is not enabled, or a label that does not parse."""


@dataclass(frozen=True, slots=True)
class Step:
    kind: str          # deliver | request | timer | internal | crash | restart | operator | drop
    proc: str          # the process taking the step (the receiver for deliver/drop)
    arg: tuple = ()

    def __str__(self) -> str:
        if self.kind in ("deliver", "drop"):
            src, i = self.arg
            return f"{self.kind} {src}->{self.proc} {i}"
        return " ".join([self.kind, self.proc, *map(str, self.arg)])

    @staticmethod
    def parse(label: str) -> "Step":
        parts = label.split()
        if not parts:
            raise StepError("empty step label")
        kind = parts[0]
        try:
            if kind in ("deliver", "drop"):
                src, dst = parts[1].split("->")
                return Step(kind, dst, (src, int(parts[2])))
            if kind == "request":
                return Step(kind, parts[1], (int(parts[2]),))
            if kind in ("timer", "internal", "operator"):
                return Step(kind, parts[1], tuple(parts[2:]))
            if kind in ("crash", "restart") and len(parts) == 2:
                return Step(kind, parts[1])
        except (IndexError, ValueError):
            pass
        raise StepError(f"cannot parse step label {label!r}")


class SimDisk:
    """A log file image: bytes appended, and how many of them are durable (fsynced)."""

    def __init__(self):
        self.data = bytearray(MAGIC)
        self.durable = len(MAGIC)
        self.notes: list[str] = []

    def append(self, rec: dict) -> None:
        self.data += encode_record(rec)

    def fsync(self) -> None:
        self.durable = len(self.data)

    def crash(self) -> None:
        del self.data[self.durable:]

    def recover(self) -> list[dict]:
        sc = scan(bytes(self.data))
        if sc.problem:
            self.notes.append(f"{sc.problem} tail at offset {sc.good_end} dropped: {sc.detail} ({sc.dropped} bytes)")
            del self.data[sc.good_end:]
            if len(self.data) < len(MAGIC):
                self.data = bytearray(MAGIC)
            self.durable = len(self.data)
        return sc.records

    def records(self) -> list[dict]:
        return scan(bytes(self.data[: self.durable])).records


@dataclass
class SimProc:
    name: str
    machine: object | None = None
    disk: SimDisk = field(default_factory=SimDisk)
    clock: int = 0              # the persisted Lamport clock
    traced_lc: int = 0          # lc of the last trace event written
    timers: dict = field(default_factory=dict)     # key -> deadline
    incarnation: int = 0

    @property
    def up(self) -> bool:
        return self.machine is not None


class Sim:
    """A coordinator "tm" and participants "rm1".."rmN" under the caller's control (see
    the module docstring). ``eager`` takes every internal step at once, as the real
    runtime does; ``duplicate`` keeps delivered messages deliverable; ``drops`` lists
    message losses among the enabled steps."""

    def __init__(self, participants: int = 3, *, accounts: int = 4, balance: int = 100,
                 bugs: Bugs = Bugs(), tracing: bool = True, vote_timeout: float = 1.0,
                 ask_interval: float = 0.2, eager: bool = False, duplicate: bool = False,
                 drops: bool = False):
        self.rms = [f"rm{i}" for i in range(1, participants + 1)]
        self.names = ["tm"] + self.rms
        self.accounts = {rm: {f"a{j}": balance for j in range(accounts)} for rm in self.rms}
        self.bugs = bugs
        self.tracing = tracing
        self.vote_timeout = vote_timeout
        self.ask_interval = ask_interval
        self.eager = eager
        self.duplicate = duplicate
        self.drops = drops
        self.time = 0.0
        self.procs = {n: SimProc(n) for n in self.names}
        self.net: dict[tuple[str, str], list[Msg]] = {(a, b): [] for a in self.names for b in self.names if a != b}
        self.requests: list[dict] = []
        self.replies: list[dict] = []
        self.trace: list[dict] = []
        self.notes: list[tuple[str, str, str]] = []
        self.lost: list[Msg] = []
        self.history: list[str] = []
        self._conn: dict[tuple[str, str], int] = {}
        for n in self.names:
            self._boot(n)

    # -------------------------------------------------------------- processes

    def _machine(self, name: str, tracing: bool | None = None):
        tracing = self.tracing if tracing is None else tracing
        if name == "tm":
            return Coordinator(self.rms, vote_timeout=self.vote_timeout, bugs=self.bugs, tracing=tracing)
        return Participant(name, self.accounts[name], ask_interval=self.ask_interval, bugs=self.bugs,
                           tracing=tracing)

    def _boot(self, name: str) -> None:
        p = self.procs[name]
        records = p.disk.recover()
        for n in p.disk.notes:
            self.notes.append((name, "warning", n))
        p.disk.notes.clear()
        p.machine = self._machine(name)
        p.incarnation += 1
        # as the real runtime reads its peers' clock files: every message a peer has sent
        # (lost if it was sent while this process was down) carries at most the peer's
        # clock now, so it sorts before this restart (docs/traces.md, *Crashes and restarts*)
        peers = max((q.machine.lc if q.up else q.clock for q in map(self.procs.get, p.machine.senders)),
                    default=0)
        self._run(p, p.machine.start(records, clock=p.clock, traced_lc=p.traced_lc, peer_clock=peers))

    def crash(self, name: str) -> None:
        self.step(Step("crash", name))

    def restart(self, name: str) -> None:
        self.step(Step("restart", name))

    def machine(self, name: str):
        return self.procs[name].machine

    # -------------------------------------------------------------- effects

    def _run(self, p: SimProc, effects) -> None:
        m = p.machine
        for e in effects:
            if isinstance(e, Emit):
                self.trace.append(e.event)
                p.traced_lc = e.event["lc"]
            elif isinstance(e, Send):
                self._send(p, e.msg)
            elif isinstance(e, Log):
                p.disk.append(e.record)
                if e.sync:
                    p.disk.fsync()
            elif isinstance(e, SetTimer):
                p.timers[e.key] = self.time + e.delay
            elif isinstance(e, CancelTimer):
                p.timers.pop(e.key, None)
            elif isinstance(e, Reply):
                self.replies.append(dict(e.body))
            elif isinstance(e, Note):
                self.notes.append((p.name, e.level, e.text))
        p.clock = m.lc

    def _send(self, p: SimProc, msg: Msg) -> None:
        dst = self.procs.get(msg.dst)
        if dst is None or not dst.up:
            self.lost.append(msg)
            return
        self.net[(p.name, msg.dst)].append(msg)
        if self._conn.get((p.name, msg.dst)) != dst.incarnation:
            # a new connection: the hello carries the peer's clock
            self._conn[(p.name, msg.dst)] = dst.incarnation
            p.machine.observe_clock(dst.machine.lc)

    def _drain(self, p: SimProc) -> None:
        while p.up:
            steps = p.machine.internal()
            if not steps:
                return
            self._run(p, p.machine.take(steps[0]))

    # -------------------------------------------------------------- steps

    def submit(self, txn: str, ops: dict) -> None:
        """Queue a client request to begin a transfer (delivered by a ``request`` step)."""
        self.requests.append({"op": "begin", "txn": txn, "ops": {p: [list(o) for o in v] for p, v in ops.items()}})

    def enabled(self, *, crashes: bool = True) -> list[Step]:
        out: list[Step] = []
        for n in self.names:
            p = self.procs[n]
            if not p.up:
                out.append(Step("restart", n))
                continue
            out.extend(Step("internal", n, s) for s in p.machine.internal())
            if n == "tm":
                out.extend(Step("request", n, (i,)) for i in range(len(self.requests)))
            for src in self.names:
                if src != n:
                    q = self.net[(src, n)]
                    out.extend(Step("deliver", n, (src, i)) for i in range(len(q)))
                    if self.drops:
                        out.extend(Step("drop", n, (src, i)) for i in range(len(q)))
            out.extend(Step("timer", n, k) for k in sorted(p.timers))
            if crashes:
                out.append(Step("crash", n))
        return out

    def deliveries(self, dst: str | None = None, src: str | None = None, kind: str | None = None,
                   txn: str | None = None) -> list[Step]:
        """The deliver steps enabled now, filtered by receiver, sender, message kind, txn."""
        out = []
        for (s, d), q in self.net.items():
            if (dst is None or d == dst) and (src is None or s == src) and self.procs[d].up:
                out.extend(Step("deliver", d, (s, i)) for i, m in enumerate(q)
                           if (kind is None or m.kind == kind) and (txn is None or m.txn == txn))
        return out

    def deliver(self, dst: str, src: str, kind: str, txn: str | None = None) -> list[dict]:
        """Deliver the oldest matching message (a StepError if there is none)."""
        steps = self.deliveries(dst, src, kind, txn)
        if not steps:
            raise StepError(f"no {kind} message from {src} to {dst} in flight")
        return self.step(steps[0])

    def message(self, step: Step) -> Msg:
        src, i = step.arg
        return self.net[(src, step.proc)][i]

    def describe(self, step: Step) -> str:
        if step.kind in ("deliver", "drop"):
            return f"{step} {self.message(step).short()}"
        if step.kind == "request":
            return f"{step} begin({self.requests[step.arg[0]]['txn']})"
        return str(step)

    def step(self, step: Step | str) -> list[dict]:
        """Take one step; return the trace events it emitted."""
        if isinstance(step, str):
            step = Step.parse(step)
        p = self.procs.get(step.proc)
        if p is None:
            raise StepError(f"no process {step.proc!r}")
        before = len(self.trace)
        k = step.kind
        if k == "restart":
            if p.up:
                raise StepError(f"{step}: {p.name} is up")
            self._boot(p.name)
        elif not p.up:
            raise StepError(f"{step}: {p.name} is down")
        elif k == "crash":
            p.machine = None
            p.disk.crash()
            p.timers.clear()
            for src in self.names:
                if src != p.name:
                    self.lost.extend(self.net[(src, p.name)])
                    self.net[(src, p.name)] = []
        elif k in ("deliver", "drop"):
            src, i = step.arg
            q = self.net.get((src, p.name))
            if q is None or not 0 <= i < len(q):
                raise StepError(f"{step}: no such message")
            msg = q[i] if (k == "deliver" and self.duplicate) else q.pop(i)
            if k == "deliver":
                self._run(p, p.machine.handle(Deliver(msg)))
            else:
                self.lost.append(msg)
        elif k == "request":
            (i,) = step.arg
            if p.name != "tm" or not 0 <= i < len(self.requests):
                raise StepError(f"{step}: no such request")
            self._run(p, p.machine.handle(Request("client", self.requests.pop(i))))
        elif k == "timer":
            if step.arg not in p.timers:
                raise StepError(f"{step}: no such timer")
            self.time = max(self.time, p.timers.pop(step.arg))
            self._run(p, p.machine.handle(TimerFired(step.arg)))
        elif k == "internal":
            if step.arg not in p.machine.internal():
                raise StepError(f"{step}: not a pending internal step")
            self._run(p, p.machine.take(step.arg))
        elif k == "operator":
            cmd = step.arg
            if len(cmd) != 3 or cmd[0] != "heuristic":
                raise StepError(f"{step}: operator commands are: heuristic TXN commit|abort")
            self._run(p, p.machine.handle(Request("operator", {"op": "heuristic", "txn": cmd[1], "outcome": cmd[2]})))
        else:
            raise StepError(f"unknown step kind {k!r}")
        if self.eager and p.up:
            self._drain(p)
        self.history.append(str(step))
        return self.trace[before:]

    # -------------------------------------------------------------- runs

    def run_random(self, steps: int, seed: int = 0, *, crash_weight: float = 0.02, timer_weight: float = 0.1,
                   max_crashes: int | None = None) -> list[str]:
        """Take up to ``steps`` steps chosen by a seeded generator: weight 1 for
        deliveries, requests and internal steps, ``timer_weight`` for timers,
        ``crash_weight`` for crashes (at most ``max_crashes``), 0.5 for restarts. Stops
        early once only timers and crashes are left and nothing is pending (no vote
        timer armed, no participant in doubt). Returns the labels of the steps taken."""
        rng = random.Random(seed)
        crashes = 0
        taken = []
        for _ in range(steps):
            allow = crash_weight > 0 and (max_crashes is None or crashes < max_crashes)
            en = self.enabled(crashes=allow)
            if not en:
                break
            if all(s.kind in ("timer", "crash") for s in en) and \
                    not any(s.kind == "timer" and s.arg[0] == "vote" for s in en) and not self.in_doubt():
                break
            w = [crash_weight if s.kind == "crash" else timer_weight if s.kind == "timer"
                 else 0.5 if s.kind == "restart" else 1.0 for s in en]
            s = rng.choices(en, weights=w)[0]
            crashes += s.kind == "crash"
            self.step(s)
            taken.append(str(s))
        return taken

    def replay(self, labels) -> None:
        for label in labels:
            self.step(label)

    def settle(self, limit: int = 10000) -> None:
        """Restart every crashed process, then deliver, take internal steps and fire
        timers (no crashes) until nothing is in flight and no participant is in doubt."""
        for n in self.names:
            if not self.procs[n].up:
                self.restart(n)
        for _ in range(limit):
            en = self.enabled(crashes=False)
            busy = [s for s in en if s.kind != "timer"]
            if busy:
                self.step(busy[0])
                continue
            if not self.in_doubt() and not any(s.arg[0] == "vote" for s in en):
                return
            if not en:
                return
            self.step(min(en, key=lambda s: self.procs[s.proc].timers[s.arg]))
        raise StepError(f"did not settle in {limit} steps")

    # -------------------------------------------------------------- observation

    def in_doubt(self) -> list[tuple[str, str]]:
        out = []
        for rm in self.rms:
            p = self.procs[rm]
            m = p.machine if p.up else self._recovered(rm)
            out.extend((rm, x) for x, t in m.txns.items() if t.state == "prepared")
        return out

    def _recovered(self, name: str):
        """The machine a crashed process would restart as (its durable log replayed)."""
        m = self._machine(name, tracing=False)
        m.start(self.procs[name].disk.records())
        return m

    def observe(self, proc: str, txn: str) -> dict:
        """The spec variables ``proc`` owns for ``txn``. A crashed participant shows the
        state its log will restore (rmUp false); a crashed coordinator shows tmDown and
        its durable tmLog."""
        p = self.procs[proc]
        if p.up:
            return p.machine.observe(txn)
        m = self._recovered(proc)
        obs = m.observe(txn)
        if proc == "tm":
            t = m.txns.get(txn)
            return {"tmState": DOWN, "tmPrepared": frozenset(), "tmPending": frozenset(),
                    "tmLog": "logCommit" if t is not None and t.logged else "none"}
        obs["rmUp"] = False
        return obs

    def spec_state(self, txn: str) -> dict:
        """durable.mc's variables for ``txn`` except msgs and crashes (the functions as dicts)."""
        st: dict = {"rmState": {}, "rmLog": {}, "rmUp": {}}
        for rm in self.rms:
            o = self.observe(rm, txn)
            for v in ("rmState", "rmLog", "rmUp"):
                st[v][rm] = o[v]
        st.update(self.observe("tm", txn))
        return st

    _SPEC_MSG = {"prepare": ("Prepare", "dst"), "yes": ("Prepared", "src"), "commit": ("Commit", "dst"),
                 "abort": ("Abort", "dst"), "ask": ("Ask", "src")}

    def network(self, txn: str) -> set[tuple[str, str]]:
        """The messages about ``txn`` in flight, as durable.mc's messages (kind, rm);
        the no vote, which the spec does not model, is left out."""
        out = set()
        for q in self.net.values():
            for m in q:
                if m.txn == txn and m.kind in self._SPEC_MSG:
                    name, who = self._SPEC_MSG[m.kind]
                    out.add((name, getattr(m, who)))
        return out

    def traces_by_proc(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {n: [] for n in self.names}
        for ev in self.trace:
            out[ev["proc"]].append(ev)
        return out

    def balances_total(self) -> int:
        total = 0
        for rm in self.rms:
            p = self.procs[rm]
            m = p.machine if p.up else self._recovered(rm)
            total += sum(m.balances.values())
        return total

    def outcomes(self) -> dict[str, dict[str, str]]:
        """txn -> {participant: state} over every participant's (recovered) state."""
        out: dict[str, dict[str, str]] = {}
        for rm in self.rms:
            p = self.procs[rm]
            m = p.machine if p.up else self._recovered(rm)
            for x, t in m.txns.items():
                out.setdefault(x, {})[rm] = t.state
        return out

