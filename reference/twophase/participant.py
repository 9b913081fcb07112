"""A participant (resource manager) of two-phase commit, as a sans-IO state machine.

A participant keeps a small key-value store of account balances. A transaction gives it
a list of (account, delta); it votes yes only if it can lock every account (no other
in-doubt transaction holds one) and no balance would go negative. A yes vote is logged
(fsynced) before it is sent, and the locks are held until the outcome is known: across
crashes too, since recovery re-takes them for every in-doubt transaction. An in-doubt
participant asks the coordinator for the outcome on a timer (and once right after a
restart) until it learns it.

Every step that is an action of specs/twophase/durable.mc emits one trace event named
after it. The participant's name is its model value in the spec ("rm1", ...).

Depends on protocol.py only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .protocol import (Bugs, CancelTimer, Deliver, Emit, Log, MachineBase, Msg, Note, Reply,
                       TO_PARTICIPANT, Request, Send, SetTimer, TimerFired, event, tmap)

WORKING, PREPARED, COMMITTED, ABORTED = "working", "prepared", "committed", "aborted"

#: record type -> (rmState, rmLog value in the spec)
_RECORD = {
    "yes": (PREPARED, "rmYes"),
    "no": (ABORTED, "rmNo"),
    "commit": (COMMITTED, "rmCommit"),
    "abort": (ABORTED, "rmAbort"),
}


@dataclass(slots=True)
class TxnRM:
    txn: str
    ops: tuple[tuple[str, int], ...]
    state: str              # prepared | committed | aborted  (no entry = working)
    record: str             # the spec's rmLog value of the latest durable record
    heuristic: bool = False
    ask_now: bool = False   # ask the coordinator at once (after a restart)
    unlogged: bool = False  # (seeded bug vote-before-log) the yes vote is not yet logged
    forget: bool = False    # (seeded bug forget-in-doubt) abort it locally after the restart
    vote_lc: int = 0        # lc of the RMPrepare step (the record written late carries it)


class Participant(MachineBase):
    def __init__(self, name: str, balances: dict[str, int] | None = None, *, coordinator: str = "tm",
                 ask_interval: float = 0.2, bugs: Bugs = Bugs(), tracing: bool = True):
        super().__init__(name=name, tracing=tracing)
        self.coordinator = coordinator
        self.initial = dict(balances or {})
        self.ask_interval = ask_interval
        self.bugs = bugs
        self.balances: dict[str, int] = {}
        self.locks: dict[str, str] = {}        # account -> txn holding it
        self.txns: dict[str, TxnRM] = {}
        self.damage: list[dict] = []           # heuristic decisions the outcome contradicted
        self._work: dict[str, None] = {}

    @property
    def senders(self) -> tuple[str, ...]:
        """The processes whose protocol messages this one receives: the coordinator."""
        return (self.coordinator,)

    #: the kinds of message this role receives (auth.py refuses the others)
    accepts = TO_PARTICIPANT

    # -------------------------------------------------------------- observation

    def observe(self, txn: str) -> dict:
        t = self.txns.get(txn)
        if t is None:
            return {"rmState": WORKING, "rmLog": "rmNone", "rmUp": True}
        return {"rmState": t.state, "rmLog": t.record, "rmUp": True}

    def _emit(self, out: list, t: TxnRM | None, txn: str, action: str, meta=None) -> None:
        if self.tracing:
            st = self.observe(txn) if t is None else {"rmState": t.state, "rmLog": t.record, "rmUp": True}
            state = {"rmState": tmap(self.name, st["rmState"]), "rmLog": tmap(self.name, st["rmLog"]),
                     "rmUp": tmap(self.name, True)}
            out.append(Emit(event(self.name, self.lc, txn, action, {"rm": self.name}, state, meta)))

    # -------------------------------------------------------------- store

    def _lock(self, t: TxnRM) -> None:
        for a, _ in t.ops:
            self.locks[a] = t.txn

    def _unlock(self, t: TxnRM) -> None:
        for a, _ in t.ops:
            if self.locks.get(a) == t.txn:
                del self.locks[a]

    def _apply(self, t: TxnRM) -> None:
        for a, d in t.ops:
            self.balances[a] = self.balances.get(a, 0) + d

    def _refusal(self, txn: str, ops) -> str | None:
        # every prepared transaction locks at least one account, so a participant holds
        # at most as many transactions in doubt as it has accounts: a flood of prepares
        # cannot pile up work (3,000 empty ones used to be logged and held)
        if not ops:
            return "no operation for this participant"
        net: dict[str, int] = {}
        for a, d in ops:
            if a not in self.balances:
                return f"no account {a}"
            holder = self.locks.get(a)
            if holder is not None and holder != txn:
                return f"account {a} is locked by {holder}"
            net[a] = net.get(a, 0) + d
        for a, d in net.items():
            if self.balances[a] + d < 0:
                return f"balance of {a} would be {self.balances[a] + d}"
        return None

    # -------------------------------------------------------------- start / recovery

    _RETRACE = {"yes": "RMPrepare", "no": "RMChooseToAbort", "commit": "RMRcvCommitMsg"}

    def start(self, records: list[dict], clock: int = 0, traced_lc: int = 0, peer_clock: int = 0) -> list:
        """Start from the durable log; the arguments are the coordinator's (Coordinator.start)."""
        out: list = []
        self.balances, self.locks, self.txns, self._work = {}, {}, {}, {}
        self.damage = []
        last = max(clock, traced_lc)
        have_init = False
        for rec in records:
            kind = rec.get("t")
            txn = rec.get("txn")
            if kind == "init":
                self.balances = {str(a): int(b) for a, b in rec["balances"].items()}
                have_init = True
                continue
            if kind == "damage":
                self.damage.append(rec)
                continue
            ops = tuple((a, d) for a, d in rec.get("ops", ()))
            t = self.txns.get(txn)
            if kind == "yes":
                t = self.txns[txn] = TxnRM(txn, ops, PREPARED, "rmYes")
            elif kind == "no":
                t = self.txns[txn] = TxnRM(txn, ops, ABORTED, "rmNo")
            elif kind in ("commit", "abort", "heuristic"):
                if t is None:
                    t = self.txns[txn] = TxnRM(txn, ops, WORKING, "rmNone")
                elif ops and not t.ops:
                    t.ops = ops
                commit = kind == "commit" or (kind == "heuristic" and rec["outcome"] == "commit")
                if commit:
                    self._apply(t)
                t.state = COMMITTED if commit else ABORTED
                if kind == "heuristic":
                    t.heuristic = True
                    t.record = "rmHeurCommit" if commit else "rmHeurAbort"
                else:
                    t.record = _RECORD[kind][1]
            else:
                out.append(Note(f"ignoring unknown log record {rec!r}", "warning"))
                continue
            lc = rec.get("lc", 0)
            last = max(last, lc)
            if self.tracing and lc > traced_lc:
                # durable, but the process died before the step was traced: trace it now
                self.clock.lc = lc
                self._emit(out, t, txn, self._retrace_action(rec), {"retraced": True})
        if not have_init:
            self.balances = dict(self.initial)
            out.append(Log({"t": "init", "balances": self.balances}, sync=True))
        self.clock.lc = max(self.clock.lc, last)
        if clock > 0 or records:
            for action, up in (("RMCrash", False), ("RMRecover", True)):
                if up:
                    self.clock.observe(peer_clock)
                self.clock.tick()
                if self.tracing:
                    out.append(Emit(event(self.name, self.lc, None, action, {"rm": self.name},
                                          {"rmUp": tmap(self.name, up)})))
        self.boot_lc = self.lc
        in_doubt = [t for t in self.txns.values() if t.state == PREPARED]
        for t in in_doubt:
            self._lock(t)
            if self.bugs.forget_in_doubt:
                t.forget = True
            else:
                t.ask_now = True
                out.append(SetTimer(("ask", t.txn), self.ask_interval))
            self._work[t.txn] = None
        out.append(Note(f"started at lc {self.lc}: {len(self.txns)} transaction(s) in the log, "
                        f"{len(in_doubt)} in doubt" + (f" ({', '.join(t.txn for t in in_doubt)})" if in_doubt else "")))
        return out

    def _retrace_action(self, rec: dict) -> str:
        kind = rec["t"]
        if kind == "abort":
            return "RMChooseToAbort" if rec.get("cause") == "recovery" else "RMRcvAbortMsg"
        if kind == "heuristic":
            return "RMHeuristicCommit" if rec["outcome"] == "commit" else "RMHeuristicAbort"
        return self._RETRACE[kind]

    # -------------------------------------------------------------- inputs

    def handle(self, inp) -> list:
        if isinstance(inp, Deliver):
            return self._on_msg(inp.msg)
        if isinstance(inp, TimerFired):
            return self._on_timer(inp.key)
        if isinstance(inp, Request):
            return self._on_request(inp.client, inp.body)
        raise TypeError(f"unknown input {inp!r}")

    def _on_msg(self, m: Msg) -> list:
        self.clock.observe(m.lc)
        if self._stale(m):
            return [Note(f"dropped {m.short()} from {m.src} (lc {m.lc}): sent before this process restarted")]
        t = self.txns.get(m.txn)
        if m.kind == "prepare":
            if t is not None:
                return [Note(f"duplicate prepare for {m.txn} ignored ({t.state})")]
            return self._vote(m)
        if m.kind == "commit":
            if t is None:
                return [Note(f"commit for {m.txn}, which this participant never voted on: ignored", "error")]
            if t.state == PREPARED:
                return self._decide(t, COMMITTED)
            return self._late_decision(t, COMMITTED)
        if m.kind == "abort":
            if t is None:
                # aborted before its prepare request arrived: remember it, so a late
                # prepare is not voted on
                t = self.txns[m.txn] = TxnRM(m.txn, (), WORKING, "rmNone")
                return self._decide(t, ABORTED)
            if t.state == PREPARED:
                return self._decide(t, ABORTED)
            return self._late_decision(t, ABORTED)
        return [Note(f"unexpected {m.short()} from {m.src}", "warning")]

    def _vote(self, m: Msg) -> list:
        why = self._refusal(m.txn, m.ops)
        lc = self.clock.tick()
        out: list = []
        if why is None:
            t = self.txns[m.txn] = TxnRM(m.txn, m.ops, PREPARED, "rmYes")
            self._lock(t)
            if self.bugs.vote_before_log:
                t.record, t.unlogged, t.vote_lc = "rmNone", True, lc
                self._work[m.txn] = None
            else:
                out.append(Log({"t": "yes", "txn": m.txn, "ops": [list(o) for o in m.ops], "lc": lc}, sync=True))
            self._emit(out, t, m.txn, "RMPrepare")
            # what the locked accounts hold now: they cannot change until the outcome, so
            # every yes vote of a transaction reports one consistent state (a read)
            seen = tuple((a, self.balances[a]) for a in dict.fromkeys(a for a, _ in m.ops))
            out.append(Send(Msg("yes", m.txn, self.name, m.src, lc, values=seen)))
            out.append(SetTimer(("ask", m.txn), self.ask_interval))
        else:
            t = self.txns[m.txn] = TxnRM(m.txn, m.ops, ABORTED, "rmNo")
            out.append(Log({"t": "no", "txn": m.txn, "lc": lc, "why": why}, sync=True))
            self._emit(out, t, m.txn, "RMChooseToAbort", {"why": why})
            out.append(Send(Msg("no", m.txn, self.name, m.src, lc, why=why[:200])))
        return out

    def _decide(self, t: TxnRM, outcome: str) -> list:
        """RMRcvCommitMsg / RMRcvAbortMsg: log the outcome, then apply it."""
        lc = self.clock.tick()
        was_prepared = t.state == PREPARED
        kind = "commit" if outcome == COMMITTED else "abort"
        rec = {"t": kind, "txn": t.txn, "lc": lc}
        if kind == "commit":
            rec["ops"] = [list(o) for o in t.ops]
        out: list = [Log(rec, sync=True)]
        if outcome == COMMITTED:
            self._apply(t)
        if was_prepared:
            self._unlock(t)
            out.append(CancelTimer(("ask", t.txn)))
        t.state, t.record, t.unlogged, t.ask_now = outcome, _RECORD[kind][1], False, False
        self._emit(out, t, t.txn, "RMRcvCommitMsg" if outcome == COMMITTED else "RMRcvAbortMsg")
        return out

    def _late_decision(self, t: TxnRM, outcome: str) -> list:
        if t.state == outcome:
            return []
        if t.heuristic:
            rec = {"t": "damage", "txn": t.txn, "heuristic": t.state, "outcome": outcome}
            self.damage.append(rec)
            return [Log(rec, sync=True),
                    Note(f"HEURISTIC DAMAGE: {t.txn} was {outcome} by the coordinator but {t.state} "
                         f"heuristically here", "error")]
        return [Note(f"{outcome} received for {t.txn}, which is {t.state} here: ignored", "error")]

    def _on_timer(self, key: tuple) -> list:
        if key[0] == "ask":
            t = self.txns.get(key[1])
            if t is not None and t.state == PREPARED:
                return self._ask(t)
        return []

    def _ask(self, t: TxnRM) -> list:
        lc = self.clock.tick()
        t.ask_now = False
        out: list = []
        self._emit(out, t, t.txn, "RMAskOutcome")
        out.append(Send(Msg("ask", t.txn, self.name, self.coordinator, lc)))
        out.append(SetTimer(("ask", t.txn), self.ask_interval))
        return out

    def _on_request(self, client, body: dict) -> list:
        op = body.get("op")
        if op == "status":
            return [Reply(client, self.status())]
        if op == "heuristic":
            return self._heuristic(client, str(body.get("txn")), body.get("outcome"))
        return [Reply(client, {"error": f"unknown request {op!r}"})]

    def status(self) -> dict:
        return {"proc": self.name, "lc": self.lc, "balances": dict(self.balances),
                "total": sum(self.balances.values()),
                "txns": {x: t.state for x, t in self.txns.items()},
                "in_doubt": [x for x, t in self.txns.items() if t.state == PREPARED],
                "heuristic": [x for x, t in self.txns.items() if t.heuristic],
                "damage": list(self.damage), "locks": dict(self.locks)}

    def _heuristic(self, client, txn: str, outcome) -> list:
        t = self.txns.get(txn)
        if outcome not in ("commit", "abort"):
            return [Reply(client, {"error": "outcome must be commit or abort"})]
        if t is None:
            return [Reply(client, {"error": f"{txn} is not in doubt here: {self.name} has no record of it "
                                            f"(an unknown transaction, or one it never voted on)"})]
        if t.state != PREPARED:
            return [Reply(client, {"error": f"{txn} is not in doubt here: it is {t.state} at {self.name}"})]
        lc = self.clock.tick()
        commit = outcome == "commit"
        out: list = [Log({"t": "heuristic", "txn": txn, "outcome": outcome, "lc": lc,
                          "ops": [list(o) for o in t.ops]}, sync=True)]
        if commit:
            self._apply(t)
        self._unlock(t)
        out.append(CancelTimer(("ask", txn)))
        t.state = COMMITTED if commit else ABORTED
        t.record = "rmHeurCommit" if commit else "rmHeurAbort"
        t.heuristic, t.unlogged = True, False
        self._emit(out, t, txn, "RMHeuristicCommit" if commit else "RMHeuristicAbort", {"heuristic": True})
        out.append(Note(f"HEURISTIC decision: {txn} {outcome} forced by the operator", "warning"))
        out.append(Reply(client, {"txn": txn, "outcome": outcome, "heuristic": True}))
        return out

    # -------------------------------------------------------------- internal steps

    def internal(self) -> list[tuple]:
        steps: list[tuple] = []
        done = []
        for txn in self._work:
            t = self.txns[txn]
            n = len(steps)
            if t.state == PREPARED:
                if t.unlogged:
                    steps.append(("log", txn))
                if t.ask_now:
                    steps.append(("ask", txn))
                if t.forget:
                    steps.append(("forget", txn))
            if len(steps) == n:
                done.append(txn)
        for txn in done:
            del self._work[txn]
        return steps

    def take(self, step: tuple) -> list:
        kind, txn = step[0], step[1]
        t = self.txns.get(txn)
        if t is None or t.state != PREPARED:
            raise ValueError(f"internal step {step!r} is not enabled")
        if kind == "log" and t.unlogged:
            t.unlogged = False
            t.record = "rmYes"
            return [Log({"t": "yes", "txn": txn, "ops": [list(o) for o in t.ops], "lc": t.vote_lc}, sync=True)]
        if kind == "ask" and t.ask_now:
            return self._ask(t)
        if kind == "forget" and t.forget:
            # the seeded bug: a prepared participant may not abort on its own
            lc = self.clock.tick()
            t.forget = False
            out: list = [Log({"t": "abort", "txn": txn, "lc": lc, "cause": "recovery"}, sync=True)]
            self._unlock(t)
            out.append(CancelTimer(("ask", txn)))
            t.state, t.record = ABORTED, "rmAbort"
            self._emit(out, t, txn, "RMChooseToAbort", {"why": "in doubt at recovery"})
            return out
        raise ValueError(f"no internal step {step!r}")
