"""Why an action instance cannot explain a step: the spec's own guards, re-evaluated.

Off the hot path. :class:`Explainer` runs one action instance in one state the way the
compiled successor function does, statement by statement (parameters, ``let``,
``require`` split at its top-level ``and``, ``pick``, ``either``, ``if``, assignments,
``assert``), but every *expression* is evaluated by code the compiler generates for it
(:meth:`CompiledModel.expr_function`), so a guard cannot be judged differently here and
in the search. Each execution path ends in an :class:`Outcome`: a next state
(``fired``), or the first false guard conjunct in source order (``blocked``) with the
values of its sub-expressions, or a failed ``assert`` / runtime error (the compiled
successor function raises for the whole instance then: the instance gives no step).
``tests/conform/test_conform_explain.py`` checks on every reachable state of several
specs that the fired outcomes are exactly the compiled successors of that instance.

Sub-expression values follow evaluation: the taken branch of an ``if``, the left side
of an ``and`` / ``or`` / ``implies`` and the right side only when it was evaluated;
expressions under a binder (a quantifier body) are not shown, since they have no single
value. A guard that calls a user operator (``require canCommit``) is also shown expanded
one level: the operator's body, and its own first false conjunct, with its values.

It lives beside the compiler (it is the front end's, like TLC's re-evaluation with
diagnostics on): it reads the checker's side tables (``CompiledModel.checked``). The trace
tools get one through the model (``Traceable.explainer()``) and use its result types
(:class:`Failure`, :class:`VarDiff`, :class:`CandidateSummary`, ...).

Depends on the IR, the checked spec's side tables, values, diagnostics and the compiled
model's diagnostic functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .. import ir
from ..diagnostics import caret_snippet
from ..ir import children, walk
from ..types import BagT, FunT, SeqT, SetT, Type, domain_values
from ..values import misfit_message, show, sort_values

MAX_VALUES = 12  # sub-expression values shown per guard
SHOWN = 16  # elements of a collection shown in a value (the first and last, around "... N more ...")
_WITH_ELEM = (SetT, SeqT, BagT)  # the types with an element type
MAX_DEPTH = 2  # operator bodies expanded below a guard


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Located:
    """A piece of spec text with its place: ``file:line:col`` and a caret snippet."""

    text: str
    file: str
    line: int
    col: int
    snippet: str

    def to_dict(self) -> dict:
        return {"text": self.text, "file": self.file, "line": self.line, "col": self.col}


@dataclass(frozen=True, slots=True)
class Expansion:
    """A user operator a guard calls, with its body's first false conjunct."""

    name: str
    body: Located
    failed: Located | None
    values: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict:
        d = {"operator": self.name, "body": self.body.to_dict(), "values": [list(v) for v in self.values]}
        if self.failed is not None:
            d["failed"] = self.failed.to_dict()
        return d


@dataclass(frozen=True, slots=True)
class Failure:
    """Why one execution path of an action instance gives no step.

    ``kind``: ``require`` (a guard conjunct is false), ``parameter`` (a parameter value
    outside its domain in this state), ``pick`` (a ``pick`` from an empty set),
    ``assert`` (an ``assert`` failed: the spec reports a violation there) or ``error``
    (a runtime error in the spec). ``picks`` are the ``pick`` choices on the path."""

    kind: str
    where: Located | None
    values: tuple[tuple[str, str], ...] = ()
    picks: tuple[tuple[str, str], ...] = ()
    expansions: tuple[Expansion, ...] = ()
    message: str = ""

    def key(self) -> tuple:
        return (self.kind, self.where.text if self.where else "", self.where.line if self.where else 0,
                self.values, self.message, tuple(e.to_dict().__repr__() for e in self.expansions))

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"kind": self.kind}
        if self.where is not None:
            d.update(self.where.to_dict())
        d["values"] = [list(v) for v in self.values]
        if self.picks:
            d["picks"] = [list(p) for p in self.picks]
        if self.expansions:
            d["expansions"] = [e.to_dict() for e in self.expansions]
        if self.message:
            d["message"] = self.message
        return d


