"""A spec made ready for z3: its encoder, its properties as predicates over states, and
turning a z3 model back into states and action labels of the explicit model.

Both :mod:`.bmc` and :mod:`.prove` start from a :class:`Problem`. A trace found by z3 is
decoded into explicit states and then *replayed* through the compiled model's successor
function to find each step's label: a step that the explicit model does not have is a
disagreement between the two backends and is reported as an internal error, never
printed as a counterexample.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from .. import ir
from ..model import ActionAssertionFailed
from ..result import Trace
from .encode import Encoder, Unsupported, spec_error
from .sorts import Sorts


class Disagreement(Exception):
    """z3 produced a step the explicit successor function does not have (a bug in one
    of the two backends)."""


@dataclass(frozen=True)
class Prop:
    decl: ir.PropertyDecl

    @property
    def name(self) -> str:
        return self.decl.name

    @property
    def cls(self) -> str:
        return self.decl.cls or ""


class Problem:
    """``spec`` (a :class:`modelcheck.api.Spec`) encoded for z3. ``uninterpreted``: the
    model sets that are uninterpreted sorts (``--for-all-sizes``); ``seq_bound`` and
    ``set_bound``: see :attr:`Encoder.seq_bound` and :attr:`Encoder.set_bound`. Raises
    :class:`~modelcheck.diagnostics.SpecError` (MC500/MC501) for what it cannot encode."""

    def __init__(self, spec, uninterpreted: frozenset[str] = frozenset(), seq_bound: int | None = None,
                 set_bound: int | None = None):
        self.spec = spec
        self.checked = spec.checked
        try:
            self.enc = Encoder(self.checked, Sorts(uninterpreted), seq_bound, set_bound)
        except Unsupported as u:
            raise spec_error(self.checked, u) from None
        props = self.checked.properties
        self.invariants = [Prop(p) for p in props if p.kind == "invariant"]
        self.steps = [Prop(p) for p in props if p.kind == "step"]
        self.constraints = [Prop(p) for p in props if p.kind == "constraint"]
        self.temporal = [Prop(p) for p in props if p.kind == "temporal"]
        self.actions = list(self.checked.actions)
        #: formulas shared by several queries, encoded once (see prove._hypothesis)
        self.cache: dict = {}
        # the variables each step property reads: the compiler's own count (through
        # operators), which the explicit search uses for the same [][P]_v rule
        n = len(self.checked.variables)
        self._step_reads = {sp.name: sp.reads if sp.reads is not None else tuple(range(n))
                            for sp in spec.model.step_properties}

    def guard(self, fn, *args):
        """Run an encoding step, turning :class:`Unsupported` into a located SpecError."""
        try:
            return fn(*args)
        except Unsupported as u:
            raise spec_error(self.checked, u) from None

    # ------------------------------------------------------------------ formulas

    def state(self, tag: str) -> list:
        return self.enc.state(tag)

    def holds(self, prop: Prop, s: list, p: list | None = None):
        return self.guard(self.enc.predicate, prop.decl.body, s, p)

    def within_constraints(self, s: list) -> list:
        return [self.holds(c, s) for c in self.constraints]

    def step_violated(self, prop: Prop, s: list, t: list):
        """The step property fails on ``s -> t`` (TLA+'s ``[][P]_v``: only a step that
        changes a variable ``P`` reads can fail it)."""
        reads = self._step_reads[prop.name]
        changed = z3.Or([z3.Not(self.enc.eq(self.enc.var_types[i], s[i], t[i])) for i in reads])
        return z3.And(changed, z3.Not(self.holds(prop, s, t)))

    def init(self, s: list):
        return self.guard(self.enc.init, s)

    def action(self, a: ir.ActionDecl, s: list, t: list, tag: str):
        return self.guard(self.enc.action, a, s, t, tag)

    def encode_state(self, state: tuple) -> list:
        return [self.enc.sorts.encode(t, v) for t, v in zip(self.enc.var_types, state)]

    def equals(self, terms: list, state: tuple):
        """The formula: the state ``terms`` is the explicit ``state``."""
        return z3.And([self.enc.eq(t, x, v) for t, x, v in zip(self.enc.var_types, terms, self.encode_state(state))])

    # ------------------------------------------------------------------ decoding

    def decode(self, m: z3.ModelRef, s: list, universe: dict | None = None) -> tuple:
        return tuple(self.enc.sorts.decode(t, x, m, universe) for t, x in zip(self.enc.var_types, s))

    def label_of(self, model, state: tuple, nxt: tuple, action: str | None = None, params: tuple = ()) -> int:
        """The label of the explicit step ``state -> nxt`` (raises :class:`Disagreement`);
        of ``action`` with the printed ``params`` when it is one of several that match."""
        found = [lab for lab, su in model.successors(state) if su == nxt]
        if action is not None:
            mine = [lab for lab in found if model.describe(lab).action == action]
            exact = [lab for lab in mine if tuple(model.describe(lab).params) == tuple(params)]
            found = exact or mine or found
        if found:
            return found[0]
        raise Disagreement(f"z3 found a step the explicit model does not have:\n  from {model.show_state(state)}"
                           f"\n  to   {model.show_state(nxt)}")

    def trace(self, m: z3.ModelRef, states: list) -> Trace:
        """Decode the states ``states`` (z3 terms) of a path and label its steps."""
        model = self.spec.model
        decoded = [self.decode(m, s) for s in states]
        if decoded[0] not in set(model.initial_states()):
            raise Disagreement(f"z3 found an initial state the explicit model does not have: "
                               f"{model.show_state(decoded[0])}")
        labels: list[Any] = [None]
        for a, b in zip(decoded, decoded[1:]):
            labels.append(self.label_of(model, a, b))
        return Trace(tuple(decoded), tuple(labels))

    def beyond_bound(self, state: tuple, action: str):
        """Under ``--seq-bound``: an explicit step of ``action`` from ``state`` to a state
        with a sequence longer than the bound (than the slots, inside a set, a map or a
        bag): (its label, the state, a message), or None (also when the explicit model
        fails there: ``failing_label`` explains that)."""
        model = self.spec.model
        try:
            succ = model.successors(state)
        except Exception:  # noqa: BLE001 - an explicit failure, not a step beyond the bound
            return None
        for lab, nxt in succ:
            if model.describe(lab).action != action:
                continue
            for i, ((name, t), v) in enumerate(zip(self.checked.variables, nxt)):
                beyond = self.beyond(t, v)
                if beyond is not None:
                    return lab, nxt, f"{action} makes {name} {model.show_value(i, v)}: {beyond}"
        return None

    def beyond(self, t, v) -> str | None:
        """What in the value ``v`` of type ``t`` is beyond --seq-bound or --set-bound, or None."""
        if self.enc.seq_bound is not None:
            n = too_long(t, v, self.enc.seq_bound, self.enc.slots)
            if n is not None:
                return f"a sequence of {n} elements, longer than --seq-bound {self.enc.seq_bound} allows"
        if self.enc.set_bound is not None:
            n = too_big(t, v, self.enc.sorts)
            if n is not None:
                return f"a set of {n} elements, larger than --set-bound {self.enc.set_bound} allows"
        return None

    def failing_label(self, state: tuple) -> tuple[int | None, str]:
        """Run the explicit successor function on ``state``, where z3 says an action
        fails: the label of the failed assertion (or None) and the explicit message."""
        try:
            self.spec.model.successors(state)
        except ActionAssertionFailed as e:
            return e.label, e.message
        except Exception as e:  # a runtime error: the explicit model explains it
            explained = self.spec.model.explain(state, e)
            return None, str(explained)
        raise Disagreement("z3 found a failing step the explicit model takes without failing, from "
                           + self.spec.model.show_state(state))


def too_big(t, v, sorts: Sorts) -> int | None:
    """The size of a set in slot form (:meth:`Sorts.slot_set`) in the value ``v`` of type
    ``t`` larger than --set-bound, or None."""
    from ..types import BagT, EnumT, FunT, MapT, RecordT, SeqT, SetT, TupleT

    def first(pairs):
        for pt, x in pairs:
            n = too_big(pt, x, sorts)
            if n is not None:
                return n
        return None

    if sorts.slot_set(t) and len(v) > sorts.set_slots:
        return len(v)
    if isinstance(t, (SeqT, SetT, BagT)):
        return first([(t.elem, x) for x in v])
    if isinstance(t, FunT):
        return first([(t.cod, x) for x in v])
    if isinstance(t, MapT):
        return first([(t.val, x) for x in v.values()])
    if isinstance(t, (TupleT, RecordT)):
        parts = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
        return first(list(zip(parts, v)))
    if isinstance(t, EnumT) and not isinstance(v, str):
        return first(list(zip(t.constructor(v[0]).args, v[1:])))
    return None


def too_long(t, v, bound: int, slots: int) -> int | None:
    """The length of a sequence in the value ``v`` of type ``t`` longer than its bound (a
    ``seq[T, N]``'s N, else ``bound``; ``slots`` inside a set, a map or a bag), or None."""
    from ..types import BagT, EnumT, FunT, MapT, RecordT, SeqT, SetT, TupleT

    def first(pairs, b):
        for pt, x in pairs:
            n = too_long(pt, x, b, slots)
            if n is not None:
                return n
        return None

    if isinstance(t, SeqT):
        if len(v) > (t.max_len if t.max_len is not None else bound):
            return len(v)
        return first([(t.elem, x) for x in v], bound)
    if isinstance(t, FunT):
        return first([(t.cod, x) for x in v], bound)
    if isinstance(t, (SetT, BagT)):
        return first([(t.elem, x) for x in v], slots)
    if isinstance(t, MapT):
        return first([(t.val, x) for x in v.values()], slots)
    if isinstance(t, (TupleT, RecordT)):
        parts = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
        return first(list(zip(parts, v)), bound)
    if isinstance(t, EnumT) and not isinstance(v, str):
        return first(list(zip(t.constructor(v[0]).args, v[1:])), bound)
    return None
