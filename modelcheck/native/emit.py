"""A checked spec's typed IR translated to C (the successor function, invariants,
constraints and step properties), following :mod:`modelcheck.dsl.compile` construct by
construct so that the C search sees the same successors in the same order.

Values are 64-bit words laid out by :mod:`.layout`. Expressions become C expressions of
type ``V`` (``int64_t``); binders, ``let`` and comprehensions use GCC's statement
expressions ``({ ... })``. A runtime error (a range, a division by zero, an index outside
a function's keys, ``choose`` without a witness) ``longjmp``s out of the search with the
IR node's id; the Python side then lets the Python backend report it.

What the Python compiler decides statically (constants, constant domains, the order of
``require``s after ``pick``s) is asked of it (:class:`modelcheck.dsl.compile.Compiler`),
not decided again here. Anything this translator does not know raises
:class:`~.layout.Unsupported` with the node, and ``--backend auto`` runs Python.
"""

from __future__ import annotations

import itertools
from typing import Any

from .. import ir
from ..dsl.builtins import FUN_SET
from ..dsl.checked import Checked
from ..dsl.compile import Compiler, _conjuncts  # noqa: F401 - the Python compiler's static knowledge
from ..types import BoolT, EnumT, FunT, IntT, ModelT, RecordT, SetT, TupleT, Type, domain_values
from .layout import Codec, FieldInt, FunCodec, IntCodec, ScalarCodec, SetCodec, Unsupported, codec, field_codec

#: runtime error kinds (info[0] of ST_ERROR); the text is the Python backend's to give
ERR_RANGE, ERR_DIV, ERR_INDEX, ERR_CHOOSE, ERR_EMPTY, ERR_TYPE = 1, 2, 3, 4, 5, 6


def _fits_field(c: Codec) -> bool:
    return c.kind == "scalar" or isinstance(c, FieldInt)


