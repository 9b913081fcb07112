"""A ``.mc`` spec as the sequential model of a history: the same language describes the
protocol and the object its clients use.

The spec's actions are the object's operations. An operation ``f(args) -> result`` of a
history is the action named ``f`` with its parameters bound, in declaration order, to
the operation's arguments and then, when the action has one parameter more than the
operation has arguments, to its result::

    action write(v in 0..Max) { value' = V(v) }             // write(3): v = 3, result ignored
    action read(r in Vals) { require r == value }           // read() -> 3: r = V(3)
    action cas(old in 0..Max, new in 0..Max, ok in bool) { ... }   // cas(1, 4) -> true

The operation fits in a state when some successor of that state is produced by that
action with those parameter values (the action's guards hold, its ``assert``s too); the
successors are the states after it. This is how trace validation
(:mod:`modelcheck.conform.validate`) reads an event naming an action and its parameters,
compiled the same way (:meth:`CompiledModel.action_function`). An operation without a
response (``ret`` None) binds only its arguments: every value of the result parameter's
domain is tried, so any result is accepted and only the effect counts.

Values. A history's JSON values are read as the parameter's type says: integers and
booleans as themselves, a model value by its name, a nullary enum constructor by its
name, a tuple or a sequence from a list, a set from a list, a record from an object
(other types as ITF, :mod:`modelcheck.itf`). Two conventions make option types work,
since JSON has ``null`` and a spec has none: ``null`` is the nullary constructor
``Nil`` (or ``None``) of an enum type, and a value that names no constructor of an enum
with a single one-argument constructor is that constructor applied to it. So
``enum Val = Nil | V(0..4)`` reads ``null`` as ``Nil`` and ``3`` as ``V(3)``, which is how
specs/objects/register.mc models Jepsen's register that starts out ``nil``. A value that
does not fit its parameter's type is a :class:`~.core.HistoryError`.

States. The state is the spec's state tuple. A spec whose action gives several
successors for one operation (a ``pick`` or ``either`` left open), or that has several
initial states, is nondeterministic; the state is then the set of the spec states that
are possible (a ``frozenset`` subclass, :class:`Possible`), as trace validation keeps a
set of candidates, and an operation fits when it fits one of them. Equal sets are equal
states, so the checker's memoisation still works.

There is no partition (a spec is one object; split a keyed history into one spec per
key yourself if that is what it models).

Depends on the language part (:mod:`modelcheck.dsl`: parsing, checking, compiling) and
the foundation (:mod:`modelcheck.itf`, :mod:`modelcheck.types`, :mod:`modelcheck.values`),
never on the api or the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from .. import ir
from ..diagnostics import SpecError
from ..ir import walk
from ..itf import ITFDecodeError
from ..itf import decode as itf_decode
from ..model import ActionAssertionFailed
from ..types import BoolT, EnumT, IntT, ModelT, RecordT, SeqT, SetT, TupleT, Type
from ..values import show
from .core import HistoryError, Op, PrunesPendingReadonly

__all__ = ["spec_model", "SpecModel", "Possible"]


#: entries of the step cache before it is emptied (a bound on its memory)
_STEP_CACHE = 1 << 20


class Possible(frozenset):
    """The spec states an operation sequence may have led to, when there are several."""

    __slots__ = ()


def spec_model(path: str | Path, config: str | None = None, **consts: Any) -> "SpecModel":
    """The spec at ``path`` as a sequential model. ``consts`` bind its constants as
    ``modelcheck.load`` takes them (``Max=4``; a model-value set a count or a tuple of
    names); ``config`` chooses a named ``config`` block first. A spec that does not load
    is a :class:`~.core.HistoryError` carrying the spec's diagnostics."""
    from ..dsl.check import check as check_module
    from ..dsl.compile import compile_spec
    from ..dsl.modules import resolve
    from ..dsl.parse import parse

    p = str(path)
    try:
        text = Path(p).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HistoryError("no such spec file", p) from None
    except (OSError, UnicodeDecodeError) as e:
        raise HistoryError(f"cannot read the spec: {getattr(e, 'strerror', None) or e}", p) from None
    try:
        checked = check_module(resolve(parse(text.removeprefix("\ufeff"), p)), consts=consts or None, config=config)
        compiled = compile_spec(checked)
    except SpecError as e:
        raise HistoryError(f"the spec does not load:\n{e}", p) from None
    except (RecursionError, MemoryError):
        raise HistoryError("the spec is nested too deeply to load", p) from None
    return SpecModel(compiled, p)


