"""The sequence-chart clauses of a compiled spec, evaluated per step.

An action header may say which process acts (``process(rm)``, ``process("TM")``),
which messages it sends and receives (``sends(Prepared(rm))``, ``receives(Commit)``)
and whether it crashes or restarts its process (docs/language.md, "Processes and
messages"). :class:`Roles` compiles those expressions (through the compiler's
``expr_function``, on first use: the search never pays for them) and answers
:meth:`Roles.step_roles` for a step of a trace, as the model protocol's optional
``step_roles`` (:class:`modelcheck.model.StepRoles`).

Lanes: a process named by a string is its own lane; a process expression of a type
groups its values into lanes sorted by value. Groups come in the order in which the
actions (in declaration order) first name them. A message is keyed by its type and
value, so a receive matches a send of an equal value of the same type; a clause of a
set type sends or receives each element.

Depends on the checker's output, types, values and the model protocol.
"""

from __future__ import annotations

from typing import Any

from .. import ir
from ..model import Lane, StepRoles
from ..types import SetT, Type, domain_values, is_indexable
from ..values import show, sort_values, vkey

#: a finite process type with at most this many values gets every lane drawn, even
#: the lanes of processes that do not act in a trace
ALL_LANES_LIMIT = 16


class Roles:
    def __init__(self, model):
        self.model = model
        checked = model.checked
        self.types = checked.types
        self.index = {a.name: ai for ai, a in enumerate(checked.actions)}
        self.groups: dict[Any, int] = {}
        #: per action index: (process spec, [(fn, type) sends], [(fn, type) receives], event)
        self.specs: dict[int, tuple] = {}
        self._all: list[Lane] = []
        for ai, a in enumerate(checked.actions):
            if not a.clauses:
                continue
            proc = None
            sends, receives, event = [], [], None
            names = tuple(p.name for p in a.params)
            for c in a.clauses:
                if c.kind == "process":
                    if c.value is None:
                        g = self._group(("name", c.name))
                        proc = ("name", Lane(g, 0, c.name))
                        self._add_lane(proc[1])
                    else:
                        t = self.types[c.value.id]
                        g = self._group(("type", t))
                        proc = ("expr", c.value, names, t, g)
                        if is_indexable(t):
                            dom = domain_values(t)
                            if len(dom) <= ALL_LANES_LIMIT:
                                for v in dom:
                                    self._add_lane(Lane(g, vkey(v), show(v, t)))
                elif c.kind in ("sends", "receives"):
                    (sends if c.kind == "sends" else receives).append((c.value, names, self.types[c.value.id]))
                elif c.kind == "crashes":
                    event = "crash"
                elif c.kind == "restarts":
                    event = "restart"
            self.specs[ai] = (proc, sends, receives, event)
        self._fns: dict[int, Any] = {}

    def _group(self, key) -> int:
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = len(self.groups)
        return g

    def _add_lane(self, lane: Lane) -> None:
        if lane not in self._all:
            self._all.append(lane)

    def lanes(self) -> list[Lane]:
        return sorted(self._all)

    def _fn(self, expr: ir.Node, names: tuple[str, ...]):
        fn = self._fns.get(expr.id)
        if fn is None:
            fn = self._fns[expr.id] = self.model.expr_function(expr, names)
        return fn

    def _messages(self, clauses, state, values) -> tuple[tuple[Any, str], ...]:
        out = []
        for expr, names, t in clauses:
            v = self._fn(expr, names)(state, *values)
            if isinstance(t, SetT):
                out.extend(((t.elem, x), show(x, t.elem)) for x in sort_values(v))
            else:
                out.append(((t, v), show(v, t)))
        return tuple(out)

    def step_roles(self, label: int, state) -> StepRoles | None:
        info = self.model.describe(label)
        ai = self.index.get(info.action)
        spec = self.specs.get(ai)
        if spec is None:
            return None
        proc, sends, receives, event = spec
        values = tuple(info.values)
        lane = None
        if proc is not None:
            if proc[0] == "name":
                lane = proc[1]
            else:
                _, expr, names, t, g = proc
                v = self._fn(expr, names)(state, *values)
                lane = Lane(g, vkey(v), show(v, t))
        return StepRoles(lane, self._messages(sends, state, values), self._messages(receives, state, values),
                         event)


def message_type(t: Type) -> Type:
    """What one message of a ``sends`` / ``receives`` clause of type ``t`` is."""
    return t.elem if isinstance(t, SetT) else t
