"""The static checker: constants, names, types, primes and assignments of a parsed spec.

``check(module, consts, config)`` binds the constants (spec defaults, then the chosen
``config`` block, then the caller's ``consts``: real values, see :func:`check`), resolves
every name, infers the type of every expression and checks the rules of
``docs/language.md``. It gathers every error it can and raises one :class:`SpecError`
carrying all of them; otherwise it returns a :class:`Checked` (with warnings, if any).

After an error inside an expression the expression gets the poison type ``ErrT``, which
unifies with everything, so one mistake is reported once.

This module is the thin driver. The checker is split by phase, one module each, all
mixins over one shared state (:class:`~modelcheck.dsl.checkcore.CheckerCore`):

* :mod:`modelcheck.dsl.constants`: binding model-value sets, constants and configs;
* :mod:`modelcheck.dsl.infer`: type expressions, name resolution and type inference;
* :mod:`modelcheck.dsl.rules`: primes, one update per variable, clauses, properties,
  fairness, symmetry, unused variables.

Here: the entry points, the collection of declarations, the order of the phases
(:meth:`_Checker.run`) and the assembly of the :class:`Checked` result.

Depends on :mod:`modelcheck.ir`, :mod:`modelcheck.types`, :mod:`modelcheck.diagnostics`,
:mod:`modelcheck.dsl.checked` and the phase modules.
"""

from __future__ import annotations

from typing import Any, Mapping

from .. import ir
from ..diagnostics import Code, SpecError
from ..types import BOOL, Type
from ..model import SPEC_CLASSES
from .builtins import ARITIES
from .checked import Checked
from .checkcore import BUILTIN_TYPES, Ctx, ERR, Global
from .checkcore import CheckerCore
from .constants import ConstantsPhase
from .infer import InferencePhase
from .rules import RulesPhase

__all__ = ["check", "CLASSES", "BUILTINS"]

#: property classes (docs/language.md)
CLASSES = SPEC_CLASSES

#: built-in operators and their accepted argument counts (defined in dsl/builtins.py)
BUILTINS = ARITIES


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
        raise SpecError(c.sorted_errors(), source=ir.all_sources(module)) from None


def check_expression(module: ir.Module, expr: ir.Node, spans: dict, source: str,
                     consts: Mapping[str, Any] | None = None, config: str | None = None,
                     what: str = "this expression", predicate: bool = False,
                     primes: bool = False) -> tuple[Checked, Type]:
    """Check a lone expression (``modelcheck graph --view EXPR``, ``trace generate --reach
    EXPR``, parsed by ``parse.parse_expression``) in the scope of ``module``, as the body
    of a ``def``: it may read state variables, constants and operators, but no temporal
    operator, and a primed variable only with ``primes`` (a step predicate, as a ``step``
    property's body). With ``predicate`` it must be boolean (MC210 otherwise). Returns the
    module's :class:`Checked` extended with the expression's types and name resolutions,
    and the expression's type. Errors are reported against ``source`` (the expression's
    own text)."""
    c = _Checker(module, dict(consts or {}), config)
    checked = c.run()
    c.spans = {**module.spans, **spans}
    c.errors = []
    ctx = (Ctx("step", primes=True) if primes
           else Ctx("def", prime_msg=f"cannot appear in {what}: it is evaluated on one state"))
    try:
        if predicate:
            c.check_bool(expr, ctx, what)
            t = BOOL
        else:
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


# --------------------------------------------------------------------------- the checker


