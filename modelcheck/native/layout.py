"""How the C backend lays out values: most values are one 64-bit word (``int64_t`` in
C, a Python ``int`` here); a few are several words (a C struct ``Wn { V w[n]; }``).

| type                                  | words                                           |
|---------------------------------------|-------------------------------------------------|
| ``int`` (bounded or not)              | 1: the integer itself                           |
| ``bool``, model value, enum, tuple,   | 1: the value's *ordinal*: its position among    |
| record (a "scalar": finitely many     | all values of its type in the checker's value   |
| values, fewer than 2^62)              | order (:func:`modelcheck.values.vkey`)          |
| ``set[S]``, S a scalar of <= 64 values| 1: a bit mask, bit k for ordinal k              |
| ``set[S]``, <= 4,096 values           | 64ths: a bit mask over several words            |
| ``set[S]``, more (``set[int]``)       | 1 + 8: the count, then the ordinals ascending   |
| ``K -> V`` fitting a word             | 1: packed fields, one per key (its               |
|                                       | ``domain_values`` order), V's ordinal or mask   |
| ``K -> V`` otherwise                  | a slot of V's words per key                     |
| ``seq[T]``                            | 1 + capacity x T's words: the length, then the  |
|                                       | elements                                        |
| tuple, record of more values, or with | its fields' words one after the other           |
| a field of several words              | (:class:`RecordCodec`)                          |
| ``set[T]``, T without an ordinal      | 1 + 8 x T's words: the count, then the elements |
|                                       | in the value order (:class:`RecSetCodec`)       |
| ``map[K, V]``, K indexable            | 1 + a slot of V's words per key: the keys       |
|                                       | present (a mask), then the values               |
| ``map[K, V]``, K not indexable        | 1 + 8 x (K's + V's words): the count, then the  |
| (``map[int, V]``)                     | (key, value) pairs ascending by key             |
|                                       | (:class:`PairMapCodec`)                         |

Inside a scalar, an unbounded ``int`` is a checked signed 16-bit field (as a packed
function's value: 64/keys bits, at most 32), a set of at most 12 possible elements its
rank. Because ordinals follow the value order, iterating a set visits its elements in
the order the Python backend's ``_sorted`` does, and a record's or a constructor's
ordinal is a mixed-radix number (first field most significant). Unused places are zero,
so equal values are equal words. Every other type (bags) raises :class:`Unsupported`, and ``--backend auto`` runs Python instead.
The capacities of sequences without a declared bound, of sets kept as lists and of
maps kept as pairs are multiplied while :func:`scaled` is in force.

Depends on :mod:`modelcheck.types`, :mod:`modelcheck.values` and :mod:`modelcheck.model` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from contextlib import contextmanager
from functools import lru_cache

from ..model import BackendUnsupported
from ..values import FMap, sort_values
from ..types import (BoolT, EnumT, FunT, IntT, MapT, ModelT, RecordT, SeqT, SetT, TupleT, Type, domain_values,
                     is_indexable)

#: the largest number of values a scalar type may have (its ordinals fit a word with room)
MAX_CARD = 1 << 62
#: the most words one value may take
MAX_WORDS = 4096


class Unsupported(BackendUnsupported):
    """A construct or type the C backend does not compile (yet); ``node_id`` locates it."""

    def __init__(self, message: str, node_id: int | None = None, located: str | None = None):
        super().__init__(message, located)
        self.node_id = node_id


@dataclass(frozen=True)
class Ctor:
    """One constructor's block of ordinals in a sum type: ``base`` .. ``base + size``;
    argument k's ordinal is ``(o - base) // strides[k] % cards[k]``."""

    name: str
    base: int
    size: int
    args: tuple  # argument codecs
    strides: tuple


class Codec:
    """How values of one type are words. ``kind`` is ``"int"``, ``"scalar"``, ``"set"``,
    ``"fun"`` (one word each) or ``"wide"`` (``words`` words: a large set)."""

    kind = "?"
    card = 0
    words = 1

    def encode(self, v) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def decode(self, w: int):  # pragma: no cover - overridden
        raise NotImplementedError


