"""The static checker: constants, names, types, primes and assignments of a parsed spec.

``check(module, consts, config)`` binds the constants (spec defaults, then the chosen
``config`` block, then the caller's ``consts``: real values, see :func:`check`), resolves every name, infers the type
of every expression and checks the rules of ``docs/language.md``. It gathers every error
it can and raises one :class:`SpecError` carrying all of them; otherwise it returns a
:class:`Checked` (with warnings, if any).

After an error inside an expression the expression gets the poison type ``ErrT``, which
unifies with everything, so one mistake is reported once.

Depends on :mod:`modelcheck.ir`, :mod:`modelcheck.types`, :mod:`modelcheck.diagnostics`
and :mod:`modelcheck.dsl.checked`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .. import ir
from ..diagnostics import Code, Diagnostic, SpecError
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
from ..model import SPEC_CLASSES
from .builtins import ARITIES, TypeArgs
from .builtins import TABLE as BUILTIN_TABLE
from .checked import Checked, Ref

__all__ = ["check", "CLASSES", "BUILTINS"]

#: property classes (docs/language.md)
CLASSES = SPEC_CLASSES

#: built-in operators and their accepted argument counts (defined in dsl/builtins.py)
BUILTINS = ARITIES

_BUILTIN_TYPES = ("bool", "int")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True, slots=True)
class ErrT(Type):
    """The poison type of an expression that already has an error: unifies with anything."""

    def show(self) -> str:
        return "?"


ERR = ErrT()


class _Abort(Exception):
    """Internal: a constant expression that cannot be evaluated (already reported)."""


# --------------------------------------------------------------------------- entry point


def check(module: ir.Module, consts: Mapping[str, Any] | None = None,
          config: str | None = None) -> Checked:
    """Check ``module`` with constants bound by ``config`` then ``consts``.

    ``consts`` maps constant names to real values: an ``int`` or a ``bool`` for a
    ``const``; for a ``models`` set an ``int`` n (n fresh values ``rm1..rmn``) or a
    tuple/list of ``str`` names. Text (``"4"``, ``"{a, b}"``) is refused: parsing
    command-line text is the command line's job. A value that does not fit its
    declaration is an MC270 error naming the constant and what it expected.

    Raises :class:`SpecError` with every error found; warnings go to ``Checked.warnings``.
    """
    c = _Checker(module, dict(consts or {}), config)
    try:
        return c.run()
    except RecursionError:
        c.error(Code.SYNTAX, "the spec is nested too deeply to check", None)
        raise SpecError(c.sorted_errors(), source=module.source) from None


def check_expression(module: ir.Module, expr: ir.Node, spans: dict, source: str,
                     consts: Mapping[str, Any] | None = None, config: str | None = None,
                     what: str = "this expression") -> tuple[Checked, Type]:
    """Check a lone expression (``modelcheck graph --view EXPR``, parsed by
    ``parse.parse_expression``) in the scope of ``module``, as the body of a ``def``:
    it may read state variables, constants and operators, but no primed variable and no
    temporal operator. Returns the module's :class:`Checked` extended with the
    expression's types and name resolutions, and the expression's type. Errors are
    reported against ``source`` (the expression's own text)."""
    c = _Checker(module, dict(consts or {}), config)
    checked = c.run()
    c.spans = {**module.spans, **spans}
    c.errors = []
    ctx = _Ctx("def", prime_msg=f"cannot appear in {what}: it is evaluated on one state")
    try:
        t = c.infer(expr, ctx)
    except RecursionError:
        c.error(Code.SYNTAX, "the expression is nested too deeply to check", None)
        t = ERR
    if not c.errors:
        c.check_unresolved()
    if c.errors:
        raise SpecError(c.sorted_errors(), source=source)
    from dataclasses import replace

    types = {i: c.zonk(x) for i, x in c.types.items()}
    return replace(checked, types=types, refs=dict(c.refs)), c.zonk(t)


# --------------------------------------------------------------------------- contexts


@dataclass
class _Ctx:
    """Where an expression is checked."""

    where: str  # def | init | action | invariant | step | constraint | temporal
    locals: dict[str, Type] = field(default_factory=dict)
    primes: bool = False
    temporal: bool = False
    prime_msg: str = ""
    #: shared, mutable: set to True when a temporal operator is seen
    saw_temporal: list = field(default_factory=lambda: [False])

    def bind(self, name: str, t: Type) -> "_Ctx":
        loc = dict(self.locals)
        loc[name] = t
        return _Ctx(self.where, loc, self.primes, self.temporal, self.prime_msg, self.saw_temporal)

    def copy(self) -> "_Ctx":
        return _Ctx(self.where, dict(self.locals), self.primes, self.temporal, self.prime_msg,
                    self.saw_temporal)


@dataclass
class _Global:
    kind: str  # models | const | enum | alias | var | def | ctor
    decl: ir.Node
    enum: str | None = None  # for ctors: the enum's name


_KIND_WORDS = {
    "models": "a model-value set", "const": "a constant", "enum": "an enum type",
    "alias": "a type alias", "var": "a state variable", "def": "an operator",
    "ctor": "an enum constructor",
}


# --------------------------------------------------------------------------- the checker


class _Checker:
    error_type = ERR  # the poison type, for the built-ins' type rules

    def __init__(self, module: ir.Module, consts: dict[str, Any], config: str | None):
        self.m = module
        self.spans = module.spans
        self.given = consts  # the caller's constant values
        self.config_name = config
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.types: dict[int, Type] = {}
        self.refs: dict[int, Ref] = {}
        self.subst: dict[int, Type] = {}
        self.tv_origin: dict[int, ir.Node] = {}
        self._tv = 0
        self._line_starts = [0]
        for i, ch in enumerate(module.source):
            if ch == "\n":
                self._line_starts.append(i + 1)

        self.globals: dict[str, _Global] = {}
        self.actions: dict[str, ir.ActionDecl] = {}
        self.props: list[ir.PropertyDecl] = []
        self.configs: dict[str, ir.ConfigDecl] = {}
        self.inits: list[ir.InitDecl] = []
        self.fair_items: list[ir.FairnessItem] = []
        self.symmetry: list[ir.SymmetryDecl] = []

        self.model_names: dict[str, tuple[str, ...]] = {}
        self.models: dict[str, ModelT] = {}
        self.const_kind: dict[str, type] = {}  # int | bool
        self.const_values: dict[str, Any] = {}
        self.const_bound: dict[str, Any] = {}  # from the config block or the caller
        self._const_stack: list[str] = []
        self.enums: dict[str, EnumT] = {}
        self._enum_busy: set[str] = set()
        self.aliases: dict[str, Type] = {}
        self._alias_busy: set[str] = set()
        self.var_types: dict[str, Type] = {}
        self.var_index: dict[str, int] = {}
        self.def_types: dict[str, Type] = {}
        self._def_stack: list[str] = []
        self.def_params: dict[str, list[Type]] = {}
        self.read_vars: set[str] = set()
        self.action_assigned: set[str] = set()
        #: (action, clause, type) of every `sends` / `receives` message, for MC292
        self._messages: list = []

    # ------------------------------------------------------------------ diagnostics

    def span(self, node: ir.Node | None) -> ir.Span | None:
        if node is None:
            return None
        return self.spans.get(node.id)

    def error(self, code: Code, msg: str, where, hint: str | None = None) -> None:
        sp = where if isinstance(where, ir.Span) or where is None else self.span(where)
        self.errors.append(Diagnostic(code, msg, sp, hint=hint))

    def sorted_errors(self) -> list[Diagnostic]:
        def key(d):
            s = d.span
            return (0, 0, 0) if s is None else (1, s.line, s.col)
        return sorted(self.errors, key=key)

    def name_span(self, node: ir.Node, name: str) -> ir.Span | None:
        """The span of ``name`` inside the first line of ``node`` (a declaration's name)."""
        sp = self.span(node)
        if sp is None:
            return None
        src = self.m.source
        if sp.line - 1 >= len(self._line_starts):
            return sp
        start = self._line_starts[sp.line - 1] + sp.col - 1
        end = src.find("\n", start)
        end = len(src) if end < 0 else end
        # skip the leading keyword, then find the name as a whole word
        m0 = re.match(r"[A-Za-z_]+", src[start:end])
        skip = m0.end() if m0 and m0.group(0) != name else 0
        m = re.compile(r"\b" + re.escape(name) + r"\b").search(src, start + skip, end)
        if m is None:
            return sp
        col = sp.col + (m.start() - start)
        return ir.Span(sp.file, sp.line, col, sp.line, col + len(name))

    def head_span(self, node: ir.Node, width: int) -> ir.Span | None:
        sp = self.span(node)
        if sp is None:
            return None
        return ir.Span(sp.file, sp.line, sp.col, sp.line, sp.col + width)

    @staticmethod
    def did_you_mean(name: str, candidates) -> str:
        """``; did you mean `x`?`` for the closest candidate (ignoring case), or ``""``."""
        cands = sorted(set(candidates) - {name})
        close = difflib.get_close_matches(name, cands, n=1, cutoff=0.6)
        if not close:
            by_lower: dict[str, str] = {}
            for c in cands:
                by_lower.setdefault(c.lower(), c)
            close = [by_lower[c] for c in
                     difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)]
        return f"; did you mean `{close[0]}`?" if close else ""

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

    # ------------------------------------------------------------------ driver

    def run(self) -> Checked:
        self.collect()
        self.bind_models()
        self.check_consts()
        self.check_types_and_vars()
        for d in self.m.decls:
            if isinstance(d, ir.DefDecl) and self.is_declared(d):
                self.def_type(d.name, None)
        if not self.inits:
            self.error(Code.INIT_INCOMPLETE, "the spec has no `init` block", self.head_span(self.m, 6) or None,
                       hint="add `init { x = ... }` assigning every variable")
        for init in self.inits:
            self.check_init(init)
        for a in self.actions.values():
            self.check_action(a)
        self.check_messages()
        for p in self.props:
            self.check_property(p)
        self.check_fairness()
        self.check_symmetry()
        self.check_unresolved()
        self.check_unused()
        if self.errors:
            raise SpecError(self.sorted_errors(), source=self.m.source)
        return self.result()

    def result(self) -> Checked:
        types = {i: self.zonk(t) for i, t in self.types.items()}
        consts: dict[str, Any] = {}
        for name, mt in self.models.items():
            consts[name] = frozenset(range(len(mt.names)))
        consts.update(self.const_values)
        variables = tuple((d.name, self.var_types[d.name]) for d in self.m.decls
                          if isinstance(d, ir.VarDecl))
        sym = []
        for s in self.symmetry:
            if s.name not in sym:
                sym.append(s.name)
        return Checked(
            module=self.m,
            types=types,
            refs=dict(self.refs),
            consts=consts,
            variables=variables,
            models=dict(self.models),
            enums=dict(self.enums),
            symmetric=tuple(sym),
            defs=tuple(d for d in self.m.decls if isinstance(d, ir.DefDecl)),
            init=self.inits[0],
            actions=tuple(self.actions.values()),
            properties=tuple(self.props),
            fairness=tuple(self.fair_items),
            config=self.config_name,
            warnings=tuple(self.warnings),
        )

    # ------------------------------------------------------------------ declarations

    def collect(self) -> None:
        def dup(node, name, prev_node, what):
            prev = self.span(prev_node)
            where = f" (line {prev.line})" if prev else ""
            self.error(Code.DUPLICATE, f"{what} `{name}` is already declared{where}", self.name_span(node, name))

        def add_global(name, g: _Global, node):
            if name in _BUILTIN_TYPES:
                self.error(Code.DUPLICATE, f"`{name}` is a built-in type and cannot be redeclared",
                           self.name_span(node, name))
                return
            if g.kind == "def" and name in BUILTINS:
                self.error(Code.DUPLICATE, f"`{name}` is a built-in operator and cannot be redeclared",
                           self.name_span(node, name))
                return
            if name in self.globals:
                prev = self.span(self.globals[name].decl)
                where = f" (line {prev.line})" if prev else ""
                self.error(Code.DUPLICATE, f"`{name}` is already declared{where}", self.name_span(node, name))
                return
            self.globals[name] = g

        seen_props: dict[str, ir.PropertyDecl] = {}
        for d in self.m.decls:
            if isinstance(d, ir.ModelsDecl):
                add_global(d.name, _Global("models", d), d)
                seen: set[str] = set()
                for v in d.values:
                    if v in seen:
                        self.error(Code.DUPLICATE, f"model value `{v}` appears twice in `{d.name}`",
                                   self.span(d))
                    seen.add(v)
            elif isinstance(d, ir.ConstDecl):
                add_global(d.name, _Global("const", d), d)
            elif isinstance(d, ir.EnumDecl):
                add_global(d.name, _Global("enum", d), d)
                for c in d.ctors:
                    add_global(c.name, _Global("ctor", c, enum=d.name), c)
            elif isinstance(d, ir.TypeDecl):
                add_global(d.name, _Global("alias", d), d)
            elif isinstance(d, ir.VarDecl):
                add_global(d.name, _Global("var", d), d)
            elif isinstance(d, ir.DefDecl):
                add_global(d.name, _Global("def", d), d)
            elif isinstance(d, ir.InitDecl):
                if self.inits:
                    self.error(Code.DUPLICATE, "`init` is already declared "
                               f"(line {self.span(self.inits[0]).line})" if self.span(self.inits[0])
                               else "`init` is already declared", self.head_span(d, 4))
                self.inits.append(d)
            elif isinstance(d, ir.ActionDecl):
                if d.name in self.actions:
                    dup(d, d.name, self.actions[d.name], "action")
                else:
                    self.actions[d.name] = d
            elif isinstance(d, ir.PropertyDecl):
                if d.name in seen_props:
                    dup(d, d.name, seen_props[d.name], "property")
                else:
                    seen_props[d.name] = d
                self.props.append(d)
            elif isinstance(d, ir.FairnessDecl):
                self.fair_items.extend(d.items)
            elif isinstance(d, ir.ConfigDecl):
                if d.name in self.configs:
                    dup(d, d.name, self.configs[d.name], "config")
                else:
                    self.configs[d.name] = d
            elif isinstance(d, ir.SymmetryDecl):
                self.symmetry.append(d)

    def is_declared(self, d) -> bool:
        """Whether ``d`` is the declaration its name resolves to (not a rejected duplicate)."""
        g = self.globals.get(d.name)
        return g is not None and g.decl is d

    # ------------------------------------------------------------------ constants

    def _fresh_names(self, set_name: str, n: int) -> tuple[str, ...]:
        base = set_name.lower()
        return tuple(f"{base}{i}" for i in range(1, n + 1))

    def bind_models(self) -> None:
        """Model-value sets: defaults, then config, then the caller's values; also validates configs."""
        for name, g in self.globals.items():
            if g.kind == "models":
                self.model_names[name] = tuple(dict.fromkeys(g.decl.values))
        constants = [n for n, g in self.globals.items() if g.kind in ("models", "const")]

        # every config block is validated, the selected one applied
        for cfg in self.configs.values():
            seen: dict[str, ir.ConfigBinding] = {}
            for b in cfg.bindings:
                if b.name in seen:
                    self.error(Code.DUPLICATE, f"`{b.name}` is bound twice in config `{cfg.name}`", self.span(b))
                    continue
                seen[b.name] = b
                g = self.globals.get(b.name)
                if g is None or g.kind not in ("models", "const"):
                    what = (f"`{b.name}` is {_KIND_WORDS[g.kind]}, not a constant" if g is not None
                            else f"unknown constant `{b.name}`")
                    self.error(Code.BAD_CONSTANT, f"config `{cfg.name}`: {what}"
                               + (self.did_you_mean(b.name, constants) if g is None else ""),
                               self.span(b))
                    continue
                if g.kind == "models":
                    v = b.value
                    if isinstance(v, bool) or (isinstance(v, int) and v < 0):
                        self.error(Code.BAD_CONSTANT, f"config `{cfg.name}`: `{b.name}` is a model-value set; "
                                   f"give a count (`{b.name} = 3`) or names (`{b.name} = {{a, b}}`)",
                                   self.span(b))
                        continue
                    if isinstance(v, tuple) and len(set(v)) != len(v):
                        self.error(Code.BAD_CONSTANT, f"config `{cfg.name}`: repeated model value in `{b.name}`",
                                   self.span(b))
                        continue
                    if cfg.name == self.config_name:
                        self.model_names[b.name] = (self._fresh_names(b.name, v) if isinstance(v, int)
                                                    else tuple(v))
                else:
                    if isinstance(b.value, tuple):
                        self.error(Code.BAD_CONSTANT, f"config `{cfg.name}`: `{b.name}` is a constant, not a "
                                   "model-value set; give an integer or `true`/`false`", self.span(b))
                        continue
                    if cfg.name == self.config_name:
                        self.const_bound[b.name] = (b.value, b)

        if self.config_name is not None and self.config_name not in self.configs:
            avail = ", ".join(f"`{c}`" for c in sorted(self.configs))
            msg = f"unknown config `{self.config_name}`" + self.did_you_mean(self.config_name, self.configs)
            msg += f"; available: {avail}" if avail else "; this spec declares no configs"
            self.error(Code.BAD_CONSTANT, msg, None)

        for name, value in self.given.items():
            g = self.globals.get(name)
            if g is None or g.kind not in ("models", "const"):
                if g is None:
                    msg = f"unknown constant `{name}`" + self.did_you_mean(name, constants)
                else:
                    msg = f"`{name}` is {_KIND_WORDS[g.kind]}, not a constant"
                if not constants:
                    msg += " (this spec declares no constants)"
                self.error(Code.BAD_CONSTANT, msg, None)
                continue
            if isinstance(value, str):
                self.error(Code.BAD_CONSTANT, f"constant `{name}`: got the text {value!r}; a constant takes a "
                           "value (an int, a bool, or for a model-value set a count or a tuple of "
                           "names), not text to parse", None)
                continue
            if g.kind == "models":
                names = self._model_value(name, value)
                if names is not None:
                    self.model_names[name] = names
            else:
                self.const_bound[name] = (value, None)  # checked once the constant's kind is known
        for name, names in self.model_names.items():
            self.models[name] = ModelT(name, names)

    def _model_value(self, name: str, value: Any) -> tuple[str, ...] | None:
        """The names of model-value set ``name`` bound to ``value`` by the caller (None after
        an error): a count of fresh values, or a tuple/list of distinct identifiers."""
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return self._fresh_names(name, value)
        if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
            bad = [v for v in value if not _IDENT.match(v)]
            if bad:
                self.error(Code.BAD_CONSTANT, f"constant `{name}`: {bad[0]!r} is not a valid model-value name", None)
                return None
            if len(set(value)) != len(value):
                self.error(Code.BAD_CONSTANT, f"constant `{name}`: a model value is repeated in {tuple(value)!r}", None)
                return None
            return tuple(value)
        self.error(Code.BAD_CONSTANT, f"constant `{name}` is a model-value set; expected a count (an int >= 0) "
                   f"or a tuple of names such as ('a', 'b'), got {value!r}", None)
        return None

    def _config_of(self, binding: ir.ConfigBinding) -> str:
        for c in self.configs.values():
            if binding in c.bindings:
                return c.name
        return "?"  # pragma: no cover

    def check_consts(self) -> None:
        for name, g in self.globals.items():
            if g.kind == "const":
                self.const_value(name, None)
        # the selected config was checked while binding; check the kinds in the others too
        for cfg in self.configs.values():
            if cfg.name == self.config_name:
                continue
            for b in cfg.bindings:
                kind = self.const_kind.get(b.name)
                g = self.globals.get(b.name)
                if kind is None or g is None or g.kind != "const" or isinstance(b.value, tuple):
                    continue
                if isinstance(b.value, bool) != (kind is bool):
                    want = "`true` or `false`" if kind is bool else "an integer"
                    shown = str(b.value).lower() if isinstance(b.value, bool) else str(b.value)
                    self.error(Code.BAD_CONSTANT, f"config `{cfg.name}`: `{b.name}` is "
                               f"{'a bool' if kind is bool else 'an int'} constant; expected {want}, "
                               f"got `{shown}`", b)

    def const_value(self, name: str, use: ir.Node | None):
        """The bound value of constant ``name`` (checking its declaration on first use)."""
        if name in self.const_values:
            return self.const_values[name]
        if name in self._const_stack:
            cycle = self._const_stack[self._const_stack.index(name):] + [name]
            self.error(Code.RECURSION, "constants defined in terms of each other: "
                       + " -> ".join(f"`{c}`" for c in cycle), use)
            raise _Abort
        decl: ir.ConstDecl = self.globals[name].decl
        self._const_stack.append(name)
        try:
            t, v = self.const_expr(decl.value, Code.TYPE_MISMATCH, f"the value of `{name}`")
        finally:
            self._const_stack.pop()
        if t is None:
            self.const_values[name] = None
            return None
        if not isinstance(t, (IntT, BoolT)):  # pragma: no cover - const_expr yields int/bool
            t = None
        kind = bool if isinstance(t, BoolT) else int
        self.const_kind[name] = kind
        if name in self.const_bound:
            bv, node = self.const_bound[name]
            if node is None:  # a value from the caller
                if not isinstance(bv, int) or isinstance(bv, bool) != (kind is bool):
                    want = "True or False" if kind is bool else "an int"
                    self.error(Code.BAD_CONSTANT, f"constant `{name}` is {'a bool' if kind is bool else 'an int'}; "
                               f"expected {want}, got {bv!r}", None)
                else:
                    v = bv
            elif isinstance(bv, bool) != (kind is bool):
                shown = str(bv).lower() if isinstance(bv, bool) else str(bv)
                want = "`true` or `false`" if kind is bool else "an integer"
                self.error(Code.BAD_CONSTANT, f"config `{self._config_of(node)}`: `{name}` is "
                           f"{'a bool' if kind is bool else 'an int'} constant; expected {want}, "
                           f"got `{shown}`", node)
            else:
                v = bv
        self.const_values[name] = v
        return v

    def const_expr(self, e: ir.Node, code: Code, what: str) -> tuple[Type | None, Any]:
        """Check and evaluate a constant expression (int or bool); (None, None) on error."""
        n = len(self.errors)
        try:
            t, v = self._const(e, code, what)
        except _Abort:
            self._mark_const_types(e)
            return None, None
        if len(self.errors) > n:
            return None, None
        return t, v

    def _mark_const_types(self, e) -> None:
        for sub in ir.walk_exprs(e):
            self.types.setdefault(sub.id, ERR)

    def _const(self, e, code, what):
        def fail(msg, node):
            self.error(code, msg, node)
            self._mark_const_types(e)
            raise _Abort

        if isinstance(e, ir.Lit):
            t = BOOL if isinstance(e.value, bool) else INT
            self.types[e.id] = t
            return t, e.value
        if isinstance(e, ir.Name):
            g = self.globals.get(e.name)
            if g is not None and g.kind == "const":
                self.refs[e.id] = Ref("const", e.name)
                v = self.const_value(e.name, e)
                if v is None:
                    raise _Abort
                t = BOOL if isinstance(v, bool) else INT
                self.types[e.id] = t
                return t, v
            if g is None and e.name not in _BUILTIN_TYPES:
                cands = [n for n, gg in self.globals.items() if gg.kind == "const"]
                code = Code.UNKNOWN_NAME
                fail(f"unknown name `{e.name}`" + self.did_you_mean(e.name, cands), e)
            fail(f"{what} must be a constant expression; `{e.name}` is not an int or bool constant", e)
        if isinstance(e, ir.Unary):
            t, v = self._const(e.arg, code, what)
            want = BOOL if e.op == "not" else INT
            if t != want:
                fail(f"`{e.op}` needs {want.show()}, found {t.show()}", e.arg)
            self.types[e.id] = want
            return want, (not v) if e.op == "not" else -v
        if isinstance(e, ir.Binary) and e.op not in ("in", "notin", "union", "intersect", "diff",
                                                     "subseteq", "++", ".."):
            lt, lv = self._const(e.left, code, what)
            rt, rv = self._const(e.right, code, what)
            op = e.op
            if op in ("+", "-", "*", "/", "%", "<", "<=", ">", ">="):
                for node, t in ((e.left, lt), (e.right, rt)):
                    if t != INT:
                        fail(f"`{op}` needs int operands, found {t.show()}", node)
                if op in ("/", "%") and rv == 0:
                    fail("division by zero in a constant expression", e.right)
                res = {"+": lambda: lv + rv, "-": lambda: lv - rv, "*": lambda: lv * rv,
                       "/": lambda: lv // rv, "%": lambda: lv % rv, "<": lambda: lv < rv,
                       "<=": lambda: lv <= rv, ">": lambda: lv > rv, ">=": lambda: lv >= rv}[op]()
                t = INT if op in "+-*/%" else BOOL
            elif op in ("==", "!="):
                if lt != rt:
                    fail(f"`{op}` compares {lt.show()} with {rt.show()}", e)
                res, t = (lv == rv) == (op == "=="), BOOL
            else:  # and or implies iff
                for node, tt in ((e.left, lt), (e.right, rt)):
                    if tt != BOOL:
                        fail(f"`{op}` needs bool operands, found {tt.show()}", node)
                res = {"and": lv and rv, "or": lv or rv, "implies": (not lv) or rv, "iff": lv == rv}[op]
                t = BOOL
            self.types[e.id] = t
            return t, res
        if isinstance(e, ir.If):
            ct, cv = self._const(e.cond, code, what)
            if ct != BOOL:
                fail(f"`if` condition: expected bool, found {ct.show()}", e.cond)
            at, av = self._const(e.then, code, what)
            bt, bv = self._const(e.else_, code, what)
            if at != bt:
                fail(f"`if` branches have different types: {at.show()} and {bt.show()}", e)
            self.types[e.id] = at
            return at, av if cv else bv
        fail(f"{what} must be a constant expression (literals, constants, arithmetic, "
             "comparisons, `and`/`or`/`not`, `if`)", e)

    def try_const(self, e) -> Any:
        """The value of ``e`` if it is a constant int expression (no diagnostics), else None."""
        if isinstance(e, ir.Lit) and not isinstance(e.value, bool):
            return e.value
        if isinstance(e, ir.Name):
            g = self.globals.get(e.name)
            if g is not None and g.kind == "const":
                v = self.const_values.get(e.name)
                return v if isinstance(v, int) and not isinstance(v, bool) else None
            return None
        if isinstance(e, ir.Unary) and e.op == "-":
            v = self.try_const(e.arg)
            return None if v is None else -v
        if isinstance(e, ir.Binary) and e.op in ("+", "-", "*", "/", "%"):
            a, b = self.try_const(e.left), self.try_const(e.right)
            if a is None or b is None or (e.op in "/%" and b == 0):
                return None
            return {"+": a + b, "-": a - b, "*": a * b, "/": a // b if b else 0,
                    "%": a % b if b else 0}[e.op]
        return None

    # ------------------------------------------------------------------ type expressions

    def type_names(self) -> list[str]:
        return list(_BUILTIN_TYPES) + [n for n, g in self.globals.items()
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
            self.error(Code.INVALID_TYPE, f"`{n}` is {_KIND_WORDS[g.kind]}, not a type", te)
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
            ctors.append(Constructor(c.name, args))
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

    def bind_local(self, ctx: _Ctx, name: str, t: Type, node: ir.Node | ir.Span | None) -> _Ctx:
        g = self.globals.get(name)
        if name in ctx.locals:
            self.error(Code.DUPLICATE, f"`{name}` is already bound here; choose another name", node)
        elif g is not None:
            self.error(Code.DUPLICATE, f"`{name}` shadows {_KIND_WORDS[g.kind]}; choose another name", node)
        elif name in _BUILTIN_TYPES:
            self.error(Code.DUPLICATE, f"`{name}` is a built-in type; choose another name", node)
        return ctx.bind(name, t)

    def value_names(self, ctx: _Ctx) -> list[str]:
        return list(ctx.locals) + list(self.globals) + ["bool"]

    def infer_name(self, e: ir.Name, ctx: _Ctx) -> Type:
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
            if n in BUILTINS:
                self.refs[e.id] = Ref("builtin", n)
                self.error(Code.ARITY, f"`{n}` is a built-in operator: call it, as in `{n}(...)`", e)
                return ERR
            self.refs[e.id] = Ref("local", n)  # unresolved; reported below
            self.error(Code.UNKNOWN_NAME, f"unknown name `{n}`" + self.did_you_mean(n, self.value_names(ctx)), e)
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
                self.error(Code.ARITY, f"`{n}` takes {_plural(len(d.params), 'argument')}; call it as "
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
                self.error(Code.ARITY, f"constructor `{n}` takes {_plural(len(c.args), 'argument')}: "
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
        ctx = _Ctx("def", prime_msg="cannot appear in an operator (`def`): operators read the "
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

    def infer(self, e, ctx: _Ctx) -> Type:
        t = self._infer(e, ctx)
        self.types[e.id] = t
        return t

    def check_bool(self, e, ctx: _Ctx, what: str) -> None:
        t = self.infer(e, ctx)
        self.expect(e, t, BOOL, what)

    def _infer(self, e, ctx: _Ctx) -> Type:
        if isinstance(e, ir.Lit):
            return BOOL if isinstance(e.value, bool) else INT
        if isinstance(e, ir.Name):
            return self.infer_name(e, ctx)
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
            inner = ctx
            for name, val in e.bindings:
                t = self.infer(val, inner)
                inner = self.bind_local(inner, name, t, self.span(e))
            return self.infer(e.body, inner)
        if isinstance(e, ir.Quant):
            inner = self.bind_binders(e.binders, ctx)
            self.check_bool(e.body, inner, f"the body of `{e.kind}`")
            return BOOL
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
            if not isinstance(bt, RecordT):
                self.error(Code.TYPE_MISMATCH, f"`.{e.name}` needs a record, found {self.show(bt)}", e)
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

    def infer_primed(self, e: ir.Primed, ctx: _Ctx) -> Type:
        g = self.globals.get(e.name)
        if g is None or g.kind != "var":
            if g is None and e.name not in ctx.locals:
                cands = [n for n, gg in self.globals.items() if gg.kind == "var"]
                self.error(Code.UNKNOWN_NAME, f"unknown variable `{e.name}`" + self.did_you_mean(e.name, cands), e)
            else:
                what = "a local name" if e.name in ctx.locals else _KIND_WORDS[g.kind]
                self.error(Code.PRIME_NOT_ALLOWED, f"only state variables can be primed: `{e.name}` is {what}", e)
            return ERR
        if not ctx.primes:
            self.error(Code.PRIME_NOT_ALLOWED, f"`{e.name}'` {ctx.prime_msg}", e)
        self.read_vars.add(e.name)
        return self.var_types.get(e.name, ERR)

    def join_elems(self, elems, ctx: _Ctx, what: str) -> Type:
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

    def bind_binders(self, binders, ctx: _Ctx) -> _Ctx:
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

    def bind_seq_binders(self, binders, ctx: _Ctx) -> _Ctx:
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

    def infer_binary(self, e: ir.Binary, ctx: _Ctx) -> Type:
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
                    self.error(Code.TYPE_MISMATCH, f"`{op}` tests a {self.show(lt)} against a {kind} of "
                               f"{self.show(r.elem)}", e)
                    self._poison(lt)
                    self._poison(r)
            elif not isinstance(r, ErrT):
                self.error(Code.TYPE_MISMATCH, f"`{op}` needs a set or a bag on the right, found {self.show(r)}",
                           e.right, hint="for a map, use `m.has(k)`" if isinstance(r, MapT) else None)
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
            hint = "model values are not numbers: they can only be compared with `==` / `!=`"
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

    def infer_record_update(self, e: ir.RecordUpdate, ctx: _Ctx) -> Type:
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

    def infer_funcomp(self, e: ir.FunComp, ctx: _Ctx) -> Type:
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

    def infer_index(self, e: ir.Index, ctx: _Ctx) -> Type:
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
                           f"{_plural(len(bt.elems), 'component')} (numbered from 1)", e.key)
                return ERR
            self.error(Code.TYPE_MISMATCH, "a tuple component is selected by a literal integer, as in `t[1]`",
                       e.key)
            return ERR
        hint = "use `.field` to read a record field" if isinstance(bt, RecordT) else None
        self.error(Code.TYPE_MISMATCH, f"cannot index a {self.show(bt)}", e, hint=hint)
        self._poison(kt)
        return ERR

    # ------------------------------------------------------------------ calls

    def infer_call(self, e: ir.Call, ctx: _Ctx) -> Type:
        n = e.func
        g = self.globals.get(n)
        if g is not None and g.kind == "def":
            self.refs[e.id] = Ref("def", n)
            d: ir.DefDecl = g.decl
            ats = [self.infer(a, ctx) for a in e.args]
            rt = self.def_type(n, e)
            if len(e.args) != len(d.params):
                self.error(Code.ARITY, _arity_msg(e, f"`{n}`", (len(d.params),)), e)
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
                    self.error(Code.ARITY, _arity_msg(e, f"constructor `{n}`", (len(c.args),)), e)
                return et
            for i, (a, at, pt) in enumerate(zip(e.args, ats, c.args), 1):
                self.expect(a, at, pt, f"argument {i} of `{n}`")
            return et
        if n in BUILTINS:
            self.refs[e.id] = Ref("builtin", n)
            ats = [self.infer(a, ctx) for a in e.args]
            arities = BUILTINS[n]
            if len(e.args) not in arities:
                self.error(Code.ARITY, _arity_msg(e, f"`{n}`", arities), e)
                self._poison_all(ats)
                return ERR
            return self.builtin(e, n, ats)
        self._poison_all([self.infer(a, ctx) for a in e.args])
        if g is not None or n in ctx.locals:
            what = "a local name" if n in ctx.locals else _KIND_WORDS[g.kind]
            self.refs[e.id] = Ref("local" if n in ctx.locals else g.kind, n)
            self.error(Code.TYPE_MISMATCH, f"`{n}` is {what}, not an operator: it cannot be called", e)
            return ERR
        self.refs[e.id] = Ref("builtin", n)  # unresolved; reported here
        cands = [k for k, gg in self.globals.items() if gg.kind in ("def", "ctor")] + list(BUILTINS)
        self.error(Code.UNKNOWN_NAME, f"unknown operator `{n}`" + self.did_you_mean(n, cands), e)
        return ERR

    def builtin(self, e: ir.Call, n: str, ats: list[Type]) -> Type:
        """The type of a call of built-in ``n`` (its rule is in :mod:`modelcheck.dsl.builtins`)."""
        if any(isinstance(self.resolve(t), ErrT) for t in ats):
            for t in ats:
                self._poison(t)
            return ERR
        return BUILTIN_TABLE[n].type_rule(TypeArgs(self, e, n, ats))

    # ------------------------------------------------------------------ blocks

    def check_init(self, init: ir.InitDecl) -> None:
        ctx = _Ctx("init", prime_msg="cannot appear in `init`: there is no next state yet")
        maybe, must = self.check_block(init.body, ctx, {}, frozenset(), init=True)
        if len(self.inits) > 1 and init is not self.inits[0]:
            return
        missing = [n for n in self.var_types if n not in must]
        if missing:
            never = [n for n in missing if n not in maybe]
            some = [n for n in missing if n in maybe]
            parts = []
            if never:
                parts.append(_names(never) + (" is" if len(never) == 1 else " are") + " never assigned")
            if some:
                parts.append(_names(some) + (" is" if len(some) == 1 else " are")
                             + " not assigned on every path")
            self.error(Code.INIT_INCOMPLETE, "`init` must assign every variable: " + "; ".join(parts),
                       self.head_span(init, 4))

    def check_action(self, a: ir.ActionDecl) -> None:
        ctx = _Ctx("action", prime_msg="cannot be read in an action: conditions and right-hand "
                   "sides see the current state")
        ctx = self.bind_binders(a.params, ctx)
        self.check_block(a.body, ctx, {}, frozenset(), init=False)
        if a.clauses:
            self.check_clauses(a, ctx)

    # ------------------------------------------------------------------ sequence-chart clauses

    def check_clauses(self, a: ir.ActionDecl, ctx: _Ctx) -> None:
        """``process(p)``, ``sends(m)``, ``receives(m)``, ``crashes``, ``restarts``: they
        see the action's parameters and the current state (no primes). Each kind but
        sends / receives at most once (MC290); ``crashes`` and ``restarts`` exclude each
        other (MC290) and need a ``process`` (MC291). Message types are compared across
        the spec once every action is checked (:meth:`check_messages`)."""
        ctx = _Ctx("action", dict(ctx.locals), prime_msg="cannot appear in a `process`, `sends` or "
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
                self.error(Code.MESSAGE_NEVER_SENT, f"action `{a.name}` receives a {self.show(mt)}, but no action sends "
                           f"one (the `sends` clauses send: {what})", c.value)

    def check_block(self, block: ir.Block, ctx: _Ctx, maybe: dict, must: frozenset, init: bool):
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

    def check_assign(self, s: ir.Assign, ctx: _Ctx, maybe: dict, must: frozenset, init: bool):
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
                self.error(Code.NOT_ASSIGNABLE, f"`{s.var}` is {_KIND_WORDS[g.kind]}, not a state variable: it "
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
            self.error(Code.TYPE_MISMATCH, f"cannot assign a {self.show(vt)} to `{s.var}` of type {self.show(t)}"
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
                       + ", ".join(f"[{c}]" for c in CLASSES) + " after its name", cls_span)
        elif p.cls not in CLASSES:
            dym = self.did_you_mean(p.cls, CLASSES)
            self.error(Code.PROPERTY_CLASS, f"unknown property class `{p.cls}`"
                       + (dym or "; use one of " + ", ".join(CLASSES)), cls_span)
        msgs = {
            "invariant": "cannot appear in an invariant, a state predicate; use a `step` property to "
                         "relate two states",
            "constraint": "cannot appear in a constraint, a state predicate",
            "temporal": "cannot appear in a temporal property",
        }
        ctx = _Ctx(p.kind, primes=p.kind == "step", temporal=p.kind == "temporal",
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

    def check_fairness(self) -> None:
        for f in self.fair_items:
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
                    msg = f"`symmetry` needs a model-value set, but `{s.name}` is {_KIND_WORDS[g.kind]}"
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
                what, example = _describe_origin(origin)
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


def _describe_origin(node) -> tuple[str, tuple[str, str] | None]:
    """What an unresolved type variable belongs to, and an example fixing it."""
    if isinstance(node, ir.SetLit) and not node.elems:
        return "the element type of `{}`", ("s", "{}")
    if isinstance(node, ir.SeqLit) and not node.elems:
        return "the element type of `[]`", ("s", "[]")
    if isinstance(node, ir.Call) and node.func == "map" and not node.args:
        return "the key and value types of `map()`", ("m", "map()")
    if isinstance(node, ir.Call) and node.func == "bag" and not node.args:
        return "the element type of `bag()`", ("b", "bag()")
    return "the type of this expression", None


def _arity_msg(e: ir.Call, what: str, arities: tuple[int, ...]) -> str:
    """``f takes 2 arguments, got 3``; for method calls ``x.f(...)`` the receiver is not counted."""
    got = len(e.args)
    if e.method:
        arities = tuple(a - 1 for a in arities if a >= 1)
        got -= 1
        what = "method " + what
    if not arities:
        return f"{what} cannot be called as a method"
    want = " or ".join(str(a) for a in arities)
    return f"{what} takes {want} argument{'' if arities == (1,) else 's'}, got {got}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(ns) -> str:
    return ", ".join(f"`{n}`" for n in ns)
