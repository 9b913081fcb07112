"""The typed IR of a spec as z3 formulas: expressions, ``init`` and every action.

:class:`Encoder` reads a :class:`~modelcheck.dsl.checked.Checked` (the module, the type
of every expression, what every name refers to, the constants) and nothing of the
explicit explorer. A state is a list of z3 terms, one per variable in declared order.

* An expression becomes a term of the sort :mod:`.sorts` gives its type. Quantifiers and
  comprehensions over a finite domain are unrolled (one conjunct per value); over an
  unbounded domain, or a model set that is an uninterpreted sort (``--for-all-sizes``),
  they become z3 quantifiers. A condition that is constant (a seeded-bug switch) is
  folded before its branches are translated, as the compiler does.
* An action becomes a transition formula over a pre-state and a post-state. Its
  parameters and ``pick`` choices are fresh constants (transition formulas are only ever
  asserted, never negated, so a fresh constant is an existential); ``either`` and ``if``
  are disjunctions over the rest of the block; a variable not assigned keeps its value.
  Assertions and assignments to a ``lo..hi`` variable give *obligations*: the path
  condition under which the action would fail (what the explicit checker reports as an
  assertion violation or a runtime error).
* Under ``prove --seq-bound`` (``seq_bound``) sequences are in slot form (see
  :mod:`.sorts` and the slot section below), and a sequence an action builds beyond the
  slots is a ``capacity`` obligation.
* What the encoding does not translate is refused with :class:`Unsupported`, which the
  front end prints as ``file:line:col: MC500 ...`` (``MC501`` when a construct leaves the
  decidable fragment of ``--for-all-sizes``), never a wrong formula.

Runtime errors other than ranges (a map looked up off its domain, ``head`` of an empty
sequence, division by zero) are not obligations: z3 gives such a term some value. The
explicit checker (``modelcheck check``) finds them; docs/symbolic.md says so.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import z3

from .. import ir
from ..diagnostics import Code, Diagnostic, SpecError
from ..dsl.checked import Checked
from ..types import BagT, BoolT, EnumT, FunT, IntT, MapT, ModelT, RecordT, SeqT, SetT, TupleT, Type, nested
from ..values import sort_values
from ..dsl.builtins import FUN_SET
from .sorts import Sorts


class Unsupported(Exception):
    """A construct the symbolic encoding refuses: ``code`` MC500 or MC501, at ``node_id``."""

    def __init__(self, node_id: int | None, message: str, code: Code = Code.SYMBOLIC_UNSUPPORTED):
        super().__init__(message)
        self.node_id = node_id
        self.message = message
        self.code = code


def spec_error(checked: Checked, u: Unsupported) -> SpecError:
    module = checked.module
    span = module.spans.get(u.node_id) if u.node_id is not None else None
    return SpecError([Diagnostic(u.code, u.message, span)], source=ir.all_sources(module))


@dataclass
class Obligation:
    """A way an action can fail on a step: ``kind`` is ``assertion``, ``range`` or
    ``capacity`` (under --seq-bound, a sequence the action builds needs more than the
    slots; ``name`` is then the action's), ``set-capacity`` (the same for a set under
    --set-bound), ``formula`` the path condition under which it
    fails (over the pre-state and the action's fresh constants)."""

    kind: str
    name: str
    message: str
    formula: Any
    node_id: int


@dataclass
class ActionEncoding:
    """One action's transition formula with its fresh parameter constants."""

    name: str
    formula: Any
    params: list[tuple[str, Any, Type]]
    obligations: list[Obligation] = field(default_factory=list)


_ARITH = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
          ">=": lambda a, b: a >= b}