class _Checker(CheckerCore, ConstantsPhase, InferencePhase, RulesPhase):
    """The static checker: the shared state and the phases, driven by :meth:`run`."""

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
        self.option_values = self.spec_options()
        self.check_unresolved()
        self.check_unused()
        if self.errors:
            raise SpecError(self.sorted_errors(), source=ir.all_sources(self.m))
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
            check_deadlock=self.option_values["deadlock"],
        )

    # ------------------------------------------------------------------ declarations

    def collect(self) -> None:
        def dup(node, name, prev_node, what):
            where = self.where_declared(prev_node, node)
            self.error(Code.DUPLICATE, f"{what} `{name}` is already declared{where}", self.name_span(node, name))

        def add_global(name, g: Global, node):
            if name in BUILTIN_TYPES:
                self.error(Code.DUPLICATE, f"`{name}` is a built-in type and cannot be redeclared",
                           self.name_span(node, name))
                return
            if g.kind == "def" and name in BUILTINS:
                self.error(Code.DUPLICATE, f"`{name}` is a built-in operator and cannot be redeclared",
                           self.name_span(node, name))
                return
            if name in self.globals:
                where = self.where_declared(self.globals[name].decl, node)
                ctor = "ctor" in (g.kind, self.globals[name].kind)
                self.error(Code.DUPLICATE, f"`{name}` is already declared{where}", self.name_span(node, name),
                           hint="constructor names are global, like every top-level name (two enums cannot "
                                "share one): rename one of them" if ctor else None)
                return
            self.globals[name] = g

        seen_props: dict[str, ir.PropertyDecl] = {}
        for d in self.m.decls:
            if isinstance(d, ir.ModelsDecl):
                add_global(d.name, Global("models", d), d)
                seen: set[str] = set()
                for v in d.values:
                    if v in seen:
                        self.error(Code.DUPLICATE, f"model value `{v}` appears twice in `{d.name}`",
                                   self.span(d))
                    seen.add(v)
            elif isinstance(d, ir.ConstDecl):
                add_global(d.name, Global("const", d), d)
            elif isinstance(d, ir.EnumDecl):
                add_global(d.name, Global("enum", d), d)
                for c in d.ctors:
                    add_global(c.name, Global("ctor", c, enum=d.name), c)
            elif isinstance(d, ir.TypeDecl):
                add_global(d.name, Global("alias", d), d)
            elif isinstance(d, ir.VarDecl):
                add_global(d.name, Global("var", d), d)
            elif isinstance(d, ir.DefDecl):
                add_global(d.name, Global("def", d), d)
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
            elif isinstance(d, ir.OptionsDecl):
                self.options.append(d)

    #: the options a spec may set, with their default values
    OPTIONS = {"deadlock": True}

    def spec_options(self) -> dict:
        """The values of `options { ... }` (one block at most; known names, bool values)."""
        out = dict(self.OPTIONS)
        out_set: set[str] = set()
        for i, d in enumerate(self.options):
            if i:
                prev = self.span(self.options[0])
                self.error(Code.DUPLICATE, "a spec has one `options` block"
                           + (f" (the first is on line {prev.line})" if prev else ""), self.head_span(d, 7),
                           hint="merge the two blocks")
            seen: set[str] = set()
            for b in d.bindings:
                if b.name not in self.OPTIONS:
                    known = ", ".join(f"`{k}`" for k in self.OPTIONS)
                    self.error(Code.BAD_OPTION, f"unknown option `{b.name}`"
                               + (self.did_you_mean(b.name, self.OPTIONS) or f"; the options are {known}"),
                               self.span(b))
                elif b.name in seen or (i and b.name in out_set):
                    self.error(Code.DUPLICATE, f"option `{b.name}` is set twice", self.span(b))
                elif not isinstance(b.value, bool):
                    self.error(Code.BAD_OPTION, f"option `{b.name}` is `true` or `false`", self.span(b),
                               hint=f"`options {{ {b.name} = false }}`")
                else:
                    out[b.name] = b.value
                seen.add(b.name)
                out_set.add(b.name)
        return out

    def where_declared(self, prev_node, node) -> str:
        """`` (line 3)``, or `` (common.mc, line 3)`` when the two are in different files."""
        prev, here = self.span(prev_node), self.span(node)
        if prev is None:
            return ""
        if here is not None and here.file != prev.file:
            import os
            return f" ({os.path.basename(prev.file)}, line {prev.line})"
        return f" (line {prev.line})"

    def is_declared(self, d) -> bool:
        """Whether ``d`` is the declaration its name resolves to (not a rejected duplicate)."""
        g = self.globals.get(d.name)
        return g is not None and g.decl is d
