"""A checked spec's typed IR translated to C (the successor function, invariants,
constraints and step properties), following :mod:`modelcheck.dsl.compile` construct by
construct so that the C search sees the same successors in the same order.

Values are laid out by :mod:`.layout`: expressions become C expressions of type ``V``
(``int64_t``), or of a struct ``Wn`` for a value of n words (its operations are generated
per width); binders, ``let`` and comprehensions use GCC's statement expressions
``({ ... })``. A value is always built in its own type's layout, and converted, checked,
where a type differing only in integer bounds is expected (:meth:`Emitter.x_as`). A runtime error (a range, a division by zero, an index outside
a function's keys, ``choose`` without a witness) ``longjmp``s out of the search with the
IR node's id; the Python side then lets the Python backend report it.

What the Python compiler decides statically (constants, constant domains, the order of
``require``s after ``pick``s) is asked of it (:class:`modelcheck.dsl.compile.Compiler`),
not decided again here. Anything this translator does not know raises
:class:`~.layout.Unsupported` with the node, and ``--backend auto`` runs Python.
"""

from __future__ import annotations

from typing import Any

from .. import ir
from ..dsl.builtins import FUN_SET
from ..dsl.checked import Checked
from ..dsl.compile import Compiler, fold_decision
from ..values import sort_values
from ..types import BoolT, EnumT, FunT, IntT, MapT, ModelT, RecordT, SeqT, SetT, TupleT, Type, domain_values
from .layout import (Codec, FieldInt, FunCodec, IntCodec, MapCodec, PairMapCodec, ScalarCodec, SetCodec, SetField, Unsupported, WordInt,
                     RecordCodec, RecSetCodec, SeqCodec, SparseSetCodec, WideFunCodec, WideSetCodec, codec)

#: a part of a state of at least this many words is interned (runtime.c: NCOMP)
COMP_MIN = 4

#: runtime error kinds (info[0] of ST_ERROR); the text is the Python backend's to give
ERR_RANGE, ERR_DIV, ERR_INDEX, ERR_CHOOSE, ERR_EMPTY, ERR_TYPE, ERR_OVERFLOW, ERR_CAP, ERR_WIDTH, ERR_DUP = \
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10


