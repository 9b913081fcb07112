"""What every phase of the static checker shares (see :mod:`modelcheck.dsl.check`).

:class:`CheckerCore` holds the checker's state (the side tables every phase fills: types,
name resolutions, constants, declarations) and reports diagnostics; the phases are mixins
over it: :mod:`modelcheck.dsl.constants` (binding models, constants and configs),
:mod:`modelcheck.dsl.infer` (type expressions, names and type inference, with
unification) and :mod:`modelcheck.dsl.rules` (primes, one update per variable, clauses,
properties, fairness, symmetry, unused variables). :mod:`modelcheck.dsl.check` assembles
them and drives the phases in order. Also here: the poison type ``ERR``, the checking
context :class:`Ctx` and small message helpers.

Depends on :mod:`modelcheck.ir`, :mod:`modelcheck.types`, :mod:`modelcheck.diagnostics`
and :mod:`modelcheck.dsl.checked`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from .. import ir
from ..diagnostics import Code, Diagnostic
from ..types import EnumT, ModelT, Type
from .checked import Ref


BUILTIN_TYPES = ("bool", "int")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True, slots=True)
class ErrT(Type):
    """The poison type of an expression that already has an error: unifies with anything."""

    def show(self) -> str:
        return "?"


ERR = ErrT()


class Abort(Exception):
    """Internal: a constant expression that cannot be evaluated (already reported)."""


# --------------------------------------------------------------------------- contexts


@dataclass
class Ctx:
    """Where an expression is checked."""

    where: str  # def | init | action | invariant | step | constraint | temporal
    locals: dict[str, Type] = field(default_factory=dict)
    primes: bool = False
    temporal: bool = False
    prime_msg: str = ""
    #: shared, mutable: set to True when a temporal operator is seen
    saw_temporal: list = field(default_factory=lambda: [False])

    def bind(self, name: str, t: Type) -> "Ctx":
        loc = dict(self.locals)
        loc[name] = t
        return Ctx(self.where, loc, self.primes, self.temporal, self.prime_msg, self.saw_temporal)

    def copy(self) -> "Ctx":
        return Ctx(self.where, dict(self.locals), self.primes, self.temporal, self.prime_msg,
                    self.saw_temporal)


@dataclass
class Global:
    kind: str  # models | const | enum | alias | var | def | ctor
    decl: ir.Node
    enum: str | None = None  # for ctors: the enum's name


KIND_WORDS = {
    "models": "a model-value set", "const": "a constant", "enum": "an enum type",
    "alias": "a type alias", "var": "a state variable", "def": "an operator",
    "ctor": "an enum constructor",
}


# --------------------------------------------------------------------------- the checker


class CheckerCore:
    """The checker's state (every side table the phases fill) and its diagnostics."""

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

        self.globals: dict[str, Global] = {}
        self.actions: dict[str, ir.ActionDecl] = {}
        self.props: list[ir.PropertyDecl] = []
        self.configs: dict[str, ir.ConfigDecl] = {}
        self.options: list[ir.OptionsDecl] = []
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
        #: ids of the bodies of `let ... in body` (an error there may be a misplaced `in`)
        self.let_bodies: set[int] = set()
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

    def is_symmetric(self, models_name: str) -> bool:
        """Whether the model-value set ``models_name`` is declared ``symmetry``."""
        return any(s.name == models_name for s in self.symmetry)

    @staticmethod
    def _starts_of(src: str) -> list[int]:
        return [0] + [i + 1 for i, ch in enumerate(src) if ch == "\n"]

    def name_span(self, node: ir.Node, name: str) -> ir.Span | None:
        """The span of ``name`` inside the first line of ``node`` (a declaration's name)."""
        sp = self.span(node)
        if sp is None:
            return None
        src = ir.source_of(self.m, sp.file)
        starts = self._line_starts if src is self.m.source else self._starts_of(src)
        if sp.line - 1 >= len(starts):
            return sp
        start = starts[sp.line - 1] + sp.col - 1
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


# --------------------------------------------------------------------------- helpers


def describe_origin(node) -> tuple[str, tuple[str, str] | None]:
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


def arity_msg(e: ir.Call, what: str, arities: tuple[int, ...]) -> str:
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


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def names_list(ns) -> str:
    return ", ".join(f"`{n}`" for n in ns)
