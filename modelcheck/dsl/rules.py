"""The checker's rules phase: what is well-typed but still wrong.

``init`` and actions (primes only where a next state exists, one update per variable on
each path, ``init`` assigns every variable), sequence-chart clauses, properties (classes,
temporal shapes), fairness, symmetry, names left unresolved, and unused variables (a
warning).

Depends on :mod:`modelcheck.dsl.checkcore` and what it depends on.
"""

from __future__ import annotations

from .. import ir
from ..diagnostics import Code, Diagnostic
from ..types import FunT, MapT, SetT, Type
from ..model import SPEC_CLASSES
from .checkcore import Ctx, describe_origin, ERR, ErrT, KIND_WORDS, names_list


class RulesPhase:
    """A mixin of :class:`~modelcheck.dsl.check._Checker` (state in :class:`~modelcheck.dsl.checkcore.CheckerCore`)."""

    # ------------------------------------------------------------------ blocks

    def check_init(self, init: ir.InitDecl) -> None:
        ctx = Ctx("init", prime_msg="cannot appear in `init`: there is no next state yet")
        maybe, must = self.check_block(init.body, ctx, {}, frozenset(), init=True)
        if len(self.inits) > 1 and init is not self.inits[0]:
            return
        missing = [n for n in self.var_types if n not in must]
        if missing:
            never = [n for n in missing if n not in maybe]
            some = [n for n in missing if n in maybe]
            parts = []
            if never:
                parts.append(names_list(never) + (" is" if len(never) == 1 else " are") + " never assigned")
            if some:
                parts.append(names_list(some) + (" is" if len(some) == 1 else " are")
                             + " not assigned on every path")
            self.error(Code.INIT_INCOMPLETE, "`init` must assign every variable: " + "; ".join(parts),
                       self.head_span(init, 4))

    def check_action(self, a: ir.ActionDecl) -> None:
        ctx = Ctx("action", prime_msg="cannot be read in an action: conditions and right-hand "
                   "sides see the current state")
        ctx = self.bind_binders(a.params, ctx)
        self.check_block(a.body, ctx, {}, frozenset(), init=False)
        if a.clauses:
            self.check_clauses(a, ctx)

    # ------------------------------------------------------------------ sequence-chart clauses

    def check_clauses(self, a: ir.ActionDecl, ctx: Ctx) -> None:
        """``process(p)``, ``sends(m)``, ``receives(m)``, ``crashes``, ``restarts``: they
        see the action's parameters and the current state (no primes). Each kind but
        sends / receives at most once (MC290); ``crashes`` and ``restarts`` exclude each
        other (MC290) and need a ``process`` (MC291). Message types are compared across
        the spec once every action is checked (:meth:`check_messages`)."""
        ctx = Ctx("action", dict(ctx.locals), prime_msg="cannot appear in a `process`, `sends` or "
                   "`receives` clause: it is read in the state the action starts from")
        seen: dict[str, ir.ActionClause] = {}
        for c in a.clauses:
            if c.kind in ("process", "crashes", "restarts"):
                if c.kind in seen:
                    prev = self.span(seen[c.kind])
                    self.error(Code.CLAUSE_REPEATED, f"action `{a.name}` has two `{c.kind}` clauses"
                               + (f" (the first at line {prev.line})" if prev else ""), c)
                    continue
                other = {"crashes": "restarts", "restarts": "crashes"}.get(c.kind)
                if other in seen:
                    self.error(Code.CLAUSE_REPEATED, f"action `{a.name}` cannot both crash and restart a process: "
                               "make them two actions", c)
                seen[c.kind] = c
            if c.value is not None:
                t = self.infer(c.value, ctx)
                if c.kind in ("sends", "receives"):
                    self._messages.append((a, c, t))
        for kind in ("crashes", "restarts"):
            if kind in seen and "process" not in seen:
                self.error(Code.CLAUSE_NEEDS_PROCESS, f"`{kind}` needs a `process(...)` clause on action `{a.name}`: "
                           "it marks the lane of the process that crashes or restarts", seen[kind],
                           hint=f"for example `action {a.name} process(\"TM\") {kind} {{ ... }}`")

    def check_messages(self) -> None:
        """MC292: a received message whose type no ``sends`` clause has can never be
        matched to a send (each ``sends(S)`` of a set type sends S's elements)."""
        def msg_type(t: Type) -> Type | None:
            t = self.zonk(t)
            if isinstance(t, ErrT):
                return None
            return t.elem if isinstance(t, SetT) else t

        sent = {}
        for a, c, t in self._messages:
            mt = msg_type(t)
            if c.kind == "sends" and mt is not None:
                sent.setdefault(mt, c)
        for a, c, t in self._messages:
            mt = msg_type(t)
            if c.kind == "receives" and mt is not None and mt not in sent:
                what = ", ".join(sorted({self.show(x) for x in sent})) or "nothing"
                self.error(Code.MESSAGE_NEVER_SENT, f"action `{a.name}` receives {self.a_show(mt)}, but no action sends "
                           f"one (the `sends` clauses send: {what})", c.value)

    def check_block(self, block: ir.Block, ctx: Ctx, maybe: dict, must: frozenset, init: bool):
        ctx = ctx.copy()
        for s in block.stmts:
            if isinstance(s, ir.Require):
                self.check_bool(s.cond, ctx, "`require` condition")
            elif isinstance(s, ir.Assert):
                self.check_bool(s.cond, ctx, "`assert` condition")
            elif isinstance(s, ir.LetStmt):
                t = self.infer(s.value, ctx)
                ctx = self.bind_local(ctx, s.name, t, self.head_span(s, 3 + 1 + len(s.name)))
            elif isinstance(s, ir.Pick):
                ctx = self.bind_binders((s.binder,), ctx)
            elif isinstance(s, ir.Either):
                outs = [self.check_block(b, ctx, maybe, must, init) for b in s.branches]
                maybe, must = self.merge(outs)
            elif isinstance(s, ir.IfStmt):
                self.check_bool(s.cond, ctx, "`if` condition")
                outs = [self.check_block(s.then, ctx, maybe, must, init),
                        self.check_block(s.else_, ctx, maybe, must, init)]
                maybe, must = self.merge(outs)
            elif isinstance(s, ir.Assign):
                maybe, must = self.check_assign(s, ctx, maybe, must, init)
        return maybe, must

    @staticmethod
    def merge(outs):
        maybe: dict = {}
        for m, _ in outs:
            for k, v in m.items():
                maybe.setdefault(k, v)
        must = frozenset.intersection(*[m for _, m in outs]) if outs else frozenset()
        return maybe, must

    def check_assign(self, s: ir.Assign, ctx: Ctx, maybe: dict, must: frozenset, init: bool):
        lhs = self.head_span(s, len(s.var) + (1 if s.primed else 0))
        vt = self.infer(s.value, ctx)
        g = self.globals.get(s.var)
        if s.var in ctx.locals or g is None or g.kind != "var":
            if s.var in ctx.locals:
                self.error(Code.NOT_ASSIGNABLE, f"`{s.var}` is a local name, not a state variable: it cannot be "
                           "assigned", lhs)
            elif g is None:
                cands = [n for n, gg in self.globals.items() if gg.kind == "var"]
                self.error(Code.UNKNOWN_NAME, f"unknown variable `{s.var}`" + self.did_you_mean(s.var, cands), lhs)
            else:
                self.error(Code.NOT_ASSIGNABLE, f"`{s.var}` is {KIND_WORDS[g.kind]}, not a state variable: it "
                           "cannot be assigned", lhs)
            self._poison(vt)
            return maybe, must
        if init and s.primed:
            self.error(Code.PRIME_NOT_ALLOWED, f"`init` assigns the initial state: write `{s.var} = ...` without a "
                       "prime", lhs)
        elif not init and not s.primed:
            self.error(Code.NOT_ASSIGNABLE, f"an action assigns the next state: write `{s.var}' = ...`", lhs)
        if not init:
            self.action_assigned.add(s.var)
        t = self.var_types.get(s.var, ERR)
        if self.unify(t, vt) is None:
            hint = ""
            if isinstance(self.resolve(t), MapT) and isinstance(self.resolve(vt), FunT):
                hint = (" (a comprehension over a whole type builds a total function; to build a map, "
                        "filter it, `{ k: v for k in D if true }`, or start from `map()` and `.put`)")
            self.error(Code.TYPE_MISMATCH, f"cannot assign {self.a_show(vt)} to `{s.var}` of type {self.show(t)}"
                       + hint, s.value)
            self._poison(vt)
        if s.var in maybe:
            first = self.span(maybe[s.var])
            where = f" (first at line {first.line})" if first else ""
            self.error(Code.ASSIGNED_TWICE, f"`{s.var}` is assigned twice on one path{where}", lhs)
        maybe = dict(maybe)
        maybe.setdefault(s.var, s)
        return maybe, must | {s.var}

    # ------------------------------------------------------------------ properties

    def check_property(self, p: ir.PropertyDecl) -> None:
        cls_span = self.span_by_id(p.cls_id)
        if p.kind == "constraint":
            if p.cls is not None:
                self.error(Code.PROPERTY_CLASS, f"a constraint takes no class: remove `[{p.cls}]`", cls_span)
        elif p.cls is None:
            self.error(Code.PROPERTY_CLASS, f"{p.kind} `{p.name}` has no class; add one of "
                       + ", ".join(f"[{c}]" for c in SPEC_CLASSES) + " after its name", cls_span)
        elif p.cls not in SPEC_CLASSES:
            dym = self.did_you_mean(p.cls, SPEC_CLASSES)
            self.error(Code.PROPERTY_CLASS, f"unknown property class `{p.cls}`"
                       + (dym or "; use one of " + ", ".join(SPEC_CLASSES)), cls_span)
        msgs = {
            "invariant": "cannot appear in an invariant, a state predicate; use a `step` property to "
                         "relate two states",
            "constraint": "cannot appear in a constraint, a state predicate",
            "temporal": "cannot appear in a temporal property",
        }
        ctx = Ctx(p.kind, primes=p.kind == "step", temporal=p.kind == "temporal",
                   prime_msg=msgs.get(p.kind, ""))
        before = len(self.errors)
        self.check_bool(p.body, ctx, f"{p.kind} `{p.name}`")
        if len(self.errors) > before:
            return  # one problem at a time: the shape is judged on a body without errors
        if p.kind == "temporal" and not ctx.saw_temporal[0]:
            self.error(Code.TEMPORAL_MISPLACED, f"temporal property `{p.name}` uses no temporal operator (`always`, "
                       "`eventually`, `~>`, `reachable`)", p.body,
                       hint="a predicate that must hold in every state is an `invariant`")
        elif p.kind == "temporal":
            self.check_temporal_shape(p)

    def check_temporal_shape(self, p: ir.PropertyDecl) -> None:
        from .temporal import FORMS, Unsupported, classify

        try:
            parts = classify(p.body)
        except Unsupported as u:
            self.error(Code.TEMPORAL_UNSUPPORTED, f"unsupported temporal formula in `{p.name}`: {u.why}", u.node,
                       hint=f"the supported forms are {FORMS}")
            return
        for part in parts:
            for b in part.binders:
                if any(isinstance(n, ir.Name) and self.refs.get(n.id) is not None
                       and self.refs[n.id].kind == "var" for n in ir.walk_exprs(b.domain)):
                    self.error(Code.TEMPORAL_UNSUPPORTED, f"in `{p.name}`, a `forall` around a temporal formula must "
                               "range over a set that does not depend on the state", b.domain)

    def span_by_id(self, i: int) -> ir.Span | None:
        return self.spans.get(i)

    # ------------------------------------------------------------------ fairness, symmetry

    def check_group_fairness(self, f) -> None:
        """``weak (A(p) or B(q))``: the members are actions, named at most once, the keys
        are parameters of each, every member names as many keys, of the same types."""
        sp = self.span(f)
        seen: set[str] = set()
        key_types = None
        counts = {len(k) for _, k in f.members}
        if len(counts) > 1:
            self.error(Code.TYPE_MISMATCH, f"the members of `{f.strength} {f.action}` name different numbers of "
                       "parameters: the group's instance is the value of the parameters each names, so every "
                       "member names as many (or none)", sp)
            return
        for name, keys in f.members:
            a = self.actions.get(name)
            if a is None:
                self.error(Code.UNKNOWN_NAME, f"unknown action `{name}` in `{f.strength} {f.action}`"
                           + self.did_you_mean(name, self.actions), sp)
                continue
            if name in seen:
                self.error(Code.DUPLICATE, f"`{name}` is named twice in `{f.strength} {f.action}`", sp)
            seen.add(name)
            params = {p.name: p for p in a.params}
            ts = []
            for k in keys:
                p = params.get(k)
                if p is None:
                    have = ", ".join(f"`{n}`" for n in params) or "none"
                    self.error(Code.UNKNOWN_NAME, f"`{k}` is not a parameter of `{name}` (its parameters: {have})",
                               sp)
                    return
                t = self.types.get(p.domain.id)
                ts.append(self.resolve(t.elem) if t is not None and hasattr(t, "elem") else None)
            if key_types is None:
                key_types = ts
            elif ts != key_types:
                shown = ", ".join(t.show() if t is not None else "?" for t in ts)
                want = ", ".join(t.show() if t is not None else "?" for t in key_types)
                self.error(Code.TYPE_MISMATCH, f"in `{f.strength} {f.action}`, `{name}`'s keys are ({shown}), the "
                           f"first member's ({want}): an instance of the group is one value of the keys", sp)

    def check_fairness(self) -> None:
        for f in self.fair_items:
            if f.members:
                self.check_group_fairness(f)
                continue
            a = self.actions.get(f.action)
            sp = self.name_span(f, f.action)
            if a is None:
                self.error(Code.UNKNOWN_NAME, f"unknown action `{f.action}`" + self.did_you_mean(f.action, self.actions),
                           sp)
            elif f.per_instance and not a.params:
                self.error(Code.TYPE_MISMATCH, f"`{f.action}(*)` asks for fairness of every instance, but "
                           f"`{f.action}` has no parameters: write `{f.strength} {f.action}`", self.span(f))

    def check_symmetry(self) -> None:
        seen: dict[str, ir.SymmetryDecl] = {}
        for s in self.symmetry:
            sp = self.name_span(s, s.name)
            g = self.globals.get(s.name)
            if g is None or g.kind != "models":
                if g is not None:
                    msg = f"`symmetry` needs a model-value set, but `{s.name}` is {KIND_WORDS[g.kind]}"
                else:
                    msg = f"`symmetry` needs a model-value set, but `{s.name}` is not declared" + \
                        self.did_you_mean(s.name, [n for n, gg in self.globals.items()
                                                   if gg.kind == "models"])
                self.error(Code.BAD_SYMMETRY, msg, sp, hint=f"declare the set with `models {s.name} = {{a, b, c}}`")
            elif s.name in seen:
                prev = self.span(seen[s.name])
                self.error(Code.DUPLICATE, f"symmetry `{s.name}` is already declared"
                           + (f" (line {prev.line})" if prev else ""), sp)
            else:
                seen[s.name] = s

    # ------------------------------------------------------------------ finishing

    def check_unresolved(self) -> None:
        # (type variables that met an erroneous expression were bound to ERR, so what is
        # left here is a genuine "nothing fixes this type")
        reported: set[int] = set()
        for i, t in self.types.items():
            tvs: list = []
            self._tvars(t, tvs)
            for tv in tvs:
                origin = self.tv_origin.get(tv.id)
                if origin is None or origin.id in reported:
                    continue
                reported.add(origin.id)
                what, example = describe_origin(origin)
                hint = None
                if example:
                    v = example[0]
                    hint = (f"use it where its type is known, as in `{v}' = {example[1]}` for a "
                            f"typed variable `{v}`")
                self.error(Code.CANNOT_INFER, f"cannot infer {what}", origin, hint=hint)

    def check_unused(self) -> None:
        for d in self.m.decls:
            if isinstance(d, ir.VarDecl) and d.name not in self.read_vars \
                    and d.name not in self.action_assigned:
                self.warnings.append(Diagnostic(
                    Code.UNUSED_VARIABLE, f"variable `{d.name}` is never read nor assigned by any action",
                    self.name_span(d, d.name), severity="warning"))
