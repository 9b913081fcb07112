"""Compile a checked spec into Python source, then into a :class:`CompiledModel`.

The whole next-state relation becomes one generated function ``_succ(s)`` that unpacks
the state into locals and runs every action instance inline: no tree walking, no dict
building, no per-action calls in the search. Decisions made here, ahead of the search:

* Names become indices and locals: variable ``i`` is the local ``v{i}`` (``w{i}`` for its
  primed value in step properties); constants are folded into the generated module.
* Guards are hoisted: an action's parameters are treated as ``pick``s, ``require a and b``
  is split, and each guard runs right after the last binding it depends on, so
  ``require tmState == init`` is tested once, not once per RM.
* Quantifiers and function comprehensions over constant domains of at most
  ``UNROLL_LIMIT`` elements are unrolled (``forall r in RM: f[r] != x`` becomes
  ``f[0] != x and f[1] != x and ...``).
* Labels: an action instance with constant parameter domains gets a fixed int label
  computed from its parameter positions; state-dependent domains are enumerated in
  :func:`~modelcheck.values.vkey` order and their instances labelled on first sight.
* Unchanged variables reuse the parent's objects, which lets the explorer skip
  invariants whose inputs did not change.

Errors are explained off the hot path (TLC's way): the same code generator, run with
``debug=True``, wraps every operation that can fail with its IR node id and records the
current action instance; :meth:`CompiledModel.explain` re-runs the failing state through
that slow version to name the action, its parameters, the expression and the state.

Depends on the IR, the checker's output, types, values, the model protocol and symmetry.
"""

from __future__ import annotations

import ast
import itertools
from typing import Any

from .. import ir
from ..ir import walk
from ..diagnostics import Code, Diagnostic, caret_snippet
from ..model import (
    ActionAssertionFailed,
    ActionInfo,
    ActionSignature,
    Fairness,
    FairnessStrength,
    PropertyClass,
    SpecSignature,
    StateProperty,
    StepProperty,
    TemporalProperty,
)
from ..types import (
    BagT,
    BoolT,
    EnumT,
    FunT,
    IntT,
    MapT,
    ModelT,
    RecordT,
    SeqT,
    SetT,
    TupleT,
    Type,
    domain_values,
    is_indexable,
)
from ..values import EMPTY_FMAP, FMap, show, sort_values, vkey
from .checked import Checked
from .temporal import classify as classify_temporal

UNROLL_LIMIT = 12


# ----------------------------------------------------------------------------- runtime helpers
# These are the generated code's library. They raise plain Python exceptions; the debug
# path turns those into located errors.


class SpecRuntimeError(Exception):
    """A runtime error in a spec, located at an IR node (filled in by the debug path).

    Once explained (:meth:`CompiledModel.explain`) it carries ``diagnostic``, a coded
    :class:`Diagnostic` (``Code.RUNTIME``, MC300) with the message and the span; the
    exception's text is the full report (diagnostic, source line, state) as printed."""

    def __init__(self, message: str, node_id: int | None = None, cause: BaseException | None = None,
                 diagnostic: Diagnostic | None = None):
        super().__init__(message)
        self.message = message
        self.node_id = node_id
        self.cause = cause
        self.state: tuple | None = None
        self.diagnostic = diagnostic


def _nth(s, k):
    if not 1 <= k <= len(s):
        raise IndexError(f"sequence index {k} outside 1..{len(s)}")
    return s[k - 1]


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


def _lookup(m, k):
    return m[k]


def _bagadd(b, x):
    d = dict(b)
    d[x] = d.get(x, 0) + 1
    return FMap(d)


def _bagremove(b, x):
    n = b.get(x, 0)
    if n == 0:
        raise KeyError(f"remove: the bag holds no copy of this element")
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


def _bigunion(ss):
    return frozenset().union(*ss)


def _sorted(dom):
    """A state-dependent domain, in a deterministic order."""
    return sort_values(dom)


def _div(a, b):
    if b == 0:
        raise ZeroDivisionError("division by zero")
    return a // b


def _mod(a, b):
    if b == 0:
        raise ZeroDivisionError("modulo by zero")
    return a % b


class _RangeError(Exception):
    pass


RUNTIME = {
    "frozenset": frozenset,
    "FMap": FMap,
    "EMPTY_FMAP": EMPTY_FMAP,
    "_nth": _nth,
    "_tail": _tail,
    "_head": _head,
    "_subseq": _subseq,
    "_seqput": _seqput,
    "_tput": _tput,
    "_lookup": _lookup,
    "_bagadd": _bagadd,
    "_bagremove": _bagremove,
    "_bagsize": _bagsize,
    "_powerset": _powerset,
    "_bigunion": _bigunion,
    "_sorted": _sorted,
    "_div": _div,
    "_mod": _mod,
    "ActionAssertionFailed": ActionAssertionFailed,
    "_RangeError": _RangeError,
}


class _Ctx:
    """Per-function code generation state: fresh local names."""

    def __init__(self):
        self.n = 0

    def fresh(self, base: str) -> str:
        self.n += 1
        return f"_{base}{self.n}"


# ----------------------------------------------------------------------------- the compiler


