"""The HTML report in a real browser: Debian's Chromium, headless, driven by Playwright
(executable_path=/usr/bin/chromium; Playwright's own browsers are never downloaded).

It must load with no console error or warning and no uncaught exception, request
nothing but the file itself, show the counterexample's steps and its sequence chart,
and its buttons must work. A screenshot is kept in the test's temporary directory.

Without Chromium the test FAILS (CI installs it: `make test` runs
scripts/install-browser.sh), unless MODELCHECK_SKIP_BROWSER=1 says to skip it
(docs/rendering.md).
"""

import os
import shutil
import tempfile

import pytest

from modelcheck.search import Options, excerpts_for, explore
from modelcheck.render.html import ReportRun, render_report
from tests.helpers import CRASH, TWOPHASE, load_spec

CHROMIUM = os.environ.get("MODELCHECK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def need_browser():
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("MODELCHECK_SKIP_BROWSER") == "1":
        pytest.skip("chromium is missing and MODELCHECK_SKIP_BROWSER=1")
    pytest.fail("chromium is missing: run `make browser` (scripts/install-browser.sh), or set "
                "MODELCHECK_SKIP_BROWSER=1 to skip this test on a machine without it")


def report_file(tmp_path):
    runs = []
    for path, label, consts, deadlock in [
        (TWOPHASE, "BugCommitOnAny=true", {"BugCommitOnAny": True}, True),
        (CRASH, "no-deadlock", {}, False),
    ]:
        spec = load_spec(path, **consts)
        result = explore(spec.model, Options(check_deadlock=deadlock))
        runs.append(ReportRun(spec.name, path, label, result, spec.model, spec.describe_consts(),
                              expect="violated", as_expected=result.verdict.value == "violated",
                              excerpts=excerpts_for(spec.model, result.violations, result.witnesses)))
    out = tmp_path / "report.html"
    out.write_text(render_report(runs, title="browser test"), encoding="utf-8")
    return out


@pytest.mark.slow
def test_report_loads_cleanly_and_shows_the_steps(tmp_path):
    need_browser()
    from playwright.sync_api import sync_playwright

    page_file = report_file(tmp_path)
    problems, requests = [], []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
                                                   viewport={"width": 1300, "height": 900})
        try:
            page = ctx.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri(), wait_until="load")
            page.wait_for_timeout(200)  # late console messages, if any
            # the first run's counterexample: its 5 steps, shown
            rows = page.locator("#run-0 table.steps tr[data-step]")
            assert rows.count() == 5
            assert rows.nth(3).locator("td.action").inner_text() == "TMCommit"
            assert rows.nth(4).is_visible()
            labels = page.locator("#run-0 svg.seqchart text.step-label").all_text_contents()
            assert labels == ["RMPrepare(rm=r1)", "TMRcvPrepared(rm=r1)", "TMCommit", "RMRcvCommitMsg(rm=r1)"]
            box = page.locator("#run-0 svg.seqchart").bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 150
            # the lasso of the second run, marked
            assert "then state 5 repeats forever" in page.locator("#run-1 table.steps").inner_text()
            # issue 20, section 2: the verdict table fits the window, verdicts visible
            table = page.locator("table.verdicts").bounding_box()
            assert table["x"] + table["width"] <= 1300, table
            assert page.locator("table.verdicts td .v").first.is_visible()
            # graph excerpts at a readable size (their text was 4 to 6 px tall), with a legend
            node_text = page.locator("#run-0 .figure.graph svg g.node text").first
            assert node_text.bounding_box()["height"] >= 9, node_text.bounding_box()
            assert "initial state" in page.locator("#run-0 p.legend").inner_text()
            page.click("#run-0 p.legend button")             # fit to width, and back
            assert "fit" in page.locator("#run-0 .figure.graph").get_attribute("class")
            page.click("#run-0 p.legend button")
            # the buttons work (our only script)
            page.click("text=collapse all")
            assert not rows.nth(0).is_visible()
            page.click("text=expand all")
            assert rows.nth(0).is_visible()
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            ctx.close()
    assert problems == []
    assert requests and all(u == page_file.as_uri() for u in requests), requests
    assert (tmp_path / "report.png").stat().st_size > 10_000