class Emitter:
    def __init__(self, checked: Checked):
        self.c = checked
        self.py = Compiler(checked)
        self.var_types = [t for _, t in checked.variables]
        self.var_index = {n: i for i, (n, _) in enumerate(checked.variables)}
        decls = {d.name: d for d in checked.module.decls if isinstance(d, ir.VarDecl)}
        self.var_codecs = []
        for (name, t) in checked.variables:
            try:
                self.var_codecs.append(codec(t))
            except Unsupported as u:      # located at the variable's declaration
                d = decls.get(name)
                raise Unsupported(f"variable {name}: {u.message}", d.id if d is not None else None) from None
        #: each variable's first word in the state, and the state's size in words
        self.offsets = []
        off = 0
        for c in self.var_codecs:
            self.offsets.append(off)
            off += c.words
        self.nwords = off
        self.widths: set[int] = set()
        self.sparse: set[int] = set()      # widths of sparse sets (their helpers)
        self.n = 0
        self.tables: list[str] = []
        self.table_ids: dict[tuple, str] = {}
        self._ptypes: dict[tuple, Type | None] = {}
        #: generated functions (value-order comparators, sets of records): prototypes,
        #: bodies, and the name given to each codec's
        self.protos: list[str] = []
        self.funcs: list[str] = []
        self.fnames: dict[tuple, str] = {}

    # ------------------------------------------------------------------ helpers

    def ctype(self, t: Type) -> str:
        """The C type of a value of type ``t``: ``V``, or ``Wn`` for a set of n words."""
        c = codec(t)
        if c.words > 1:
            self.widths.add(c.words)
            return f"W{c.words}"
        return "V"

    def wide(self, e: ir.Node):
        """The codec of a set of several words (a bit mask, or a sparse set), or None."""
        c = self.codec_of(e)
        if isinstance(c, (WideSetCodec, SparseSetCodec, RecSetCodec)):
            self.widths.add(c.words)
            return c
        return None

    def var_refs(self, arr: str, const: bool = True) -> list[str]:
        """C lvalues of the variables in the state array ``arr``."""
        out = []
        for off, c in zip(self.offsets, self.var_codecs):
            if c.words > 1:
                self.widths.add(c.words)
                out.append(f"(*({'const ' if const else ''}W{c.words} *)&{arr}[{off}])")
            else:
                out.append(f"{arr}[{off}]")
        return out

    def fresh(self, base: str = "t") -> str:
        """A new C identifier (a pattern's binder is named like ``M1a(b)``: kept readable)."""
        self.n += 1
        base = "".join(ch if ch.isalnum() else "_" for ch in base).strip("_") or "t"
        return f"{base}_{self.n}"

    def type_of(self, e: ir.Node) -> Type:
        return self.c.types[e.id]

    def seq_at(self, sc: SeqCodec | RecSetCodec, s: str, i: str) -> str:
        """Element ``i`` (1-based; a C expression) of the sequence (or the set kept as a
        list) held in the struct variable ``s``: an lvalue (of type ``V``, or ``Wn`` for
        elements of n words)."""
        if sc.ew == 1:
            return f"{s}.w[{i}]"
        self.widths.add(sc.ew)
        return f"(*(W{sc.ew} *)&{s}.w[1 + (({i}) - 1) * {sc.ew}])"

    def cmp_fn(self, c: Codec) -> str:
        """The name of a generated C function ``int f(const V *a, const V *b)`` that
        compares two values laid out by ``c`` in the checker's value order (:func:`vkey`:
        -1, 0 or 1), what the Python backend sorts a state-dependent domain by."""
        key = ("cmp", id(c))
        name = self.fnames.get(key)
        if name is not None:
            return name
        name = f"mc_cmp{len(self.fnames)}"
        self.fnames[key] = name
        three = "return (a[0] > b[0]) - (a[0] < b[0]);"
        if isinstance(c, (IntCodec, ScalarCodec, SetField)):
            body = three          # an integer, or an ordinal (ordinals follow the value order)
        elif isinstance(c, SetCodec):
            body = "return mc_maskcmp((uint64_t)a[0], (uint64_t)b[0]);"
        elif isinstance(c, WideSetCodec):
            body = (f"V ca = 0, cb = 0; for (int i = 0; i < {c.words}; i++) {{ "
                    f"ca += __builtin_popcountll((uint64_t)a[i]); cb += __builtin_popcountll((uint64_t)b[i]); }} "
                    f"if (ca != cb) return ca < cb ? -1 : 1; int wa = 0, wb = 0; "
                    f"uint64_t x = (uint64_t)a[0], y = (uint64_t)b[0]; "
                    f"for (V k = 0; k < ca; k++) {{ while (!x) x = (uint64_t)a[++wa]; while (!y) y = (uint64_t)b[++wb]; "
                    f"int i = wa * 64 + __builtin_ctzll(x), j = wb * 64 + __builtin_ctzll(y); "
                    f"if (i != j) return i < j ? -1 : 1; x &= x - 1; y &= y - 1; }} return 0;")
        elif isinstance(c, SparseSetCodec):
            body = ("if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1; "
                    "for (V i = 1; i <= a[0]; i++) if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1; return 0;")
        elif isinstance(c, (SeqCodec, RecSetCodec)):
            ec = self.cmp_fn(c.elem)
            body = (f"if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1; "
                    f"for (V i = 0; i < a[0]; i++) {{ int d = {ec}(&a[1 + i * {c.ew}], &b[1 + i * {c.ew}]); "
                    f"if (d) return d; }} return 0;")
        elif isinstance(c, RecordCodec):
            parts = [f"if ((d = {self.cmp_fn(f)}(&a[{o}], &b[{o}]))) return d;" for f, o in zip(c.fields, c.offs)]
            body = f"int d; {' '.join(parts)} return 0;"
        elif isinstance(c, MapCodec):
            # vkey: the size, then the (key, value) pairs by key: walk both maps' keys in
            # the keys' value order
            order = self.table([c.keys.index(k) for k in sort_values(c.keys)])
            vc, n, sl = self.cmp_fn(c.val), len(c.keys), c.slot
            body = (f"uint64_t x = (uint64_t)a[0], y = (uint64_t)b[0]; "
                    f"int cx = __builtin_popcountll(x), cy = __builtin_popcountll(y); if (cx != cy) return cx < cy ? -1 : 1; "
                    f"int i = 0, j = 0; for (int k = 0; k < cx; k++) {{ "
                    f"while (!((x >> {order}[i]) & 1)) i++; while (!((y >> {order}[j]) & 1)) j++; "
                    f"if (i != j) return i < j ? -1 : 1; "
                    f"int d = {vc}(&a[1 + {order}[i] * {sl}], &b[1 + {order}[j] * {sl}]); if (d) return d; i++; j++; }} "
                    f"return 0;")
        elif isinstance(c, PairMapCodec):
            # vkey: the size, then the (key, value) pairs by key, as the entries lie
            kc, vc, e, kw = self.cmp_fn(c.key), self.cmp_fn(c.val), c.ew, c.kw
            body = (f"if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1; "
                    f"for (V i = 0; i < a[0]; i++) {{ int d = {kc}(&a[1 + i * {e}], &b[1 + i * {e}]); if (d) return d; "
                    f"d = {vc}(&a[1 + i * {e} + {kw}], &b[1 + i * {e} + {kw}]); if (d) return d; }} return 0;")
        elif isinstance(c, WideFunCodec):
            vc = self.cmp_fn(c.val)
            body = (f"for (int k = 0; k < {len(c.keys)}; k++) {{ int d = {vc}(&a[k * {c.slot}], &b[k * {c.slot}]); "
                    f"if (d) return d; }} return 0;")
        elif isinstance(c, FunCodec):
            get = f"((uint64_t)a[0] >> (k * {c.width})) & {c.mask}ull", f"((uint64_t)b[0] >> (k * {c.width})) & {c.mask}ull"
            test = ("mc_maskcmp(x, y)" if isinstance(c.val, SetCodec) else "(x > y) - (x < y)")
            body = (f"for (int k = 0; k < {len(c.keys)}; k++) {{ uint64_t x = {get[0]}, y = {get[1]}; "
                    f"int d = {test}; if (d) return d; }} return 0;")
        else:
            raise Unsupported(f"ordering values of type {c.t.show()} (not yet in the C backend)")
        self.protos.append(f"static int {name}(const V *a, const V *b);")
        self.funcs.append(f"static int {name}(const V *a, const V *b) {{ {body} }}")
        return name

    def rs_fn(self, c: RecSetCodec) -> str:
        """The prefix of the generated operations on a set of values without an ordinal
        (:class:`RecSetCodec`): ``P_pos``, ``P_has``, ``P_add``, ``P_or``, ``P_and``,
        ``P_andnot``, ``P_sub``."""
        key = ("rs", id(c))
        name = self.fnames.get(key)
        if name is not None:
            return name
        name = f"mc_rs{len(self.fnames)}"
        self.fnames[key] = name
        cmp = self.cmp_fn(c.elem)
        n, e, cap = c.words, c.ew, c.cap
        self.widths.add(n)
        et = self.ctype(c.t.elem)
        W = f"W{n}"
        at = lambda s, i: f"&{s}.w[1 + ({i}) * {e}]"  # noqa: E731 - element i (0-based)
        self.protos.append(f"static V {name}_pos(const V *s, const V *x);")
        self.funcs.append(f"""
static V {name}_pos(const V *s, const V *x) {{ /* > 0: x's place (from 1); else minus where it goes */
  for (V i = 0; i < s[0]; i++) {{ int d = {cmp}(&s[1 + i * {e}], x); if (d == 0) return i + 1; if (d > 0) return -(i + 1); }}
  return -(s[0] + 1);
}}
static inline int {name}_has({W} a, {et} x) {{ return {name}_pos(a.w, (const V *)&x) > 0; }}
static inline {W} {name}_add(R *r, {W} a, {et} x, int node) {{
  V p = {name}_pos(a.w, (const V *)&x);
  if (p > 0) return a;
  p = -p - 1;
  if (a.w[0] >= {cap}) mc_fail(r, {ERR_CAP}, node);
  memmove({at('a', 'p + 1')}, {at('a', 'p')}, (size_t)(a.w[0] - p) * {e} * sizeof(V));
  memcpy({at('a', 'p')}, &x, sizeof x); a.w[0]++;
  return a;
}}
static inline {W} {name}_or(R *r, {W} a, {W} b, int node) {{
  for (V i = 0; i < b.w[0]; i++) a = {name}_add(r, a, *({et} *){at('b', 'i')}, node);
  return a;
}}
static inline {W} {name}_keep({W} a, {W} b, int want) {{
  {W} c = {{{{0}}}};
  for (V i = 0; i < a.w[0]; i++) if (({name}_pos(b.w, {at('a', 'i')}) > 0) == want) {{
    memcpy({at('c', 'c.w[0]')}, {at('a', 'i')}, {e} * sizeof(V)); c.w[0]++; }}
  return c;
}}
static inline {W} {name}_and({W} a, {W} b) {{ return {name}_keep(a, b, 1); }}
static inline {W} {name}_andnot({W} a, {W} b) {{ return {name}_keep(a, b, 0); }}
static inline int {name}_sub({W} a, {W} b) {{
  for (V i = 0; i < a.w[0]; i++) if ({name}_pos(b.w, {at('a', 'i')}) <= 0) return 0;
  return 1;
}}""")
        return name

    def pm_fn(self, c: PairMapCodec) -> str:
        """The prefix of the generated operations on a map kept as sorted pairs
        (:class:`PairMapCodec`): ``P_pos`` (binary search), ``P_put``, ``P_remove``; keys
        and values are passed by address (their standalone words)."""
        key = ("pm", id(c))
        name = self.fnames.get(key)
        if name is not None:
            return name
        name = f"mc_pm{len(self.fnames)}"
        self.fnames[key] = name
        cmp = self.cmp_fn(c.key)
        n, e, kw, vw, cap = c.words, c.ew, c.kw, c.vw, c.cap
        self.widths.add(n)
        W = f"W{n}"
        at = lambda s, i: f"&{s}.w[1 + ({i}) * {e}]"  # noqa: E731 - entry i (0-based)
        self.protos.append(f"static V {name}_pos(const V *m, const V *k);")
        self.funcs.append(f"""
static V {name}_pos(const V *m, const V *k) {{ /* > 0: k's entry (from 1); else minus where it goes */
  V lo = 0, hi = m[0];
  while (lo < hi) {{ V mid = (lo + hi) / 2; int d = {cmp}(&m[1 + mid * {e}], k);
    if (d == 0) return mid + 1; if (d < 0) lo = mid + 1; else hi = mid; }}
  return -(lo + 1);
}}
static inline {W} {name}_put(R *r, {W} a, const V *k, const V *v, int node, int once) {{
  V p = {name}_pos(a.w, k);
  if (p > 0) {{ /* once: a comprehension's key given another value is an error */
    if (once && memcmp(&a.w[1 + (p - 1) * {e} + {kw}], v, {vw} * sizeof(V))) mc_fail(r, {ERR_DUP}, node);
    memcpy(&a.w[1 + (p - 1) * {e} + {kw}], v, {vw} * sizeof(V)); return a; }}
  p = -p - 1;
  if (a.w[0] >= {cap}) mc_fail(r, {ERR_CAP}, node);
  memmove({at('a', 'p + 1')}, {at('a', 'p')}, (size_t)(a.w[0] - p) * {e} * sizeof(V));
  memcpy({at('a', 'p')}, k, {kw} * sizeof(V)); memcpy(&a.w[1 + p * {e} + {kw}], v, {vw} * sizeof(V));
  a.w[0]++;
  return a;
}}
static inline {W} {name}_remove(R *r, {W} a, const V *k, int node) {{
  V p = {name}_pos(a.w, k);
  if (p <= 0) mc_fail(r, {ERR_INDEX}, node);
  p--;
  memmove({at('a', 'p')}, {at('a', 'p + 1')}, (size_t)(a.w[0] - p - 1) * {e} * sizeof(V));
  a.w[0]--;
  memset({at('a', 'a.w[0]')}, 0, {e} * sizeof(V));
  return a;
}}""")
        return name

    def pm_key(self, mc: PairMapCodec, node: ir.Node, env) -> tuple[str, str]:
        """A declaration of a local holding the key ``node`` in the map's key layout, and
        its address (``const V *``)."""
        k = self.fresh("key")
        return f"{self.ctype(mc.t.key)} {k} = {self.x_as(node, env, mc.t.key)};", f"(const V *)&{k}"

    def pm_put(self, mc: PairMapCodec, m: str, knode: ir.Node, vnode: ir.Node, env, node: int,
               once: bool = False) -> str:
        """C statements: ``m = m.put(k, v)`` for the pair map variable ``m``; with
        ``once`` (a comprehension), another value for a key already there is an error."""
        decl, kp = self.pm_key(mc, knode, env)
        v = self.fresh("val")
        return (f"{{ {decl} {self.ctype(mc.t.val)} {v} = {self.x_as(vnode, env, mc.t.val)}; "
                f"{m} = {self.pm_fn(mc)}_put(r, {m}, {kp}, (const V *)&{v}, {node}, {int(once)}); }}")

    def pm_op(self, e, mc: PairMapCodec, name: str, env) -> str | None:
        """:meth:`map_op` for a map kept as sorted pairs."""
        a = e.args
        m = self.fresh("mp")
        self.widths.add(mc.words)
        head = f"W{mc.words} {m} = {self.x(a[0], env)};"
        if name == "put":
            return f"({{ {head} {self.pm_put(mc, m, a[1], a[2], env, e.id)} {m}; }})"
        if name in ("remove", "has"):
            decl, kp = self.pm_key(mc, a[1], env)
            if name == "has":
                return f"({{ {head} {decl} (V)({self.pm_fn(mc)}_pos({m}.w, {kp}) > 0); }})"
            return f"({{ {head} {decl} {m} = {self.pm_fn(mc)}_remove(r, {m}, {kp}, {e.id}); {m}; }})"
        if name == "size":
            return f"(({self.x(a[0], env)}).w[0])"
        if name == "isEmpty":
            return f"(({self.x(a[0], env)}).w[0] == 0)"
        if name in ("keys", "values"):
            acc, x, i = self.fresh("acc"), self.fresh("x"), self.fresh("i")
            decl, add = self.map_set_acc(e, name, mc, acc)
            t, off = (mc.t.key, "0") if name == "keys" else (mc.t.val, str(mc.kw))
            et = self.ctype(t)
            val = self.at(t, f"&{m}.w[1 + {i} * {mc.ew} + {off}]")
            return (f"({{ {head} {decl} for (V {i} = 0; {i} < {m}.w[0]; {i}++) {{ "
                    f"{et} {x} = {val}; {add(x)} }} {acc}; }})")
        return None

    def map_set_acc(self, e, name: str, mc, acc: str):
        """For ``keys``/``values`` of a map (``e``): the C declaration of the set ``acc`` in
        the result's layout, and a function giving the statement adding an element to it."""
        rc = self.codec_of(e)
        if isinstance(rc, SetCodec):
            return f"V {acc} = 0;", lambda src: f"{acc} |= {self.set_bit(rc, src, e.id)};"
        if isinstance(rc, (WideSetCodec, SparseSetCodec, RecSetCodec)):
            self.widths.add(rc.words)
            return f"W{rc.words} {acc} = {{{{0}}}};", lambda src: self.wide_add(rc, acc, src, e.id)
        raise Unsupported(f"`{name}` of a {mc.t.show()}", e.id)

    def map_slot(self, mc: MapCodec, m: str, pos: str) -> str:
        """The slot of key position ``pos`` of the map held in the struct variable ``m``
        (an lvalue)."""
        if mc.slot == 1:
            return f"{m}.w[1 + ({pos})]"
        self.widths.add(mc.slot)
        return f"(*(W{mc.slot} *)&{m}.w[1 + ({pos}) * {mc.slot}])"

    def map_put(self, mc: MapCodec, m: str, pos: str, val: str) -> str:
        """C statements: the key at ``pos`` present in the map variable ``m``, with ``val``."""
        return f"{m}.w[0] |= (V)(1ull << {pos}); {self.map_slot(mc, m, pos)} = {val};"

    def map_op(self, e, name: str, env) -> str | None:
        """The built-ins on a map (``put``, ``remove``, ``has``, ``keys``, ``values``,
        ``size``, ``isEmpty``), or None for another built-in."""
        a = e.args
        mc = self.codec_of(a[0])
        if isinstance(mc, PairMapCodec):
            return self.pm_op(e, mc, name, env)
        m, p = self.fresh("mp"), self.fresh("p")
        self.widths.add(mc.words)
        head = f"W{mc.words} {m} = {self.x(a[0], env)};"
        if name in ("put", "remove", "has"):
            head += f" V {p} = {self.key_pos(mc.t.key, self.x(a[1], env), a[1], e.id)};"
        present = f"(((uint64_t){m}.w[0] >> {p}) & 1)"
        if name == "put":
            return f"({{ {head} {self.map_put(mc, m, p, self.x_as(a[2], env, mc.t.val))} {m}; }})"
        if name == "remove":
            zero = f"{m}.w[1 + {p}] = 0;" if mc.slot == 1 else f"memset(&{m}.w[1 + {p} * {mc.slot}], 0, {mc.slot} * sizeof(V));"
            return (f"({{ {head} if (!{present}) mc_fail(r, {ERR_INDEX}, {e.id}); "
                    f"{m}.w[0] &= ~(V)(1ull << {p}); {zero} {m}; }})")
        if name == "has":
            return f"({{ {head} (V){present}; }})"
        if name == "size":
            return f"({{ {head} (V)__builtin_popcountll((uint64_t){m}.w[0]); }})"
        if name == "isEmpty":
            return f"({{ {head} {m}.w[0] == 0; }})"
        if name in ("keys", "values"):
            acc, x = self.fresh("acc"), self.fresh("x")
            decl, add = self.map_set_acc(e, name, mc, acc)
            if name == "keys":
                kc = codec(mc.t.key)
                tab = self.table([kc.encode(k) for k in mc.keys])
                val = f"{tab}[{p}]"
                et = "V"
            else:
                val = self.map_slot(mc, m, p)
                et = self.ctype(mc.t.val)
            return (f"({{ {head} {decl} for (int {p} = 0; {p} < {len(mc.keys)}; {p}++) if ({present}) {{ "
                    f"{et} {x} = {val}; {add(x)} }} {acc}; }})")
        return None

    def rec_field(self, rc: RecordCodec, src: str, k: int) -> str:
        """Field ``k`` of the record (or tuple) ``src`` laid out by ``rc``."""
        if rc.words == 1:
            return src
        f, off, t = rc.fields[k], rc.offs[k], self.fresh("rec")
        self.widths.add(rc.words)
        if f.words == 1:
            return f"({{ W{rc.words} {t} = {src}; {t}.w[{off}]; }})"
        self.widths.add(f.words)
        return f"({{ W{rc.words} {t} = {src}; *(W{f.words} *)&{t}.w[{off}]; }})"

    def rec_store(self, rc: RecordCodec, acc: str, k: int, val: str, node: int) -> str:
        """C statement: field ``k`` of the record variable ``acc`` set to ``val`` (a
        bounded integer checked to be in its range)."""
        f = rc.fields[k]
        if isinstance(f, IntCodec) and f.bounded:
            x = self.fresh("x")
            val = (f"({{ V {x} = {val}; if ({x} < {_c_int(f.lo, node)} || {x} > {_c_int(f.hi, node)}) "
                   f"mc_fail(r, {ERR_RANGE}, {node}); {x}; }})")
        if rc.words == 1:
            return f"{acc} = {val};"
        if f.words == 1:
            return f"{acc}.w[{rc.offs[k]}] = {val};"
        self.widths.add(f.words)
        return f"*(W{f.words} *)&{acc}.w[{rc.offs[k]}] = {val};"

    def get_field(self, c: Codec, src: str, k: int) -> str:
        """Field ``k`` of a tuple or record, whether a scalar or a :class:`RecordCodec`."""
        return self.rec_field(c, src, k) if isinstance(c, RecordCodec) else self.field(c, src, k)

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
        if c.words > 1:
            self.widths.add(c.words)
            return f"((W{c.words}){{{{{', '.join(_c_int(w, node) for w in c.encode(value))}}}}})"
        return _c_int(c.encode(value), node)

    def to_ord(self, c: Codec, src: str, node: int) -> str:
        """The ordinal of a value (word ``src`` of the standalone codec for ``c``'s type),
        checked to be one of the type's values."""
        if isinstance(c, FieldInt):
            return f"CHK(({src}) - ({c.lo}), {c.card}, {node})"
        if isinstance(c, SetField):
            return f"{self.table(c.ranks)}[CHK({src}, {c.card}, {node})]"
        return src

    def from_ord(self, c: Codec, src: str) -> str:
        """The standalone word of the value with ordinal ``src``."""
        if isinstance(c, FieldInt):
            # the field is read as unsigned: signed before adding a negative lower bound
            return f"((V)({src}) + ({c.lo}))"
        if isinstance(c, SetField):
            return f"{self.table(c.masks)}[{src}]"
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

    def x_as(self, node: ir.Node, env: dict, t: Type) -> str:
        """``node`` translated, in the layout of type ``t``: a value of a type that
        differs only in integer bounds (``S -> int`` where ``S -> 0..2`` is expected) is
        converted field by field, each checked to fit (else a runtime error: the run goes
        to Python, whose semantics decide)."""
        u = self.type_of(node)
        if u != t and isinstance(t, SetT) and isinstance(node, (ir.SetLit, ir.SetComp)):
            # a set built here is built in the layout expected (`{p}` typed set[int] where
            # a set[1..3] is expected): its elements are checked against it
            return self.x_SetLit(node, env, codec(t)) if isinstance(node, ir.SetLit) else \
                self.x_SetComp(node, env, codec(t))
        if u != t and isinstance(t, SetT) and isinstance(node, ir.Binary) and node.op in ("union", "intersect", "diff"):
            return self.set_op(codec(t), node.op, self.x_as(node.left, env, t), self.x_as(node.right, env, t), node.id)
        if u != t and isinstance(node, ir.If) and self.py.static_bool(node.cond) is None:
            return f"({self.x(node.cond, env)} ? {self.x_as(node.then, env, t)} : {self.x_as(node.else_, env, t)})"
        src = self.x(node, env)
        return self.convert(u, t, src, node.id)

    def each_elem(self, c, src: str, var: str, body: str) -> str:
        """C statements running ``body`` with ``var`` bound to each element (its
        standalone word) of the set ``src`` of codec ``c``, in ascending order."""
        if isinstance(c, SetCodec):
            m, k = self.fresh("m"), self.fresh("k")
            return (f"for (uint64_t {m} = (uint64_t)({src}); {m}; {m} &= {m} - 1) {{ int {k} = __builtin_ctzll({m}); "
                    f"V {var} = {self.from_ord(c.elem, k)}; {body} }}")
        t, i = self.fresh("st"), self.fresh("i")
        self.widths.add(c.words)
        if isinstance(c, RecSetCodec):
            return (f"{{ W{c.words} {t} = {src}; for (V {i} = 1; {i} <= {t}.w[0]; {i}++) {{ "
                    f"{self.ctype(c.t.elem)} {var} = {self.seq_at(c, t, i)}; {body} }} }}")
        if isinstance(c, SparseSetCodec):
            return (f"{{ W{c.words} {t} = {src}; for (V {i} = 1; {i} <= {t}.w[0]; {i}++) {{ "
                    f"V {var} = {self.from_ord(c.elem, f'{t}.w[{i}]')}; {body} }} }}")
        m, k = self.fresh("m"), self.fresh("k")
        return (f"{{ W{c.words} {t} = {src}; for (int {i} = 0; {i} < {c.words}; {i}++) "
                f"for (uint64_t {m} = (uint64_t){t}.w[{i}]; {m}; {m} &= {m} - 1) {{ "
                f"int {k} = {i} * 64 + __builtin_ctzll({m}); V {var} = {self.from_ord(c.elem, k)}; {body} }} }}")

    def convert(self, u: Type, t: Type, src: str, node: int) -> str:
        if u == t or (isinstance(t, IntT) and isinstance(u, IntT)):
            return src
        try:
            cu, ct = codec(u), codec(t)
        except Unsupported as x:
            raise Unsupported(x.message, node) from None
        if isinstance(cu, SeqCodec) and isinstance(ct, SeqCodec):
            a, b = self.fresh("sq"), self.fresh("sq")
            self.widths.update((cu.words, ct.words))
            head = (f"W{cu.words} {a} = {src}; W{ct.words} {b} = {{{{0}}}}; "
                    f"if ({a}.w[0] > {ct.cap}) mc_fail(r, {ERR_CAP}, {node}); ")
            if cu.t.elem == ct.t.elem or (isinstance(cu.t.elem, IntT) and isinstance(ct.t.elem, IntT)):
                n = min(cu.cap, ct.cap) * cu.ew
                return f"({{ {head}for (int i = 0; i <= {n}; i++) {b}.w[i] = {a}.w[i]; {b}; }})"
            i = self.fresh("i")
            val = self.convert(cu.t.elem, ct.t.elem, self.seq_at(cu, a, i), node)
            return (f"({{ {head}for (V {i} = 1; {i} <= {a}.w[0]; {i}++) {self.seq_at(ct, b, i)} = {val}; "
                    f"{b}.w[0] = {a}.w[0]; {b}; }})")
        if isinstance(cu, MapCodec) and isinstance(ct, MapCodec) and cu.keys == ct.keys:
            a, b = self.fresh("mp"), self.fresh("mp")
            self.widths.update((cu.words, ct.words))
            moves = " ".join(f"if (((uint64_t){a}.w[0] >> {k}) & 1) {self.map_slot(ct, b, str(k))} = "
                             f"{self.convert(u.val, t.val, self.map_slot(cu, a, str(k)), node)};"
                             for k in range(len(cu.keys)))
            return f"({{ W{cu.words} {a} = {src}; W{ct.words} {b} = {{{{0}}}}; {b}.w[0] = {a}.w[0]; {moves} {b}; }})"
        if isinstance(cu, PairMapCodec) and isinstance(ct, PairMapCodec) and (
                u.key == t.key or (isinstance(u.key, IntT) and isinstance(t.key, IntT))):
            # the same keys in the same order: each value converted in place
            a, b, i = self.fresh("mp"), self.fresh("mp"), self.fresh("i")
            self.widths.update((cu.words, ct.words))
            kt, vt = self.ctype(t.key), self.ctype(t.val)
            val = self.convert(u.val, t.val, self.at(u.val, f"&{a}.w[1 + {i} * {cu.ew} + {cu.kw}]"), node)
            return (f"({{ W{cu.words} {a} = {src}; W{ct.words} {b} = {{{{0}}}}; "
                    f"if ({a}.w[0] > {ct.cap}) mc_fail(r, {ERR_CAP}, {node}); "
                    f"for (V {i} = 0; {i} < {a}.w[0]; {i}++) {{ "
                    f"*({kt} *)&{b}.w[1 + {i} * {ct.ew}] = {self.at(u.key, f'&{a}.w[1 + {i} * {cu.ew}]')}; "
                    f"*({vt} *)&{b}.w[1 + {i} * {ct.ew} + {ct.kw}] = {val}; }} {b}.w[0] = {a}.w[0]; {b}; }})")
        if isinstance(cu, PairMapCodec) and isinstance(ct, MapCodec):
            # `map().put(i, x)` (a map[int, ...]) where a map[1..N, ...] is expected: each key
            # checked to be one of the target's
            a, b, i, k = self.fresh("mp"), self.fresh("mp"), self.fresh("i"), self.fresh("p")
            self.widths.update((cu.words, ct.words))
            key = self.convert(u.key, t.key, self.at(u.key, f"&{a}.w[1 + {i} * {cu.ew}]"), node)
            val = self.convert(u.val, t.val, self.at(u.val, f"&{a}.w[1 + {i} * {cu.ew} + {cu.kw}]"), node)
            return (f"({{ W{cu.words} {a} = {src}; W{ct.words} {b} = {{{{0}}}}; "
                    f"for (V {i} = 0; {i} < {a}.w[0]; {i}++) {{ V {k} = {self.key_pos(t.key, key, None, node)}; "
                    f"{self.map_put(ct, b, k, val)} }} {b}; }})")
        if isinstance(cu, MapCodec) and isinstance(ct, PairMapCodec):
            a, b, k = self.fresh("mp"), self.fresh("mp"), self.fresh("p")
            kx, vx = self.fresh("key"), self.fresh("val")
            self.widths.update((cu.words, ct.words))
            tab = self.table([codec(u.key).encode(x) for x in cu.keys])
            key = self.convert(u.key, t.key, f"{tab}[{k}]", node)
            val = self.convert(u.val, t.val, self.map_slot(cu, a, k), node)
            return (f"({{ W{cu.words} {a} = {src}; W{ct.words} {b} = {{{{0}}}}; "
                    f"for (int {k} = 0; {k} < {len(cu.keys)}; {k}++) if (((uint64_t){a}.w[0] >> {k}) & 1) {{ "
                    f"{self.ctype(t.key)} {kx} = {key}; {self.ctype(t.val)} {vx} = {val}; "
                    f"{b} = {self.pm_fn(ct)}_put(r, {b}, (const V *)&{kx}, (const V *)&{vx}, {node}, 0); }} {b}; }})")
        v = self.fresh("cv")
        record = (RecordCodec, ScalarCodec)
        if isinstance(cu, record) and isinstance(ct, record) and (isinstance(cu, RecordCodec) or isinstance(
                ct, RecordCodec)) and cu.fields and ct.fields and len(cu.fields) == len(ct.fields):
            uts = u.elems if isinstance(u, TupleT) else [ft for _, ft in u.fields]
            tts = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
            srcs = [self.convert(a, b, self.get_field(cu, v, k), node) for k, (a, b) in enumerate(zip(uts, tts))]
            return f"({{ {self.ctype(u)} {v} = {src}; {self.compose(ct, srcs, node)}; }})"
        sets = (SetCodec, WideSetCodec, SparseSetCodec, RecSetCodec)
        if isinstance(cu, sets) and isinstance(ct, sets):
            # element by element, each checked to fit the target's element type
            acc, x = self.fresh("acc"), self.fresh("x")
            if isinstance(ct, RecSetCodec):
                self.widths.add(ct.words)
                elem = self.convert(u.elem, t.elem, x, node)
                decl, add = f"W{ct.words} {acc} = {{{{0}}}};", self.wide_add(ct, acc, elem, node)
            elif isinstance(ct, SetCodec):
                decl, add = f"V {acc} = 0;", f"{acc} |= {self.set_bit(ct, x, node)};"
            else:
                self.widths.add(ct.words)
                decl, add = f"W{ct.words} {acc} = {{{{0}}}};", self.wide_add(ct, acc, x, node)
            loop = self.each_elem(cu, src, x, add)
            return f"({{ {decl} {loop} {acc}; }})"
        if cu.words > 1 or ct.words > 1:
            raise Unsupported(f"a value of type {u.show()} used as a {t.show()} (not yet in the C backend)", node)
        if isinstance(cu, FunCodec) and isinstance(ct, FunCodec) and cu.keys == ct.keys:
            parts = []
            for pos in range(len(ct.keys)):
                val = self.convert(u.cod, t.cod, self.get_slot(cu, v, str(pos)), node)
                parts.append(self.put_slot(ct, pos, val, node))
            return f"({{ V {v} = {src}; ({' | '.join(parts)}); }})"
        if isinstance(cu, ScalarCodec) and isinstance(ct, ScalarCodec) and cu.fields and ct.fields and \
                len(cu.fields) == len(ct.fields):
            uts = u.elems if isinstance(u, TupleT) else [ft for _, ft in u.fields]
            tts = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
            srcs = [self.convert(a, b, self.field(cu, v, k), node) for k, (a, b) in enumerate(zip(uts, tts))]
            return f"({{ V {v} = {src}; {self.compose(ct, srcs, node)}; }})"
        raise Unsupported(f"a value of type {u.show()} used as a {t.show()} (the C backend lays the two out "
                          f"differently)", node)

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
            d = fold_decision(op, self.py.static_bool(e.left), self.py.static_bool(e.right))
            if isinstance(d, bool):
                return "1" if d else "0"
            if d == "not left":
                return f"(!{self.x(e.left, env)})"
            if d is not None:
                return self.x(e.left if d == "left" else e.right, env)
        if op in ("in", "notin"):
            src = self.member(e.left, e.right, env, e.id)
            return src if op == "in" else f"(!{src})"
        if op == "..":
            raise Unsupported("a range a..b as a value (the C backend iterates ranges and tests membership)",
                              e.id)
        if op in ("union", "intersect", "diff"):
            # the result in its own type's layout: both operands converted to it
            return self.set_result(e, op, e.left, e.right, env)
        if op == "++":
            return self.seq_concat(e, env)
        a = self.x(e.left, env)
        if op in ("==", "!=", "iff", "subseteq"):
            b = self.x_as(e.right, env, self.type_of(e.left))
        else:
            b = self.x(e.right, env)
        if op == "subseteq":
            return self.set_op(self.codec_of(e.left), op, a, b, e.id)
        lc = self.codec_of(e.left) if op in ("==", "!=") else None
        if lc is not None and lc.words > 1:
            return self.set_op(lc, op, a, b, e.id)
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
        raise Unsupported(f"the operator `{op}`", e.id)

    def set_op(self, c, op: str, a: str, b: str, node: int) -> str:
        """``a op b`` for sets (``union``, ``intersect``, ``diff``, ``subseteq``) or any
        values of several words (``==``, ``!=``) in the layout of codec ``c``."""
        if c.words == 1:
            return {"union": f"({a} | {b})", "intersect": f"({a} & {b})", "diff": f"({a} & ~{b})",
                    "subseteq": f"(({a} & ~{b}) == 0)"}[op]
        n = c.words
        self.widths.add(n)
        fn = {"==": "eq", "!=": "eq", "union": "or", "intersect": "and", "diff": "andnot", "subseteq": "sub"}[op]
        if isinstance(c, RecSetCodec) and op not in ("==", "!="):
            p = self.rs_fn(c)
            out = f"{p}_or(r, {a}, {b}, {node})" if fn == "or" else f"{p}_{fn}({a}, {b})"
        elif isinstance(c, SparseSetCodec) and op not in ("==", "!="):
            self.sparse.add(n)
            out = f"sp{n}_or(r, {a}, {b}, {node})" if fn == "or" else f"sp{n}_{fn}({a}, {b})"
        else:
            out = f"w{n}_{fn}({a}, {b})"
        return f"(!{out})" if op == "!=" else out

    def set_result(self, e, op: str, left, right, env) -> str:
        """``left op right`` (union, intersect, diff) built in the layout of ``e``'s type,
        both operands converted to it."""
        t = self.type_of(e)
        return self.set_op(codec(t), op, self.x_as(left, env, t), self.x_as(right, env, t), e.id)

    def elem_ord(self, ec: Codec, src: str, node: int) -> str:
        """The ordinal of an element (``src``, a standalone word) of a set of ``ec``
        values, unchecked for bounded ints (a membership test compares it with the range)."""
        if isinstance(ec, FieldInt):
            return f"(({src}) - ({ec.lo}))"
        if isinstance(ec, SetField):
            return self.to_ord(ec, src, node)
        return src

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
        if isinstance(sc, RecSetCodec):
            return f"{self.rs_fn(sc)}_has({self.x(dom, env)}, {self.x_as(elem, env, sc.t.elem)})"
        if isinstance(sc, SparseSetCodec):
            o = self.fresh("o")
            self.sparse.add(sc.words)
            ordsrc = self.elem_ord(sc.elem, self.x(elem, env), node)
            return f"({{ V {o} = {ordsrc}; sp{sc.words}_has({self.x(dom, env)}, {o}); }})"
        if isinstance(sc, WideSetCodec):
            o, sv = self.fresh("o"), self.fresh("ws")
            self.widths.add(sc.words)
            ordsrc = self.elem_ord(sc.elem, self.x(elem, env), node)
            return (f"({{ W{sc.words} {sv} = {self.x(dom, env)}; V {o} = {ordsrc}; ({o} >= 0 && {o} < {sc.elem.card} "
                    f"&& (((uint64_t){sv}.w[{o} >> 6] >> ({o} & 63)) & 1)); }})")
        if not isinstance(sc, SetCodec):
            raise Unsupported(f"membership in a {self.type_of(dom).show()}", node)
        o = self.fresh("o")
        ordsrc = self.elem_ord(sc.elem, self.x(elem, env), node)
        return (f"({{ V {o} = {ordsrc}; ({o} >= 0 && {o} < {sc.elem.card} && "
                f"(((uint64_t){self.x(dom, env)} >> {o}) & 1)); }})")

    def x_If(self, e, env):
        c = self.py.static_bool(e.cond)
        if c is not None:
            return self.x(e.then if c else e.else_, env)
        t = self.type_of(e)
        return f"({self.x(e.cond, env)} ? {self.x_as(e.then, env, t)} : {self.x_as(e.else_, env, t)})"

    def x_Let(self, e, env):
        env2 = dict(env)
        decls = []
        for name, value in e.bindings:
            c = self.fresh(name)
            decls.append(f"{self.ctype(self.type_of(value))} {c} = {self.x(value, env2)};")
            env2[name] = c
        return f"({{ {' '.join(decls)} {self.x(e.body, env2)}; }})"

    # ------------------------------------------------------------------ iteration

    def loop(self, b: ir.Binder, env: dict, body: str, env2: dict, var: str, direct: bool = False) -> str:
        """C source running ``body`` (a statement, which may ``break``/``goto``) with ``var``
        bound to each value of the binder's domain, in the Python backend's order. With
        ``direct`` (a quantifier, a set comprehension: order and repeats do not matter)
        ``elems(s)`` runs over the sequence itself; a sequence domain runs in its order."""
        d = b.domain
        seq = None
        if isinstance(d, ir.Call) and direct:
            r = self.py.ref(d)
            if r is not None and r.kind == "builtin" and r.name == "elems" and isinstance(
                    self.type_of(d.args[0]), SeqT):
                seq = d.args[0]
        if isinstance(self.type_of(d), SeqT):
            seq = d
        if seq is not None:
            sc = self.codec_of(seq)
            t, i = self.fresh("sq"), self.fresh("i")
            self.widths.add(sc.words)
            p = self.ptr(seq, env)
            if p is not None:
                return (f"{{ const V *{t} = {p}; for (V {i} = 1; {i} <= {t}[0]; {i}++) {{ "
                        f"{self.ctype(sc.t.elem)} {var} = {self.at(sc.t.elem, f'{t} + 1 + ({i} - 1) * {sc.ew}')}; "
                        f"{body} }} }}")
            return (f"{{ W{sc.words} {t} = {self.x(seq, env)}; for (V {i} = 1; {i} <= {t}.w[0]; {i}++) {{ "
                    f"{self.ctype(sc.t.elem)} {var} = {self.seq_at(sc, t, i)}; {body} }} }}")
        dom = self.py.static_domain(d)
        if dom is not None:
            ec = self._elem_codec(d)
            vals = [ec.encode(v) for v in dom]
            if not vals:
                return ";"
            tab = self.table(vals)
            i = self.fresh("i")
            return f"for (int64_t {i} = 0; {i} < {len(vals)}; {i}++) {{ V {var} = {tab}[{i}]; {body} }}"
        rng = self.as_range(d, env)
        if rng is not None:
            hi = self.fresh("hi")
            return (f"for (V {var} = {rng[0]}, {hi} = {rng[1]}; {var} <= {hi}; "
                    f"{var}++) {{ {body} }}")
        sc = self.codec_of(d)
        if isinstance(sc, RecSetCodec):
            return self.each_elem(sc, self.x(d, env), var, body)
        if isinstance(sc, SparseSetCodec):
            self.widths.add(sc.words)
            t, i = self.fresh("sp"), self.fresh("i")
            return (f"{{ W{sc.words} {t} = {self.x(d, env)}; for (V {i} = 1; {i} <= {t}.w[0]; {i}++) {{ "
                    f"V {var} = {self.from_ord(sc.elem, f'{t}.w[{i}]')}; {body} }} }}")
        if isinstance(sc, WideSetCodec):
            self.widths.add(sc.words)
            sv, wi, m, k = self.fresh("ws"), self.fresh("wi"), self.fresh("m"), self.fresh("k")
            return (f"{{ W{sc.words} {sv} = {self.x(d, env)}; for (int {wi} = 0; {wi} < {sc.words}; {wi}++) "
                    f"for (uint64_t {m} = (uint64_t){sv}.w[{wi}]; {m}; {m} &= {m} - 1) {{ "
                    f"int {k} = {wi} * 64 + __builtin_ctzll({m}); V {var} = {self.from_ord(sc.elem, k)}; {body} }} }}")
        if not isinstance(sc, SetCodec):
            raise Unsupported(f"iterating over a {self.type_of(d).show()}", d.id)
        m = self.fresh("m")
        k = self.fresh("k")
        return (f"for (uint64_t {m} = (uint64_t){self.x(d, env)}; {m}; {m} &= {m} - 1) {{ "
                f"int {k} = __builtin_ctzll({m}); V {var} = {self.from_ord(sc.elem, k)}; {body} }}")

    def as_range(self, d: ir.Node, env: dict) -> tuple[str, str] | None:
        """``(lo, hi)`` sources when ``d`` is ``a..b``, also through defs (``receivable(q,
        p)`` whose body is a range): iterated as a range, never built as a set."""
        if isinstance(d, ir.Binary) and d.op == "..":
            return self.x(d.left, env), self.x(d.right, env)
        if isinstance(d, ir.If):
            c = self.py.static_bool(d.cond)
            if c is not None:
                return self.as_range(d.then if c else d.else_, env)
            a, b = self.as_range(d.then, env), self.as_range(d.else_, env)
            if a is None or b is None:
                return None
            k = self.x(d.cond, env)
            return f"({k} ? {a[0]} : {b[0]})", f"({k} ? {a[1]} : {b[1]})"
        if isinstance(d, (ir.Call, ir.Name)):
            r = self.py.ref(d)
            if r is not None and r.kind == "def":
                df = self.py.defs[r.name]
                if isinstance(df.body, ir.Binary) and df.body.op == "..":
                    args = d.args if isinstance(d, ir.Call) else ()
                    env2 = {k: v for k, v in env.items() if k.startswith("$")}
                    decls = []
                    for p, a in zip(df.params, args):
                        c = self.fresh(p.name)
                        decls.append(f"V {c} = {self.x(a, env)};")
                        env2[p.name] = c
                    pre = " ".join(decls)
                    return (f"({{ {pre} {self.x(df.body.left, env2)}; }})",
                            f"({{ {pre} {self.x(df.body.right, env2)}; }})")
        return None

    def _elem_codec(self, d: ir.Node) -> Codec:
        t = self.type_of(d)
        if not isinstance(t, SetT):
            raise Unsupported(f"iterating over a {t.show()}", d.id)
        try:
            return codec(t.elem)
        except Unsupported as u:
            raise Unsupported(u.message, d.id) from None

    def nest(self, binders, env: dict, inner, direct: bool = False) -> str:
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
            src = self.loop(b, envb, src, env2, v, direct)
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
            return (f"({{ {self.ctype(self.type_of(e))} {res} = {{0}}; int {found} = 0; {loops} {done}: ; "
                    f"if (!{found}) mc_fail(r, {ERR_CHOOSE}, {e.id}); {res}; }})")
        if e.kind == "forall":
            inner = lambda env2: f"if (!({self.x(e.body, env2)})) {{ {res} = 0; goto {done}; }}"  # noqa: E731
            start = 1
        else:
            inner = lambda env2: f"if ({self.x(e.body, env2)}) {{ {res} = 1; goto {done}; }}"  # noqa: E731
            start = 0
        loops = self.nest(e.binders, env, inner, direct=True)
        return f"({{ V {res} = {start}; {loops} {done}: ; {res}; }})"

    def set_bit(self, sc: SetCodec, elem_src: str, node: int) -> str:
        o = self.to_ord(sc.elem, elem_src, node) if isinstance(sc.elem, (FieldInt, SetField)) else \
            f"CHK({elem_src}, {sc.elem.card}, {node})"
        return f"((V)((uint64_t)1 << {o}))"

    def wide_add(self, sc, acc: str, elem_src: str, node: int) -> str:
        """C statement adding an element (its standalone value; for a set of records,
        already in the element type's layout) to the set variable ``acc``."""
        if isinstance(sc, RecSetCodec):
            return f"{acc} = {self.rs_fn(sc)}_add(r, {acc}, {elem_src}, {node});"
        o = self.fresh("o")
        ordsrc = self.to_ord(sc.elem, elem_src, node) if isinstance(sc.elem, (FieldInt, SetField)) else \
            elem_src if isinstance(sc.elem, WordInt) else f"CHK({elem_src}, {sc.elem.card}, {node})"
        if isinstance(sc, SparseSetCodec):
            self.sparse.add(sc.words)
            return f"{{ V {o} = {ordsrc}; {acc} = sp{sc.words}_add(r, {acc}, {o}, {node}); }}"
        return f"{{ V {o} = {ordsrc}; {acc}.w[{o} >> 6] |= (V)(1ull << ({o} & 63)); }}"

    def elem_src(self, sc, x: ir.Node, env) -> str:
        """A set element's source: in the element type's layout for a set of records."""
        return self.x_as(x, env, sc.t.elem) if isinstance(sc, RecSetCodec) else self.x(x, env)

    def x_SetLit(self, e, env, sc=None):
        sc = sc or self.codec_of(e)
        if isinstance(sc, (WideSetCodec, SparseSetCodec, RecSetCodec)):
            self.widths.add(sc.words)
            acc = self.fresh("acc")
            adds = " ".join(self.wide_add(sc, acc, self.elem_src(sc, x, env), e.id) for x in e.elems)
            return f"({{ W{sc.words} {acc} = {{{{0}}}}; {adds} {acc}; }})"
        if not isinstance(sc, SetCodec):
            raise Unsupported(f"a set of type {self.type_of(e).show()}", e.id)
        if not e.elems:
            return "((V)0)"
        return "(" + " | ".join(self.set_bit(sc, self.x(x, env), e.id) for x in e.elems) + ")"

    def x_SetComp(self, e, env, sc=None):
        sc = sc or self.codec_of(e)
        if isinstance(sc, (WideSetCodec, SparseSetCodec, RecSetCodec)):
            self.widths.add(sc.words)
            acc = self.fresh("acc")

            def winner(env2):
                add = self.wide_add(sc, acc, self.elem_src(sc, e.elem, env2), e.id)
                return f"if ({self.x(e.cond, env2)}) {add}" if e.cond is not None else add

            return f"({{ W{sc.words} {acc} = {{{{0}}}}; {self.nest(e.binders, env, winner, direct=True)} {acc}; }})"
        if not isinstance(sc, SetCodec):
            raise Unsupported(f"a set of type {self.type_of(e).show()}", e.id)
        acc = self.fresh("acc")

        def inner(env2):
            add = f"{acc} |= {self.set_bit(sc, self.x(e.elem, env2), e.id)};"
            if e.cond is not None:
                return f"if ({self.x(e.cond, env2)}) {{ {add} }}"
            return add

        return f"({{ V {acc} = 0; {self.nest(e.binders, env, inner, direct=True)} {acc}; }})"

    def x_FunComp(self, e, env):
        fc = self.codec_of(e)
        if isinstance(fc, WideFunCodec):
            (b,) = e.binders
            kc = codec(fc.t.dom)
            acc = self.fresh("fn")
            self.widths.add(fc.words)
            stores = []
            for pos, k in enumerate(fc.keys):
                env2 = dict(env)
                env2[b.name] = _c_int(kc.encode(k))
                stores.append(self.wide_store(fc, acc, str(pos), self.x_as(e.value, env2, fc.t.cod)))
            return f"({{ W{fc.words} {acc}; {' '.join(stores)} {acc}; }})"
        if isinstance(fc, PairMapCodec):
            # a map kept as sorted pairs: the loops of the binders, each key put as `put` does
            acc = self.fresh("mp")
            self.widths.add(fc.words)

            def store(env2):
                put = self.pm_put(fc, acc, e.key, e.value, env2, e.id, once=True)
                return f"if ({self.x(e.cond, env2)}) {put}" if e.cond is not None else put

            return f"({{ W{fc.words} {acc} = {{{{0}}}}; {self.nest(e.binders, env, store, direct=True)} {acc}; }})"
        if isinstance(fc, MapCodec):
            # a map over indexable keys: the loops of the binders, each key put as `put` does
            acc, p = self.fresh("mp"), self.fresh("p")
            self.widths.add(fc.words)

            def store(env2):
                pos = self.key_pos(fc.t.key, self.x(e.key, env2), e.key, e.id)
                v = self.fresh("val")
                # a key given another value is an error (the Python backend reports it)
                dup = (f"if ((((uint64_t){acc}.w[0] >> {p}) & 1) && memcmp(&{self.map_slot(fc, acc, p)}, &{v}, "
                       f"sizeof {v})) mc_fail(r, {ERR_DUP}, {e.id});")
                put = (f"{{ V {p} = {pos}; {self.ctype(fc.t.val)} {v} = {self.x_as(e.value, env2, fc.t.val)}; "
                       f"{dup} {self.map_put(fc, acc, p, v)} }}")
                return f"if ({self.x(e.cond, env2)}) {put}" if e.cond is not None else put

            return f"({{ W{fc.words} {acc} = {{{{0}}}}; {self.nest(e.binders, env, store, direct=True)} {acc}; }})"
        if not isinstance(fc, FunCodec):
            raise Unsupported(f"a map ({self.type_of(e).show()})", e.id)
        (b,) = e.binders
        kc = codec(fc.t.dom)
        parts = []
        for pos, k in enumerate(fc.keys):
            env2 = dict(env)
            env2[b.name] = _c_int(kc.encode(k))
            parts.append(self.put_slot(fc, pos, self.x_as(e.value, env2, fc.t.cod), e.id))
        return "(" + " | ".join(parts) + ")"

    def slot_of(self, fc: FunCodec, val_src: str, node: int) -> str:
        """The field value for a function's value (its ordinal, or its set's mask)."""
        if isinstance(fc.val, SetCodec):
            return f"((uint64_t)({val_src}))"
        if fc.packed_int:
            # an unbounded int in a field of its own width: one wider is no error of the
            # spec, and the search starts again with a word per key (layout.scaled)
            return f"((uint64_t)CHKW(({val_src}) - ({fc.val.lo}), {fc.val.card}, {node}))"
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

    def x_TupleLit(self, e, env):
        sc = self.codec_of(e)
        return self.compose(sc, [self.x(x, env) for x in e.elems], e.id, list(e.elems))

    def compose(self, sc: Codec, srcs: list[str], node: int, nodes: list | None = None) -> str:
        if isinstance(sc, RecordCodec):
            ets = sc.t.elems if isinstance(sc.t, TupleT) else [ft for _, ft in sc.t.fields]
            acc = self.fresh("rec")
            stmts = []
            for k, s in enumerate(srcs):
                if nodes is not None and nodes[k] is not None:
                    s = self.convert(self.type_of(nodes[k]), ets[k], s, node)
                stmts.append(self.rec_store(sc, acc, k, s, node))
            return f"({{ {self.ctype(sc.t)} {acc} = {{0}}; {' '.join(stmts)} {acc}; }})"
        if not isinstance(sc, ScalarCodec) or not sc.fields:
            raise Unsupported("a compound value", node)
        parts = []
        ets = sc.t.elems if isinstance(sc.t, TupleT) else [ft for _, ft in sc.t.fields]
        for k, (f, s, stride) in enumerate(zip(sc.fields, srcs, sc.strides)):
            if nodes is not None and nodes[k] is not None:
                s = self.convert(self.type_of(nodes[k]), ets[k], s, node)
            o = self.to_ord(f, s, node)
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
        if isinstance(sc, RecordCodec):
            stmts = [self.rec_store(sc, b, i, self.x_as(given[f], env, ft), e.id)
                     for i, (f, ft) in enumerate(t.fields) if f in given]
            return f"({{ {self.ctype(t)} {b} = {self.x_as(e.base, env, t)}; {' '.join(stmts)} {b}; }})"
        srcs = [self.x(given[f], env) if f in given else self.field(sc, b, i) for i, (f, _) in enumerate(t.fields)]
        nodes = [given.get(f) for f, _ in t.fields]
        return f"({{ V {b} = {self.x_as(e.base, env, t)}; {self.compose(sc, srcs, e.id, nodes)}; }})"

    # ------------------------------------------------------------------ values read in place

    def ptr(self, e: ir.Node, env: dict) -> str | None:
        """A C expression (``const V *``) addressing the value of ``e`` where it lies (a
        state variable, a local, or a part of one of them: a function's slot, a record's
        field, a sequence's element, a map's value), or None when ``e`` must be computed.
        Reading a part through it copies that part only, not the whole of a channel
        array of 765 words to take one sequence of 85. The parts of a sequence or a map
        are checked (an index out of range, a missing key: a runtime error)."""
        if isinstance(e, (ir.Name, ir.Primed)):
            r = self.py.ref(e)
            if r is None or r.kind not in ("var", "local"):
                return None
            if self.codec_of(e).words == 1:
                return None
            if isinstance(e, ir.Primed) or r.kind == "var":
                refs = env.get("$primed") if isinstance(e, ir.Primed) else env["$vars"]
                if refs is None:
                    return None
                return f"((const V *)&{refs[self.var_index[e.name]]})"
            src = env.get(e.name)
            if src is None or not src.isidentifier():
                return None
            return f"((const V *)&{src})"
        if isinstance(e, ir.Index):
            bt = self.type_of(e.base)
            if not isinstance(bt, (FunT, MapT, SeqT, TupleT)):
                return None
            bc = self.codec_of(e.base)
            if isinstance(bt, FunT) and not isinstance(bc, WideFunCodec):
                return None
            if isinstance(bt, TupleT) and not isinstance(bc, RecordCodec):
                return None
            base = self.ptr(e.base, env)
            if base is None:
                return None
            if isinstance(bt, TupleT):
                return f"({base} + {bc.offs[self.py.static_value(e.key) - 1]})"
            if isinstance(bt, FunT):
                pos = self.key_pos(bt.dom, self.x(e.key, env), e.key, e.id)
                return f"({base} + ({pos}) * {bc.slot})"
            q, i = self.fresh("q"), self.fresh("i")
            if isinstance(bc, PairMapCodec):
                decl, kp = self.pm_key(bc, e.key, env)
                return (f"({{ const V *{q} = {base}; {decl} V {i} = {self.pm_fn(bc)}_pos({q}, {kp}); "
                        f"if ({i} <= 0) mc_fail(r, {ERR_INDEX}, {e.id}); "
                        f"{q} + 1 + ({i} - 1) * {bc.ew} + {bc.kw}; }})")
            if isinstance(bt, MapT):
                pos = self.key_pos(bt.key, self.x(e.key, env), e.key, e.id)
                return (f"({{ const V *{q} = {base}; V {i} = {pos}; "
                        f"if (!(((uint64_t){q}[0] >> {i}) & 1)) mc_fail(r, {ERR_INDEX}, {e.id}); "
                        f"{q} + 1 + {i} * {bc.slot}; }})")
            return (f"({{ const V *{q} = {base}; V {i} = {self.x(e.key, env)}; "
                    f"if ({i} < 1 || {i} > {q}[0]) mc_fail(r, {ERR_INDEX}, {e.id}); "
                    f"{q} + 1 + ({i} - 1) * {bc.ew}; }})")
        if isinstance(e, ir.Field):
            bt = self.type_of(e.base)
            if not isinstance(bt, RecordT):
                return None
            bc = self.codec_of(e.base)
            if not isinstance(bc, RecordCodec):
                return None
            base = self.ptr(e.base, env)
            return None if base is None else f"({base} + {bc.offs[bt.index(e.name)]})"
        return None

    def at(self, t: Type, p: str) -> str:
        """The value of type ``t`` at the address ``p``."""
        c = codec(t)
        if c.words == 1:
            return f"(*({p}))"
        self.widths.add(c.words)
        return f"(*(const W{c.words} *)({p}))"

    def x_Index(self, e, env):
        p = self.ptr(e, env)
        if p is not None:
            return self.at(self.type_of(e), p)
        bt = self.type_of(e.base)
        base = self.x(e.base, env)
        if isinstance(bt, TupleT):
            sc = self.codec_of(e.base)
            return self.get_field(sc, base, self.py.static_value(e.key) - 1)
        if isinstance(bt, FunT):
            fc = self.codec_of(e.base)
            pos = self.key_pos(bt.dom, self.x(e.key, env), e.key, e.id)
            if isinstance(fc, WideFunCodec):
                return self.wide_load(fc, base, pos)
            return self.get_slot(fc, base, pos)
        if isinstance(bt, MapT):
            mc = self.codec_of(e.base)
            m, p = self.fresh("mp"), self.fresh("p")
            self.widths.add(mc.words)
            if isinstance(mc, PairMapCodec):
                decl, kp = self.pm_key(mc, e.key, env)
                return (f"({{ W{mc.words} {m} = {base}; {decl} V {p} = {self.pm_fn(mc)}_pos({m}.w, {kp}); "
                        f"if ({p} <= 0) mc_fail(r, {ERR_INDEX}, {e.id}); "
                        f"{self.at(mc.t.val, f'&{m}.w[1 + ({p} - 1) * {mc.ew} + {mc.kw}]')}; }})")
            pos = self.key_pos(bt.key, self.x(e.key, env), e.key, e.id)
            return (f"({{ W{mc.words} {m} = {base}; V {p} = {pos}; "
                    f"if (!(((uint64_t){m}.w[0] >> {p}) & 1)) mc_fail(r, {ERR_INDEX}, {e.id}); "
                    f"{self.map_slot(mc, m, p)}; }})")
        if isinstance(bt, SeqT):
            sc = self.codec_of(e.base)
            t, i = self.fresh("sq"), self.fresh("i")
            self.widths.add(sc.words)
            return (f"({{ W{sc.words} {t} = {base}; V {i} = {self.x(e.key, env)}; "
                    f"if ({i} < 1 || {i} > {t}.w[0]) mc_fail(r, {ERR_INDEX}, {e.id}); {self.seq_at(sc, t, i)}; }})")
        raise Unsupported(f"indexing a {bt.show()}", e.id)

    def wide_load(self, fc: WideFunCodec, base: str, pos: str) -> str:
        """The value at key position ``pos`` of a wide function."""
        t, p = self.fresh("fn"), self.fresh("p")
        self.widths.add(fc.words)
        if fc.slot == 1:
            return f"({{ W{fc.words} {t} = {base}; {t}.w[{pos}]; }})"
        self.widths.add(fc.slot)
        return f"({{ W{fc.words} {t} = {base}; V {p} = {pos}; *(W{fc.slot} *)&{t}.w[{p} * {fc.slot}]; }})"

    def wide_store(self, fc: WideFunCodec, acc: str, pos: str, val: str) -> str:
        """C statements: the value ``val`` into key position ``pos`` of ``acc``."""
        if fc.slot == 1:
            return f"{acc}.w[{pos}] = {val};"
        v = self.fresh("v")
        self.widths.add(fc.slot)
        return f"{{ W{fc.slot} {v} = {val}; memcpy(&{acc}.w[({pos}) * {fc.slot}], &{v}, sizeof {v}); }}"

    def seq_concat(self, e, env) -> str:
        """``left ++ right``, both converted to the result's layout."""
        t = self.type_of(e)
        sc = self.codec_of(e)
        a, b = self.x_as(e.left, env, t), self.x_as(e.right, env, t)
        x, y, o = self.fresh("sq"), self.fresh("sq"), self.fresh("sq")
        self.widths.add(sc.words)
        return (f"({{ W{sc.words} {x} = {a}; W{sc.words} {y} = {b}; W{sc.words} {o} = {{{{0}}}}; "
                f"if ({x}.w[0] + {y}.w[0] > {sc.cap}) mc_fail(r, {ERR_CAP}, {e.id}); "
                f"for (V i = 1; i <= {x}.w[0]; i++) {self.seq_at(sc, o, 'i')} = {self.seq_at(sc, x, 'i')}; "
                f"for (V i = 1; i <= {y}.w[0]; i++) {self.seq_at(sc, o, f'{x}.w[0] + i')} = {self.seq_at(sc, y, 'i')}; "
                f"{o}.w[0] = {x}.w[0] + {y}.w[0]; {o}; }})")

    def x_SeqLit(self, e, env):
        sc = self.codec_of(e)
        if not isinstance(sc, SeqCodec):
            raise Unsupported(f"a value of type {self.type_of(e).show()}", e.id)
        if len(e.elems) > sc.cap:
            raise Unsupported(f"a sequence literal of {len(e.elems)} elements (capacity {sc.cap})", e.id)
        o = self.fresh("sq")
        self.widths.add(sc.words)
        sets = " ".join(f"{self.seq_at(sc, o, str(k + 1))} = {self.x_as(x, env, sc.t.elem)};"
                        for k, x in enumerate(e.elems))
        return f"({{ W{sc.words} {o} = {{{{0}}}}; {o}.w[0] = {len(e.elems)}; {sets} {o}; }})"

    def x_SeqComp(self, e, env):
        sc = self.codec_of(e)
        if not isinstance(sc, SeqCodec):
            raise Unsupported(f"a value of type {self.type_of(e).show()}", e.id)
        o = self.fresh("sq")
        self.widths.add(sc.words)

        def inner(env2):
            v = self.fresh("v")
            add = (f"{{ {self.ctype(sc.t.elem)} {v} = {self.x_as(e.elem, env2, sc.t.elem)}; "
                   f"if ({o}.w[0] >= {sc.cap}) mc_fail(r, {ERR_CAP}, {e.id}); "
                   f"{o}.w[0]++; {self.seq_at(sc, o, f'{o}.w[0]')} = {v}; }}")
            return f"if ({self.x(e.cond, env2)}) {add}" if e.cond is not None else add

        return f"({{ W{sc.words} {o} = {{{{0}}}}; {self.nest(e.binders, env, inner)} {o}; }})"

    def x_Field(self, e, env):
        p = self.ptr(e, env)
        if p is not None:
            return self.at(self.type_of(e), p)
        t = self.type_of(e.base)
        if isinstance(t, RecordT):
            sc = self.codec_of(e.base)
            return self.get_field(sc, self.x(e.base, env), t.index(e.name))
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
                src = self.x_as(arg, env, at)
                o = self.to_ord(a, src, e.id)
                parts.append(f"(({o}) * {stride}ll)")
            return "(" + " + ".join(parts) + ")"
        return self.builtin(e, r.name, env)

    def call_def(self, e, name, args, env):
        d = self.py.defs[name]
        env2 = {k: v for k, v in env.items() if k.startswith("$")}
        decls = []
        for p, a in zip(d.params, args):
            pt = self.param_type(d, p.name)
            c = self.fresh(p.name)
            decls.append(f"{self.ctype(self.type_of(a) if pt is None else pt)} {c} = "
                         f"{self.x(a, env) if pt is None else self.x_as(a, env, pt)};")
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
        if a and isinstance(self.type_of(a[0]), MapT):
            out = self.map_op(e, name, env)
            if out is not None:
                return out
        if name == "size":
            t = self.type_of(a[0])
            if isinstance(a[0], ir.Binary) and a[0].op == "..":
                lo, hi = self.fresh("lo"), self.fresh("hi")
                return (f"({{ V {lo} = {self.x(a[0].left, env)}, {hi} = {self.x(a[0].right, env)}; "
                        f"{hi} >= {lo} ? {hi} - {lo} + 1 : 0; }})")
            if isinstance(t, SetT):
                w = self.wide(a[0])
                if isinstance(w, (SparseSetCodec, RecSetCodec)):
                    return f"({self.x(a[0], env)}).w[0]"
                if w is not None:
                    return f"w{w.words}_size({self.x(a[0], env)})"
                self.codec_of(a[0])
                return f"((V)__builtin_popcountll((uint64_t){self.x(a[0], env)}))"
        if name in ("union", "intersect", "diff"):
            return self.set_result(e, name, a[0], a[1], env)
        if name == "subseteq":
            return self.set_op(self.codec_of(a[0]), name, self.x(a[0], env),
                               self.x_as(a[1], env, self.type_of(a[0])), e.id)
        if name == "isEmpty" and isinstance(self.type_of(a[0]), SetT) and isinstance(self.wide(a[0]),
                                                                                (SparseSetCodec, RecSetCodec)):
            return f"(({self.x(a[0], env)}).w[0] == 0)"
        if name == "isEmpty" and isinstance(self.type_of(a[0]), SetT) and self.wide(a[0]) is not None:
            return f"(w{self.wide(a[0]).words}_size({self.x(a[0], env)}) == 0)"
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
            if isinstance(sc, RecSetCodec):
                t = self.fresh("rs")
                self.widths.add(sc.words)
                at = "1" if name == "min" else f"{t}.w[0]"
                return (f"({{ W{sc.words} {t} = {self.x(a[0], env)}; if ({t}.w[0] == 0) mc_fail(r, {ERR_EMPTY}, "
                        f"{e.id}); {self.seq_at(sc, t, at)}; }})")
            if isinstance(sc, SparseSetCodec):
                t = self.fresh("sp")
                self.widths.add(sc.words)
                at = "1" if name == "min" else f"{t}.w[0]"
                return (f"({{ W{sc.words} {t} = {self.x(a[0], env)}; if ({t}.w[0] == 0) mc_fail(r, {ERR_EMPTY}, {e.id}); "
                        f"{self.from_ord(sc.elem, f'{t}.w[{at}]')}; }})")
            if isinstance(sc, WideSetCodec):
                raise Unsupported(f"`{name}` of a set of more than 64 possible elements", e.id)
            if isinstance(sc, SetCodec):
                m = self.fresh("m")
                k = f"__builtin_ctzll({m})" if name == "min" else f"(63 - __builtin_clzll({m}))"
                return (f"({{ uint64_t {m} = (uint64_t){self.x(a[0], env)}; if (!{m}) mc_fail(r, {ERR_EMPTY}, "
                        f"{e.id}); {self.from_ord(sc.elem, k)}; }})")
        t0 = self.type_of(a[0]) if a else None
        if isinstance(t0, SeqT) and name in ("len", "isEmpty", "head", "last"):
            p = self.ptr(a[0], env)
            if p is not None:
                sc = self.codec_of(a[0])
                q = self.fresh("q")
                if name == "len":
                    return f"({p})[0]"
                if name == "isEmpty":
                    return f"(({p})[0] == 0)"
                at = "0" if name == "head" else f"{q}[0] - 1"
                return (f"({{ const V *{q} = {p}; if ({q}[0] == 0) mc_fail(r, {ERR_INDEX}, {e.id}); "
                        f"{self.at(sc.t.elem, f'{q} + 1 + ({at}) * {sc.ew}')}; }})")
        if isinstance(t0, SeqT):
            sc = self.codec_of(a[0])
            s = self.fresh("sq")
            self.widths.add(sc.words)
            head = f"W{sc.words} {s} = {self.x(a[0], env)};"
            if name == "len":
                return f"({{ {head} {s}.w[0]; }})"
            if name == "isEmpty":
                return f"({{ {head} {s}.w[0] == 0; }})"
            if name in ("head", "last"):
                at = "1" if name == "head" else f"{s}.w[0]"
                return (f"({{ {head} if ({s}.w[0] == 0) mc_fail(r, {ERR_INDEX}, {e.id}); "
                        f"{self.seq_at(sc, s, at)}; }})")
            if name == "tail":
                n = (sc.cap - 1) * sc.ew
                return (f"({{ {head} if ({s}.w[0] == 0) mc_fail(r, {ERR_INDEX}, {e.id}); "
                        f"for (int i = 1; i <= {n}; i++) {s}.w[i] = {s}.w[i + {sc.ew}]; "
                        f"for (int i = {n + 1}; i <= {n + sc.ew}; i++) {s}.w[i] = 0; "
                        f"{s}.w[0]--; {s}; }})")
            if name == "append":
                rc = self.codec_of(e)
                if rc.words != sc.words:
                    raise Unsupported(f"`append` changing a sequence's capacity", e.id)
                v = self.fresh("v")
                return (f"({{ {head} {self.ctype(sc.t.elem)} {v} = {self.x_as(a[1], env, sc.t.elem)}; "
                        f"if ({s}.w[0] >= {sc.cap}) mc_fail(r, {ERR_CAP}, {e.id}); "
                        f"{s}.w[0]++; {self.seq_at(sc, s, f'{s}.w[0]')} = {v}; {s}; }})")
            if name == "subseq":
                i, j, o, k = self.fresh("i"), self.fresh("j"), self.fresh("sq"), self.fresh("k")
                return (f"({{ {head} V {i} = {self.x(a[1], env)}, {j} = {self.x(a[2], env)}; "
                        f"W{sc.words} {o} = {{{{0}}}}; if ({j} >= {i}) {{ "
                        f"if ({i} < 1 || {j} > {s}.w[0]) mc_fail(r, {ERR_INDEX}, {e.id}); "
                        f"for (V {k} = {i}; {k} <= {j}; {k}++) "
                        f"{self.seq_at(sc, o, f'{k} - {i} + 1')} = {self.seq_at(sc, s, k)}; "
                        f"{o}.w[0] = {j} - {i} + 1; }} {o}; }})")
            if name == "put":
                i = self.fresh("i")
                return (f"({{ {head} V {i} = {self.x(a[1], env)}; if ({i} < 1 || {i} > {s}.w[0]) "
                        f"mc_fail(r, {ERR_INDEX}, {e.id}); {self.seq_at(sc, s, i)} = {self.x_as(a[2], env, sc.t.elem)}; "
                        f"{s}; }})")
            if name == "elems":
                rc = self.codec_of(e)
                acc, i = self.fresh("acc"), self.fresh("i")
                if isinstance(rc, RecSetCodec):
                    self.widths.add(rc.words)
                    add = self.wide_add(rc, acc, self.convert(sc.t.elem, rc.t.elem, self.seq_at(sc, s, i), e.id), e.id)
                    return (f"({{ {head} W{rc.words} {acc} = {{{{0}}}}; for (V {i} = 1; {i} <= {s}.w[0]; {i}++) "
                            f"{{ {add} }} {acc}; }})")
                if isinstance(rc, (WideSetCodec, SparseSetCodec)):
                    self.widths.add(rc.words)
                    add = self.wide_add(rc, acc, f"{s}.w[{i}]", e.id)
                    return (f"({{ {head} W{rc.words} {acc} = {{{{0}}}}; for (V {i} = 1; {i} <= {s}.w[0]; {i}++) "
                            f"{add} {acc}; }})")
                if isinstance(rc, SetCodec):
                    return (f"({{ {head} V {acc} = 0; for (V {i} = 1; {i} <= {s}.w[0]; {i}++) "
                            f"{acc} |= {self.set_bit(rc, f'{s}.w[{i}]', e.id)}; {acc}; }})")
        if name == "values" and isinstance(t0, FunT):
            fc, rc = self.codec_of(a[0]), self.codec_of(e)
            f, acc, x = self.fresh("fn"), self.fresh("acc"), self.fresh("x")
            ftype = f"W{fc.words}" if fc.words > 1 else "V"
            if isinstance(rc, SetCodec):
                decl, add = f"V {acc} = 0;", f"{acc} |= {self.set_bit(rc, x, e.id)};"
            elif isinstance(rc, (WideSetCodec, SparseSetCodec)):
                self.widths.add(rc.words)
                decl, add = f"W{rc.words} {acc} = {{{{0}}}};", self.wide_add(rc, acc, x, e.id)
            else:
                raise Unsupported(f"`values` of a {t0.show()}", e.id)
            parts = []
            for pos in range(len(fc.keys)):
                val = self.wide_load(fc, f, str(pos)) if isinstance(fc, WideFunCodec) else self.get_slot(fc, f, str(pos))
                parts.append(f"{{ V {x} = {val}; {add} }}")
            return f"({{ {ftype} {f} = {self.x(a[0], env)}; {decl} {' '.join(parts)} {acc}; }})"
        if name == "put" and isinstance(t0, FunT) and isinstance(self.codec_of(a[0]), WideFunCodec):
            fc = self.codec_of(a[0])
            f = self.fresh("fn")
            pos = self.key_pos(fc.t.dom, self.x(a[1], env), a[1], e.id)
            self.widths.add(fc.words)
            return (f"({{ W{fc.words} {f} = {self.x(a[0], env)}; "
                    f"{self.wide_store(fc, f, pos, self.x_as(a[2], env, fc.t.cod))} {f}; }})")
        if name == "bigunion" and isinstance(t0, SetT) and isinstance(t0.elem, SetT):
            # the union of the elements; of a comprehension's elements as they are made,
            # without building the set of sets
            t, rc = self.type_of(e), self.codec_of(e)
            acc, x = self.fresh("acc"), self.fresh("x")
            if rc.words > 1:
                self.widths.add(rc.words)
            decl = f"{self.ctype(t)} {acc} = {{0}};" if rc.words > 1 else f"V {acc} = 0;"
            if isinstance(a[0], ir.SetComp):
                comp = a[0]

                def inner(env2):
                    add = f"{acc} = {self.set_op(rc, 'union', acc, self.x_as(comp.elem, env2, t), e.id)};"
                    return f"if ({self.x(comp.cond, env2)}) {{ {add} }}" if comp.cond is not None else add

                return f"({{ {decl} {self.nest(comp.binders, env, inner, direct=True)} {acc}; }})"
            add = f"{acc} = {self.set_op(rc, 'union', acc, self.convert(t0.elem, t, x, e.id), e.id)};"
            return f"({{ {decl} {self.each_elem(self.codec_of(a[0]), self.x(a[0], env), x, add)} {acc}; }})"
        if name == "powerset":
            rc = self.codec_of(e)
            if isinstance(rc, SetCodec) and isinstance(rc.elem, SetField):
                s, m, acc = self.fresh("s"), self.fresh("m"), self.fresh("acc")
                rank = self.table(rc.elem.ranks)
                return (f"({{ uint64_t {s} = (uint64_t){self.x_as(a[0], env, rc.elem.t)}, {m} = 0; V {acc} = 0; "
                        f"do {{ {acc} |= (V)(1ull << {rank}[{m}]); {m} = ({m} - {s}) & {s}; }} while ({m}); {acc}; }})")
        if name == "put" and isinstance(self.type_of(a[0]), FunT):
            fc = self.codec_of(a[0])
            f, p = self.fresh("f"), self.fresh("p")
            pos = self.key_pos(fc.t.dom, self.x(a[1], env), a[1], e.id)
            return (f"({{ V {f} = {self.x(a[0], env)}; V {p} = {pos}; "
                    f"(V)(((uint64_t){f} & ~({fc.mask}ull << ({p} * {fc.width}))) | "
                    f"(uint64_t){self.put_slot(fc, p, self.x_as(a[2], env, fc.t.cod), e.id)}); }})")
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
                out.append(f"{{ {self.ctype(self.type_of(st.value))} {c} = {self.x(st.value, env)};")
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
                out.append(f"{self.ctype(self.var_types[i])} {c} = {self.x_as(st.value, env, self.var_types[i])};")
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

    def components(self) -> tuple[list[tuple[int, int, int]], int]:
        """How a state is stored (SPIN's COLLAPSE): its pieces ``(offset, words, table)``
        in order, a table of -1 being words kept as they are, any other the table its
        value is interned in (one table per type: the nine channels ``msgs[i][j]`` share
        one); and the number of tables. A variable of fewer than COMP_MIN words stays
        inline; a function whose values have COMP_MIN words or more is split by key."""
        pieces: list[tuple[int, int, int]] = []
        tabs: dict[int, int] = {}

        def visit(c: Codec, off: int) -> None:
            if c.words < COMP_MIN:
                if pieces and pieces[-1][2] == -1 and pieces[-1][0] + pieces[-1][1] == off:
                    o, n, _ = pieces.pop()
                    pieces.append((o, n + c.words, -1))
                else:
                    pieces.append((off, c.words, -1))
                return
            if isinstance(c, WideFunCodec) and c.slot >= COMP_MIN:
                for k in range(len(c.keys)):
                    visit(c.val, off + k * c.slot)
                return
            pieces.append((off, c.words, tabs.setdefault(id(c), len(tabs))))

        for c, off in zip(self.var_codecs, self.offsets):
            visit(c, off)
        return pieces, len(tabs)

    def gen_collapse(self) -> tuple[str, int, int, int]:
        """``mc_compress`` and ``mc_expand`` for runtime.c, with NCOMP, CW and NTAB."""
        pieces, ntab = self.components()
        ncomp = sum(1 for _, _, t in pieces if t >= 0)
        if not ncomp:
            return ("static int mc_compress(R *r, const V *s, V *c, int add, const V *ps, const V *pc) { (void)r; "
                    "(void)s; (void)c; (void)add; (void)ps; (void)pc; return 1; }\n"
                    "static void mc_expand(R *r, const V *c, V *s) { (void)r; (void)c; (void)s; }",
                    0, self.nwords, 0)
        comp = ["static int mc_compress(R *r, const V *s, V *c, int add, const V *ps, const V *pc) {", "  int64_t id;"]
        exp = ["static void mc_expand(R *r, const V *c, V *s) {"]
        cw = 0
        for off, n, t in pieces:
            if t < 0:
                comp.append(f"  memcpy(&c[{cw}], &s[{off}], {n} * sizeof(V));")
                exp.append(f"  memcpy(&s[{off}], &c[{cw}], {n} * sizeof(V));")
                cw += n
            else:
                comp.append(f"  if (ps && memcmp(&s[{off}], &ps[{off}], {n} * sizeof(V)) == 0) c[{cw}] = pc[{cw}];")
                comp.append(f"  else {{ if ((id = mc_intern(r, {t}, {n}, &s[{off}], add)) < 0) return id == -1 ? 0 : -1; "
                            f"c[{cw}] = id; }}")
                exp.append(f"  memcpy(&s[{off}], r->ct[{t}].vals + (int64_t){n} * c[{cw}], {n} * sizeof(V));")
                cw += 1
        comp.append("  return 1;\n}")
        exp.append("}")
        return "\n".join(comp + exp), ncomp, cw, ntab

    def gen_succ(self) -> tuple[str, int]:
        nvars = len(self.var_types)
        out = ["static void mc_succ(R *r, const V *s) {"]
        vs = self.var_refs("s")
        base = 0
        self.dynamic: dict[int, tuple] = {}   # action index -> the codecs of its parameters
        for ai, a in enumerate(self.c.actions):
            static = [self.py.static_domain(p.domain) for p in a.params]
            if any(d is None for d in static):
                out.append(f"/* action {a.name} (labels numbered as first generated) */")
                self.dynamic[ai] = tuple(self._elem_codec(p.domain) for p in a.params)
                self.dynamic_action(ai, a, vs, nvars, out)
                continue
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
                lines.extend(self.store_vars(o, assigned, vs))
                lines.append("}")

            out.append(f"/* action {a.name} */")
            self.block(body, env, {}, out, emit)
            n = 1
            for d in static:
                n *= len(d)
            base += n
        out.append("}")
        return "\n".join(out), base

    def store_vars(self, o: str, assigned: dict, vs: list) -> list[str]:
        """Write the successor: each variable's new value (or the old one) at its words."""
        out = []
        for i, (off, c) in enumerate(zip(self.offsets, self.var_codecs)):
            val = assigned.get(i, vs[i])
            if c.words > 1 and i not in assigned:
                out.append(f"memcpy(&{o}[{off}], &s[{off}], {c.words} * sizeof(V));")
            elif c.words > 1:
                tmp = self.fresh("w")
                out.append(f"{{ W{c.words} {tmp} = {val}; memcpy(&{o}[{off}], &{tmp}, sizeof {tmp}); }}")
            else:
                out.append(f"{o}[{off}] = {val};")
        return out

    def dynamic_action(self, ai: int, a, vs: list, nvars: int, out: list) -> None:
        """An action with a state-dependent parameter domain: its parameters are picks
        like any other, and its label is numbered at run time (``mc_dyn_label``), in the
        order the Python backend numbers it (``CompiledModel._dynamic_label``)."""
        picks = [ir.Pick(p.id, p) for p in a.params]
        body = self.py.schedule(picks + list(a.body.stmts), set())
        env: dict[str, Any] = {"$vars": vs, "$primed": None}
        names = [p.name for p in a.params]

        codecs = self.dynamic[ai]

        def emit(env2, assigned, lines):
            o = self.fresh("o")
            if all(c.words == 1 for c in codecs):
                args = ", ".join(env2[n] for n in names) or "0"
                lines.append(f"{{ V *{o} = mc_push(r, mc_dyn_label(r, {ai}, {len(names)}, (V[]){{{args}}}));")
            else:
                # parameters of several words, one after the other (engine.labels reads them so)
                d, off, copies = self.fresh("args"), 0, []
                for n, c in zip(names, codecs):
                    copies.append(f"memcpy(&{d}[{off}], &{env2[n]}, {c.words} * sizeof(V));")
                    off += c.words
                lines.append(f"{{ V {d}[{off}]; {' '.join(copies)} "
                             f"V *{o} = mc_push(r, mc_dyn_label(r, {ai}, {off}, {d}));")
            lines.extend(self.store_vars(o, assigned, vs))
            lines.append("}")

        self.block(body, env, {}, out, emit)

    def gen_preds(self) -> tuple[str, int, int, int]:
        vs = self.var_refs("s")
        ws = self.var_refs("t")
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
                        same = " && ".join(f"t[{w}] == s[{w}]" for i in reads
                                           for w in range(self.offsets[i], self.offsets[i] + self.var_codecs[i].words))
                        out.append(f"  case {k}: if ({same}) return 1; return ({body}) != 0;")
                        continue
                out.append(f"  case {k}: return ({body}) != 0;")
            out.append("  }\n  return 1;\n}")
        return "\n".join(out), len(groups["invariant"]), len(groups["step"]), len(groups["constraint"])

    def source(self, runtime: str) -> str:
        """The whole C translation unit. Symmetry reduction (:mod:`.canon`) is compiled
        in when the spec declares it and its layout allows; otherwise ``canon_refused``
        says why (the engine then refuses runs that ask for symmetry)."""
        succ, nlabels = self.gen_succ()
        preds, ninv, nstep, ncons = self.gen_preds()
        canon = "static void mc_canon(R *r, V *s) { (void)r; (void)s; }"
        self.canon_refused: str | None = None
        self.has_canon = False
        if self.c.symmetric:
            from .canon import PRELUDE as CANON_PRELUDE, CanonGen

            try:
                canon = CANON_PRELUDE + CanonGen(self, tuple(self.c.models[n] for n in self.c.symmetric)).source()
                self.has_canon = True
            except Unsupported as u:
                self.canon_refused = u.message
        #: the most words of one action's parameters (a dynamic label's key holds them all)
        self.maxp = maxp = max([len(a.params) for a in self.c.actions] + [1] +
                               [sum(c.words for c in cs) for cs in self.dynamic.values()])
        collapse, ncomp, cw, ntab = self.gen_collapse()
        self.ncomp, self.cw = ncomp, cw
        self.widths |= self.sparse
        wides = [_wide_helpers(n) for n in sorted(self.widths)] + [_sparse_helpers(n) for n in sorted(self.sparse)]
        head = [f"#define NVARS {self.nwords}", f"#define NLABELS {nlabels}", f"#define MAXP {maxp}",
                f"#define NINV {ninv}", f"#define NSTEP {nstep}", f"#define NCONS {ncons}",
                f"#define NCANON {1 if self.has_canon else 0}", f"#define NCOMP {ncomp}", f"#define CW {cw}",
                f"#define NTAB {ntab}", runtime, PRELUDE]
        return "\n".join(head + wides + self.tables + self.protos + self.funcs + [collapse, canon, preds, succ]) + "\n"


