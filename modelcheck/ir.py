"""The intermediate representation of a spec: frozen nodes produced by the parser.

Every node carries a unique ``id`` (unique within one parsed module). Source spans live
in a side table, ``Module.spans[id]``; the checker adds its own side tables keyed by the
same ids (the type of every expression, what every name resolves to), so the tree itself
never changes after parsing.

This module also holds the one traversal of the tree (:func:`children`, :func:`walk`);
the checker, the compiler and the explainer all use it rather than walkers of their own.

Depends on nothing else in the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Iterator


@dataclass(frozen=True, slots=True)
class Span:
    """A source range: 1-based line and column of the start, and of the end (exclusive)."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int


class Node:
    __slots__ = ()
    id: int


# --------------------------------------------------------------------------- types (syntax)


@dataclass(frozen=True, slots=True)
class TName(Node):
    """A named type: ``bool``, ``int``, a model set, an enum or an alias."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class TRange(Node):
    """``lo..hi`` with constant expressions."""

    id: int
    lo: "Expr"
    hi: "Expr"


@dataclass(frozen=True, slots=True)
class TApp(Node):
    """``set[T]``, ``map[K, V]``, ``seq[T]``, ``seq[T, N]``, ``bag[T]``.

    For ``seq[T, N]`` the bound ``N`` is an expression (a constant) in ``bound``.
    """

    id: int
    name: str
    args: tuple["TypeExpr", ...]
    bound: "Expr | None" = None


@dataclass(frozen=True, slots=True)
class TFun(Node):
    id: int
    dom: "TypeExpr"
    cod: "TypeExpr"


@dataclass(frozen=True, slots=True)
class TTuple(Node):
    id: int
    elems: tuple["TypeExpr", ...]


@dataclass(frozen=True, slots=True)
class TRecord(Node):
    id: int
    fields: tuple[tuple[str, "TypeExpr"], ...]


TypeExpr = TName | TRange | TApp | TFun | TTuple | TRecord


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Lit(Node):
    """``true``, ``false`` or an integer literal."""

    id: int
    value: bool | int


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A name: variable, constant, parameter, bound variable, operator, constructor, type-as-set."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Primed(Node):
    """``x'``: a state variable in the next state, or a 0-ary def evaluated there."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class CtorTest(Node):
    """Whether ``expr`` (a sum type's value) was built with constructor ``ctor``: made by
    the parser for a pattern ``pick C(x, y) in S`` (never written in a spec); ``arity``
    is the number of names the pattern gives, checked against the constructor's."""

    id: int
    expr: "Expr"
    ctor: str
    arity: int


@dataclass(frozen=True, slots=True)
class CtorArg(Node):
    """Argument ``index`` (from 1) of ``expr``, a value built with ``ctor``: what a
    pattern's name is bound to (made by the parser, as :class:`CtorTest`)."""

    id: int
    expr: "Expr"
    ctor: str
    index: int
    arity: int


@dataclass(frozen=True, slots=True)
class Match(Node):
    """``match m { C1(a, b) => e1, C2 => e2, _ => e3 }``: ``arms`` are ``(constructor,
    argument names, body)``, constructor None for ``_``; the first arm that fits is taken."""

    id: int
    subject: "Expr"
    arms: tuple


@dataclass(frozen=True, slots=True)
class Prime(Node):
    """``f(a, b)'``: a call of a def evaluated in the next state (every variable it reads,
    its arguments' included, primed: TLA+'s prime of an expression)."""

    id: int
    expr: "Expr"


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """``op`` is ``"not"`` or ``"-"``."""

    id: int
    op: str
    arg: "Expr"


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """``op`` is one of: ``+ - * / % == != < <= > >= and or implies iff in notin
    union intersect diff subseteq ++ ..``."""

    id: int
    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class If(Node):
    id: int
    cond: "Expr"
    then: "Expr"
    else_: "Expr"