class Emitter:
    def __init__(self, checked: Checked):
        self.c = checked
        self.py = Compiler(checked)
        self.var_types = [t for _, t in checked.variables]
        self.var_index = {n: i for i, (n, _) in enumerate(checked.variables)}
        self.var_codecs = [codec(t) for t in self.var_types]
        self.n = 0
        self.tables: list[str] = []
        self.table_ids: dict[tuple, str] = {}
        self._ptypes: dict[tuple, Type | None] = {}

    # ------------------------------------------------------------------ helpers

    def fresh(self, base: str = "t") -> str:
        self.n += 1
        return f"{base}_{self.n}"

    def type_of(self, e: ir.Node) -> Type:
        return self.c.types[e.id]

    def codec_of(self, e: ir.Node) -> Codec:
        try:
            return codec(self.type_of(e))
        except Unsupported as u:
            raise Unsupported(u.message, e.id) from None

    def table(self, values: list[int], ctype: str = "V") -> str:
        key = (ctype, tuple(values))
        name = self.table_ids.get(key)
        if name is None:
            name = f"TAB_{len(self.tables)}"
            body = ", ".join(_c_int(v) for v in values) or "0"
            self.tables.append(f"static const {ctype} {name}[{max(1, len(values))}] = {{{body}}};")
            self.table_ids[key] = name
        return name

    def lit_of(self, value: Any, c: Codec, node: int | None = None) -> str:
        return _c_int(c.encode(value), node)

    def to_ord(self, c: Codec, src: str, node: int) -> str:
        """The ordinal of a value (word ``src`` of the standalone codec for ``c``'s type),
        checked to be one of the type's values."""
        if isinstance(c, FieldInt):
            return f"CHK(({src}) - ({c.lo}), {c.card}, {node})"
        return src

    def from_ord(self, c: Codec, src: str) -> str:
        """The standalone word of the value with ordinal ``src``."""
        if isinstance(c, FieldInt):
            # signed: a field read from a packed function is unsigned in C (0 > -1 false)
            return f"((V)({src}) + ({c.lo}))"
        return f"((V)({src}))"

    def key_pos(self, dom: Type, key_src: str, key_node: ir.Node | None, node: int) -> str:
        """The position of a key among ``domain_values(dom)`` (a function's field)."""
        if key_node is not None:
            try:
                v = self.py.static_value(key_node)
                return str(domain_values(dom).index(v))
            except (LookupError, ValueError):
                pass
        if isinstance(dom, (ModelT, BoolT)):
            return key_src
        if isinstance(dom, IntT):
            return f"CHKI(({key_src}) - ({dom.lo}), {dom.hi - dom.lo + 1}, {node})"
        if isinstance(dom, EnumT):
            sc = codec(dom)
            names = domain_values(dom)
            # ordinal (name order) -> declaration position
            pos = [names.index(sc.decode(o)) for o in range(sc.card)]
            return f"{self.table(pos)}[{key_src}]"
        raise Unsupported(f"a function over {dom.show()}", node)

    def same(self, t: Type, node: ir.Node) -> None:
        """Refuse a compound value of one type used where another is expected: the two
        may lay their bounded integers out differently (``set[0..3]`` and ``set[1..3]``)."""
        u = self.type_of(node)
        if t == u or (isinstance(t, IntT) and isinstance(u, IntT)):
            return
        raise Unsupported(f"a value of type {u.show()} used as a {t.show()} (the C backend lays the two out "
                          f"differently)", node.id)

    # ------------------------------------------------------------------ expressions

    def x(self, e: ir.Node, env: dict) -> str:
        if not isinstance(e, (ir.Lit, ir.Name, ir.Primed)):
            try:
                v = self.py.static_value(e)
            except LookupError:
                pass
            else:
                try:
                    return self.lit_of(v, self.codec_of(e))
                except Unsupported:
                    pass
        m = getattr(self, "x_" + type(e).__name__, None)
        if m is None:
            raise Unsupported(f"the C backend does not compile {type(e).__name__} expressions yet", e.id)
        return m(e, env)

    def x_Lit(self, e, env):
        v = e.value
        if isinstance(v, bool):
            return "1" if v else "0"
        if isinstance(v, int):
            return _c_int(v, e.id)
        raise Unsupported(f"the literal {v!r}", e.id)

    def x_Name(self, e, env):
        r = self.py.ref(e)
        if r.kind == "var":
            return env["$vars"][r.index]
        if r.kind == "local":
            return env[e.name]
        if r.kind in ("const", "typeset", "ctor"):
            try:
                v = self.py.static_value(e) if r.kind != "ctor" else r.name
            except LookupError:
                v = self.c.consts[r.name]
            return self.lit_of(v, self.codec_of(e), e.id)
        if r.kind == "modelvalue":
            return str(r.index)
        if r.kind == "def":
            return self.call_def(e, r.name, (), env)
        raise Unsupported(f"the name {e.name}", e.id)

    def x_Primed(self, e, env):
        r = self.py.ref(e)
        if r is not None and r.kind == "def":
            return self.call_def(e, r.name, (), {**env, "$vars": env["$primed"]})
        if env.get("$primed") is None:
            raise Unsupported("a primed variable here", e.id)
        return env["$primed"][self.var_index[e.name]]

    def x_Prime(self, e, env):
        return self.x(e.expr, {**env, "$vars": env["$primed"]})

    def x_Unary(self, e, env):
        a = self.x(e.arg, env)
        return f"(!{a})" if e.op == "not" else f"mc_sub(r, 0, {a}, {e.id})"

    def x_Binary(self, e, env):
        op = e.op
        if op in ("and", "or", "implies"):
            a, b = self.py.static_bool(e.left), self.py.static_bool(e.right)
            if a is not None or b is not None:
                if op == "and":
                    if a is False or b is False:
                        return "0"
                    return self.x(e.right, env) if a is True else self.x(e.left, env)
                if op == "or":
                    if a is True or b is True:
                        return "1"
                    return self.x(e.right, env) if a is False else self.x(e.left, env)
                if a is False or b is True:
                    return "1"
                if a is True:
                    return self.x(e.right, env)
                return f"(!{self.x(e.left, env)})"
        if op in ("in", "notin"):
            src = self.member(e.left, e.right, env, e.id)
            return src if op == "in" else f"(!{src})"
        if op == "..":
            raise Unsupported("a range a..b as a value (the C backend iterates ranges and tests membership)",
                              e.id)
        if op in ("==", "!=", "iff", "union", "intersect", "diff", "subseteq"):
            self.same(self.type_of(e.left), e.right)
        a = self.x(e.left, env)
        b = self.x(e.right, env)
        if op == "and":
            return f"({a} && {b})"
        if op == "or":
            return f"({a} || {b})"
        if op == "implies":
            return f"(!{a} || {b})"
        if op in ("==", "iff"):
            return f"({a} == {b})"
        if op == "!=":
            return f"({a} != {b})"
        if op in ("<", "<=", ">", ">="):
            lt = self.type_of(e.left)
            if not isinstance(lt, (IntT, ModelT)):
                raise Unsupported(f"`{op}` on {lt.show()}", e.id)
            return f"({a} {op} {b})"
        if op in ("+", "-", "*"):
            # Python's integers have no bounds: an overflow of 64 bits is an error here,
            # and the run is repeated on Python
            fn = {"+": "mc_add", "-": "mc_sub", "*": "mc_mul"}[op]
            return f"{fn}(r, {a}, {b}, {e.id})"
        if op == "/":
            return f"mc_div(r, {a}, {b}, {e.id})"
        if op == "%":
            return f"mc_mod(r, {a}, {b}, {e.id})"
        if op == "union":
            return f"({a} | {b})"
        if op == "intersect":
            return f"({a} & {b})"
        if op == "diff":
            return f"({a} & ~{b})"
        if op == "subseteq":
            return f"(({a} & ~{b}) == 0)"
        raise Unsupported(f"the operator `{op}`", e.id)

    def member(self, elem: ir.Node, dom: ir.Node, env, node: int) -> str:
        """``elem in dom``."""
        if isinstance(dom, ir.Binary) and dom.op == "..":
            x = self.fresh("x")
            return (f"({{ V {x} = {self.x(elem, env)}; ({self.x(dom.left, env)} <= {x}) && "
                    f"({x} <= {self.x(dom.right, env)}); }})")
        if isinstance(dom, ir.SetLit) and dom.elems:
            x = self.fresh("x")
            parts = " || ".join(f"({x} == {self.x(d, env)})" for d in dom.elems)
            return f"({{ V {x} = {self.x(elem, env)}; ({parts}); }})"
        sc = self.codec_of(dom)
        if not isinstance(sc, SetCodec):
            raise Unsupported(f"membership in a {self.type_of(dom).show()}", node)
        o = self.fresh("o")
        ordsrc = self.x(elem, env)
        if isinstance(sc.elem, FieldInt):
            ordsrc = f"(({ordsrc}) - ({sc.elem.lo}))"
        return (f"({{ V {o} = {ordsrc}; ({o} >= 0 && {o} < {sc.elem.card} && "
                f"(((uint64_t){self.x(dom, env)} >> {o}) & 1)); }})")

    def x_If(self, e, env):
        c = self.py.static_bool(e.cond)
        if c is not None:
            return self.x(e.then if c else e.else_, env)
        return f"({self.x(e.cond, env)} ? {self.x(e.then, env)} : {self.x(e.else_, env)})"

    def x_Let(self, e, env):
        env2 = dict(env)
        decls = []
        for name, value in e.bindings:
            c = self.fresh(name)
            decls.append(f"V {c} = {self.x(value, env2)};")
            env2[name] = c
        return f"({{ {' '.join(decls)} {self.x(e.body, env2)}; }})"

    # ------------------------------------------------------------------ iteration

    def loop(self, b: ir.Binder, env: dict, body: str, env2: dict, var: str) -> str:
        """C source running ``body`` (a statement, which may ``break``/``goto``) with ``var``
        bound to each value of the binder's domain, in the Python backend's order."""
        d = b.domain
        dom = self.py.static_domain(d)
        if dom is not None:
            ec = self._elem_codec(d)
            vals = [ec.encode(v) for v in dom]
            if not vals:
                return ";"
            tab = self.table(vals)
            i = self.fresh("i")
            return f"for (int64_t {i} = 0; {i} < {len(vals)}; {i}++) {{ V {var} = {tab}[{i}]; {body} }}"
        if isinstance(d, ir.Binary) and d.op == "..":
            hi = self.fresh("hi")
            return (f"for (V {var} = {self.x(d.left, env)}, {hi} = {self.x(d.right, env)}; {var} <= {hi}; "
                    f"{var}++) {{ {body} }}")
        sc = self.codec_of(d)
        if not isinstance(sc, SetCodec):
            raise Unsupported(f"iterating over a {self.type_of(d).show()}", d.id)
        m = self.fresh("m")
        k = self.fresh("k")
        return (f"for (uint64_t {m} = (uint64_t){self.x(d, env)}; {m}; {m} &= {m} - 1) {{ "
                f"int {k} = __builtin_ctzll({m}); V {var} = {self.from_ord(sc.elem, k)}; {body} }}")

    def _elem_codec(self, d: ir.Node) -> Codec:
        t = self.type_of(d)
        if not isinstance(t, SetT):
            raise Unsupported(f"iterating over a {t.show()}", d.id)
        try:
            return codec(t.elem)
        except Unsupported as u:
            raise Unsupported(u.message, d.id) from None

    def nest(self, binders, env: dict, inner) -> str:
        """Nested loops over ``binders`` (each may depend on the earlier ones); ``inner``
        gets the environment inside and returns the innermost statement."""
        env2 = dict(env)
        vars_ = []
        for b in binders:
            v = self.fresh(b.name)
            vars_.append((b, dict(env2), v))
            env2[b.name] = v
        src = inner(env2)
        for b, envb, v in reversed(vars_):
            src = self.loop(b, envb, src, env2, v)
        return src

    def x_Quant(self, e, env):
        done = self.fresh("L")
        res = self.fresh("q")
        if e.kind == "choose":
            (b,) = e.binders
            found = self.fresh("f")
            inner = lambda env2: (f"if ({self.x(e.body, env2)}) {{ {res} = {env2[b.name]}; {found} = 1; "  # noqa: E731
                                  f"goto {done}; }}")
            loops = self.nest(e.binders, env, inner)
            return (f"({{ V {res} = 0; int {found} = 0; {loops} {done}: ; "
                    f"if (!{found}) mc_fail(r, {ERR_CHOOSE}, {e.id}); {res}; }})")
        if e.kind == "forall":
            inner = lambda env2: f"if (!({self.x(e.body, env2)})) {{ {res} = 0; goto {done}; }}"  # noqa: E731
            start = 1
        else:
            inner = lambda env2: f"if ({self.x(e.body, env2)}) {{ {res} = 1; goto {done}; }}"  # noqa: E731
            start = 0
        loops = self.nest(e.binders, env, inner)
        return f"({{ V {res} = {start}; {loops} {done}: ; {res}; }})"

    def set_bit(self, sc: SetCodec, elem_src: str, node: int) -> str:
        o = self.to_ord(sc.elem, elem_src, node) if isinstance(sc.elem, FieldInt) else \
            f"CHK({elem_src}, {sc.elem.card}, {node})"
        return f"((V)((uint64_t)1 << {o}))"

    def x_SetLit(self, e, env):
        sc = self.codec_of(e)
        if not isinstance(sc, SetCodec):
            raise Unsupported(f"a set of type {self.type_of(e).show()}", e.id)
        if not e.elems:
            return "((V)0)"
        return "(" + " | ".join(self.set_bit(sc, self.x(x, env), e.id) for x in e.elems) + ")"

    def x_SetComp(self, e, env):
        sc = self.codec_of(e)
        if not isinstance(sc, SetCodec):
            raise Unsupported(f"a set of type {self.type_of(e).show()}", e.id)
        acc = self.fresh("acc")

        def inner(env2):
            add = f"{acc} |= {self.set_bit(sc, self.x(e.elem, env2), e.id)};"
            if e.cond is not None:
                return f"if ({self.x(e.cond, env2)}) {{ {add} }}"
            return add

        return f"({{ V {acc} = 0; {self.nest(e.binders, env, inner)} {acc}; }})"

    def x_FunComp(self, e, env):
        fc = self.codec_of(e)
        if not isinstance(fc, FunCodec):
            raise Unsupported(f"a map ({self.type_of(e).show()})", e.id)
        (b,) = e.binders
        kc = codec(fc.t.dom)
        parts = []
        for pos, k in enumerate(fc.keys):
            env2 = dict(env)
            env2[b.name] = _c_int(kc.encode(k))
            parts.append(self.put_slot(fc, pos, self.x(e.value, env2), e.id))
        return "(" + " | ".join(parts) + ")"

    def slot_of(self, fc: FunCodec, val_src: str, node: int) -> str:
        """The field value for a function's value (its ordinal, or its set's mask)."""
        if isinstance(fc.val, SetCodec):
            return f"((uint64_t)({val_src}))"
        if isinstance(fc.val, FieldInt):
            return f"((uint64_t){self.to_ord(fc.val, val_src, node)})"
        return f"((uint64_t)CHK({val_src}, {fc.val.card}, {node}))"

    def put_slot(self, fc: FunCodec, pos, val_src: str, node: int) -> str:
        return f"((V)({self.slot_of(fc, val_src, node)} << (({pos}) * {fc.width})))"

    def get_slot(self, fc: FunCodec, f_src: str, pos: str) -> str:
        raw = f"(((uint64_t)({f_src}) >> (({pos}) * {fc.width})) & {fc.mask}ull)"
        if isinstance(fc.val, SetCodec):
            return f"((V){raw})"
        return self.from_ord(fc.val, raw)

    def x_SeqLit(self, e, env):
        raise Unsupported("sequences are not supported by the C backend yet", e.id)

    def x_TupleLit(self, e, env):
        sc = self.codec_of(e)
        return self.compose(sc, [self.x(x, env) for x in e.elems], e.id, list(e.elems))

    def compose(self, sc: Codec, srcs: list[str], node: int, nodes: list | None = None) -> str:
        if not isinstance(sc, ScalarCodec) or not sc.fields:
            raise Unsupported("a compound value", node)
        parts = []
        ets = sc.t.elems if isinstance(sc.t, TupleT) else [ft for _, ft in sc.t.fields]
        for k, (f, s, stride) in enumerate(zip(sc.fields, srcs, sc.strides)):
            if nodes is not None and nodes[k] is not None:
                self.same(ets[k], nodes[k])
            o = self.to_ord(f, s, node) if isinstance(f, FieldInt) else s
            parts.append(f"(({o}) * {stride}ll)")
        return "(" + " + ".join(parts) + ")"

    def field(self, sc: ScalarCodec, src: str, k: int) -> str:
        f = sc.fields[k]
        return self.from_ord(f, f"((({src}) / {sc.strides[k]}ll) % {f.card}ll)")

    def x_RecordLit(self, e, env):
        t = self.type_of(e)
        sc = self.codec_of(e)
        given = dict(e.fields)
        return self.compose(sc, [self.x(given[f], env) for f, _ in t.fields], e.id, [given[f] for f, _ in t.fields])

    def x_RecordUpdate(self, e, env):
        t = self.type_of(e)
        sc = self.codec_of(e)
        given = dict(e.fields)
        b = self.fresh("rec")
        self.same(t, e.base)
        srcs = [self.x(given[f], env) if f in given else self.field(sc, b, i) for i, (f, _) in enumerate(t.fields)]
        nodes = [given.get(f) for f, _ in t.fields]
        return f"({{ V {b} = {self.x(e.base, env)}; {self.compose(sc, srcs, e.id, nodes)}; }})"

    def x_Index(self, e, env):
        bt = self.type_of(e.base)
        base = self.x(e.base, env)
        if isinstance(bt, TupleT):
            sc = self.codec_of(e.base)
            return self.field(sc, base, self.py.static_value(e.key) - 1)
        if isinstance(bt, FunT):
            fc = self.codec_of(e.base)
            pos = self.key_pos(bt.dom, self.x(e.key, env), e.key, e.id)
            return self.get_slot(fc, base, pos)
        raise Unsupported(f"indexing a {bt.show()}", e.id)

    def x_Field(self, e, env):
        t = self.type_of(e.base)
        if isinstance(t, RecordT):
            sc = self.codec_of(e.base)
            return self.field(sc, self.x(e.base, env), t.index(e.name))
        if isinstance(t, EnumT):
            sc = self.codec_of(e.base)
            v = self.fresh("c")
            out = f"(mc_fail(r, {ERR_TYPE}, {e.id}), (V)0)"
            for c in t.constructors:
                i = c.field_index(e.name)
                if i is None:
                    continue
                out = f"({self.ctor_test(sc, c.name, v)} ? {self.ctor_arg(sc, c.name, i, v)} : {out})"
            return f"({{ V {v} = {self.x(e.base, env)}; {out}; }})"
        raise Unsupported(f"a field of a {t.show()}", e.id)

    def ctor_test(self, sc: ScalarCodec, name: str, v: str) -> str:
        c = sc.ctor(name)
        if c.size == 1:
            return f"({v} == {c.base})"
        return f"((uint64_t)({v} - {c.base}) < {c.size}ull)"

    def ctor_arg(self, sc: ScalarCodec, name: str, k: int, v: str) -> str:
        c = sc.ctor(name)
        a = c.args[k]
        return self.from_ord(a, f"((({v} - {c.base}) / {c.strides[k]}ll) % {a.card}ll)")

    def x_CtorTest(self, e, env):
        sc = self.codec_of(e.expr)
        v = self.fresh("c")
        return f"({{ V {v} = {self.x(e.expr, env)}; {self.ctor_test(sc, e.ctor, v)}; }})"

    def x_CtorArg(self, e, env):
        sc = self.codec_of(e.expr)
        v = self.fresh("c")
        return (f"({{ V {v} = {self.x(e.expr, env)}; "
                f"{self.ctor_arg(sc, e.ctor, e.index - 1, v)}; }})")

    def x_Match(self, e, env):
        sc = self.codec_of(e.subject)
        m = self.fresh("m")
        out = None
        for ctor, names, body in reversed(e.arms):
            env2 = dict(env)
            for i, n in enumerate(names):
                if n != "_":
                    env2[n] = self.ctor_arg(sc, ctor, i, m)
            b = self.x(body, env2)
            if out is None:
                out = b
                continue
            out = f"({self.ctor_test(sc, ctor, m)} ? {b} : {out})"
        return f"({{ V {m} = {self.x(e.subject, env)}; {out}; }})"

    def x_Call(self, e, env):
        r = self.py.ref(e)
        if r.kind == "def":
            return self.call_def(e, r.name, e.args, env)
        if r.kind == "ctor":
            sc = self.codec_of(e)
            c = sc.ctor(r.name)
            parts = [str(c.base)]
            ctor_t = self.type_of(e).constructor(r.name)
            for a, arg, stride, at in zip(c.args, e.args, c.strides, ctor_t.args):
                self.same(at, arg)
                src = self.x(arg, env)
                o = self.to_ord(a, src, e.id) if isinstance(a, FieldInt) else src
                parts.append(f"(({o}) * {stride}ll)")
            return "(" + " + ".join(parts) + ")"
        return self.builtin(e, r.name, env)

    def call_def(self, e, name, args, env):
        d = self.py.defs[name]
        env2 = {k: v for k, v in env.items() if k.startswith("$")}
        decls = []
        for p, a in zip(d.params, args):
            pt = self.param_type(d, p.name)
            if pt is not None:
                self.same(pt, a)
            c = self.fresh(p.name)
            decls.append(f"V {c} = {self.x(a, env)};")
            env2[p.name] = c
        body = self.x(d.body, env2)
        if not decls:
            return body
        return f"({{ {' '.join(decls)} {body}; }})"

    def param_type(self, d: ir.DefDecl, name: str) -> Type | None:
        """The type a def's body gives its parameter ``name`` (None: unused)."""
        key = (d.name, name)
        if key not in self._ptypes:
            t = None
            for n in ir.walk(d.body):
                if isinstance(n, ir.Name) and n.name == name:
                    r = self.py.ref(n)
                    if r is not None and r.kind == "local":
                        t = self.type_of(n)
                        break
            self._ptypes[key] = t
        return self._ptypes[key]

    def builtin(self, e, name, env):
        a = e.args
        if name == "size":
            t = self.type_of(a[0])
            if isinstance(a[0], ir.Binary) and a[0].op == "..":
                lo, hi = self.fresh("lo"), self.fresh("hi")
                return (f"({{ V {lo} = {self.x(a[0].left, env)}, {hi} = {self.x(a[0].right, env)}; "
                        f"{hi} >= {lo} ? {hi} - {lo} + 1 : 0; }})")
            if isinstance(t, SetT):
                self.codec_of(a[0])
                return f"((V)__builtin_popcountll((uint64_t){self.x(a[0], env)}))"
        if name in ("union", "intersect", "diff", "subseteq"):
            self.same(self.type_of(a[0]), a[1])
            x, y = self.x(a[0], env), self.x(a[1], env)
            return {"union": f"({x} | {y})", "intersect": f"({x} & {y})", "diff": f"({x} & ~{y})",
                    "subseteq": f"(({x} & ~{y}) == 0)"}[name]
        if name == "isEmpty" and isinstance(self.type_of(a[0]), SetT):
            return f"({self.x(a[0], env)} == 0)"
        if name == "abs":
            v = self.fresh("a")
            return f"({{ V {v} = {self.x(a[0], env)}; {v} < 0 ? -{v} : {v}; }})"
        if name in ("min", "max") and len(a) == 2:
            x, y = self.fresh("a"), self.fresh("b")
            op = "<=" if name == "min" else ">="
            return f"({{ V {x} = {self.x(a[0], env)}, {y} = {self.x(a[1], env)}; {x} {op} {y} ? {x} : {y}; }})"
        if name in ("min", "max") and len(a) == 1:
            sc = self.codec_of(a[0])
            if isinstance(sc, SetCodec):
                m = self.fresh("m")
                k = f"__builtin_ctzll({m})" if name == "min" else f"(63 - __builtin_clzll({m}))"
                return (f"({{ uint64_t {m} = (uint64_t){self.x(a[0], env)}; if (!{m}) mc_fail(r, {ERR_EMPTY}, "
                        f"{e.id}); {self.from_ord(sc.elem, k)}; }})")
        if name == "put" and isinstance(self.type_of(a[0]), FunT):
            fc = self.codec_of(a[0])
            f, p = self.fresh("f"), self.fresh("p")
            pos = self.key_pos(fc.t.dom, self.x(a[1], env), a[1], e.id)
            return (f"({{ V {f} = {self.x(a[0], env)}; V {p} = {pos}; "
                    f"(V)(((uint64_t){f} & ~({fc.mask}ull << ({p} * {fc.width}))) | "
                    f"(uint64_t){self.put_slot(fc, p, self.x(a[2], env), e.id)}); }})")
        raise Unsupported(f"the built-in `{name if name != FUN_SET else '[S -> T]'}` on "
                          f"{', '.join(self.type_of(x).show() for x in a)}", e.id)

    # ------------------------------------------------------------------ statements

    def block(self, stmts: list, env: dict, assigned: dict, out: list, emit) -> None:
        for k, st in enumerate(stmts):
            rest = stmts[k + 1:]
            if isinstance(st, ir.Require):
                out.append(f"if ({self.x(st.cond, env)}) {{")
                self.block(rest, env, assigned, out, emit)
                out.append("}")
                return
            if isinstance(st, ir.LetStmt):
                c = self.fresh(st.name)
                out.append(f"{{ V {c} = {self.x(st.value, env)};")
                env = dict(env)
                env[st.name] = c
                self.block(rest, env, assigned, out, emit)
                out.append("}")
                return
            if isinstance(st, ir.Pick):
                v = self.fresh(st.binder.name)
                env2 = dict(env)
                env2[st.binder.name] = v
                params = env.get("$params", {})
                if id(st) in params:
                    # an action parameter: its index in the static domain makes the label
                    dom = self.py.static_domain(st.binder.domain)
                    ec = self._elem_codec(st.binder.domain)
                    vals = [ec.encode(x) for x in dom]
                    i = self.fresh("i")
                    env2["$idx"] = {**env.get("$idx", {}), st.binder.name: i}
                    if not vals:
                        return
                    out.append(f"for (int64_t {i} = 0; {i} < {len(vals)}; {i}++) {{ V {v} = {self.table(vals)}[{i}];")
                    self.block(rest, env2, assigned, out, emit)
                    out.append("}")
                    return
                inner: list[str] = []
                self.block(rest, env2, assigned, inner, emit)
                out.append(self.loop(st.binder, env, "\n".join(inner), env2, v))
                return
            if isinstance(st, ir.Either):
                for br in st.branches:
                    out.append("{")
                    self.block(list(br.stmts) + rest, env, dict(assigned), out, emit)
                    out.append("}")
                return
            if isinstance(st, ir.IfStmt):
                out.append(f"if ({self.x(st.cond, env)}) {{")
                self.block(list(st.then.stmts) + rest, env, dict(assigned), out, emit)
                out.append("} else {")
                self.block(list(st.else_.stmts) + rest, env, dict(assigned), out, emit)
                out.append("}")
                return
            if isinstance(st, ir.Assign):
                i = self.var_index[st.var]
                c = self.fresh("n")
                self.same(self.var_types[i], st.value)
                out.append(f"V {c} = {self.x(st.value, env)};")
                vc = self.var_codecs[i]
                if isinstance(vc, IntCodec) and vc.bounded and not self.py.within(st.value, vc.t, {}):
                    out.append(f"if ({c} < {_c_int(vc.lo, st.id)} || {c} > {_c_int(vc.hi, st.id)}) "
                               f"mc_fail(r, {ERR_RANGE}, {st.id});")
                assigned = dict(assigned)
                assigned[i] = c
                continue
            if isinstance(st, ir.Assert):
                out.append(f"if (!({self.x(st.cond, env)})) {{ r->assert_failed = 1; return; }}")
                continue
            raise Unsupported(f"the statement {type(st).__name__}", st.id)
        emit(env, assigned, out)

    # ------------------------------------------------------------------ whole functions

    def gen_succ(self) -> tuple[str, int]:
        nvars = len(self.var_types)
        out = ["static void mc_succ(R *r, const V *s) {"]
        vs = [f"s[{i}]" for i in range(nvars)]
        base = 0
        for ai, a in enumerate(self.c.actions):
            static = [self.py.static_domain(p.domain) for p in a.params]
            if any(d is None for d in static):
                raise Unsupported(f"action {a.name} has a parameter whose values depend on the state", a.id)
            strides = [1] * len(static)
            for k in range(len(static) - 2, -1, -1):
                strides[k] = strides[k + 1] * len(static[k + 1])
            picks = [ir.Pick(p.id, p) for p in a.params]
            body = self.py.schedule(picks + list(a.body.stmts), set())
            env: dict[str, Any] = {"$vars": vs, "$primed": None, "$params": {id(p): True for p in picks}}
            names = [p.name for p in a.params]

            def emit(env2, assigned, lines, base=base, names=names, strides=strides):
                lab = " + ".join([str(base)] + [f"{env2['$idx'][n]} * {st}" for n, st in zip(names, strides)])
                o = self.fresh("o")
                lines.append(f"{{ V *{o} = mc_push(r, {lab});")
                for i in range(nvars):
                    lines.append(f"{o}[{i}] = {assigned.get(i, vs[i])};")
                lines.append("}")

            out.append(f"/* action {a.name} */")
            self.block(body, env, {}, out, emit)
            n = 1
            for d in static:
                n *= len(d)
            base += n
        out.append("}")
        return "\n".join(out), base

    def gen_preds(self) -> tuple[str, int, int, int]:
        nvars = len(self.var_types)
        vs = [f"s[{i}]" for i in range(nvars)]
        ws = [f"t[{i}]" for i in range(nvars)]
        groups: dict[str, list] = {"invariant": [], "step": [], "constraint": []}
        for p in self.c.properties:
            if p.kind in groups:
                groups[p.kind].append(p)
        out = []
        for kind, fn, sig in (("invariant", "mc_inv", "const V *s"), ("constraint", "mc_cons", "const V *s"),
                              ("step", "mc_step", "const V *s, const V *t")):
            out.append(f"static int {fn}(R *r, int k, {sig}) {{")
            out.append("  (void)r; (void)s;" + (" (void)t;" if kind == "step" else ""))
            out.append("  switch (k) {")
            for k, p in enumerate(groups[kind]):
                env = {"$vars": vs, "$primed": ws if kind == "step" else None}
                body = self.x(p.body, env)
                if kind == "step":
                    reads = sorted(self.py.var_reads(p.body))
                    if not reads:   # reads nothing: every step leaves it unchanged (run.py's rule)
                        out.append(f"  case {k}: return 1;")
                        continue
                    if reads:
                        same = " && ".join(f"t[{i}] == s[{i}]" for i in reads)
                        out.append(f"  case {k}: if ({same}) return 1; return ({body}) != 0;")
                        continue
                out.append(f"  case {k}: return ({body}) != 0;")
            out.append("  }\n  return 1;\n}")
        return "\n".join(out), len(groups["invariant"]), len(groups["step"]), len(groups["constraint"])

    def source(self, runtime: str) -> str:
        """The whole C translation unit."""
        succ, nlabels = self.gen_succ()
        preds, ninv, nstep, ncons = self.gen_preds()
        head = [f"#define NVARS {len(self.var_types)}", f"#define NLABELS {max(1, nlabels)}",
                f"#define NINV {ninv}", f"#define NSTEP {nstep}", f"#define NCONS {ncons}", runtime, PRELUDE]
        return "\n".join(head + self.tables + [preds, succ]) + "\n"


