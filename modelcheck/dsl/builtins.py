"""The built-in operators of the language, each defined once.

A :class:`Builtin` holds everything about one operator (``size``, ``put``, ``head``...):
its name, the argument counts it accepts, its type rule (used by the static checker,
:mod:`modelcheck.dsl.infer`), its code generation (used by the compiler,
:mod:`modelcheck.dsl.compile`) and the runtime helpers the generated code calls. Adding an
operator means adding one entry to :data:`TABLE`, its docs in docs/language.md, and tests.

A type rule gets a :class:`TypeArgs` (the call, its argument types, and the checker's
unification through a few helpers) and returns the call's type, reporting errors through
the checker. A generator gets a :class:`GenArgs` (the call, its arguments already
generated as Python source, their types) and returns Python source. Runtime helpers raise
plain Python exceptions; the compiler's debug path turns them into located MC300 errors.

Depends on :mod:`modelcheck.types`, :mod:`modelcheck.values` and
:mod:`modelcheck.diagnostics`; the checker and the compiler depend on it, never the
reverse (the few compiler helpers a generator needs come through :class:`GenArgs`).
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass
from typing import Any, Callable

from ..diagnostics import Code
from ..types import BOOL, INT, BagT, FunT, IntT, MapT, ModelT, SeqT, SetT, TVar, Type, domain_values
from ..values import FMap, sort_values

# ----------------------------------------------------------------------------- runtime helpers


def _tail(s):
    if not s:
        raise IndexError("tail of an empty sequence")
    return s[1:]


def _head(s):
    if not s:
        raise IndexError("head of an empty sequence")
    return s[0]


def _subseq(s, i, j):
    if j < i:
        return ()
    if not (1 <= i and j <= len(s)):
        raise IndexError(f"subseq({i}, {j}) outside 1..{len(s)}")
    return s[i - 1 : j]


def _seqput(s, k, x):
    if not 1 <= k <= len(s):
        raise IndexError(f"sequence index {k} outside 1..{len(s)}")
    return s[: k - 1] + (x,) + s[k:]


def _tput(t, i, x):
    # faster than slicing and concatenating for the short tuples of a state
    lst = list(t)
    lst[i] = x
    return tuple(lst)


def _bagadd(b, x):
    d = dict(b)
    d[x] = d.get(x, 0) + 1
    return FMap(d)


def _bagremove(b, x):
    n = b.get(x, 0)
    if n == 0:
        raise KeyError("remove: the bag holds no copy of this element")
    d = dict(b)
    if n == 1:
        del d[x]
    else:
        d[x] = n - 1
    return FMap(d)


def _bagsize(b):
    return sum(b.values())


def _powerset(s):
    items = sort_values(s)
    return frozenset(
        frozenset(c) for r in range(len(items) + 1) for c in itertools.combinations(items, r)
    )


def _funset(n, values):
    """``[S -> T]`` with S a whole indexable type of ``n`` values: every tuple."""
    return frozenset(itertools.product(sort_values(values), repeat=n))


def _mapset(keys, values):
    """``[S -> T]`` for any other S: every map with exactly the keys S."""
    ks, vs = sort_values(keys), sort_values(values)
    return frozenset(FMap(zip(ks, c)) for c in itertools.product(vs, repeat=len(ks)))


def _setmin(s):
    if not s:
        raise ValueError("min of the empty set")
    return min(s)


def _setmax(s):
    if not s:
        raise ValueError("max of the empty set")
    return max(s)


def _bigunion(ss):
    return frozenset().union(*ss)


# ----------------------------------------------------------------------------- what rules see


class TypeArgs:
    """A call of a built-in, for its type rule: ``ats`` the argument types as inferred,
    ``R`` the same resolved (no error types among them: the checker stops before)."""

    def __init__(self, checker, e, name: str, ats: list[Type]):
        self.c = checker
        self.e = e
        self.n = name
        self.args = e.args
        self.ats = ats
        self.R = [checker.resolve(t) for t in ats]

    def bad(self, i: int, want: str) -> Type:
        c = self.c
        c.error(Code.TYPE_MISMATCH, f"argument {i + 1} of `{self.n}`: expected {want}, found {c.show(self.R[i])}",
                self.args[i])
        c._poison_all(self.ats)
        return c.error_type

    def as_set(self, i: int) -> Type | None:
        t = self.R[i]
        if isinstance(t, TVar):
            t = self.c.unify(t, SetT(self.c.fresh(self.args[i])))
            t = self.c.resolve(t) if t is not None else None
        return t if isinstance(t, SetT) else None

    def as_seq(self, i: int) -> Type | None:
        t = self.R[i]
        if isinstance(t, TVar):
            t = self.c.resolve(self.c.unify(t, SeqT(self.c.fresh(self.args[i]))) or self.c.error_type)
        return t if isinstance(t, SeqT) else None

    def want(self, i: int, t: Type, what: str) -> None:
        self.c.expect(self.args[i], self.ats[i], t, f"argument {i + 1} of `{self.n}` ({what})")


@dataclass
class GenArgs:
    """A call of a built-in, for its generator: ``a`` the arguments as Python source,
    ``ts`` their types; ``compiler`` and ``env`` for the rare generator that needs more
    (``put`` on a function with an integer domain elides its bounds check when it can)."""

    compiler: Any
    e: Any
    name: str
    a: list[str]
    ts: list[Type]
    env: dict
    is_simple: Callable[[str], bool]
    is_int_literal: Callable[[str], bool]

    @property
    def t0(self) -> Type | None:
        return self.ts[0] if self.ts else None

    def w(self, src: str) -> str:
        """``src`` located at the call (the debug build reports a failure here)."""
        return self.compiler.wrap(self.e, src)


@dataclass(frozen=True)
class Builtin:
    name: str
    arities: tuple[int, ...]
    type_rule: Callable[[TypeArgs], Type]
    gen: Callable[[GenArgs], str]
    #: runtime functions the generated code calls, by their ``__name__``
    helpers: tuple[Callable, ...] = ()


# ----------------------------------------------------------------------------- the operators

_SETOPS = {"union": "|", "intersect": "&", "diff": "-", "subseteq": "<="}


def _t_size(x: TypeArgs) -> Type:
    if not isinstance(x.R[0], (SetT, BagT, MapT, SeqT, FunT, TVar)):
        return x.bad(0, "a set, bag, map or sequence")
    return INT


def interval_range(src: str) -> str | None:
    """``range(a, b + 1)`` when the generated source ``src`` is exactly
    ``_interval(a, b)`` (how ``a..b`` compiles, also inside ``_at`` in debug builds),
    else None: iterating over a range never builds its set."""
    try:
        tree = ast.parse(src, mode="eval").body
    except SyntaxError:
        return None
    if (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "_at"
            and len(tree.args) == 2 and isinstance(tree.args[1], ast.Lambda)):
        tree = tree.args[1].body
    if (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "_interval"
            and len(tree.args) == 2 and not tree.keywords):
        a, b = (ast.unparse(x) for x in tree.args)
        return f"range({a}, {b} + 1)"
    return None


def _g_size(g: GenArgs) -> str:
    if isinstance(g.t0, BagT):
        return f"_bagsize({g.a[0]})"
    r = interval_range(g.a[0])
    if r is not None:  # size(a..b) is counted, not built: range's len is arithmetic
        return f"len({r})"
    return f"len({g.a[0]})"


def _t_is_empty(x: TypeArgs) -> Type:
    if not isinstance(x.R[0], (SetT, BagT, MapT, SeqT, TVar)):
        return x.bad(0, "a set, bag, map or sequence")
    return BOOL


def _t_setop(x: TypeArgs) -> Type:
    u = x.c.set_pair(x.e, x.args[0], x.args[1], x.n, x.ats[0], x.ats[1])
    return BOOL if x.n == "subseteq" else u


def _g_setop(g: GenArgs) -> str:
    return f"({g.a[0]} {_SETOPS[g.name]} {g.a[1]})"


def _t_powerset(x: TypeArgs) -> Type:
    s = x.as_set(0)
    return SetT(s) if s is not None else x.bad(0, "a set")


#: the built-in behind the syntax `[S -> T]` (parse.py); no spec can call it by name
FUN_SET = "[S -> T]"


def _t_funset(x: TypeArgs) -> Type:
    """``[S -> T]``: a set of total functions ``S -> T`` when S is a whole indexable type
    (a model set, an enumeration, `bool`, a constant range: as `{ x: e for x in S }`
    builds), otherwise a set of maps whose keys are exactly S."""
    s, t = x.as_set(0), x.as_set(1)
    if s is None:
        return x.bad(0, "a set (the domain)")
    if t is None:
        return x.bad(1, "a set (the values)")
    dom = x.c.domain_type(x.args[0])
    return SetT(FunT(dom, t.elem)) if dom is not None else SetT(MapT(s.elem, t.elem))


def _g_funset(g: GenArgs) -> str:
    t = g.compiler.type_of(g.e)
    if isinstance(t.elem, FunT):
        return f"_funset({len(domain_values(t.elem.dom))}, {g.a[1]})"
    return f"_mapset({g.a[0]}, {g.a[1]})"


def _t_bigunion(x: TypeArgs) -> Type:
    s = x.as_set(0)
    if s is None:
        return x.bad(0, "a set of sets")
    inner = x.c.resolve(s.elem)
    if isinstance(inner, TVar):
        inner = x.c.resolve(x.c.unify(inner, SetT(x.c.fresh(x.args[0]))) or x.c.error_type)
    if not isinstance(inner, SetT):
        return x.bad(0, "a set of sets")
    return inner


def _t_minmax(x: TypeArgs) -> Type:
    if len(x.args) == 1:
        s = x.as_set(0)
        if s is None:
            return x.bad(0, "a set of int or of model values")
        el = x.c.resolve(s.elem)
        if isinstance(el, ModelT):
            # model values are ordered as declared (as they print, and as choose takes them);
            # a symmetric set's values are interchangeable: no first one
            if x.c.is_symmetric(el.name):
                x.c.error(Code.BAD_SYMMETRY, f"`{x.n}` of a set of {el.name}, which is declared symmetric: its values "
                          "have no order", x.args[0],
                          hint=f"use `choose v in S: true` for some value, or remove `symmetry {el.name}`")
                return x.c.error_type
            return el
        if not isinstance(el, (IntT, TVar)):
            return x.bad(0, "a set of int or of model values")
        x.want(0, SetT(INT), "a set of int")
        return INT
    for i in range(2):
        x.c.want_int(x.args[i], x.ats[i], x.n)
    return INT


def _g_minmax(g: GenArgs) -> str:
    if len(g.a) == 1:
        return g.w(f"_set{g.name}({g.a[0]})")
    return f"{g.name}({g.a[0]}, {g.a[1]})"


def _t_abs(x: TypeArgs) -> Type:
    x.c.want_int(x.args[0], x.ats[0], x.n)
    return INT


def _t_keys_values(x: TypeArgs) -> Type:
    t = x.R[0]
    if isinstance(t, FunT):
        return SetT(t.dom if x.n == "keys" else t.cod)
    if isinstance(t, MapT):
        return SetT(t.key if x.n == "keys" else t.val)
    return x.bad(0, "a function or a map")


def _g_keys(g: GenArgs) -> str:
    if isinstance(g.t0, FunT):
        return g.compiler.const(frozenset(domain_values(g.t0.dom)))
    return f"frozenset({g.a[0]})"


def _g_values(g: GenArgs) -> str:
    if isinstance(g.t0, FunT):
        return f"frozenset({g.a[0]})"
    return f"frozenset({g.a[0]}.values())"


def _t_put(x: TypeArgs) -> Type:
    t = x.R[0]
    if isinstance(t, FunT):
        x.want(1, t.dom, "key")
        x.want(2, t.cod, "value")
        return x.ats[0]
    if isinstance(t, MapT):
        x.want(1, t.key, "key")
        x.want(2, t.val, "value")
        return x.ats[0]
    if isinstance(t, SeqT):
        x.want(1, INT, "index")
        x.want(2, t.elem, "element")
        return x.ats[0]
    return x.bad(0, "a function, a map or a sequence")


def _g_put(g: GenArgs) -> str:
    a, t0 = g.a, g.t0
    if isinstance(t0, FunT):
        pos = g.compiler.ordinal(t0.dom, a[1], g.e.args[1])
        if g.is_int_literal(pos):
            i = int(pos)
            return f"({a[0]}[:{i}] + ({a[2]},) + {a[0]}[{i + 1}:])"
        if isinstance(t0.dom, IntT):
            known = g.compiler.int_range(a[1], g.env)
            if known is not None and t0.dom.lo <= known[0] and known[1] <= t0.dom.hi:
                # the key is known to be in the domain: no bounds check
                if g.is_simple(a[0]):
                    return f"({a[0]}[:{pos}] + ({a[2]},) + {a[0]}[{pos} + 1:])"
                return f"_tput({a[0]}, {pos}, {a[2]})"
            return g.w(f"_seqput({a[0]}, {pos} + 1, {a[2]})")
        return f"_tput({a[0]}, {pos}, {a[2]})"
    if isinstance(t0, MapT):
        return f"{a[0]}.put({a[1]}, {a[2]})"
    if isinstance(t0, SeqT):
        return g.w(f"_seqput({a[0]}, {a[1]}, {a[2]})")
    raise AssertionError("put on a value of another type")  # pragma: no cover - the checker refused it


def _t_remove(x: TypeArgs) -> Type:
    t = x.R[0]
    if isinstance(t, MapT):
        x.want(1, t.key, "key")
        return x.ats[0]
    if isinstance(t, BagT):
        x.want(1, t.elem, "element")
        return x.ats[0]
    return x.bad(0, "a map or a bag")


def _g_remove(g: GenArgs) -> str:
    if isinstance(g.t0, BagT):
        return g.w(f"_bagremove({g.a[0]}, {g.a[1]})")
    return g.w(f"{g.a[0]}.without({g.a[1]})")


def _t_has(x: TypeArgs) -> Type:
    t = x.R[0]
    if isinstance(t, MapT):
        x.want(1, t.key, "key")
        return BOOL
    return x.bad(0, "a map")


def _t_len(x: TypeArgs) -> Type:
    return INT if x.as_seq(0) is not None else x.bad(0, "a sequence")


def _t_head_last(x: TypeArgs) -> Type:
    s = x.as_seq(0)
    return s.elem if s is not None else x.bad(0, "a sequence")


def _t_tail(x: TypeArgs) -> Type:
    s = x.as_seq(0)
    return x.ats[0] if s is not None else x.bad(0, "a sequence")


def _t_append(x: TypeArgs) -> Type:
    s = x.as_seq(0)
    if s is None:
        return x.bad(0, "a sequence")
    x.want(1, s.elem, "element")
    return x.ats[0]


def _t_subseq(x: TypeArgs) -> Type:
    s = x.as_seq(0)
    if s is None:
        return x.bad(0, "a sequence")
    x.want(1, INT, "first index")
    x.want(2, INT, "last index")
    return x.ats[0]


def _t_elems(x: TypeArgs) -> Type:
    t = x.R[0]
    if isinstance(t, (SeqT, BagT)):
        return SetT(t.elem)
    return x.bad(0, "a sequence or a bag")


def _t_bag_op(x: TypeArgs) -> Type:
    t = x.R[0]
    if isinstance(t, TVar):
        t = x.c.resolve(x.c.unify(t, BagT(x.c.fresh(x.args[0]))) or x.c.error_type)
    if not isinstance(t, BagT):
        return x.bad(0, "a bag")
    x.want(1, t.elem, "element")
    return x.ats[0] if x.n == "add" else INT


def _b(name, arities, type_rule, gen, *helpers) -> Builtin:
    return Builtin(name, arities, type_rule, gen, helpers)


#: every built-in operator, in the order docs/language.md lists them
TABLE: dict[str, Builtin] = {b.name: b for b in (
    _b("size", (1,), _t_size, _g_size, _bagsize),
    _b("union", (2,), _t_setop, _g_setop),
    _b("intersect", (2,), _t_setop, _g_setop),
    _b("diff", (2,), _t_setop, _g_setop),
    _b("subseteq", (2,), _t_setop, _g_setop),
    _b("powerset", (1,), _t_powerset, lambda g: f"_powerset({g.a[0]})", _powerset),
    _b(FUN_SET, (2,), _t_funset, _g_funset, _funset, _mapset),
    _b("bigunion", (1,), _t_bigunion, lambda g: f"_bigunion({g.a[0]})", _bigunion),
    _b("min", (1, 2), _t_minmax, _g_minmax, _setmin),
    _b("max", (1, 2), _t_minmax, _g_minmax, _setmax),
    _b("abs", (1,), _t_abs, lambda g: f"abs({g.a[0]})"),
    _b("isEmpty", (1,), _t_is_empty, lambda g: f"(not {g.a[0]})"),
    _b("keys", (1,), _t_keys_values, _g_keys),
    _b("values", (1,), _t_keys_values, _g_values),
    _b("put", (3,), _t_put, _g_put, _tput, _seqput),
    _b("remove", (2,), _t_remove, _g_remove, _bagremove),
    _b("has", (2,), _t_has, lambda g: f"({g.a[1]} in {g.a[0]})"),
    _b("map", (0,), lambda x: MapT(x.c.fresh(x.e), x.c.fresh(x.e)), lambda g: "EMPTY_FMAP"),
    _b("len", (1,), _t_len, lambda g: f"len({g.a[0]})"),
    _b("head", (1,), _t_head_last, lambda g: g.w(f"_head({g.a[0]})"), _head),
    _b("last", (1,), _t_head_last, lambda g: g.w(f"{g.a[0]}[-1]")),
    _b("tail", (1,), _t_tail, lambda g: g.w(f"_tail({g.a[0]})"), _tail),
    _b("append", (2,), _t_append, lambda g: f"({g.a[0]} + ({g.a[1]},))"),
    _b("subseq", (3,), _t_subseq, lambda g: g.w(f"_subseq({g.a[0]}, {g.a[1]}, {g.a[2]})"), _subseq),
    _b("elems", (1,), _t_elems, lambda g: f"frozenset({g.a[0]})"),
    _b("bag", (0,), lambda x: BagT(x.c.fresh(x.e)), lambda g: "EMPTY_FMAP"),
    _b("add", (2,), _t_bag_op, lambda g: f"_bagadd({g.a[0]}, {g.a[1]})", _bagadd),
    _b("count", (2,), _t_bag_op, lambda g: f"{g.a[0]}.get({g.a[1]}, 0)"),
)}

#: name -> accepted argument counts
ARITIES: dict[str, tuple[int, ...]] = {n: b.arities for n, b in TABLE.items()}

#: the runtime helpers of every built-in, by name (merged into the compiler's RUNTIME)
RUNTIME: dict[str, Callable] = {f.__name__: f for b in TABLE.values() for f in b.helpers}

__all__ = ["FUN_SET", "Builtin", "TypeArgs", "GenArgs", "TABLE", "ARITIES", "RUNTIME"]