class Compiler:
    def __init__(self, checked: Checked, debug: bool = False):
        self.c = checked
        self.debug = debug
        self.pool: dict[str, Any] = {}  # generated-module constants
        self.pool_ids: dict[Any, str] = {}
        self.defs = {d.name: d for d in checked.defs}
        self.var_index = {n: i for i, (n, _) in enumerate(checked.variables)}
        self.var_types = [t for _, t in checked.variables]
        self.spans = checked.module.spans
        self._def_uses: dict[str, bool] = {}
        self._const_cache: dict[int, Any] = {}

    # ------------------------------------------------------------------ constants

    def const(self, value: Any, hint: str = "K") -> str:
        """A name in the generated module bound to ``value``."""
        key = (type(value).__name__, value) if _hashable(value) else None
        if key is not None and key in self.pool_ids:
            return self.pool_ids[key]
        name = f"{hint}{len(self.pool)}"
        self.pool[name] = value
        if key is not None:
            self.pool_ids[key] = name
        return name

    def lit(self, value: Any) -> str:
        """Python source for a constant value."""
        if isinstance(value, (bool, int, str)) and not isinstance(value, FMap):
            return repr(value)
        if isinstance(value, tuple) and all(isinstance(x, (bool, int, str)) for x in value):
            return repr(value)
        return self.const(value)

    def type_of(self, e: ir.Node) -> Type:
        return self.c.types[e.id]

    def ref(self, e: ir.Node):
        return self.c.refs.get(e.id)

    # ------------------------------------------------------------------ static evaluation

    def static_value(self, e: ir.Node):
        """The value of ``e`` if it depends on constants only (else raise LookupError).

        Constant subexpressions are evaluated once, here, by compiling them like any
        other expression and running the result."""
        v = self._const_cache.get(e.id, None)
        if v is None:
            v = _NOT_CONST
            # while ``e`` is being folded, a re-entrant request for it (x_SetLit asks)
            # must not recurse: it is answered "not constant" and compiled plainly
            self._const_cache[e.id] = _NOT_CONST
            if self.is_const(e):
                src = self.x_raw(e, {"$vars": None, "$primed": None, "$ctx": _Ctx()})
                ns = dict(RUNTIME)
                ns.update(self.pool)
                try:
                    v = eval(src, ns)  # noqa: S307 - our own generated code
                except Exception:  # noqa: BLE001 - e.g. a division by zero: not folded
                    v = _NOT_CONST
            self._const_cache[e.id] = v
        if v is _NOT_CONST:
            raise LookupError
        return v

    def is_const(self, e: ir.Node) -> bool:
        """No state variable, no free local, no temporal operator."""
        bound: set[str] = set()
        used: set[str] = set()
        for n in walk(e):
            if isinstance(n, (ir.Primed, ir.Temporal)):
                return False
            if isinstance(n, ir.Binder):
                bound.add(n.name)
            elif isinstance(n, ir.Let):
                bound.update(name for name, _ in n.bindings)
            elif isinstance(n, (ir.Name, ir.Call)):
                r = self.ref(n)
                if r is None:
                    return False
                if r.kind == "var":
                    return False
                if r.kind == "local":
                    used.add(n.name)
                elif r.kind == "def":
                    d = self.defs[r.name]
                    if d.params and isinstance(n, ir.Name):
                        return False
                    if self.var_reads(d.body) or not self._def_const(d):
                        return False
        return used <= bound

    def _def_const(self, d: ir.DefDecl) -> bool:
        """A def body is constant given constant arguments (reads no state)."""
        key = d.name
        if key not in self._def_uses:
            self._def_uses[key] = not any(isinstance(n, (ir.Primed, ir.Temporal)) for n in walk(d.body))
        return self._def_uses[key]

    def static_domain(self, e: ir.Node) -> tuple | None:
        try:
            v = self.static_value(e)
        except LookupError:
            return None
        if isinstance(v, frozenset):
            return tuple(sort_values(v))
        return None

    # ------------------------------------------------------------------ free names

    def locals_of(self, e: ir.Node) -> set[str]:
        """Local names (params, binders, lets, picks) that ``e`` refers to, free."""
        out: set[str] = set()
        for n in walk(e):
            if isinstance(n, ir.Name):
                r = self.ref(n)
                if r is not None and r.kind == "local":
                    out.add(n.name)
        return out

    def var_reads(self, e: ir.Node, seen: set | None = None) -> set[int]:
        """Indices of the state variables ``e`` reads, through operator calls too."""
        seen = set() if seen is None else seen
        out: set[int] = set()
        for n in walk(e):
            if isinstance(n, (ir.Name, ir.Primed)):
                if isinstance(n, ir.Primed):
                    out.add(self.var_index[n.name])
                    continue
                r = self.ref(n)
                if r is None:
                    continue
                if r.kind == "var":
                    out.add(r.index)
                elif r.kind == "def" and r.name not in seen:
                    seen.add(r.name)
                    out |= self.var_reads(self.defs[r.name].body, seen)
            elif isinstance(n, ir.Call):
                r = self.ref(n)
                if r is not None and r.kind == "def" and r.name not in seen:
                    seen.add(r.name)
                    out |= self.var_reads(self.defs[r.name].body, seen)
        return out

    # ------------------------------------------------------------------ expressions

    def wrap(self, e: ir.Node, src: str) -> str:
        """In debug mode, locate failures of ``src`` at node ``e``."""
        if not self.debug:
            return src
        return f"_at({e.id}, lambda: {src})"

    def x(self, e: ir.Node, env: dict[str, str]) -> str:
        if not isinstance(e, (ir.Lit, ir.Name, ir.Primed)):
            try:
                return self.lit(self.static_value(e))
            except LookupError:
                pass
        return self.x_raw(e, env)

    def x_raw(self, e: ir.Node, env: dict[str, str]) -> str:
        m = getattr(self, "x_" + type(e).__name__)
        return m(e, env)

    def x_Lit(self, e, env):
        return repr(e.value)

    def x_Name(self, e, env):
        r = self.ref(e)
        if r.kind == "var":
            return env["$vars"][r.index]
        if r.kind == "local":
            return env[e.name]
        if r.kind == "const":
            return self.lit(self.c.consts[r.name])
        if r.kind == "ctor":
            return repr(r.name)
        if r.kind == "typeset":
            return self.const(frozenset(domain_values(r.type)))
        if r.kind == "def":
            return self.call_def(e, r.name, (), env)
        raise AssertionError(f"unexpected name {e.name} ({r.kind})")

    def x_Primed(self, e, env):
        return env["$primed"][self.var_index[e.name]]

    def x_Unary(self, e, env):
        a = self.x(e.arg, env)
        return f"(not {a})" if e.op == "not" else f"(-{a})"

    _PYOPS = {
        "+": "+", "-": "-", "*": "*", "==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">",
        ">=": ">=", "and": "and", "or": "or", "in": "in", "notin": "not in",
        "union": "|", "intersect": "&", "diff": "-", "subseteq": "<=", "++": "+", "iff": "==",
    }

    def x_Binary(self, e, env):
        op = e.op
        if op in ("and", "or", "implies"):
            folded = self.fold_logic(e, env)
            if folded is not None:
                return folded
        if op in ("union", "intersect", "diff") and isinstance(e.right, ir.SetLit) and e.right.elems:
            # a set display on the right is enough: frozenset | set is a frozenset
            right = "{" + ", ".join(self.x(x, env) for x in e.right.elems) + "}"
            return f"({self.x(e.left, env)} {self._PYOPS[op]} {right})"
        a = self.x(e.left, env)
        b = self.x(e.right, env)
        if op == "implies":
            return f"((not {a}) or {b})"
        if op == "/":
            return self.wrap(e, f"_div({a}, {b})")
        if op == "%":
            return self.wrap(e, f"_mod({a}, {b})")
        if op == "..":
            return f"frozenset(range({a}, {b} + 1))"
        if op in ("in", "notin") and isinstance(e.right, ir.SetLit) and e.right.elems:
            # membership in a literal set: compare with each element
            items = [self.x(x, env) for x in e.right.elems]
            if all(_is_simple(i) for i in items):
                return f"({a} {self._PYOPS[op]} ({', '.join(items)},))"
        return f"({a} {self._PYOPS[op]} {b})"

    def static_bool(self, e) -> bool | None:
        """The constant truth value of ``e``, also when only one side of an ``and`` /
        ``or`` is constant and decides it (``false and x``, ``true or x``)."""
        try:
            v = self.static_value(e)
        except LookupError:
            if isinstance(e, ir.Binary) and e.op in ("and", "or"):
                decisive = e.op == "or"
                if decisive in (self.static_bool(e.left), self.static_bool(e.right)):
                    return decisive
            if isinstance(e, ir.Unary) and e.op == "not":
                b = self.static_bool(e.arg)
                return None if b is None else not b
            return None
        return v if isinstance(v, bool) else None

    def fold_logic(self, e, env) -> str | None:
        """Fold ``and``/``or``/``implies`` with a constant side (seeded-bug switches)."""
        a, b = self.static_bool(e.left), self.static_bool(e.right)
        op = e.op
        if a is None and b is None:
            return None
        if op == "and":
            if a is False or b is False:
                return "False"
            return self.x(e.right, env) if a is True else self.x(e.left, env)
        if op == "or":
            if a is True or b is True:
                return "True"
            return self.x(e.right, env) if a is False else self.x(e.left, env)
        # implies
        if a is False or b is True:
            return "True"
        if a is True:
            return self.x(e.right, env)
        return f"(not {self.x(e.left, env)})"

    def x_If(self, e, env):
        c = self.static_bool(e.cond)
        if c is not None:  # fold constant conditions (seeded-bug switches)
            return self.x(e.then if c else e.else_, env)
        return f"({self.x(e.then, env)} if {self.x(e.cond, env)} else {self.x(e.else_, env)})"

    def x_Let(self, e, env):
        env2 = dict(env)
        # nested lambdas so each binding sees the earlier ones
        parts = []
        for name, value in e.bindings:
            py = env["$ctx"].fresh(name)
            parts.append((py, self.x(value, env2)))
            env2[name] = py
        out = self.x(e.body, env2)
        for py, val in reversed(parts):
            out = f"(lambda {py}: {out})({val})"
        return out

    def binders_src(self, binders, env, direct_elems: bool = False) -> tuple[str, dict]:
        """``for a in A for b in B`` and the environment inside it. With
        ``direct_elems`` (quantifiers, where repeats do not matter) a binder over
        ``elems(s)`` runs over the sequence itself instead of a set built from it."""
        env2 = dict(env)
        clauses = []
        for b in binders:
            r = self.ref(b.domain) if isinstance(b.domain, ir.Call) else None
            if direct_elems and r is not None and r.kind == "builtin" and r.name == "elems":
                dom = self.x(b.domain.args[0], env2)
            else:
                dom = self.x(b.domain, env2)
            py = env["$ctx"].fresh(b.name)
            clauses.append(f"for {py} in {dom}")
            env2[b.name] = py
        return " ".join(clauses), env2

    def unrolled(self, binders, env):
        """Environments for every combination of constant binder domains, or None."""
        doms = []
        total = 1
        for b in binders:
            d = self.static_domain(b.domain)
            if d is None or any(self.locals_of(b.domain) & {bb.name for bb in binders}):
                return None
            doms.append(d)
            total *= len(d)
        if total > UNROLL_LIMIT or total == 0:
            return None
        envs = []
        for combo in itertools.product(*doms):
            env2 = dict(env)
            for b, v in zip(binders, combo):
                env2[b.name] = self.lit(v)
            envs.append(env2)
        return envs

    def x_Quant(self, e, env):
        envs = self.unrolled(e.binders, env)
        if envs is not None:
            parts = [self.x(e.body, en) for en in envs]
            joiner = " and " if e.kind == "forall" else " or "
            return "(" + joiner.join(parts) + ")"
        clauses, env2 = self.binders_src(e.binders, env, direct_elems=True)
        body = self.x(e.body, env2)
        fn = "all" if e.kind == "forall" else "any"
        return f"{fn}({body} {clauses})"

    def x_SetLit(self, e, env):
        if not e.elems:
            return self.const(frozenset())
        try:
            return self.const(self.static_value(e))
        except LookupError:
            pass
        return "frozenset((" + ", ".join(self.x(x, env) for x in e.elems) + ",))"

    def x_SeqLit(self, e, env):
        if not e.elems:
            return "()"
        return "(" + ", ".join(self.x(x, env) for x in e.elems) + ",)"

    x_TupleLit = x_SeqLit

    def x_RecordLit(self, e, env):
        t = self.type_of(e)
        given = dict(e.fields)
        return "(" + ", ".join(self.x(given[f], env) for f, _ in t.fields) + ",)"

    def x_RecordUpdate(self, e, env):
        t = self.type_of(e)
        given = dict(e.fields)
        base = self.x(e.base, env)
        py = env["$ctx"].fresh("r")
        items = [self.x(given[f], env) if f in given else f"{py}[{i}]" for i, (f, _) in enumerate(t.fields)]
        return f"(lambda {py}: ({', '.join(items)},))({base})"

    def x_SetComp(self, e, env):
        clauses, env2 = self.binders_src(e.binders, env)
        cond = f" if {self.x(e.cond, env2)}" if e.cond is not None else ""
        return f"frozenset({self.x(e.elem, env2)} {clauses}{cond})"

    def x_SeqComp(self, e, env):
        env2 = dict(env)
        clauses = []
        for b in e.binders:
            if isinstance(b.domain, ir.Binary) and b.domain.op == "..":
                dom = f"range({self.x(b.domain.left, env2)}, {self.x(b.domain.right, env2)} + 1)"
            else:
                dom = self.x(b.domain, env2)
                if not isinstance(self.type_of(b.domain), SeqT):
                    dom = f"sorted({dom})"
            py = env["$ctx"].fresh(b.name)
            clauses.append(f"for {py} in {dom}")
            env2[b.name] = py
        cond = f" if {self.x(e.cond, env2)}" if e.cond is not None else ""
        return f"tuple({self.x(e.elem, env2)} {' '.join(clauses)}{cond})"

    def x_FunComp(self, e, env):
        t = self.type_of(e)
        if isinstance(t, FunT):
            (b,) = e.binders
            keys = domain_values(t.dom)
            if len(keys) <= UNROLL_LIMIT:
                items = []
                for k in keys:
                    env2 = dict(env)
                    env2[b.name] = self.lit(k)
                    items.append(self.x(e.value, env2))
                return "(" + ", ".join(items) + ",)"
            py = env["$ctx"].fresh(b.name)
            env2 = dict(env)
            env2[b.name] = py
            return f"tuple({self.x(e.value, env2)} for {py} in {self.lit(keys)})"
        clauses, env2 = self.binders_src(e.binders, env)
        cond = f" if {self.x(e.cond, env2)}" if e.cond is not None else ""
        return f"FMap({{{self.x(e.key, env2)}: {self.x(e.value, env2)} {clauses}{cond}}})"

    def ordinal(self, dom: Type, key_src: str, key_node: ir.Node | None) -> str:
        """Python source for the tuple position of a key of the indexable type ``dom``."""
        if key_node is not None:
            try:
                v = self.static_value(key_node)
                return repr(domain_values(dom).index(v))
            except (LookupError, ValueError):
                pass
        if isinstance(dom, ModelT):
            return key_src
        if isinstance(dom, BoolT):
            return f"int({key_src})"
        if isinstance(dom, IntT):
            return key_src if dom.lo == 0 else f"({key_src} - {dom.lo})"
        if isinstance(dom, EnumT):
            table = {name: i for i, name in enumerate(domain_values(dom))}
            return f"{self.const(table, 'ORD')}[{key_src}]"
        raise AssertionError(dom)

    def x_Index(self, e, env):
        bt = self.type_of(e.base)
        base = self.x(e.base, env)
        if isinstance(bt, TupleT):
            return f"{base}[{self.static_value(e.key) - 1}]"
        key = self.x(e.key, env)
        if isinstance(bt, FunT):
            pos = self.ordinal(bt.dom, key, e.key)
            if isinstance(bt.dom, IntT) and not _is_int_literal(pos):
                lo, hi = bt.dom.lo, bt.dom.hi
                if _is_int_literal(key) and lo <= int(key) <= hi:
                    return f"{base}[{int(key) - lo}]"
                known = self.int_range(key, env)
                if known is not None and lo <= known[0] and known[1] <= hi:
                    return f"{base}[{pos}]"
                if _is_simple(key):
                    # inline bounds check (no call): the function has hi - lo + 1 places
                    return self.wrap(e, f"({base}[{pos}] if {lo} <= {key} <= {hi} else _nth({base}, {pos} + 1))")
                return self.wrap(e, f"_nth({base}, {pos} + 1)")
            return f"{base}[{pos}]"
        if isinstance(bt, MapT):
            return self.wrap(e, f"{base}[{key}]")
        if isinstance(bt, SeqT):
            if _is_simple(key) and _is_simple(base):
                return self.wrap(e, f"({base}[{key} - 1] if 0 < {key} <= len({base}) else _nth({base}, {key}))")
            return self.wrap(e, f"_nth({base}, {key})")
        raise AssertionError(bt)

    def x_Field(self, e, env):
        t = self.type_of(e.base)
        return f"{self.x(e.base, env)}[{t.index(e.name)}]"

    def x_Call(self, e, env):
        r = self.ref(e)
        if r.kind == "def":
            return self.call_def(e, r.name, e.args, env)
        if r.kind == "ctor":
            return "(" + ", ".join([repr(r.name)] + [self.x(a, env) for a in e.args]) + ",)"
        return self.builtin(e, r.name, env)

    def call_def(self, e, name, args, env):
        d = self.defs[name]
        srcs = [self.x(a, env) for a in args]
        uses = self._param_uses(d)
        # inline when no argument is evaluated twice: simple arguments may be duplicated
        if all(_is_simple(s) or uses.get(p.name, 0) <= 1 for p, s in zip(d.params, srcs)):
            env2 = {k: v for k, v in env.items() if k.startswith("$")}
            for p, s in zip(d.params, srcs):
                env2[p.name] = s if _is_simple(s) else f"({s})"
            return self.x(d.body, env2)
        ctx = env["$ctx"]
        pys = [ctx.fresh(p.name) for p in d.params]
        env2 = {k: v for k, v in env.items() if k.startswith("$")}
        for p, py in zip(d.params, pys):
            env2[p.name] = py
        return f"(lambda {', '.join(pys)}: {self.x(d.body, env2)})({', '.join(srcs)})"

    def _param_uses(self, d: ir.DefDecl) -> dict[str, int]:
        counts: dict[str, int] = {}
        for n in walk(d.body):
            if isinstance(n, ir.Name) and self.ref(n) is not None and self.ref(n).kind == "local":
                counts[n.name] = counts.get(n.name, 0) + 1
        # a use under a binder (quantifier, comprehension) may run many times
        for n in walk(d.body):
            if isinstance(n, (ir.Quant, ir.SetComp, ir.SeqComp, ir.FunComp)):
                for m in walk(n):
                    if isinstance(m, ir.Name) and m.name in counts:
                        counts[m.name] += 2
        return counts

    def builtin(self, e, name, env):
        args = e.args
        a = [self.x(x, env) for x in args]
        ts = [self.type_of(x) for x in args]
        t0 = ts[0] if ts else None
        w = lambda src: self.wrap(e, src)  # noqa: E731
        if name == "size":
            if isinstance(t0, BagT):
                return f"_bagsize({a[0]})"
            return f"len({a[0]})"
        if name == "len":
            return f"len({a[0]})"
        if name in ("union", "intersect", "diff", "subseteq"):
            return f"({a[0]} {self._PYOPS[name]} {a[1]})"
        if name == "powerset":
            return f"_powerset({a[0]})"
        if name == "bigunion":
            return f"_bigunion({a[0]})"
        if name in ("min", "max"):
            if len(a) == 1:
                return w(f"{name}({a[0]})")
            return f"{name}({a[0]}, {a[1]})"
        if name == "abs":
            return f"abs({a[0]})"
        if name == "isEmpty":
            return f"(not {a[0]})"
        if name == "keys":
            if isinstance(t0, FunT):
                return self.const(frozenset(domain_values(t0.dom)))
            return f"frozenset({a[0]})"
        if name == "values":
            if isinstance(t0, FunT):
                return f"frozenset({a[0]})"
            return f"frozenset({a[0]}.values())"
        if name == "put":
            if isinstance(t0, FunT):
                pos = self.ordinal(t0.dom, a[1], args[1])
                if _is_int_literal(pos):
                    i = int(pos)
                    return f"({a[0]}[:{i}] + ({a[2]},) + {a[0]}[{i + 1}:])"
                if isinstance(t0.dom, IntT):
                    known = self.int_range(a[1], env)
                    if known is not None and t0.dom.lo <= known[0] and known[1] <= t0.dom.hi:
                        # the key is known to be in the domain: no bounds check
                        if _is_simple(a[0]):
                            return f"({a[0]}[:{pos}] + ({a[2]},) + {a[0]}[{pos} + 1:])"
                        return f"_tput({a[0]}, {pos}, {a[2]})"
                    return w(f"_seqput({a[0]}, {pos} + 1, {a[2]})")
                return f"_tput({a[0]}, {pos}, {a[2]})"
            if isinstance(t0, MapT):
                return f"{a[0]}.put({a[1]}, {a[2]})"
            if isinstance(t0, SeqT):
                return w(f"_seqput({a[0]}, {a[1]}, {a[2]})")
        if name == "remove":
            if isinstance(t0, BagT):
                return w(f"_bagremove({a[0]}, {a[1]})")
            return w(f"{a[0]}.without({a[1]})")
        if name == "has":
            return f"({a[1]} in {a[0]})"
        if name == "map" or name == "bag":
            return "EMPTY_FMAP"
        if name == "head":
            return w(f"_head({a[0]})")
        if name == "last":
            return w(f"{a[0]}[-1]")
        if name == "tail":
            return w(f"_tail({a[0]})")
        if name == "append":
            return f"({a[0]} + ({a[1]},))"
        if name == "subseq":
            return w(f"_subseq({a[0]}, {a[1]}, {a[2]})")
        if name == "elems":
            return f"frozenset({a[0]})"
        if name == "add":
            return f"_bagadd({a[0]}, {a[1]})"
        if name == "count":
            return f"{a[0]}.get({a[1]}, 0)"
        raise AssertionError(f"unknown builtin {name}")

    # ------------------------------------------------------------------ value ranges

    @staticmethod
    def int_range(src: str, env: dict) -> tuple[int, int] | None:
        """The (lo, hi) bounds of a generated integer expression, when it is a literal or
        a binder over constant integers (recorded by the ``pick`` that binds it)."""
        if _is_int_literal(src):
            return int(src), int(src)
        return env.get("$ranges", {}).get(src)

    def within(self, e: ir.Node, t: Type, env: dict) -> bool:
        """True when every value ``e`` can take satisfies the bounds of ``t``, so that the
        range check of an assignment can be left out. Conservative: False unless it
        follows from the shape of ``e`` (an unprimed variable of type ``t`` holds a
        checked value; ``put``, ``union``, ``diff``, set displays and ``if`` keep bounds
        their parts keep; a binder or literal is compared with the bounds)."""
        if self.validator(t, "_x", _Ctx()) is None:
            return True
        if isinstance(e, ir.Name):
            r = self.ref(e)
            if r is not None and r.kind == "var":
                return self.var_types[r.index] == t
            if r is not None and r.kind == "local" and isinstance(t, IntT):
                known = self.int_range(env.get(e.name, ""), env)
                return known is not None and t.lo <= known[0] and known[1] <= t.hi
            return False
        if isinstance(e, ir.Lit) and isinstance(t, IntT) and type(e.value) is int:
            return t.lo <= e.value <= t.hi
        if isinstance(e, ir.If):
            return self.within(e.then, t, env) and self.within(e.else_, t, env)
        if isinstance(e, ir.SetLit) and isinstance(t, SetT):
            return all(self.within(x, t.elem, env) for x in e.elems)
        if isinstance(e, ir.Binary) and isinstance(t, SetT):
            if e.op == "union":
                return self.within(e.left, t, env) and self.within(e.right, t, env)
            if e.op == "diff":
                return self.within(e.left, t, env)
            if e.op == "intersect":
                return self.within(e.left, t, env) or self.within(e.right, t, env)
            return False
        r = self.ref(e) if isinstance(e, ir.Call) else None
        if r is not None and r.kind == "builtin" and r.name == "put" and len(e.args) == 3:
            base, _, value = e.args
            if isinstance(t, FunT):
                return self.within(base, t, env) and self.within(value, t.cod, env)
            if isinstance(t, MapT):
                return self.within(base, t, env) and self.within(value, t.val, env)
        if isinstance(e, ir.Index):
            # a component of a state variable's value has been checked with it
            root = e
            while isinstance(root, ir.Index):
                root = root.base
            if isinstance(root, ir.Name) and self.ref(root) is not None and self.ref(root).kind == "var":
                return self.type_of(e) == t
        return False

    # ------------------------------------------------------------------ value checks

    def validator(self, t: Type, src: str, ctx: _Ctx) -> str | None:
        """A Python boolean expression checking the bounds a type imposes on ``src``
        (integer ranges, sequence lengths), or None when the type imposes none."""
        if isinstance(t, IntT):
            return f"({t.lo} <= {src} <= {t.hi})" if t.bounded else None
        if isinstance(t, SeqT):
            inner = self._each(t.elem, src, ctx)
            parts = [f"len({src}) <= {t.max_len}"] if t.max_len is not None else []
            if inner:
                parts.append(inner)
            return " and ".join(parts) or None
        if isinstance(t, (SetT, BagT)):
            return self._each(t.elem, src, ctx)
        if isinstance(t, FunT):
            return self._each(t.cod, src, ctx)
        if isinstance(t, MapT):
            return self._each(t.val, f"{src}.values()", ctx)
        if isinstance(t, (TupleT, RecordT)):
            ets = t.elems if isinstance(t, TupleT) else [ft for _, ft in t.fields]
            parts = [self.validator(et, f"{src}[{i}]", ctx) for i, et in enumerate(ets)]
            parts = [p for p in parts if p]
            return " and ".join(parts) or None
        if isinstance(t, EnumT):
            parts = []
            for c in t.constructors:
                for i, at in enumerate(c.args):
                    v = self.validator(at, f"{src}[{i + 1}]", ctx)
                    if v:
                        parts.append(f"({src}[0] != {c.name!r} or {v})")
            return " and ".join(parts) or None
        return None

    def _each(self, t: Type, src: str, ctx: _Ctx) -> str | None:
        py = ctx.fresh("e")
        inner = self.validator(t, py, ctx)
        return f"all({inner} for {py} in {src})" if inner else None

    # ------------------------------------------------------------------ statements

    def schedule(self, stmts: list, bound_before: set[str]) -> list:
        """Hoist guards: within the leading run of ``pick``/``let``/``require``
        statements, run every ``require`` (split at top-level ``and``) and ``let`` right
        after the last binding it depends on."""
        lead = []
        i = 0
        while i < len(stmts) and isinstance(stmts[i], (ir.Pick, ir.LetStmt, ir.Require)):
            lead.append(stmts[i])
            i += 1
        rest = stmts[i:]
        flat = []
        for s in lead:
            if isinstance(s, ir.Require):
                flat.extend(ir.Require(c.id, c) if c is not s.cond else s for c in _conjuncts(s.cond))
            else:
                flat.append(s)
        binders = [s for s in flat if isinstance(s, ir.Pick)]
        # where each statement may go: after the binder that introduces its last dependency
        placed: dict[int, list] = {k: [] for k in range(-1, len(binders))}
        order_of_binder = {id(b): k for k, b in enumerate(binders)}
        defined_at: dict[str, int] = {}
        pos = -1
        for s in flat:
            if isinstance(s, ir.Pick):
                pos = order_of_binder[id(s)]
                defined_at[s.binder.name] = pos
                continue
            expr = s.cond if isinstance(s, ir.Require) else s.value
            deps = self.locals_of(expr) - bound_before
            at = max([defined_at.get(d, pos) for d in deps], default=-1)
            at = min(at, pos)
            placed[at].append(s)
            if isinstance(s, ir.LetStmt):
                defined_at[s.name] = at
        out = list(placed[-1])
        for k, b in enumerate(binders):
            out.append(b)
            out.extend(placed[k])
        return out + rest

    def block(self, stmts: list, env: dict, assigned: dict[int, str], lines: list, ind: int,
              emit, init: bool) -> None:
        """Generate code for ``stmts`` (a list) at indent ``ind``; ``emit`` writes the
        successor (or initial state) at the end of every path."""
        pad = "    " * ind
        ctx: _Ctx = env["$ctx"]
        for k, st in enumerate(stmts):
            rest = stmts[k + 1 :]
            if isinstance(st, ir.Require):
                lines.append(f"{pad}if {self.x(st.cond, env)}:")
                self.block(rest, env, assigned, lines, ind + 1, emit, init)
                return
            if isinstance(st, ir.LetStmt):
                py = ctx.fresh(st.name)
                lines.append(f"{pad}{py} = {self.x(st.value, env)}")
                env = dict(env)
                env[st.name] = py
                continue
            if isinstance(st, ir.Pick):
                py = ctx.fresh(st.binder.name)
                d = st.binder.domain
                dom = self.static_domain(d)
                if dom is not None:
                    src = self.lit(dom)
                else:
                    dsrc = self.x(d, env)
                    # an integer interval (also through an inlined def) is iterated as the
                    # range itself, ascending: what _sorted would give, without building
                    # and sorting a set
                    src = _interval_range(dsrc) or f"_sorted({dsrc})"
                lines.append(f"{pad}for {py} in {src}:")
                if self.debug:
                    lines.append(f"{pad}    _ctx[2][{st.binder.name!r}] = {py}")
                env2 = dict(env)
                env2[st.binder.name] = py
                if dom and all(type(v) is int for v in dom):
                    # the binder's values are known: indexes and range checks on it can
                    # be decided here (see int_range and within)
                    env2["$ranges"] = {**env.get("$ranges", {}), py: (min(dom), max(dom))}
                picks = env2.get("$picks", ()) + (py,)
                env2["$picks"] = picks
                self.block(rest, env2, assigned, lines, ind + 1, emit, init)
                return
            if isinstance(st, ir.Either):
                for br in st.branches:
                    lines.append(f"{pad}if True:")
                    self.block(list(br.stmts) + rest, env, dict(assigned), lines, ind + 1, emit, init)
                return
            if isinstance(st, ir.IfStmt):
                lines.append(f"{pad}if {self.x(st.cond, env)}:")
                self.block(list(st.then.stmts) + rest, env, dict(assigned), lines, ind + 1, emit, init)
                lines.append(f"{pad}else:")
                self.block(list(st.else_.stmts) + rest, env, dict(assigned), lines, ind + 1, emit, init)
                return
            if isinstance(st, ir.Assign):
                i = self.var_index[st.var]
                py = ctx.fresh("n")
                lines.append(f"{pad}{py} = {self.x(st.value, env)}")
                check = self.validator(self.var_types[i], py, ctx)
                if check and not self.within(st.value, self.var_types[i], env):
                    lines.append(f"{pad}if not ({check}):")
                    lines.append(f"{pad}    raise _RangeError(({i}, {py}, {st.id}))")
                assigned = dict(assigned)
                assigned[i] = py
                continue
            if isinstance(st, ir.Assert):
                msg = st.message or "assertion failed"
                lines.append(f"{pad}if not {self.x(st.cond, env)}:")
                lab = env["$labelfn"](env) if "$labelfn" in env else "None"
                lines.append(f"{pad}    raise ActionAssertionFailed({self._assert_name(st)!r}, {lab}, {msg!r})")
                continue
            raise AssertionError(st)
        emit(env, assigned, lines, ind)

    def _assert_name(self, st) -> str:
        sp = self.spans.get(st.id)
        return f"Assertion@{sp.line}:{sp.col}" if sp else "Assertion"

    # ------------------------------------------------------------------ whole functions

    def gen_succ(self) -> tuple[str, list[ActionInfo], list[str]]:
        """Source of ``_succ(s)``, the static label table, and the actions with
        state-dependent parameter domains (labelled at run time)."""
        nvars = len(self.var_types)
        vs = [f"v{i}" for i in range(nvars)]
        lines = ["def _succ(s):", f"    {', '.join(vs)}{',' if nvars == 1 else ''} = s", "    out = []",
                 "    app = out.append"]
        infos: list[ActionInfo] = []
        dynamic: list[str] = []
        for ai, a in enumerate(self.c.actions):
            static = [self.static_domain(p.domain) for p in a.params]
            if all(d is not None for d in static):
                base = len(infos)
                for vals in itertools.product(*static):
                    infos.append(self.action_info(a, vals))
                label_fn = self.static_label(a, static, base)
            else:
                dynamic.append(a.name)
                names = [p.name for p in a.params]
                label_fn = lambda env2, ai=ai, names=names: (  # noqa: E731
                    f"_lab({ai}, ({', '.join(env2[n] for n in names)},))"
                )
            env: dict[str, Any] = {"$vars": vs, "$primed": None, "$ctx": _Ctx(), "$labelfn": label_fn}
            stmts = [ir.Pick(p.id, p) for p in a.params]
            body = self.schedule(stmts + list(a.body.stmts), set())

            def emit(env2, assigned, lines, ind):
                pad = "    " * ind
                items = [assigned.get(i, f"v{i}") for i in range(nvars)]
                lab = env2["$labelfn"](env2)
                lines.append(f"{pad}app(({lab}, ({', '.join(items)}{',' if nvars == 1 else ''})))")

            lines.append(f"    # action {a.name}")
            if self.debug:
                lines.append(f"    _ctx[0] = {ai}")
                lines.append("    _ctx[2] = {}")
            self.block(body, env, {}, lines, 1, emit, False)
        lines.append("    return out")
        return "\n".join(lines), infos, dynamic

    def static_label(self, a: ir.ActionDecl, static: list[tuple], base: int):
        """A function from the environment to the source of the instance's int label:
        ``base`` plus the mixed-radix position of the parameter values."""
        if not a.params:
            return lambda env2: str(base)
        strides = [1] * len(static)
        for k in range(len(static) - 2, -1, -1):
            strides[k] = strides[k + 1] * len(static[k + 1])
        terms = []
        for p, d, stride in zip(a.params, static, strides):
            if stride == 1 and d == tuple(range(len(d))) and all(type(v) is int for v in d):
                terms.append((p.name, None))  # a model value is its own position
            else:
                terms.append((p.name, self.const({v: k * stride for k, v in enumerate(d)}, "LOFF")))

        def label(env2):
            parts = [str(base)] if base else []
            for name, table in terms:
                parts.append(env2[name] if table is None else f"{table}[{env2[name]}]")
            return " + ".join(parts) or "0"

        return label

    def gen_init(self) -> str:
        nvars = len(self.var_types)
        lines = ["def _init():", "    out = []", "    app = out.append"]
        ctx = _Ctx()
        env = {"$vars": [f"_undef{i}" for i in range(nvars)], "$primed": None, "$ctx": ctx}

        def emit(env2, assigned, lines, ind):
            pad = "    " * ind
            items = [assigned[i] for i in range(nvars)]
            lines.append(f"{pad}app(({', '.join(items)}{',' if nvars == 1 else ''}))")

        self.block(list(self.c.init.body.stmts), env, {}, lines, 1, emit, True)
        lines.append("    return out")
        return "\n".join(lines)

    def gen_pred(self, name: str, body: ir.Node, step: bool, params: tuple[str, ...] = ()) -> str:
        """``def name(s[, t][, params...])``: a state (or step) predicate; ``params`` are
        bound names of the body (the ``forall`` binders around a temporal formula)."""
        nvars = len(self.var_types)
        vs = [f"v{i}" for i in range(nvars)]
        ws = [f"w{i}" for i in range(nvars)]
        env = {"$vars": vs, "$primed": ws, "$ctx": _Ctx()}
        args = [f"a{i}" for i in range(len(params))]
        env.update(zip(params, args))
        sig = ("s, t" if step else "s") + "".join(f", {a}" for a in args)
        lines = [f"def {name}({sig}):", f"    {', '.join(vs)}{',' if nvars == 1 else ''} = s"]
        if step:
            lines.append(f"    {', '.join(ws)}{',' if nvars == 1 else ''} = t")
        lines.append(f"    return bool({self.x(body, env)})")
        return "\n".join(lines)

    def gen_value(self, name: str, expr: ir.Node, params: tuple[str, ...] = ()) -> str:
        """``def name(params...)``: the value of a state-independent expression."""
        args = [f"a{i}" for i in range(len(params))]
        env = {"$vars": None, "$primed": None, "$ctx": _Ctx(), **dict(zip(params, args))}
        return f"def {name}({', '.join(args)}):\n    return {self.x(expr, env)}"

    def action_info(self, a: ir.ActionDecl, vals: tuple) -> ActionInfo:
        params = tuple((p.name, show(v, self.type_of(p.domain).elem)) for p, v in zip(a.params, vals))
        return ActionInfo(a.name, params, vals)

    # ------------------------------------------------------------------ trace tools (modelcheck.conform)
    # Used by trace validation and its diagnostics, never by the search: built on demand.

    def gen_action(self, ai: int, name: str) -> str:
        """``def name(s, a0, a1, ...)``: the next states of ``s`` by action ``ai`` with its
        parameters bound to the arguments, as a list (``pick``/``either`` may give several;
        a value outside its parameter's domain gives none). The body is generated by the
        same code as ``_succ``, so it computes exactly the successors ``_succ`` labels
        with that instance."""
        a = self.c.actions[ai]
        nvars = len(self.var_types)
        vs = [f"v{i}" for i in range(nvars)]
        args = [f"a{k}" for k in range(len(a.params))]
        lines = [f"def {name}(s{''.join(', ' + x for x in args)}):",
                 f"    {', '.join(vs)}{',' if nvars == 1 else ''} = s", "    out = []", "    app = out.append"]
        env: dict[str, Any] = {"$vars": vs, "$primed": None, "$ctx": _Ctx()}
        ind = 1
        for p, arg in zip(a.params, args):
            dom = self.static_domain(p.domain)
            src = self.const(frozenset(dom)) if dom is not None else self.x(p.domain, env)
            lines.append(f"{'    ' * ind}if {arg} in {src}:")
            ind += 1
            env = dict(env)
            env[p.name] = arg

        def emit(env2, assigned, lines, ind):
            items = [assigned.get(i, f"v{i}") for i in range(nvars)]
            lines.append(f"{'    ' * ind}app(({', '.join(items)}{',' if nvars == 1 else ''}))")

        body = self.schedule(list(a.body.stmts), {p.name for p in a.params})
        self.block(body, env, {}, lines, ind, emit, False)
        lines.append("    return out")
        return "\n".join(lines)

    def gen_expr(self, name: str, expr: ir.Node, local_names: tuple[str, ...]) -> str:
        """``def name(s, a0, ...)``: the value of ``expr`` in state ``s`` (unprimed
        variables) with the local names bound to the arguments, compiled as the
        successor function compiles it."""
        nvars = len(self.var_types)
        vs = [f"v{i}" for i in range(nvars)]
        args = [f"a{i}" for i in range(len(local_names))]
        env = {"$vars": vs, "$primed": None, "$ctx": _Ctx(), **dict(zip(local_names, args))}
        sig = "s" + "".join(f", {x}" for x in args)
        return (f"def {name}({sig}):\n    {', '.join(vs)}{',' if nvars == 1 else ''} = s\n"
                f"    return {self.x(expr, env)}")

    def gen_type_check(self, name: str, var: int) -> str:
        """``def name(x)``: whether ``x`` fits the bounds of variable ``var``'s type (what
        an assignment checks before raising a range error)."""
        check = self.validator(self.var_types[var], "x", _Ctx())
        return f"def {name}(x):\n    return {check or 'True'}"


