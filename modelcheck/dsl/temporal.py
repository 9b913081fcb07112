"""The shapes of temporal formulas the checker decides, recognised on the syntax tree.

A ``temporal`` property is a conjunction (``and``, ``forall x in S:``) of these forms,
where P and Q are state predicates (no temporal operator, no primed variable):

| written | kind | meaning |
|---|---|---|
| ``eventually P`` | eventually | <>P |
| ``always eventually P`` | always_eventually | []<>P: P holds infinitely often |
| ``eventually always P`` | eventually_always | <>[]P: from some point on, P holds forever |
| ``P ~> Q``, ``always (P implies eventually Q)`` | leadsto | every P state is followed by a Q state |
| ``always P`` | always | []P (an invariant) |
| ``reachable P`` | reachable | some reachable state satisfies P (not LTL) |

Anything else is error MC281, which lists these forms. Used by the static checker (to
report) and the compiler (to build :class:`~modelcheck.model.TemporalProperty` parts).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir

FORMS = ("`eventually P`, `always eventually P`, `eventually always P`, `P ~> Q`, "
         "`always (P implies eventually Q)`, `always P`, `reachable P`, and `and` / `forall x in S:` "
         "of these, with P and Q free of temporal operators")


@dataclass(frozen=True)
class Part:
    kind: str
    p: ir.Node
    q: ir.Node | None
    #: the ``forall`` binders around the part, outermost first
    binders: tuple[ir.Binder, ...] = ()


class Unsupported(Exception):
    def __init__(self, node: ir.Node, why: str):
        super().__init__(why)
        self.node = node
        self.why = why


def _temporal_free(e: ir.Node) -> bool:
    return not any(isinstance(n, (ir.Temporal, ir.Primed, ir.Prime)) for n in ir.walk(e))


def _is(e, op):
    return isinstance(e, ir.Temporal) and e.op == op


def classify(body: ir.Node) -> list[Part]:
    """The parts of a temporal property (raises :class:`Unsupported`)."""
    out: list[Part] = []
    _classify(body, (), out)
    return out


def _classify(e: ir.Node, binders: tuple, out: list[Part]) -> None:
    if isinstance(e, ir.Quant) and e.kind == "forall" and not _temporal_free(e.body):
        _classify(e.body, binders + tuple(e.binders), out)
        return
    if isinstance(e, ir.Binary) and e.op == "and" and not _temporal_free(e):
        _classify(e.left, binders, out)
        _classify(e.right, binders, out)
        return
    out.append(_form(e, binders))


def _state(e: ir.Node, whole: ir.Node) -> ir.Node:
    if not _temporal_free(e):
        raise Unsupported(e, "temporal operators nest only as `always eventually`, `eventually always` "
                             "or `always (P implies eventually Q)`")
    return e


def _form(e: ir.Node, binders: tuple) -> Part:
    if not isinstance(e, ir.Temporal):
        raise Unsupported(e, "this part of a temporal property is not one of the supported forms")
    (a, *rest) = e.args
    if e.op == "leadsto":
        return Part("leadsto", _state(a, e), _state(rest[0], e), binders)
    if e.op == "reachable":
        return Part("reachable", _state(a, e), None, binders)
    if e.op == "eventually":
        if _is(a, "always"):
            return Part("eventually_always", _state(a.args[0], e), None, binders)
        return Part("eventually", _state(a, e), None, binders)
    if e.op == "always":
        if _is(a, "eventually"):
            return Part("always_eventually", _state(a.args[0], e), None, binders)
        if isinstance(a, ir.Binary) and a.op == "implies" and _is(a.right, "eventually"):
            return Part("leadsto", _state(a.left, e), _state(a.right.args[0], e), binders)
        return Part("always", _state(a, e), None, binders)
    raise Unsupported(e, f"unknown temporal operator {e.op}")  # pragma: no cover
