"""`modelcheck graph`: the state graph as DOT (golden) and SVG (parsed as XML), views,
the highlighted counterexample, the size limits, and the report's excerpt."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from modelcheck.cli import main
from modelcheck.dsl.view import compile_view
from modelcheck.search import Options, explore
from modelcheck.render.graphs import draw_excerpt, draw_full, project
from modelcheck.search import GraphTooLarge, build_graph, excerpt
from modelcheck.render.dot import to_dot
from modelcheck.render.svg import dot_to_svg, inline_svg
from tests.helpers import TWOPHASE, load_spec

GOLDEN = Path(__file__).resolve().parent / "golden"
SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode())
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def test_golden_dot_of_a_three_state_cycle(tmp_path, capsys):
    # golden/counter.dot, read line by line: x goes 0 -> 1 -> 2 by Inc and back to 0 by
    # Reset, so three nodes (x = 0 is initial: the point node pointing at it, light blue)
    # and three edges, each changing x ("Δ x"). Small (x < 2) fails at x = 2: the shortest
    # counterexample 0 -> 1 -> 2 is red (nodes and edges), its last state filled red;
    # Reset is not on it and keeps the default colour. The counterexample's nodes share
    # group "cex" and its edges weigh 8, which makes dot draw the path as a straight line.
    out = tmp_path / "counter"
    # exit 1: the drawing holds a counterexample (every command exits with its verdict)
    assert main(["graph", str(GOLDEN / "counter.mc"), "-o", str(out)]) == 1
    assert (tmp_path / "counter.dot").read_text() == (GOLDEN / "counter.dot").read_text()
    printed = capsys.readouterr().out
    assert "Counter: 3 states, 3 transitions" in printed
    assert "counterexample: Small (3 states), drawn in red" in printed
    svg = (tmp_path / "counter.svg").read_text()
    labels = texts(svg)
    assert labels.count("Inc") == 2 and labels.count("Reset") == 1
    assert {"x = 0", "x = 1", "x = 2"} <= set(labels)
    root = ET.fromstring(svg.encode())
    red_edges = [g for g in root.iter(SVG + "g") if g.get("class") == "edge"
                 and any(p.get("stroke") == "#c62828" for p in g.iter(SVG + "path"))]
    assert len(red_edges) == 2  # the two Inc steps of the counterexample


def test_view_merges_states():
    spec = load_spec(TWOPHASE, RM=2)
    g = build_graph(spec.model)
    # the graph has exactly the states the explorer counts without symmetry (56 for 2
    # RMs; the explorer's counts agree with TLC's, 288 for 3 RMs, in tests/specs/test_specs.py)
    assert len(g.states) == explore(spec.model, Options(symmetry=False)).distinct_states == 56
    view = compile_view(spec, "tmState", {"RM": 2})
    d = project(spec.model, g, view, view.show, view_text="tmState")
    # the TM's three states, in discovery order: TMAbort is enabled in the initial state,
    # TMCommit only once both RMs have prepared; the TM only ever leaves init
    assert [n.lines for n in d.nodes] == [["init"], ["tmAborted"], ["tmCommitted"]]
    edges = {(d.nodes[e.src].lines[0], d.nodes[e.dst].lines[0]): e.actions for e in d.edges}
    assert edges == {("init", "tmCommitted"): ["TMCommit"], ("init", "tmAborted"): ["TMAbort"]}
    # every other transition keeps tmState: not drawn, and said so
    kept = sum(1 for i, _, j in g.transitions() if g.states[i][1] == g.states[j][1])
    assert d.notes == [f"{kept:,} transitions that leave the view unchanged are not drawn"]
    assert kept == g.edge_count - sum(1 for i, _, j in g.transitions() if g.states[i][1] != g.states[j][1])


def test_view_of_a_tuple_and_the_path(tmp_path, capsys):
    out = tmp_path / "v"
    assert main(["graph", TWOPHASE, "--const", "BugCommitOnAny=true", "--view", "(tmState, size(tmPrepared))",
                 "-o", str(out)]) == 1
    printed = capsys.readouterr().out
    # tmState x |tmPrepared| reachable with 3 RMs: init with 0..3 prepared, and from each
    # of those, committed or aborted (committing needs >= 1 with the bug): 4 + 4 + 3 = 11
    assert "view (tmState, size(tmPrepared)): 11 nodes, 10 edges" in printed
    dot = (tmp_path / "v.dot").read_text()
    assert 'label="(tmCommitted, 1)\\l", fillcolor="#ffcdd2"' in dot  # the bad state's view
    assert "(tmCommitted, 1)" in texts((tmp_path / "v.svg").read_text())


def test_view_errors_point_into_the_expression(tmp_path, capsys):
    code = main(["graph", TWOPHASE, "--view", "rmState[r4]", "-o", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == ["--view:1:9: MC201 unknown name `r4`", "    1 | rmState[r4]",
                                "      |         ^^"]
    assert main(["graph", TWOPHASE, "--view", "rmState'", "-o", str(tmp_path / "x")]) == 2
    assert "MC220" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_refuses_politely_above_the_limit(tmp_path, capsys):
    # 288 states with 3 RMs (TLC's figure), more than the default 100 nodes
    assert main(["graph", TWOPHASE, "-o", str(tmp_path / "big")]) == 2
    err = capsys.readouterr().err
    assert "288 nodes is more than --max-nodes 100: nothing drawn" in err
    assert "--view EXPR" in err and "raise the limit: --max-nodes 288" in err
    assert not list(tmp_path.iterdir())
    assert main(["graph", TWOPHASE, "--max-states", "50", "-o", str(tmp_path / "big")]) == 2
    assert "more than 50 reachable states" in capsys.readouterr().err
    with pytest.raises(GraphTooLarge):
        build_graph(load_spec(TWOPHASE).model, max_states=287)
    assert len(build_graph(load_spec(TWOPHASE).model, max_states=288).states) == 288


def test_never_overwrites(tmp_path, capsys):
    (tmp_path / "g.dot").write_text("mine")
    assert main(["graph", str(GOLDEN / "counter.mc"), "-o", str(tmp_path / "g")]) == 2
    assert "use --force" in capsys.readouterr().err
    assert (tmp_path / "g.dot").read_text() == "mine"
    assert main(["graph", str(GOLDEN / "counter.mc"), "-o", str(tmp_path / "g"), "--force", "--format", "dot"]) == 1
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert not (tmp_path / "g.svg").exists()


def test_neighbourhood_excerpt():
    spec = load_spec(TWOPHASE, BugCommitOnAny=True)
    (v,) = explore(spec.model, Options()).violations
    d = draw_excerpt(spec.model, excerpt(spec.model, v.trace, per_state=2))
    on_path = [n for n in d.nodes if n.on_path]
    assert len(on_path) == len(v.trace) == 5
    # each path state shows at most 2 other successors, the rest as one "+n more" node
    assert all(not n.on_path for n in d.nodes[5:])
    more = [n for n in d.nodes if n.elided]
    assert more and all(n.lines[0].startswith("+") for n in more)
    assert sum(e.on_path for e in d.edges) == 4
    svg = dot_to_svg(to_dot(d, id_prefix="x1"))
    assert "RMRcvCommitMsg(rm=r1)" in texts(svg)
    inline = inline_svg(svg)
    assert inline.startswith("<svg") and "<!--" not in inline and 'id="x1_s0"' in inline


def test_graph_exits_with_the_verdict_it_reached(tmp_path, capsys):
    # the one rule of every command: 0 holds, 1 violated (files written in any case),
    # 3 undetermined; --no-check judges nothing and exits 0
    counter = str(GOLDEN / "counter.mc")
    assert main(["graph", TWOPHASE, "--const", "RM=2", "-o", str(tmp_path / "ok")]) == 0
    assert main(["graph", counter, "-o", str(tmp_path / "bad")]) == 1
    assert (tmp_path / "bad.dot").exists() and (tmp_path / "bad.svg").exists()
    assert "counterexample: Small" in capsys.readouterr().out
    assert main(["graph", counter, "--no-check", "-o", str(tmp_path / "nocheck")]) == 0
    assert "counterexample" not in capsys.readouterr().out