PRELUDE = r"""
/* ---- helpers of the generated code ---- */
#define CHK(o, n, node) ({ V _o = (o); if ((uint64_t)_o >= (uint64_t)(n)) mc_fail(r, 1, (node)); _o; })
#define CHKI(o, n, node) ({ V _o = (o); if ((uint64_t)_o >= (uint64_t)(n)) mc_fail(r, 3, (node)); _o; })
#define CHKW(o, n, node) ({ V _o = (o); if ((uint64_t)_o >= (uint64_t)(n)) mc_fail(r, 9, (node)); _o; })
static inline V mc_add(R *r, V a, V b, int node) { V c; if (__builtin_add_overflow(a, b, &c)) mc_fail(r, 7, node); return c; }
static inline V mc_sub(R *r, V a, V b, int node) { V c; if (__builtin_sub_overflow(a, b, &c)) mc_fail(r, 7, node); return c; }
static inline V mc_mul(R *r, V a, V b, int node) { V c; if (__builtin_mul_overflow(a, b, &c)) mc_fail(r, 7, node); return c; }
static inline V mc_div(R *r, V a, V b, int node) {
    if (b == -1 && a == INT64_MIN) mc_fail(r, 7, node);
    if (b == 0) mc_fail(r, 2, node);
    V q = a / b; if ((a % b != 0) && ((a < 0) != (b < 0))) q--; return q;   /* floor, as Python */
}
static inline int mc_maskcmp(uint64_t x, uint64_t y) {   /* two bit-mask sets in the value order */
    int cx = __builtin_popcountll(x), cy = __builtin_popcountll(y);
    if (cx != cy) return cx < cy ? -1 : 1;
    for (; x; x &= x - 1, y &= y - 1) { int i = __builtin_ctzll(x), j = __builtin_ctzll(y); if (i != j) return i < j ? -1 : 1; }
    return 0;
}
static inline V mc_mod(R *r, V a, V b, int node) {
    if (b == 0) mc_fail(r, 2, node);
    if (b == -1) return 0;
    V m = a % b; if (m != 0 && ((m < 0) != (b < 0))) m += b; return m;
}
"""


