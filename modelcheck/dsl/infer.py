"""The checker's type phase: unification, type expressions, names and type inference.

Resolves type expressions (ranges, enums, aliases, ``set[T]``, ``K -> V``...), every name
(locals, constants, variables, operators, constructors, built-ins) and infers the type of
every expression by unification over type variables (``TVar``); an expression with an
error gets the poison type ``ERR``. Built-in operators' type rules are in
:mod:`modelcheck.dsl.builtins`.

Depends on :mod:`modelcheck.dsl.checkcore`, :mod:`modelcheck.dsl.builtins` and what they
depend on.
"""

from __future__ import annotations

import re

from .. import ir
from ..diagnostics import Code, Diagnostic
from ..types import (
    BOOL,
    INT,
    BagT,
    BoolT,
    Constructor,
    EnumT,
    FunT,
    IntT,
    MapT,
    ModelT,
    RecordT,
    SeqT,
    SetT,
    TupleT,
    TVar,
    Type,
    is_indexable,
)
from .builtins import ARITIES, TypeArgs
from .builtins import TABLE as BUILTIN_TABLE
from .checked import Ref
from .checkcore import arity_msg, BUILTIN_TYPES, Ctx, ERR, ErrT, KIND_WORDS, plural


#: the most keys a total function type ``K -> V`` may have: every value of the type
#: holds one entry per key (the same bound as a range built as a set, compile.MAX_RANGE)
MAX_FUNCTION_KEYS = 1_000_000


