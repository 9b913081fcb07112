"""Symmetry reduction in C: ``mc_canon(r, s)`` turns a state (in place) into the
representative of its orbit, for states whose *atoms* mention at most one symmetric
value each (the "unary atoms" case of :mod:`modelcheck.symmetry`, which argues its
exactness: TwoPhase, tcommit and most specs that declare symmetry).

For each symmetric set, every value ``u`` gets a *signature*: per variable, what the
state says about ``u`` with ``u`` itself forgotten (``rmState[u]``; whether ``u`` is in
``tmPrepared``; which of the messages naming ``u``, with ``u`` replaced by a marker, are
in ``msgs``). Values are sorted by signature and renamed by rank; values with equal
signatures are interchangeable (the transposition fixes the state), so the image is the
same whichever order ties take: one representative per orbit, exactly. It need not be
the representative the Python canonicaliser picks, so the distinct states (orbits),
generated states and depth agree with the Python backend while the states printed in a
counterexample may be other members of the same orbits (each trace is a real behaviour,
replayed by the Python model).

The layout of each variable (:mod:`.layout`) decides the C code; a type this module
does not handle (an atom naming two symmetric values: ``RM -> set[RM]``, a message
``Ack(a, b)`` between two symmetric values) raises :class:`~.layout.Unsupported`.
"""

from __future__ import annotations

from ..types import EnumT, ModelT, RecordT, SetT, TupleT, Type, mentions
from .layout import (Codec, FunCodec, IntCodec, MapCodec, PairMapCodec, RecordCodec, RecSetCodec, ScalarCodec, SeqCodec, SetCodec,
                     SparseSetCodec, Unsupported, WideFunCodec, WideSetCodec)

#: the most values of a scalar type whose ordinals get owner/mark tables
MAX_TABLE = 1 << 16
#: the most permutations (of all symmetric sets together) tried per state when the
#: signatures do not apply
MAX_PERMS = 720


def _permuted(v, t: Type, pis: dict):
    """The Python value ``v`` of type ``t`` with every symmetric value renamed."""
    if isinstance(t, ModelT):
        return pis[t.name][v] if t.name in pis else v
    if isinstance(t, EnumT):
        if isinstance(v, str):
            return v
        c = t.constructor(v[0])
        return (v[0],) + tuple(_permuted(x, a, pis) for a, x in zip(c.args, v[1:]))
    if isinstance(t, (TupleT, RecordT)):
        ets = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
        return tuple(_permuted(x, a, pis) for a, x in zip(ets, v))
    if isinstance(t, SetT):
        return frozenset(_permuted(x, t.elem, pis) for x in v)
    return v


def _values_in(v, t: Type, g: ModelT, out: list) -> None:
    """The values of ``g`` a Python value ``v`` of type ``t`` mentions (in order)."""
    if isinstance(t, ModelT):
        if t.name == g.name:
            out.append(v)
        return
    if isinstance(t, EnumT):
        if isinstance(v, str):
            return
        c = t.constructor(v[0])
        for a, x in zip(c.args, v[1:]):
            _values_in(x, a, g, out)
        return
    if isinstance(t, (TupleT, RecordT)):
        ets = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
        for a, x in zip(ets, v):
            _values_in(x, a, g, out)
        return
    if mentions(t, g):  # pragma: no cover - scalars only reach here
        raise Unsupported(f"symmetry over {t.show()}")


def _subst(v, t: Type, g: ModelT, new: int):
    """``v`` with its (one) value of ``g`` replaced by ``new``."""
    if isinstance(t, ModelT):
        return new if t.name == g.name else v
    if isinstance(t, EnumT):
        if isinstance(v, str):
            return v
        c = t.constructor(v[0])
        return (v[0],) + tuple(_subst(x, a, g, new) for a, x in zip(c.args, v[1:]))
    if isinstance(t, (TupleT, RecordT)):
        ets = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
        return tuple(_subst(x, a, g, new) for a, x in zip(ets, v))
    return v