def _wide_helpers(n: int) -> str:
    """The struct of a set of n words and its operations."""
    ops = "\n".join(
        f"static inline W{n} w{n}_{name}(W{n} a, W{n} b) {{ W{n} c; for (int i = 0; i < {n}; i++) "
        f"c.w[i] = {expr}; return c; }}"
        for name, expr in (("or", "a.w[i] | b.w[i]"), ("and", "a.w[i] & b.w[i]"), ("andnot", "a.w[i] & ~b.w[i]")))
    return (f"typedef struct {{ V w[{n}]; }} W{n};\n{ops}\n"
            f"static inline int w{n}_eq(W{n} a, W{n} b) {{ for (int i = 0; i < {n}; i++) if (a.w[i] != b.w[i]) return 0; "
            f"return 1; }}\n"
            f"static inline int w{n}_sub(W{n} a, W{n} b) {{ for (int i = 0; i < {n}; i++) if (a.w[i] & ~b.w[i]) return 0; "
            f"return 1; }}\n"
            f"static inline V w{n}_size(W{n} a) {{ V k = 0; for (int i = 0; i < {n}; i++) "
            f"k += __builtin_popcountll((uint64_t)a.w[i]); return k; }}")


def _sparse_helpers(n: int) -> str:
    """The operations of a sparse set of n words: a count, then ordinals ascending."""
    cap = n - 1
    W = f"W{n}"
    return f"""
static inline int sp{n}_has({W} a, V o) {{
  for (V i = 1; i <= a.w[0]; i++) {{ if (a.w[i] == o) return 1; if (a.w[i] > o) return 0; }}
  return 0;
}}
static inline {W} sp{n}_add(R *r, {W} a, V o, int node) {{
  V i = 1;
  while (i <= a.w[0] && a.w[i] < o) i++;
  if (i <= a.w[0] && a.w[i] == o) return a;
  if (a.w[0] >= {cap}) mc_fail(r, 8, node);
  for (V j = a.w[0]; j >= i; j--) a.w[j + 1] = a.w[j];
  a.w[i] = o; a.w[0]++;
  return a;
}}
static inline {W} sp{n}_or(R *r, {W} a, {W} b, int node) {{
  for (V i = 1; i <= b.w[0]; i++) a = sp{n}_add(r, a, b.w[i], node);
  return a;
}}
static inline {W} sp{n}_and({W} a, {W} b) {{
  {W} c = {{{{0}}}};
  for (V i = 1; i <= a.w[0]; i++) if (sp{n}_has(b, a.w[i])) c.w[++c.w[0]] = a.w[i];
  return c;
}}
static inline {W} sp{n}_andnot({W} a, {W} b) {{
  {W} c = {{{{0}}}};
  for (V i = 1; i <= a.w[0]; i++) if (!sp{n}_has(b, a.w[i])) c.w[++c.w[0]] = a.w[i];
  return c;
}}
static inline int sp{n}_sub({W} a, {W} b) {{
  for (V i = 1; i <= a.w[0]; i++) if (!sp{n}_has(b, a.w[i])) return 0;
  return 1;
}}"""


def _c_int(v: int, node: int | None = None) -> str:
    """``v`` as a C constant. One beyond 64 bits is not compiled: the C compiler would
    keep its low 64 bits and the search would go on with another number."""
    if not -(1 << 63) <= v < (1 << 63):
        raise Unsupported(f"the integer {v} does not fit in 64 bits", node)
    if v == -(1 << 63):
        return "(-9223372036854775807ll - 1)"
    return f"{v}ll"


