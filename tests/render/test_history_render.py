"""modelcheck.render.history: the page of a history check, read back as structure
(the SVG parsed as XML), never compared with a stored copy.

The expected figures come from the hand-made histories themselves: which op is pending,
which is stuck, where a bar must start and end on the drawn time scale.
"""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET

import pytest

from modelcheck.history.check import check_history
from modelcheck.history.core import Consistency, HistoryVerdict, Op
from modelcheck.history.models import KvModel, RegisterModel
from modelcheck.render import history as hr
from modelcheck.render.history import linearization_points, render_history_report

SVG = "{http://www.w3.org/2000/svg}"


def op(i, proc, call, ret, f, args=(), result=None):
    return Op(i, proc, call, ret, f, tuple(args), result, line=i + 1)


def svg_of(page: str) -> ET.Element:
    (text,) = re.findall(r'<svg class="timeline".*?</svg>', page, re.S)
    return ET.fromstring(text)


def ops_in(svg) -> dict[int, ET.Element]:
    return {int(g.get("data-id")): g for g in svg.iter(f"{SVG}g") if "op" in g.get("class", "").split()}


def classes(g) -> set[str]:
    return set(g.get("class").split())


def x_of(svg, t: float) -> float:
    return float(svg.get("data-left")) + (t - float(svg.get("data-t0"))) * float(svg.get("data-scale"))


GOOD = [op(0, 0, 0, 2, "write", [1]), op(1, 1, 1, 3, "read", [], 1), op(2, 2, 1.5, None, "write", [2]),
        op(3, 0, 4, 5, "read", [], 2), op(4, 1, 4.5, 6, "read", [], 2)]
BAD = [op(0, 0, 0, 2, "write", [1]), op(1, 1, 1, 3, "read", [], 1), op(2, 0, 4, 5, "write", [2]),
       op(3, 1, 6, 7, "read", [], 1), op(4, "c", 6.5, 8, "read", [], 2)]


def test_points_keep_the_order_and_stay_within_each_interval():
    """Random linearizable register histories (a register under random delays): the
    points of the checker's witness never go back in time and each lies within its
    operation's call and return."""
    rng = random.Random(5)
    for trial in range(30):
        value, ops, t = None, [], 0.0
        busy = {p: 0.0 for p in range(4)}
        for i in range(25):
            p = rng.randrange(4)
            call = max(busy[p], t) + rng.uniform(0, 1)
            at = call + rng.uniform(0, 2)                  # the moment it takes effect
            ret = at + rng.uniform(0, 2)
            t = at
            if rng.random() < 0.5:
                value = i
                ops.append((call, ret, p, "write", [i], None))
            else:
                ops.append((call, ret, p, "read", [], value))
            busy[p] = ret
        hist = [op(k, p, c, r, f, a, res) for k, (c, r, p, f, a, res) in enumerate(ops)]
        res = check_history(hist, RegisterModel())
        assert res.verdict is HistoryVerdict.OK
        order = [hist[i] for i in res.order[None]]
        pts = linearization_points(order)
        assert pts == sorted(pts)
        for o, t in zip(order, pts):
            assert o.call <= t <= o.ret, (trial, o, t)


def test_a_linearizable_history_has_a_bar_and_a_point_for_every_operation():
    model = RegisterModel()
    res = check_history(GOOD, model)
    assert res.verdict is HistoryVerdict.OK
    page = render_history_report(GOOD, model, res, source="good.jsonl")
    assert '<meta name="generator" content="modelcheck history report">' in page
    assert 'id="verdict">linearizable<' in page
    svg = svg_of(page)
    bars = ops_in(svg)
    assert sorted(bars) == [0, 1, 2, 3, 4]
    # one row per process, named
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "proc"] == ["process 0", "process 1",
                                                                                   "process 2"]
    for i, g in bars.items():
        rect = g.find(f"{SVG}rect")
        o = GOOD[i]
        assert float(rect.get("x")) == pytest.approx(x_of(svg, o.call), abs=0.1)
        if o.ret is not None:
            assert float(rect.get("x")) + float(rect.get("width")) == pytest.approx(x_of(svg, o.ret), abs=0.1)
        circle = g.find(f"{SVG}circle")
        assert circle is not None and "point" in circle.get("class")
        t = float(g.get("data-point"))
        assert o.call <= t and (o.ret is None or t <= o.ret)
        assert float(circle.get("cx")) == pytest.approx(x_of(svg, t), abs=0.1)
        assert g.find(f"{SVG}title").text.startswith(model.describe(o))
    # the pending write is open-ended: it runs past the last return, drawn as pending
    assert "pending" in classes(bars[2])
    end = float(bars[2].find(f"{SVG}rect").get("x")) + float(bars[2].find(f"{SVG}rect").get("width"))
    assert end > x_of(svg, 6)
    assert not any("pending" in classes(g) for i, g in bars.items() if i != 2)
    # the points follow the witness order, one joined path
    pos = {i: int(g.get("data-pos")) for i, g in bars.items()}
    assert [i for i, _ in sorted(pos.items(), key=lambda kv: kv[1])] == list(res.order[None])
    assert len([p for p in svg.iter(f"{SVG}path") if p.get("class") == "order"]) == 1
    assert not any(g.get("class") == "failing" for g in svg.iter(f"{SVG}line"))