class Encoder:
    def __init__(self, checked: Checked, sorts: Sorts | None = None, seq_bound: int | None = None,
                 set_bound: int | None = None):
        self.c = checked
        self.sorts = sorts or Sorts()
        #: the size every set over an infinite element type is assumed to keep (``prove
        #: --set-bound``): such a set is then a size and this many slots (see
        #: :meth:`Sorts.slot_set`); proven with the invariant, as ``seq_bound``
        self.set_bound = set_bound
        if set_bound is not None:
            self.sorts.set_slots = set_bound
        #: the length every state variable's sequence without a declared bound
        #: (``seq[T]``) is assumed to keep (``prove --seq-bound``): a hypothesis on the
        #: pre-state and, through the range obligations, something each action must
        #: preserve, so a proof with it is a proof of the invariant and the bound
        self.seq_bound = seq_bound
        #: under ``seq_bound``, every sequence is a length and this many slots (the
        #: bound, or a larger ``seq[T, N]`` of the spec): see :mod:`.sorts`
        self.slots = None if seq_bound is None else _capacity(checked, seq_bound)
        if self.slots is not None:
            self.sorts.slots = self.slots
        #: where a sequence built in an action (or init) may need more than the slots:
        #: (condition, node id); None outside an action or init (a property may not grow
        #: a sequence under --seq-bound)
        self._cap: list | None = None
        #: the path condition of the statement being translated, and the conditions of
        #: the ``if`` expressions around the sub-expression being translated
        self._pc: list = []
        self._guards: list = []
        #: init's conditions under which a sequence outgrows the slots (part of `bound init`)
        self.init_capacity: list = []
        #: as ``_cap``, for a set built beyond the slots of --set-bound
        self._setcap: list | None = None
        self.defs = {d.name: d for d in checked.defs}
        self.var_types = [t for _, t in checked.variables]
        self.var_names = [n for n, _ in checked.variables]
        self._fresh = itertools.count()
        self._obligations: list[Obligation] | None = None
        self._native: dict[Type, bool] = {}
        if set_bound is not None:
            self._refuse_slot_set_keys()

    def _refuse_slot_set_keys(self):
        """Under --set-bound, refuse an array indexed by values holding a set in slot form
        (a function's domain, a map's key, a bag's or an array set's element): a set in
        slot form has many terms for one value, and an array would tell them apart."""
        for nid, t in self.c.types.items():
            for idx in _array_indices(t, self.sorts):
                if holds_slot_set(idx, self.sorts):
                    raise Unsupported(nid, f"under --set-bound, symbolic checking does not support a function, "
                                           f"map or bag indexed by {idx.show()} (it holds a set over an "
                                           f"infinite type)")

    # ------------------------------------------------------------------ states

    def state(self, tag: str) -> list:
        """Fresh terms for one state: ``tag!var``. A function over a small ``lo..hi`` (or
        a set of such a range) is a chain of stores of fresh constants, one per key, over
        the default: canonical by construction, with no quantified fact needed to say that
        the keys outside the range hold the default (see :meth:`_structured`)."""
        return [self._state_term(f"{tag}!{n}", t) for n, t in self.c.variables]

    #: the largest ``lo..hi`` a state's function or set over it is laid out key by key for
    STRUCTURE_LIMIT = 64

    def _structured(self, t: Type) -> bool:
        """Whether :meth:`state` lays a value of ``t`` out key by key."""
        if self.sorts.slot_set(t):
            return False
        idx = t.dom if isinstance(t, FunT) else t.elem if isinstance(t, SetT) else None
        return (isinstance(idx, IntT) and idx.bounded and idx.hi - idx.lo + 1 <= self.STRUCTURE_LIMIT)

    def _state_term(self, name: str, t: Type):
        if self._structured(t):
            idx = t.dom if isinstance(t, FunT) else t.elem
            out = self.sorts.default(t)
            for k in range(idx.lo, idx.hi + 1):
                v = self._state_term(f"{name}[{k}]", t.cod) if isinstance(t, FunT) else z3.Bool(f"{name}[{k}]")
                out = z3.Store(out, z3.IntVal(k), v)
            return out
        return z3.Const(name, self.sorts.sort(t))

    def fresh(self, name: str, t: Type):
        return z3.Const(f"{name}!{next(self._fresh)}", self.sorts.sort(t))

    def type_of(self, e: ir.Node) -> Type:
        return self.c.types[e.id]

    def well_formed(self, s: list, canonical: bool = True) -> list:
        """What every value of a state satisfies beyond its sort: ``lo..hi`` bounds,
        sequence bounds, and functions over ``lo..hi`` holding the default off their
        domain. Asserted on states the search does not reach from ``init`` (the
        pre-state of an induction step). Without ``canonical``, only what the language
        says (the types and the bounds, what ``bound init`` checks), not the facts of the
        encoding (unused slots at the default: a state equal to a value built by init
        may hold anything there when the value is compared by its elements)."""
        out = []
        for term, t in zip(s, self.var_types):
            out.extend(self._wf(t, term, canonical, self.seq_bound, structured=True))
        return out

    def _wf(self, t: Type, term, canonical: bool, seq_bound: int | None = None, structured: bool = False) -> list:
        """``term`` fits ``t``'s bounds; with ``canonical``, also functions over ``lo..hi``
        hold the default off their domain (a fact of the encoding, not of the language:
        not an obligation of an assignment). ``seq_bound``: the bound of a sequence
        declared without one (:attr:`seq_bound`, for state variables only). ``structured``:
        ``term`` is laid out by :meth:`state` (its functions and sets over a small range
        are canonical by construction)."""
        if isinstance(t, IntT) and t.bounded:
            return [term >= t.lo, term <= t.hi]
        if isinstance(t, EnumT):
            # a constructor's bounded arguments: the sort erases their bounds
            s = self.sorts.sort(t)
            out = []
            for ci, c in enumerate(t.constructors):
                parts = [x for j, at in enumerate(c.args) for x in self._wf(at, s.accessor(ci, j)(term), canonical, seq_bound)]
                if parts:
                    out.append(z3.Implies(s.recognizer(ci)(term), z3.And(parts)))
            return out
        if isinstance(t, (TupleT, RecordT)):
            parts = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
            return [c for i, pt in enumerate(parts) for c in self._wf(pt, self.sorts.field(t, i, term), canonical, seq_bound)]
        if isinstance(t, FunT):
            out = []
            inner = structured and self._structured(t)
            if self.sorts.finite(t.dom):
                for k in self.sorts.values(t.dom):
                    out.extend(self._wf(t.cod, z3.Select(term, self.sorts.encode(t.dom, k)), canonical, seq_bound,
                                        inner))
            if isinstance(t.dom, IntT) and canonical and not inner:
                x = z3.Int(f"wf!{next(self._fresh)}")
                out.append(z3.ForAll([x], z3.Implies(z3.Or(x < t.dom.lo, x > t.dom.hi),
                                                     z3.Select(term, x) == self.sorts.default(t.cod))))
            return out
        if self.sorts.slot_set(t):
            # a size within the bound, distinct elements of the element type; with
            # ``canonical``, the slots from the size on at the default
            n, items = self._ss(t, term)
            out = [n >= 0, n <= self.set_bound]
            for j, x in enumerate(items):
                inner = self._wf(t.elem, x, canonical, seq_bound)
                if inner:
                    out.append(z3.Implies(j < n, z3.And(inner)))
                if canonical:
                    out.append(z3.Implies(j >= n, x == self.sorts.default(t.elem)))
            if canonical:
                out.extend(self._ss_distinct(t, n, items))
            return out
        if isinstance(t, SetT) and isinstance(t.elem, IntT) and t.elem.bounded:
            if canonical and structured and self._structured(t):
                return []
            x = z3.Int(f"wf!{next(self._fresh)}")
            return [z3.ForAll([x], z3.Implies(z3.Select(term, x), z3.And(x >= t.elem.lo, x <= t.elem.hi)))]
        if isinstance(t, SeqT) and self.slots is not None:
            # a length within the bound, elements of the element type; with
            # ``canonical``, the slots from the length on at the default
            bound = t.max_len if t.max_len is not None else seq_bound if seq_bound is not None else self.slots
            n, items = self._sq(t, term)
            out = [n >= 0, n <= bound]
            for j, x in enumerate(items):
                inner = self._wf(t.elem, x, canonical, seq_bound)
                if inner:
                    out.append(z3.Implies(j < n, z3.And(inner)))
                if canonical:
                    out.append(z3.Implies(j >= n, x == self.sorts.default(t.elem)))
            return out
        if isinstance(t, SeqT):
            return [] if t.max_len is None else [z3.Length(term) <= t.max_len]
        return []

    def shape(self, t: Type, term) -> list:
        """Under --seq-bound: the sequences in ``term`` (through records, tuples and
        constructors) are in slot form, a length ``0..C`` and the unused slots at the
        default. Every value the encoding builds has that shape; a fresh constant (a pick,
        a parameter, a quantified name) is given it so as not to range over terms that
        stand for no value."""
        if self.slots is None and self.set_bound is None:
            return []
        if self.sorts.slot_set(t):
            n, items = self._ss(t, term)
            out = [n >= 0, n <= self.set_bound]
            for j, x in enumerate(items):
                inner = self.shape(t.elem, x)
                if inner:
                    out.append(z3.Implies(j < n, z3.And(inner)))
                out.append(z3.Implies(j >= n, x == self.sorts.default(t.elem)))
            out.extend(self._ss_distinct(t, n, items))
            return out
        if isinstance(t, SeqT) and self.slots is not None:
            n, items = self._sq(t, term)
            out = [n >= 0, n <= self.slots]
            for j, x in enumerate(items):
                inner = self.shape(t.elem, x)
                if inner:
                    out.append(z3.Implies(j < n, z3.And(inner)))
                out.append(z3.Implies(j >= n, x == self.sorts.default(t.elem)))
            return out
        if isinstance(t, (TupleT, RecordT)):
            parts = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
            return [c for i, pt in enumerate(parts) for c in self.shape(pt, self.sorts.field(t, i, term))]
        if isinstance(t, EnumT):
            s = self.sorts.sort(t)
            out = []
            for ci, c in enumerate(t.constructors):
                parts = [x for j, at in enumerate(c.args) for x in self.shape(at, s.accessor(ci, j)(term))]
                if parts:
                    out.append(z3.Implies(s.recognizer(ci)(term), z3.And(parts)))
            return out
        return []

    # ------------------------------------------------------------------ slot sequences
    #
    # Under --seq-bound every sequence is (length n, slots x0..xC-1), the slots from n on
    # at the element type's default (canonical: equality is the datatype's). Each
    # operation below builds a canonical value from canonical operands. One that may
    # need more than C slots (append to a full sequence, ++, a literal or a comprehension
    # longer than C) records the condition under which it does (``capacity``): in an
    # action that is an obligation, in init part of `bound init`; a property that could
    # grow a sequence is refused. Runtime errors (``head`` of an empty sequence, an
    # index outside 1..n) give some value, as in the rest of the encoding.

    def _sq(self, t: SeqT, term):
        return self.sorts.seq_len(t, term), self.sorts.seq_slots(t, term)

    def _sq_mk(self, t: SeqT, n, items: list):
        return self.sorts.seq_mk(t, n, items)

    def capacity(self, cond, e: ir.Node, what: str, of_set: bool = False):
        """A sequence (a set in slot form, ``of_set``) built at ``e`` needs more than the
        slots when ``cond`` holds."""
        caps = self._setcap if of_set else self._cap
        if caps is None:
            if of_set:
                raise Unsupported(e.id, f"under --set-bound, a property may not build a larger set ({what}): "
                                        f"its value could need more than the {self.set_bound} slots")
            raise Unsupported(e.id, f"under --seq-bound, a property may not build a longer sequence ({what}): "
                                    f"its value could need more than the {self.slots} slots")
        cond = z3.simplify(z3.And(self._pc + self._guards + [cond]))
        if not z3.is_false(cond):
            caps.append((cond, e.id))

    def sq_at(self, t: SeqT, term, k):
        """Element ``k`` (from 0, a term) of a sequence; the default outside 0..C-1."""
        n, items = self._sq(t, term)
        k = z3.simplify(k)
        if z3.is_int_value(k):
            i = k.as_long()
            return items[i] if 0 <= i < self.slots else self.sorts.default(t.elem)
        out = self.sorts.default(t.elem)
        for j in reversed(range(self.slots)):
            out = z3.If(k == j, items[j], out)
        return out

    def sq_append(self, t: SeqT, term, x, e: ir.Node):
        n, items = self._sq(t, term)
        self.capacity(n >= self.slots, e, "append")
        return self._sq_mk(t, n + 1, [z3.If(n == j, x, it) for j, it in enumerate(items)])

    def sq_tail(self, t: SeqT, term):
        n, items = self._sq(t, term)
        return self._sq_mk(t, z3.If(n > 0, n - 1, 0), items[1:] + [self.sorts.default(t.elem)])

    def sq_concat(self, t: SeqT, a, b, e: ir.Node):
        na, xs = self._sq(t, a)
        nb, _ = self._sq(t, b)
        self.capacity(na + nb > self.slots, e, "++")
        return self._sq_mk(t, na + nb, [z3.If(j < na, x, self.sq_at(t, b, j - na)) for j, x in enumerate(xs)])

    def sq_subseq(self, t: SeqT, term, lo, hi):
        """``subseq(s, lo, hi)``: elements lo..hi (from 1); empty when hi < lo."""
        m = z3.If(hi >= lo, hi - lo + 1, 0)
        return self._sq_mk(t, m, [z3.If(j < m, self.sq_at(t, term, lo - 1 + j), self.sorts.default(t.elem))
                                  for j in range(self.slots)])

    def sq_put(self, t: SeqT, term, i, x):
        n, items = self._sq(t, term)
        return self._sq_mk(t, n, [z3.If(z3.And(i - 1 == j, j < n), x, it) for j, it in enumerate(items)])

    def sq_remove(self, t: SeqT, term, i):
        """Without element ``i`` (from 1); unchanged when i is outside 1..n."""
        n, items = self._sq(t, term)
        shifted = items[1:] + [self.sorts.default(t.elem)]
        removed = self._sq_mk(t, n - 1, [z3.If(j < i - 1, items[j], shifted[j]) for j in range(self.slots)])
        return z3.If(z3.And(1 <= i, i <= n), removed, term)

    def sq_build(self, t: SeqT, entries: list, e: ir.Node):
        """The sequence of the ``value`` of every ``(take, value)`` in order whose ``take``
        holds (a comprehension unrolled over at most C candidates, or a literal)."""
        n = z3.IntVal(0)
        d = self.sorts.default(t.elem)
        items = [d] * self.slots
        for k, (take, v) in enumerate(entries):
            take = z3.simplify(take)
            if z3.is_false(take):
                continue
            if k >= self.slots:
                self.capacity(z3.And(take, n >= self.slots), e, "a sequence of more than the slots")
            if z3.is_true(take) and z3.is_int_value(z3.simplify(n)):
                i = z3.simplify(n).as_long()
                if i < self.slots:
                    items[i] = v
                n = z3.IntVal(i + 1)
                continue
            items = [z3.If(z3.And(take, n == j), v, it) for j, it in enumerate(items)]
            n = z3.If(take, n + 1, n)
        return self._sq_mk(t, n, items)

    # ------------------------------------------------------------------ slot sets
    #
    # Under --set-bound a set over an infinite element type is (size n, slots x0..xC-1):
    # its elements are x0..xn-1, distinct, in any order (the slots from n on at the
    # default). Not canonical: one set has several terms, so equality (``eq``) compares
    # elements, and so does membership. Each operation builds distinct elements from
    # distinct operands; one that may need more than C slots records the condition under
    # which it does (``capacity``), as for sequences.

    def _ss(self, t: SetT, term):
        return self.sorts.set_size(t, term), self.sorts.set_items(t, term)

    def _ss_distinct(self, t: SetT, n, items: list) -> list:
        """The elements of a set in slot form are distinct: in increasing order when the
        element type has one (:meth:`less`), else pairwise different. The order is a
        fact of the encoding, not of the language (every set has a sorted layout): it
        spares z3 the permutations of one set's slots."""
        if self._orderable(t.elem):
            return [z3.Implies(j + 1 < n, self.less(t.elem, x, y)) for j, (x, y) in enumerate(zip(items, items[1:]))]
        return [z3.Implies(j < n, z3.Not(self.eq(t.elem, y, x))) for j, x in enumerate(items) for y in items[:j]]

    def _orderable(self, t: Type) -> bool:
        if isinstance(t, (BoolT, IntT)):
            return True
        if isinstance(t, ModelT):
            return t.name not in self.sorts.uninterpreted
        if isinstance(t, EnumT):
            return all(self._orderable(a) for c in t.constructors for a in c.args)
        if isinstance(t, (TupleT, RecordT)):
            return all(self._orderable(x) for x in (t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]))
        if isinstance(t, SeqT) and self.slots is not None:
            return self._orderable(t.elem)
        if self.sorts.slot_set(t):
            return self._orderable(t.elem)
        return False

    def less(self, t: Type, a, b):
        """A strict total order on the values of an orderable type, for terms whose sets
        in slot form are sorted (canonical): numbers, then constructors by position and
        their arguments, tuples, records, sequences and sets by size (length) then slot
        by slot."""
        if isinstance(t, BoolT):
            return z3.And(z3.Not(a), b)
        if isinstance(t, IntT):
            return a < b
        if isinstance(t, ModelT):
            return self.model_ordinal(t, a, None) < self.model_ordinal(t, b, None)
        if isinstance(t, EnumT):
            srt = self.sorts.sort(t)
            out = z3.BoolVal(False)
            for ci, c in enumerate(t.constructors):
                ra, rb = srt.recognizer(ci)(a), srt.recognizer(ci)(b)
                later = z3.Or([srt.recognizer(k)(b) for k in range(ci + 1, len(t.constructors))] or [z3.BoolVal(False)])
                args = [(at, srt.accessor(ci, j)(a), srt.accessor(ci, j)(b)) for j, at in enumerate(c.args)]
                out = z3.Or(out, z3.And(ra, z3.Or(later, z3.And(rb, self._lex(args)))))
            return out
        if isinstance(t, (TupleT, RecordT)):
            parts = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
            return self._lex([(pt, self.sorts.field(t, i, a), self.sorts.field(t, i, b)) for i, pt in enumerate(parts)])
        if isinstance(t, SeqT):
            (na, xs), (nb, ys) = self._sq(t, a), self._sq(t, b)
            return self._lex([(IntT(), na, nb)] + [(t.elem, x, y) for x, y in zip(xs, ys)])
        (na, xs), (nb, ys) = self._ss(t, a), self._ss(t, b)
        return self._lex([(IntT(), na, nb)] + [(t.elem, x, y) for x, y in zip(xs, ys)])

    def _lex(self, parts: list):
        out = z3.BoolVal(False)
        for pt, x, y in reversed(parts):
            out = z3.Or(self.less(pt, x, y), z3.And(self.eq(pt, x, y), out))
        return out

    def ss_has(self, t: SetT, term, x):
        """``x in term`` for a set in slot form."""
        n, items = self._ss(t, term)
        return z3.Or([z3.And(j < n, self.eq(t.elem, it, x)) for j, it in enumerate(items)])

    def ss_entries(self, t: SetT, term) -> list:
        """(j < n, slot j) for every slot: the elements, each guarded."""
        n, items = self._ss(t, term)
        return [(j < n, it) for j, it in enumerate(items)]

    def ss_build(self, t: SetT, entries: list, e: ir.Node, distinct: bool = False, what: str = "a set"):
        """The set of the ``value`` of every ``(take, value)`` whose ``take`` holds, packed
        into the first slots; a value equal to one taken before it is dropped (unless the
        caller knows the taken values ``distinct``)."""
        n = z3.IntVal(0)
        d = self.sorts.default(t.elem)
        c = self.sorts.set_slots
        items = [d] * c
        kept: list = []
        for k, (take, v) in enumerate(entries):
            if not distinct and kept:
                take = z3.And(take, z3.Not(z3.Or([z3.And(tk, self.eq(t.elem, w, v)) for tk, w in kept])))
            take = z3.simplify(take)
            if z3.is_false(take):
                continue
            kept.append((take, v))
            if k >= c:
                self.capacity(z3.And(take, n >= c), e, what, of_set=True)
            sn = z3.simplify(n)
            if z3.is_true(take) and z3.is_int_value(sn):
                i = sn.as_long()
                if i < c:
                    items[i] = v
                n = z3.IntVal(i + 1)
                continue
            items = [z3.If(z3.And(take, n == j), v, it) for j, it in enumerate(items)]
            n = z3.If(take, n + 1, n)
        return self.sorts.set_mk(t, n, items)

    def ss_op(self, op: str, t: SetT, a, b, e: ir.Node):
        """``a union b``, ``a intersect b``, ``a diff b`` of sets in slot form."""
        ea = self.ss_entries(t, a)
        if op == "union":
            eb = [(z3.And(g, z3.Not(self.ss_has(t, a, y))), y) for g, y in self.ss_entries(t, b)]
            return self.ss_build(t, ea + eb, e, distinct=True, what="union")
        keep = (lambda x: self.ss_has(t, b, x)) if op == "intersect" else (lambda x: z3.Not(self.ss_has(t, b, x)))
        return self.ss_build(t, [(z3.And(g, keep(x)), x) for g, x in ea], e, distinct=True, what=op)

    def enumerate(self, domain: ir.Node, env) -> list | None:
        """The elements of the set ``domain`` as (guard, term) pairs, when they can be
        listed: a range with constant bounds or a finite type (guard: membership), the
        elements of a sequence in slot form, a set in slot form; else None."""
        et = self.elem_type(domain)
        values = self.domain_values(domain, et, env)
        if values is None:
            values = self._positions(domain, env)
        if values is not None:
            return [(self.member(domain, v, env), v) for v in values]
        if self.slots is not None and self._elems_of_seq(domain):
            (arg,) = domain.args
            n, items = self._sq(self.type_of(arg), self.expr(arg, env))
            return [(j < n, x) for j, x in enumerate(items)]
        dt = self.type_of(domain)
        if self.sorts.slot_set(dt):
            return self.ss_entries(dt, self.expr(domain, env))
        return None

    def bindings(self, binders, env) -> list | None:
        """Every binding of ``binders`` (left to right) as (guard, env), or None."""
        out = [(z3.BoolVal(True), env)]
        for b in binders:
            nxt = []
            for g, env1 in out:
                elems = self.enumerate(b.domain, env1)
                if elems is None:
                    return None
                for g2, v in elems:
                    env2 = dict(env1)
                    env2[b.name] = v
                    nxt.append((z3.And(g, g2), env2))
            out = nxt
        return out

    def ss_comprehension(self, e, env):
        """``{ elem for x in S, ... if cond }`` as a set in slot form."""
        t = self.type_of(e)
        bs = self.bindings(list(e.binders), env)
        if bs is None:
            raise Unsupported(e.id, "under --set-bound, symbolic checking supports a set comprehension only over "
                                    "ranges with constant bounds, finite types, sequences and sets in slot form")
        entries = []
        for g, env2 in bs:
            self._guards.append(g)
            try:
                c = self.expr(e.cond, env2) if e.cond is not None else z3.BoolVal(True)
                entries.append((z3.And(g, c), self.guarded(c, e.elem, env2)))
            finally:
                self._guards.pop()
        b = e.binders[0]
        filt = (len(e.binders) == 1 and isinstance(e.elem, ir.Name) and e.elem.name == b.name
                and self.sorts.slot_set(self.type_of(b.domain)))
        return self.ss_build(t, entries, e, distinct=filt, what="a comprehension")

    # ------------------------------------------------------------------ equality

    def native_eq(self, t: Type) -> bool:
        """Whether z3's own ``==`` decides equality of ``t`` correctly. It does for an array
        indexed by ``int`` (values are kept canonical), not for an array indexed by a
        ``lo..hi`` range (compared on the range: the keys outside it are no part of the
        value), a finite sort or an uninterpreted one: z3's extensionality
        assumes an infinite index sort (with ``S = {a, b, c}`` it finds
        ``Store(K(false), c, true) == K(true)`` satisfiable), so such arrays are compared
        key by key (:meth:`eq`)."""
        k = self._native.get(t)
        if k is None:
            k = self._native[t] = self._native_eq(t)
        return k

    def _native_eq(self, t: Type) -> bool:
        if self.sorts.slot_set(t):
            return False  # not canonical: compared by elements
        if isinstance(t, (SetT, FunT, MapT, BagT)):
            idx = t.key if isinstance(t, MapT) else t.dom if isinstance(t, FunT) else t.elem
            val = t.val if isinstance(t, MapT) else t.cod if isinstance(t, FunT) else None
            if isinstance(idx, IntT) and not (idx.bounded and self.sorts.finite(idx)):
                pass  # z3's Int is infinite: its arrays are extensional (values are canonical)
            elif self.sorts.count(idx) is not None or self._mentions_uninterpreted(idx):
                return False
            return val is None or self.native_eq(val)
        if isinstance(t, EnumT):
            return all(self.native_eq(a) for c in t.constructors for a in c.args)
        if isinstance(t, TupleT):
            return all(self.native_eq(x) for x in t.elems)
        if isinstance(t, RecordT):
            return all(self.native_eq(ft) for _, ft in t.fields)
        if isinstance(t, SeqT):
            return self.native_eq(t.elem)
        return True

    def _mentions_uninterpreted(self, t: Type) -> bool:
        from ..types import mentions
        return any(mentions(t, self.c.models[m]) for m in self.sorts.uninterpreted)

    def _keys_of(self, idx: Type):
        """The index terms to compare arrays at, or None to quantify."""
        if self.sorts.finite(idx):
            return [self.sorts.encode(idx, v) for v in self.sorts.values(idx)]
        return None

    def eq(self, t: Type, a, b):
        """``a == b`` for values of type ``t`` (see :meth:`native_eq`)."""
        if self.native_eq(t):
            return a == b
        if self.sorts.slot_set(t):
            (na, xs), (nb, ys) = self._ss(t, a), self._ss(t, b)
            return z3.And([na == nb] + [z3.Implies(j < na, self.ss_has(t, b, x)) for j, x in enumerate(xs)]
                          + [z3.Implies(j < nb, self.ss_has(t, a, y)) for j, y in enumerate(ys)])
        if isinstance(t, (SetT, FunT, MapT, BagT)):
            idx = t.key if isinstance(t, MapT) else t.dom if isinstance(t, FunT) else t.elem
            val = {SetT: BoolT(), BagT: IntT()}.get(type(t)) or (t.cod if isinstance(t, FunT) else None)
            if isinstance(t, MapT):
                def cell(x, y):
                    return z3.And(self.sorts.is_some(t.val, x) == self.sorts.is_some(t.val, y),
                                  z3.Implies(self.sorts.is_some(t.val, x),
                                             self.eq(t.val, self.sorts.val(t.val, x), self.sorts.val(t.val, y))))
            else:
                def cell(x, y):
                    return self.eq(val, x, y)
            keys = self._keys_of(idx)
            if keys is not None:
                return z3.And([cell(z3.Select(a, k), z3.Select(b, k)) for k in keys])
            x = self.fresh("eq", idx)
            return z3.ForAll([x], cell(z3.Select(a, x), z3.Select(b, x)))
        if isinstance(t, (TupleT, RecordT)):
            parts = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
            return z3.And([self.eq(pt, self.sorts.field(t, i, a), self.sorts.field(t, i, b))
                           for i, pt in enumerate(parts)])
        if isinstance(t, EnumT):
            s = self.sorts.sort(t)
            alts = []
            for ci, c in enumerate(t.constructors):
                r = s.recognizer(ci)
                args = [self.eq(at, s.accessor(ci, j)(a), s.accessor(ci, j)(b)) for j, at in enumerate(c.args)]
                alts.append(z3.And([r(a), r(b)] + args))
            return z3.Or(alts)
        if isinstance(t, SeqT) and self.slots is not None:
            (na, xs), (nb, ys) = self._sq(t, a), self._sq(t, b)
            return z3.And([na == nb] + [z3.Implies(j < na, self.eq(t.elem, x, y))
                                        for j, (x, y) in enumerate(zip(xs, ys))])
        if isinstance(t, SeqT):
            i = z3.Int(f"eq!{next(self._fresh)}")
            return z3.And(z3.Length(a) == z3.Length(b),
                          z3.ForAll([i], z3.Implies(z3.And(0 <= i, i < z3.Length(a)), self.eq(t.elem, a[i], b[i]))))
        return a == b

    def subseteq(self, t: SetT, a, b):
        if self.sorts.slot_set(t):
            return z3.And([z3.Implies(g, self.ss_has(t, b, x)) for g, x in self.ss_entries(t, a)])
        keys = self._keys_of(t.elem)
        if keys is not None:
            return z3.And([z3.Implies(z3.Select(a, k), z3.Select(b, k)) for k in keys])
        x = self.fresh("sub", t.elem)
        return z3.ForAll([x], z3.Implies(z3.Select(a, x), z3.Select(b, x)))

    # ------------------------------------------------------------------ expressions

    def expr(self, e: ir.Node, env: dict):
        """``env``: local names to terms, ``$s`` the state, ``$p`` the primed state (or None)."""
        m = getattr(self, "x_" + type(e).__name__, None)
        if m is None:
            raise Unsupported(e.id, f"symbolic checking does not support {type(e).__name__} expressions")
        return m(e, env)

    def static_bool(self, e: ir.Node, env: dict) -> bool | None:
        """The truth value of ``e`` when it does not depend on the state (constants and
        seeded-bug switches), else None."""
        if not _state_free(e, self):
            return None
        saved, self._cap = self._cap, []
        saved_set, self._setcap = self._setcap, []
        try:
            v = z3.simplify(self.expr(e, env))
        except Unsupported:
            return None
        finally:
            grew, self._cap = self._cap, saved
            grew_set, self._setcap = self._setcap, saved_set
        if grew or grew_set:  # a collection beyond the slots: not folded (its translation records it)
            return None
        if z3.is_true(v):
            return True
        if z3.is_false(v):
            return False
        return None

    def x_Lit(self, e, env):
        return z3.BoolVal(e.value) if isinstance(e.value, bool) else z3.IntVal(e.value)

    def x_Name(self, e, env):
        r = self.c.refs[e.id]
        if r.kind == "var":
            return env["$s"][r.index]
        if r.kind == "local":
            return env[e.name]
        if r.kind == "const":
            v = self.c.consts[r.name]
            if r.name in self.c.models:
                return z3.K(self.sorts.sort(self.c.models[r.name]), z3.BoolVal(True))
            return z3.BoolVal(v) if isinstance(v, bool) else z3.IntVal(v)
        if r.kind == "ctor":
            return self.sorts.ctor(r.type, r.name)()
        if r.kind == "typeset":
            t = r.type
            if isinstance(t, IntT) and t.bounded and self.sorts.finite(t):
                # the values of a range type, and nothing else (sets over it are canonical)
                out = z3.K(z3.IntSort(), z3.BoolVal(False))
                for k in range(t.lo, t.hi + 1):
                    out = z3.Store(out, z3.IntVal(k), True)
                return out
            return z3.K(self.sorts.sort(r.type), z3.BoolVal(True))
        if r.kind == "modelvalue" and r.type.name not in self.sorts.uninterpreted:
            return self.sorts.encode(r.type, r.index)
        if r.kind == "def":
            return self.call_def(e, r.name, (), env)
        raise Unsupported(e.id, f"symbolic checking does not support the name `{e.name}` here"
                          + (" (a named model value, with the size of its set left open)" if r.kind == "modelvalue"
                             else ""))

    def x_Primed(self, e, env):
        if env.get("$p") is None:
            raise Unsupported(e.id, "a primed variable outside a step property")
        r = self.c.refs.get(e.id)
        if r is not None and r.kind == "def":       # a 0-ary def in the next state
            return self.call_def(e, r.name, (), {**env, "$s": env["$p"]})
        return env["$p"][self.c.var_index(e.name)]

    def model_ordinal(self, t: ModelT, term, e):
        """A model value's position in its declaration, as an integer term (ordering)."""
        if t.name in self.sorts.uninterpreted:
            raise Unsupported(e.id, f"ordering values of {t.name} needs its size (not with --for-all-sizes)")
        out = z3.IntVal(len(t.names) - 1)
        for i in reversed(range(len(t.names) - 1)):
            out = z3.If(term == self.sorts.encode(t, i), z3.IntVal(i), out)
        return out

    def x_Match(self, e, env):
        t = self.type_of(e.subject)
        v = self.expr(e.subject, env)
        out = None
        for ctor, names, body in reversed(e.arms):
            env2 = dict(env)
            for j, n in enumerate(names):
                if n != "_":
                    env2[n] = self.sorts.accessor(t, ctor, j)(v)
            b = self.expr(body, env2)
            out = b if out is None else z3.If(self.sorts.recognizer(t, ctor)(v), b, out)
        return out

    def x_CtorTest(self, e, env):
        return self.sorts.recognizer(self.type_of(e.expr), e.ctor)(self.expr(e.expr, env))

    def x_CtorArg(self, e, env):
        return self.sorts.accessor(self.type_of(e.expr), e.ctor, e.index - 1)(self.expr(e.expr, env))

    def x_Prime(self, e, env):
        if env.get("$p") is None:
            raise Unsupported(e.id, "a primed expression outside a step property")
        return self.expr(e.expr, {**env, "$s": env["$p"]})

    def x_Unary(self, e, env):
        a = self.expr(e.arg, env)
        return z3.Not(a) if e.op == "not" else -a

    def x_Binary(self, e, env):
        op = e.op
        if op in ("and", "or", "implies"):
            a, b = self.static_bool(e.left, env), self.static_bool(e.right, env)
            if op in ("and", "or"):
                decisive = op == "or"  # the constant that decides: false for and, true for or
                if decisive in (a, b):
                    return z3.BoolVal(decisive)
                if a is not None:  # the other constant is the neutral one
                    return self.expr(e.right, env)
                if b is not None:
                    return self.expr(e.left, env)
                return (z3.Or if decisive else z3.And)(self.expr(e.left, env), self.expr(e.right, env))
            if a is False or b is True:
                return z3.BoolVal(True)
            if a is True:
                return self.expr(e.right, env)
            return z3.Implies(self.expr(e.left, env), self.expr(e.right, env))
        if op in ("in", "notin"):
            m = self.member(e.right, self.expr(e.left, env), env)
            return m if op == "in" else z3.Not(m)
        if op == "subseteq" and self.sorts.slot_set(self.type_of(e.left)):
            # every element of the left in the right, without building the right
            elems = self.enumerate(e.left, env)
            return z3.And([z3.Implies(g, self.member(e.right, x, env)) for g, x in elems])
        if op == "subseteq" and self.slots is not None and self._elems_of_seq(e.left):
            elems = self.enumerate(e.left, env)
            return z3.And([z3.Implies(g, self.member(e.right, x, env)) for g, x in elems])
        if op == "..":
            lo, hi = self.expr(e.left, env), self.expr(e.right, env)
            x = z3.Int(f"r!{next(self._fresh)}")
            return z3.Lambda([x], z3.And(lo <= x, x <= hi))
        a, b = self.expr(e.left, env), self.expr(e.right, env)
        if op in ("<", "<=", ">", ">=") and isinstance(self.type_of(e.left), ModelT):
            a, b = self.model_ordinal(self.type_of(e.left), a, e), self.model_ordinal(self.type_of(e.left), b, e)
        if op in _ARITH:
            return _ARITH[op](a, b)
        if op == "==":
            return self.eq(self.type_of(e.left), a, b)
        if op == "!=":
            return z3.Not(self.eq(self.type_of(e.left), a, b))
        if op == "iff":
            return a == b
        if op == "/":
            return _floordiv(a, b)
        if op == "%":
            return a - b * _floordiv(a, b)
        if op in ("union", "intersect", "diff") and self.sorts.slot_set(self.type_of(e)):
            return self.ss_op(op, self.type_of(e), a, b, e)
        if op == "union":
            return z3.SetUnion(a, b) if isinstance(self.type_of(e), SetT) else self._bag_union(e, a, b)
        if op == "intersect":
            return z3.SetIntersect(a, b)
        if op == "diff":
            return z3.SetDifference(a, b)
        if op == "subseteq":
            return self.subseteq(self.type_of(e.left), a, b)
        if op == "++":
            if self.slots is not None:
                return self.sq_concat(self.type_of(e), a, b, e)
            return z3.Concat(a, b)
        raise Unsupported(e.id, f"symbolic checking does not support the operator `{op}`")

    def _bag_union(self, e, a, b):
        raise Unsupported(e.id, "symbolic checking does not support `union` of bags")

    def member(self, set_expr: ir.Node, x, env):
        """``x in S``, without building ``S`` when its form allows (a range, a literal, a
        comprehension, the whole type)."""
        st = self.type_of(set_expr)
        if self.slots is not None:
            body, env2 = self.through_def(set_expr, env)
            if body is not set_expr:  # the operator's body, so that its form is seen (a range: no lambda)
                return self.member(body, x, env2)
        if isinstance(set_expr, ir.Binary) and set_expr.op == "..":
            return z3.And(self.expr(set_expr.left, env) <= x, x <= self.expr(set_expr.right, env))
        if isinstance(set_expr, ir.Name) and self._whole_type(set_expr):
            return z3.BoolVal(True)
        if isinstance(set_expr, ir.SetLit):
            return (z3.Or([self.eq(st.elem, x, self.expr(el, env)) for el in set_expr.elems]) if set_expr.elems
                    else z3.BoolVal(False))
        if isinstance(set_expr, ir.SetComp):
            return self.comprehension_exists(set_expr, env, lambda env2: x == self.expr(set_expr.elem, env2))
        if isinstance(set_expr, ir.Call) and set_expr.func == FUN_SET:
            return self.in_function_set(set_expr, x, env)
        if self.slots is not None and self._elems_of_seq(set_expr):
            (arg,) = set_expr.args
            at = self.type_of(arg)
            n, items = self._sq(at, self.expr(arg, env))
            return z3.Or([z3.And(j < n, self.eq(at.elem, it, x)) for j, it in enumerate(items)])
        if isinstance(st, BagT):
            return z3.Select(self.expr(set_expr, env), x) > 0
        if self.sorts.slot_set(st):
            return self.ss_has(st, self.expr(set_expr, env), x)
        if isinstance(st, SetT):
            return z3.Select(self.expr(set_expr, env), x)
        raise Unsupported(set_expr.id, f"symbolic checking does not support membership in a {st}")

    def through_def(self, e: ir.Node, env):
        """``e`` a call of an operator (or a 0-ary one's name): its body and the
        environment binding its parameters; else ``e`` and ``env``."""
        r = self.c.refs.get(e.id) if isinstance(e, (ir.Name, ir.Call)) else None
        if r is None or r.kind != "def":
            return e, env
        d = self.defs[r.name]
        env2 = {k: v for k, v in env.items() if k.startswith("$")}
        for p, a in zip(d.params, getattr(e, "args", ())):
            env2[p.name] = self.expr(a, env)
        return self.through_def(d.body, env2)

    def in_function_set(self, e: ir.Call, f, env):
        """``f in [S -> T]``: a total function whose every value is in T (S the whole
        domain type), or a map with exactly the keys S and its values in T."""
        dom, cod = e.args
        ft = self.type_of(e).elem
        keys = self.domain_values(dom, self.elem_type(dom), env)
        if keys is None:
            raise Unsupported(e.id, "symbolic checking supports `[S -> T]` only over a finite S")
        if isinstance(ft, FunT):
            return z3.And([self.member(cod, z3.Select(f, k), env) for k in keys])
        parts = []
        for k in keys:
            cell = z3.Select(f, k)
            inside = self.member(dom, k, env)
            parts.append(self.sorts.is_some(ft.val, cell) == inside)
            parts.append(z3.Implies(inside, self.member(cod, self.sorts.val(ft.val, cell), env)))
        return z3.And(parts)

    def _whole_type(self, e: ir.Node) -> bool:
        r = self.c.refs.get(e.id)
        return r is not None and (r.kind == "typeset" or (r.kind == "const" and r.name in self.c.models))

    def x_If(self, e, env):
        c = self.static_bool(e.cond, env)
        if c is not None:
            return self.expr(e.then if c else e.else_, env)
        c = self.expr(e.cond, env)
        return z3.If(c, self.guarded(c, e.then, env), self.guarded(z3.Not(c), e.else_, env))

    def guarded(self, cond, e: ir.Node, env):
        """``e`` translated under ``cond`` (what a sequence outgrowing the slots in it
        is conditional on)."""
        self._guards.append(cond)
        try:
            return self.expr(e, env)
        finally:
            self._guards.pop()

    def x_Let(self, e, env):
        env = dict(env)
        for name, value in e.bindings:
            env[name] = self.expr(value, env)
        return self.expr(e.body, env)

    # quantifiers and comprehensions ------------------------------------------------

    def bind(self, binders, env, body, combine):
        """``combine`` (``z3.And`` for forall, ``z3.Or`` for exists) of ``body(env2)``
        guarded by membership, over every binding of ``binders`` (left to right)."""
        if not binders:
            return body(env)
        b, rest = binders[0], binders[1:]
        et = self.elem_type(b.domain)
        guard_and = combine is z3.And
        values = self.domain_values(b.domain, et, env)
        if values is None:
            values = self._positions(b.domain, env)
        if values is not None:
            parts = []
            for v in values:
                env2 = dict(env)
                env2[b.name] = v
                inner = self.bind(rest, env2, body, combine)
                m = self.member(b.domain, v, env)
                m = z3.simplify(m) if not z3.is_true(m) else m
                if z3.is_false(m):
                    continue
                parts.append(inner if z3.is_true(m) else (z3.Implies(m, inner) if guard_and else z3.And(m, inner)))
            return combine(parts) if parts else z3.BoolVal(guard_and)
        if self.slots is not None and self._elems_of_seq(b.domain):
            # over the elements of a sequence in slot form: one conjunct (disjunct) per
            # slot, guarded by the length
            (arg,) = b.domain.args
            n, items = self._sq(self.type_of(arg), self.expr(arg, env))
            parts = []
            for j, x in enumerate(items):
                env2 = dict(env)
                env2[b.name] = x
                inner = self.bind(rest, env2, body, combine)
                parts.append(z3.Implies(j < n, inner) if guard_and else z3.And(j < n, inner))
            return combine(parts) if parts else z3.BoolVal(guard_and)
        dt = self.type_of(b.domain)
        if self.sorts.slot_set(dt):
            # over a set in slot form: one conjunct (disjunct) per slot, guarded by the size
            parts = []
            for g, x in self.ss_entries(dt, self.expr(b.domain, env)):
                env2 = dict(env)
                env2[b.name] = x
                inner = self.bind(rest, env2, body, combine)
                parts.append(z3.Implies(g, inner) if guard_and else z3.And(g, inner))
            return combine(parts) if parts else z3.BoolVal(guard_and)
        x = self.fresh(f"q!{b.name}", et)
        env2 = dict(env)
        env2[b.name] = x
        m = self.member(b.domain, x, env)
        if self.slots is not None or self.set_bound is not None:  # only values of the encoding's shape
            m = z3.And([m] + self.shape(et, x))
        inner = self.bind(rest, env2, body, combine)
        if guard_and:
            return z3.ForAll([x], z3.Implies(m, inner))
        return z3.Exists([x], z3.And(m, inner))

    def _positions(self, domain: ir.Node, env) -> list | None:
        """Under --seq-bound, for ``lo..len(s)`` with a constant ``lo``: the candidates
        ``lo..C`` (C the slots; a binder guards each with its membership, so the ones
        past the length drop out), else None."""
        if self.slots is None:
            return None
        d, env = self.through_def(domain, env)
        if not (isinstance(d, ir.Binary) and d.op == ".." and isinstance(d.right, ir.Call) and d.right.func == "len"
                and len(d.right.args) == 1 and isinstance(self.type_of(d.right.args[0]), SeqT)):
            return None
        lo = z3.simplify(self.expr(d.left, env))
        if not z3.is_int_value(lo):
            return None
        return [z3.IntVal(i) for i in range(lo.as_long(), self.slots + 1)]

    def _elems_of_seq(self, e: ir.Node) -> bool:
        """``e`` is ``elems(s)`` of a sequence ``s``."""
        return (isinstance(e, ir.Call) and e.func == "elems" and len(e.args) == 1
                and isinstance(self.type_of(e.args[0]), SeqT))

    def elem_type(self, domain: ir.Node) -> Type:
        t = self.type_of(domain)
        if isinstance(t, (SetT, BagT)):
            return t.elem
        raise Unsupported(domain.id, f"symbolic checking cannot range over a {t}")

    def domain_values(self, domain: ir.Node, et: Type, env) -> list | None:
        """The candidate values (terms) of a binder, when they can be listed: a range with
        constant bounds, or a finite element type; None for a z3 quantifier. Under
        --seq-bound, through operators (``Proc`` for ``1..N``). Not without it: there,
        on mutex.mc's z3 sequences, unrolling them made bmc's depth 2 a query z3 did
        not stop within its time limit (a z3 quantifier it gives up on quickly)."""
        if self.slots is not None:
            domain, env = self.through_def(domain, env)
        if isinstance(domain, ir.Binary) and domain.op == "..":
            lo = z3.simplify(self.expr(domain.left, env))
            hi = z3.simplify(self.expr(domain.right, env))
            if z3.is_int_value(lo) and z3.is_int_value(hi) and hi.as_long() - lo.as_long() < 4096:
                return [z3.IntVal(i) for i in range(lo.as_long(), hi.as_long() + 1)]
            return None
        if self.sorts.finite(et):
            return [self.sorts.encode(et, v) for v in self.sorts.values(et)]
        return None

    def x_Quant(self, e, env):
        if e.kind == "choose":
            return self.choose(e, env)
        return self.bind(list(e.binders), env, lambda env2: self.expr(e.body, env2),
                         z3.And if e.kind == "forall" else z3.Or)

    def choose(self, e, env):
        """``choose x in S: P``: the first value, in the explicit checker's order, that is
        in S and satisfies P (an if-then-else chain over the element type's values). No
        witness is a runtime error for the explicit checker; here, as for the other
        runtime errors, the term is then some value (docs/symbolic.md)."""
        (b,) = e.binders
        et = self.elem_type(b.domain)
        if self.sorts.finite(et):
            terms = [self.sorts.encode(et, v) for v in sort_values(self.sorts.values(et))]
        elif isinstance(b.domain, ir.Binary) and b.domain.op == "..":
            terms = self.domain_values(b.domain, et, env)        # ascending, as the explicit order
        else:
            terms = None
        if terms is None:
            raise Unsupported(e.id, f"symbolic checking supports `choose` over a finite type or a constant range "
                                    f"only ({et.show()})")
        out = self.fresh("choose!none", et)
        for term in reversed(terms):
            env2 = dict(env)
            env2[b.name] = term
            out = z3.If(z3.And(self.member(b.domain, term, env), self.expr(e.body, env2)), term, out)
        return out

    def comprehension_exists(self, e, env, pred):
        """Whether some binding of the comprehension ``e`` satisfies its condition and ``pred``."""
        def body(env2):
            c = self.expr(e.cond, env2) if e.cond is not None else z3.BoolVal(True)
            return z3.And(c, pred(env2))
        return self.bind(list(e.binders), env, body, z3.Or)

    def x_SetLit(self, e, env):
        t = self.type_of(e)
        if self.sorts.slot_set(t):
            return self.ss_build(t, [(z3.BoolVal(True), self.expr(el, env)) for el in e.elems], e,
                                 what="a set literal")
        out = self.sorts.default(t)
        for el in e.elems:
            out = z3.Store(out, self.expr(el, env), True)
        return out

    def x_SetComp(self, e, env):
        t = self.type_of(e)
        if self.sorts.slot_set(t):
            return self.ss_comprehension(e, env)
        b = e.binders[0]
        if len(e.binders) == 1 and isinstance(e.elem, ir.Name) and e.elem.name == b.name:
            # a filter: { x for x in S if p }
            et = self.elem_type(b.domain)
            values = self.domain_values(b.domain, et, env)
            if values is not None:
                out = self.sorts.default(t)
                for v in values:
                    env2 = dict(env)
                    env2[b.name] = v
                    c = z3.And(self.member(b.domain, v, env),
                               self.expr(e.cond, env2) if e.cond is not None else z3.BoolVal(True))
                    out = z3.Store(out, v, z3.simplify(c))
                return out
            x = self.fresh(f"c!{b.name}", et)
            env2 = dict(env)
            env2[b.name] = x
            c = self.expr(e.cond, env2) if e.cond is not None else z3.BoolVal(True)
            return z3.Lambda([x], z3.And(self.member(b.domain, x, env), c))
        y = self.fresh("c!y", t.elem)
        return z3.Lambda([y], self.comprehension_exists(e, env, lambda env2: y == self.expr(e.elem, env2)))

    def x_FunComp(self, e, env):
        t = self.type_of(e)
        b = e.binders[0]
        if isinstance(t, FunT):
            if self.sorts.finite(t.dom):
                out = self.sorts.default(t)
                for v in self.sorts.values(t.dom):
                    zv = self.sorts.encode(t.dom, v)
                    env2 = dict(env)
                    env2[b.name] = zv
                    out = z3.Store(out, zv, self.expr(e.value, env2))
                return out
            x = self.fresh(f"f!{b.name}", t.dom)
            env2 = dict(env)
            env2[b.name] = x
            return z3.Lambda([x], self.expr(e.value, env2))
        # a map: { k: v for x in S if p } with the key the binder itself
        if len(e.binders) != 1 or not (isinstance(e.key, ir.Name) and e.key.name == b.name):
            raise Unsupported(e.id, "symbolic checking supports a map comprehension only as "
                              "`{ x: value for x in S if cond }` (the key is the bound name)")
        x = self.fresh(f"m!{b.name}", t.key)
        env2 = dict(env)
        env2[b.name] = x
        c = self.expr(e.cond, env2) if e.cond is not None else z3.BoolVal(True)
        inside = z3.And(self.member(b.domain, x, env), c)
        return z3.Lambda([x], z3.If(inside, self.sorts.some(t.val, self.expr(e.value, env2)), self.sorts.none(t.val)))

    def x_SeqLit(self, e, env):
        t = self.type_of(e)
        if self.slots is not None:
            return self.sq_build(t, [(z3.BoolVal(True), self.expr(el, env)) for el in e.elems], e)
        if not e.elems:
            return self.sorts.default(t)
        units = [z3.Unit(self.expr(el, env)) for el in e.elems]
        return units[0] if len(units) == 1 else z3.Concat(*units)

    def x_SeqComp(self, e, env):
        """``[ elem for x in s if cond ]`` with one binder: over a sequence ``s`` (a fold
        over it), over ``1..len(s)`` (a fold over ``s`` with the position), or over a range
        with constant bounds (unrolled)."""
        t = self.type_of(e)
        if len(e.binders) != 1:
            raise Unsupported(e.id, "symbolic checking supports a sequence comprehension with one binder only")
        b = e.binders[0]
        dt = self.type_of(b.domain)
        empty = self.sorts.default(t)

        def step(env2, acc):
            unit = z3.Unit(self.expr(e.elem, env2))
            if e.cond is None:
                return z3.Concat(acc, unit)
            return z3.If(self.expr(e.cond, env2), z3.Concat(acc, unit), acc)

        removed = self._remove_at(e, env)
        if removed is not None:
            return removed
        if self.slots is not None:
            return self._slot_comprehension(e, env)
        if isinstance(dt, SeqT) and e.cond is None:
            x = self.fresh(f"sc!{b.name}", dt.elem)
            env2 = dict(env)
            env2[b.name] = x
            return z3.SeqMap(z3.Lambda([x], self.expr(e.elem, env2)), self.expr(b.domain, env))
        if isinstance(dt, SeqT):
            x = self.fresh(f"sc!{b.name}", dt.elem)
            acc = z3.Const(f"acc!{next(self._fresh)}", self.sorts.sort(t))
            env2 = dict(env)
            env2[b.name] = x
            return z3.SeqFoldLeft(z3.Lambda([acc, x], step(env2, acc)), empty, self.expr(b.domain, env))
        d = b.domain
        if isinstance(d, ir.Binary) and d.op == "..":
            values = self.domain_values(d, IntT(), env)
            if values is not None:
                out = empty
                for v in values:
                    env2 = dict(env)
                    env2[b.name] = v
                    out = step(env2, out)
                return out
            lo = z3.simplify(self.expr(d.left, env))
            hi = d.right
            if (z3.is_int_value(lo) and isinstance(hi, ir.Call) and hi.func == "len" and len(hi.args) == 1):
                over = self.expr(hi.args[0], env)
                i = z3.Int(f"sc!{b.name}!{next(self._fresh)}")
                acc = z3.Const(f"acc!{next(self._fresh)}", self.sorts.sort(t))
                x = z3.Const(f"sc!x!{next(self._fresh)}", over.sort().basis())
                env2 = dict(env)
                env2[b.name] = i
                return z3.SeqFoldLeftI(z3.Lambda([i, acc, x], step(env2, acc)), lo, empty, over)
        raise Unsupported(e.id, "symbolic checking supports a sequence comprehension over a sequence, over "
                          "`lo..len(s)`, or over a range with constant bounds")

    def _slot_comprehension(self, e, env):
        """A sequence comprehension in slot form: over a sequence (one candidate per slot,
        up to its length), over ``lo..len(s)`` with a constant ``lo`` (the same), or over
        a range with constant bounds (one candidate per value)."""
        t = self.type_of(e)
        b = e.binders[0]
        dt = self.type_of(b.domain)

        def entry(env2, inside):
            env2 = {**env, **env2}
            self._guards.append(inside)
            try:
                c = self.expr(e.cond, env2) if e.cond is not None else z3.BoolVal(True)
                return z3.And(inside, c), self.guarded(c, e.elem, env2)
            finally:
                self._guards.pop()

        if isinstance(dt, SeqT):
            n, items = self._sq(dt, self.expr(b.domain, env))
            return self.sq_build(t, [entry({b.name: x}, j < n) for j, x in enumerate(items)], e)
        d = b.domain
        if isinstance(d, ir.Binary) and d.op == "..":
            values = self.domain_values(d, IntT(), env)
            if values is not None:
                return self.sq_build(t, [entry({b.name: v}, z3.BoolVal(True)) for v in values], e)
            lo = z3.simplify(self.expr(d.left, env))
            hi = d.right
            if z3.is_int_value(lo) and isinstance(hi, ir.Call) and hi.func == "len" and len(hi.args) == 1:
                n = self.sorts.seq_len(self.type_of(hi.args[0]), self.expr(hi.args[0], env))
                return self.sq_build(t, [entry({b.name: z3.IntVal(i)}, z3.IntVal(i) <= n)
                                         for i in range(lo.as_long(), self.slots + 1)], e)
        raise Unsupported(e.id, "symbolic checking supports a sequence comprehension over a sequence, over "
                          "`lo..len(s)`, or over a range with constant bounds")

    def _remove_at(self, e, env):
        """``[ s[k] for k in 1..len(s) if k != i ]`` (remove the i-th element, TLA+'s
        idiom) as two slices of ``s``: z3's folds are slow and, over symbolic lengths,
        fail; slices are native. None for any other shape."""
        b = e.binders[0]
        d, c, el = b.domain, e.cond, e.elem
        if not (isinstance(d, ir.Binary) and d.op == ".." and isinstance(d.left, ir.Lit) and d.left.value == 1
                and isinstance(d.right, ir.Call) and d.right.func == "len" and len(d.right.args) == 1):
            return None
        seq = d.right.args[0]
        if not (isinstance(el, ir.Index) and isinstance(el.key, ir.Name) and el.key.name == b.name
                and _same(el.base, seq)):
            return None
        if not (isinstance(c, ir.Binary) and c.op == "!=" and isinstance(c.left, ir.Name) and c.left.name == b.name
                and b.name not in {n.name for n in ir.walk(c.right) if isinstance(n, ir.Name)}):
            return None
        sv = self.expr(seq, env)
        i = self.expr(c.right, env)
        if self.slots is not None:
            return self.sq_remove(self.type_of(seq), sv, i)
        n = z3.Length(sv)
        inside = z3.And(1 <= i, i <= n)
        return z3.If(inside, z3.Concat(z3.SubSeq(sv, 0, i - 1), z3.SubSeq(sv, i, n - i)), sv)

    def x_TupleLit(self, e, env):
        return self.sorts.mk(self.type_of(e), [self.expr(x, env) for x in e.elems])

    def x_RecordLit(self, e, env):
        t = self.type_of(e)
        given = dict(e.fields)
        return self.sorts.mk(t, [self.expr(given[f], env) for f, _ in t.fields])

    def x_RecordUpdate(self, e, env):
        t = self.type_of(e)
        base = self.expr(e.base, env)
        given = dict(e.fields)
        return self.sorts.mk(t, [self.expr(given[f], env) if f in given else self.sorts.field(t, i, base)
                                 for i, (f, _) in enumerate(t.fields)])

    def x_Index(self, e, env):
        bt = self.type_of(e.base)
        base = self.expr(e.base, env)
        if isinstance(bt, TupleT):
            k = z3.simplify(self.expr(e.key, env)).as_long()
            return self.sorts.field(bt, k - 1, base)
        key = self.expr(e.key, env)
        if isinstance(bt, FunT):
            return z3.Select(base, key)
        if isinstance(bt, MapT):
            return self.sorts.val(bt.val, z3.Select(base, key))
        if isinstance(bt, SeqT):
            return self.sq_at(bt, base, key - 1) if self.slots is not None else base[key - 1]
        raise Unsupported(e.id, f"symbolic checking does not support indexing a {bt}")

    def x_Field(self, e, env):
        t = self.type_of(e.base)
        if isinstance(t, EnumT):
            # a named constructor argument: by the value's constructor; only when every
            # constructor has it (the explicit checker's error for one without it has no
            # term here)
            if not all(e.name in c.fields for c in t.constructors):
                raise Unsupported(e.id, f"symbolic checking reads `.{e.name}` only when every constructor of "
                                        f"{t.name} names it")
            v = self.expr(e.base, env)
            s = self.sorts.sort(t)
            out = None
            for i in reversed(range(len(t.constructors))):
                c = t.constructors[i]
                acc = s.accessor(i, c.field_index(e.name))(v)
                out = acc if out is None else z3.If(s.recognizer(i)(v), acc, out)
            return out
        return self.sorts.field(t, t.index(e.name), self.expr(e.base, env))

    def x_Call(self, e, env):
        r = self.c.refs[e.id]
        if r.kind == "def":
            return self.call_def(e, r.name, e.args, env)
        if r.kind == "ctor":
            return self.sorts.ctor(r.type, r.name)(*[self.expr(a, env) for a in e.args])
        if r.kind == "builtin":
            return self.builtin(e, r.name, env)
        raise Unsupported(e.id, f"symbolic checking does not support calling `{e.func}`")

    def call_def(self, e, name, args, env):
        d = self.defs[name]
        env2 = {k: v for k, v in env.items() if k.startswith("$")}
        for p, a in zip(d.params, args):
            env2[p.name] = self.expr(a, env)
        return self.expr(d.body, env2)

    def x_Temporal(self, e, env):
        raise Unsupported(e.id, "temporal formulas are not checked symbolically (use `modelcheck check`)")

    # built-ins ------------------------------------------------------------------

    def builtin(self, e, name, env):
        args = e.args
        ats = [self.type_of(a) for a in args]
        t = self.type_of(e)
        if name == "size":
            at = ats[0]
            if isinstance(at, SeqT):
                v = self.expr(args[0], env)
                return self.sorts.seq_len(at, v) if self.slots is not None else z3.Length(v)
            if self.sorts.slot_set(at):
                return self.sorts.set_size(at, self.expr(args[0], env))
            if isinstance(at, (SetT, MapT, BagT)):
                elem = at.key if isinstance(at, MapT) else at.elem
                if isinstance(elem, ModelT) and elem.name in self.sorts.uninterpreted:
                    raise Unsupported(e.id, f"`size` of a set of {elem.name} is arithmetic on the size of a "
                                      f"model set: it leaves the decidable fragment of --for-all-sizes",
                                      Code.NOT_DECIDABLE)
                if not self.sorts.finite(elem):
                    raise Unsupported(e.id, f"symbolic checking supports `size` only over a finite element "
                                      f"type (this one is {elem})")
                a = self.expr(args[0], env)
                terms = []
                for v in self.sorts.values(elem):
                    x = z3.Select(a, self.sorts.encode(elem, v))
                    if isinstance(at, SetT):
                        terms.append(z3.If(x, 1, 0))
                    elif isinstance(at, MapT):
                        terms.append(z3.If(self.sorts.is_some(at.val, x), 1, 0))
                    else:
                        terms.append(x)
                return z3.Sum(terms) if terms else z3.IntVal(0)
        a = [self.expr(x, env) for x in args] if name not in ("size",) else None
        if self.slots is not None and ats and isinstance(ats[0], SeqT):
            st = ats[0]
            if name == "put":
                return self.sq_put(st, *a)
            if name == "len":
                return self.sorts.seq_len(st, a[0])
            if name == "head":
                return self.sq_at(st, a[0], z3.IntVal(0))
            if name == "last":
                return self.sq_at(st, a[0], self.sorts.seq_len(st, a[0]) - 1)
            if name == "tail":
                return self.sq_tail(st, a[0])
            if name == "append":
                return self.sq_append(st, a[0], a[1], e)
            if name == "subseq":
                return self.sq_subseq(st, a[0], a[1], a[2])
            if name == "elems" and self.sorts.slot_set(t):
                n, items = self._sq(st, a[0])
                return self.ss_build(t, [(j < n, x) for j, x in enumerate(items)], e, what="elems")
            if name == "elems":
                x = self.fresh("el", st.elem)
                n, items = self._sq(st, a[0])
                return z3.Lambda([x], z3.Or([z3.And(j < n, self.eq(st.elem, it, x)) for j, it in enumerate(items)]))
        if name in ("union", "intersect", "diff") and self.sorts.slot_set(t):
            return self.ss_op(name, t, a[0], a[1], e)
        if self.sorts.slot_set(t) or (ats and self.sorts.slot_set(ats[0]) and name not in (
                "subseteq", "isEmpty")):
            raise Unsupported(e.id, f"under --set-bound, symbolic checking does not support `{name}` of a set "
                                    f"over an infinite type")
        if name in ("union", "intersect", "diff", "subseteq"):
            if name == "subseteq":
                return self.subseteq(ats[0], a[0], a[1])
            return {"union": z3.SetUnion, "intersect": z3.SetIntersect, "diff": z3.SetDifference}[name](a[0], a[1])
        if name == "isEmpty":
            return self.eq(ats[0], a[0], self.sorts.default(ats[0]))
        if name in ("min", "max"):
            if len(a) == 2:
                return z3.If(a[0] <= a[1], a[0], a[1]) if name == "min" else z3.If(a[0] >= a[1], a[0], a[1])
            et = ats[0].elem
            if isinstance(et, ModelT) and et.name not in self.sorts.uninterpreted:
                # model values in declaration order, as the explicit-state checker orders them
                order = range(len(et.names)) if name == "min" else range(len(et.names) - 1, -1, -1)
                out = self.sorts.default(et)
                for v in reversed(order):
                    out = z3.If(z3.Select(a[0], self.sorts.encode(et, v)), self.sorts.encode(et, v), out)
                return out
            if not (isinstance(et, IntT) and et.bounded):
                raise Unsupported(e.id, f"symbolic checking supports `{name}` of a set only over a `lo..hi` range")
            order = range(et.lo, et.hi + 1) if name == "min" else range(et.hi, et.lo - 1, -1)
            out = self.sorts.default(et)
            for v in reversed(order):
                out = z3.If(z3.Select(a[0], v), z3.IntVal(v), out)
            return out
        if name == "abs":
            return z3.If(a[0] >= 0, a[0], -a[0])
        if name == "keys":
            mt = ats[0]
            x = self.fresh("k", mt.key)
            return z3.Lambda([x], self.sorts.is_some(mt.val, z3.Select(a[0], x)))
        if name == "has":
            mt = ats[0]
            return self.sorts.is_some(mt.val, z3.Select(a[0], a[1]))
        if name == "put":
            bt = ats[0]
            if isinstance(bt, FunT):
                return z3.Store(a[0], a[1], a[2])
            if isinstance(bt, MapT):
                return z3.Store(a[0], a[1], self.sorts.some(bt.val, a[2]))
            if isinstance(bt, SeqT):
                s, i, x = a
                return z3.Concat(z3.SubSeq(s, 0, i - 1), z3.Unit(x), z3.SubSeq(s, i, z3.Length(s) - i))
        if name == "remove":
            bt = ats[0]
            if isinstance(bt, MapT):
                return z3.Store(a[0], a[1], self.sorts.none(bt.val))
            if isinstance(bt, BagT):
                return z3.Store(a[0], a[1], z3.Select(a[0], a[1]) - 1)
        if name == "map" or name == "bag":
            return self.sorts.default(t)
        if name == "len":
            return z3.Length(a[0])
        if name == "head":
            return a[0][0]
        if name == "last":
            return a[0][z3.Length(a[0]) - 1]
        if name == "tail":
            return z3.SubSeq(a[0], 1, z3.Length(a[0]) - 1)
        if name == "append":
            return z3.Concat(a[0], z3.Unit(a[1]))
        if name == "subseq":
            return z3.SubSeq(a[0], a[1] - 1, a[2] - a[1] + 1)
        if name == "elems":
            bt = ats[0]
            x = self.fresh("el", bt.elem)
            if isinstance(bt, BagT):
                return z3.Lambda([x], z3.Select(a[0], x) > 0)
            return z3.Lambda([x], z3.Contains(a[0], z3.Unit(x)))
        if name == "add":
            return z3.Store(a[0], a[1], z3.Select(a[0], a[1]) + 1)
        if name == "count":
            return z3.Select(a[0], a[1])
        if name == "powerset":
            x = self.fresh("ps", ats[0])
            return z3.Lambda([x], self.subseteq(ats[0], x, a[0]))
        raise Unsupported(e.id, f"symbolic checking does not support the built-in `{name}`")

    # ------------------------------------------------------------------ blocks

    def init(self, post: list) -> Any:
        """The formula of ``init``: every assignment path, the post-state equal to it."""
        self._obligations = []
        self._cap, self._setcap, self._pc = [], [], []
        env = {"$s": None, "$p": None}
        try:
            f = self.block(list(self.c.init.body.stmts), env, {}, [], lambda assigned: z3.And(
                [self.eq(self.var_types[i], post[i], assigned[i]) for i in range(len(post))]), range_checks=False)
            self.init_capacity = [c for c, _ in self._cap + self._setcap]
        finally:
            self._obligations = None
            self._cap, self._setcap, self._pc = None, None, []
        return f

    def action(self, a: ir.ActionDecl, pre: list, post: list, tag: str) -> ActionEncoding:
        """The transition formula of action ``a`` from ``pre`` to ``post``."""
        self._obligations = []
        self._cap, self._setcap, self._pc = [], [], []
        params = []
        env: dict = {"$s": pre, "$p": None}
        guards = []
        for b in a.params:
            et = self.elem_type(b.domain)
            x = z3.Const(f"{tag}!{a.name}!{b.name}", self.sorts.sort(et))
            guards.append(self.member(b.domain, x, env))
            guards.extend(self._wf(et, x, False) + self.shape(et, x))     # as for a pick (see block)
            env[b.name] = x
            params.append((b.name, x, et))
        n = len(pre)

        def emit(assigned):
            return z3.And([self.eq(self.var_types[i], post[i], assigned.get(i, pre[i])) for i in range(n)])

        try:
            self._pc = list(guards)
            body = self.block(list(a.body.stmts), env, {}, list(guards), emit, range_checks=True)
            obligations, cap, setcap = self._obligations, self._cap, self._setcap
        finally:
            self._obligations, self._cap, self._setcap, self._pc = None, None, None, []
        if cap:
            # one obligation for every sequence the action builds: it fits the slots
            obligations.append(Obligation("capacity", a.name, f"{a.name} builds a sequence longer than the "
                                          f"{self.slots} slots of --seq-bound {self.seq_bound}",
                                          z3.Or([c for c, _ in cap]), cap[0][1]))
        if setcap:
            # one obligation for every set the action builds: it fits the slots
            obligations.append(Obligation("set-capacity", a.name, f"{a.name} builds a set larger than the "
                                          f"{self.set_bound} slots of --set-bound {self.set_bound}",
                                          z3.Or([c for c, _ in setcap]), setcap[0][1]))
        return ActionEncoding(a.name, z3.And(guards + [body]), params, obligations)

    def block(self, stmts: list, env: dict, assigned: dict, pc: list, emit, range_checks: bool):
        for k, st in enumerate(stmts):
            rest = stmts[k + 1:]
            self._pc = pc
            if isinstance(st, ir.Require):
                c = self.expr(st.cond, env)
                return z3.And(c, self.block(rest, env, assigned, pc + [c], emit, range_checks))
            if isinstance(st, ir.LetStmt):
                env = dict(env)
                env[st.name] = self.expr(st.value, env)
                continue
            if isinstance(st, ir.Pick):
                b = st.binder
                et = self.elem_type(b.domain)
                x = self.fresh(f"pick!{b.name}", et)
                # a value of the element type: the sort is wider (erased bounds), and a set's
                # entries outside the type are unconstrained (states compare in-type keys)
                m = z3.And([self.member(b.domain, x, env)] + self._wf(et, x, False) + self.shape(et, x))
                env2 = dict(env)
                env2[b.name] = x
                return z3.And(m, self.block(rest, env2, assigned, pc + [m], emit, range_checks))
            if isinstance(st, ir.Either):
                return z3.Or([self.block(list(br.stmts) + rest, env, dict(assigned), pc, emit, range_checks)
                              for br in st.branches])
            if isinstance(st, ir.IfStmt):
                c = self.static_bool(st.cond, env)
                if c is not None:
                    branch = st.then if c else st.else_
                    return self.block(list(branch.stmts) + rest, env, assigned, pc, emit, range_checks)
                c = self.expr(st.cond, env)
                return z3.Or(
                    z3.And(c, self.block(list(st.then.stmts) + rest, env, dict(assigned), pc + [c], emit, range_checks)),
                    z3.And(z3.Not(c), self.block(list(st.else_.stmts) + rest, env, dict(assigned),
                                                 pc + [z3.Not(c)], emit, range_checks)))
            if isinstance(st, ir.Assign):
                i = self.c.var_index(st.var)
                v = self.expr(st.value, env)
                if range_checks and self._obligations is not None:
                    wf = self._wf(self.var_types[i], v, False, self.seq_bound)
                    if wf:
                        bound = "" if self.seq_bound is None else f" or a sequence in it is longer than the --seq-bound {self.seq_bound}"
                        self._obligations.append(Obligation(
                            "range", st.var, f"the value assigned to {st.var} is outside its type "
                            f"{self.var_types[i]}{bound}", z3.And(pc + [z3.Not(z3.And(wf))]), st.id))
                assigned = dict(assigned)
                assigned[i] = v
                continue
            if isinstance(st, ir.Assert):
                c = self.expr(st.cond, env)
                if self._obligations is not None:
                    sp = self.c.module.spans.get(st.id)
                    name = f"Assertion@{sp.line}:{sp.col}" if sp else "Assertion"
                    self._obligations.append(Obligation("assertion", name, st.message or "assertion failed",
                                                        z3.And(pc + [z3.Not(c)]), st.id))
                continue
            raise Unsupported(st.id, f"symbolic checking does not support the statement {type(st).__name__}")
        return emit(assigned)

    # ------------------------------------------------------------------ properties

    def predicate(self, body: ir.Node, s: list, p: list | None = None):
        return self.expr(body, {"$s": s, "$p": p})


