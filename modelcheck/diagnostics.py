"""Diagnostics: coded, located messages about a spec, printed with the source line and a caret.

Front-end errors (``MC1xx``..``MC2xx``), runtime errors found during the search and bad
command-line input all become :class:`Diagnostic` objects. :class:`SpecError` carries a
list of them; the CLI prints them and exits with status 2. Nothing here prints by itself.

Depends on :mod:`modelcheck.ir` (for spans) only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ir import Span


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str  # "MC201"
    message: str
    span: Span | None = None
    severity: str = "error"  # "error" | "warning"
    hint: str | None = None

    def render(self, source: str | None = None) -> str:
        """``file:line:col: CODE message``, then the source line and a caret under the span."""
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

    def __init__(self, diagnostics: list[Diagnostic], source: str | None = None):
        self.diagnostics = list(diagnostics)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        parts = [d.render(self.source) for d in self.diagnostics]
        errors = sum(1 for d in self.diagnostics if d.severity == "error")
        if errors > 1:
            parts.append(f"{errors} errors")
        return "\n".join(parts)
