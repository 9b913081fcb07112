"""Diagnostics: coded, located messages about a spec, printed with the source line and a caret.

Front-end errors (``MC1xx``..``MC2xx``), runtime errors found during the search (``MC300``)
and problems in a trace (``MC4xx``) all become :class:`Diagnostic` objects.
:class:`SpecError` carries a list of them; the CLI prints them and exits with status 2.
Nothing here prints by itself.

:class:`Code` is THE registry of error codes: every ``MCnnn`` the code base emits is a member
here, with a short title in :data:`TITLES`; docs/language.md lists the same codes (a test
checks both). Code elsewhere names a code by its member (``Code.TYPE_MISMATCH``), never by a
string literal. ``Code`` is a ``StrEnum``, so a code prints, compares and serialises as its
text (``"MC210"``).

Depends on :mod:`modelcheck.ir` (for spans) only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .ir import Span


class Code(StrEnum):
    """Every error code, by what it means (the value is what users see)."""

    SPEC_UNREADABLE = "MC001"
    OUTPUT_UNWRITABLE = "MC002"
    SYNTAX = "MC100"
    DUPLICATE = "MC101"
    UNKNOWN_NAME = "MC201"
    ARITY = "MC202"
    TYPE_MISMATCH = "MC210"
    CANNOT_INFER = "MC211"
    INVALID_TYPE = "MC212"
    PRIME_NOT_ALLOWED = "MC220"
    ASSIGNED_TWICE = "MC221"
    INIT_INCOMPLETE = "MC222"
    NOT_ASSIGNABLE = "MC223"
    NOT_A_FINITE_SET = "MC230"
    RECURSION = "MC231"
    PROPERTY_CLASS = "MC240"
    UNUSED_VARIABLE = "MC250"
    BAD_SYMMETRY = "MC260"
    BAD_INCLUDE = "MC110"
    BAD_CONSTANT = "MC270"
    BAD_OPTION = "MC271"
    TEMPORAL_MISPLACED = "MC280"
    TEMPORAL_UNSUPPORTED = "MC281"
    CLAUSE_REPEATED = "MC290"
    CLAUSE_NEEDS_PROCESS = "MC291"
    MESSAGE_NEVER_SENT = "MC292"
    RUNTIME = "MC300"
    SYMBOLIC_UNSUPPORTED = "MC500"
    NATIVE_UNSUPPORTED = "MC600"
    NOT_DECIDABLE = "MC501"
    NOT_AN_INVARIANT = "MC502"
    TRACE_UNREADABLE = "MC400"
    TRACE_MALFORMED = "MC401"
    TRACE_MISFIT = "MC402"


#: a short title for every code (docs/language.md gives the longer story)
TITLES: dict[Code, str] = {
    Code.SPEC_UNREADABLE: "the spec file cannot be read",
    Code.OUTPUT_UNWRITABLE: "an output cannot be written",
    Code.SYNTAX: "syntax error",
    Code.DUPLICATE: "duplicate declaration or shadowed name",
    Code.UNKNOWN_NAME: "unknown name",
    Code.ARITY: "wrong number of arguments",
    Code.TYPE_MISMATCH: "type mismatch",
    Code.CANNOT_INFER: "a type cannot be inferred",
    Code.INVALID_TYPE: "invalid type",
    Code.PRIME_NOT_ALLOWED: "a primed variable where only the current state can be read",
    Code.ASSIGNED_TWICE: "a variable assigned twice on one path of an action",
    Code.INIT_INCOMPLETE: "init does not assign every variable",
    Code.NOT_ASSIGNABLE: "assignment to something that is not a state variable",
    Code.NOT_A_FINITE_SET: "iteration over something that is not a finite set",
    Code.RECURSION: "recursion between operators or constants",
    Code.PROPERTY_CLASS: "unknown or missing property class",
    Code.UNUSED_VARIABLE: "a variable no action reads or assigns (warning)",
    Code.BAD_SYMMETRY: "symmetry on something that is not a model-value set, or a symmetric value named",
    Code.BAD_CONSTANT: "a constant bound to a value that does not fit, or an unknown config",
    Code.BAD_INCLUDE: "an import or extends that cannot be followed (missing file, a cycle)",
    Code.BAD_OPTION: "an unknown spec option, or a value that does not fit it",
    Code.TEMPORAL_MISPLACED: "a temporal operator out of place",
    Code.TEMPORAL_UNSUPPORTED: "a temporal formula of a shape the checker does not decide",
    Code.CLAUSE_REPEATED: "a sequence-chart clause repeated on one action",
    Code.CLAUSE_NEEDS_PROCESS: "crashes / restarts without a process clause",
    Code.MESSAGE_NEVER_SENT: "a received message type that nothing sends",
    Code.RUNTIME: "runtime error in the spec",
    Code.SYMBOLIC_UNSUPPORTED: "a construct symbolic checking does not support",
    Code.NATIVE_UNSUPPORTED: "a construct the C backend does not compile (--backend c)",
    Code.NOT_DECIDABLE: "a construct outside the decidable fragment of --for-all-sizes",
    Code.NOT_AN_INVARIANT: "prove names something that is not an invariant of the spec",
    Code.TRACE_UNREADABLE: "the trace cannot be read",
    Code.TRACE_MALFORMED: "the trace is not well-formed JSON Lines or ITF",
    Code.TRACE_MISFIT: "a trace event does not fit the spec",
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: Code  # Code.UNKNOWN_NAME, printed "MC201"
    message: str
    span: Span | None = None
    severity: str = "error"  # "error" | "warning"
    hint: str | None = None

    def render(self, source=None) -> str:
        """``file:line:col: CODE message``, then the source line and a caret under the span.
        ``source`` is the spec's text, or a mapping of file name to text (a spec that
        imports others)."""
        if isinstance(source, dict):
            source = source.get(self.span.file) if self.span is not None else None
        head = f"{self.code} {self.message}" if self.severity == "error" else f"{self.code} warning: {self.message}"
        if self.span is None:
            out = head
        else:
            out = f"{self.span.file}:{self.span.line}:{self.span.col}: {head}"
            if source is not None:
                out += "\n" + caret_snippet(source, self.span)
        if self.hint:
            out += f"\n   = hint: {self.hint}"
        return out


def caret_snippet(source: str, span: Span) -> str:
    lines = source.splitlines()
    if not (1 <= span.line <= len(lines)):
        return ""
    text = lines[span.line - 1].replace("\t", " ")
    width = 1
    if span.end_line == span.line and span.end_col > span.col:
        width = span.end_col - span.col
    elif span.end_line != span.line:
        width = max(1, len(text) - span.col + 1)
    gutter = f"{span.line:>5} | "
    pad = " " * (len(gutter) - 2) + "| "
    return f"{gutter}{text}\n{pad}{' ' * (span.col - 1)}{'^' * width}"


class SpecError(Exception):
    """One or more error diagnostics; ``source`` is the spec text, for carets."""

    def __init__(self, diagnostics: list[Diagnostic], source=None):
        self.diagnostics = list(diagnostics)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        parts = [d.render(self.source) for d in self.diagnostics]
        errors = sum(1 for d in self.diagnostics if d.severity == "error")
        if errors > 1:
            parts.append(f"{errors} errors")
        return "\n".join(parts)