class SpecModel(PrunesPendingReadonly):
    """A compiled spec as a :class:`~.core.Model` (see the module docstring)."""

    def __init__(self, compiled, path: str = ""):
        self.compiled = compiled
        self.path = path
        self.name = compiled.name
        self._actions = {a.name: k for k, a in enumerate(compiled.signature.actions)}
        self._params = {a.name: a.params for a in compiled.signature.actions}
        self._types = {a.name: tuple(compiled.param_types(a.name)) for a in compiled.signature.actions}
        self._explainer = None
        #: actions that assign no variable: a pending one constrains nothing, and the
        #: checker drops it (:meth:`prune`; read off the checked actions: the signature does not say)
        self.readonly = frozenset(a.name for a in compiled.checked.actions
                                  if not any(isinstance(n, ir.Assign) for n in walk(a.body)))
        self._decoded: dict = {}
        self._steps: dict = {}
        try:
            inits = list(compiled.initial_states())
        except Exception as e:  # noqa: BLE001 - a runtime error of the spec's init (MC300), in words
            raise HistoryError(f"the spec {self.name} failed computing its initial states: {e}", path) from None
        if not inits:
            raise HistoryError(f"the spec {self.name} has no initial state: no history fits it", path)
        self._init = _state(inits)

    # ------------------------------------------------------------------ the Model protocol

    def init(self):
        return self._init

    def validate(self, op: Op) -> None:
        """Raise :class:`HistoryError` for an operation that names no action, has the
        wrong number of arguments, or values outside the parameters' types: before the
        search, so that the error is about the history and not about a search state."""
        self._bind(op)

    def step(self, state, op: Op):
        # The search asks the same (state, operation) again and again from different
        # orders; running the compiled action and decoding the values costs far more
        # than a lookup (etcd_002.log: 9.6 s without this cache, 0.8 s with it).
        try:
            return self._steps[(state, op)]
        except KeyError:
            pass
        except TypeError:                        # a JSON object in the op: not hashable
            return _state(self._next(state, op))
        if len(self._steps) >= _STEP_CACHE:
            self._steps.clear()
        out = self._steps[(state, op)] = _state(self._next(state, op))
        return out

    def partition(self, ops: Sequence[Op]) -> None:
        return None

    def expected(self, state, op: Op) -> str:
        ai, vals, has_result = self._bind(op)
        head = self.describe(op, result=False)
        cands = state if isinstance(state, Possible) else (state,)
        if not has_result:
            ok = any(self._succ(s, ai, vals) for s in cands)
            why = "enabled" if ok else "not enabled (a guard is false, or an argument is outside its parameter's domain)"
            return f"{head} is {why}"
        rtype = self._types[op.f][-1]
        results = []
        for s in sorted(cands, key=repr):
            for inst in self._instances(s, ai, vals[:len(op.args)]):
                if self._succ(s, ai, inst) and inst[-1] not in results:
                    results.append(inst[-1])
        if not results:
            return f"{head} is not enabled with any result"
        return f"{head} -> " + " or ".join(show(r, rtype) for r in results)

    def describe(self, op: Op, result: bool = True) -> str:
        text = f"{op.f}({', '.join(_json(a) for a in op.args)})"
        # an action without a result parameter ignores the result: do not show one
        if not result or (op.f in self._params and len(op.args) >= len(self._params[op.f])):
            return text
        return text + (" -> ?" if op.ret is None else f" -> {_json(op.result)}")

    # ------------------------------------------------------------------ helpers

    def _next(self, state, op: Op) -> list:
        ai, vals, has_result = self._bind(op)
        cands = state if isinstance(state, Possible) else (state,)
        out: list = []
        for s in cands:
            if has_result and op.ret is None:
                for inst in self._instances(s, ai, vals):
                    out.extend(self._succ(s, ai, inst))
            else:
                out.extend(self._succ(s, ai, vals))
        return out

    def _bind(self, op: Op) -> tuple[int, tuple, bool]:
        """(action index, decoded parameter values (the result last when bound), whether
        the action has a result parameter); cached per distinct operation."""
        # repr, not the values: 1 == True and hash alike, and a JSON object is unhashable
        key = repr((op.f, op.args, op.result if op.ret is not None else "?pending"))
        hit = self._decoded.get(key)
        if hit is not None:
            return hit
        where = f"line {op.line}" if op.line else None
        ai = self._actions.get(op.f)
        if ai is None:
            raise HistoryError(f"the spec {self.name} has no action `{op.f}` (its actions: "
                               f"{', '.join(self._actions)})", where)
        names, types = self._params[op.f], self._types[op.f]
        if len(op.args) == len(names):
            has_result, raw = False, list(op.args)
        elif len(op.args) == len(names) - 1:
            has_result = True
            raw = list(op.args) + ([] if op.ret is None else [op.result])
        else:
            raise HistoryError(f"`{op.f}` has {len(op.args)} arguments, but the action {op.f}"
                               f"({', '.join(names)}) takes {len(names)} parameters (the arguments, then at "
                               f"most one for the result)", where)
        vals = []
        for name, t, v in zip(names, types, raw):
            try:
                vals.append(to_spec(v, t))
            except (ITFDecodeError, ValueError, TypeError, KeyError) as e:
                raise HistoryError(f"`{op.f}`: {_json(v)} is not a value of parameter {name}'s type {t} ({e})",
                                   where) from None
        hit = self._decoded[key] = (ai, tuple(vals), has_result)
        return hit

    def _succ(self, s, ai: int, vals: tuple) -> list:
        try:
            return self.compiled.action_function(ai)(s, *vals)
        except ActionAssertionFailed:
            return []
        except Exception as e:  # noqa: BLE001 - a runtime error of the spec (MC300), reported in words
            raise HistoryError(f"the spec {self.name} failed in action {self.compiled.signature.actions[ai].name}: "
                               f"{e}") from None

    def _instances(self, s, ai: int, known: tuple) -> list[tuple]:
        if self._explainer is None:
            self._explainer = self.compiled.explainer()
        return self._explainer.instances(s, ai, tuple(enumerate(known)))