class _NotConst:
    pass


_NOT_CONST = _NotConst()


def _hashable(v) -> bool:
    try:
        hash(v)
        return True
    except TypeError:
        return False


_SIMPLE_INDEX = None


def _is_simple(src: str) -> bool:
    """Cheap enough to evaluate twice: a name, a literal, or a name indexed by one."""
    global _SIMPLE_INDEX
    if src.isidentifier() or _is_int_literal(src) or (src.startswith("'") and src.endswith("'") and "'" not in src[1:-1]):
        return True
    if _SIMPLE_INDEX is None:
        import re

        _SIMPLE_INDEX = re.compile(r"[A-Za-z_]\w*\[(?:[A-Za-z_]\w*|\d+)\]")
    return _SIMPLE_INDEX.fullmatch(src) is not None


def _interval_range(src: str) -> str | None:
    """``range(a, b)`` when the generated source ``src`` is exactly
    ``frozenset(range(a, b))`` (how ``a..b`` compiles), else None."""
    try:
        tree = ast.parse(src, mode="eval").body
    except SyntaxError:
        return None
    if (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "frozenset"
            and len(tree.args) == 1 and not tree.keywords):
        inner = tree.args[0]
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "range":
            return ast.unparse(inner)
    return None


def _is_int_literal(src: str) -> bool:
    return src.lstrip("-").isdigit()