class _Scalar:
    """Owner and mark tables of a scalar type: ``owner[o]`` is the value of ``g`` the
    value with ordinal ``o`` names (-1 none), ``mark[o]`` the class of ``o`` with that
    value forgotten (0..marks-1), ``with_[m][u]`` the ordinal of class ``m`` naming ``u``."""

    def __init__(self, c: ScalarCodec, g: ModelT, groups: tuple = ()):
        if c.card > MAX_TABLE:
            raise Unsupported(f"symmetry over {c.t.show()}, which has {c.card:,} values (the C backend "
                              f"tabulates at most {MAX_TABLE:,})")
        n = len(g.names)
        self.owner = []
        self.mark = []
        marks: dict[int, int] = {}
        with_: list[list[int]] = []
        for o in range(c.card):
            v = c.value_of(o)
            vs: list = []
            _values_in(v, c.t, g, vs)
            others: list = []
            for h in groups:
                if h.name != g.name:
                    _values_in(v, c.t, h, others)
            if len(vs) > 1 or (vs and others):
                raise Unsupported(f"symmetry over {c.t.show()}: a value names two symmetric values "
                                  f"(the C backend reduces symmetry when each part of a state names one)")
            if not vs:
                self.owner.append(-1)
                self.mark.append(0)
                continue
            key = c.ordinal_of(_subst(v, c.t, g, 0))
            if key not in marks:
                marks[key] = len(marks)
                with_.append([c.ordinal_of(_subst(v, c.t, g, u)) for u in range(n)])
            self.owner.append(vs[0])
            self.mark.append(marks[key])
        self.marks = len(marks)
        self.with_ = with_