def _state(states: list):
    distinct = list(dict.fromkeys(states))
    if not distinct:
        return None
    if len(distinct) == 1:
        return distinct[0]
    return Possible(distinct)


def _json(v: Any) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, tuple):
        return "[" + ", ".join(_json(x) for x in v) + "]"
    return repr(v) if isinstance(v, str) else str(v)


def to_spec(v: Any, t: Type) -> Any:
    """A history's JSON value (lists as tuples) as a value of the spec's type ``t``."""
    if isinstance(t, EnumT):
        names = [c.name for c in t.constructors]
        if v is None:
            for n in ("Nil", "None"):
                if n in names and not t.constructor(n).args:
                    return n
            raise ValueError(f"null needs a constructor Nil or None in {t.name}")
        if isinstance(v, str) and v in names:
            return itf_decode(v, t)
        unary = [c for c in t.constructors if len(c.args) == 1]
        if len(unary) == 1:
            return (unary[0].name, to_spec(v, unary[0].args[0]))
        return itf_decode(_itf(v), t)
    if isinstance(t, BoolT):
        if not isinstance(v, bool):
            raise ValueError("expected a boolean")
        return v
    if isinstance(t, IntT):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError("expected an integer")
        return v
    if isinstance(t, ModelT):
        return itf_decode(v, t)
    if isinstance(t, TupleT):
        if not isinstance(v, (tuple, list)) or len(v) != len(t.elems):
            raise ValueError(f"expected a list of {len(t.elems)}")
        return tuple(to_spec(x, et) for x, et in zip(v, t.elems))
    if isinstance(t, SeqT):
        if not isinstance(v, (tuple, list)):
            raise ValueError("expected a list")
        return tuple(to_spec(x, t.elem) for x in v)
    if isinstance(t, SetT):
        if not isinstance(v, (tuple, list, frozenset, set)):
            raise ValueError("expected a list (of the set's elements)")
        return frozenset(to_spec(x, t.elem) for x in v)
    if isinstance(t, RecordT) and isinstance(v, Mapping):
        if set(v) != {f for f, _ in t.fields}:
            raise ValueError(f"expected an object with the fields {', '.join(f for f, _ in t.fields)}")
        return tuple(to_spec(v[f], ft) for f, ft in t.fields)
    return itf_decode(_itf(v), t)


def _itf(v: Any) -> Any:
    """Tuples back to JSON lists, for :func:`modelcheck.itf.decode`."""
    if isinstance(v, tuple):
        return [_itf(x) for x in v]
    if isinstance(v, Mapping):
        return {k: _itf(x) for k, x in v.items()}
    return v