@dataclass(frozen=True, slots=True)
class Outcome:
    """One execution path: ``state`` is the next state when it fired, else ``failure``."""

    state: tuple | None
    failure: Failure | None
    picks: tuple = ()
    #: the local names bound on the path where it failed (parameters, lets, picks)
    env: dict | None = None

    @property
    def fired(self) -> bool:
        return self.state is not None


@dataclass(frozen=True, slots=True)
class VarDiff:
    """An observed value that differs from the one the spec computes."""

    var: str  # ``rmState`` or ``rmState[rm1]``
    expected: str
    observed: str
    detail: str = ""  # for sets: which elements are missing or extra

    def to_dict(self) -> dict:
        d = {"variable": self.var, "expected": self.expected, "observed": self.observed}
        if self.detail:
            d["detail"] = self.detail
        return d


@dataclass(frozen=True)
class CandidateSummary:
    """The spec states still possible: how many, where they agree and where they differ
    (a function variable is split by key)."""

    count: int
    agree: tuple[tuple[str, str], ...]
    differ: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]

    def to_dict(self) -> dict:
        return {"count": self.count, "agree": {k: v for k, v in self.agree},
                "differ": {k: [{"value": v, "states": n} for v, n in vals] for k, vals in self.differ}}


# ----------------------------------------------------------------------------- the explainer


