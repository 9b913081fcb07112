"""The history report in a real browser (Debian's Chromium, headless, driven by
Playwright as tests/render/test_browser.py does; without Chromium the test fails unless
MODELCHECK_SKIP_BROWSER=1).

Two pages made by `modelcheck history report`: a linearizable register history (the
bars, one per operation, on one row per process; a point on each bar within the bar; the
pending operation open-ended) and one that is not (the stuck bar outlined, the prefix,
the failing line, the expected value). Each must load with no console message or
exception and request nothing but itself.
"""

from __future__ import annotations

import json
import tempfile

import pytest

from modelcheck.cli import main
from tests.render.test_browser import CHROMIUM, FLAGS, need_browser

GOOD = [{"process": 0, "call": 0, "ret": 2, "f": "write", "args": [1], "result": None},
        {"process": 1, "call": 1, "ret": 3, "f": "read", "args": [], "result": 1},
        {"process": 2, "call": 1.5, "ret": None, "f": "write", "args": [2], "result": None},
        {"process": 0, "call": 4, "ret": 5, "f": "read", "args": [], "result": 2},
        {"process": 1, "call": 4.5, "ret": 6, "f": "read", "args": [], "result": 2}]
BAD = [{"process": 0, "call": 0, "ret": 2, "f": "write", "args": [1], "result": None},
       {"process": 1, "call": 1, "ret": 3, "f": "read", "args": [], "result": 1},
       {"process": 0, "call": 4, "ret": 5, "f": "write", "args": [2], "result": None},
       {"process": 1, "call": 6, "ret": 7, "f": "read", "args": [], "result": 1}]


def _page(tmp_path, name, lines, code):
    h = tmp_path / f"{name}.jsonl"
    h.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / f"{name}.html"
    assert main(["history", "report", str(h), "--model", "register", "-o", str(out)]) == code
    return out


def _box(loc):
    b = loc.bounding_box()
    assert b is not None
    return b


@pytest.mark.slow                   # about 4 s, most of it starting Chromium
@pytest.mark.timeout(120)
def test_history_report_shows_bars_points_and_the_failure(tmp_path):
    need_browser()
    from playwright.sync_api import sync_playwright

    good, bad = _page(tmp_path, "good", GOOD, 0), _page(tmp_path, "bad", BAD, 1)
    problems, requests = [], []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
                                                   viewport={"width": 1300, "height": 900})
        try:
            page = ctx.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}"))
            page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
            page.on("request", lambda r: requests.append(r.url))

            page.goto(good.as_uri(), wait_until="load")
            assert page.locator("#verdict").inner_text() == "linearizable"
            bars = page.locator("svg.timeline g.op")
            assert bars.count() == 5
            rows = {}
            for k in range(5):
                g = bars.nth(k)
                bar, dot = _box(g.locator("rect.bar")), _box(g.locator("circle.point"))
                assert bar["width"] > 20 and bar["height"] > 8
                # the point lies on its bar: within it left to right, on its row
                centre = dot["x"] + dot["width"] / 2
                assert bar["x"] - 1 <= centre <= bar["x"] + bar["width"] + 1
                assert bar["y"] <= dot["y"] + dot["height"] / 2 <= bar["y"] + bar["height"]
                rows.setdefault(round(bar["y"]), []).append(g.get_attribute("data-id"))
            assert len(rows) == 3                                    # one row per process
            pending = page.locator("svg.timeline g.op.pending rect.bar")
            assert pending.count() == 1
            # open-ended: it runs past every other bar's end
            others = [_box(bars.nth(k).locator("rect.bar")) for k in range(5)
                      if "pending" not in bars.nth(k).get_attribute("class")]
            pend = _box(pending)
            assert pend["x"] + pend["width"] > max(b["x"] + b["width"] for b in others)
            assert page.locator("svg.timeline path.order").count() == 1
            assert page.locator("svg.timeline text.label").first.is_visible()
            page.screenshot(path=str(tmp_path / "good.png"), full_page=True)

            page.goto(bad.as_uri(), wait_until="load")
            assert page.locator("#verdict").inner_text() == "not linearizable"
            stuck = page.locator("svg.timeline g.op.stuck")
            assert stuck.count() == 1 and stuck.get_attribute("data-id") == "3"
            assert stuck.locator("rect.bar").evaluate("e => getComputedStyle(e).stroke") == "rgb(198, 40, 40)"
            assert page.locator("svg.timeline g.op.prefix").count() == 3
            assert page.locator("svg.timeline g.op.prefix circle.point").count() == 3
            line = _box(page.locator("svg.timeline line.failing"))
            assert line["height"] > 50
            assert "expected read -> 2" in page.locator("#failure").inner_text()
            page.click("text=fit to width")                          # our only script works
            assert "fit" in page.locator("#timeline-fig").get_attribute("class")
            page.screenshot(path=str(tmp_path / "bad.png"), full_page=True)
        finally:
            ctx.close()
    assert problems == []
    assert requests and all(u in (good.as_uri(), bad.as_uri()) for u in requests), requests
