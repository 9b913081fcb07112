"""The checker's first phase: binding model-value sets, constants and configs.

Model-value sets and constants take their declared values, then the chosen ``config``
block's, then the caller's (``consts``: real values, never text); every ``config`` block is
validated, the selected one applied. A value that does not fit its declaration is MC270,
naming the constant and what it expected. Constant expressions are checked and evaluated
here (ints and bools).

Depends on :mod:`modelcheck.dsl.checkcore` and what it depends on.
"""

from __future__ import annotations

from typing import Any

from .. import ir
from ..diagnostics import Code
from ..types import BOOL, INT, BoolT, IntT, ModelT, Type
from .checked import Ref
from .checkcore import Abort, BUILTIN_TYPES, ERR, IDENT, KIND_WORDS


class ConstantsPhase:
    """A mixin of :class:`~modelcheck.dsl.check._Checker` (state in :class:`~modelcheck.dsl.checkcore.CheckerCore`)."""

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
                    what = (f"`{b.name}` is {KIND_WORDS[g.kind]}, not a constant" if g is not None
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
                    msg = f"`{name}` is {KIND_WORDS[g.kind]}, not a constant"
                if not constants:
                    msg += " (this spec declares no constants)"
                else:
                    msg += "; the spec's constants: " + ", ".join(f"`{c}`" for c in constants)
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
            if not names:
                # an empty set of model values leaves nothing to quantify over or pick from
                # (and the generated code would have empty tuples): refused, not a traceback
                g = self.globals.get(name)
                self.error(Code.BAD_CONSTANT, f"the model-value set `{name}` is empty; it needs at least one "
                           f"value (`{name}=1` or more, or `{name}={{a}}`)",
                           g.decl if g is not None and name not in self.given else None)
            self.models[name] = ModelT(name, names)

    def _model_value(self, name: str, value: Any) -> tuple[str, ...] | None:
        """The names of model-value set ``name`` bound to ``value`` by the caller (None after
        an error): a count of fresh values, or a tuple/list of distinct identifiers."""
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return self._fresh_names(name, value)
        if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
            bad = [v for v in value if not IDENT.match(v)]
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
            raise Abort
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
        except Abort:
            self._mark_const_types(e)
            return None, None
        if len(self.errors) > n:
            return None, None
        return t, v

    def _mark_const_types(self, e) -> None:
        for sub in ir.walk_exprs(e):
            self.types.setdefault(sub.id, ERR)

    def _const(self, e, code, what):
        def fail(msg, node, hint=None):
            self.error(code, msg, node, hint=hint)
            self._mark_const_types(e)
            raise Abort

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
                    raise Abort
                t = BOOL if isinstance(v, bool) else INT
                self.types[e.id] = t
                return t, v
            if g is None and e.name not in BUILTIN_TYPES:
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
        setlike = isinstance(e, (ir.SetLit, ir.SetComp, ir.SeqLit, ir.TupleLit, ir.RecordLit, ir.FunComp)) or (
            isinstance(e, ir.Call) and e.func in ("powerset", "union", "bigunion"))
        name = what.split("`")[1] if what.count("`") >= 2 else "X"
        fail(f"{what} must be a constant expression (literals, constants, arithmetic, "
             "comparisons, `and`/`or`/`not`, `if`)", e,
             hint=f"a `const` is an int or a bool (what --const can override); for a set, a quorum system "
                  f"say, write a def: `def {name} = ...`" if setlike else None)

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
