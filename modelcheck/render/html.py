"""One self-contained HTML report of one or more check runs (``modelcheck report``, and
``reports/report.html`` from ``modelcheck suite``).

What it shows, top to bottom:

1. the verdict table by property class: one row per run, one column per class
   (agreement, integrity, validity, termination, typing, deadlock), each cell the
   properties of that class with their verdicts; and the overall and expected verdicts;
2. run statistics: distinct and generated states, depth, time, strategy, symmetry;
3. per run (a ``<details>`` block, open when the run has a counterexample): the
   properties, coverage per action (instances, transitions generated, new states; the
   actions never enabled), warnings, and each counterexample and witness as a step table
   (step, process, action, what changed), its sequence chart, and an excerpt of the state
   graph around it (the path and a few other successors of each state on it).

Self-contained: inline CSS and SVG, a few lines of inline script (expand / collapse all),
no external resource (a Content-Security-Policy forbids loading any). All text from specs
is escaped with :func:`html.escape`; the SVGs are generated with escaped text.

Depends on the result types, the graph builder and the other renderers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from html import escape
from typing import Any

from ..model import HasStepRoles
from ..result import CheckResult, Trace
from .dot import to_dot
from .graphs import draw_excerpt
from .seqchart import NO_PROCESS, chart_steps, render_seqchart
from .text import step_changes

CLASSES = ("agreement", "integrity", "validity", "termination", "typing", "deadlock")


@dataclass
class ReportRun:
    """One run for the report: the spec's name and file, the configuration's label,
    the result and the model it ran on (``None`` with ``error`` for a spec that did not
    load); ``expect`` and ``as_expected`` for a suite run."""

    spec: str
    source: str
    label: str
    result: CheckResult | None
    model: Any = None
    constants: str = ""
    expect: str | None = None
    as_expected: bool | None = None
    error: str | None = None
    #: the state-graph excerpt of each counterexample, then of each witness
    #: (:func:`modelcheck.search.excerpt.excerpts_for`, computed by the command line); None
    #: or empty: none drawn
    excerpts: tuple = ()

    @property
    def verdict(self) -> str:
        return "error" if self.result is None else self.result.verdict.value


CSS = """
:root { --red:#c62828; --green:#2e7d32; --amber:#ef6c00; --grey:#607d8b; --line:#cfd8dc; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color:#212121;
       margin: 0 auto; padding: 24px 32px 64px; max-width: 1500px; background:#fafafa; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 10px; }
h3 { font-size: 16px; margin: 22px 0 8px; } h4 { font-size: 14px; margin: 16px 0 6px; color:#37474f; }
.sub { color: var(--grey); margin: 0 0 16px; }
table { border-collapse: collapse; background: white; margin: 6px 0 14px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eceff1; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono, td.changes { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
       font-size: 12.5px; }
td.changes div { white-space: pre-wrap; word-break: break-word; }
.v { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 12px; font-weight: 600;
     color: white; background: var(--grey); white-space: nowrap; }
.v-holds, .v-not-violated { background: var(--green); } .v-violated, .v-deadlock, .v-error { background: var(--red); }
.v-undetermined { background: var(--amber); }
.prop { display: block; white-space: nowrap; }
.bad { color: var(--red); font-weight: 600; } .ok { color: var(--green); font-weight: 600; }
details.run { background: white; border: 1px solid var(--line); border-radius: 6px; margin: 10px 0;
              padding: 4px 14px; }
details.run > summary { cursor: pointer; font-weight: 600; padding: 6px 0; }
.figure { overflow-x: auto; border: 1px solid var(--line); background: white; padding: 6px; margin: 6px 0 12px; }
.figure svg { display: block; max-width: none; }
.graph { max-height: 80vh; overflow: auto; }
.graph.fit svg { max-width: 100%; height: auto; }
.legend { font-size: 12.5px; color: #37474f; margin: 4px 0; }
.legend span.k { display: inline-block; margin-right: 14px; white-space: nowrap; }
.legend i { display: inline-block; width: 22px; height: 13px; vertical-align: -2px; margin-right: 4px;
            border: 1px solid #546e7a; border-radius: 3px; }
.legend i.init { background: #e3f2fd; } .legend i.bad { background: #ffcdd2; border: 2px solid #c62828; }
.legend i.path { height: 0; border: 0; border-top: 3px solid #c62828; border-radius: 0; vertical-align: 3px; }
.legend i.loop { height: 0; border: 0; border-top: 3px dashed #c62828; border-radius: 0; vertical-align: 3px; }
.legend i.more { border: 0; color: #78909c; width: auto; font-style: normal; }
table.verdicts td.problems .prop { display: inline-block; margin-right: 10px; }
table.verdicts details summary { cursor: pointer; color: var(--grey); }
table.verdicts details .cls { color: var(--grey); font-size: 12px; margin-top: 4px; }
.note { color: var(--grey); font-size: 13px; }
.toolbar button { font: inherit; margin-right: 6px; padding: 2px 10px; }
tr.loop td { background: #f3e5f5; }
.wide { overflow-x: auto; }
"""

SCRIPT = """
document.querySelectorAll('[data-fit]').forEach(function (b) {
  b.addEventListener('click', function () {
    var f = document.getElementById(b.getAttribute('data-fit'));
    var fit = f.classList.toggle('fit');
    b.textContent = fit ? 'actual size' : 'fit to width';
  });
});
document.querySelectorAll('[data-toggle]').forEach(function (b) {
  b.addEventListener('click', function () {
    var open = b.getAttribute('data-toggle') === 'open';
    document.querySelectorAll('details.run').forEach(function (d) { d.open = open; });
  });
});
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def _badge(verdict: str) -> str:
    return f'<span class="v v-{escape(verdict)}">{escape(verdict)}</span>'


def render_report(runs: list[ReportRun], *, title: str = "modelcheck report", note: str = "",
                  graphs: bool = True, max_excerpt_nodes: int = 150) -> str:
    """The HTML text of the report. ``graphs=False`` leaves out the state-graph excerpts
    (no Graphviz needed)."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"]
    parts.append(f"<h1>{escape(title)}</h1>")
    failures = [r for r in runs if r.as_expected is False]
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    summary = f"{len(runs)} run{'s' if len(runs) != 1 else ''}"
    if any(r.expect is not None for r in runs):
        summary += (", every verdict as expected" if not failures else
                    f", <span class=\"bad\">{len(failures)} not as expected</span>")
    parts.append(f'<p class="sub">{summary}; generated {escape(when)}{(" · " + escape(note)) if note else ""}</p>')
    parts.append('<p class="toolbar"><button type="button" data-toggle="open">expand all</button>'
                 '<button type="button" data-toggle="close">collapse all</button></p>')
    parts.append(_verdict_table(runs))
    parts.append(_stats_table(runs))
    parts.append("<h2>Runs</h2>")
    for i, r in enumerate(runs):
        parts.append(_run_section(i, r, graphs, max_excerpt_nodes))
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _run_name(r: ReportRun) -> str:
    return f"{r.spec} [{r.label}]" if r.label else r.spec


def _verdict_table(runs: list[ReportRun]) -> str:
    """One row per run, verdict first: the run, its verdict, what was expected, and a
    badge for each property that does not hold (details, every property by class, on
    click). Narrow enough for any window: nothing hides behind a scrollbar."""
    out = ["<h2>Verdicts</h2>", '<table class="verdicts"><thead><tr><th>run</th><th>verdict</th>']
    expect = any(r.expect is not None for r in runs)
    out.append(("<th>expected</th>" if expect else "") + "<th>problems</th></tr></thead><tbody>")
    for i, r in enumerate(runs):
        out.append(f'<tr><td><a href="#run-{i}">{escape(_run_name(r))}</a></td><td>{_badge(r.verdict)}</td>')
        if expect:
            mark = "" if r.expect is None else (
                f'{escape(r.expect)} <span class="ok">✓</span>' if r.as_expected else
                f'{escape(r.expect)} <span class="bad">✗ not as expected</span>')
            out.append(f"<td>{mark}</td>")
        props = [] if r.result is None else list(r.result.properties)
        bad = [p for p in props if p.verdict.value not in ("holds", "not-violated", "undetermined")]
        open_ = [p for p in props if p.verdict.value == "undetermined"]
        if not bad:          # nothing violated: what is undetermined is the news
            bad, open_ = open_, []
        cell = "".join(f'<span class="prop">{escape(p.name)} {_badge(p.verdict.value)}</span>' for p in bad)
        if open_:
            cell += f'<span class="note">{len(open_)} undetermined (the search stopped before deciding them)</span>'
        if r.result is None:
            cell = '<span class="bad">the spec does not load</span>'
        elif not bad:
            cell = f'<span class="note">none: all {len(props)} properties hold</span>'
        if props:
            by_class = []
            for c in CLASSES:
                ps = [p for p in props if p.cls == c]
                if ps:
                    by_class.append(f'<div class="cls">{escape(c)}</div>' + "".join(
                        f'<span class="prop">{escape(p.name)} {_badge(p.verdict.value)}</span>' for p in ps))
            cell += f"<details><summary>{len(props)} properties</summary>{''.join(by_class)}</details>"
        out.append(f'<td class="problems">{cell}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _stats_table(runs: list[ReportRun]) -> str:
    out = ["<h2>Run statistics</h2>", "<table><thead><tr><th>run</th><th>distinct states</th>"
           "<th>generated</th><th>depth</th><th>seconds</th><th>search</th><th>stopped by</th></tr></thead><tbody>"]
    for i, r in enumerate(runs):
        res = r.result
        if res is None:
            out.append(f'<tr><td>{escape(_run_name(r))}</td><td colspan="6" class="bad">the spec does not load'
                       "</td></tr>")
            continue
        search = res.strategy + (", symmetry" if res.symmetry else "")
        if "liveness_seconds" in res.extra:
            search += f", liveness {res.extra['liveness_seconds']:.2f} s"
        out.append(f"<tr><td>{escape(_run_name(r))}</td><td class=\"num\">{res.distinct_states:,}</td>"
                   f"<td class=\"num\">{res.generated_states:,}</td><td class=\"num\">{res.depth}</td>"
                   f"<td class=\"num\">{res.seconds:.2f}</td><td>{escape(search)}</td>"
                   f"<td>{escape(res.stop_reason.value)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _run_section(i: int, r: ReportRun, graphs: bool, max_nodes: int) -> str:
    res = r.result
    has_cex = res is not None and any(v.trace.states for v in res.violations)
    out = [f'<details class="run" id="run-{i}"{" open" if has_cex else ""}><summary>'
           f"{escape(_run_name(r))} {_badge(r.verdict)}</summary>"]
    out.append(f'<p class="note mono">{escape(r.source)}{(" · " + escape(r.constants)) if r.constants else ""}</p>')
    if res is None:
        out.append(f'<pre class="bad">{escape(r.error or "the spec does not load")}</pre></details>')
        return "".join(out)
    out.append("<h4>Properties</h4><table><thead><tr><th>property</th><th>class</th><th>kind</th><th>verdict</th>"
               "</tr></thead><tbody>")
    for p in res.properties:
        out.append(f"<tr><td>{escape(p.name)}</td><td>{escape(p.cls)}</td><td>{escape(p.kind)}</td>"
                   f"<td>{_badge(p.verdict.value)}</td></tr>")
    out.append("</tbody></table>")
    out.append(_coverage(res))
    for w in res.warnings:
        out.append(f'<p class="note">warning: {escape(w)}</p>')
    if res.error:
        out.append(f'<pre class="bad">{escape(res.error)}</pre>')
    for j, v in enumerate(res.violations):
        head = f"Counterexample: {v.property} [{v.cls}] ({v.kind})"
        if v.message:
            head += f" — {v.message}"
        out.append(f"<h3>{escape(head)}</h3>")
        out.append(_finding(r.model, v.trace, f"r{i}v{j}", graphs and _nth(r.excerpts, j), max_nodes,
                            v.failed_label))
    for j, w in enumerate(res.witnesses):
        out.append(f"<h3>{escape(f'Witness: {w.property} [{w.cls}] is reachable')}</h3>")
        out.append(_finding(r.model, w.trace, f"r{i}w{j}", graphs and _nth(r.excerpts, len(res.violations) + j),
                            max_nodes, None))
    out.append("</details>")
    return "".join(out)


def _coverage(res: CheckResult) -> str:
    if not res.coverage and not res.never_enabled:
        return ""
    per: dict[str, list[int]] = {}
    for c in res.coverage:
        row = per.setdefault(c.action, [0, 0, 0])
        row[0] += 1
        row[1] += c.generated
        row[2] += c.distinct
    out = ["<h4>Coverage per action</h4><table><thead><tr><th>action</th><th>instances taken</th>"
           "<th>transitions generated</th><th>new states</th></tr></thead><tbody>"]
    for action, (n, gen, new) in per.items():
        out.append(f"<tr><td>{escape(action)}</td><td class=\"num\">{n:,}</td><td class=\"num\">{gen:,}</td>"
                   f"<td class=\"num\">{new:,}</td></tr>")
    # red only when the search was exhaustive: a search that stopped early says less
    unused = ('class="bad">never enabled' if res.exhaustive
              else 'class="note">not enabled in the states explored (the search stopped early)')
    for a in res.never_enabled:
        out.append(f'<tr><td>{escape(a)}</td><td colspan="3" {unused}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _nth(items, k: int):
    return items[k] if items and k < len(items) else None


def _finding(model, trace: Trace, key: str, excerpt, max_nodes: int, failed_label) -> str:
    if not trace.states:
        return '<p class="note">no trace: no reachable state satisfies the property</p>'
    out = [_step_table(model, trace, failed_label)]
    out.append("<h4>Sequence chart</h4>")
    try:
        lanes, steps, _ = chart_steps(model, trace)
        if not any(s.lane != NO_PROCESS for s in steps):
            out.append('<p class="note">no step of this trace names its process: add <code>process(...)</code> '
                       "clauses to the spec's actions (docs/language.md, “Processes and messages”) to draw "
                       "one</p>")
        else:
            out.append(f'<div class="figure seq">{render_seqchart(model, trace, id_prefix=key + "sc")}</div>')
    except Exception as e:  # noqa: BLE001 - a clause failing on a state: say so, keep the report
        out.append(f'<p class="bad">the sequence chart could not be drawn: {escape(str(e))}</p>')
    if excerpt:
        out.append("<h4>State graph around the counterexample</h4>")
        out.append(_excerpt(model, excerpt, key, max_nodes))
    return "".join(out)


def _step_table(model, trace: Trace, failed_label) -> str:
    roles = model.step_roles if isinstance(model, HasStepRoles) else None
    out = ["<h4>Steps</h4><table class=\"steps\"><thead><tr><th>#</th><th>process</th><th>action</th>"
           "<th>changes</th></tr></thead><tbody>"]
    prev = None
    for i, (state, label) in enumerate(zip(trace.states, trace.labels)):
        cls = ' class="loop"' if trace.loop is not None and i >= trace.loop else ""
        if label is None:
            lines = [f"{n} = {model.show_value(k, v)}" for k, (n, v) in enumerate(zip(model.variables, state))]
            action, proc = "<em>initial state</em>", ""
        else:
            lines = step_changes(model, prev, state) or ["(no variable changed)"]
            action = escape(model.describe(label).show())
            try:
                rl = roles(label, prev) if roles is not None else None
            except Exception:  # noqa: BLE001 - a clause failing on a state; the chart says why
                rl = None
            proc = escape(rl.process.name) if rl is not None and rl.process is not None else ""
            if rl is not None and rl.event:
                action += f' <span class="bad">({escape(rl.event)})</span>'
        if trace.loop == i:
            action += ' <span class="note">← loop starts here</span>'
        body = "".join(f"<div>{escape(line)}</div>" for line in lines)
        out.append(f'<tr{cls} data-step="{i + 1}"><td class="num">{i + 1}</td><td>{proc}</td>'
                   f'<td class="action">{action}</td><td class="changes">{body}</td></tr>')
        prev = state
    n = len(trace.states)
    if trace.loop is not None:
        if trace.loop_label is None:
            out.append(f'<tr class="loop"><td></td><td></td><td colspan="2">then state {n} repeats forever '
                       "(stuttering: no fair action is forced to move it)</td></tr>")
        else:
            out.append(f'<tr class="loop"><td class="num">{n + 1}</td><td></td><td colspan="2">'
                       f"{escape(model.describe(trace.loop_label).show())} goes back to state {trace.loop + 1}; "
                       "the cycle repeats forever</td></tr>")
    if failed_label is not None:
        out.append(f'<tr><td></td><td></td><td colspan="2" class="bad">then '
                   f"{escape(model.describe(failed_label).show())} fails the assertion</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _excerpt(model, excerpt, key: str, max_nodes: int) -> str:
    from .svg import RenderError, dot_to_svg, inline_svg

    trace, per_state = excerpt.trace, excerpt.per_state
    d = draw_excerpt(model, excerpt)
    if len(d.nodes) > max_nodes:
        return f'<p class="note">the excerpt would have {len(d.nodes)} nodes: not drawn</p>'
    try:
        svg = inline_svg(dot_to_svg(to_dot(d, id_prefix=key + "g")))
    except RenderError as e:
        return f'<p class="bad">{escape(str(e))}</p>'
    note = (f"the {len(trace)} states of the trace in red (each labelled by what its step changed) and up to "
            f"{per_state} other successor{'s' if per_state != 1 else ''} of each (by what they change), "
            "greyed “+n more” for the rest; shown at actual size (scroll inside the box)")
    legend = ('<p class="legend"><span class="k"><i class="init"></i>initial state</span>'
              '<span class="k"><i class="path"></i>counterexample step</span>'
              '<span class="k"><i class="bad"></i>bad state (the last of the counterexample)</span>'
              '<span class="k"><i class="loop"></i>step back into a cycle</span>'
              '<span class="k"><i class="more">+n more</i>successors left out</span>'
              f'<button type="button" data-fit="{key}fig">fit to width</button></p>')
    return (f'<p class="note">{escape(note)}</p>{legend}'
            f'<div class="figure graph" id="{key}fig">{svg}</div>')