@dataclass(frozen=True, slots=True)
class Let(Node):
    """``let x = e, y = f in body`` (each binding sees the earlier ones)."""

    id: int
    bindings: tuple[tuple[str, "Expr"], ...]
    body: "Expr"


@dataclass(frozen=True, slots=True)
class Binder(Node):
    """``x in S`` in a quantifier, comprehension, ``pick`` or action parameter list.

    ``exists x, y in S`` produces two binders sharing the domain expression."""

    id: int
    name: str
    domain: "Expr"


@dataclass(frozen=True, slots=True)
class Quant(Node):
    """``forall`` / ``exists`` over one or more binders (nested, left to right), or
    ``choose`` (one binder: the first value of its domain for which the body holds)."""

    id: int
    kind: str
    binders: tuple[Binder, ...]
    body: "Expr"


@dataclass(frozen=True, slots=True)
class SetLit(Node):
    id: int
    elems: tuple["Expr", ...]


@dataclass(frozen=True, slots=True)
class SeqLit(Node):
    id: int
    elems: tuple["Expr", ...]


@dataclass(frozen=True, slots=True)
class TupleLit(Node):
    id: int
    elems: tuple["Expr", ...]


@dataclass(frozen=True, slots=True)
class RecordLit(Node):
    id: int
    fields: tuple[tuple[str, "Expr"], ...]


@dataclass(frozen=True, slots=True)
class RecordUpdate(Node):
    """``{ ...base, f: e, g: e2 }``."""

    id: int
    base: "Expr"
    fields: tuple[tuple[str, "Expr"], ...]


@dataclass(frozen=True, slots=True)
class SetComp(Node):
    """``{ elem for x in S, y in T if cond }`` (``cond`` may be None)."""

    id: int
    elem: "Expr"
    binders: tuple[Binder, ...]
    cond: "Expr | None"


@dataclass(frozen=True, slots=True)
class SeqComp(Node):
    """``[ elem for x in s if cond ]``: ``s`` a sequence (iterated in order) or a set of
    integers (iterated in ascending order); several binders nest left to right."""

    id: int
    elem: "Expr"
    binders: tuple[Binder, ...]
    cond: "Expr | None"


@dataclass(frozen=True, slots=True)
class FunComp(Node):
    """``{ key: value for x in S if cond }``.

    The checker decides between a total function (``FunT``) and a map (``MapT``): a total
    function when there is one binder, no condition, ``key`` is that binder's name, and the
    domain is a whole indexable type (a model set name, a plain enum name, a literal range).
    """

    id: int
    key: "Expr"
    value: "Expr"
    binders: tuple[Binder, ...]
    cond: "Expr | None"


@dataclass(frozen=True, slots=True)
class Call(Node):
    """``f(a, b)``, and method sugar ``a.f(b)`` (parsed as ``f(a, b)`` with ``method=True``).

    ``f`` is a user operator, a built-in, or a constructor."""

    id: int
    func: str
    args: tuple["Expr", ...]
    method: bool = False


@dataclass(frozen=True, slots=True)
class Index(Node):
    """``base[key]``: function/map lookup, sequence index (1-based), tuple component."""

    id: int
    base: "Expr"
    key: "Expr"


@dataclass(frozen=True, slots=True)
class Field(Node):
    id: int
    base: "Expr"
    name: str


@dataclass(frozen=True, slots=True)
class Temporal(Node):
    """A temporal formula: ``op`` is ``"eventually"``, ``"always"``, ``"leadsto"``,
    ``"reachable"``; ``args`` has one formula (two for ``leadsto``)."""

    id: int
    op: str
    args: tuple["Expr", ...]


Expr = (
    Lit | Name | Primed | Prime | CtorTest | CtorArg | Match | Unary | Binary | If | Let | Quant | SetLit | SeqLit | TupleLit | RecordLit
    | RecordUpdate | SetComp | SeqComp | FunComp | Call | Index | Field | Temporal
)


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Require(Node):
    id: int
    cond: Expr


