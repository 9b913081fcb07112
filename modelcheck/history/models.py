"""The sequential models a history is checked against, and the registry that names them.

Here: :class:`RegisterModel` (``read``, ``write``), :class:`CasRegisterModel` (and
``cas``), :class:`KvModel` (the same per key, checked key by key). Elsewhere, imported
only when named: ZooKeeper's data tree (:mod:`.zktree`), the bank (:mod:`.bank`), a
``.mc`` spec (:mod:`.spec`). :func:`get_model` turns a name from the command line into a
model.

Conventions (docs/histories.md): a read's result is the value read; a write's result is
ignored; a cas's result is ``true`` (it swapped) or ``false`` (the compare failed; Jepsen
records a failed compare as ``:fail``, which the readers drop). ``null`` is a value like
any other: the initial value of a register or of an absent key unless configured.
An operation without a response may have any result: only its effect counts (a pending
cas swaps iff the compare holds then).

Depends on :mod:`.core` only (and lazily on the modules named above).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Hashable, Sequence

from .core import HistoryError, Model, Op

__all__ = ["RegisterModel", "CasRegisterModel", "KvModel", "MODELS", "get_model", "show"]


def show(v: Any) -> str:
    """A value as JSON writes it (``null``, ``true``, ``"x"``, ``[1, 2]``): the history's
    own notation, so that a report quotes values as the file has them."""
    try:
        return json.dumps(v, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(v)


def _where(op: Op) -> str | None:
    return f"line {op.line}" if op.line else f"operation {op.id}"


def _cas_ok(op: Op) -> bool:
    """A completed cas's result as a boolean (``true``/``"ok"`` swapped, ``false``/``"fail"``
    did not)."""
    r = op.result
    if r is True or r == "ok":
        return True
    if r is False or r == "fail":
        return False
    raise HistoryError(f"cas {show(list(op.args))} has result {show(r)}: expected true (it swapped) or false",
                       _where(op))


class RegisterModel:
    """One register: ``read -> v``, ``write(v)``. State: the 1-tuple ``(value,)``, since a
    step returns ``None`` to refuse and ``null`` is a value a register may hold."""

    name = "register"
    ops = {"read": 0, "write": 1}           # operation -> number of arguments
    #: operations without effect (the sequential-consistency check places them last)
    readonly = frozenset({"read"})

    def __init__(self, initial: Any = None):
        self.initial = initial

    def init(self) -> Hashable:
        return (self.initial,)

    def validate(self, op: Op) -> None:
        """Raise :class:`HistoryError` naming the op's line if this model does not know it."""
        n = self.ops.get(op.f)
        if n is None:
            known = ", ".join(sorted(self.ops))
            raise HistoryError(f"the {self.name} model has no operation {op.f!r} (it knows {known})", _where(op))
        if len(op.args) != n:
            raise HistoryError(f"{op.f} takes {n} argument{'s' if n != 1 else ''}, this one has {len(op.args)}: "
                               f"{show(list(op.args))}", _where(op))
        if op.f == "cas" and op.ret is not None:
            _cas_ok(op)
        try:
            hash(op.args)
            hash(op.result)
        except TypeError:
            raise HistoryError(f"{op.f}: arguments and results must be JSON scalars or lists, not objects",
                               _where(op)) from None

    def step(self, state: Hashable, op: Op) -> Hashable | None:
        f = op.f
        if f == "read":
            return state if op.ret is None or op.result == state[0] else None
        if f == "write":
            return (op.args[0],)
        if f == "cas":
            hit = state[0] == op.args[0]
            if op.ret is None:
                return (op.args[1],) if hit else state
            if hit != _cas_ok(op):
                return None
            return (op.args[1],) if hit else state
        self.validate(op)
        return None

    def partition(self, ops: Sequence[Op]) -> dict[Any, list[Op]] | None:
        return None

    def prune(self, ops: Sequence[Op]) -> list[Op]:
        """``ops`` without the operations that never responded and whose effect no
        response can show: the answer is the same, the search much smaller (every
        pending operation may be placed anywhere after its call, so each one left in
        multiplies the configurations). See :func:`prune_register`."""
        return prune_register(ops, lambda op: op.args, lambda op: op.result)

    def expected(self, state: Hashable, op: Op) -> str:
        v = show(state[0])
        if op.f == "read":
            return f"read -> {v}: the register held {v}"
        if op.f == "cas":
            hit = state[0] == op.args[0]
            return f"cas would have {'swapped (true)' if hit else 'failed (false)'}: the register held {v}"
        return f"{op.f} fits any state (the register held {v})"

    def describe(self, op: Op) -> str:
        call = f"{op.f}({', '.join(show(a) for a in op.args)})" if op.args or op.f != "read" else op.f
        if op.ret is None:
            return f"{call} (no response)"
        if op.f == "read":
            return f"{call} -> {show(op.result)}"
        if op.f == "cas":
            return f"{call} -> {show(op.result)}"
        return call


