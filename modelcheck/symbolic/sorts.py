"""How values of the spec language are laid out in z3, both ways.

One :class:`Sorts` per encoding maps every :mod:`modelcheck.types` type to a z3 sort,
turns a Python value (laid out as :mod:`modelcheck.types` says) into a z3 term, and
reads a value back out of a z3 model. The layout:

| type        | z3                                                                 |
|-------------|--------------------------------------------------------------------|
| bool, int   | Bool, Int (a ``lo..hi`` range is a constraint, not a sort)           |
| model set S | an enumeration sort of S's values; with ``--for-all-sizes S`` an     |
|             | uninterpreted sort, whose size the solver chooses                  |
| enum        | an algebraic datatype, one constructor each                        |
| tuple/record| a datatype with one constructor                                    |
| set[T]      | Array(T, Bool); with ``set_slots`` = C (``prove --set-bound``) and T  |
|             | infinite, a datatype of a size and C slots: the first ``size`` hold  |
|             | the elements, distinct, in any order; the others T's default       |
| K -> V      | Array(K, V); over a ``lo..hi`` domain the keys outside hold V's      |
|             | default, so that equal functions are equal arrays                  |
| map[K, V]   | Array(K, Option(V)): ``none`` off the domain (canonical, too)      |
| seq[T]      | z3's Seq(T); with ``slots`` = C (``prove --seq-bound``) a datatype   |
|             | of a length and C slots, the unused ones at T's default            |
| bag[T]      | Array(T, Int): the count, 0 when absent                            |

Every collection but a set in slot form is canonical (equal values are equal terms), so
``==`` of the language is z3's ``==`` for them; a set in slot form (and a value holding
one) is compared by its elements (``Encoder.eq``). Depends on :mod:`modelcheck.types`, :mod:`modelcheck.values` and z3.
"""

from __future__ import annotations

import itertools
from typing import Any

import z3

from ..types import (BagT, BoolT, EnumT, FunT, IntT, MapT, ModelT, RecordT, SeqT, SetT, TupleT, Type,
                     domain_values)
from ..values import FMap

#: numbers for sort names, shared by every encoding (one z3 context)
_NAMES = itertools.count()

#: a finite type with more values than this is quantified over by z3, not unrolled
ENUMERATE_LIMIT = 4096


def erase(t: Type) -> Type:
    """``t`` without integer ranges and sequence bounds (what decides its sort)."""
    if isinstance(t, IntT):
        return IntT()
    if isinstance(t, SeqT):
        return SeqT(erase(t.elem))
    if isinstance(t, SetT):
        return SetT(erase(t.elem))
    if isinstance(t, BagT):
        return BagT(erase(t.elem))
    if isinstance(t, FunT):
        return FunT(erase(t.dom), erase(t.cod))
    if isinstance(t, MapT):
        return MapT(erase(t.key), erase(t.val))
    if isinstance(t, TupleT):
        return TupleT(tuple(erase(e) for e in t.elems))
    if isinstance(t, RecordT):
        return RecordT(tuple((f, erase(ft)) for f, ft in t.fields))
    return t


class DecodeError(Exception):
    """A z3 model value that has no value of the language (an infinite set, say)."""


