"""The house's rules, read off the code: the import graph of modelcheck/ has no circle,
no part imports a part above it, and reference/ never imports modelcheck/.

The graph counts every import statement, those inside functions too (a circle through
a lazy import is still a circle). docs/architecture.md draws the parts and their order.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: the parts of modelcheck/, lowest first; a module may import only from its own part
#: or from a part listed before it
PARTS = [
    ("foundation", ["modelcheck.model", "modelcheck.result", "modelcheck.diagnostics", "modelcheck.values",
                    "modelcheck.types", "modelcheck.ir", "modelcheck.itf", "modelcheck.symmetry",
                    "modelcheck.resources"]),
    ("search", ["modelcheck.search"]),
    ("language", ["modelcheck.dsl"]),
    ("symbolic", ["modelcheck.symbolic"]),
    ("native", ["modelcheck.native"]),
    ("histories", ["modelcheck.history"]),
    ("renderers", ["modelcheck.render", "modelcheck.report", "modelcheck.itfout"]),
    ("trace tools", ["modelcheck.conform"]),
    ("api", ["modelcheck.api", "modelcheck"]),
    ("suite", ["modelcheck.suite"]),
    ("face", ["modelcheck.cli"]),
]

#: pairs of parts that must not meet even though one is below the other
FORBIDDEN = {
    ("search", "language"): "the search sees a spec only through the model protocol",
    ("renderers", "search"): "renderers read results and graphs; they never run a search",
    ("renderers", "language"): "renderers read results; the front end is not theirs",
    ("language", "search"): "the compiler builds a model; it does not search",
    ("symbolic", "search"): "the symbolic backend reads the typed IR; it is not a client of the explicit search",
}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, modules: set[str] | None = None) -> set[str]:
    """The modules ``path`` imports (absolute names), from every import statement. With
    ``modules`` (the tree's module names), ``from pkg import mod`` counts as importing
    ``pkg.mod`` only, not the package's ``__init__``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            subs = [f"{mod}.{a.name}" for a in node.names]
            if modules is None:
                out.add(mod)
                out.update(subs)
            else:
                found = [m for m in subs if m in modules]
                out.update(found)
                if len(found) < len(subs):
                    out.add(mod)
    return out


def graph(top: str) -> dict[str, set[str]]:
    files = sorted((ROOT / top).rglob("*.py"))
    names = {module_name(f): f for f in files}
    return {n: {m for m in imports_of(f, set(names)) if m in names and m != n} for n, f in names.items()}


def part_of(module: str) -> str:
    best = ("", -1)
    for part, prefixes in PARTS:
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best[1]:
                best = (part, len(p))
    assert best[0], f"{module} belongs to no part of tests/test_architecture.py's PARTS: add it"
    return best[0]


def test_every_module_belongs_to_a_part():
    for m in graph("modelcheck"):
        part_of(m)


def test_no_circle_in_the_import_graph():
    g = graph("modelcheck")
    # a package's __init__ re-exporting its modules is not a circle: leave out the
    # edges from a package to its own submodules
    g = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in g.items()}
    index, low, on, stack, circles = {}, {}, set(), [], []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    assert circles == []


def test_no_part_imports_a_part_above_it():
    order = [p for p, _ in PARTS]
    wrong = []
    for m, targets in graph("modelcheck").items():
        a = part_of(m)
        for t in targets:
            b = part_of(t)
            if order.index(b) > order.index(a):
                wrong.append(f"{m} ({a}) imports {t} ({b})")
            elif (a, b) in FORBIDDEN:
                wrong.append(f"{m} imports {t}: {FORBIDDEN[(a, b)]}")
    assert wrong == []


def test_reference_never_imports_modelcheck():
    wrong = [f"{module_name(f)} imports {m}" for f in sorted((ROOT / "reference").rglob("*.py"))
             for m in imports_of(f) if m == "modelcheck" or m.startswith("modelcheck.")]
    assert wrong == []


def test_the_picture_is_drawn_from_its_source():
    from modelcheck.render.svg import dot_to_svg

    dot = (ROOT / "docs" / "architecture.dot").read_text(encoding="utf-8")
    svg = (ROOT / "docs" / "architecture.svg").read_text(encoding="utf-8")
    assert svg == dot_to_svg(dot), "docs/architecture.svg is stale: run `make architecture`"
