"""Types of the spec language and how values of each type are represented.

Every expression of a spec has a static type, so runtime values carry no tags and
states stay flat and compact. This module is the one place that says how a value of
each type is laid out; the compiler, the symmetry reducer, the printers and the ITF
encoder all follow it.

| type            | Python representation                                                |
|-----------------|----------------------------------------------------------------------|
| BoolT           | ``bool``                                                             |
| IntT            | ``int`` (a bounded range is checked when a variable is assigned)     |
| ModelT          | ``int``: the index of the model value in its set (0-based)           |
| EnumT           | nullary constructor: ``str`` (its name); with arguments: a tuple     |
|                 | ``(name, arg1, ...)``                                                |
| TupleT          | ``tuple``                                                            |
| RecordT         | ``tuple`` of field values in declared field order                    |
| SetT            | ``frozenset``                                                        |
| FunT            | ``tuple`` indexed by the ordinal of the key in its finite domain      |
| MapT, BagT      | :class:`modelcheck.values.FMap` (a bag maps element -> count >= 1)    |
| SeqT            | ``tuple``                                                            |

Types are frozen dataclasses; equal types compare and hash equal. This module depends
on nothing else in the package.
"""

from __future__ import annotations

from dataclasses import dataclass


class Type:
    """Base class of all types."""

    __slots__ = ()

    def show(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def __str__(self) -> str:
        return self.show()


@dataclass(frozen=True, slots=True)
class BoolT(Type):
    def show(self) -> str:
        return "bool"


@dataclass(frozen=True, slots=True)
class IntT(Type):
    """An integer; ``lo``/``hi`` are inclusive bounds, ``None`` when unbounded."""

    lo: int | None = None
    hi: int | None = None

    @property
    def bounded(self) -> bool:
        return self.lo is not None and self.hi is not None

    def show(self) -> str:
        return f"{self.lo}..{self.hi}" if self.bounded else "int"


@dataclass(frozen=True, slots=True)
class ModelT(Type):
    """An element of the model-value set ``name``; ``names`` are its values in order."""

    name: str
    names: tuple[str, ...]

    def show(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Constructor:
    name: str
    args: tuple[Type, ...] = ()
    #: the arguments' names, None for an unnamed one (``()``: none named)
    fields: tuple = ()

    def field_index(self, name: str) -> int | None:
        """The position (from 0) of the argument named ``name``, or None."""
        return self.fields.index(name) if name in self.fields else None


@dataclass(frozen=True, slots=True)
class EnumT(Type):
    """A sum type. With only nullary constructors it is an enumeration."""

    name: str
    constructors: tuple[Constructor, ...]

    @property
    def is_plain(self) -> bool:
        """True when every constructor is nullary (a finite enumeration)."""
        return all(not c.args for c in self.constructors)

    def constructor(self, name: str) -> Constructor:
        for c in self.constructors:
            if c.name == name:
                return c
        raise KeyError(name)

    def show(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class TupleT(Type):
    elems: tuple[Type, ...]

    def show(self) -> str:
        return "(" + ", ".join(e.show() for e in self.elems) + ")"


@dataclass(frozen=True, slots=True)
class RecordT(Type):
    """A record; ``fields`` keep declaration order, which is also the tuple layout."""

    fields: tuple[tuple[str, Type], ...]

    def index(self, name: str) -> int:
        for i, (f, _) in enumerate(self.fields):
            if f == name:
                return i
        raise KeyError(name)

    def field_type(self, name: str) -> Type:
        return self.fields[self.index(name)][1]

    def show(self) -> str:
        return "{ " + ", ".join(f"{f}: {t.show()}" for f, t in self.fields) + " }"


@dataclass(frozen=True, slots=True)
class SetT(Type):
    elem: Type

    def show(self) -> str:
        return f"set[{self.elem.show()}]"


@dataclass(frozen=True, slots=True)
class FunT(Type):
    """A total function over a finite indexable domain (see :func:`domain_values`)."""

    dom: Type
    cod: Type

    def show(self) -> str:
        return f"{self.dom.show()} -> {self.cod.show()}"


@dataclass(frozen=True, slots=True)
class MapT(Type):
    key: Type
    val: Type

    def show(self) -> str:
        return f"map[{self.key.show()}, {self.val.show()}]"


@dataclass(frozen=True, slots=True)
class SeqT(Type):
    elem: Type
    max_len: int | None = None

    def show(self) -> str:
        if self.max_len is None:
            return f"seq[{self.elem.show()}]"
        return f"seq[{self.elem.show()}, {self.max_len}]"


@dataclass(frozen=True, slots=True)
class BagT(Type):
    elem: Type

    def show(self) -> str:
        return f"bag[{self.elem.show()}]"


@dataclass(frozen=True, slots=True)
class TVar(Type):
    """A type variable, used only while inferring (empty collections)."""

    id: int

    def show(self) -> str:
        return f"?{self.id}"


BOOL = BoolT()
INT = IntT()


def is_indexable(t: Type) -> bool:
    """Whether ``t`` can be the domain of a total function ``t -> V``."""
    if isinstance(t, (BoolT, ModelT)):
        return True
    if isinstance(t, IntT):
        return t.bounded
    if isinstance(t, EnumT):
        return t.is_plain
    return False


def domain_values(t: Type) -> tuple:
    """The values of an indexable type in ordinal order (the tuple layout of ``t -> V``)."""
    if isinstance(t, BoolT):
        return (False, True)
    if isinstance(t, ModelT):
        return tuple(range(len(t.names)))
    if isinstance(t, IntT) and t.bounded:
        return tuple(range(t.lo, t.hi + 1))
    if isinstance(t, EnumT) and t.is_plain:
        return tuple(c.name for c in t.constructors)
    raise TypeError(f"{t.show()} is not a finite indexable type")


def is_finite(t: Type) -> bool:
    """Whether the set of all values of ``t`` is finite (usable as a quantifier domain)."""
    if isinstance(t, (BoolT, ModelT)):
        return True
    if isinstance(t, IntT):
        return t.bounded
    if isinstance(t, EnumT):
        return all(all(is_finite(a) for a in c.args) for c in t.constructors)
    if isinstance(t, TupleT):
        return all(is_finite(e) for e in t.elems)
    if isinstance(t, RecordT):
        return all(is_finite(ft) for _, ft in t.fields)
    if isinstance(t, SetT):
        return is_finite(t.elem)
    if isinstance(t, FunT):
        return is_finite(t.cod)
    return False


def mentions(t: Type, target: Type) -> bool:
    """Whether a value of type ``t`` can contain a value of type ``target``."""
    return contains(t, lambda x: x == target)


def parts(t: Type) -> tuple:
    """The types of the values a value of type ``t`` is made of, one level down: a
    function's domain and codomain, a map's key and value, a collection's element, a
    tuple's elements, a record's fields, a constructor's arguments."""
    if isinstance(t, EnumT):
        return tuple(a for c in t.constructors for a in c.args)
    if isinstance(t, TupleT):
        return tuple(t.elems)
    if isinstance(t, RecordT):
        return tuple(ft for _, ft in t.fields)
    if isinstance(t, (SetT, SeqT, BagT)):
        return (t.elem,)
    if isinstance(t, FunT):
        return (t.dom, t.cod)
    if isinstance(t, MapT):
        return (t.key, t.val)
    return ()


def nested(t: Type):
    """``t`` and every type inside it (:func:`parts`, all the way down), each once,
    outer ones first."""
    seen: set = set()
    todo = [t]
    while todo:
        x = todo.pop()
        if x in seen:
            continue
        seen.add(x)
        yield x
        todo.extend(reversed(parts(x)))


def contains(t: Type, pred) -> bool:
    """Whether a value of type ``t`` can contain a value (itself included) of a type that
    satisfies ``pred``."""
    return any(pred(x) for x in nested(t))