PRELUDE = r"""
/* ---- helpers of the generated code ---- */
#define CHK(o, n, node) ({ V _o = (o); if ((uint64_t)_o >= (uint64_t)(n)) mc_fail(r, 1, (node)); _o; })
#define CHKI(o, n, node) ({ V _o = (o); if ((uint64_t)_o >= (uint64_t)(n)) mc_fail(r, 3, (node)); _o; })
static inline V mc_add(R *r, V a, V b, int node) { V c; if (__builtin_add_overflow(a, b, &c)) mc_fail(r, 7, node); return c; }
static inline V mc_sub(R *r, V a, V b, int node) { V c; if (__builtin_sub_overflow(a, b, &c)) mc_fail(r, 7, node); return c; }
static inline V mc_mul(R *r, V a, V b, int node) { V c; if (__builtin_mul_overflow(a, b, &c)) mc_fail(r, 7, node); return c; }
static inline V mc_div(R *r, V a, V b, int node) {
    if (b == -1 && a == INT64_MIN) mc_fail(r, 7, node);
    if (b == 0) mc_fail(r, 2, node);
    V q = a / b; if ((a % b != 0) && ((a < 0) != (b < 0))) q--; return q;   /* floor, as Python */
}
static inline V mc_mod(R *r, V a, V b, int node) {
    if (b == 0) mc_fail(r, 2, node);
    if (b == -1) return 0;
    V m = a % b; if (m != 0 && ((m < 0) != (b < 0))) m += b; return m;
}
"""


def _c_int(v: int, node: int | None = None) -> str:
    """``v`` as a C constant. One beyond 64 bits is not compiled: the C compiler would
    keep its low 64 bits and the search would go on with another number."""
    if not -(1 << 63) <= v < (1 << 63):
        raise Unsupported(f"the integer {v} does not fit in 64 bits", node)
    if v == -(1 << 63):
        return "(-9223372036854775807ll - 1)"
    return f"{v}ll"


def translate(checked: Checked, runtime: str) -> str:
    """The C source of ``checked``; raises :class:`Unsupported` with a node id."""
    return Emitter(checked).source(runtime)