@dataclass(frozen=True, slots=True)
class LetStmt(Node):
    id: int
    name: str
    value: Expr


@dataclass(frozen=True, slots=True)
class Pick(Node):
    id: int
    binder: Binder


@dataclass(frozen=True, slots=True)
class Either(Node):
    id: int
    branches: tuple["Block", ...]


@dataclass(frozen=True, slots=True)
class IfStmt(Node):
    """``if c { then } else { else_ }``; ``else_`` is an empty block when absent."""

    id: int
    cond: Expr
    then: "Block"
    else_: "Block"


@dataclass(frozen=True, slots=True)
class Assign(Node):
    """``x' = e`` in an action (``primed=True``), ``x = e`` in ``init``."""

    id: int
    var: str
    value: Expr
    primed: bool


@dataclass(frozen=True, slots=True)
class Assert(Node):
    id: int
    cond: Expr
    message: str | None


Stmt = Require | LetStmt | Pick | Either | IfStmt | Assign | Assert


@dataclass(frozen=True, slots=True)
class Block(Node):
    id: int
    stmts: tuple[Stmt, ...]


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class ModelsDecl(Node):
    """``models RM = {r1, r2}``."""

    id: int
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SymmetryDecl(Node):
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ConstDecl(Node):
    """``const N = 3``; ``value`` is a constant expression (int or bool)."""

    id: int
    name: str
    value: Expr


@dataclass(frozen=True, slots=True)
class CtorDecl(Node):
    id: int
    name: str
    args: tuple[TypeExpr, ...]
    #: the arguments' names (None for an unnamed one): `m.bal` reads a named argument
    fields: tuple = ()


@dataclass(frozen=True, slots=True)
class EnumDecl(Node):
    id: int
    name: str
    ctors: tuple[CtorDecl, ...]


@dataclass(frozen=True, slots=True)
class TypeDecl(Node):
    """``type T = <type>``: an alias."""

    id: int
    name: str
    type: TypeExpr


@dataclass(frozen=True, slots=True)
class VarDecl(Node):
    id: int
    name: str
    type: TypeExpr


@dataclass(frozen=True, slots=True)
class Param(Node):
    """A typed operator parameter ``p: T``."""

    id: int
    name: str
    type: TypeExpr


@dataclass(frozen=True, slots=True)
class DefDecl(Node):
    id: int
    name: str
    params: tuple[Param, ...]
    body: Expr


@dataclass(frozen=True, slots=True)
class InitDecl(Node):
    id: int
    body: Block


@dataclass(frozen=True, slots=True)
class ActionClause(Node):
    """A sequence-chart clause of an action header (docs/language.md, "Processes and
    messages"): ``kind`` is ``"process"`` (``value`` the process expression, or ``name``
    for a string such as ``process "TM"``), ``"sends"`` / ``"receives"`` (``value`` one
    message expression; a clause listing several gives one node each), ``"crashes"`` or
    ``"restarts"`` (no value)."""

    id: int
    kind: str
    value: "Expr | None" = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ActionDecl(Node):
    id: int
    name: str
    params: tuple[Binder, ...]
    body: Block
    #: sequence-chart clauses, in source order (they do not change the action's meaning)
    clauses: tuple[ActionClause, ...] = ()


@dataclass(frozen=True, slots=True)
class PropertyDecl(Node):
    """``kind`` is ``"invariant"``, ``"step"``, ``"constraint"`` or ``"temporal"``.

    ``cls`` is the class tag (``None`` for constraints, or when missing: an error MC240
    for the other kinds); ``cls_id`` is the node id whose span covers the tag (or the name)."""

    id: int
    kind: str
    name: str
    cls: str | None
    body: Expr
    cls_id: int


