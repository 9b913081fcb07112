"""Text -> IR: the parser of the spec language.

``parse(text, file)`` runs the LALR grammar in ``grammar.lark`` and turns the tree into
frozen :mod:`modelcheck.ir` nodes, numbering them in creation order and recording each
node's source span in ``Module.spans``. Syntax errors become ``MC100`` diagnostics; after
an error the parser resumes at the next line that starts with a declaration keyword, so
one bad declaration does not hide errors in the following ones.

Depends on :mod:`modelcheck.ir` and :mod:`modelcheck.diagnostics` (and lark).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import PatternStr

from .. import ir
from ..diagnostics import Code, Diagnostic, SpecError
from .builtins import FUN_SET

__all__ = ["parse", "KEYWORDS"]

#: Reserved words (docs/language.md). ``init`` is also usable as a name (an enum
#: constructor, say): the contextual lexer tells the two apart.
KEYWORDS = frozenset(
    """module models symmetry const enum type var def init action require pick either or
    if then else let in notin forall exists and or not implies iff union intersect diff subseteq
    invariant step constraint temporal fairness weak strong config assert true false for
    eventually always reachable choose match""".split()
)
_NAME_OK = frozenset({"init"})
#: Keywords that are also built-in operators: as a name they are allowed right before `(`.
_CALLABLE_KEYWORDS = frozenset({"union", "intersect", "diff", "subseteq"})

_local = threading.local()


def _keyword_guard(tok: Token) -> Token:
    """Lexer callback for NAME tokens.

    The contextual lexer turns a keyword into a NAME wherever the keyword itself cannot
    occur; give it back its keyword type so the parser reports "unexpected keyword" there
    (``init`` stays a name; ``union(S, T)`` and ``S.union(T)`` call the built-ins).
    """
    v = tok.value
    if v in KEYWORDS and v not in _NAME_OK:
        if v in _CALLABLE_KEYWORDS:
            text = getattr(_local, "text", "")
            if text[tok.end_pos:tok.end_pos + 200].lstrip().startswith("("):
                return tok
        kw = _KEYWORD_TERMINAL.get(v)
        if kw is not None:
            tok.type = kw
    return tok


_GRAMMAR = Path(__file__).with_name("grammar.lark").read_text()
_PARSER = Lark(
    _GRAMMAR,
    parser="lalr",
    lexer="contextual",
    propagate_positions=True,
    start=["module", "decls", "expr"],  # expr: a lone expression (parse_expression)
    maybe_placeholders=False,
    lexer_callbacks={"NAME": _keyword_guard},
    cache=True,  # the LALR tables, in the temp directory keyed by grammar and options (0.7 s saved)
)


def _run(text: str, start: str):
    _local.text = text
    try:
        return _PARSER.parse(text, start=start)
    finally:
        _local.text = ""

_DECL_KEYWORDS = (
    "module models symmetry const enum type var def init action invariant step constraint "
    "temporal fairness config options import extends"
).split()
_DECL_START = re.compile(r"^(?:" + "|".join(_DECL_KEYWORDS) + r")\b", re.M)

_MAX_SYNTAX_ERRORS = 20


# --------------------------------------------------------------------------- entry point


def parse(text: str, file: str = "<spec>", first_id: int = 0) -> ir.Module:
    """Parse a spec into an :class:`ir.Module`; raise :class:`SpecError` (MC100) on syntax
    errors. Node ids start at ``first_id`` (an included file's must not collide)."""
    tree, diags = _parse_tree(text, file)
    if diags:
        raise SpecError(diags, source=text)
    builder = _Builder(file, text)
    builder._next = first_id
    try:
        module = builder.transform(tree)
    except VisitError as e:  # pragma: no cover - a bug in the builder, surfaced clearly
        if isinstance(e.orig_exc, RecursionError):
            raise SpecError([Diagnostic(Code.SYNTAX, "the spec is nested too deeply",
                                        deepest_point(text, file))], source=text) from None
        raise e.orig_exc from None
    except RecursionError:
        raise SpecError([Diagnostic(Code.SYNTAX, "the spec is nested too deeply", deepest_point(text, file))],
                        source=text) from None
    if builder.errors:
        raise SpecError(sorted(builder.errors, key=_diag_key), source=text)
    return module


def parse_expression(text: str, file: str = "<expr>", first_id: int = 10**9) -> tuple[ir.Node, dict]:
    """Parse one expression (``modelcheck graph --view EXPR``): ``(node, spans)``. Node
    ids start at ``first_id`` so they do not collide with a module's; spans name
    ``file`` and count lines and columns in ``text``. Raises :class:`SpecError` (MC100)."""
    try:
        tree = _run(text, "expr")
    except UnexpectedInput as e:
        raise SpecError([_diagnostic(e, file)], source=text) from None
    except RecursionError:
        raise SpecError([Diagnostic(Code.SYNTAX, "the expression is nested too deeply")], source=text) from None
    builder = _Builder(file, text)
    builder._next = first_id
    try:
        node = builder.transform(tree)
    except VisitError as e:  # pragma: no cover - a bug in the builder, surfaced clearly
        raise e.orig_exc from None
    if builder.errors:
        raise SpecError(sorted(builder.errors, key=_diag_key), source=text)
    return node, builder.spans


def deepest_point(text: str, file: str) -> ir.Span | None:
    """Where ``text`` nests deepest (the start of its deepest parse-tree node), for the
    "nested too deeply" error of a spec the checker or the compiler cannot follow. An
    iterative walk: the tree may be deeper than Python's recursion limit."""
    try:
        tree = _run(text, "module")
    except Exception:  # noqa: BLE001 - only a location is wanted; none if it does not parse
        return None
    best, where = 0, None
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, Tree):
            # the first node 100 levels down (where the nesting grows beyond what is
            # supported), else the deepest
            if not node.meta.empty and (d > best if best < 100 else False):
                best, where = d, node.meta
            stack.extend((c, d + 1) for c in reversed(node.children))
    if where is None:
        return None
    return ir.Span(file, where.line, where.column, where.line, where.column + 1)