def test_a_history_that_is_not_shows_the_prefix_the_stuck_operation_and_what_was_expected():
    model = RegisterModel()
    res = check_history(BAD, model)
    assert res.verdict is HistoryVerdict.VIOLATED
    page = render_history_report(BAD, model, res)
    assert 'id="verdict">not linearizable<' in page
    bars = ops_in(svg_of(page))
    stuck = [i for i, g in bars.items() if "stuck" in classes(g)]
    assert stuck == [3]                            # the read of 1 after write(2) returned
    assert sorted(i for i, g in bars.items() if "prefix" in classes(g)) == [0, 1, 2, 4]
    assert "data-point" not in bars[3].attrib      # it has no place in any order
    assert re.search(r'<li class="stuck-op" data-op="3"><code>read -&gt; 1</code> \(process 1, line 4\): '
                     r"after the prefix the model expected <code>read -&gt; 2", page)
    lines = [ln for ln in svg_of(page).iter(f"{SVG}line") if ln.get("class") == "failing"]
    assert len(lines) == 1
    # at the last point of the prefix (read -> 2 by c, called at 6.5)
    assert float(lines[0].get("x1")) == pytest.approx(x_of(svg_of(page), 6.5), abs=0.1)


def test_the_failing_part_is_drawn_and_the_other_parts_are_dimmed():
    model = KvModel()
    hist = [op(0, 0, 0, 1, "write", ["x", 1]), op(1, 1, 2, 3, "read", ["x"], 1),
            op(2, 0, 0, 1, "write", ["y", 1]), op(3, 1, 2, 3, "read", ["y"], 5)]
    res = check_history(hist, model)
    assert res.verdict is HistoryVerdict.VIOLATED and res.failure.key == "y"
    bars = ops_in(svg_of(render_history_report(hist, model, res)))
    assert {i for i, g in bars.items() if "other" in classes(g)} == {0, 1}
    assert {i for i, g in bars.items() if "stuck" in classes(g)} == {3}


def test_sequential_consistency_numbers_the_order_without_points_in_time():
    model = RegisterModel()
    hist = [op(0, 0, 0, 1, "write", [1]), op(1, 1, 2, 3, "read", [], None)]     # a stale read
    res = check_history(hist, model, Consistency.SEQUENTIAL)
    assert res.verdict is HistoryVerdict.OK
    page = render_history_report(hist, model, res)
    assert 'id="verdict">sequentially consistent<' in page
    bars = ops_in(svg_of(page))
    assert {i: g.get("data-pos") for i, g in bars.items()} == {0: "2", 1: "1"}
    assert not any(g.find(f"{SVG}circle") is not None for g in bars.values())


def test_text_from_the_history_is_escaped_and_nothing_is_loaded():
    model = RegisterModel()
    hist = [op(0, "<script>alert(1)</script>", 0, 1, "write", ["</svg><img src=x>"])]
    res = check_history(hist, model)
    page = render_history_report(hist, model, res, source='a"<b>.jsonl')
    assert "<script>alert" not in page and "<img" not in page and 'a"<b>' not in page
    svg_of(page)                                    # still well-formed
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r'<[^>]*\s(src|href)=', page)        # no tag loads anything


def test_a_large_history_is_drawn_in_part_and_says_so(monkeypatch):
    monkeypatch.setattr(hr, "MAX_DRAWN", 10)
    model = RegisterModel()
    hist = [op(k, k % 3, k, k + 0.5, "write", [k]) for k in range(30)]
    res = check_history(hist, model)
    page = render_history_report(hist, model, res)
    assert len(ops_in(svg_of(page))) == 10
    assert "30 operations: the first 10 by call time are drawn" in page


def test_an_unknown_verdict_draws_the_bars_without_points_and_says_why():
    from modelcheck.history.core import HistoryResult
    model = RegisterModel()
    res = HistoryResult(HistoryVerdict.UNKNOWN, Consistency.LINEARIZABLE, "register", 5, 1,
                        reason="the time limit (0.1 s) ran out")
    page = render_history_report(GOOD, model, res)
    assert 'id="verdict">unknown<' in page and "the time limit (0.1 s) ran out" in page
    bars = ops_in(svg_of(page))
    assert len(bars) == 5 and not any(g.find(f"{SVG}circle") is not None for g in bars.values())
    assert not any("unplaced" in classes(g) or "stuck" in classes(g) for g in bars.values())
