"""Runtime value helpers: the immutable map, a total order on values, and printing.

Values are plain Python objects laid out as :mod:`modelcheck.types` describes. Two
things need more than Python gives us:

* ``FMap``: an immutable, hashable mapping (maps and bags). Its hash is computed once.
* ``vkey``: a total order on values of one type. Python cannot compare a ``str`` with a
  ``tuple`` (two constructors of one enum) nor order frozensets totally, and the iteration
  order of a set of strings changes from run to run (hash randomisation), so wherever an
  order must be deterministic (enumerating a state-dependent domain, printing a set,
  choosing a symmetry representative) values are sorted by ``vkey``.

Depends on :mod:`modelcheck.types` only.
"""

from __future__ import annotations

from typing import Any

from .types import (
    BagT,
    BoolT,
    EnumT,
    FunT,
    IntT,
    MapT,
    ModelT,
    RecordT,
    SeqT,
    SetT,
    TupleT,
    Type,
    domain_values,
)


class FMap(dict):
    """An immutable dict with a cached hash. Build it once; never mutate it."""

    __slots__ = ("_h",)

    def __hash__(self) -> int:  # type: ignore[override]
        try:
            return self._h
        except AttributeError:
            h = self._h = hash(frozenset(self.items()))
            return h

    def _immutable(self, *a: Any, **k: Any) -> Any:
        raise TypeError("FMap is immutable")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _immutable  # type: ignore[assignment]

    def __reduce__(self):
        return (FMap, (dict(self),))

    def put(self, k: Any, v: Any) -> "FMap":
        d = dict(self)
        d[k] = v
        return FMap(d)

    def without(self, k: Any) -> "FMap":
        d = dict(self)
        del d[k]
        return FMap(d)

    def __repr__(self) -> str:
        return f"FMap({dict.__repr__(self)})"


EMPTY_FMAP = FMap()


def vkey(v: Any) -> Any:
    """A sort key giving one deterministic total order on the values of any one type.

    The order does not depend on hash randomisation. Keys of different Python kinds are
    separated by a leading rank, so the values of a sum type (strings and tuples) sort too.
    """
    if isinstance(v, bool):
        return (0, int(v))
    if isinstance(v, int):
        return (1, v)
    if isinstance(v, str):
        return (2, v)
    if isinstance(v, tuple):
        return (3, len(v), tuple(vkey(x) for x in v))
    if isinstance(v, frozenset):
        return (4, len(v), tuple(sorted(vkey(x) for x in v)))
    if isinstance(v, dict):
        return (5, len(v), tuple(sorted((vkey(k), vkey(x)) for k, x in v.items())))
    raise TypeError(f"not a spec value: {v!r}")


def sort_values(vs) -> list:
    """Values sorted by :func:`vkey` (fast path for ints)."""
    vs = list(vs)
    try:
        if all(type(x) is int for x in vs):
            vs.sort()
            return vs
    except TypeError:  # pragma: no cover
        pass
    vs.sort(key=vkey)
    return vs


def misfit(v: Any, t: Type, subject: str) -> str | None:
    """What part of ``v`` breaks the bounds of ``t`` (integer ranges, sequence lengths:
    what an assignment checks), as a phrase about ``subject`` (the variable's name, say),
    in print order: ``aState[r2].mbal is 2, outside 0..1``, ``argument 2 of the element
    P1a(r1, 0) of msgs is 0, outside 1..2``. None when it fits."""
    if isinstance(t, IntT):
        return None if not t.bounded or t.lo <= v <= t.hi else f"{subject} is {v}, outside {t.lo}..{t.hi}"
    if isinstance(t, SeqT):
        if t.max_len is not None and len(v) > t.max_len:
            return f"{subject} has {len(v)} elements, more than {t.max_len}"
        return _first(misfit(x, t.elem, f"{subject}[{i}]") for i, x in enumerate(v, 1))
    if isinstance(t, (SetT, BagT)):
        if isinstance(t.elem, IntT):
            return _first(f"{subject} has the element {x}, outside {t.elem.lo}..{t.elem.hi}"
                          for x in sort_values(v) if misfit(x, t.elem, "") is not None)
        return _first(misfit(x, t.elem, f"the element {show(x, t.elem)} of {subject}") for x in sort_values(v))
    if isinstance(t, FunT):
        return _first(misfit(x, t.cod, f"{subject}[{show(k, t.dom)}]") for k, x in zip(domain_values(t.dom), v))
    if isinstance(t, MapT):
        return _first(misfit(v[k], t.val, f"{subject}[{show(k, t.key)}]") for k in sort_values(v))
    if isinstance(t, TupleT):
        return _first(misfit(x, et, f"{subject}[{i}]") for i, (x, et) in enumerate(zip(v, t.elems), 1))
    if isinstance(t, RecordT):
        return _first(misfit(x, ft, f"{subject}.{f}") for x, (f, ft) in zip(v, t.fields))
    if isinstance(t, EnumT) and not isinstance(v, str):
        c = t.constructor(v[0])
        label = subject if subject.startswith("the element ") else f"{subject} ({show(v, t)})"
        return _first(misfit(x, at, f"argument {i} of {label}") for i, (x, at) in enumerate(zip(v[1:], c.args), 1))
    return None