class Sorts:
    """Types to sorts, values to terms and back, for one encoding.

    ``uninterpreted`` names the model sets that are uninterpreted sorts (``--for-all-sizes``);
    every other model set is an enumeration of exactly its values. ``slots``: lay every
    sequence out as a length and that many slots (a datatype ``mkseq(len, s0, ..., sC-1)``)
    instead of z3's sequence theory; the slots at and after the length hold the element
    type's default, so equal sequences are equal terms. A length above C (an append to a
    full sequence) is kept as it is, the slots then holding only the first C elements: the
    encoder makes every such step a failed obligation (see ``Encoder.capacity``).
    ``set_slots``: lay every set over an infinite element type out as a size and that many
    slots (``mkset(n, s0, ..., sC-1)``, see :meth:`slot_set`)."""

    def __init__(self, uninterpreted: frozenset[str] = frozenset(), slots: int | None = None,
                 set_slots: int | None = None):
        self.uninterpreted = uninterpreted
        self.slots = slots
        self.set_slots = set_slots
        self._sorts: dict[Type, Any] = {}
        self._model_consts: dict[str, list] = {}
        self._options: dict[Any, Any] = {}
        self._n = _NAMES  # z3 sort names are global to its context: never reuse one

    # ------------------------------------------------------------------ sorts

    def sort(self, t: Type):
        """The sort of ``t``. Types that differ only in integer ranges or sequence bounds
        share one sort: the language makes them compatible (a record literal
        ``{ n: 0 }`` has type ``{ n: int }`` and is assigned to a ``{ n: 0..3 }``)."""
        t = erase(t)
        s = self._sorts.get(t)
        if s is None:
            s = self._sorts[t] = self._make(t)
        return s

    def _make(self, t: Type):
        if isinstance(t, BoolT):
            return z3.BoolSort()
        if isinstance(t, IntT):
            return z3.IntSort()
        if isinstance(t, ModelT):
            if t.name in self.uninterpreted:
                return z3.DeclareSort(t.name)
            s, consts = z3.EnumSort(f"{t.name}!{next(self._n)}", [f"{t.name}!{n}" for n in t.names])
            self._model_consts[t.name] = list(consts)
            return s
        if isinstance(t, EnumT):
            dt = z3.Datatype(f"{t.name}!{next(self._n)}")
            for c in t.constructors:
                dt.declare(c.name, *[(f"{c.name}!{i}", self.sort(a)) for i, a in enumerate(c.args)])
            return dt.create()
        if isinstance(t, (TupleT, RecordT)):
            k = next(self._n)
            dt = z3.Datatype(f"{'tuple' if isinstance(t, TupleT) else 'record'}!{k}")
            if isinstance(t, TupleT):
                fields = [(f"t{k}!{i}", self.sort(e)) for i, e in enumerate(t.elems)]
            else:
                fields = [(f"r{k}!{f}", self.sort(ft)) for f, ft in t.fields]
            dt.declare(f"mk!{k}", *fields)
            return dt.create()
        if isinstance(t, SetT) and self.slot_set(t):
            k = next(self._n)
            dt = z3.Datatype(f"set{self.set_slots}!{k}")
            dt.declare(f"mkset!{k}", (f"size!{k}", z3.IntSort()),
                       *[(f"e{j}!{k}", self.sort(t.elem)) for j in range(self.set_slots)])
            return dt.create()
        if isinstance(t, SetT):
            return z3.ArraySort(self.sort(t.elem), z3.BoolSort())
        if isinstance(t, FunT):
            return z3.ArraySort(self.sort(t.dom), self.sort(t.cod))
        if isinstance(t, MapT):
            return z3.ArraySort(self.sort(t.key), self.option(t.val))
        if isinstance(t, SeqT):
            if self.slots is not None:
                k = next(self._n)
                dt = z3.Datatype(f"seq{self.slots}!{k}")
                dt.declare(f"mkseq!{k}", (f"len!{k}", z3.IntSort()),
                           *[(f"s{j}!{k}", self.sort(t.elem)) for j in range(self.slots)])
                return dt.create()
            return z3.SeqSort(self.sort(t.elem))
        if isinstance(t, BagT):
            return z3.ArraySort(self.sort(t.elem), z3.IntSort())
        raise TypeError(f"no sort for {t}")

    # ------------------------------------------------------------------ slot sequences

    def seq_len(self, t: SeqT, term):
        """The length of a sequence in slot form."""
        return self.sort(t).accessor(0, 0)(term)

    def seq_slots(self, t: SeqT, term) -> list:
        """The C slots of a sequence in slot form (slot j holds element j + 1)."""
        s = self.sort(t)
        return [s.accessor(0, j + 1)(term) for j in range(self.slots)]

    def seq_mk(self, t: SeqT, n, items: list):
        """The sequence in slot form with length ``n`` and slots ``items`` (C of them)."""
        return self.sort(t).constructor(0)(n, *items)

    # ------------------------------------------------------------------ slot sets

    def slot_set(self, t: Type) -> bool:
        """Whether a value of ``t`` is a set in slot form: under ``set_slots``, a set whose
        element type, without its integer ranges (they share one sort: :func:`erase`), has
        no finite list of values, and is not ``int``. A set over a finite type (bool, an
        enum, a model set, a tuple of those) stays an array, compared key by key; one over
        an uninterpreted model set too; and a set of integers (a range ``lo..hi`` is one,
        and is written everywhere as a binder's domain)."""
        if self.set_slots is None or not isinstance(t, SetT):
            return False
        elem = erase(t.elem)
        return not self.finite(elem) and not isinstance(elem, (ModelT, IntT))

    def set_size(self, t: SetT, term):
        return self.sort(t).accessor(0, 0)(term)

    def set_items(self, t: SetT, term) -> list:
        s = self.sort(t)
        return [s.accessor(0, j + 1)(term) for j in range(self.set_slots)]

    def set_mk(self, t: SetT, n, items: list):
        return self.sort(t).constructor(0)(n, *items)

    def option(self, t: Type):
        """The datatype ``none | some(T)`` (a map's value slot)."""
        t = erase(t)
        s = self._options.get(t)
        if s is None:
            k = next(self._n)
            dt = z3.Datatype(f"option!{k}")
            dt.declare(f"none!{k}")
            dt.declare(f"some!{k}", (f"val!{k}", self.sort(t)))
            s = self._options[t] = dt.create()
        return s

    def none(self, t: Type):
        return self.option(t).constructor(0)()

    def some(self, t: Type, v):
        return self.option(t).constructor(1)(v)

    def is_some(self, t: Type, v):
        return self.option(t).recognizer(1)(v)

    def val(self, t: Type, v):
        return self.option(t).accessor(1, 0)(v)

    @staticmethod
    def _ctor_index(t: EnumT, name: str) -> int:
        for i, c in enumerate(t.constructors):
            if c.name == name:
                return i
        raise KeyError(name)

    def ctor(self, t: EnumT, name: str):
        return self.sort(t).constructor(self._ctor_index(t, name))

    def recognizer(self, t: EnumT, name: str):
        return self.sort(t).recognizer(self._ctor_index(t, name))

    def accessor(self, t: EnumT, name: str, j: int):
        """Argument ``j`` (from 0) of constructor ``name``'s values."""
        return self.sort(t).accessor(self._ctor_index(t, name), j)

    def field(self, t: TupleT | RecordT, i: int, term):
        return self.sort(t).accessor(0, i)(term)

    def mk(self, t: TupleT | RecordT, parts):
        return self.sort(t).constructor(0)(*parts)

    # ------------------------------------------------------------------ finite domains

    def finite(self, t: Type) -> bool:
        """Whether the values of ``t`` can be listed (and are few enough to unroll)."""
        n = self.count(t)
        return n is not None and n <= ENUMERATE_LIMIT

    def count(self, t: Type) -> int | None:
        if isinstance(t, BoolT):
            return 2
        if isinstance(t, ModelT):
            return None if t.name in self.uninterpreted else len(t.names)
        if isinstance(t, IntT):
            return t.hi - t.lo + 1 if t.bounded else None
        if isinstance(t, EnumT):
            total = 0
            for c in t.constructors:
                n = 1
                for a in c.args:
                    k = self.count(a)
                    if k is None:
                        return None
                    n *= k
                total += n
            return total
        if isinstance(t, (TupleT, RecordT)):
            n = 1
            for e in (t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]):
                k = self.count(e)
                if k is None:
                    return None
                n *= k
            return n
        return None

    def values(self, t: Type) -> list:
        """Every value of a finite type, as Python values, in the explicit checker's order."""
        if isinstance(t, (BoolT, ModelT)) or (isinstance(t, IntT) and t.bounded):
            return list(domain_values(t))
        if isinstance(t, EnumT):
            out: list = []
            for c in t.constructors:
                if not c.args:
                    out.append(c.name)
                else:
                    out.extend((c.name, *p) for p in itertools.product(*[self.values(a) for a in c.args]))
            return out
        if isinstance(t, TupleT):
            return list(itertools.product(*[self.values(e) for e in t.elems]))
        if isinstance(t, RecordT):
            return list(itertools.product(*[self.values(ft) for _, ft in t.fields]))
        raise TypeError(f"{t} is not finite")

    # ------------------------------------------------------------------ values

    def default(self, t: Type):
        """A fixed value of ``t`` (what a function over ``lo..hi`` holds off its domain)."""
        if isinstance(t, BoolT):
            return z3.BoolVal(False)
        if isinstance(t, IntT):
            return z3.IntVal(t.lo if t.bounded else 0)
        if isinstance(t, ModelT):
            if t.name in self.uninterpreted:
                return z3.Const(f"{t.name}!default", self.sort(t))
            self.sort(t)
            return self._model_consts[t.name][0]
        if isinstance(t, EnumT):
            c = t.constructors[0]
            return self.ctor(t, c.name)(*[self.default(a) for a in c.args])
        if isinstance(t, TupleT):
            return self.mk(t, [self.default(e) for e in t.elems])
        if isinstance(t, RecordT):
            return self.mk(t, [self.default(ft) for _, ft in t.fields])
        if isinstance(t, SetT) and self.slot_set(t):
            return self.set_mk(t, z3.IntVal(0), [self.default(t.elem)] * self.set_slots)
        if isinstance(t, SetT):
            return z3.K(self.sort(t.elem), z3.BoolVal(False))
        if isinstance(t, FunT):
            return z3.K(self.sort(t.dom), self.default(t.cod))
        if isinstance(t, MapT):
            return z3.K(self.sort(t.key), self.none(t.val))
        if isinstance(t, SeqT):
            if self.slots is not None:
                return self.seq_mk(t, z3.IntVal(0), [self.default(t.elem)] * self.slots)
            return z3.Empty(self.sort(t))
        if isinstance(t, BagT):
            return z3.K(self.sort(t.elem), z3.IntVal(0))
        raise TypeError(f"no default for {t}")

    def encode(self, t: Type, v: Any):
        """The z3 term of the Python value ``v`` of type ``t``."""
        if isinstance(t, BoolT):
            return z3.BoolVal(bool(v))
        if isinstance(t, IntT):
            return z3.IntVal(v)
        if isinstance(t, ModelT):
            self.sort(t)
            return self._model_consts[t.name][v]
        if isinstance(t, EnumT):
            if isinstance(v, str):
                return self.ctor(t, v)()
            c = t.constructor(v[0])
            return self.ctor(t, v[0])(*[self.encode(a, x) for a, x in zip(c.args, v[1:])])
        if isinstance(t, TupleT):
            return self.mk(t, [self.encode(e, x) for e, x in zip(t.elems, v)])
        if isinstance(t, RecordT):
            return self.mk(t, [self.encode(ft, x) for (_, ft), x in zip(t.fields, v)])
        if isinstance(t, SetT) and self.slot_set(t):
            if len(v) > self.set_slots:
                raise ValueError(f"a set of {len(v)} elements does not fit the {self.set_slots} slots of "
                                 f"--set-bound: {set(v)!r}")
            items = [self.encode(t.elem, x) for x in sorted(v, key=repr)]
            return self.set_mk(t, z3.IntVal(len(v)), items + [self.default(t.elem)] * (self.set_slots - len(v)))
        if isinstance(t, SetT):
            out = self.default(t)
            for x in sorted(v, key=repr):
                out = z3.Store(out, self.encode(t.elem, x), True)
            return out
        if isinstance(t, FunT):
            out = self.default(t)
            for k, x in zip(domain_values(t.dom), v):
                out = z3.Store(out, self.encode(t.dom, k), self.encode(t.cod, x))
            return out
        if isinstance(t, MapT):
            out = self.default(t)
            for k in sorted(v, key=repr):
                out = z3.Store(out, self.encode(t.key, k), self.some(t.val, self.encode(t.val, v[k])))
            return out
        if isinstance(t, SeqT):
            if self.slots is not None:
                if len(v) > self.slots:
                    raise ValueError(f"a sequence of {len(v)} elements does not fit the {self.slots} slots of "
                                     f"--seq-bound: {v!r}")
                items = [self.encode(t.elem, x) for x in v]
                return self.seq_mk(t, z3.IntVal(len(v)), items + [self.default(t.elem)] * (self.slots - len(v)))
            if not v:
                return self.default(t)
            units = [z3.Unit(self.encode(t.elem, x)) for x in v]
            return units[0] if len(units) == 1 else z3.Concat(*units)
        if isinstance(t, BagT):
            out = self.default(t)
            for k in sorted(v, key=repr):
                out = z3.Store(out, self.encode(t.elem, k), z3.IntVal(v[k]))
            return out
        raise TypeError(f"cannot encode a value of type {t}")

    def decode(self, t: Type, term, model: z3.ModelRef, universe: dict | None = None) -> Any:
        """The Python value of ``term`` in ``model``. ``universe`` maps the elements of an
        uninterpreted sort (by their z3 text) to model-value indices."""
        ev = model.eval(term, model_completion=True)
        if isinstance(t, BoolT):
            return z3.is_true(ev)
        if isinstance(t, IntT):
            return ev.as_long()
        if isinstance(t, ModelT):
            if t.name in self.uninterpreted:
                return (universe or {})[t.name][str(ev)]
            self.sort(t)
            for i, c in enumerate(self._model_consts[t.name]):
                if ev.eq(c):
                    return i
            raise DecodeError(f"{ev} is no value of {t.name}")
        if isinstance(t, EnumT):
            name = ev.decl().name()
            c = t.constructor(name)
            if not c.args:
                return name
            return (name, *[self.decode(a, ev.arg(i), model, universe) for i, a in enumerate(c.args)])
        if isinstance(t, TupleT):
            return tuple(self.decode(e, ev.arg(i), model, universe) for i, e in enumerate(t.elems))
        if isinstance(t, RecordT):
            return tuple(self.decode(ft, ev.arg(i), model, universe) for i, (_, ft) in enumerate(t.fields))
        if isinstance(t, FunT):
            return tuple(self.decode(t.cod, z3.Select(ev, self._key(t.dom, k, universe)), model, universe)
                         for k in self._keys(t.dom, universe))
        if isinstance(t, SeqT) and self.slots is not None:
            n = model.eval(self.seq_len(t, ev), model_completion=True).as_long()
            if not 0 <= n <= self.slots:
                raise DecodeError(f"a sequence of length {n}, beyond the {self.slots} slots of --seq-bound")
            return tuple(self.decode(t.elem, x, model, universe) for x in self.seq_slots(t, ev)[:n])
        if isinstance(t, SetT) and self.slot_set(t):
            n = model.eval(self.set_size(t, ev), model_completion=True).as_long()
            if not 0 <= n <= self.set_slots:
                raise DecodeError(f"a set of size {n}, beyond the {self.set_slots} slots of --set-bound")
            return frozenset(self.decode(t.elem, x, model, universe) for x in self.set_items(t, ev)[:n])
        if isinstance(t, SeqT):
            n = model.eval(z3.Length(ev), model_completion=True).as_long()
            return tuple(self.decode(t.elem, ev[i], model, universe) for i in range(n))
        if isinstance(t, (SetT, MapT, BagT)):
            elem = t.key if isinstance(t, MapT) else t.elem
            if self.finite(elem) or (isinstance(elem, ModelT) and universe and elem.name in universe):
                keys = [(k, self._key(elem, k, universe)) for k in self._keys(elem, universe)]
            else:
                keys = [(self.decode(elem, k, model, universe), k) for k in _array_keys(ev, model)]
            if isinstance(t, SetT):
                return frozenset(k for k, zk in keys if z3.is_true(model.eval(z3.Select(ev, zk), True)))
            out = {}
            for k, zk in keys:
                x = model.eval(z3.Select(ev, zk), True)
                if isinstance(t, MapT):
                    if z3.is_true(model.eval(self.is_some(t.val, x), True)):
                        out[k] = self.decode(t.val, self.val(t.val, x), model, universe)
                elif x.as_long() > 0:
                    out[k] = x.as_long()
            return FMap(out)
        raise DecodeError(f"cannot decode a value of type {t}")

    def _keys(self, t: Type, universe: dict | None) -> list:
        if isinstance(t, ModelT) and t.name in self.uninterpreted:
            return list(range(len(universe[t.name])))
        return self.values(t)

    def _key(self, t: Type, k: Any, universe: dict | None):
        if isinstance(t, ModelT) and t.name in self.uninterpreted:
            return universe["$elems"][t.name][k]
        return self.encode(t, k)


