"""The HTML report: self-contained, escaped, with every part the report promises
(modelcheck/render/html.py, `modelcheck report`, the suite's report.html)."""

import re
from html.parser import HTMLParser

from modelcheck.cli import main
from modelcheck.search import Options, excerpts_for, explore
from modelcheck.render.html import ReportRun, render_report
from tests.helpers import CRASH, TCOMMIT, TWOPHASE, load_spec



class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, k, v) for k, v in attrs)

    def handle_data(self, data):
        self.text.append(data)


def parsed(html):
    c = Collect()
    c.feed(html)
    return c


def run_of(path, label="default", deadlock=True, **consts):
    spec = load_spec(path, **consts)
    result = explore(spec.model, Options(check_deadlock=deadlock))
    return ReportRun(spec.name, path, label, result, spec.model, spec.describe_consts(),
                     excerpts=excerpts_for(spec.model, result.violations, result.witnesses))


def test_report_has_every_part_and_nothing_external():
    html = render_report([run_of(TWOPHASE, "BugCommitOnAny", BugCommitOnAny=True)], graphs=True)
    p = parsed(html)
    # no resource is loaded from anywhere: no src/href but in-page anchors, and a CSP
    # that forbids loading any
    links = [(t, k, v) for t, k, v in p.attrs if k in ("src", "href")]
    assert all(v.startswith("#") for _, _, v in links), links
    assert "default-src 'none'" in html
    assert not re.search(r"<(link|img|iframe|object|embed)\b", html)
    assert not re.search(r"url\((?!#)", html)  # CSS/SVG url() only to in-page markers
    text = " ".join(p.text)
    for part in ("Verdicts", "Run statistics", "Coverage per action",
                 "Counterexample: Validity [validity] (invariant)", "Steps", "Sequence chart",
                 "State graph around the counterexample"):
        assert part in text, part
    # the step table: 5 rows, as the trace has 5 states
    assert len(re.findall(r'<tr[^>]* data-step="\d+"', html)) == 5
    assert html.count("<svg") == 2  # the chart and the graph excerpt
    # coverage per action: every TwoPhase action has a row
    for action in ("TMRcvPrepared", "TMCommit", "TMAbort", "RMPrepare", "RMChooseToAbort", "RMRcvCommitMsg",
                   "RMRcvAbortMsg"):
        assert f"<td>{action}</td>" in html


def test_everything_from_the_spec_is_escaped(tmp_path):
    spec = tmp_path / "x&<y>.mc"
    spec.write_text('module Esc\nvar n: 0..2\ninit { n = 0 }\n'
                    'action Inc { require n < 2  assert n < 1: "<script>alert(1)</script> & <b>"  n\' = n + 1 }\n'
                    "invariant Ok [validity]: true\n")
    out = tmp_path / "r.html"
    assert main(["report", str(spec), "-o", str(out), "--no-deadlock"]) == 1
    html = out.read_text()
    assert "<script>alert(1)" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in html
    assert "x&amp;&lt;y&gt;.mc" in html and "x&<y>.mc" not in html
    assert html.count("<script>") == 1  # ours, the expand / collapse buttons


def test_report_command_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "r.html"
    out.write_text("mine")
    assert main(["report", TWOPHASE, "-o", str(out)]) == 2
    assert "use --force" in capsys.readouterr().err
    assert out.read_text() == "mine"


def test_a_lasso_and_a_run_that_holds(tmp_path):
    crash = run_of(CRASH)  # deadlock first (the blocked state)
    spec = load_spec(CRASH)
    lasso = ReportRun(spec.name, "crash.mc", "no-deadlock", explore(spec.model, Options(check_deadlock=False)),
                      spec.model, expect="violated", as_expected=True)
    ok = run_of(TCOMMIT, deadlock=False)  # holds
    html = render_report([crash, lasso, ok], graphs=False)
    assert "then state 5 repeats forever" in html  # the lasso's stuttering end
    assert "← loop starts here" in html
    assert "1 not as expected" not in html and "every verdict as expected" in html
    assert html.count('<details class="run"') == 3
    # a run without counterexample is collapsed, a run with one is open
    assert re.findall(r'<details class="run" id="run-\d+"( open)?>', html) == [" open", " open", ""]


def test_a_spec_without_process_clauses_gets_a_note_not_a_chart(tmp_path):
    spec_file = tmp_path / "c.mc"
    spec_file.write_text("module C\nvar n: 0..2\ninit { n = 0 }\naction Inc { require n < 2  n' = n + 1 }\n"
                         "invariant Small [validity]: n < 2\n")
    html = render_report([run_of(str(spec_file))], graphs=False)
    assert "Counterexample: Small" in html
    assert 'class="seqchart"' not in html and "add <code>process(...)</code> clauses" in html


def test_the_verdict_table_is_compact_and_verdict_first():
    # issue 20, section 2: the table had a column per property class (1,676 px wide);
    # now one row per run: run, verdict, problems (badges for what does not hold only)
    html = render_report([run_of(TWOPHASE, "BugCommitOnAny", BugCommitOnAny=True)], graphs=False)
    table = html[html.index('<table class="verdicts">'):]
    table = table[:table.index("</table>")]
    head = re.findall(r"<th>([^<]*)</th>", table)
    assert head == ["run", "verdict", "problems"]
    problems = table[table.index('<td class="problems">'):]
    shown = problems[:problems.index("<details>")]
    assert "Validity" in shown and "v-violated" in shown and "v-holds" not in shown
    assert "<summary>6 properties</summary>" in problems        # every property, by class, on click


def test_graph_excerpts_are_shown_at_actual_size_with_a_legend():
    html = render_report([run_of(TWOPHASE, "BugCommitOnAny", BugCommitOnAny=True)], graphs=True)
    assert re.search(r'<div class="figure graph" id="[^"]+fig">', html)
    assert ".graph.fit svg { max-width: 100%" in html and ".graph svg { max-width" not in html
    legend = html[html.index('<p class="legend">'):]
    legend = legend[:legend.index("</p>")]
    for words in ("initial state", "counterexample step", "bad state", "+n more", "fit to width"):
        assert words in legend, words
