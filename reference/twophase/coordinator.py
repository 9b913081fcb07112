"""The coordinator (transaction manager) of two-phase commit, as a sans-IO state machine.

Every step that is an action of specs/twophase/durable.mc is exactly one call here and
emits one trace event named after that action (when tracing is on); see
docs/reference-twophase.md for the mapping. Presumed abort: only commit decisions are
logged; a transaction the coordinator does not know (after a restart) is aborted.

Inputs: ``start`` (first start or recovery from the log), ``handle`` (a message, a timer,
a client request) and ``take`` (one of the pending internal steps listed by
``internal()``: decide to commit, send a decision to one participant). A runtime takes
internal steps right away; the deterministic scheduler lets its caller choose.

Depends on protocol.py only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .protocol import (Bugs, CancelTimer, Deliver, Emit, Log, MachineBase, Msg, Note, Reply,
                       TO_COORDINATOR, Request, Send, SetTimer, TimerFired, event, tset)
from .auth import check_ops

INIT, COMMITTED, ABORTED, DOWN = "init", "tmCommitted", "tmAborted", "tmDown"


@dataclass(slots=True)
class TxnTM:
    txn: str
    parts: tuple[str, ...]                  # participants, in the coordinator's order
    ops: dict                               # participant -> ((account, delta), ...)
    state: str = INIT
    prepared: set = field(default_factory=set)
    pending: set = field(default_factory=set)   # participants still owed the decision
    logged: bool = False                    # the commit decision is in the log (fsynced)
    decided_lc: int = 0                     # lc of the TMCommit step
    client: object = None
    #: the balances each yes vote reported (participant -> {account: balance}): the reply's "values"
    values: dict = field(default_factory=dict)
    detail: bool = False                    # the client's begin asked for "values" / "why" ("detail": true)


class Coordinator(MachineBase):
    def __init__(self, participants, *, name: str = "tm", vote_timeout: float = 1.0,
                 bugs: Bugs = Bugs(), tracing: bool = True):
        super().__init__(name=name, tracing=tracing)
        self.participants = tuple(participants)
        self._order = {p: i for i, p in enumerate(self.participants)}
        self.vote_timeout = vote_timeout
        self.bugs = bugs
        self.txns: dict[str, TxnTM] = {}
        self._work: dict[str, None] = {}        # txns that may have internal steps (ordered set)

    @property
    def senders(self) -> tuple[str, ...]:
        """The processes whose protocol messages this one receives: the participants."""
        return self.participants

    #: the kinds of message this role receives (auth.py refuses the others)
    accepts = TO_COORDINATOR

    # -------------------------------------------------------------- observation

    def _sorted(self, rms) -> list[str]:
        return sorted(rms, key=self._order.__getitem__)

    def observe(self, txn: str) -> dict:
        """The spec variables this process owns, for transaction ``txn`` (Python values)."""
        t = self.txns.get(txn)
        if t is None:   # never begun by this incarnation, nothing logged: presumed aborted
            return {"tmState": ABORTED, "tmPrepared": frozenset(), "tmPending": frozenset(), "tmLog": "none"}
        return {"tmState": t.state, "tmPrepared": frozenset(t.prepared), "tmPending": frozenset(t.pending),
                "tmLog": "logCommit" if t.logged else "none"}

    def _state(self, t: TxnTM | None) -> dict:
        if t is None:
            return {"tmState": ABORTED, "tmPrepared": tset([]), "tmPending": tset([]), "tmLog": "none"}
        return {"tmState": t.state, "tmPrepared": tset(self._sorted(t.prepared)),
                "tmPending": tset(self._sorted(t.pending)), "tmLog": "logCommit" if t.logged else "none"}

    def _emit(self, out: list, t: TxnTM | None, txn: str, action: str, params: dict, meta=None,
              participants=None) -> None:
        if self.tracing:
            out.append(Emit(event(self.name, self.lc, txn, action, params, self._state(t), meta, participants)))

    # -------------------------------------------------------------- start / recovery

    def start(self, records: list[dict], clock: int = 0, traced_lc: int = 0, peer_clock: int = 0) -> list:
        """Start from the durable log. ``clock`` is the persisted Lamport clock (0 on a
        first start); ``traced_lc`` the lc of the last trace event written, so that a
        step whose record reached the log but whose event did not is traced now;
        ``peer_clock`` the largest clock of the other processes, read by the runtime
        before this start: the crash event is stamped after this process's own clock,
        the recovery event after ``peer_clock`` too, so that every message a peer sent
        before (which this incarnation will never take) sorts before the recovery
        (docs/traces.md, *Crashes and restarts*)."""
        out: list = []
        self.txns.clear()
        self._work.clear()
        last = max(clock, traced_lc)
        for rec in records:
            if rec.get("t") != "commit":
                out.append(Note(f"ignoring unknown log record {rec!r}", "warning"))
                continue
            txn = rec["txn"]
            t = TxnTM(txn, tuple(rec["parts"]), {}, COMMITTED, set(rec.get("prepared", ())),
                      set(rec["parts"]), True)
            last = max(last, rec.get("lc", 0))
            if self.tracing and rec.get("lc", 0) > traced_lc:
                # the decision was durable but the process died before tracing it
                self.clock.lc = rec["lc"]
                self._emit(out, t, txn, "TMCommit", {}, {"retraced": True})
            self.txns[txn] = t
        self.clock.lc = max(self.clock.lc, last)
        if clock > 0 or records:
            self.clock.tick()
            if self.tracing:
                out.append(Emit(event(self.name, self.lc, None, "TMCrash", {},
                                      {"tmState": DOWN, "tmPrepared": tset([]), "tmPending": tset([])})))
            self.clock.observe(peer_clock)
            self.clock.tick()
            if self.tracing:
                out.append(Emit(event(self.name, self.lc, None, "TMRecover", {}, {"tmPrepared": tset([])})))
        self.boot_lc = self.lc
        # volatile state is gone; a logged commit is re-sent to every participant
        for txn, t in self.txns.items():
            t.prepared = set()
            t.pending = set(t.parts)
            self._work[txn] = None
        n = len(self.txns)
        out.append(Note(f"started at lc {self.lc}: {n} committed transaction(s) in the log, re-sending their decisions"
                        if n else f"started at lc {self.lc}"))
        return out

    # -------------------------------------------------------------- inputs

    def handle(self, inp) -> list:
        if isinstance(inp, Deliver):
            return self._on_msg(inp.msg)
        if isinstance(inp, TimerFired):
            return self._on_timer(inp.key)
        if isinstance(inp, Request):
            return self._on_request(inp.client, inp.body)
        raise TypeError(f"unknown input {inp!r}")

    def _on_request(self, client, body: dict) -> list:
        op = body.get("op")
        if op == "begin":
            return self._begin(client, body)
        if op == "outcome":
            txn = str(body.get("txn"))
            t = self.txns.get(txn)
            outcome = ("committed" if t.state == COMMITTED else "aborted" if t.state == ABORTED else "active") \
                if t else "aborted"
            return [Reply(client, {"txn": txn, "outcome": outcome, "known": t is not None})]
        if op == "status":
            counts = {INIT: 0, COMMITTED: 0, ABORTED: 0}
            for t in self.txns.values():
                counts[t.state] += 1
            return [Reply(client, {"proc": self.name, "lc": self.lc, "active": counts[INIT],
                                   "committed": counts[COMMITTED], "aborted": counts[ABORTED],
                                   "committed_txns": [x for x, t in self.txns.items() if t.state == COMMITTED]})]
        return [Reply(client, {"error": f"unknown request {op!r}"})]

    def _begin(self, client, body: dict) -> list:
        txn = body.get("txn")
        ops = body.get("ops")
        err = None
        if not isinstance(txn, str) or not txn or any(c.isspace() for c in txn):
            err = "txn must be a non-empty string without spaces"
        elif txn in self.txns:
            err = f"transaction {txn} already exists"
        elif not isinstance(ops, dict) or not ops:
            err = "ops must map participants to lists of [account, delta]"
        else:
            unknown = [p for p in ops if p not in self._order]
            if unknown:
                err = f"unknown participant(s) {unknown}"
        if err is None:
            try:
                norm = {p: check_ops(ops[p]) for p in ops}
            except ValueError as e:
                err = f"ops must map participants to lists of [account, delta]: {e}"
            else:
                if any(not norm[p] for p in norm):
                    err = "every participant of a transfer needs at least one operation"
                elif sum(d for p in norm for _, d in norm[p]) != 0:
                    err = "the deltas of a transfer must sum to zero"
        if err is not None:
            return [Reply(client, {"txn": txn, "error": err})]
        parts = tuple(self._sorted(norm))
        t = TxnTM(txn, parts, norm, client=client, detail=body.get("detail") is True)
        self.txns[txn] = t
        lc = self.clock.tick()
        out: list = []
        self._emit(out, t, txn, "TMBegin", {}, {"ops": {p: [list(o) for o in norm[p]] for p in parts}},
                   participants=list(parts))
        for p in parts:
            out.append(Send(Msg("prepare", txn, self.name, p, lc, norm[p])))
        out.append(SetTimer(("vote", txn), self.vote_timeout))
        return out

    def _on_msg(self, m: Msg) -> list:
        self.clock.observe(m.lc)
        if self._stale(m):
            return [Note(f"dropped {m.short()} from {m.src} (lc {m.lc}): sent before this process restarted")]
        t = self.txns.get(m.txn)
        if t is not None and m.src not in t.parts:
            return [Note(f"dropped {m.short()} from {m.src}: not a participant of {m.txn}", "warning")]
        if m.kind == "yes":
            if t is not None and t.state == INIT:
                self.clock.tick()
                t.prepared.add(m.src)
                t.values[m.src] = dict(m.values)
                out: list = []
                self._emit(out, t, m.txn, "TMRcvPrepared", {"rm": m.src})
                if self._can_commit(t):
                    self._work[m.txn] = None
                return out
            return self._send_decision(t, m.txn, m.src)
        if m.kind == "no":
            if t is not None and t.state == INIT:
                return self._abort(t, f"{m.src}: {m.why}" if m.why else f"{m.src} voted no")
            return []
        if m.kind == "ask":
            if t is not None and t.state == INIT:
                return [Note(f"{m.src} asks about {m.txn}, still collecting votes")]
            return self._send_decision(t, m.txn, m.src)
        return [Note(f"unexpected {m.short()} from {m.src}", "warning")]

    def _on_timer(self, key: tuple) -> list:
        if key[0] == "vote":
            t = self.txns.get(key[1])
            if t is not None and t.state == INIT:
                return [Note(f"{t.txn}: vote timeout, aborting")] + self._abort(t, "vote timeout")
        return []

    # -------------------------------------------------------------- decisions

    def _can_commit(self, t: TxnTM) -> bool:
        if self.bugs.commit_on_majority:
            return 2 * len(t.prepared) > len(t.parts)
        return len(t.prepared) == len(t.parts)

    def _abort(self, t: TxnTM, why: str = "") -> list:
        self.clock.tick()
        t.state = ABORTED
        t.pending = set(t.parts)
        self._work[t.txn] = None
        out: list = [CancelTimer(("vote", t.txn))]
        self._emit(out, t, t.txn, "TMAbort", {})
        if t.client is not None:
            reply = {"txn": t.txn, "outcome": "aborted"}
            if why and t.detail:
                reply["why"] = why
            out.append(Reply(t.client, reply))
            t.client = None
        return out

    def _send_decision(self, t: TxnTM | None, txn: str, rm: str) -> list:
        """Send the decision about ``txn`` to ``rm``: TMSendCommit or TMSendAbort. An
        unknown transaction is aborted (presumed abort)."""
        lc = self.clock.tick()
        out: list = []
        if t is not None and t.state == COMMITTED:
            t.pending.discard(rm)
            self._emit(out, t, txn, "TMSendCommit", {"rm": rm})
            out.append(Send(Msg("commit", txn, self.name, rm, lc)))
        else:
            if t is not None:
                t.pending.discard(rm)
            self._emit(out, t, txn, "TMSendAbort", {"rm": rm})
            out.append(Send(Msg("abort", txn, self.name, rm, lc)))
        return out

    def _commit_record(self, t: TxnTM) -> dict:
        return {"t": "commit", "txn": t.txn, "parts": list(t.parts), "prepared": self._sorted(t.prepared),
                "lc": t.decided_lc}

    # -------------------------------------------------------------- internal steps

    def internal(self) -> list[tuple]:
        """Pending internal steps, in the order the real runtime takes them."""
        steps: list[tuple] = []
        done = []
        for txn in self._work:
            t = self.txns[txn]
            n = len(steps)
            if t.state == INIT and self._can_commit(t):
                steps.append(("commit", txn))
            elif t.state != INIT:
                for p in t.parts:
                    if p in t.pending:
                        steps.append(("send", txn, p))
                if self.bugs.commit_before_log and t.state == COMMITTED and not t.logged:
                    steps.append(("log", txn))
            if len(steps) == n:
                done.append(txn)
        for txn in done:
            del self._work[txn]
        return steps

    def take(self, step: tuple) -> list:
        kind, txn = step[0], step[1]
        t = self.txns.get(txn)
        if t is None:
            raise ValueError(f"no internal step {step!r}")
        if kind == "commit":
            if not (t.state == INIT and self._can_commit(t)):
                raise ValueError(f"internal step {step!r} is not enabled")
            t.decided_lc = self.clock.tick()
            t.state = COMMITTED
            t.pending = set(t.parts)
            out: list = [CancelTimer(("vote", txn))]
            if not self.bugs.commit_before_log:
                out.append(Log(self._commit_record(t), sync=True))
                t.logged = True
            self._emit(out, t, txn, "TMCommit", {})
            if t.client is not None:
                reply = {"txn": txn, "outcome": "committed"}
                if t.detail:
                    # each participant's balances as its vote locked them: one consistent
                    # state of every account the transaction touched, before its deltas
                    reply["values"] = {p: t.values.get(p, {}) for p in t.parts}
                out.append(Reply(t.client, reply))
                t.client = None
            return out
        if kind == "send":
            rm = step[2]
            if t.state == INIT or rm not in t.pending:
                raise ValueError(f"internal step {step!r} is not enabled")
            return self._send_decision(t, txn, rm)
        if kind == "log" and self.bugs.commit_before_log and t.state == COMMITTED and not t.logged:
            t.logged = True
            return [Log(self._commit_record(t), sync=True)]
        raise ValueError(f"no internal step {step!r}")