def _same(a: ir.Node, b: ir.Node) -> bool:
    """Whether two expressions are the same text (ids aside)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, ir.Node):
        from dataclasses import fields

        return all(f.name == "id" or _same(getattr(a, f.name), getattr(b, f.name)) for f in fields(a))
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _floordiv(a, b):
    # z3's integer division is Euclidean; the language's `/` is floor division
    return z3.If(b > 0, a / b, (-a) / (-b))


def _state_free(e: ir.Node, enc: Encoder, seen: set | None = None) -> bool:
    """Whether ``e`` reads no state variable and no local name (through operators too)."""
    seen = set() if seen is None else seen
    for m in ir.walk(e):
        if isinstance(m, (ir.Primed, ir.Prime)):
            return False
        if isinstance(m, (ir.Name, ir.Call)):
            r = enc.c.refs.get(m.id)
            if r is None:
                continue
            if r.kind in ("var", "local"):
                return False
            if r.kind == "def" and r.name not in seen:
                seen.add(r.name)
                if not _state_free(enc.defs[r.name].body, enc, seen):
                    return False
        if isinstance(m, (ir.Quant, ir.SetComp, ir.SeqComp, ir.FunComp, ir.Let)):
            return False
    return True


def _capacity(checked: Checked, seq_bound: int) -> int:
    """The slots of every sequence under ``--seq-bound``: the bound, or the largest
    ``seq[T, N]`` among the spec's variables and expressions if that is larger."""
    types = [t for _, t in checked.variables] + list(checked.types.values())
    return max([seq_bound] + [x.max_len for t in types for x in nested(t)
                              if isinstance(x, SeqT) and x.max_len is not None])


def _array_indices(t: Type, sorts: Sorts) -> list:
    """The index types of the arrays in a value of ``t`` (a function's domain, a map's
    key, a bag's element, an array set's element)."""
    out: list = []
    for x in nested(t):
        if isinstance(x, FunT):
            out.append(x.dom)
        elif isinstance(x, MapT):
            out.append(x.key)
        elif isinstance(x, (SetT, BagT)) and not sorts.slot_set(x):
            out.append(x.elem)
    return out


def holds_slot_set(t: Type, sorts: Sorts) -> bool:
    """Whether a value of ``t`` can hold a set in slot form."""
    from ..types import contains

    return contains(t, sorts.slot_set)