class InferencePhase:
    """A mixin of :class:`~modelcheck.dsl.check._Checker` (state in :class:`~modelcheck.dsl.checkcore.CheckerCore`)."""

    # ------------------------------------------------------------------ types: unification

    def fresh(self, origin: ir.Node) -> TVar:
        self._tv += 1
        self.tv_origin[self._tv] = origin
        return TVar(self._tv)

    def resolve(self, t: Type) -> Type:
        while isinstance(t, TVar) and t.id in self.subst:
            t = self.subst[t.id]
        return t

    def zonk(self, t: Type) -> Type:
        t = self.resolve(t)
        if isinstance(t, SetT):
            return SetT(self.zonk(t.elem))
        if isinstance(t, BagT):
            return BagT(self.zonk(t.elem))
        if isinstance(t, SeqT):
            return SeqT(self.zonk(t.elem), t.max_len)
        if isinstance(t, MapT):
            return MapT(self.zonk(t.key), self.zonk(t.val))
        if isinstance(t, FunT):
            return FunT(self.zonk(t.dom), self.zonk(t.cod))
        if isinstance(t, TupleT):
            return TupleT(tuple(self.zonk(e) for e in t.elems))
        if isinstance(t, RecordT):
            return RecordT(tuple((n, self.zonk(ft)) for n, ft in t.fields))
        return t

    def show(self, t: Type) -> str:
        return re.sub(r"\?\d+", "?", self.zonk(t).show())

    def a_show(self, t: Type) -> str:
        """The type shown with its article: "an int", "a set[int]", "an Enum"."""
        text = self.show(t)
        return ("an " if text[:1].lower() in "aeiou" and text[:1] else "a ") + text

    def _tvars(self, t: Type, out: list) -> None:
        t = self.resolve(t)
        if isinstance(t, TVar):
            out.append(t)
        elif isinstance(t, (SetT, BagT, SeqT)):
            self._tvars(t.elem, out)
        elif isinstance(t, MapT):
            self._tvars(t.key, out)
            self._tvars(t.val, out)
        elif isinstance(t, FunT):
            self._tvars(t.dom, out)
            self._tvars(t.cod, out)
        elif isinstance(t, TupleT):
            for e in t.elems:
                self._tvars(e, out)
        elif isinstance(t, RecordT):
            for _, e in t.fields:
                self._tvars(e, out)

    def _poison(self, t: Type) -> None:
        """Bind every type variable of ``t`` to ERR (it met an erroneous expression)."""
        tvs: list = []
        self._tvars(t, tvs)
        for tv in tvs:
            self.subst[tv.id] = ERR

    def _poison_all(self, ts) -> None:
        for t in ts:
            self._poison(t)

    def unify(self, a: Type, b: Type) -> Type | None:
        """The common type of ``a`` and ``b`` (binding type variables), or None."""
        a, b = self.resolve(a), self.resolve(b)
        if isinstance(a, ErrT):
            self._poison(b)
            return b if not isinstance(b, TVar) else ERR
        if isinstance(b, ErrT):
            self._poison(a)
            return a if not isinstance(a, TVar) else ERR
        if isinstance(a, TVar):
            if a == b:
                return a
            tvs: list = []
            self._tvars(b, tvs)
            if a in tvs:
                return None
            self.subst[a.id] = b
            return b
        if isinstance(b, TVar):
            return self.unify(b, a)
        if type(a) is not type(b):
            return None
        if isinstance(a, IntT):
            return a if a == b else INT
        if isinstance(a, BoolT):
            return a
        if isinstance(a, (ModelT, EnumT)):
            return a if a.name == b.name else None
        if isinstance(a, SetT):
            e = self.unify(a.elem, b.elem)
            return None if e is None else SetT(e)
        if isinstance(a, BagT):
            e = self.unify(a.elem, b.elem)
            return None if e is None else BagT(e)
        if isinstance(a, SeqT):
            e = self.unify(a.elem, b.elem)
            return None if e is None else SeqT(e, a.max_len if a.max_len == b.max_len else None)
        if isinstance(a, MapT):
            k = self.unify(a.key, b.key)
            v = self.unify(a.val, b.val) if k is not None else None
            return None if v is None else MapT(k, v)
        if isinstance(a, FunT):
            # the domain fixes the layout of the function: it must match exactly
            if self.zonk(a.dom) != self.zonk(b.dom) and not (
                    isinstance(self.resolve(a.dom), ErrT) or isinstance(self.resolve(b.dom), ErrT)):
                return None
            c = self.unify(a.cod, b.cod)
            return None if c is None else FunT(a.dom, c)
        if isinstance(a, TupleT):
            if len(a.elems) != len(b.elems):
                return None
            es = []
            for x, y in zip(a.elems, b.elems):
                e = self.unify(x, y)
                if e is None:
                    return None
                es.append(e)
            return TupleT(tuple(es))
        if isinstance(a, RecordT):
            if [n for n, _ in a.fields] != [n for n, _ in b.fields]:
                return None
            fs = []
            for (n, x), (_, y) in zip(a.fields, b.fields):
                e = self.unify(x, y)
                if e is None:
                    return None
                fs.append((n, e))
            return RecordT(tuple(fs))
        return None  # pragma: no cover

    def expect(self, node: ir.Node, found: Type, expected: Type, what: str) -> Type:
        """Unify ``found`` with ``expected``; on failure report MC210 ``what: expected X, found Y``."""
        u = self.unify(expected, found)
        if u is None:
            self.error(Code.TYPE_MISMATCH, f"{what}: expected {self.show(expected)}, found {self.show(found)}", node)
            self._poison(found)
            return ERR
        return u

    # ------------------------------------------------------------------ type expressions

    def type_names(self) -> list[str]:
        return list(BUILTIN_TYPES) + [n for n, g in self.globals.items()
                                       if g.kind in ("models", "enum", "alias")]

    def resolve_type(self, te) -> Type:
        if isinstance(te, ir.TName):
            n = te.name
            if n == "bool":
                return BOOL
            if n == "int":
                return INT
            g = self.globals.get(n)
            if g is None:
                self.error(Code.UNKNOWN_NAME, f"unknown type `{n}`" + self.did_you_mean(n, self.type_names()), te)
                return ERR
            if g.kind == "models":
                return self.models[n]
            if g.kind == "enum":
                return self.resolve_enum(n, te)
            if g.kind == "alias":
                return self.resolve_alias(n, te)
            self.error(Code.INVALID_TYPE, f"`{n}` is {KIND_WORDS[g.kind]}, not a type", te)
            return ERR
        if isinstance(te, ir.TRange):
            lo = self.const_int(te.lo, "the lower bound of a range")
            hi = self.const_int(te.hi, "the upper bound of a range")
            if lo is None or hi is None:
                return ERR
            if lo > hi:
                self.error(Code.INVALID_TYPE, f"empty range {lo}..{hi}: the lower bound is greater than the "
                           "upper bound", te)
                return ERR
            return IntT(lo, hi)
        if isinstance(te, ir.TApp):
            args = [self.resolve_type(a) for a in te.args]
            if te.name == "set":
                return SetT(args[0])
            if te.name == "bag":
                return BagT(args[0])
            if te.name == "map":
                return MapT(args[0], args[1])
            if te.name == "seq":
                bound = None
                if te.bound is not None:
                    bound = self.const_int(te.bound, "the bound of `seq`")
                    if bound is None:
                        return ERR
                    if bound < 0:
                        self.error(Code.INVALID_TYPE, f"the bound of `seq` must be >= 0, found {bound}", te.bound)
                        return ERR
                return SeqT(args[0], bound)
            self.error(Code.INVALID_TYPE, f"unknown type constructor `{te.name}`", te)  # pragma: no cover
            return ERR
        if isinstance(te, ir.TFun):
            dom = self.resolve_type(te.dom)
            cod = self.resolve_type(te.cod)
            if isinstance(dom, ErrT) or isinstance(cod, ErrT):
                return ERR
            if not is_indexable(dom):
                self.error(Code.INVALID_TYPE, f"the key type of `K -> V` must be finite and indexable (a model "
                           f"set, a plain enum, bool or lo..hi), found {dom.show()}", te.dom,
                           hint="use `map[K, V]` for a partial map with a dynamic domain")
                return ERR
            if isinstance(dom, IntT) and dom.hi - dom.lo + 1 > MAX_FUNCTION_KEYS:
                self.error(Code.INVALID_TYPE, f"the key type {dom.show()} of `K -> V` has "
                           f"{dom.hi - dom.lo + 1:,} values: a value of this type would hold that many entries "
                           f"(at most {MAX_FUNCTION_KEYS:,})", te.dom,
                           hint="use `map[K, V]` for a map with only the keys it needs")
                return ERR
            return FunT(dom, cod)
        if isinstance(te, ir.TTuple):
            return TupleT(tuple(self.resolve_type(e) for e in te.elems))
        if isinstance(te, ir.TRecord):
            seen: set[str] = set()
            fields = []
            for n, ft in te.fields:
                if n in seen:
                    self.error(Code.DUPLICATE, f"field `{n}` appears twice in this record type", te)
                seen.add(n)
                fields.append((n, self.resolve_type(ft)))
            return RecordT(tuple(fields))
        return ERR  # pragma: no cover

    def const_int(self, e, what: str) -> int | None:
        t, v = self.const_expr(e, Code.INVALID_TYPE, what)
        if t is None:
            return None
        if not isinstance(t, IntT):
            self.error(Code.INVALID_TYPE, f"{what} must be an integer, found {t.show()}", e)
            return None
        return v

    def resolve_enum(self, name: str, use) -> Type:
        if name in self.enums:
            return self.enums[name]
        if name in self._enum_busy:
            self.error(Code.INVALID_TYPE, f"recursive type `{name}`: an enum cannot contain itself", use)
            return ERR
        self._enum_busy.add(name)
        decl: ir.EnumDecl = self.globals[name].decl
        ctors = []
        bad = False
        for c in decl.ctors:
            args = tuple(self.resolve_type(a) for a in c.args)
            bad |= any(isinstance(a, ErrT) for a in args)
            named = [f for f in c.fields if f is not None]
            for f in {f for f in named if named.count(f) > 1}:
                self.error(Code.DUPLICATE, f"constructor `{c.name}` names two arguments `{f}`", c)
            ctors.append(Constructor(c.name, args, c.fields))
        self._enum_busy.discard(name)
        t = EnumT(name, tuple(ctors))
        if name in self.enums:  # resolved meanwhile (through an error path)
            return self.enums[name]
        self.enums[name] = t
        return t

    def resolve_alias(self, name: str, use) -> Type:
        if name in self.aliases:
            return self.aliases[name]
        if name in self._alias_busy:
            self.error(Code.INVALID_TYPE, f"recursive type alias `{name}`", use)
            return ERR
        self._alias_busy.add(name)
        t = self.resolve_type(self.globals[name].decl.type)
        self._alias_busy.discard(name)
        self.aliases[name] = t
        return t

    def check_types_and_vars(self) -> None:
        for name, g in self.globals.items():
            if g.kind == "enum":
                self.resolve_enum(name, g.decl)
            elif g.kind == "alias":
                self.resolve_alias(name, g.decl)
        i = 0
        for d in self.m.decls:
            if isinstance(d, ir.VarDecl) and self.is_declared(d):
                self.var_types[d.name] = self.resolve_type(d.type)
                self.var_index[d.name] = i
                i += 1

    # ------------------------------------------------------------------ names

    def bind_local(self, ctx: Ctx, name: str, t: Type, node: ir.Node | ir.Span | None) -> Ctx:
        g = self.globals.get(name)
        if name in ctx.locals:
            self.error(Code.DUPLICATE, f"`{name}` is already bound here; choose another name", node)
        elif g is not None:
            self.error(Code.DUPLICATE, f"`{name}` shadows {KIND_WORDS[g.kind]}; choose another name", node)
        elif name in BUILTIN_TYPES:
            self.error(Code.DUPLICATE, f"`{name}` is a built-in type; choose another name", node)
        return ctx.bind(name, t)

    def value_names(self, ctx: Ctx) -> list[str]:
        return list(ctx.locals) + list(self.globals) + ["bool"]

    def model_value(self, e: ir.Name) -> Type | None:
        """A name that is one value of a model-value set (``r1``, as TLA+ names a model
        value): its ModelT, or ERR after an error, or None if no set has it. Naming a
        value of a symmetric set is refused: a search that treats r1 and r2 as the same
        would merge states the spec tells apart."""
        n = e.name
        owners = [m for m in self.models.values() if n in m.names]
        if not owners:
            return None
        if len(owners) > 1:
            sets = " and ".join(f"`{m.name}`" for m in owners)
            self.refs[e.id] = Ref("local", n)
            self.error(Code.UNKNOWN_NAME, f"`{n}` is a value of both {sets}: it cannot be named", e,
                       hint="give the sets' values different names")
            return ERR
        m = owners[0]
        self.refs[e.id] = Ref("modelvalue", n, m.names.index(n), type=m)
        if self.is_symmetric(m.name):
            self.error(Code.BAD_SYMMETRY, f"`{n}` names one value of `{m.name}`, which is declared symmetric: "
                       "a symmetric set's values must be interchangeable", e,
                       hint=f"remove `symmetry {m.name}`, or use `choose x in {m.name}: ...` or a quantifier "
                            "instead of a named value")
            return ERR
        return m

    def model_value_hint(self, n: str) -> str:
        """For an unknown name that the spec's `models` declaration has but the run's
        configuration does not: say so."""
        for name, g in self.globals.items():
            if g.kind == "models" and n in g.decl.values and name in self.models:
                now = ", ".join(self.models[name].names)
                return (f"; `{n}` is declared in `{name}`, but this configuration has {name} = {{{now}}} "
                        f"(give the values by name, `{name} = {{...}}`, to keep `{n}`)")
        return ""

    def infer_name(self, e: ir.Name, ctx: Ctx) -> Type:
        n = e.name
        if n in ctx.locals:
            self.refs[e.id] = Ref("local", n)
            return ctx.locals[n]
        g = self.globals.get(n)
        if g is None:
            if n == "bool":
                self.refs[e.id] = Ref("typeset", "bool", type=BOOL)
                return SetT(BOOL)
            if n == "int":
                self.refs[e.id] = Ref("typeset", "int", type=INT)
                self.error(Code.NOT_A_FINITE_SET, "`int` is infinite: it cannot be used as a set", e,
                           hint="use a range such as `0..N`")
                return ERR
            if n in ARITIES:
                self.refs[e.id] = Ref("builtin", n)
                self.error(Code.ARITY, f"`{n}` is a built-in operator: call it, as in `{n}(...)`", e)
                return ERR
            mv = self.model_value(e)
            if mv is not None:
                return mv
            self.refs[e.id] = Ref("local", n)  # unresolved; reported below
            self.error(Code.UNKNOWN_NAME, f"unknown name `{n}`" + self.did_you_mean(n, self.value_names(ctx))
                       + self.model_value_hint(n), e)
            return ERR
        k = g.kind
        if k == "var":
            self.refs[e.id] = Ref("var", n, self.var_index.get(n, -1))
            if ctx.where != "init":
                self.read_vars.add(n)
            return self.var_types.get(n, ERR)
        if k == "models":
            self.refs[e.id] = Ref("const", n)
            return SetT(self.models[n])
        if k == "const":
            self.refs[e.id] = Ref("const", n)
            v = self.const_values.get(n)
            if v is None:
                return ERR
            return BOOL if isinstance(v, bool) else INT
        if k == "def":
            self.refs[e.id] = Ref("def", n)
            d: ir.DefDecl = g.decl
            if d.params:
                self.error(Code.ARITY, f"`{n}` takes {plural(len(d.params), 'argument')}; call it as "
                           f"`{n}(...)`", e)
                self.def_type(n, e)
                return ERR
            return self.def_type(n, e)
        if k == "ctor":
            et = self.enums.get(g.enum)
            self.refs[e.id] = Ref("ctor", n, type=et)
            if et is None:
                return ERR
            c = et.constructor(n)
            if c.args:
                self.error(Code.ARITY, f"constructor `{n}` takes {plural(len(c.args), 'argument')}: "
                           f"write `{n}(...)`", e)
                return ERR
            return et
        if k == "enum":
            et = self.enums.get(n)
            self.refs[e.id] = Ref("typeset", n, type=et)
            if et is None:
                return ERR
            if not et.is_plain:
                self.error(Code.NOT_A_FINITE_SET, f"`{n}` has constructors with arguments: only a plain enum can be "
                           "used as the set of its values", e)
                return ERR
            return SetT(et)
        # alias
        t = self.aliases.get(n, ERR)
        self.refs[e.id] = Ref("typeset", n, type=t)
        if isinstance(t, BoolT) or (isinstance(t, EnumT) and t.is_plain) or (
                isinstance(t, IntT) and t.bounded):
            return SetT(t)
        if isinstance(t, ModelT):
            return SetT(t)
        if not isinstance(t, ErrT):
            self.error(Code.NOT_A_FINITE_SET, f"type `{n}` ({t.show()}) cannot be used as a set of values", e)
        return ERR

    # ------------------------------------------------------------------ operators

    def def_type(self, name: str, use: ir.Node | None) -> Type:
        if name in self.def_types:
            return self.def_types[name]
        if name in self._def_stack:
            cycle = self._def_stack[self._def_stack.index(name):] + [name]
            if len(cycle) == 2:
                msg = f"`{name}` calls itself"
            else:
                msg = f"`{cycle[0]}` calls `{cycle[1]}`" + "".join(
                    f", which calls `{c}`" for c in cycle[2:])
            self.error(Code.RECURSION, msg + ": operators cannot be recursive", use)
            return ERR
        d: ir.DefDecl = self.globals[name].decl
        self._def_stack.append(name)
        ctx = Ctx("def", prime_msg="cannot appear in an operator (`def`): operators read the "
                   "current state only")
        ptypes = []
        for p in d.params:
            pt = self.resolve_type(p.type)
            ptypes.append(pt)
            ctx = self.bind_local(ctx, p.name, pt, self.span(p))
        self.def_params[name] = ptypes
        t = self.infer(d.body, ctx)
        self._def_stack.pop()
        self.def_types[name] = t
        return t

    # ------------------------------------------------------------------ expressions

    def infer(self, e, ctx: Ctx) -> Type:
        t = self._infer(e, ctx)
        self.types[e.id] = t
        return t

    def check_bool(self, e, ctx: Ctx, what: str) -> None:
        t = self.infer(e, ctx)
        self.expect(e, t, BOOL, what)

    def _infer(self, e, ctx: Ctx) -> Type:
        if isinstance(e, ir.Lit):
            return BOOL if isinstance(e.value, bool) else INT
        if isinstance(e, ir.Name):
            return self.infer_name(e, ctx)
        if isinstance(e, ir.Prime):
            return self.infer_prime(e, ctx)
        if isinstance(e, (ir.CtorTest, ir.CtorArg)):
            return self.infer_pattern(e, ctx)
        if isinstance(e, ir.Match):
            return self.infer_match(e, ctx)
        if isinstance(e, ir.Primed):
            return self.infer_primed(e, ctx)
        if isinstance(e, ir.Unary):
            t = self.infer(e.arg, ctx)
            if e.op == "not":
                self.expect(e.arg, t, BOOL, "`not` needs a bool")
                return BOOL
            self.expect(e.arg, t, INT, "unary `-` needs an int")
            return INT
        if isinstance(e, ir.Binary):
            return self.infer_binary(e, ctx)
        if isinstance(e, ir.If):
            self.check_bool(e.cond, ctx, "`if` condition")
            a = self.infer(e.then, ctx)
            b = self.infer(e.else_, ctx)
            u = self.unify(a, b)
            if u is None:
                self.error(Code.TYPE_MISMATCH, f"`if` branches have different types: {self.show(a)} and "
                           f"{self.show(b)}", e)
                self._poison(a)
                self._poison(b)
                return ERR
            return u
        if isinstance(e, ir.Let):
            self.let_bodies.add(e.body.id)
            inner = ctx
            for name, val in e.bindings:
                t = self.infer(val, inner)
                inner = self.bind_local(inner, name, t, self.span(e))
            return self.infer(e.body, inner)
        if isinstance(e, ir.Quant):
            inner = self.bind_binders(e.binders, ctx)
            self.check_bool(e.body, inner, f"the body of `{e.kind}`")
            if e.kind != "choose":
                return BOOL
            t = self.resolve(self.types[e.binders[0].id])
            if isinstance(t, ModelT) and self.is_symmetric(t.name):
                self.warnings.append(Diagnostic(
                    Code.BAD_SYMMETRY, f"`choose` over the symmetric set {t.name}: symmetry reduction treats its "
                    "values as interchangeable, which holds only if the condition has exactly one witness in every "
                    "state (else the choice depends on value order: check with --no-symmetry)", self.span(e),
                    severity="warning"))
            return t
        if isinstance(e, ir.SetLit):
            if not e.elems:
                return SetT(self.fresh(e))
            return SetT(self.join_elems(e.elems, ctx, "set"))
        if isinstance(e, ir.SeqLit):
            if not e.elems:
                return SeqT(self.fresh(e))
            return SeqT(self.join_elems(e.elems, ctx, "sequence"))
        if isinstance(e, ir.TupleLit):
            return TupleT(tuple(self.infer(x, ctx) for x in e.elems))
        if isinstance(e, ir.RecordLit):
            return RecordT(tuple((n, self.infer(x, ctx)) for n, x in e.fields))
        if isinstance(e, ir.RecordUpdate):
            return self.infer_record_update(e, ctx)
        if isinstance(e, ir.SetComp):
            inner = self.bind_binders(e.binders, ctx)
            if e.cond is not None:
                self.check_bool(e.cond, inner, "the `if` of a comprehension")
            return SetT(self.infer(e.elem, inner))
        if isinstance(e, ir.SeqComp):
            inner = self.bind_seq_binders(e.binders, ctx)
            if e.cond is not None:
                self.check_bool(e.cond, inner, "the `if` of a comprehension")
            return SeqT(self.infer(e.elem, inner))
        if isinstance(e, ir.FunComp):
            return self.infer_funcomp(e, ctx)
        if isinstance(e, ir.Call):
            return self.infer_call(e, ctx)
        if isinstance(e, ir.Index):
            return self.infer_index(e, ctx)
        if isinstance(e, ir.Field):
            bt = self.resolve(self.infer(e.base, ctx))
            if isinstance(bt, ErrT):
                return ERR
            if isinstance(bt, EnumT) and any(e.name in c.fields for c in bt.constructors):
                return self.infer_ctor_field(e, bt)
            if not isinstance(bt, RecordT):
                hint = None
                if isinstance(bt, EnumT) and any(c.args for c in bt.constructors):
                    c = next(c for c in bt.constructors if c.args)
                    xs = ", ".join(f"x{i}" for i in range(1, len(c.args) + 1))
                    hint = (f"a constructor's arguments are positional, not fields: name them with a pattern where "
                            f"you choose the value, as in `pick {c.name}({xs}) in S` or `exists {c.name}({xs}) in S: "
                            f"...` (`_` for an argument you do not need), or make the value a record "
                            f"(`{{ kind: ..., {e.name}: ... }}`)")
                self.error(Code.TYPE_MISMATCH, f"`.{e.name}` needs a record, found {self.show(bt)}", e, hint=hint)
                self._poison(bt)
                return ERR
            for n, ft in bt.fields:
                if n == e.name:
                    return ft
            self.error(Code.TYPE_MISMATCH, f"record {self.show(bt)} has no field `{e.name}`"
                       + self.did_you_mean(e.name, [n for n, _ in bt.fields]), e)
            return ERR
        if isinstance(e, ir.Temporal):
            word = {"leadsto": "~>"}.get(e.op, e.op)
            if not ctx.temporal:
                self.error(Code.TEMPORAL_MISPLACED, f"`{word}` is a temporal operator: it is allowed only in a "
                           "`temporal` property", e)
            ctx.saw_temporal[0] = True
            for a in e.args:
                self.check_bool(a, ctx, f"`{word}`")
            return BOOL
        raise AssertionError(f"unknown expression {type(e).__name__}")  # pragma: no cover

    def infer_ctor_field(self, e: ir.Field, bt: EnumT) -> Type:
        """``m.bal`` on a sum type's value: the argument named ``bal`` of whichever
        constructor built m (a runtime error, MC300, for one without it). Every
        constructor naming it must give it one type."""
        having = [c for c in bt.constructors if e.name in c.fields]
        t = having[0].args[having[0].field_index(e.name)]
        for c in having[1:]:
            u = c.args[c.field_index(e.name)]
            if self.unify(t, u) is None:
                self.error(Code.TYPE_MISMATCH, f"`.{e.name}` has two types in {bt.name}: {self.show(t)} in "
                           f"`{having[0].name}`, {self.show(u)} in `{c.name}`", e,
                           hint="give the two arguments different names")
                return ERR
        return t

    def infer_match(self, e: ir.Match, ctx: Ctx) -> Type:
        """``match m { C(a, b) => e, _ => f }``: m of a sum type; each arm a constructor of
        it with as many names as arguments (``_`` for one not needed), at most once;
        every constructor covered unless a last ``_`` arm; the bodies of one type."""
        t = self.resolve(self.infer(e.subject, ctx))
        if isinstance(t, ErrT):
            for _, _, body in e.arms:
                self._poison(self.infer(body, ctx))
            return ERR
        if not isinstance(t, EnumT):
            self.error(Code.TYPE_MISMATCH, f"`match` takes apart a value of a sum type (an enum), found "
                       f"{self.show(t)}", e.subject)
            return ERR
        seen: set[str] = set()
        result = None
        for k, (ctor, names, body) in enumerate(e.arms):
            inner = ctx
            if ctor is None:
                if k != len(e.arms) - 1:
                    self.error(Code.TYPE_MISMATCH, "`_ =>` must be the last arm of a `match`: the arms after it "
                               "are never taken", e)
            else:
                c = next((c for c in t.constructors if c.name == ctor), None)
                if c is None:
                    self.error(Code.UNKNOWN_NAME, f"`{ctor}` is not a constructor of {t.name}"
                               + self.did_you_mean(ctor, [c.name for c in t.constructors]), e)
                    continue
                if ctor in seen:
                    self.error(Code.DUPLICATE, f"`{ctor}` has two arms in this `match`", e)
                seen.add(ctor)
                if len(names) != len(c.args):
                    self.error(Code.ARITY, f"constructor `{ctor}` has {plural(len(c.args), 'argument')}; the arm "
                               f"names {len(names)}", e, hint="name each argument, or `_` for one you do not need")
                    continue
                for n, at in zip(names, c.args):
                    if n != "_":
                        inner = self.bind_local(inner, n, at, e)
            bt = self.infer(body, inner)
            if result is None:
                result = bt
            elif self.unify(result, bt) is None:
                self.error(Code.TYPE_MISMATCH, f"the arms of this `match` have different types: "
                           f"{self.show(result)} and {self.show(bt)}", body)
                return ERR
        missing = [c.name for c in t.constructors if c.name not in seen]
        if missing and not any(ctor is None for ctor, _, _ in e.arms):
            self.error(Code.TYPE_MISMATCH, f"this `match` does not cover {', '.join(f'`{m}`' for m in missing)}",
                       e, hint="add an arm for each, or a last `_ => ...`")
        return result if result is not None else ERR

    def infer_pattern(self, e, ctx: Ctx) -> Type:
        """A pattern's test (``CtorTest``: bool) or one of its names (``CtorArg``: the
        constructor's argument type); the value must be of the constructor's enum, and
        the pattern must name as many arguments as the constructor has."""
        t = self.resolve(self.infer(e.expr, ctx))
        if isinstance(t, ErrT):
            return ERR
        g = self.globals.get(e.ctor)
        if g is None or g.kind != "ctor":
            if isinstance(e, ir.CtorTest):
                cands = [k for k, gg in self.globals.items() if gg.kind == "ctor"]
                self.error(Code.UNKNOWN_NAME, f"unknown constructor `{e.ctor}` in a pattern"
                           + self.did_you_mean(e.ctor, cands), e)
            return ERR
        et = self.enums.get(g.enum)
        if et is None:
            return ERR
        if self.unify(t, et) is None:
            if isinstance(e, ir.CtorTest):
                self.error(Code.TYPE_MISMATCH, f"the pattern `{e.ctor}(...)` takes apart values of {et.show()}, "
                           f"but the set's elements are {self.show(t)}", e)
            return ERR
        c = et.constructor(e.ctor)
        if len(c.args) != e.arity:
            if isinstance(e, ir.CtorTest):
                self.error(Code.ARITY, f"constructor `{e.ctor}` has {plural(len(c.args), 'argument')}; the pattern "
                           f"names {e.arity}", e, hint="name each argument, or `_` for one you do not need")
            return ERR
        return BOOL if isinstance(e, ir.CtorTest) else c.args[e.index - 1]

    def infer_prime(self, e: ir.Prime, ctx: Ctx) -> Type:
        """``f(a)'``: the call's type; only a def can be primed, where primes are allowed."""
        t = self.infer(e.expr, ctx)
        r = self.refs.get(e.expr.id)
        if r is not None and r.kind != "def" and not isinstance(self.resolve(t), ErrT):
            what = {"builtin": "a built-in operator", "ctor": "a constructor"}.get(r.kind, "not a def")
            self.error(Code.PRIME_NOT_ALLOWED, f"only a state variable or a def can be primed: `{e.expr.func}` is "
                       f"{what}", e, hint=f"prime its arguments instead: `{e.expr.func}(x')`")
            return ERR
        if not ctx.primes:
            self.error(Code.PRIME_NOT_ALLOWED, f"`{e.expr.func}(...)'` {ctx.prime_msg}", e)
        return t

    def infer_primed(self, e: ir.Primed, ctx: Ctx) -> Type:
        g = self.globals.get(e.name)
        if g is not None and g.kind == "def" and e.name not in ctx.locals:
            # `c'` for a 0-ary def: the def evaluated in the next state
            self.refs[e.id] = Ref("def", e.name)
            if g.decl.params:
                self.error(Code.ARITY, f"`{e.name}` takes {plural(len(g.decl.params), 'argument')}; prime the call: "
                           f"`{e.name}(...)'`", e)
                return ERR
            if not ctx.primes:
                self.error(Code.PRIME_NOT_ALLOWED, f"`{e.name}'` {ctx.prime_msg}", e)
            return self.def_type(e.name, e)
        if g is None or g.kind != "var":
            if g is None and e.name not in ctx.locals:
                cands = [n for n, gg in self.globals.items() if gg.kind == "var"]
                self.error(Code.UNKNOWN_NAME, f"unknown variable `{e.name}`" + self.did_you_mean(e.name, cands), e)
            else:
                what = "a local name" if e.name in ctx.locals else KIND_WORDS[g.kind]
                self.error(Code.PRIME_NOT_ALLOWED, f"only state variables can be primed: `{e.name}` is {what}", e)
            return ERR
        if not ctx.primes:
            self.error(Code.PRIME_NOT_ALLOWED, f"`{e.name}'` {ctx.prime_msg}", e)
        self.read_vars.add(e.name)
        return self.var_types.get(e.name, ERR)

    def join_elems(self, elems, ctx: Ctx, what: str) -> Type:
        t = self.infer(elems[0], ctx)
        for x in elems[1:]:
            xt = self.infer(x, ctx)
            u = self.unify(t, xt)
            if u is None:
                self.error(Code.TYPE_MISMATCH, f"{what} elements have different types: {self.show(t)} and "
                           f"{self.show(xt)}", x)
                self._poison(xt)
            else:
                t = u
        return t

    def bind_binders(self, binders, ctx: Ctx) -> Ctx:
        last_dom, last_t = None, None
        for b in binders:
            if b.domain is last_dom:
                dt = last_t
            else:
                dt = self.infer(b.domain, ctx)
                last_dom, last_t = b.domain, dt
            et = self.domain_elem(b, dt)
            self.types[b.id] = et
            ctx = self.bind_local(ctx, b.name, et, self.span(b))
        return ctx

    def bind_seq_binders(self, binders, ctx: Ctx) -> Ctx:
        """Binders of a sequence comprehension: each ranges over a sequence (in order) or a
        set of integers (ascending), so the result has a defined order."""
        for b in binders:
            t = self.resolve(self.infer(b.domain, ctx))
            if isinstance(t, SeqT):
                et = t.elem
            elif isinstance(t, SetT) and isinstance(self.resolve(t.elem), IntT):
                et = t.elem
            else:
                if not isinstance(t, ErrT):
                    self.error(Code.NOT_A_FINITE_SET, f"`{b.name}` in a sequence comprehension must range over a "
                               f"sequence or a set of integers, found {self.show(t)}", b.domain,
                               hint="a set of other values has no order: build a set with `{ ... }`")
                    self._poison(t)
                et = ERR
            self.types[b.id] = et
            ctx = self.bind_local(ctx, b.name, et, self.span(b))
        return ctx

    def domain_elem(self, b: ir.Binder, dt: Type) -> Type:
        t = self.resolve(dt)
        if isinstance(t, ErrT):
            return ERR
        if isinstance(t, SetT):
            return t.elem
        if isinstance(t, TVar):
            elem = self.fresh(b.domain)
            self.unify(t, SetT(elem))
            return elem
        hint = None
        if isinstance(t, (MapT, FunT)):
            hint = "iterate over `keys(...)` or `values(...)`"
        elif isinstance(t, (SeqT, BagT)):
            hint = "iterate over `elems(...)`"
        self.error(Code.NOT_A_FINITE_SET, f"`{b.name}` must range over a set, found {self.show(t)}", b.domain,
                   hint=hint)
        self._poison(t)
        return ERR

    def infer_binary(self, e: ir.Binary, ctx: Ctx) -> Type:
        op = e.op
        lt = self.infer(e.left, ctx)
        rt = self.infer(e.right, ctx)
        if op in ("+", "-", "*", "/", "%", ".."):
            # one report per operator: a second one is usually the same mistake
            if self.want_int(e.left, lt, op):
                self.want_int(e.right, rt, op)
            else:
                self._poison(rt)
            return SetT(INT) if op == ".." else INT
        if op in ("<", "<=", ">", ">="):
            la, ra = self.resolve(lt), self.resolve(rt)
            if isinstance(la, ModelT) and isinstance(ra, ModelT) and la.name == ra.name:
                # model values in declaration order (as printed, as min / max take them);
                # a symmetric set's values are interchangeable: no order
                if self.is_symmetric(la.name):
                    self.error(Code.BAD_SYMMETRY, f"`{op}` on values of {la.name}, which is declared symmetric: "
                               "its values have no order", e, hint=f"remove `symmetry {la.name}` to order them")
                return BOOL
            if self.want_int(e.left, lt, op, compares=True):
                self.want_int(e.right, rt, op, compares=True)
            else:
                self._poison(rt)
            return BOOL
        if op in ("==", "!="):
            if self.unify(lt, rt) is None:
                self.error(Code.TYPE_MISMATCH, f"`{op}` compares {self.show(lt)} with {self.show(rt)}", e)
                self._poison(lt)
                self._poison(rt)
            return BOOL
        if op in ("and", "or", "implies", "iff"):
            self.expect(e.left, lt, BOOL, f"`{op}` needs bool operands")
            self.expect(e.right, rt, BOOL, f"`{op}` needs bool operands")
            return BOOL
        if op in ("in", "notin"):
            r = self.resolve(rt)
            if isinstance(r, ErrT):
                self._poison(lt)
                return BOOL
            if isinstance(r, TVar):
                r = self.unify(r, SetT(lt)) or ERR
            if isinstance(r, (SetT, BagT)):
                if self.unify(r.elem, lt) is None:
                    kind = "set" if isinstance(r, SetT) else "bag"
                    self.error(Code.TYPE_MISMATCH, f"`{op}` tests {self.a_show(lt)} against a {kind} of "
                               f"{self.show(r.elem)}", e)
                    self._poison(lt)
                    self._poison(r)
            elif not isinstance(r, ErrT):
                hint = "for a map, use `m.has(k)`" if isinstance(r, MapT) else None
                if hint is None and e.id in self.let_bodies:
                    hint = ("a `let` binding's value ends at the first `in`, so this `in` is the body of the let; "
                            "to bind a membership test, parenthesise it: `let x = (a in S) in ...`")
                self.error(Code.TYPE_MISMATCH, f"`{op}` needs a set or a bag on the right, found {self.show(r)}",
                           e.right, hint=hint)
                self._poison(lt)
                self._poison(r)
            return BOOL
        if op in ("subseteq", "union", "intersect", "diff"):
            u = self.set_pair(e, e.left, e.right, op, lt, rt)
            return BOOL if op == "subseteq" else u
        if op == "++":
            for node, t in ((e.left, lt), (e.right, rt)):
                r = self.resolve(t)
                if not isinstance(r, (SeqT, TVar, ErrT)):
                    self.error(Code.TYPE_MISMATCH, f"`++` concatenates sequences, found {self.show(r)}", node)
                    self._poison(lt)
                    self._poison(rt)
                    return ERR
            u = self.unify(lt, rt)
            if u is None:
                self.error(Code.TYPE_MISMATCH, f"`++` joins {self.show(lt)} with {self.show(rt)}", e)
                self._poison(lt)
                self._poison(rt)
                return ERR
            r = self.resolve(u)
            if isinstance(r, TVar):
                u = self.unify(r, SeqT(self.fresh(e))) or ERR
            if isinstance(r, SeqT) and r.max_len is not None:
                u = SeqT(r.elem)
            return u
        raise AssertionError(op)  # pragma: no cover

    def want_int(self, node, t: Type, op: str, compares: bool = False) -> bool:
        """Check an integer operand of ``op``; False (reported) when it is not one."""
        r = self.resolve(t)
        if isinstance(r, (IntT, ErrT)):
            return True
        if isinstance(r, TVar):
            self.unify(r, INT)
            return True
        verb = "compares integers" if compares else "needs int operands"
        hint = None
        if isinstance(r, ModelT):
            hint = ("model values are not numbers: `<` orders two values of one set (in declaration order), "
                    "nothing else does")
        self.error(Code.TYPE_MISMATCH, f"`{op}` {verb}, found {self.show(r)}", node, hint=hint)
        self._poison(r)
        return False

    def set_pair(self, e, left, right, op: str, lt: Type, rt: Type) -> Type:
        for node, t in ((left, lt), (right, rt)):
            r = self.resolve(t)
            if not isinstance(r, (SetT, TVar, ErrT)):
                self.error(Code.TYPE_MISMATCH, f"`{op}` needs sets, found {self.show(r)}", node)
                self._poison(lt)
                self._poison(rt)
                return ERR
        u = self.unify(lt, rt)
        if u is None:
            self.error(Code.TYPE_MISMATCH, f"`{op}` combines {self.show(lt)} with {self.show(rt)}", e)
            self._poison(lt)
            self._poison(rt)
            return ERR
        if isinstance(self.resolve(u), TVar):
            u = self.unify(u, SetT(self.fresh(e))) or ERR
        return u

    def infer_record_update(self, e: ir.RecordUpdate, ctx: Ctx) -> Type:
        bt = self.resolve(self.infer(e.base, ctx))
        vals = [(n, x, self.infer(x, ctx)) for n, x in e.fields]
        if isinstance(bt, ErrT) or not isinstance(bt, RecordT):
            self._poison_all([t for _, _, t in vals])
            if not isinstance(bt, ErrT):
                self.error(Code.TYPE_MISMATCH, f"`{{ ...r, f: e }}` updates a record, found {self.show(bt)}",
                           e.base)
            return ERR
        names = [n for n, _ in bt.fields]
        for n, x, t in vals:
            if n not in names:
                self.error(Code.TYPE_MISMATCH, f"record {self.show(bt)} has no field `{n}`"
                           + self.did_you_mean(n, names), x)
                self._poison(t)
                continue
            self.expect(x, t, bt.field_type(n), f"field `{n}`")
        return bt

    def domain_type(self, dom) -> Type | None:
        """The indexable type a comprehension domain denotes as a whole, if any."""
        if isinstance(dom, ir.Name):
            ref = self.refs.get(dom.id)
            if ref is None:
                return None
            if ref.kind == "const" and dom.name in self.models:
                return self.models[dom.name]
            if ref.kind == "typeset" and ref.type is not None and is_indexable(ref.type):
                return ref.type
            return None
        if isinstance(dom, ir.Binary) and dom.op == "..":
            lo, hi = self.try_const(dom.left), self.try_const(dom.right)
            if lo is None or hi is None:
                return None
            return IntT(lo, hi)
        return None

    def infer_funcomp(self, e: ir.FunComp, ctx: Ctx) -> Type:
        inner = self.bind_binders(e.binders, ctx)
        if e.cond is not None:
            self.check_bool(e.cond, inner, "the `if` of a comprehension")
        kt = self.infer(e.key, inner)
        vt = self.infer(e.value, inner)
        if (len(e.binders) == 1 and e.cond is None and isinstance(e.key, ir.Name)
                and e.key.name == e.binders[0].name):
            dom = self.domain_type(e.binders[0].domain)
            if dom is not None:
                return FunT(dom, vt)
        return MapT(kt, vt)

    def infer_index(self, e: ir.Index, ctx: Ctx) -> Type:
        bt = self.resolve(self.infer(e.base, ctx))
        kt = self.infer(e.key, ctx)
        if isinstance(bt, ErrT):
            self._poison(kt)
            return ERR
        if isinstance(bt, FunT):
            self.expect(e.key, kt, bt.dom, "function key")
            return bt.cod
        if isinstance(bt, MapT):
            self.expect(e.key, kt, bt.key, "map key")
            return bt.val
        if isinstance(bt, SeqT):
            self.expect(e.key, kt, INT, "sequence index")
            return bt.elem
        if isinstance(bt, TupleT):
            k = e.key
            if isinstance(k, ir.Lit) and not isinstance(k.value, bool):
                if 1 <= k.value <= len(bt.elems):
                    return bt.elems[k.value - 1]
                self.error(Code.TYPE_MISMATCH, f"tuple index {k.value} is out of range: {self.show(bt)} has "
                           f"{plural(len(bt.elems), 'component')} (numbered from 1)", e.key)
                return ERR
            self.error(Code.TYPE_MISMATCH, "a tuple component is selected by a literal integer, as in `t[1]`",
                       e.key)
            return ERR
        hint = "use `.field` to read a record field" if isinstance(bt, RecordT) else None
        self.error(Code.TYPE_MISMATCH, f"cannot index {self.a_show(bt)}", e, hint=hint)
        self._poison(kt)
        return ERR

    # ------------------------------------------------------------------ calls

    def infer_call(self, e: ir.Call, ctx: Ctx) -> Type:
        n = e.func
        g = self.globals.get(n)
        if g is not None and g.kind == "def":
            self.refs[e.id] = Ref("def", n)
            d: ir.DefDecl = g.decl
            ats = [self.infer(a, ctx) for a in e.args]
            rt = self.def_type(n, e)
            if len(e.args) != len(d.params):
                self.error(Code.ARITY, arity_msg(e, f"`{n}`", (len(d.params),)), e)
                self._poison_all(ats)
                return ERR
            for i, (a, at, pt) in enumerate(zip(e.args, ats, self.def_params.get(n, [ERR] * len(d.params))), 1):
                self.expect(a, at, pt, f"argument {i} of `{n}`")
            return rt
        if g is not None and g.kind == "ctor":
            et = self.enums.get(g.enum)
            self.refs[e.id] = Ref("ctor", n, type=et)
            ats = [self.infer(a, ctx) for a in e.args]
            if et is None:
                self._poison_all(ats)
                return ERR
            c = et.constructor(n)
            if len(e.args) != len(c.args):
                self._poison_all(ats)
                if not c.args:
                    self.error(Code.ARITY, f"constructor `{n}` takes no arguments: write `{n}`", e)
                else:
                    self.error(Code.ARITY, arity_msg(e, f"constructor `{n}`", (len(c.args),)), e)
                return et
            for i, (a, at, pt) in enumerate(zip(e.args, ats, c.args), 1):
                self.expect(a, at, pt, f"argument {i} of `{n}`")
            return et
        if n in ARITIES:
            self.refs[e.id] = Ref("builtin", n)
            ats = [self.infer(a, ctx) for a in e.args]
            arities = ARITIES[n]
            if len(e.args) not in arities:
                self.error(Code.ARITY, arity_msg(e, f"`{n}`", arities), e)
                self._poison_all(ats)
                return ERR
            return self.builtin(e, n, ats)
        self._poison_all([self.infer(a, ctx) for a in e.args])
        if g is not None or n in ctx.locals:
            what = "a local name" if n in ctx.locals else KIND_WORDS[g.kind]
            self.refs[e.id] = Ref("local" if n in ctx.locals else g.kind, n)
            self.error(Code.TYPE_MISMATCH, f"`{n}` is {what}, not an operator: it cannot be called", e)
            return ERR
        self.refs[e.id] = Ref("builtin", n)  # unresolved; reported here
        cands = [k for k, gg in self.globals.items() if gg.kind in ("def", "ctor")] + list(ARITIES)
        self.error(Code.UNKNOWN_NAME, f"unknown operator `{n}`" + self.did_you_mean(n, cands), e)
        return ERR

    def builtin(self, e: ir.Call, n: str, ats: list[Type]) -> Type:
        """The type of a call of built-in ``n`` (its rule is in :mod:`modelcheck.dsl.builtins`)."""
        if any(isinstance(self.resolve(t), ErrT) for t in ats):
            for t in ats:
                self._poison(t)
            return ERR
        return BUILTIN_TABLE[n].type_rule(TypeArgs(self, e, n, ats))