class IntCodec(Codec):
    kind = "int"

    def __init__(self, t: IntT):
        self.t = t
        self.lo = t.lo
        self.hi = t.hi
        self.bounded = t.bounded
        self.card = (t.hi - t.lo + 1) if t.bounded else 0

    def encode(self, v):
        return int(v)

    def decode(self, w):
        return int(w)


class ScalarCodec(Codec):
    """bool, model values, enums, tuples and records of scalars (bounded ints too, as
    fields: :meth:`ordinal_of` and :meth:`code_of` convert)."""

    kind = "scalar"

    def __init__(self, t: Type):
        self.t = t
        self.ctors: tuple[Ctor, ...] = ()
        self.fields: tuple = ()          # tuple/record: field codecs
        self.strides: tuple = ()
        if isinstance(t, BoolT):
            self.card = 2
        elif isinstance(t, ModelT):
            self.card = len(t.names)
        elif isinstance(t, EnumT):
            # the value order: nullary constructors (names) by name, then the others by
            # (arity, name) (values.vkey orders str before tuple, tuples by length first)
            order = sorted(t.constructors, key=lambda c: (1 if c.args else 0, len(c.args), c.name))
            ctors = []
            base = 0
            for c in order:
                args = tuple(field_codec(a) for a in c.args)
                strides, size = _radix([a.card for a in args])
                ctors.append(Ctor(c.name, base, size, args, strides))
                base += size
                if base > MAX_CARD:
                    raise Unsupported(f"the type {t.show()} has too many values for the C backend")
            self.ctors = tuple(ctors)
            self.card = base
        elif isinstance(t, (TupleT, RecordT)):
            ets = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
            self.fields = tuple(field_codec(e) for e in ets)
            self.strides, self.card = _radix([f.card for f in self.fields])
            if self.card > MAX_CARD:
                raise Unsupported(f"the type {t.show()} has too many values for the C backend")
        else:  # pragma: no cover - codec() decides
            raise Unsupported(f"{t.show()}")

    def ctor(self, name: str) -> Ctor:
        for c in self.ctors:
            if c.name == name:
                return c
        raise KeyError(name)

    def encode(self, v) -> int:
        t = self.t
        if isinstance(t, BoolT):
            return int(v)
        if isinstance(t, ModelT):
            return v
        if isinstance(t, EnumT):
            if isinstance(v, str):
                return self.ctor(v).base
            c = self.ctor(v[0])
            return c.base + sum(a.ordinal_of(x) * s for a, x, s in zip(c.args, v[1:], c.strides))
        return sum(f.ordinal_of(x) * s for f, x, s in zip(self.fields, v, self.strides))

    def decode(self, w: int):
        t = self.t
        if isinstance(t, BoolT):
            return bool(w)
        if isinstance(t, ModelT):
            return int(w)
        if isinstance(t, EnumT):
            for c in self.ctors:
                if c.base <= w < c.base + c.size:
                    if not c.args:
                        return c.name
                    o = w - c.base
                    return (c.name,) + tuple(a.value_of(o // s % a.card) for a, s in zip(c.args, c.strides))
            raise ValueError(f"{w} is no value of {t.show()}")
        return tuple(f.value_of(w // s % f.card) for f, s in zip(self.fields, self.strides))

    # a scalar's word is its ordinal
    def ordinal_of(self, v) -> int:
        return self.encode(v)

    def value_of(self, o: int):
        return self.decode(o)


class FieldInt(IntCodec):
    """A bounded integer inside a record, a constructor, a set or a function: stored
    as its ordinal ``v - lo``."""

    def ordinal_of(self, v) -> int:
        return v - self.lo

    def value_of(self, o: int):
        return o + self.lo


class SetCodec(Codec):
    kind = "set"

    def __init__(self, t: SetT):
        self.t = t
        self.elem = field_codec(t.elem)
        if self.elem.card > 64:
            raise Unsupported(f"the type {t.show()} has more than 64 possible elements "
                              f"(the C backend keeps a set in one 64-bit word)")
        self.card = 1 << self.elem.card if self.elem.card < 62 else MAX_CARD + 1
        self.width = self.elem.card

    def encode(self, v) -> int:
        w = 0
        for x in v:
            w |= 1 << self.elem.ordinal_of(x)
        return _signed(w)

    def decode(self, w):
        w &= (1 << 64) - 1
        return frozenset(self.elem.value_of(k) for k in range(self.elem.card) if w >> k & 1)


class WideSetCodec(Codec):
    """A set of a scalar type of more than 64 (at most MAX_WIDE) values: a bit mask of
    ``words`` words (``struct { V w[words]; }`` in C; bit k of word k // 64 for ordinal k)."""

    kind = "wide"
    MAX_WIDE = 4096

    def __init__(self, t: SetT):
        self.t = t
        self.elem = field_codec(t.elem)
        if self.elem.card > self.MAX_WIDE:
            raise Unsupported(f"the type {t.show()} has {self.elem.card:,} possible elements (the C backend keeps "
                              f"sets of at most {self.MAX_WIDE:,})")
        self.words = (self.elem.card + 63) // 64
        self.card = MAX_CARD + 1

    def encode(self, v) -> list[int]:
        ws = [0] * self.words
        for x in v:
            o = self.elem.ordinal_of(x)
            ws[o >> 6] |= 1 << (o & 63)
        return [_signed(w) for w in ws]

    def decode(self, ws):
        out = []
        for i, w in enumerate(ws):
            w &= (1 << 64) - 1
            while w:
                low = w & -w
                out.append(self.elem.value_of(i * 64 + low.bit_length() - 1))
                w ^= low
        return frozenset(out)


#: how many elements a set of a large element type (more than 4,096 possible values, a
#: ``set[int]``) holds in the C backend: more is a runtime error, and the run goes to Python
DEFAULT_SET_CAP = 8


class WordInt(IntCodec):
    """An unbounded integer as an element of a sparse set (:class:`SparseSetCodec`): a
    whole word, its own ordinal (signed words compare in the value order), so a
    ``set[int]`` holds ZooKeeper's zxids (epoch x 2^32 + counter) as they are."""

    def ordinal_of(self, v) -> int:
        return v

    def value_of(self, o: int):
        return o


class SparseSetCodec(Codec):
    """A set of a large scalar type (``set[int]``): its elements' ordinals in ascending
    order (the value order), at most ``cap``, the count first, unused places zero. An
    unbounded ``int`` element is its whole word (:class:`WordInt`), not a 16-bit field."""

    kind = "wide"

    def __init__(self, t: SetT):
        self.t = t
        self.elem = WordInt(t.elem) if isinstance(t.elem, IntT) and not t.elem.bounded else field_codec(t.elem)
        self.cap = DEFAULT_SET_CAP * _scale
        self.words = 1 + self.cap
        self.card = MAX_CARD + 1

    def encode(self, v) -> list[int]:
        os_ = sorted(self.elem.ordinal_of(x) for x in v)
        if len(os_) > self.cap:
            raise Unsupported(f"a set of {len(os_)} elements (the C backend keeps at most {self.cap} of a {self.t.show()})")
        return [len(os_)] + os_ + [0] * (self.cap - len(os_))

    def decode(self, ws):
        return frozenset(self.elem.value_of(o) for o in ws[1:1 + ws[0]])


def _fits(t: Type, words: int) -> None:
    """Refuse a type whose values take more than MAX_WORDS words."""
    if words > MAX_WORDS:
        raise Unsupported(f"{t.show()} needs {words} words (the C backend keeps at most {MAX_WORDS:,} per value)")


def _put(c: Codec, v, out: list[int]) -> None:
    """Append the words of ``v`` (laid out by ``c``) to ``out``."""
    w = c.encode(v)
    out.extend(w if c.words > 1 else [w])


def _get(c: Codec, ws, at: int):
    """The value laid out by ``c`` at word ``at`` of ``ws``."""
    return c.decode(ws[at] if c.words == 1 else tuple(ws[at:at + c.words]))


class _Counted(Codec):
    """The count, then at most ``cap`` elements of ``ew`` words each (their standalone
    values), unused places zero: the layout of sequences and of sets of values without
    an ordinal."""

    kind = "wide"
    what = "value"

    def _layout(self, t: Type, elem: Type, cap: int) -> None:
        self.t = t
        self.elem = codec(elem)
        self.ew = self.elem.words
        self.cap = cap
        self.words = 1 + self.cap * self.ew
        _fits(t, self.words)
        self.card = MAX_CARD + 1

    def _encode(self, xs: list) -> list[int]:
        if len(xs) > self.cap:
            raise Unsupported(f"a {self.what} of {len(xs)} elements (the C backend keeps at most {self.cap} of a "
                              f"{self.t.show()})")
        out = [len(xs)]
        for x in xs:
            _put(self.elem, x, out)
        return out + [0] * ((self.cap - len(xs)) * self.ew)

    def _decode(self, ws) -> list:
        return [_get(self.elem, ws, 1 + k * self.ew) for k in range(ws[0])]


class RecSetCodec(_Counted):
    """A set of values that have no ordinal (records of several words, sequences,
    functions, large sets): the count, then at most ``cap`` elements, each its standalone
    value of ``ew`` words, ascending in the checker's value order (:func:`vkey`, compared
    in C by a generated function), unused places zero. So equal sets are equal words and
    iterating one visits the elements in the Python backend's order."""

    what = "set"

    def __init__(self, t: SetT):
        self._layout(t, t.elem, DEFAULT_SET_CAP * _scale)

    def encode(self, v) -> list[int]:
        return self._encode(sort_values(v))

    def decode(self, ws):
        return frozenset(self._decode(ws))


#: the capacity of a sequence whose type gives none (``seq[T]``; ``seq[T, N]`` gives N):
#: a longer one is a runtime error of the C search, and the run goes to Python
DEFAULT_SEQ_CAP = 4

#: the capacities above are multiplied by this while :func:`scaled` is in force: a C
#: search that outgrows them is started again with them doubled (modelcheck.native)
_scale = 1
#: while True (:func:`scaled`), a function of unbounded ints has a word per key instead
#: of a packed field each: a search whose integers outgrew those fields starts again so
_wide_ints = False


@contextmanager
def scaled(k: int, wide_ints: bool = False):
    """Codecs made inside hold ``k`` times the default capacities (sequences without
    a declared bound, sets kept as lists, maps kept as pairs), and with ``wide_ints`` a
    word per key for a function of unbounded ints."""
    global _scale, _wide_ints
    old = _scale, _wide_ints
    _scale, _wide_ints = k, wide_ints
    codec.cache_clear()
    field_codec.cache_clear()
    try:
        yield
    finally:
        _scale, _wide_ints = old
        codec.cache_clear()
        field_codec.cache_clear()


class SeqCodec(_Counted):
    """A sequence: ``1 + cap * ew`` words, the length first, then the elements (each its
    standalone value of ``ew`` words, element i at word ``1 + (i - 1) * ew``), unused
    places zero (so equal sequences are equal words)."""

    what = "sequence"

    def __init__(self, t: SeqT):
        self._layout(t, t.elem, t.max_len if t.max_len is not None else DEFAULT_SEQ_CAP * _scale)

    def encode(self, v) -> list[int]:
        return self._encode(list(v))

    def decode(self, ws):
        return tuple(self._decode(ws))


class RecordCodec(Codec):
    """A tuple or a record that is no scalar (a field of several words, such as a set of
    a large type or a sequence, or more than 2^62 values in all): its fields' standalone
    values one after the other, field k from word ``offs[k]``. Unused places are zero,
    so equal values are equal words. It has no ordinal: it cannot be a set's element."""

    kind = "wide"

    def __init__(self, t: Type):
        self.t = t
        ets = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
        self.fields = tuple(codec(e) for e in ets)
        offs, off = [], 0
        for f in self.fields:
            offs.append(off)
            off += f.words
        self.offs = tuple(offs)
        self.words = off
        _fits(t, self.words)
        self.card = MAX_CARD + 1

    def encode(self, v):
        out: list[int] = []
        for f, x in zip(self.fields, v):
            _put(f, x, out)
        return out if self.words > 1 else out[0]

    def decode(self, ws):
        if self.words == 1:
            ws = (ws,)
        return tuple(_get(f, ws, o) for f, o in zip(self.fields, self.offs))


class WideFunCodec(Codec):
    """``K -> V`` that does not fit one word: one slot of ``V``'s words per key (in the
    key's ``domain_values`` order), each holding ``V``'s standalone value."""

    kind = "wide"

    def __init__(self, t: FunT, val: Codec):
        self.t = t
        self.keys = domain_values(t.dom)
        self.val = val
        self.slot = val.words
        self.words = len(self.keys) * self.slot
        _fits(t, self.words)
        self.card = MAX_CARD + 1

    def encode(self, v) -> list[int]:
        out: list[int] = []
        for x in v:
            _put(self.val, x, out)
        return out

    def decode(self, ws):
        return tuple(_get(self.val, ws, k * self.slot) for k in range(len(self.keys)))


class MapCodec(Codec):
    """``map[K, V]`` of an indexable ``K`` of at most 64 values: a word of the keys
    present (bit k for the k-th of ``domain_values(K)``), then a slot of ``V``'s words per
    key, zero where the key is absent (so equal maps are equal words)."""

    kind = "wide"

    def __init__(self, t: MapT):
        self.t = t
        if not is_indexable(t.key):
            raise Unsupported(f"{t.show()}: the C backend keeps maps whose keys are a model set, an enum, bool "
                              f"or lo..hi")
        self.keys = domain_values(t.key)
        if len(self.keys) > 64:
            raise Unsupported(f"{t.show()} has {len(self.keys)} possible keys (the C backend keeps at most 64)")
        self.val = codec(t.val)
        self.slot = self.val.words
        self.words = 1 + len(self.keys) * self.slot
        _fits(t, self.words)
        self.card = MAX_CARD + 1

    def encode(self, v) -> list[int]:
        mask, out = 0, []
        for k, key in enumerate(self.keys):
            if key in v:
                mask |= 1 << k
                _put(self.val, v[key], out)
            else:
                out.extend([0] * self.slot)
        return [_signed(mask)] + out

    def decode(self, ws):
        mask = ws[0] & ((1 << 64) - 1)
        return FMap({key: _get(self.val, ws, 1 + k * self.slot)
                     for k, key in enumerate(self.keys) if mask >> k & 1})


class PairMapCodec(Codec):
    """``map[K, V]`` of a ``K`` that is not indexable (``map[int, V]``): the count, then
    at most ``cap`` entries of ``kw + vw`` words, each K's standalone value then V's,
    ascending by key in the checker's value order (:func:`vkey`, compared in C by a
    generated function), unused places zero. So equal maps are equal words, and the
    entries come in the order the Python backend's ``keys`` visits them; a map that
    outgrows ``cap`` is a runtime error, and the search starts again with more room."""

    kind = "wide"

    def __init__(self, t: MapT):
        self.t = t
        self.key = codec(t.key)
        self.val = codec(t.val)
        self.kw, self.vw = self.key.words, self.val.words
        self.ew = self.kw + self.vw
        self.cap = DEFAULT_SET_CAP * _scale
        self.words = 1 + self.cap * self.ew
        _fits(t, self.words)
        self.card = MAX_CARD + 1

    def encode(self, v) -> list[int]:
        keys = sort_values(v.keys())
        if len(keys) > self.cap:
            raise Unsupported(f"a map of {len(keys)} keys (the C backend keeps at most {self.cap} of a "
                              f"{self.t.show()})")
        out = [len(keys)]
        for k in keys:
            _put(self.key, k, out)
            _put(self.val, v[k], out)
        return out + [0] * ((self.cap - len(keys)) * self.ew)

    def decode(self, ws):
        return FMap({_get(self.key, ws, 1 + i * self.ew): _get(self.val, ws, 1 + i * self.ew + self.kw)
                     for i in range(ws[0])})


class FunCodec(Codec):
    kind = "fun"

    def __init__(self, t: FunT):
        self.t = t
        if not is_indexable(t.dom):
            raise Unsupported(f"{t.show()}: the C backend needs a finite key type")
        self.keys = domain_values(t.dom)
        self.val = codec(t.cod)
        #: an unbounded int packed in a field: a value wider than it starts the search again
        #: with a word per key (in a search :func:`scaled`, it has one from the start)
        self.packed_int = isinstance(self.val, IntCodec) and not self.val.bounded
        if isinstance(self.val, IntCodec):
            if self.val.bounded:
                self.val = FieldInt(t.cod)
            elif _wide_ints:
                raise Unsupported(f"{t.show()}: a word per key in a search started again")
            else:
                # an unbounded int as a signed field of 64/keys bits (at most 32): a value
                # beyond it is a runtime error of the C search, and the run goes to Python
                bits = min(32, 64 // max(1, len(self.keys)))
                if bits < 8:
                    raise Unsupported(f"{t.show()}: {len(self.keys)} unbounded integers do not fit the C "
                                      f"backend's one word per variable (give the values bounds, lo..hi)")
                self.val = FieldInt(IntT(-(1 << (bits - 1)), (1 << (bits - 1)) - 1))
        if self.val.words > 1 or isinstance(self.val, (RecordCodec, SeqCodec, MapCodec, PairMapCodec, RecSetCodec)):
            # a slot of the value's words per key (WideFunCodec)
            raise Unsupported(f"{t.show()}: a function of values of several words does not fit one word")
        if isinstance(self.val, FunCodec):
            raise Unsupported(f"{t.show()}: functions of functions are not supported by the C backend yet")
        self.width = self.val.width if isinstance(self.val, SetCodec) else max(1, (self.val.card - 1).bit_length())
        if self.width * len(self.keys) > 64:
            raise Unsupported(f"{t.show()} needs {self.width * len(self.keys)} bits; the C backend keeps a "
                              f"function in one 64-bit word")
        self.card = MAX_CARD + 1
        self.mask = (1 << self.width) - 1

    def slot(self, x) -> int:
        """What one field holds for the value ``x``."""
        return self.val.encode(x) & self.mask if isinstance(self.val, SetCodec) else self.val.ordinal_of(x)

    def unslot(self, f: int):
        return self.val.decode(f) if isinstance(self.val, SetCodec) else self.val.value_of(f)

    def encode(self, v) -> int:
        w = 0
        for k, x in enumerate(v):
            w |= self.slot(x) << (k * self.width)
        return _signed(w)

    def decode(self, w):
        w &= (1 << 64) - 1
        return tuple(self.unslot(w >> (k * self.width) & self.mask) for k in range(len(self.keys)))


class SetField(Codec):
    """A set of a small type inside another value (an element of a set of sets, a
    record's field): its ordinal is its rank in the value order (:func:`vkey`: by size,
    then by sorted elements), through tables ``rank[mask]`` and ``mask[rank]``; as a
    standalone value it is the bit mask of :class:`SetCodec`."""

    kind = "scalar"
    MAX_ELEMS = 12

    def __init__(self, t: SetT):
        self.t = t
        self.set = SetCodec(t)
        n = self.set.elem.card
        if n > self.MAX_ELEMS:
            raise Unsupported(f"a set of {t.show()} ({n} possible elements) inside another value (the C backend "
                              f"numbers such sets when they have at most {self.MAX_ELEMS} possible elements)")
        masks = list(range(1 << n))
        masks.sort(key=lambda m: (bin(m).count("1"), [k for k in range(n) if m >> k & 1]))
        self.masks = masks                      # rank -> mask
        self.ranks = [0] * len(masks)           # mask -> rank
        for r, m in enumerate(masks):
            self.ranks[m] = r
        self.card = len(masks)

    def ordinal_of(self, v) -> int:
        return self.ranks[self.set.encode(v)]

    def value_of(self, o: int):
        return self.set.decode(self.masks[o])

    def encode(self, v) -> int:
        return self.ordinal_of(v)

    def decode(self, w: int):
        return self.value_of(w)


def _radix(cards: list[int]) -> tuple[tuple[int, ...], int]:
    """Mixed-radix strides, the first position most significant, and the product."""
    strides = [1] * len(cards)
    for k in range(len(cards) - 2, -1, -1):
        strides[k] = strides[k + 1] * cards[k + 1]
    total = 1
    for c in cards:
        total *= c
    return tuple(strides), total


def _signed(w: int) -> int:
    return w - (1 << 64) if w >> 63 else w


@lru_cache(maxsize=None)
def codec(t: Type) -> Codec:
    """The codec of a value of type ``t`` where it stands alone (a variable, a local)."""
    if isinstance(t, IntT):
        return IntCodec(t)
    if isinstance(t, (TupleT, RecordT)):
        try:
            return ScalarCodec(t)
        except Unsupported:
            return RecordCodec(t)
    if isinstance(t, (BoolT, ModelT, EnumT)):
        return ScalarCodec(t)
    if isinstance(t, SetT):
        try:
            card = field_codec(t.elem).card
        except Unsupported:     # elements without an ordinal: kept in order, compared
            return RecSetCodec(t)
        if card > WideSetCodec.MAX_WIDE:
            return SparseSetCodec(t)
        if card > 64:
            return WideSetCodec(t)
        return SetCodec(t)
    if isinstance(t, FunT):
        try:
            return FunCodec(t)
        except Unsupported:
            if not is_indexable(t.dom):
                raise
            val = codec(t.cod)
            if isinstance(val, IntCodec):      # an int per key, a word each: no bounds needed
                return WideFunCodec(t, val)
            return WideFunCodec(t, val)
    if isinstance(t, SeqT):
        return SeqCodec(t)
    if isinstance(t, MapT):
        # keys of at most 64 values: a mask and a slot per key; more, or keys that are not
        # indexable (int): the present pairs, sorted
        if is_indexable(t.key) and not (isinstance(t.key, IntT) and t.key.hi - t.key.lo >= 64):
            try:
                return MapCodec(t)
            except Unsupported:
                if len(domain_values(t.key)) <= 64:
                    raise
        return PairMapCodec(t)
    raise Unsupported(f"values of type {t.show()} are not supported by the C backend yet")


@lru_cache(maxsize=None)
def field_codec(t: Type) -> Codec:
    """The codec of a value of type ``t`` inside another (a field, an element, an
    argument): a scalar with an ordinal (a bounded integer as ``v - lo``)."""
    if isinstance(t, IntT):
        # an unbounded int inside a record, a constructor or a set element: a signed
        # 16-bit field (a value beyond it is a runtime error of the C search, and the run
        # goes to Python); a set of them is refused (more than 64 possible elements)
        return FieldInt(t if t.bounded else IntT(-(1 << 15), (1 << 15) - 1))
    if isinstance(t, SetT):
        return SetField(t)
    c = codec(t)
    if c.kind != "scalar":
        raise Unsupported(f"values of type {t.show()} inside other values are not supported by the C backend yet")
    return c
