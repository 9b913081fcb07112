"""A bank of accounts as a sequential object: atomic transfers and consistent reads.

Used to check the history of the two-phase commit cluster's workload (each transfer a
distributed transaction, reads of every balance after each): if transfers are atomic
and reads see a committed state, the history is linearizable against this model.

``BankModel(accounts, initial)``: ``accounts`` a sequence of account names (strings or
integers), ``initial`` every account's opening balance (an int) or a mapping from account
to balance. The operations:

| operation | arguments | result |
|---|---|---|
| ``transfer`` | from, to, amount | ``"ok"`` (or ``null`` / ``true``) when it moved the money; ``"insufficient"`` when ``from`` held less than ``amount`` (nothing moved) |
| ``read`` | none | every balance: a list in the order of ``accounts``, or an object ``{account: balance}`` |
| ``read`` | account | that account's balance |

A transfer with no response may have happened or not. An unknown account, a negative or
non-integer amount, or an unknown operation is a :class:`~.core.HistoryError`: the
history does not belong to this bank. There is no partition: a read of every balance
sees every account.

State: the tuple of balances in the order of ``accounts``.

Depends on :mod:`.core` only.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .core import HistoryError, Op, PrunesPendingReadonly

__all__ = ["BankModel"]

_OK = ("ok", None, True)


class BankModel(PrunesPendingReadonly):
    """A bank of accounts (see the module docstring)."""

    name = "bank"

    def __init__(self, accounts: Sequence[Any] | None = None, initial: int | Mapping[Any, int] = 0):
        if accounts is None:
            raise HistoryError("the bank model needs its accounts and their opening balances: "
                               "BankModel(accounts, initial), from Python")
        self.accounts = tuple(accounts)
        if not self.accounts or len(set(self.accounts)) != len(self.accounts):
            raise HistoryError("a bank needs one or more accounts, each named once")
        self.index = {a: k for k, a in enumerate(self.accounts)}
        if isinstance(initial, Mapping):
            missing = [a for a in self.accounts if a not in initial]
            extra = [a for a in initial if a not in self.index]
            if missing or extra:
                raise HistoryError(f"initial balances: missing {missing}, unknown {extra}")
            self._init = tuple(int(initial[a]) for a in self.accounts)
        else:
            self._init = (int(initial),) * len(self.accounts)

    #: a pending read constrains nothing (:meth:`prune` drops it)
    readonly = frozenset({"read"})

    def init(self) -> tuple:
        return self._init

    def validate(self, op: Op) -> None:
        """Raise :class:`HistoryError` for an operation this bank does not know."""
        self._check(op)

    def step(self, state: tuple, op: Op) -> tuple | None:
        kind = self._check(op)
        result, new = self._apply(state, kind, op.args)
        if op.ret is None:
            return new
        got = op.result
        if kind == "transfer":
            ok = got in _OK if result == "ok" else got == result
        elif kind == "read-all":
            if isinstance(got, Mapping):
                ok = len(got) == len(self.accounts) and all(
                    _key(got, a) is not _MISSING and _key(got, a) == b for a, b in zip(self.accounts, result))
            else:
                ok = isinstance(got, (tuple, list)) and tuple(got) == result
        else:
            ok = got == result and not isinstance(got, bool)
        return new if ok else None

    def partition(self, ops: Sequence[Op]) -> None:
        return None

    def expected(self, state: tuple, op: Op) -> str:
        kind = self._check(op)
        result, _ = self._apply(state, kind, op.args)
        if kind == "read-all":
            shown = "{" + ", ".join(f"{a}: {b}" for a, b in zip(self.accounts, result)) + "}"
        else:
            shown = str(result)
        return f"{self.describe(op, result=False)} -> {shown}"

    def describe(self, op: Op, result: bool = True) -> str:
        text = f"{op.f}({', '.join(str(a) for a in op.args)})"
        if not result:
            return text
        return text + (" -> ?" if op.ret is None else f" -> {op.result}")

    # ------------------------------------------------------------------ helpers

    def _check(self, op: Op) -> str:
        where = f"line {op.line}" if op.line else None
        if op.f == "transfer":
            if len(op.args) != 3:
                raise HistoryError(f"transfer takes 3 arguments (from, to, amount), found {len(op.args)}", where)
            src, dst, amount = op.args
            for a in (src, dst):
                if a not in self.index:
                    raise HistoryError(f"transfer names an unknown account {a!r} (accounts: "
                                       f"{', '.join(map(str, self.accounts))})", where)
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                raise HistoryError(f"a transfer's amount must be a non-negative integer, found {amount!r}", where)
            return "transfer"
        if op.f == "read":
            if not op.args:
                return "read-all"
            if len(op.args) == 1 and op.args[0] in self.index:
                return "read-one"
            raise HistoryError(f"read takes no argument or one account, found {list(op.args)}", where)
        raise HistoryError(f"the bank model has no operation `{op.f}` (it has transfer, read)", where)

    def _apply(self, state: tuple, kind: str, args: tuple) -> tuple[Any, tuple]:
        if kind == "read-all":
            return state, state
        if kind == "read-one":
            return state[self.index[args[0]]], state
        src, dst, amount = (self.index[args[0]], self.index[args[1]], args[2])
        if state[src] < amount:
            return "insufficient", state
        new = list(state)
        new[src] -= amount
        new[dst] += amount
        return "ok", tuple(new)


_MISSING = object()


def _key(m: Mapping, account: Any) -> Any:
    """A balance from a JSON object: its keys are strings, the accounts may be integers."""
    if account in m:
        return m[account]
    return m.get(str(account), _MISSING)