def _array_keys(ev, model) -> list:
    """The indices an array value stores something at (a chain of stores over a constant
    default, or a function of the model); a default other than empty is an infinite value."""
    keys = []
    if z3.is_app_of(ev, z3.Z3_OP_ARRAY_MAP) and ev.decl().params()[0].name() in ("or", "and"):
        # a union (intersection) of sets: the keys of every (of some finite) operand
        parts = []
        for a in ev.children():
            try:
                parts.append(_array_keys(a, model))
            except DecodeError:
                if ev.decl().params()[0].name() == "or":
                    raise
        if not parts:
            raise DecodeError("an intersection of infinite sets")
        return [k for p in (parts if ev.decl().params()[0].name() == "or" else parts[:1]) for k in p]
    while z3.is_store(ev):
        keys.append(ev.arg(1))
        ev = ev.arg(0)
    if z3.is_const_array(ev):
        d = ev.arg(0)
        if not (z3.is_false(d) or (z3.is_int_value(d) and d.as_long() == 0) or _is_none(d)):
            raise DecodeError("an array whose default is not empty: an infinite set, map or bag")
        return keys
    if z3.is_as_array(ev):
        f = z3.get_as_array_func(ev)
        interp = model[f]
        entries = interp.as_list()
        return keys + [e[0] for e in entries[:-1]]
    raise DecodeError(f"cannot read the array value {ev}")


def _is_none(d) -> bool:
    return z3.is_app(d) and d.num_args() == 0 and d.decl().name().startswith("none!")