class Explainer:
    """Re-evaluates action instances of one compiled model with diagnostics."""

    def __init__(self, model):
        self.model = model
        self.checked = model.checked
        self.refs = self.checked.refs
        self.types = self.checked.types
        self.spans = self.checked.module.spans
        self.source = self.checked.module.source
        self.defs = {d.name: d for d in self.checked.defs}
        self.var_index = {n: i for i, n in enumerate(model.variables)}
        self._locals: dict[int, tuple[str, ...]] = {}
        self._inside: dict[int, frozenset] = {}
        self._lines = self.source.splitlines()
        self._texts: dict[int, str] = {}
        self._detail = True

    # ------------------------------------------------------------------ evaluation

    def free_locals(self, e: ir.Node) -> tuple[str, ...]:
        names = self._locals.get(e.id)
        if names is None:
            found = set()
            for n in walk(e):
                if isinstance(n, ir.Name):
                    r = self.refs.get(n.id)
                    if r is not None and r.kind == "local":
                        found.add(n.name)
            names = self._locals[e.id] = tuple(sorted(found))
        return names

    def ev(self, e: ir.Node, state: tuple, env: dict) -> Any:
        names = tuple(n for n in self.free_locals(e) if n in env)
        fn = self.model.expr_function(e, names)
        return fn(state, *[env[n] for n in names])

    def sev(self, e: ir.Node, state: tuple, env: dict) -> Any:
        """:meth:`ev` for a statement's expression: a runtime error in the spec (a lookup
        outside a map's domain, ...) ends the instance with a located ``error`` failure,
        at the smallest sub-expression that fails (the compiled successor function raises
        for the whole instance there too)."""
        try:
            return self.ev(e, state, env)
        except _Abort:
            raise
        except Exception as exc:  # noqa: BLE001 - explained, not hidden
            node = e
            while True:
                for ch in children(node):
                    if isinstance(ch, ir.Binder) or not self.evaluable(ch, env):
                        continue
                    try:
                        self.ev(ch, state, env)
                    except Exception:  # noqa: BLE001
                        node = ch
                        break
                else:
                    break
            raise _Abort(Failure("error", self.locate(node), (), (), message=_error_message(exc))) from None

    def evaluable(self, e: ir.Node, env: dict) -> bool:
        """Every free local of ``e`` is bound (not under a binder of the enclosing guard)."""
        bound_inside = self._inside.get(e.id)
        if bound_inside is None:
            names = set()
            for n in walk(e):
                if isinstance(n, ir.Binder):
                    names.add(n.name)
                elif isinstance(n, ir.Let):
                    names.update(name for name, _ in n.bindings)
            bound_inside = self._inside[e.id] = frozenset(names)
        return all(n in env or n in bound_inside for n in self.free_locals(e))

    # ------------------------------------------------------------------ instances

    def instances(self, state: tuple, ai: int, known: tuple = ()) -> list[tuple]:
        """Every parameter tuple of action ``ai`` in ``state`` (domains evaluated in the
        state, in the compiled order), agreeing with the ``(position, value)`` pairs
        ``known``."""
        a = self.checked.actions[ai]
        fixed = dict(known)
        out: list[tuple] = []

        def rec(k: int, env: dict, vals: tuple) -> None:
            if k == len(a.params):
                out.append(vals)
                return
            p = a.params[k]
            dom = sort_values(self.ev(p.domain, state, env))
            if k in fixed:
                dom = [v for v in dom if v == fixed[k]]
            for v in dom:
                rec(k + 1, {**env, p.name: v}, vals + (v,))

        rec(0, {}, ())
        return out

    def show_instance(self, ai: int, vals: tuple | None, known: tuple = ()) -> str:
        a = self.checked.actions[ai]
        if not a.params:
            return a.name
        ptypes = self.model.param_types(a.name)
        given = dict(enumerate(vals)) if vals is not None else dict(known)
        parts = [f"{p.name}={show(given[k], ptypes[k])}" if k in given else f"{p.name}=?"
                 for k, p in enumerate(a.params)]
        return f"{a.name}(" + ", ".join(parts) + ")"

    # ------------------------------------------------------------------ running an instance

    def run(self, state: tuple, ai: int, vals: tuple, detail: bool = True) -> list[Outcome]:
        """Every execution path of action ``ai`` with parameters ``vals`` from ``state``.
        Without ``detail`` a failure names its conjunct but not the values inside it."""
        self._detail = detail
        a = self.checked.actions[ai]
        env: dict = {}
        for p, v in zip(a.params, vals):
            try:
                dom = self.sev(p.domain, state, env)
            except _Abort as e:  # a runtime error in the domain (a range too large to hold)
                return [Outcome(None, e.failure)]
            if v not in dom:
                ptype = self.types[p.domain.id]
                elem = ptype.elem if isinstance(ptype, _WITH_ELEM) else None
                shown_v = show(v, elem) if elem is not None else repr(v)
                vals_shown = ((self.text(p.domain), self._show(dom, ptype)),)
                return [Outcome(None, Failure("parameter", self.locate(p.domain), vals_shown,
                                              message=f"{p.name} = {shown_v} is not in {self.text(p.domain)}"))]
            env[p.name] = v
        out: list[Outcome] = []
        try:
            self._exec(list(a.body.stmts), state, env, {}, (), out)
        except _Abort as e:  # assert / range error: the compiled function raises for the instance
            return [Outcome(None, e.failure)]
        return out

    def _exec(self, stmts: list, s: tuple, env: dict, assigned: dict, picks: tuple, out: list) -> None:
        for k, st in enumerate(stmts):
            rest = stmts[k + 1:]
            if isinstance(st, ir.Require):
                for c in _conjuncts(st.cond):
                    if not self.sev(c, s, env):
                        out.append(Outcome(None, self.require_failure(c, s, env, picks), picks, env))
                        return
                continue
            if isinstance(st, ir.LetStmt):
                env = {**env, st.name: self.sev(st.value, s, env)}
                continue
            if isinstance(st, ir.Pick):
                dom = sort_values(self.sev(st.binder.domain, s, env))
                if not dom:
                    f = Failure("pick", self.locate(st.binder.domain),
                                ((self.text(st.binder.domain), "{}"),), self._picks(picks),
                                message=f"pick {st.binder.name} from an empty set")
                    out.append(Outcome(None, f, picks, env))
                    return
                for v in dom:
                    self._exec(rest, s, {**env, st.binder.name: v}, assigned, picks + ((st.binder, v),), out)
                return
            if isinstance(st, ir.Either):
                for k, br in enumerate(st.branches, 1):
                    self._exec(list(br.stmts) + rest, s, env, dict(assigned), picks + ((st, k),), out)
                return
            if isinstance(st, ir.IfStmt):
                branch = st.then if self.sev(st.cond, s, env) else st.else_
                self._exec(list(branch.stmts) + rest, s, env, dict(assigned), picks, out)
                return
            if isinstance(st, ir.Assign):
                i = self.var_index[st.var]
                v = self.sev(st.value, s, env)
                if not self.model.type_check_function(i)(v):
                    t = self.model.var_types[i]
                    raise _Abort(Failure("error", self.locate(st), ((st.var + "'", _safe_show(v, t)),),
                                         self._picks(picks),
                                         message=f"{misfit_message(v, t, st.var)} (MC300)"))
                assigned = {**assigned, i: v}
                continue
            if isinstance(st, ir.Assert):
                if not self.sev(st.cond, s, env):
                    raise _Abort(Failure("assert", self.locate(st.cond), self.values(st.cond, s, env),
                                         self._picks(picks), message=st.message or "assertion failed"))
                continue
            raise AssertionError(st)  # pragma: no cover
        nxt = tuple(assigned.get(i, s[i]) for i in range(len(s)))
        out.append(Outcome(nxt, None, picks))

    def _choices(self, picks: tuple) -> tuple:
        """A path's choices as ``(name, shown, value, type)``: each ``pick`` binder with
        its value (the type None when unknown), each ``either`` with the branch it took
        (the type None)."""
        out = []
        for b, v in picks:
            if isinstance(b, ir.Either):        # which branch of an `either` the path took
                out.append((self.either_name(b), f"branch {v}", v, None))
                continue
            t = self.types.get(b.domain.id)
            elem = t.elem if isinstance(t, _WITH_ELEM) else None
            out.append((b.name, show(v, elem) if elem is not None else repr(v), v, elem))
        return tuple(out)

    def _picks(self, picks: tuple) -> tuple[tuple[str, str], ...]:
        return tuple((n, shown) for n, shown, _, _ in self._choices(picks))

    def either_name(self, e: ir.Either) -> str:
        sp = self.model.spans.get(e.id)
        return f"either (line {sp.line})" if sp is not None else "either"

    def step_choices(self, state: tuple, ai: int, vals: tuple, nxt: tuple,
                     same: Callable[[tuple, tuple], bool] | None = None) -> tuple | None:
        """The choices inside action ``ai`` (``pick`` values, ``either`` branches) on the
        first execution path from ``state`` to ``nxt`` (``same`` compares states: a
        symmetric trace's states are representatives), as ``(name, shown, value,
        type)`` (:meth:`_choices`); None when no path gets there."""
        for o in self.run(state, ai, vals, detail=False):
            if o.fired and (o.state == nxt or (same is not None and same(o.state, nxt))):
                return self._choices(o.picks)
        return None

    # ------------------------------------------------------------------ guard failures

    def require_failure(self, c: ir.Node, s: tuple, env: dict, picks: tuple) -> Failure:
        if not self._detail:
            return Failure("require", self.locate(c), (), self._picks(picks))
        return Failure("require", self.locate(c), self.values(c, s, env), self._picks(picks),
                       self.expansions(c, s, env, 0))

    def values(self, c: ir.Node, s: tuple, env: dict) -> tuple[tuple[str, str], ...]:
        """``(source text, value)`` of the sub-expressions of ``c`` that were evaluated."""
        out: list[tuple[str, str]] = []
        seen: set[str] = {self.text(c)}

        def visit(n: ir.Node) -> None:
            if len(out) >= MAX_VALUES:
                return
            if isinstance(n, (ir.Lit, ir.Temporal)):
                return
            if isinstance(n, ir.Binder):
                visit(n.domain)
                return
            if isinstance(n, ir.Name):
                r = self.refs.get(n.id)
                if r is not None and r.kind in ("ctor", "typeset", "builtin"):
                    return
            if not self.evaluable(n, env):
                return  # under a binder (a quantifier body): no single value
            text = self.text(n)
            try:
                v = self.ev(n, s, env)
            except Exception as e:  # noqa: BLE001 - shown, not raised: the guard already decided
                v, shown = None, f"<error: {e}>"
            else:
                shown = self._show(v, self.types.get(n.id))
            if text and text not in seen and shown != text and not isinstance(n, ir.If):
                seen.add(text)
                out.append((text, shown))
            if isinstance(n, ir.If):
                visit(n.cond)
                visit(n.then if v is not None and self.ev(n.cond, s, env) else n.else_)
                return
            if isinstance(n, ir.Binary) and n.op in ("and", "or", "implies"):
                visit(n.left)
                left = self.ev(n.left, s, env)
                if (n.op == "and" and left) or (n.op == "or" and not left) or (n.op == "implies" and left):
                    visit(n.right)
                return
            for ch in children(n):
                visit(ch)

        visit(c)
        return tuple(out)

    def expansions(self, c: ir.Node, s: tuple, env: dict, depth: int) -> tuple[Expansion, ...]:
        """The user operator ``c`` calls (``canCommit``, ``not ready(p)``), expanded."""
        if depth >= MAX_DEPTH:
            return ()
        n = c.arg if isinstance(c, ir.Unary) and c.op == "not" else c
        if not isinstance(n, (ir.Name, ir.Call)):
            return ()
        r = self.refs.get(n.id)
        if r is None or r.kind != "def":
            return ()
        d = self.defs[r.name]
        args = n.args if isinstance(n, ir.Call) else ()
        try:
            denv = {p.name: self.ev(a, s, env) for p, a in zip(d.params, args)}
            value = self.ev(d.body, s, denv)
        except Exception:  # noqa: BLE001
            return ()
        # follow the branches taken (``if`` conditions are part of the explanation), then
        # the first false conjunct
        node, conds = d.body, []
        while isinstance(node, ir.If):
            c = self.ev(node.cond, s, denv)
            conds.append((self.text(node.cond), self._show(c, self.types.get(node.cond.id))))
            node = node.then if c else node.else_
        if isinstance(node, ir.Binary) and node.op == "and" and not value:
            node = next((cj for cj in _conjuncts(node) if not self.ev(cj, s, denv)), node)
        failed = self.locate(node) if node is not d.body else None
        values = tuple(conds) + self.values(node, s, denv)
        if failed is not None:
            values = tuple(v for v in values if v[0] != failed.text)
        sub = self.expansions(node, s, denv, depth + 1) if node is not d.body else ()
        return (Expansion(r.name, self.locate(d.body), failed, values[:MAX_VALUES]),) + sub

    # ------------------------------------------------------------------ text

    def text(self, n: ir.Node) -> str:
        t = self._texts.get(n.id)
        if t is None:
            t = self._texts[n.id] = self._text(n)
        return t

    def _text(self, n: ir.Node) -> str:
        sp = self.spans.get(n.id)
        if sp is None:
            return ""
        lines = self._lines if sp.file == self.checked.module.file else \
            ir.source_of(self.checked.module, sp.file).splitlines()
        if sp.line == sp.end_line:
            return lines[sp.line - 1][sp.col - 1: sp.end_col - 1]
        parts = [lines[sp.line - 1][sp.col - 1:]] + lines[sp.line: sp.end_line - 1] + [lines[sp.end_line - 1][: sp.end_col - 1]]
        return " ".join(p.strip() for p in parts)

    def locate(self, n: ir.Node) -> Located | None:
        sp = self.spans.get(n.id)
        if sp is None:
            return None
        return Located(self.text(n), sp.file, sp.line, sp.col,
                       caret_snippet(ir.source_of(self.checked.module, sp.file), sp))

    def _show(self, v: Any, t: Type | None) -> str:
        return _safe_show(v, t)

    # ------------------------------------------------------------------ states

    def var_text(self, i: int, pos: int) -> str:
        name = self.model.variables[i]
        if pos < 0:
            return name
        t = self.model.var_types[i]
        return f"{name}[{show(domain_values(t.dom)[pos], t.dom)}]"

    def show_observation(self, ev) -> tuple[tuple[str, str], ...]:
        out = []
        for (i, pos), v in zip(ev.shape, ev.values):
            t = self.model.var_types[i]
            out.append((self.var_text(i, pos), _safe_show(v, t if pos < 0 else t.cod)))
        return tuple(out)

    def diffs(self, state: tuple, shape: tuple, values: tuple) -> tuple[VarDiff, ...]:
        """Where ``state`` differs from an observation."""
        out = []
        for (i, pos), v in zip(shape, values):
            actual = state[i] if pos < 0 else state[i][pos]
            if actual == v:
                continue
            t = self.model.var_types[i]
            et = t if pos < 0 else t.cod
            detail = ""
            if isinstance(et, SetT):
                missing = sort_values(actual - v)
                extra = sort_values(v - actual)
                bits = []
                if missing:
                    bits.append("the spec has " + ", ".join(show(x, et.elem) for x in missing) + " (not observed)")
                if extra:
                    bits.append("observed " + ", ".join(show(x, et.elem) for x in extra) + " (not in the spec's)")
                detail = "; ".join(bits)
            out.append(VarDiff(self.var_text(i, pos), show(actual, et), show(v, et), detail))
        return tuple(out)

    def summarize(self, states: list[tuple]) -> CandidateSummary:
        agree: list[tuple[str, str]] = []
        differ: list[tuple[str, tuple[tuple[str, int], ...]]] = []
        for i, (name, t) in enumerate(zip(self.model.variables, self.model.var_types)):
            vals = [s[i] for s in states]
            if all(v == vals[0] for v in vals):
                agree.append((name, show(vals[0], t, SHOWN)) if vals else (name, "?"))
                continue
            if isinstance(t, FunT):
                for pos, key in enumerate(domain_values(t.dom)):
                    kv = [v[pos] for v in vals]
                    label = f"{name}[{show(key, t.dom)}]"
                    if all(x == kv[0] for x in kv):
                        agree.append((label, show(kv[0], t.cod, SHOWN)))
                    else:
                        differ.append((label, _counts(kv, t.cod)))
            else:
                differ.append((name, _counts(vals, t)))
        return CandidateSummary(len(states), tuple(agree), tuple(differ))


class _Abort(Exception):
    def __init__(self, failure: Failure):
        super().__init__(failure.message)
        self.failure = failure


def _error_message(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"lookup of a key outside the domain: {exc.args[0]!r}" if exc.args else "lookup outside the domain"
    return str(exc) or type(exc).__name__


def _counts(vals: list, t: Type) -> tuple[tuple[str, int], ...]:
    counts: dict = {}
    for v in vals:
        counts[v] = counts.get(v, 0) + 1
    return tuple((show(v, t, SHOWN), counts[v]) for v in sort_values(counts))


def _safe_show(v: Any, t: Type | None) -> str:
    if t is None:
        return repr(v)
    try:
        return show(v, t, SHOWN)
    except Exception:  # noqa: BLE001 - a value of an unexpected shape: show it raw
        return repr(v)


def _conjuncts(e: ir.Node) -> list:
    if isinstance(e, ir.Binary) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]




__all__ = ["Explainer", "Outcome", "Failure", "VarDiff", "CandidateSummary", "Located", "Expansion"]