@dataclass(frozen=True, slots=True)
class FairnessItem(Node):
    """``weak A`` / ``strong A(*)``: ``per_instance`` is True for ``A(*)``. A group
    ``weak (A(p) or B(p))`` has ``members`` ((action, key parameter names), ...) and its
    text as ``action``; it is per instance when the members name keys."""

    id: int
    strength: str
    action: str
    per_instance: bool
    members: tuple = ()


@dataclass(frozen=True, slots=True)
class FairnessDecl(Node):
    id: int
    items: tuple[FairnessItem, ...]


@dataclass(frozen=True, slots=True)
class ConfigBinding(Node):
    """``X = 5``, ``X = {a, b}`` (fresh model values), ``X = true``.

    ``value`` is an int, a bool, or a tuple of model-value names."""

    id: int
    name: str
    value: int | bool | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConfigDecl(Node):
    id: int
    name: str
    bindings: tuple[ConfigBinding, ...]


@dataclass(frozen=True, slots=True)
class OptionsDecl(Node):
    """``options { deadlock = false }``: how the spec is checked by default."""

    id: int
    bindings: tuple[ConfigBinding, ...]


@dataclass(frozen=True, slots=True)
class IncludeDecl(Node):
    """``import "f.mc"`` (``kind`` "import": f's models, constants, enums, types and defs)
    or ``extends "f.mc"`` (``kind`` "extends": every declaration of f). The path is
    relative to the including file. dsl/modules.py resolves them before checking."""

    id: int
    kind: str
    path: str


Decl = (
    ModelsDecl | SymmetryDecl | ConstDecl | EnumDecl | TypeDecl | VarDecl | DefDecl | InitDecl
    | ActionDecl | PropertyDecl | FairnessDecl | ConfigDecl | OptionsDecl | IncludeDecl
)


@dataclass(frozen=True, slots=True)
class Module(Node):
    id: int
    name: str
    decls: tuple[Decl, ...]
    source: str = field(repr=False, default="")
    file: str = ""
    spans: dict = field(repr=False, compare=False, hash=False, default_factory=dict)
    #: the text of every file the module's declarations come from (``import`` /
    #: ``extends``), by file name: read spans through :func:`source_of`
    sources: dict = field(repr=False, compare=False, hash=False, default_factory=dict)


def source_of(module: "Module", file: str | None) -> str:
    """The text of ``file``, one of the files ``module``'s spans name."""
    if file is not None and file != module.file:
        return module.sources.get(file, "")
    return module.source


def all_sources(module: "Module"):
    """What a :class:`~modelcheck.diagnostics.SpecError` needs for carets: the module's
    text, or every file's by name when it includes others."""
    return {module.file: module.source, **module.sources} if module.sources else module.source


# --------------------------------------------------------------------------- traversal

#: The expression node classes (what :func:`walk_exprs` yields).
EXPRESSIONS = (Lit, Name, Primed, Prime, CtorTest, CtorArg, Match, Unary, Binary, If, Let, Quant, SetLit, SeqLit, TupleLit,
               RecordLit, RecordUpdate, SetComp, SeqComp, FunComp, Call, Index, Field, Temporal)


def children(node: Node) -> Iterator[Node]:
    """The IR nodes directly inside ``node``, in field order (nodes inside a field that is a
    tuple, or a tuple of pairs such as a record's fields, included)."""
    for f in fields(node):
        v = getattr(node, f.name)
        if isinstance(v, Node):
            yield v
        elif isinstance(v, tuple):
            for x in v:
                if isinstance(x, Node):
                    yield x
                elif isinstance(x, tuple):
                    for y in x:
                        if isinstance(y, Node):
                            yield y


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (inclusive), depth first, in source order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(children(n))))


def walk_exprs(node: Node) -> Iterator[Node]:
    """Every expression node under ``node`` (inclusive), in :func:`walk`'s order."""
    return (n for n in walk(node) if isinstance(n, EXPRESSIONS))