class CasRegisterModel(RegisterModel):
    """A register with compare-and-set: ``cas(old, new) -> true|false``."""

    name = "cas-register"
    ops = {"read": 0, "write": 1, "cas": 2}


class KvModel:
    """A map of registers: ``read(k) -> v``, ``write(k, v)``, ``cas(k, old, new) ->
    true|false``. Checked key by key (a map of linearizable registers is linearizable:
    locality, Herlihy and Wing 1990). State: a tuple of ``(key, value)`` pairs in the order
    of the keys' ``repr``, without the keys that hold the initial value."""

    name = "kv"
    ops = {"read": 1, "write": 2, "cas": 3}
    readonly = frozenset({"read"})

    def __init__(self, initial: Any = None):
        self.initial = initial

    def init(self) -> Hashable:
        return ()

    def validate(self, op: Op) -> None:
        RegisterModel.validate(self, op)        # same checks, this model's arities

    def _get(self, state, k):
        for key, v in state:
            if key == k:
                return v
        return self.initial

    def step(self, state: Hashable, op: Op) -> Hashable | None:
        # the register's step on the key's value, written out: this is the search's inner call
        f, args = op.f, op.args
        k = args[0]
        old = self.initial
        for key, v in state:
            if key == k:
                old = v
                break
        if f == "read":
            return state if op.ret is None or op.result == old else None
        if f == "write":
            new = args[1]
        elif f == "cas":
            hit = old == args[1]
            if op.ret is not None and hit != _cas_ok(op):
                return None
            if not hit:
                return state
            new = args[2]
        else:
            self.validate(op)
            return None
        if new == old:
            return state
        if not state or (len(state) == 1 and state[0][0] == k):     # a part of one key: the usual case
            return () if new == self.initial else ((k, new),)
        rest = [kv for kv in state if kv[0] != k]
        if new != self.initial:
            rest.append((k, new))
        rest.sort(key=lambda kv: repr(kv[0]))       # one order for equal maps, so the memo sees them equal
        return tuple(rest)

    def prune(self, ops: Sequence[Op]) -> list[Op]:
        """As :meth:`RegisterModel.prune`, key by key."""
        keep = set()
        parts = self.partition(ops)
        for part in parts.values():
            keep.update(op.id for op in prune_register(part, lambda op: op.args[1:], lambda op: op.result))
        return [op for op in ops if op.id in keep]

    def partition(self, ops: Sequence[Op]) -> dict[Any, list[Op]] | None:
        parts: dict[Any, list[Op]] = {}
        for op in ops:
            parts.setdefault(op.args[0] if op.args else None, []).append(op)
        return parts

    def expected(self, state: Hashable, op: Op) -> str:
        k = op.args[0]
        v = show(self._get(state, k))
        if op.f == "read":
            return f"read({show(k)}) -> {v}: key {show(k)} held {v}"
        if op.f == "cas":
            hit = self._get(state, k) == op.args[1]
            return f"cas would have {'swapped (true)' if hit else 'failed (false)'}: key {show(k)} held {v}"
        return f"{op.f} fits any state (key {show(k)} held {v})"

    def describe(self, op: Op) -> str:
        call = f"{op.f}({', '.join(show(a) for a in op.args)})"
        if op.ret is None:
            return f"{call} (no response)"
        if op.f in ("read", "cas"):
            return f"{call} -> {show(op.result)}"
        return call