def _diag_key(d: Diagnostic):
    s = d.span
    return (0, 0, 0) if s is None else (1, s.line, s.col)


# --------------------------------------------------------------------------- syntax errors


def _parse_tree(text: str, file: str):
    """Parse ``text``: ``(tree, [])`` when it is well formed, else ``(None, every syntax error)``.

    After an error, parsing resumes (with the ``decls`` start rule) at the next line that
    begins with a declaration keyword in column 1; the text before it is blanked out so
    line and column numbers stay right.
    """
    try:
        return _run(text, "module"), []
    except UnexpectedInput as e:
        first = e
    except RecursionError:
        return None, [Diagnostic(Code.SYNTAX, "the spec is nested too deeply", None)]

    starts = _decl_starts(text)
    diags: list[Diagnostic] = []
    seen: set[tuple[int, int]] = set()
    err: UnexpectedInput | None = first
    pos, start = 0, "module"
    while err is not None and len(diags) < _MAX_SYNTAX_ERRORS:
        d = _diagnostic(err, file)
        key = (d.span.line, d.span.col) if d.span else (0, 0)
        if key not in seen:
            seen.add(key)
            diags.append(d)
        if isinstance(err, UnexpectedToken) and err.token.type == "$END":
            break
        off = _error_offset(err, text)
        nxt = [s for s in starts if s >= off and not (s == pos and start == "decls")]
        if not nxt:
            break
        pos, start = nxt[0], "decls"
        blanked = re.sub(r"[^\n]", " ", text[:pos]) + text[pos:]
        try:
            _run(blanked, "decls")
            err = None
        except UnexpectedInput as e2:
            err = e2
        except RecursionError:
            break
    diags.sort(key=_diag_key)
    return None, diags


def _error_offset(err: UnexpectedInput, text: str) -> int:
    if isinstance(err, UnexpectedToken):
        p = getattr(err.token, "start_pos", None)
    else:
        p = err.pos_in_stream
    return p if isinstance(p, int) else len(text)


def _decl_starts(text: str) -> list[int]:
    """Offsets of lines starting (column 1) with a declaration keyword, outside comments."""
    dead = _comment_ranges(text)
    out = []
    for m in _DECL_START.finditer(text):
        if not any(a <= m.start() < b for a, b in dead):
            out.append(m.start())
    return out


