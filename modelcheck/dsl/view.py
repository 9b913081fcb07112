"""``--view EXPR``: an expression of the spec language over one state, compiled to a
Python function of the state (``modelcheck graph`` projects states through it); and
``--reach EXPR``: a state or step predicate, compiled the same way (``modelcheck trace
generate`` writes a shortest trace to a state, or a step, where it holds).

The expression goes through the front end like any spec text: parsed by
:func:`~modelcheck.dsl.parse.parse_expression` (its positions are those of the text as
given on the command line, reported as ``--view:1:col``), checked by
:func:`~modelcheck.dsl.check.check_expression` in the scope of the spec (state
variables, constants, operators; no primes, no temporal operators), then compiled by the
spec's own code generator. Errors are :class:`~modelcheck.diagnostics.SpecError`\\ s with
codes and carets, as for a spec.

Depends on the DSL front end and the compiler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .. import ir
from ..types import Type
from ..values import show
from .check import check_expression
from .compile import RUNTIME, Compiler
from .parse import parse_expression


@dataclass(frozen=True)
class View:
    text: str
    type: Type
    fn: Callable[[tuple], Any]

    def __call__(self, state: tuple) -> Any:
        return self.fn(state)

    def show(self, value: Any) -> str:
        return show(value, self.type)


def compile_view(spec, text: str, consts: Mapping[str, Any] | None = None, config: str | None = None,
                 origin: str = "--view") -> View:
    """The view ``text`` for ``spec`` (a :class:`modelcheck.api.Spec`), which was loaded
    with these ``consts`` and ``config`` (the view is checked with the same bindings)."""
    module = spec.checked.module
    expr, spans = parse_expression(text, origin)
    checked, t = check_expression(module, expr, spans, text, consts=consts, config=config,
                                  what="a --view expression")
    comp = Compiler(checked)
    src = comp.gen_expr("_view", expr, ())
    ns: dict[str, Any] = dict(RUNTIME)
    ns.update(comp.pool)
    exec(compile(src, f"<view {text}>", "exec"), ns)  # noqa: S102 - our own generated code
    return View(text, t, ns["_view"])


@dataclass(frozen=True)
class Predicate:
    """A boolean expression of the spec: of one state (``holds(s)``) or, when it reads a
    primed variable, of a step (``holds(s, t)``), as a ``step`` property's body."""

    text: str
    step: bool
    holds: Callable[..., bool]


def compile_predicate(spec, text: str, consts: Mapping[str, Any] | None = None, config: str | None = None,
                      origin: str = "--reach") -> Predicate:
    """The predicate ``text`` for ``spec`` (loaded with these ``consts`` and ``config``):
    a step predicate if it reads a primed variable (``x'``, ``f(a)'``), else a state
    predicate. Not boolean: MC210."""
    module = spec.checked.module
    expr, spans = parse_expression(text, origin)
    checked, _ = check_expression(module, expr, spans, text, consts=consts, config=config,
                                  what=f"a {origin} predicate", predicate=True, primes=True)
    step = any(isinstance(n, (ir.Primed, ir.Prime)) for n in ir.walk(expr))
    comp = Compiler(checked)
    src = comp.gen_pred("_reach", expr, step)
    ns: dict[str, Any] = dict(RUNTIME)
    ns.update(comp.pool)
    exec(compile(src, f"<{origin} {text}>", "exec"), ns)  # noqa: S102 - our own generated code
    return Predicate(text, step, ns["_reach"])