def misfit_message(value, t, var: str) -> str:
    """An assignment's value that breaks its variable's bounds, in spec syntax, naming the
    smallest part that does not fit (:func:`misfit`)."""
    try:
        shown, why = show(value, t), misfit(value, t, var)
    except Exception:  # noqa: BLE001 - a value of an unexpected shape: say so plainly
        return f"variable {var} would be {value!r}, which does not fit its type {t.show()}"
    if len(shown) > 200:
        shown = shown[:200] + " ..."
    if why is None or why.startswith(f"{var} is "):
        return f"variable {var} would be {shown}, outside its type {t.show()}"
    return f"variable {var} would be {shown}, which does not fit its type {t.show()}: {why}"


def _first(phrases) -> str | None:
    return next((p for p in phrases if p is not None), None)


def display_sorted(vs, t: Type) -> list:
    """``vs`` (values of type ``t``) in the order a printed set lists them: as
    :func:`sort_values`, except that a sum type's values follow the declaration order
    of their constructors (`{Prepared(r1), Commit}` for `Prepared(RM) | Commit | Abort`)."""
    if isinstance(t, EnumT):
        idx = {c.name: i for i, c in enumerate(t.constructors)}
        return sorted(vs, key=lambda v: (idx.get(v if isinstance(v, str) else v[0], -1), vkey(v)))
    return sort_values(vs)


def show(v: Any, t: Type, limit: int | None = None) -> str:
    """Print a value of type ``t`` the way a spec writes it, in a stable order. With
    ``limit``, a collection of more elements shows its first and last few around
    ``... N more ...`` (a divergence report's history of thousands of zxids)."""
    def items(parts: list) -> str:
        if limit is not None and len(parts) > limit:
            head = limit - limit // 3
            parts = parts[:head] + [f"... {len(parts) - limit:,} more ..."] + parts[len(parts) - (limit - head):]
        return ", ".join(parts)

    def sh(x, xt):
        return show(x, xt, limit)

    if isinstance(t, BoolT):
        return "true" if v else "false"
    if isinstance(t, IntT):
        return str(v)
    if isinstance(t, ModelT):
        return t.names[v]
    if isinstance(t, EnumT):
        if isinstance(v, str):
            return v
        c = t.constructor(v[0])
        return f"{v[0]}(" + ", ".join(sh(a, at) for a, at in zip(v[1:], c.args)) + ")"
    if isinstance(t, TupleT):
        return "(" + ", ".join(sh(a, at) for a, at in zip(v, t.elems)) + ")"
    if isinstance(t, RecordT):
        return "{ " + ", ".join(f"{f}: {sh(a, ft)}" for a, (f, ft) in zip(v, t.fields)) + " }"
    if isinstance(t, SetT):
        return "{" + items([sh(x, t.elem) for x in display_sorted(v, t.elem)]) + "}"
    if isinstance(t, SeqT):
        return "[" + items([sh(x, t.elem) for x in v]) + "]"
    if isinstance(t, FunT):
        keys = domain_values(t.dom)
        return "{ " + items([f"{sh(k, t.dom)}: {sh(x, t.cod)}" for k, x in zip(keys, v)]) + " }"
    if isinstance(t, MapT):
        if not v:
            return "map()"
        return "map(" + items([f"{sh(k, t.key)} -> {sh(v[k], t.val)}" for k in display_sorted(v, t.key)]) + ")"
    if isinstance(t, BagT):
        if not v:
            return "bag()"
        parts = []
        for k in display_sorted(v, t.elem):
            parts.extend([sh(k, t.elem)] * v[k])
        return "bag(" + items(parts) + ")"
    raise TypeError(f"cannot show a value of type {t}")