class CanonGen:
    """The C source of ``mc_canon`` for the symmetric sets of a spec."""

    def __init__(self, emitter, groups: tuple[ModelT, ...]):
        self.e = emitter
        self.groups = groups
        self.pfns: dict[int, str | None] = {}     # codec id -> its permuting function

    def table(self, values) -> str:
        return self.e.table(list(values))

    def source(self) -> str:
        """Sorting by signatures when every part of a state names at most one symmetric
        value; else, for small groups, the least image under every permutation."""
        try:
            out = ["static void mc_canon(R *r, V *s) {", "  (void)r;"]
            for gi, g in enumerate(self.groups):
                out.extend(self.group(gi, g))
            out.append("}")
            return "\n".join(out)
        except Unsupported as first:
            try:
                return self.every_permutation()
            except Unsupported as second:
                raise Unsupported(f"{first.message}; and trying every permutation: {second.message}") from None

    # ------------------------------------------------------------------ small groups

    def every_permutation(self) -> str:
        """``mc_canon`` as the least image of the state (word by word) under every
        permutation of the symmetric sets: exact for any layout this module can permute,
        affordable for at most MAX_PERMS permutations in all."""
        import itertools
        import math

        # counted before any is made: 200 model values have 200! permutations, and
        # listing them first took every byte of memory (RM=200, issue 14's wide spec)
        total = math.prod(math.factorial(len(g.names)) for g in self.groups)
        if total > MAX_PERMS:
            size = f"{total:,}" if total < 10 ** 30 else f"about 10^{len(str(total)) - 1}"
            raise Unsupported(f"symmetry over {size} permutations (the C backend tries at most {MAX_PERMS:,})")
        per_group = [list(itertools.permutations(range(len(g.names)))) for g in self.groups]
        combos = [dict(zip((g.name for g in self.groups), c)) for c in itertools.product(*per_group)]
        assert all(list(pi) == sorted(pi) for pi in combos[0].values())   # the first is the identity
        lines = []
        for i, (t, c) in enumerate(zip(self.e.var_types, self.e.var_codecs)):
            lines.append(self.permute_var(i, t, c, combos))
            # the image is compared with the least so far as it is made, variable by
            # variable in the state's word order: an image already greater is left there
            # (most are, in the first variables, and the channels are never permuted)
            off, n = self.e.offsets[i], c.words
            lines.append(f"if (!less) {{ int d = mc_wordcmp(&o[{off}], &best[{off}], {n}); if (d > 0) continue; "
                         f"if (d < 0) less = 1; }}")
        nv = self.e.nwords
        return "\n".join([
            "static inline int mc_wordcmp(const V *a, const V *b, int n) {",
            "  for (int i = 0; i < n; i++) if (a[i] != b[i]) return (uint64_t)a[i] < (uint64_t)b[i] ? -1 : 1;",
            "  return 0;", "}",
            "static void mc_canon(R *r, V *s) {",
            f"  (void)r; V best[{nv}], o[{nv}];",
            "  memcpy(best, s, sizeof(best));                 /* the identity's image */",
            f"  for (int p = 1; p < {len(combos)}; p++) {{",
            "    int less = 0;"]
            + ["    " + x for x in lines] +
            ["    if (less) memcpy(best, o, sizeof(best));",
             "  }", "  memcpy(s, best, sizeof(best));", "}"])

    def image_table(self, c, combos) -> str:
        """``IMG[p * card + o]``: the ordinal of the image of ordinal ``o`` under
        permutation ``p``, for a scalar codec."""
        if c.card > MAX_TABLE:
            raise Unsupported(f"symmetry over {c.t.show()}, which has {c.card:,} values")
        vals = [c.value_of(o) for o in range(c.card)]
        out = []
        for pis in combos:
            out.extend(c.ordinal_of(_permuted(v, c.t, pis)) for v in vals)
        return self.table(out)

    def permute_var(self, i: int, t: Type, c: Codec, combos) -> str:
        off = self.e.offsets[i]
        s, o = f"s[{off}]", f"o[{off}]"
        names = {g.name for g in self.groups}
        if not any(mentions(t, g) for g in self.groups):
            if c.words > 1:
                return f"memcpy(&o[{off}], &s[{off}], {c.words} * sizeof(V));"
            return f"{o} = {s};"
        if isinstance(c, WideSetCodec):
            tab = self.image_table(c.elem, combos)
            return (f"{{ V q[{c.words}] = {{0}}; for (int wi = 0; wi < {c.words}; wi++) "
                    f"for (uint64_t m = (uint64_t)s[{off} + wi]; m; m &= m - 1) {{ "
                    f"int k = wi * 64 + __builtin_ctzll(m), b = {tab}[p * {c.elem.card} + k]; "
                    f"q[b >> 6] |= (V)(1ull << (b & 63)); }} memcpy(&o[{off}], q, sizeof q); }}")
        if c.words > 1 or (isinstance(c, ScalarCodec) and c.card > MAX_TABLE):
            return f"{self.perm_fn(c, combos)}(p, &s[{off}], &o[{off}]);"
        if isinstance(c, ScalarCodec) or (isinstance(t, ModelT)):
            tab = self.image_table(c, combos)
            return f"{o} = {tab}[p * {c.card} + {s}];"
        if isinstance(c, SetCodec):
            tab = self.image_table(c.elem, combos)
            return (f"{{ uint64_t m = (uint64_t){s}, q = 0; while (m) {{ int k = __builtin_ctzll(m); m &= m - 1; "
                    f"q |= 1ull << {tab}[p * {c.elem.card} + k]; }} {o} = (V)q; }}")
        if isinstance(c, FunCodec):
            dom, cod = t.dom, t.cod
            wd, mask, keys = c.width, c.mask, len(c.keys)
            if isinstance(dom, ModelT) and dom.name in names:
                kt = self.table([pis[dom.name][k] for pis in combos for k in range(keys)])
                dest = f"{kt}[p * {keys} + k]"
            elif any(mentions(dom, g) for g in self.groups):  # pragma: no cover - indexable types
                raise Unsupported(f"symmetry over {t.show()}")
            else:
                dest = "k"
            if not any(mentions(cod, g) for g in self.groups):
                val = "v"
            elif isinstance(c.val, SetCodec):
                tab = self.image_table(c.val.elem, combos)
                val = (f"({{ uint64_t m = v, q = 0; while (m) {{ int b = __builtin_ctzll(m); m &= m - 1; "
                       f"q |= 1ull << {tab}[p * {c.val.elem.card} + b]; }} q; }})")
            elif isinstance(c.val, ScalarCodec):
                tab = self.image_table(c.val, combos)
                val = f"(uint64_t){tab}[p * {c.val.card} + v]"
            else:
                raise Unsupported(f"symmetry over {t.show()} (not yet in the C backend)")
            return (f"{{ uint64_t f = (uint64_t){s}, q = 0; for (int k = 0; k < {keys}; k++) {{ "
                    f"uint64_t v = (f >> (k * {wd})) & {mask}ull; q |= ({val}) << (({dest}) * {wd}); }} {o} = (V)q; }}")
        raise Unsupported(f"symmetry over {t.show()} (not yet in the C backend)")

    # ------------------------------------------------------------------ values of several words

    def mentioned(self, t: Type) -> bool:
        return any(mentions(t, g) for g in self.groups)

    def scalar_img(self, c: ScalarCodec, src: str, combos) -> str:
        """The ordinal of the image of the scalar with ordinal ``src`` under permutation
        ``p``: by a table, or field by field for a tuple or record of too many values."""
        if c.card <= MAX_TABLE:
            return f"{self.image_table(c, combos)}[p * {c.card} + ({src})]"
        if not c.fields:
            raise Unsupported(f"symmetry over {c.t.show()}, which has {c.card:,} values")
        ets = c.t.elems if isinstance(c.t, TupleT) else [ft for _, ft in c.t.fields]
        parts = [f"(V)({src})"]
        for f, ft, stride in zip(c.fields, ets, c.strides):
            if not self.mentioned(ft):
                continue
            if not isinstance(f, ScalarCodec):
                raise Unsupported(f"symmetry over {c.t.show()} (not yet in the C backend)")
            old = f"((V)({src}) / {stride}ll % {f.card}ll)"
            parts.append(f"((V){self.scalar_img(f, old, combos)} - {old}) * {stride}ll")
        return "(" + " + ".join(parts) + ")"

    def perm_fn(self, c: Codec, combos) -> str:
        """A generated ``void f(int p, const V *a, V *b)`` writing the image of the value
        at ``a`` (laid out by ``c``) under permutation ``p`` at ``b``, in its canonical
        layout: sets of several words re-sorted, map keys and function slots moved, unused
        places zero."""
        key = id(c)
        if key in self.pfns:
            return self.pfns[key]
        name = f"mc_perm{len(self.pfns)}"
        self.pfns[key] = name
        t, n = c.t, c.words
        body: list[str] = []

        def sub(vc: Codec, a: str, b: str) -> str:
            if not self.mentioned(vc.t):
                return f"memcpy({b}, {a}, {vc.words} * sizeof(V));"
            return f"{self.perm_fn(vc, combos)}(p, {a}, {b});"

        def dest(kt: Type) -> str:
            """Where key position ``k`` (of type kt) goes under permutation ``p``: by the
            table of a symmetric model set's permutations, or nowhere else."""
            for g in self.groups:
                if isinstance(kt, ModelT) and kt.name == g.name:
                    n = len(g.names)
                    return f"{self.table([pis[g.name][u] for pis in combos for u in range(n)])}[p * {n} + k]"
            if self.mentioned(kt):
                raise Unsupported(f"symmetry over {t.show()}: keys of type {kt.show()} (not yet in the C backend)")
            return "k"

        if isinstance(c, ScalarCodec):
            body.append(f"b[0] = {self.scalar_img(c, 'a[0]', combos)};")
        elif isinstance(c, IntCodec):   # pragma: no cover - mentions nothing
            body.append("b[0] = a[0];")
        elif isinstance(c, (SetCodec, FunCodec)):
            line = self.permute_var(0, t, c, combos)    # one word: s[0] -> o[0]
            body.append("const V *s = a; V *o = b; " + line)
        elif isinstance(c, WideSetCodec):
            tab = self.image_table(c.elem, combos)
            body.append(f"memset(b, 0, {n} * sizeof(V)); for (int wi = 0; wi < {n}; wi++) "
                        f"for (uint64_t m = (uint64_t)a[wi]; m; m &= m - 1) {{ "
                        f"int k = wi * 64 + __builtin_ctzll(m), q = {tab}[p * {c.elem.card} + k]; "
                        f"b[q >> 6] |= (V)(1ull << (q & 63)); }}")
        elif isinstance(c, SparseSetCodec):
            if not isinstance(c.elem, ScalarCodec):
                raise Unsupported(f"symmetry over {t.show()} (not yet in the C backend)")
            img = self.scalar_img(c.elem, "a[i]", combos)
            body.append(f"memset(b, 0, {n} * sizeof(V)); b[0] = a[0]; "
                        f"for (V i = 1; i <= a[0]; i++) {{ V x = {img}, j = i - 1; "
                        f"while (j >= 1 && b[j] > x) {{ b[j + 1] = b[j]; j--; }} b[j + 1] = x; }}")
        elif isinstance(c, RecordCodec):
            for f, off in zip(c.fields, c.offs):
                body.append(sub(f, f"a + {off}", f"b + {off}"))
        elif isinstance(c, SeqCodec):
            e = c.ew
            body.append(f"memset(b, 0, {n} * sizeof(V)); b[0] = a[0]; "
                        f"for (V i = 0; i < a[0]; i++) {{ {sub(c.elem, f'a + 1 + i * {e}', f'b + 1 + i * {e}')} }}")
        elif isinstance(c, WideFunCodec):
            sl = c.slot
            body.append(f"for (int k = 0; k < {len(c.keys)}; k++) {{ V *d = b + ({dest(t.dom)}) * {sl}; "
                        f"{sub(c.val, f'a + k * {sl}', 'd')} }}")
        elif isinstance(c, MapCodec):
            sl = c.slot
            body.append(f"memset(b, 0, {n} * sizeof(V)); "
                        f"for (int k = 0; k < {len(c.keys)}; k++) if (((uint64_t)a[0] >> k) & 1) {{ "
                        f"int q = {dest(t.key)}; b[0] |= (V)(1ull << q); {sub(c.val, f'a + 1 + k * {sl}', f'b + 1 + q * {sl}')} }}")
        elif isinstance(c, PairMapCodec):
            # keys that name no symmetric value keep their places (and order): the values
            # are permuted in place
            if self.mentioned(t.key):
                raise Unsupported(f"symmetry over {t.show()}: keys of type {t.key.show()} (not yet in the C backend)")
            e, kw = c.ew, c.kw
            body.append(f"memset(b, 0, {n} * sizeof(V)); b[0] = a[0]; for (V i = 0; i < a[0]; i++) {{ "
                        f"memcpy(b + 1 + i * {e}, a + 1 + i * {e}, {kw} * sizeof(V)); "
                        f"{sub(c.val, f'a + 1 + i * {e} + {kw}', f'b + 1 + i * {e} + {kw}')} }}")
        elif isinstance(c, RecSetCodec):
            e, cmp = c.ew, self.e.cmp_fn(c.elem)
            body.append(f"memset(b, 0, {n} * sizeof(V)); V x[{e}]; "
                        f"for (V i = 0; i < a[0]; i++) {{ {sub(c.elem, f'a + 1 + i * {e}', 'x')} "
                        f"V j = b[0]; while (j > 0 && {cmp}(b + 1 + (j - 1) * {e}, x) > 0) {{ "
                        f"memcpy(b + 1 + j * {e}, b + 1 + (j - 1) * {e}, {e} * sizeof(V)); j--; }} "
                        f"memcpy(b + 1 + j * {e}, x, {e} * sizeof(V)); b[0]++; }}")
        else:
            raise Unsupported(f"symmetry over {t.show()} (not yet in the C backend)")
        self.e.protos.append(f"static void {name}(int p, const V *a, V *b);")
        self.e.funcs.append(f"static void {name}(int p, const V *a, V *b) {{ {' '.join(body)} }}")
        return name

    def group(self, gi: int, g: ModelT) -> list[str]:
        n = len(g.names)
        if n > 16:
            raise Unsupported(f"symmetry over {g.name} with {n} values (the C backend sorts at most 16)")
        sig: list[str] = []      # C statements adding components: sig[u][c] for u = U
        apply: list[str] = []    # C statements permuting the state with pi[]
        nc = 0
        for i, (t, c) in enumerate(zip(self.e.var_types, self.e.var_codecs)):
            if not mentions(t, g):
                continue
            parts, perm = self.var(i, t, c, g)
            for p in parts:
                sig.append(f"sig[U][{nc}] = {p};")
                nc += 1
            apply.append(perm)
        if nc == 0:
            return []
        lines = [f"  {{ /* symmetric set {g.name} */",
                 f"    uint64_t sig[{n}][{nc}]; int idx[{n}], pi[{n}];",
                 f"    for (int U = 0; U < {n}; U++) {{ idx[U] = U;"]
        lines += ["      " + x for x in sig]
        lines += ["    }",
                  f"    for (int a = 1; a < {n}; a++) {{ int x = idx[a], b = a - 1;",
                  f"      while (b >= 0 && mc_siglt(sig[x], sig[idx[b]], {nc})) {{ idx[b + 1] = idx[b]; b--; }}",
                  "      idx[b + 1] = x; }",
                  f"    int same = 1; for (int k = 0; k < {n}; k++) {{ pi[idx[k]] = k; if (idx[k] != k) same = 0; }}",
                  "    if (!same) {"]
        lines += ["      " + x for x in apply]
        lines += ["    }", "  }"]
        return lines

    def var(self, i: int, t: Type, c: Codec, g: ModelT) -> tuple[list[str], str]:
        """Signature components of U and the permuting statement for variable ``i``."""
        s = f"s[{self.e.offsets[i]}]"
        n = len(g.names)
        if isinstance(t, ModelT):
            return [f"(uint64_t)({s} == U)"], f"{s} = pi[{s}];"
        if isinstance(c, ScalarCodec):
            sc = _Scalar(c, g, self.groups)
            own, mark = self.table(sc.owner), self.table(sc.mark)
            w = self.table([x for row in sc.with_ for x in row])
            return ([f"({own}[{s}] == U ? (uint64_t){mark}[{s}] + 1 : 0)"],
                    f"if ({own}[{s}] >= 0) {s} = {w}[{mark}[{s}] * {n} + pi[{own}[{s}]]];")
        if isinstance(c, SetCodec):
            et = t.elem
            if isinstance(et, ModelT):
                return ([f"(((uint64_t){s} >> U) & 1)"],
                        f"{{ uint64_t m = (uint64_t){s}, o = 0; for (int u = 0; u < {n}; u++) "
                        f"if (m >> u & 1) o |= 1ull << pi[u]; {s} = (V)o; }}")
            sc = _Scalar(c.elem, g, self.groups)
            if sc.marks > 64:
                raise Unsupported(f"symmetry over {t.show()} (more than 64 kinds of element)")
            own, mark = self.table(sc.owner), self.table(sc.mark)
            w = self.table([x for row in sc.with_ for x in row])
            comp = (f"({{ uint64_t q = 0; for (int m = 0; m < {sc.marks}; m++) "
                    f"if (((uint64_t){s} >> {w}[m * {n} + U]) & 1) q |= 1ull << m; q; }})")
            perm = (f"{{ uint64_t m = (uint64_t){s}, o = 0; while (m) {{ int k = __builtin_ctzll(m); m &= m - 1; "
                    f"o |= 1ull << ({own}[k] >= 0 ? {w}[{mark}[k] * {n} + pi[{own}[k]]] : k); }} {s} = (V)o; }}")
            return [comp], perm
        if isinstance(c, FunCodec):
            wd, mask = c.width, c.mask
            dom, cod = t.dom, t.cod
            slot = f"(((uint64_t){s} >> (({{k}}) * {wd})) & {mask}ull)"
            if isinstance(dom, ModelT) and dom.name == g.name:
                if any(mentions(cod, h) for h in self.groups):
                    raise Unsupported(f"symmetry over {t.show()}: an entry names two symmetric values")
                comp = slot.replace("{k}", "U")
                perm = (f"{{ uint64_t f = (uint64_t){s}, o = 0; for (int u = 0; u < {n}; u++) "
                        f"o |= ((f >> (u * {wd})) & {mask}ull) << (pi[u] * {wd}); {s} = (V)o; }}")
                return [comp], perm
            if mentions(dom, g):  # pragma: no cover - indexable types
                raise Unsupported(f"symmetry over {t.show()}")
            keys = len(c.keys)
            if any(mentions(dom, h) for h in self.groups):
                raise Unsupported(f"symmetry over {t.show()}: an entry names two symmetric values")
            if isinstance(cod, ModelT):
                comp = (f"({{ uint64_t q = 0; for (int k = 0; k < {keys}; k++) "
                        f"if ({slot.replace('{k}', 'k')} == (uint64_t)U) q |= 1ull << k; q; }})")
                perm = (f"{{ uint64_t f = (uint64_t){s}, o = 0; for (int k = 0; k < {keys}; k++) "
                        f"o |= (uint64_t)pi[(f >> (k * {wd})) & {mask}ull] << (k * {wd}); {s} = (V)o; }}")
                return [comp], perm
            if isinstance(cod, SetT) and isinstance(cod.elem, ModelT):
                comp = (f"({{ uint64_t q = 0; for (int k = 0; k < {keys}; k++) "
                        f"if (({slot.replace('{k}', 'k')} >> U) & 1) q |= 1ull << k; q; }})")
                perm = (f"{{ uint64_t f = (uint64_t){s}, o = 0; for (int k = 0; k < {keys}; k++) {{ "
                        f"uint64_t m = (f >> (k * {wd})) & {mask}ull, p = 0; for (int u = 0; u < {n}; u++) "
                        f"if (m >> u & 1) p |= 1ull << pi[u]; o |= p << (k * {wd}); }} {s} = (V)o; }}")
                return [comp], perm
            raise Unsupported(f"symmetry over {t.show()} (not yet in the C backend)")
        raise Unsupported(f"symmetry over {t.show()} (not yet in the C backend)")


PRELUDE = r"""
static inline int mc_siglt(const uint64_t *a, const uint64_t *b, int n) {
    for (int i = 0; i < n; i++) if (a[i] != b[i]) return a[i] < b[i];
    return 0;
}
"""