def _comment_ranges(text: str) -> list[tuple[int, int]]:
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append((i, j))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append((i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            out.append((i, j + 1))
            i = j + 1
        else:
            i += 1
    return out


_TERMINALS = {t.name: t for t in _PARSER.terminals}
_LITERAL = {n: t.pattern.value for n, t in _TERMINALS.items() if isinstance(t.pattern, PatternStr)}
_KEYWORD_TERMINAL = {v: n for n, v in _LITERAL.items() if v in KEYWORDS}
assert _KEYWORD_TERMINAL.keys() == KEYWORDS, KEYWORDS - _KEYWORD_TERMINAL.keys()
_REGEX_NAMES = {"NAME": "a name", "INT": "an integer", "STRING": "a string", "$END": "end of file"}

_EXPR_START = {"true", "false", "(", "[", "{", "-", "not", "if", "let", "forall", "exists", "choose", "match",
               "eventually", "always", "reachable", "NAME", "INT"}
_OPERATORS = {"implies", "iff", "~>", "or", "and", "==", "!=", "<", "<=", ">", ">=", "subseteq",
              "in", "notin", "union", "diff", "++", "intersect", "..", "+", "-", "*", "/", "%",
              "[", ".", "'", "("}
_STMT_START = {"require", "let", "pick", "either", "if", "assert", "NAME"}
_DECL_START_SET = set(_DECL_KEYWORDS) - {"module"}


def _key(term: str) -> str:
    """A terminal name as its literal text (keywords, punctuation) or its regex name."""
    return _LITERAL.get(term, term)


def _describe_expected(terms: set[str]) -> str:
    keys = {_key(t) for t in terms}
    cats: list[str] = []
    if {"models", "var", "action", "invariant"} <= keys:
        keys -= _DECL_START_SET | {";"}
        cats.append("a declaration")
    if {"require", "pick", "either", "assert"} <= keys:
        keys -= _STMT_START | {";"}
        cats.append("a statement")
    if {"NAME", "INT", "(", "{"} <= keys:
        keys -= _EXPR_START
        cats.append("an expression")
    if len(keys & _OPERATORS) >= 4:
        keys -= _OPERATORS
        cats.append("an operator")
    end = "$END" in keys
    keys.discard("$END")
    words = sorted(f"`{k}`" for k in keys if k not in _REGEX_NAMES)
    words += sorted(_REGEX_NAMES[k] for k in keys if k in _REGEX_NAMES)
    words += cats
    if end:
        words.append("end of file")
    if not words:
        return ""
    if len(words) == 1:
        return f"expected {words[0]}"
    return "expected one of: " + ", ".join(words)


def _describe_token(tok: Token) -> str:
    v = str(tok)
    if tok.type == "NAME":
        return f"name `{v}`"
    if tok.type == "INT":
        return f"integer `{v}`"
    if tok.type == "STRING":
        return f"string {v}"
    if v[:1].isalpha():
        return f"keyword `{v}`"
    return f"`{v}`"


def _diagnostic(err: UnexpectedInput, file: str) -> Diagnostic:
    hint = None
    if isinstance(err, UnexpectedToken):
        tok = err.token
        try:
            expected = err.accepts or err.expected
        except Exception:  # pragma: no cover - lark internals; fall back to the state's set
            expected = err.expected
        expected = set(expected or ())
        if tok.type == "$END":
            line = getattr(tok, "end_line", None) or 1
            col = getattr(tok, "end_column", None) or 1
            span = ir.Span(file, line, col, line, col + 1)
            what = "unexpected end of file"
        else:
            span = ir.Span(file, tok.line, tok.column, tok.end_line, tok.end_column)
            what = f"unexpected {_describe_token(tok)}"
            keys = {_key(t) for t in expected}
            v = str(tok)
            if v in ("forall", "exists", "choose", "if", "let") and {"NAME", "("} <= keys:
                hint = f"`{v}` extends as far as possible: put it in parentheses here, as in `({v} ...)`"
            elif v == "=" and "==" in keys:
                hint = "use `==` to compare; `=` only assigns (`x' = e`) and binds (`let x = e`)"
            elif v == "=" and "'" in keys and "[" in keys:
                hint = "a part of a variable is assigned in an action, primed: `f[k]' = e`, `r.field' = e`"
        exp = _describe_expected(expected)
        msg = f"{what}; {exp}" if exp else what
        return Diagnostic(Code.SYNTAX, msg, span, hint=hint)
    if isinstance(err, UnexpectedCharacters):
        ch = err.char
        span = ir.Span(file, err.line, err.column, err.line, err.column + 1)
        if ch == '"':
            msg = "unexpected string: a string literal is only allowed as an `assert` message"
        else:
            shown = repr(ch)[1:-1] if not ch.isprintable() else ch
            msg = f"unexpected character `{shown}`"
        return Diagnostic(Code.SYNTAX, msg, span)
    line = getattr(err, "line", 1) or 1
    col = getattr(err, "column", 1) or 1
    return Diagnostic(Code.SYNTAX, "syntax error", ir.Span(file, line, col, line, col + 1))


# --------------------------------------------------------------------------- tree -> IR


class _Params(tuple):
    """Marker: an optional parameter list (distinguishes it from expression children)."""


class _Binders(tuple):
    pass


class _Args(tuple):
    pass


class _Stmts(tuple):
    """Several statements made from one (a pattern pick: the pick, then its lets)."""


class _Pattern:
    """``C(x, y) in S`` in a binder list: desugared by the construct that holds it."""

    __slots__ = ("ctor", "names", "domain", "where")

    def __init__(self, ctor, names, domain, where):
        self.ctor, self.names, self.domain, self.where = ctor, names, domain, where


class _CompTail(tuple):
    pass


class _Clauses(tuple):
    """Marker: the sequence-chart clauses of an action header."""


@v_args(meta=True)
class _Builder(Transformer):
    """Builds IR nodes bottom-up, numbering them and recording spans."""

    def __init__(self, file: str, text: str):
        super().__init__()
        self.file = file
        self.text = text
        self.spans: dict[int, ir.Span] = {}
        self.errors: list[Diagnostic] = []
        self._next = 0

    # -- helpers

    def _span_of(self, where) -> ir.Span | None:
        if isinstance(where, Token):
            if where.line is None:
                return None
            return ir.Span(self.file, where.line, where.column, where.end_line, where.end_column)
        if where is None or getattr(where, "empty", True):
            return None
        return ir.Span(self.file, where.line, where.column, where.end_line, where.end_column)

    def _id(self, where) -> int:
        i = self._next
        self._next += 1
        span = self._span_of(where)
        if span is not None:
            self.spans[i] = span
        return i

    def _int(self, tok: Token) -> int:
        """An integer literal; one of more than 100 digits is an error (Python itself
        refuses to read more than 4,300), reported at the literal."""
        digits = str(tok)
        if len(digits) > 100:
            self.errors.append(Diagnostic(
                Code.SYNTAX, f"an integer literal of {len(digits):,} digits is too large (at most 100)",
                self._span_of(tok)))
            return 0
        return int(digits)

    def _name(self, tok: Token) -> str:
        """A name at a binding or reference site: keywords (but ``init``) are rejected."""
        v = str(tok)
        if v in KEYWORDS and v not in _NAME_OK:
            self.errors.append(Diagnostic(
                Code.SYNTAX, f"`{v}` is a keyword and cannot be used as a name", self._span_of(tok)))
        return v

    # -- module

    def module(self, meta, ch):
        # The module's span is its header `module Name` (where module-wide errors point).
        name, decls = ch[0], ch[1:]
        i = self._next
        self._next += 1
        self.spans[i] = ir.Span(self.file, meta.line, meta.column, name.end_line, name.end_column)
        return ir.Module(i, self._name(name), tuple(decls), source=self.text, file=self.file,
                         spans=self.spans)

    def decls(self, meta, ch):  # pragma: no cover - only used while resynchronising
        return tuple(ch)

    # -- declarations

    def models_decl(self, meta, ch):
        names = tuple(self._name(t) for t in (ch[1] if len(ch) > 1 else ()))
        return ir.ModelsDecl(self._id(meta), self._name(ch[0]), names)

    def name_list(self, meta, ch):
        return list(ch)

    def symmetry_decl(self, meta, ch):
        return ir.SymmetryDecl(self._id(meta), self._name(ch[0]))

    def const_decl(self, meta, ch):
        return ir.ConstDecl(self._id(meta), self._name(ch[0]), ch[1])

    def enum_decl(self, meta, ch):
        return ir.EnumDecl(self._id(meta), self._name(ch[0]), tuple(ch[1:]))

    def ctor(self, meta, ch):
        args = ch[1:]
        names = tuple(n for n, _ in args)
        return ir.CtorDecl(self._id(meta), self._name(ch[0]), tuple(t for _, t in args),
                           names if any(n is not None for n in names) else ())

    def ctor_arg(self, meta, ch):
        return (self._name(ch[0]), ch[1]) if len(ch) == 2 else (None, ch[0])

    def type_decl(self, meta, ch):
        return ir.TypeDecl(self._id(meta), self._name(ch[0]), ch[1])

    def var_decl(self, meta, ch):
        return ir.VarDecl(self._id(meta), self._name(ch[0]), ch[1])

    def def_decl(self, meta, ch):
        params = ch[1] if len(ch) == 3 else _Params()
        return ir.DefDecl(self._id(meta), self._name(ch[0]), tuple(params), ch[-1])

    def def_params(self, meta, ch):
        return _Params(ch)

    def param(self, meta, ch):
        return ir.Param(self._id(ch[0]), self._name(ch[0]), ch[1])

    def init_decl(self, meta, ch):
        return ir.InitDecl(self._id(meta), ch[1])

    def action_decl(self, meta, ch):
        params = next((c for c in ch[1:-1] if isinstance(c, _Binders)), _Binders())
        clauses = tuple(x for c in ch[1:-1] if isinstance(c, _Clauses) for x in c)
        return ir.ActionDecl(self._id(meta), self._name(ch[0]), tuple(params), ch[-1], clauses)

    # -- sequence-chart clauses of an action header (one node per message expression)

    def process_clause(self, meta, ch):
        v = ch[1]
        if isinstance(v, Token) and v.type == "STRING":
            return _Clauses((ir.ActionClause(self._id(meta), "process", None, _unquote(str(v))),))
        return _Clauses((ir.ActionClause(self._id(meta), "process", v),))

    def sends_clause(self, meta, ch):
        return _Clauses(ir.ActionClause(self._id(self.spans_meta(e)), "sends", e) for e in ch[1:])

    def receives_clause(self, meta, ch):
        return _Clauses(ir.ActionClause(self._id(self.spans_meta(e)), "receives", e) for e in ch[1:])

    def crashes_clause(self, meta, ch):
        return _Clauses((ir.ActionClause(self._id(ch[0]), "crashes"),))

    def restarts_clause(self, meta, ch):
        return _Clauses((ir.ActionClause(self._id(ch[0]), "restarts"),))

    def action_params(self, meta, ch):
        if not ch:
            return _Binders()
        binders, _ = self._binders_and_lets(ch[0], "an action's parameters")
        return _Binders(binders)

    def property_decl(self, meta, ch):
        kind, name = ch[0], ch[1]
        if len(ch) == 4:
            cls_tok = ch[2]
            cls, cls_id = str(cls_tok), self._id(cls_tok)
        else:
            cls, cls_id = None, self._id(name)
        return ir.PropertyDecl(self._id(meta), str(kind), self._name(name), cls, ch[-1], cls_id)

    def prop_kind(self, meta, ch):
        return ch[0]

    def class_tag(self, meta, ch):
        return ch[0]

    def fairness_decl(self, meta, ch):
        return ir.FairnessDecl(self._id(meta), tuple(ch))

    def fair_item(self, meta, ch):
        return ir.FairnessItem(self._id(meta), str(ch[0]), self._name(ch[1]), len(ch) == 3)

    def fair_group(self, meta, ch):
        # `weak (A(p) or B(p))`: TLA+'s \A p: WF(A(p) \/ B(p)); members as (action, keys)
        members = tuple(m for m in ch[1:] if isinstance(m, tuple))
        text = "(" + " or ".join(a + (f"({', '.join(k)})" if k else "") for a, k in members) + ")"
        return ir.FairnessItem(self._id(meta), str(ch[0]), text, any(k for _, k in members), members)

    def fair_member(self, meta, ch):
        return (self._name(ch[0]), tuple(self._name(t) for t in ch[1]) if len(ch) > 1 else ())

    def fair_strength(self, meta, ch):
        return ch[0]

    def per_instance(self, meta, ch):
        return True

    def config_decl(self, meta, ch):
        return ir.ConfigDecl(self._id(meta), self._name(ch[0]), tuple(ch[1:]))

    def include_decl(self, meta, ch):
        return ir.IncludeDecl(self._id(meta), str(ch[0]), _unquote(str(ch[1])))

    def options_decl(self, meta, ch):
        return ir.OptionsDecl(self._id(meta), tuple(ch[1:]))

    def config_binding(self, meta, ch):
        return ir.ConfigBinding(self._id(meta), self._name(ch[0]), ch[1])

    def cv_int(self, meta, ch):
        return self._int(ch[0])

    def cv_neg(self, meta, ch):
        return -self._int(ch[-1])

    def cv_true(self, meta, ch):
        return True

    def cv_false(self, meta, ch):
        return False

    def cv_names(self, meta, ch):
        return tuple(self._name(t) for t in (ch[0] if ch else ()))

    # -- statements

    def block(self, meta, ch):
        return ir.Block(self._id(meta), tuple(x for c in ch for x in (c if isinstance(c, _Stmts) else (c,))))

    def require(self, meta, ch):
        return ir.Require(self._id(meta), ch[0])

    def let_stmt(self, meta, ch):
        return ir.LetStmt(self._id(meta), self._name(ch[0]), ch[1])

    def pick(self, meta, ch):
        binder = ir.Binder(self._id(ch[0]), self._name(ch[0]), ch[1])
        return ir.Pick(self._id(meta), binder)

    def either(self, meta, ch):
        return ir.Either(self._id(meta), tuple(ch))

    def if_stmt(self, meta, ch):
        cond, then = ch[0], ch[1]
        if len(ch) == 3:
            else_ = ch[2]
            if isinstance(else_, ir.IfStmt):
                else_ = ir.Block(self._id(self.spans_meta(else_)), (else_,))
        else:
            else_ = ir.Block(self._id(None), ())
        return ir.IfStmt(self._id(meta), cond, then, else_)

    def spans_meta(self, node):
        """A token-like stand-in carrying the span of an already-built node."""
        s = self.spans.get(node.id)
        if s is None:
            return None
        return Token("X", "", line=s.line, column=s.col, end_line=s.end_line, end_column=s.end_col)

    def assign(self, meta, ch):
        primed = len(ch) == 3
        return ir.Assign(self._id(meta), self._name(ch[0]), ch[-1], primed)

    def acc_index(self, meta, ch):
        return ("index", ch[0])

    def acc_field(self, meta, ch):
        return ("field", self._name(ch[0]))

    def nested_assign(self, meta, ch):
        """``x[k].f' = e`` is ``x' = x.put(k, { ...x[k], f: e })``: TLA+'s ``x' = [x EXCEPT
        ![k].f = e]``, one level of put / record update per accessor."""
        var, accs, value = self._name(ch[0]), ch[1:-2], ch[-1]

        def build(base, rest):
            if not rest:
                return value
            kind, what = rest[0]
            if kind == "index":
                inner = ir.Index(self._id(meta), base, what)
                return ir.Call(self._id(meta), "put", (base, what, build(inner, rest[1:])), True)
            inner = ir.Field(self._id(meta), base, what)
            return ir.RecordUpdate(self._id(meta), base, ((what, build(inner, rest[1:])),))

        return ir.Assign(self._id(meta), var, build(ir.Name(self._id(meta), var), accs), True)

    def assert_stmt(self, meta, ch):
        msg = None
        if len(ch) == 2:
            msg = _unquote(str(ch[1]))
        return ir.Assert(self._id(meta), ch[0], msg)

    # -- types

    def tfun(self, meta, ch):
        return ir.TFun(self._id(meta), ch[0], ch[1])

    def tname(self, meta, ch):
        return ir.TName(self._id(meta), self._name(ch[0]))

    def tset(self, meta, ch):
        return ir.TApp(self._id(meta), "set", (ch[0],))

    def tbag(self, meta, ch):
        return ir.TApp(self._id(meta), "bag", (ch[0],))

    def tmap(self, meta, ch):
        return ir.TApp(self._id(meta), "map", (ch[0], ch[1]))

    def tseq(self, meta, ch):
        bound = ch[1] if len(ch) == 2 else None
        return ir.TApp(self._id(meta), "seq", (ch[0],), bound)

    def ttuple(self, meta, ch):
        return ir.TTuple(self._id(meta), tuple(ch))

    def trecord(self, meta, ch):
        return ir.TRecord(self._id(meta), tuple(ch))

    def tfield(self, meta, ch):
        return (str(ch[0]), ch[1])

    def trange(self, meta, ch):
        return ir.TRange(self._id(meta), ch[0], ch[1])

    # -- expressions

    def if_expr(self, meta, ch):
        return ir.If(self._id(meta), ch[0], ch[1], ch[2])

    def let_expr(self, meta, ch):
        return ir.Let(self._id(meta), tuple(ch[:-1]), ch[-1])

    def let_binding(self, meta, ch):
        return (self._name(ch[0]), ch[1])

    def quant(self, meta, ch):
        binders, lets = self._binders_and_lets(ch[1], None)
        return ir.Quant(self._id(meta), str(ch[0]), binders, self._let(meta, lets, ch[2]))

    def choose(self, meta, ch):
        # `choose x in S: P` is a Quant of kind "choose" with one binder: the binder's
        # scope and checks are the quantifiers'; its value is the first x (in the order
        # values print) for which P holds
        _, name, domain, body = ch
        return ir.Quant(self._id(meta), "choose", (ir.Binder(self._id(name), self._name(name), domain),), body)

    def binders(self, meta, ch):
        return _Binders(b for group in ch for b in group)

    def pattern_binder(self, meta, ch):
        return [_Pattern(self._name(ch[0]), tuple(self._name(t) for t in ch[1]), ch[2], meta)]

    def _desugar_pattern(self, p: _Pattern) -> tuple[ir.Binder, tuple]:
        """``C(x, y) in S``: a binder named ``C(x, y)`` (no spec can write such a name)
        over the elements of S built with C, and the bindings ``x``, ``y`` of its
        arguments (``_`` binds nothing). Later binders' domains cannot use x, y."""
        n = len(p.names)
        name = f"{p.ctor}({', '.join(p.names)})"
        inner = ir.Name(self._id(p.where), name)
        only = ir.SetComp(self._id(p.where), inner, (ir.Binder(self._id(p.where), name, p.domain),),
                          ir.CtorTest(self._id(p.where), ir.Name(self._id(p.where), name), p.ctor, n))
        seen: set[str] = set()
        lets = []
        for i, x in enumerate(p.names, 1):
            if x == "_":
                continue
            if x in seen:
                self.errors.append(Diagnostic(Code.DUPLICATE, f"`{x}` is named twice in the pattern `{name}`",
                                              self._span_of(p.where)))
            seen.add(x)
            lets.append((x, ir.CtorArg(self._id(p.where), ir.Name(self._id(p.where), name), p.ctor, i, n)))
        return ir.Binder(self._id(p.where), name, only), tuple(lets)

    def _binders_and_lets(self, binders, where: str):
        """Binders with their patterns desugared, and the bindings the patterns make;
        ``where`` names the construct when it does not take patterns (None: it does)."""
        out, lets = [], ()
        for b in binders:
            if isinstance(b, _Pattern):
                if where is not None:
                    self.errors.append(Diagnostic(
                        Code.SYNTAX, f"a constructor pattern (`{b.ctor}(...) in S`) is not supported in {where}; "
                        "it is in `pick`, `forall` / `exists` and set comprehensions", self._span_of(b.where)))
                    b = ir.Binder(self._id(b.where), b.ctor, b.domain)
                else:
                    b, more = self._desugar_pattern(b)
                    lets += more
            out.append(b)
        return tuple(out), lets

    def _let(self, meta, lets, body):
        return ir.Let(self._id(meta), lets, body) if lets and body is not None else body

    def pick_pattern(self, meta, ch):
        binder, lets = self._desugar_pattern(_Pattern(self._name(ch[0]), tuple(self._name(t) for t in ch[1]),
                                                      ch[2], meta))
        return _Stmts((ir.Pick(self._id(meta), binder),) + tuple(ir.LetStmt(self._id(meta), x, v) for x, v in lets))

    def binder_group(self, meta, ch):
        domain = ch[-1]
        return [ir.Binder(self._id(t), self._name(t), domain) for t in ch[:-1]]

    def binary(self, meta, ch):
        left, op, right = ch
        op = str(op)
        if op == "~>":
            return ir.Temporal(self._id(meta), "leadsto", (left, right))
        return ir.Binary(self._id(meta), op, left, right)

    def not_(self, meta, ch):
        return ir.Unary(self._id(meta), "not", ch[-1])

    def temporal(self, meta, ch):
        return ir.Temporal(self._id(meta), str(ch[0]), (ch[1],))

    def neg(self, meta, ch):
        return ir.Unary(self._id(meta), "-", ch[-1])

    def index(self, meta, ch):
        return ir.Index(self._id(meta), ch[0], ch[1])

    def field(self, meta, ch):
        return ir.Field(self._id(meta), ch[0], str(ch[1]))

    def method(self, meta, ch):
        args = tuple(ch[2]) if len(ch) == 3 else ()
        return ir.Call(self._id(meta), str(ch[1]), (ch[0],) + args, True)

    def int_lit(self, meta, ch):
        return ir.Lit(self._id(meta), self._int(ch[0]))

    def true_lit(self, meta, ch):
        return ir.Lit(self._id(meta), True)

    def false_lit(self, meta, ch):
        return ir.Lit(self._id(meta), False)

    def name(self, meta, ch):
        return ir.Name(self._id(meta), self._name(ch[0]))

    def primed(self, meta, ch):
        return ir.Primed(self._id(meta), self._name(ch[0]))

    def primed_call(self, meta, ch):
        args = tuple(ch[1]) if len(ch) == 3 else ()
        return ir.Prime(self._id(meta), ir.Call(self._id(meta), str(ch[0]), args, False))

    def call(self, meta, ch):
        args = tuple(ch[1]) if len(ch) == 2 else ()
        return ir.Call(self._id(meta), str(ch[0]), args, False)

    def args(self, meta, ch):
        return _Args(ch)

    def tuple_lit(self, meta, ch):
        return ir.TupleLit(self._id(meta), tuple(ch))

    def seq_lit(self, meta, ch):
        return ir.SeqLit(self._id(meta), tuple(ch[0]) if ch else ())

    def empty_set(self, meta, ch):
        return ir.SetLit(self._id(meta), ())

    def set_lit(self, meta, ch):
        return ir.SetLit(self._id(meta), tuple(ch))

    def record_update(self, meta, ch):
        return ir.RecordUpdate(self._id(meta), ch[0], tuple(ch[1:]))

    def field_init(self, meta, ch):
        return (str(ch[0]), ch[1])

    def set_comp(self, meta, ch):
        binders, cond = ch[1]
        binders, lets = self._binders_and_lets(binders, None)
        return ir.SetComp(self._id(meta), self._let(meta, lets, ch[0]), binders, self._let(meta, lets, cond))

    def match_arm(self, meta, ch):
        names = tuple(self._name(t) for t in ch[1]) if len(ch) == 3 else None
        return (self._name(ch[0]), names, ch[-1], meta)

    def match_expr(self, meta, ch):
        subject, arms = ch[1], ch[2:]
        out = []
        for name, names, body, where in arms:
            if name == "_" and names is None:
                out.append((None, (), body))
            else:
                out.append((name, names or (), body))
        return ir.Match(self._id(meta), subject, tuple(out))

    def fun_set(self, meta, ch):
        # `[S -> T]`, the set of functions from S to T: a built-in (dsl/builtins.py) whose
        # name no spec can write, so it is only reached through this syntax
        return ir.Call(self._id(meta), FUN_SET, (ch[0], ch[1]), False)

    def seq_comp(self, meta, ch):
        binders, cond = ch[1]
        binders, _ = self._binders_and_lets(binders, "a sequence comprehension")
        return ir.SeqComp(self._id(meta), ch[0], binders, cond)

    def fun_comp(self, meta, ch):
        binders, cond = ch[2]
        binders, _ = self._binders_and_lets(binders, "a function comprehension")
        return ir.FunComp(self._id(meta), ch[0], ch[1], binders, cond)

    def comp_tail(self, meta, ch):
        return _CompTail((tuple(ch[0]), ch[1] if len(ch) == 2 else None))

    def record_lit(self, meta, ch):
        fields = []
        seen = set()
        for k, v in zip(ch[0::2], ch[1::2]):
            if isinstance(k, ir.Name):
                if k.name in seen:
                    self.errors.append(Diagnostic(
                        Code.DUPLICATE, f"field `{k.name}` appears twice in this record", self.spans.get(k.id)))
                seen.add(k.name)
                fields.append((k.name, v))
            else:
                self.errors.append(Diagnostic(
                    Code.SYNTAX,
                    "a record field name must be a plain name (for a function, write "
                    "`{ k: v for x in S }`)",
                    self.spans.get(k.id)))
                fields.append(("?", v))
        return ir.RecordLit(self._id(meta), tuple(fields))


def _unquote(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)