def prune_register(ops: Sequence[Op], args, result) -> list[Op]:
    """Drop from one register's operations those that never responded and whose effect
    nothing can observe: a pending read (no effect), and a pending write of a value that
    no completed read returned and no cas compares with, when no completed cas failed.

    Why a dropped write changes nothing: in any order that places it, the operations
    between it and the next write or successful cas would have to see its value (a read
    returning it, a cas comparing with it): there are none, so the order without it is
    as good; and an order without it is allowed, since a pending operation may never
    take effect. A failed cas could depend on the value being *different*, hence the
    last condition. ``args(op)`` and ``result(op)`` give an op's register arguments
    (the key stripped) and its result."""
    seen = set()
    failed_cas = False
    for op in ops:
        if op.ret is None:
            continue
        if op.f == "read":
            seen.add(result(op))
        elif op.f == "cas":
            seen.add(args(op)[0])
            if not _cas_ok(op):
                failed_cas = True
    for op in ops:                 # a pending cas can still compare with a pending write's value
        if op.ret is None and op.f == "cas":
            seen.add(args(op)[0])
    out = []
    for op in ops:
        if op.ret is None:
            if op.f == "read":
                continue
            if op.f == "write" and not failed_cas and args(op)[0] not in seen:
                continue
        out.append(op)
    return out


def _zk(initial: Any = None) -> Model:
    from .zktree import ZkTreeModel

    if initial is not None:
        raise HistoryError("the zk model starts from an empty tree (with /zookeeper): --initial does not apply")
    return ZkTreeModel()


def _bank(initial: Any = None) -> Model:
    from .bank import BankModel

    if isinstance(initial, dict) and set(initial) == {"accounts", "initial"}:
        return BankModel(initial["accounts"], initial["initial"])
    if isinstance(initial, dict) and initial:
        return BankModel(list(initial), initial)
    raise HistoryError('the bank model needs its opening balances: --initial \'{"a": 100, "b": 50}\' '
                       'or \'{"accounts": ["a", "b"], "initial": 100}\' (or a "# bank {...}" first line '
                       'in the history, as the reference two-phase commit writes)')


#: the models known by name: name -> (factory taking the initial value, one-line summary)
MODELS: dict[str, tuple[Callable[..., Model], str]] = {
    "register": (RegisterModel, "one register: read -> v, write(v)"),
    "cas-register": (CasRegisterModel, "a register with cas(old, new) -> true|false"),
    "kv": (KvModel, "a map of registers: read(k), write(k, v), cas(k, old, new); checked key by key"),
    "zk": (_zk, "ZooKeeper's data tree: create, delete, setData, getData, exists, getChildren; path by path"),
    "bank": (_bank, "a bank of accounts: atomic transfers and reads of every balance"),
}


def get_model(name: str, initial: Any = None, *, consts: dict | None = None, config: str | None = None) -> Model:
    """The model called ``name`` (a key of :data:`MODELS`, or the path of a ``.mc`` spec
    whose actions are the operations). ``initial`` is the registers' initial value for
    register, cas-register and kv (default ``null``), and the opening balances for the
    bank: an object ``{"a": 100, "b": 50}`` or ``{"accounts": ["a", "b"], "initial":
    100}`` (the header the reference two-phase commit's recorder writes); the ZooKeeper
    tree starts empty. ``consts`` and ``config`` bind a ``.mc`` spec's constants. Anything
    else raises :class:`HistoryError`, as does an unknown name (listing the known ones)."""
    if name.endswith(".mc"):
        from .spec import spec_model

        if initial is not None:
            raise HistoryError("--initial does not apply to a .mc spec: its init is the initial state "
                               "(bind its constants with --const NAME=VALUE)")
        return spec_model(name, config, **(consts or {}))
    if consts or config:
        raise HistoryError(f"constants and configs apply to a .mc spec, not to the {name} model")
    entry = MODELS.get(name)
    if entry is None:
        known = ", ".join(MODELS)
        raise HistoryError(f"no model named {name!r}: the models are {known}, or the path of a .mc spec")
    factory, _ = entry
    return factory(initial) if initial is not None else factory()
