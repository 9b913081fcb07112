"""Messages, inputs and effects shared by the two-phase commit state machines and runtimes.

The state machines (coordinator.py, participant.py) are pure: a runtime hands them an
*input* (a message, a fired timer, a client or operator request) and gets back a list of
*effects* to perform in order (append to the log and fsync, emit a trace event, send,
set a timer, reply). Nothing in this module does I/O.

Depends on nothing but the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .auth import check_ops

# ------------------------------------------------------------------ protocol messages

#: message kinds between coordinator and participants (JSON field "m")
KINDS = ("prepare", "yes", "no", "commit", "abort", "ask")
#: the kinds each role receives
TO_COORDINATOR = ("yes", "no", "ask")
TO_PARTICIPANT = ("prepare", "commit", "abort")


class BadMessage(ValueError):
    """A line from the network that is not a well-formed protocol message."""


@dataclass(frozen=True, slots=True)
class Msg:
    kind: str
    txn: str
    src: str
    dst: str
    lc: int
    #: prepare only: the participant's share of the transaction, ((account, delta), ...)
    ops: tuple[tuple[str, int], ...] = ()
    #: yes only: the balances of the share's accounts as the voter locked them (before
    #: the deltas), ((account, balance), ...); the coordinator hands them to the client,
    #: which is how a transaction reads (docs/reference-twophase.md, "Reads")
    values: tuple[tuple[str, int], ...] = ()
    #: no only: why the participant refused ("account a1 is locked by t7", ...)
    why: str = ""

    def to_json(self) -> dict:
        d: dict[str, Any] = {"m": self.kind, "txn": self.txn, "src": self.src, "dst": self.dst, "lc": self.lc}
        if self.ops:
            d["ops"] = [list(op) for op in self.ops]
        if self.values:
            d["values"] = [list(v) for v in self.values]
        if self.why:
            d["why"] = self.why
        return d

    @staticmethod
    def from_json(d: Any) -> "Msg":
        try:
            kind, txn, src, dst, lc = d["m"], d["txn"], d["src"], d["dst"], d["lc"]
            ops = check_ops(d.get("ops", ()))
            # a balance has the shape of an operation: a short account name, a bounded int
            values = check_ops(d.get("values", ()))
            why = d.get("why", "")
        except (KeyError, TypeError, ValueError) as e:
            raise BadMessage(f"malformed protocol message {str(d)[:200]}: {e}") from None
        if (kind not in KINDS or not isinstance(txn, str) or not txn or len(txn) > 200
                or not isinstance(src, str) or not isinstance(dst, str) or type(lc) is not int
                or not isinstance(why, str) or len(why) > 200):
            raise BadMessage(f"malformed protocol message {str(d)[:200]}")
        return Msg(kind, txn, src, dst, lc, ops, values, why)

    def short(self) -> str:
        return f"{self.kind}({self.txn})"


# ------------------------------------------------------------------ inputs

@dataclass(frozen=True, slots=True)
class Deliver:
    msg: Msg


@dataclass(frozen=True, slots=True)
class TimerFired:
    key: tuple


@dataclass(frozen=True, slots=True)
class Request:
    """A client or operator request (JSON object with an "op" field). ``client`` is an
    opaque handle the runtime uses to route the Reply effect back."""
    client: Any
    body: dict


# ------------------------------------------------------------------ effects

@dataclass(frozen=True, slots=True)
class Log:
    """Append ``record`` to the write-ahead log; with ``sync``, fsync before anything after."""
    record: dict
    sync: bool = True


@dataclass(frozen=True, slots=True)
class Send:
    msg: Msg


@dataclass(frozen=True, slots=True)
class SetTimer:
    key: tuple
    delay: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    key: tuple


@dataclass(frozen=True, slots=True)
class Reply:
    client: Any
    body: dict


@dataclass(frozen=True, slots=True)
class Emit:
    """A trace event (a dict in the format of docs/traces.md)."""
    event: dict


@dataclass(frozen=True, slots=True)
class Note:
    """A line for the ordinary process log (not a trace event)."""
    text: str
    level: str = "info"


Effect = Log | Send | SetTimer | CancelTimer | Reply | Emit | Note


# ------------------------------------------------------------------ seeded bugs

BUG_NAMES = {
    "commit-before-log": "commit_before_log",
    "forget-in-doubt": "forget_in_doubt",
    "vote-before-log": "vote_before_log",
    "commit-on-majority": "commit_on_majority",
}


@dataclass(frozen=True, slots=True)
class Bugs:
    """Seeded implementation bugs, all off by default (see docs/reference-twophase.md).

    commit_before_log   the coordinator sends Commit before its decision is in the log
    forget_in_doubt     a participant recovers an in-doubt transaction as aborted
    vote_before_log     a participant sends its yes vote before the vote is in the log
    commit_on_majority  the coordinator commits once a strict majority voted yes
    """
    commit_before_log: bool = False
    forget_in_doubt: bool = False
    vote_before_log: bool = False
    commit_on_majority: bool = False

    @staticmethod
    def from_names(names) -> "Bugs":
        kw = {}
        for n in names:
            if n not in BUG_NAMES:
                raise ValueError(f"unknown bug {n!r} (known: {', '.join(BUG_NAMES)})")
            kw[BUG_NAMES[n]] = True
        return Bugs(**kw)

    def names(self) -> list[str]:
        return [n for n, f in BUG_NAMES.items() if getattr(self, f)]


# ------------------------------------------------------------------ trace events

def tmap(key: str, value: Any) -> dict:
    """ITF encoding of a function observed at one key only."""
    return {"#map": [[key, value]]}


def tset(items) -> dict:
    return {"#set": list(items)}


@dataclass(slots=True)
class Clock:
    """A Lamport clock. ``tick`` before every spec step; ``observe`` on every receive."""
    lc: int = 0

    def tick(self) -> int:
        self.lc += 1
        return self.lc

    def observe(self, other: int) -> None:
        if other > self.lc:
            self.lc = other


def event(proc: str, lc: int, txn: str | None, action: str, params: dict, state: dict,
          meta: dict | None = None, participants: list[str] | None = None) -> dict:
    """A trace event (docs/traces.md). ``participants``, on the event that begins a
    transaction, names the processes that take part in it; ``meta`` is free-form."""
    ev = {"v": 1, "proc": proc, "lc": lc, "txn": txn, "action": action, "params": params, "state": state}
    if participants is not None:
        ev["participants"] = list(participants)
    if meta:
        ev["meta"] = meta
    return ev


@dataclass
class MachineBase:
    """What both state machines share: a name, a Lamport clock, the lc of the current
    incarnation's start (messages stamped at or before it are from before the crash and
    are dropped, as the spec drops them: see docs/reference-twophase.md), tracing."""
    name: str
    tracing: bool = True
    clock: Clock = field(default_factory=Clock)
    boot_lc: int = 0

    @property
    def lc(self) -> int:
        return self.clock.lc

    def observe_clock(self, lc: int) -> None:
        """A peer's clock, learnt when a connection to it is set up (the hello)."""
        self.clock.observe(lc)

    def _stale(self, msg: Msg) -> bool:
        """Sent before this incarnation started, in the merged order of the traces: the
        send's event, ``(msg.lc, msg.src)``, sorts before this process's restart event
        ``(boot_lc, name)`` (TMRecover / RMRecover), ties on lc broken by process name as
        ``merge-traces`` breaks them. Such a message was, in that order, sent while this
        process was down or before it crashed, and the spec loses it."""
        return (msg.lc, msg.src) < (self.boot_lc, self.name)


# ------------------------------------------------------------------ workload

def transfer_ops(rng, participants, accounts: int, max_amount: int = 10) -> dict:
    """A random transfer touching every participant: one account debited, one account on
    each other participant credited, the credits summing to the debit. Accounts are
    a0..a{accounts-1} on every participant. Returns {participant: [[account, delta]]}."""
    src = rng.choice(participants)
    amount = rng.randint(1, max_amount)
    others = [r for r in participants if r != src]
    cuts = sorted(rng.randint(0, amount) for _ in range(len(others) - 1))
    shares = [b - a for a, b in zip([0] + cuts, cuts + [amount])]
    ops = {src: [[f"a{rng.randrange(accounts)}", -amount]]}
    for r, s in zip(others, shares):
        ops[r] = [[f"a{rng.randrange(accounts)}", s]]
    return ops
