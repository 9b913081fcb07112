"""ITF: Apalache's Informal Trace Format, written and read type-directed.

A trace is a JSON object ``{"#meta": ..., "vars": [...], "states": [...], "loop": k?}``;
each state maps variable names to ITF values and carries ``#meta.index``, and, as Quint
writes them, ``mbt::actionTaken`` and ``mbt::nondetPicks``.

How our types are encoded (ITF has no bags or sum types of its own; the encodings
below follow Apalache's for variants and use ``#map`` for bags):

| type | ITF |
|---|---|
| bool, int | JSON boolean / number (``{"#bigint": "..."}`` beyond 2^53) |
| model value | its name, a string |
| enum | nullary: the constructor name as a string; with arguments: ``{"tag": name, "value": v}`` (one argument) or ``{"tag": name, "value": {"#tup": [...]}}`` |
| tuple | ``{"#tup": [...]}`` |
| record | a JSON object |
| set | ``{"#set": [...]}`` (elements in a stable order) |
| function, map | ``{"#map": [[k, v], ...]}`` |
| bag | ``{"#map": [[element, count], ...]}`` |
| sequence | a JSON list |

Depends on types, values and the model protocol.
"""

from __future__ import annotations

from typing import Any

from .model import HasParamTypes
from .types import BagT, BoolT, EnumT, FunT, IntT, MapT, ModelT, RecordT, SeqT, SetT, TupleT, Type, domain_values
from .values import FMap, sort_values

_BIG = 2**53


def encode(v: Any, t: Type) -> Any:
    if isinstance(t, BoolT):
        return bool(v)
    if isinstance(t, IntT):
        return v if -_BIG < v < _BIG else {"#bigint": str(v)}
    if isinstance(t, ModelT):
        return t.names[v]
    if isinstance(t, EnumT):
        if isinstance(v, str):
            return v
        c = t.constructor(v[0])
        args = [encode(a, at) for a, at in zip(v[1:], c.args)]
        return {"tag": v[0], "value": args[0] if len(args) == 1 else {"#tup": args}}
    if isinstance(t, TupleT):
        return {"#tup": [encode(a, at) for a, at in zip(v, t.elems)]}
    if isinstance(t, RecordT):
        return {f: encode(a, ft) for a, (f, ft) in zip(v, t.fields)}
    if isinstance(t, SetT):
        return {"#set": [encode(x, t.elem) for x in sort_values(v)]}
    if isinstance(t, FunT):
        return {"#map": [[encode(k, t.dom), encode(x, t.cod)] for k, x in zip(domain_values(t.dom), v)]}
    if isinstance(t, MapT):
        return {"#map": [[encode(k, t.key), encode(v[k], t.val)] for k in sort_values(v)]}
    if isinstance(t, BagT):
        return {"#map": [[encode(k, t.elem), v[k]] for k in sort_values(v)]}
    if isinstance(t, SeqT):
        return [encode(x, t.elem) for x in v]
    raise TypeError(f"cannot encode a value of type {t}")


class ITFDecodeError(ValueError):
    pass


def decode(j: Any, t: Type) -> Any:
    """The value of type ``t`` that ``j`` encodes (raises ITFDecodeError if it does not fit)."""
    try:
        return _decode(j, t)
    except ITFDecodeError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise ITFDecodeError(f"{j!r} is not an ITF value of type {t}") from e


def _decode(j: Any, t: Type) -> Any:
    if isinstance(t, BoolT):
        if not isinstance(j, bool):
            raise ITFDecodeError(f"expected a boolean, found {j!r}")
        return j
    if isinstance(t, IntT):
        if isinstance(j, dict) and "#bigint" in j:
            return int(j["#bigint"])
        if isinstance(j, bool) or not isinstance(j, int):
            raise ITFDecodeError(f"expected an integer, found {j!r}")
        return j
    if isinstance(t, ModelT):
        if j not in t.names:
            raise ITFDecodeError(f"{j!r} is not a model value of {t.name} ({', '.join(t.names)})")
        return t.names.index(j)
    if isinstance(t, EnumT):
        if isinstance(j, str):
            c = t.constructor(j)
            if c.args:
                raise ITFDecodeError(f"constructor {j} needs arguments")
            return j
        c = t.constructor(j["tag"])
        args = [j["value"]] if len(c.args) == 1 else j["value"]["#tup"]
        return (c.name,) + tuple(_decode(a, at) for a, at in zip(args, c.args))
    if isinstance(t, TupleT):
        return tuple(_decode(a, at) for a, at in zip(j["#tup"], t.elems))
    if isinstance(t, RecordT):
        return tuple(_decode(j[f], ft) for f, ft in t.fields)
    if isinstance(t, SetT):
        return frozenset(_decode(x, t.elem) for x in j["#set"])
    if isinstance(t, FunT):
        d = {_decode(k, t.dom): _decode(x, t.cod) for k, x in j["#map"]}
        return tuple(d[k] for k in domain_values(t.dom))
    if isinstance(t, MapT):
        return FMap({_decode(k, t.key): _decode(x, t.val) for k, x in j["#map"]})
    if isinstance(t, BagT):
        return FMap({_decode(k, t.elem): int(n) for k, n in j["#map"]})
    if isinstance(t, SeqT):
        return tuple(_decode(x, t.elem) for x in j)
    raise ITFDecodeError(f"cannot decode a value of type {t}")


def trace_to_itf(model, trace, *, source: str = "", description: str = "") -> dict:
    """An ITF object for a :class:`~modelcheck.result.Trace` of a compiled model."""
    names = list(model.variables)
    types = model.var_types
    states = []
    for i, (s, label) in enumerate(zip(trace.states, trace.labels)):
        obj: dict[str, Any] = {"#meta": {"index": i}}
        for n, t, v in zip(names, types, s):
            obj[n] = encode(v, t)
        if label is None:
            obj["mbt::actionTaken"] = "init"
            obj["mbt::nondetPicks"] = {}
        else:
            info = model.describe(label)
            obj["mbt::actionTaken"] = info.action
            obj["mbt::nondetPicks"] = {n: encode(v, t) for (n, _), v, t in zip(info.params, info.values, _param_types(model, info))}
            # the values its `pick`s chose (Quint's nondet picks) and the `either` branches
            # it took (``"either (line 9)": 2``), after the parameters
            fn = getattr(model, "step_choices", None)
            for n, _, v, t in (fn(trace.states[i - 1], label, s) if fn is not None and i > 0 else ()):
                if n not in obj["mbt::nondetPicks"]:
                    obj["mbt::nondetPicks"][n] = encode(v, t) if t is not None else v
        states.append(obj)
    out: dict[str, Any] = {
        "#meta": {"format": "ITF", "format-description": "Informal Trace Format (Apalache ADR-015)",
                  "source": source, "description": description},
        "vars": names,
        "states": states,
    }
    if trace.loop is not None:
        out["loop"] = trace.loop
        # ITF leaves the step back to states[loop] implicit; we name it (or stuttering)
        closing = "stutter" if trace.loop_label is None else model.describe(trace.loop_label).show()
        out["#meta"]["loop-action"] = closing
    return out


def _param_types(model, info) -> list[Type]:
    if not isinstance(model, HasParamTypes):
        return [IntT()] * len(info.values)
    return list(model.param_types(info.action))