def _conjuncts(e: ir.Node) -> list:
    if isinstance(e, ir.Binary) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


# ----------------------------------------------------------------------------- the model


class CompiledModel:
    """A spec compiled to Python: implements :class:`modelcheck.model.Model` and its
    optional capabilities (``HasTemporal``, ``HasVarTypes``, ``HasParamTypes``,
    ``HasStepRoles``, ``HasStaticInstances``, ``Traceable``). ``checked`` is the front
    end's own artifact; code outside the front end reads :attr:`signature` instead."""

    def __init__(self, checked: Checked):
        self.checked = checked
        self.name = checked.module.name
        self.variables = tuple(n for n, _ in checked.variables)
        self.var_types = tuple(t for _, t in checked.variables)
        self.action_names = tuple(a.name for a in checked.actions)
        self.signature = SpecSignature(
            tuple(ActionSignature(a.name, tuple(p.name for p in a.params)) for a in checked.actions),
            tuple((n, m.names) for n, m in checked.models.items()),
        )
        self.spans = checked.module.spans
        self.source_text = checked.module.source
        self._labels: dict = {}
        self._ctx: list = [None, None, {}]  # debug build: action index, label, parameters
        fast = self._build(debug=False)
        self._succ = fast["_succ"]
        self._init = fast["_init"]
        self._debug: dict | None = None
        comp = self._compiler
        self.invariants = tuple(
            StateProperty(p.name, PropertyClass(p.cls), fast[f"_p{k}"], tuple(sorted(comp.var_reads(p.body))))
            for k, p in enumerate(checked.properties)
            if p.kind == "invariant"
        )
        self.step_properties = tuple(
            StepProperty(p.name, PropertyClass(p.cls), fast[f"_p{k}"], tuple(sorted(comp.var_reads(p.body))))
            for k, p in enumerate(checked.properties)
            if p.kind == "step"
        )
        self.constraints = tuple(
            StateProperty(p.name, PropertyClass.CONSTRAINT, fast[f"_p{k}"], tuple(sorted(comp.var_reads(p.body))))
            for k, p in enumerate(checked.properties)
            if p.kind == "constraint"
        )
        self.temporal_properties = self._temporal_properties(fast)
        self.fairness = tuple(Fairness(FairnessStrength(f.strength), f.action, f.per_instance) for f in checked.fairness)
        self._canon = None
        self._canon_built = False

    # ------------------------------------------------------------------ building

    def _build(self, debug: bool) -> dict:
        comp = Compiler(self.checked, debug=debug)
        succ_src, infos, dynamic = comp.gen_succ()
        parts = [succ_src, comp.gen_init()]
        for k, p in enumerate(self.checked.properties):
            if p.kind in ("invariant", "step", "constraint"):
                parts.append(comp.gen_pred(f"_p{k}", p.body, p.kind == "step"))
            elif p.kind == "temporal":
                for j, part in enumerate(classify_temporal(p.body)):
                    names = tuple(b.name for b in part.binders)
                    parts.append(comp.gen_pred(f"_t{k}_{j}_p", part.p, False, names))
                    if part.q is not None:
                        parts.append(comp.gen_pred(f"_t{k}_{j}_q", part.q, False, names))
                    for i, b in enumerate(part.binders):
                        parts.append(comp.gen_value(f"_t{k}_{j}_d{i}", b.domain, names[:i]))
        source = "\n\n".join(parts) + "\n"
        ns: dict[str, Any] = dict(RUNTIME)
        ns.update(comp.pool)
        ns["_lab"] = self._dynamic_label
        if debug:
            ns["_at"] = _at
            ns["_ctx"] = self._ctx
        code = compile(source, f"<compiled {self.checked.module.name}{' debug' if debug else ''}>", "exec")
        exec(code, ns)
        if not debug:
            self.generated_source = source
            self._infos = list(infos)
            self._static_count = len(infos)
            self._compiler = comp
        return ns

    def _temporal_properties(self, ns: dict) -> tuple[TemporalProperty, ...]:
        """One TemporalProperty per part of each temporal property and per binding of
        the ``forall`` binders around it (see modelcheck.dsl.temporal)."""
        out = []
        comp = self._compiler
        for k, p in enumerate(self.checked.properties):
            if p.kind != "temporal":
                continue
            for j, part in enumerate(classify_temporal(p.body)):
                pf, qf = ns[f"_t{k}_{j}_p"], ns.get(f"_t{k}_{j}_q")
                bindings = [()]
                for i, b in enumerate(part.binders):
                    dom = ns[f"_t{k}_{j}_d{i}"]
                    bindings = [vals + (v,) for vals in bindings for v in sort_values(dom(*vals))]
                for vals in bindings:
                    desc = ", ".join(f"{b.name}={show(v, comp.type_of(b.domain).elem)}"
                                     for b, v in zip(part.binders, vals))
                    p1 = (lambda s, f=pf, a=vals: f(s, *a)) if vals else pf
                    q1 = None if qf is None else ((lambda s, f=qf, a=vals: f(s, *a)) if vals else qf)
                    out.append(TemporalProperty(p.name, PropertyClass(p.cls), part.kind, p1, q1, desc))
        return tuple(out)

    def _dynamic_label(self, action_index: int, values: tuple) -> int:
        key = (action_index, values)
        lab = self._labels.get(key)
        if lab is None:
            a = self.checked.actions[action_index]
            lab = self._labels[key] = len(self._infos)
            self._infos.append(self._compiler.action_info(a, values))
        return lab

    # ------------------------------------------------------------------ Model protocol

    def initial_states(self):
        return self._init()

    def successors(self, state):
        return self._succ(state)

    def describe(self, label: int) -> ActionInfo:
        return self._infos[label]

    def show_value(self, var: int, value: Any) -> str:
        return show(value, self.var_types[var])

    def param_types(self, action: str) -> tuple[Type, ...]:
        for a in self.checked.actions:
            if a.name == action:
                return tuple(self._compiler.type_of(p.domain).elem for p in a.params)
        raise KeyError(action)

    # ------------------------------------------------------------------ sequence charts (modelcheck.render.seqchart)
    # The actions' `process` / `sends` / `receives` clauses (modelcheck.dsl.roles), compiled
    # on first use through expr_function: the search never pays for them.

    def step_roles(self, label: int, state):
        return self._roles().step_roles(label, state)

    def lanes(self):
        return self._roles().lanes()

    def _roles(self):
        r = self.__dict__.get("_roles_obj")
        if r is None:
            from .roles import Roles

            r = self._roles_obj = Roles(self)
        return r

    # ------------------------------------------------------------------ trace tools (modelcheck.conform)
    # Compiled on first use, so `check` pays nothing for them.

    def explainer(self):
        """A new :class:`~modelcheck.dsl.explain.Explainer` of this model (it keeps caches and
        a detail setting of its own, so each user gets one)."""
        from .explain import Explainer

        return Explainer(self)

    def static_instances(self) -> int:
        """Labels ``0 .. n-1`` are every instance of the actions whose parameter domains
        are constant; instances of the others are labelled on first sight."""
        return self._static_count

    def action_function(self, ai: int):
        """``f(s, *params) -> [next states]``: action ``ai`` with its parameters bound
        (see :meth:`Compiler.gen_action`)."""
        fns = self.__dict__.setdefault("_action_fns", {})
        fn = fns.get(ai)
        if fn is None:
            fn = fns[ai] = self._exec_extra(self._compiler.gen_action(ai, "_act"), "_act")
        return fn

    def expr_function(self, expr: ir.Node, local_names: tuple[str, ...]):
        """``f(s, *locals)``: the compiled value of an expression of the spec (a guard, a
        sub-expression, an update), for diagnostics."""
        fns = self.__dict__.setdefault("_expr_fns", {})
        key = (expr.id, local_names)
        fn = fns.get(key)
        if fn is None:
            fn = fns[key] = self._exec_extra(self._compiler.gen_expr("_e", expr, local_names), "_e")
        return fn

    def type_check_function(self, var: int):
        """``f(x) -> bool``: whether ``x`` fits variable ``var``'s declared bounds."""
        fns = self.__dict__.setdefault("_type_fns", {})
        fn = fns.get(var)
        if fn is None:
            fn = fns[var] = self._exec_extra(self._compiler.gen_type_check("_tc", var), "_tc")
        return fn

    def _exec_extra(self, source: str, name: str):
        ns: dict[str, Any] = dict(RUNTIME)
        ns.update(self._compiler.pool)  # after generating: the source may have added constants
        ns["_lab"] = self._dynamic_label
        exec(compile(source, f"<compiled {self.name} {name}>", "exec"), ns)
        return ns[name]

    def canonicalizer(self):
        if not self._canon_built:
            self._canon_built = True
            if self.checked.symmetric:
                from ..symmetry import make_canonicalizer

                models = tuple(self.checked.models[n] for n in self.checked.symmetric)
                self._canon = make_canonicalizer(self.checked.variables, models)
        return self._canon

    # ------------------------------------------------------------------ errors

    def show_state(self, state) -> str:
        return "\n".join(f"    {n} = {show(v, t)}" for n, t, v in zip(self.variables, self.var_types, state))

    def explain(self, state, exc: BaseException) -> BaseException:
        """Re-run ``state`` through the debug build to locate the error."""
        if self._debug is None:
            self._debug = self._build(debug=True)
        ns = self._debug
        where = None
        err: BaseException | None = None
        self._ctx[:] = [None, None, {}]
        try:
            succs = ns["_succ"](state)
            where = "checking"
            for k, p in enumerate(self.checked.properties):
                if p.kind in ("invariant", "constraint"):
                    where = f"{p.kind} {p.name}"
                    ns[f"_p{k}"](state)
                    for _, t in succs:
                        ns[f"_p{k}"](t)
                elif p.kind == "step":
                    where = f"step property {p.name}"
                    for _, t in succs:
                        ns[f"_p{k}"](state, t)
        except BaseException as e:  # noqa: BLE001 - we are explaining any failure
            err = e
        if err is None:
            err = exc
        diagnostic, text = self._format(err, where, state)
        return SpecRuntimeError(text, diagnostic=diagnostic)

    def _format(self, err: BaseException, where: str | None, state) -> tuple[Diagnostic, str]:
        if where is None:  # raised while generating successors
            ai = self._ctx[0]
            params = self._ctx[2] or {}
            if ai is not None:
                a = self.checked.actions[ai]
                ptypes = {p.name: self._compiler.type_of(p.domain).elem for p in a.params}
                shown = ", ".join(
                    f"{n}={show(v, ptypes[n])}" if n in ptypes else f"{n}={v!r}" for n, v in params.items()
                )
                where = f"action {a.name}" + (f"({shown})" if shown else "")
            else:
                where = "init"
        node_id = getattr(err, "node_id", None)
        cause = getattr(err, "cause", None) or err
        if isinstance(cause, _RangeError):
            i, value, node_id = cause.args[0]
            msg = f"value {repr(value)} does not fit the type {self.var_types[i]} of variable {self.variables[i]}"
        else:
            msg = str(cause) or type(cause).__name__
            if isinstance(cause, KeyError):
                msg = f"lookup of a key outside the domain: {cause.args[0]!r}" if cause.args else "lookup outside the domain"
        span = self.spans.get(node_id) if node_id is not None else None
        diagnostic = Diagnostic(Code.RUNTIME, f"runtime error in {where}: {msg}", span)
        out = f"{diagnostic.code} {diagnostic.message}"
        if span is not None:
            out += f"\n  at {span.file}:{span.line}:{span.col}\n" + caret_snippet(self.source_text, span)
        out += "\n  in state:\n" + self.show_state(state)
        return diagnostic, out


def _at(node_id: int, fn):
    """Debug build: evaluate ``fn`` and locate any failure at ``node_id``."""
    try:
        return fn()
    except SpecRuntimeError:
        raise
    except Exception as e:  # noqa: BLE001
        raise SpecRuntimeError(str(e), node_id, e) from e


def compile_spec(checked: Checked) -> CompiledModel:
    return CompiledModel(checked)
