"""The picture of a history check (``modelcheck history report``): one self-contained
HTML page with a timeline and the verdict.

What it shows:

1. the verdict (linearizable, not, unknown), the model, the counts, the time;
2. the timeline (inline SVG): one row per process (more lanes when a process's
   operations overlap: a pending one never ends), time left to right, each operation a
   bar from its call to its return labelled with the model's ``describe``; an operation
   without a response is open-ended (it runs to the right edge, dashed and fading);
3. for a linearizable history, the linearization points: a mark on each bar where the
   witness order places it, joined in order (one path per independent part). The witness
   is an order, not times; the points are the earliest times consistent with it, each
   the latest of its own call and the previous point. Within a valid witness that time is
   never after the operation's return: every operation ordered before it was called
   before it returned. Under sequential consistency the order need not respect real
   time, so the bars carry their position in the order instead of a point;
4. for a history that is not, the failing part: its longest linearizable prefix (points
   and positions, as above), the operations that cannot be placed next outlined in red
   with what the model expected there, a red line at the time the prefix reached, and
   the operations of other parts dimmed;
5. a table of the operations drawn (position in the order, process, times, operation).

Self-contained like the check report (:mod:`.html`): inline CSS and SVG, one small
script (fit to width), a Content-Security-Policy that forbids loading anything. Every
text from the history is escaped. A history with more operations than
:data:`MAX_DRAWN` is drawn in part (the failing part, or the first operations by call
time), and the page says so.

Depends on :mod:`modelcheck.history` (the shared types) and :mod:`.html`'s style.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, Sequence

from ..history.core import Consistency, HistoryResult, HistoryVerdict, Model, Op
from .html import CSP, CSS as REPORT_CSS

__all__ = ["render_history_report", "linearization_points", "GENERATOR", "MAX_DRAWN"]

#: the ``<meta name="generator">`` of every page this module writes: the command line
#: overwrites a file only if it carries this mark (or with --force)
GENERATOR = "modelcheck history report"
#: operations drawn at most; past this the page draws a part and says which
MAX_DRAWN = 1500

LEFT = 110          # px: the process names
RIGHT = 40
LANE = 30           # px per lane
BAR = 14            # bar height
TOP = 34            # the time axis
PALETTE = ("#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#2e7d32", "#ad1457", "#4e342e", "#37474f")

CSS = REPORT_CSS + """
svg.timeline { font: 11px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
svg.timeline .axis line { stroke: #b0bec5; } svg.timeline .axis text { fill: #78909c; }
svg.timeline .lane { fill: #f5f7f8; } svg.timeline .lane.odd { fill: #ffffff; }
svg.timeline text.proc { font-weight: 600; fill: #37474f; }
svg.timeline rect.bar { fill: #bbdefb; stroke: #1565c0; stroke-width: 1; }
svg.timeline g.op.pending rect.bar { fill: url(#fade); stroke-dasharray: 4 3; }
svg.timeline g.op.prefix rect.bar { fill: #c8e6c9; stroke: #2e7d32; }
svg.timeline g.op.stuck rect.bar { fill: #ffcdd2; stroke: #c62828; stroke-width: 2.5; }
svg.timeline g.op.other { opacity: 0.28; }
svg.timeline g.op.unplaced rect.bar { fill: #eceff1; stroke: #90a4ae; }
svg.timeline g.op:hover rect.bar { stroke-width: 2.5; }
svg.timeline text.label { fill: #212121; pointer-events: none; }
svg.timeline circle.point { fill: #ffffff; stroke-width: 2.5; }
svg.timeline text.pos { fill: #37474f; font-size: 10px; }
svg.timeline path.order { fill: none; stroke-width: 1.2; opacity: 0.55; }
svg.timeline line.failing { stroke: #c62828; stroke-width: 1.5; stroke-dasharray: 5 3; }
svg.timeline text.failing { fill: #c62828; font-weight: 600; }
.expected { border-left: 4px solid var(--red); background: #fff5f5; padding: 6px 12px; margin: 8px 0; }
.expected code { white-space: pre-wrap; }
table.ops tr.stuck td { background: #ffebee; } table.ops tr.prefix td { background: #f1f8e9; }
table.ops tr.other td { color: #90a4ae; }
"""

SCRIPT = """
document.querySelectorAll('[data-fit]').forEach(function (b) {
  b.addEventListener('click', function () {
    var f = document.getElementById(b.getAttribute('data-fit'));
    var fit = f.classList.toggle('fit');
    b.textContent = fit ? 'actual size' : 'fit to width';
  });
});
"""


def linearization_points(order: Sequence[Op]) -> list[float]:
    """Times for the operations of ``order`` (a linearization, in order) that respect
    it: each the earliest time at or after its call and the previous point. For a valid
    witness each lies within its operation's interval (see the module docstring)."""
    points: list[float] = []
    last = -math.inf
    for op in order:
        last = max(last, op.call)
        points.append(last)
    return points


def _lanes(ops: list[Op], end: float) -> dict[int, int]:
    """A lane per operation within its process: the first lane free at its call (a bar
    occupies its lane until its return, a pending one until ``end``)."""
    lane: dict[int, int] = {}
    free_at: list[float] = []
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        for k, t in enumerate(free_at):
            if t < op.call:
                break
        else:
            k = len(free_at)
            free_at.append(-math.inf)
        lane[op.id] = k
        free_at[k] = end if op.ret is None else op.ret
    return lane


def _proc_key(p: Any):
    # integers before strings, each in their own order: deterministic for any mix
    return (0, p, "") if isinstance(p, int) else (1, 0, str(p))


def _fmt_time(t: float) -> str:
    return f"{t:.6g}"


def _ticks(lo: float, hi: float, n: int = 8) -> list[float]:
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    out, t = [], first
    while t <= hi + 1e-12 * step:
        out.append(round(t, 12))
        t += step
    return out


def _describe(model: Model, op: Op) -> str:
    try:
        return model.describe(op)
    except Exception:       # a model that cannot describe an op must not lose the picture
        return f"{op.f}({', '.join(map(str, op.args))})"


def render_history_report(ops: Sequence[Op], model: Model, result: HistoryResult, *, source: str = "",
                          notes: dict | None = None, title: str | None = None) -> str:
    """The HTML text of the page for ``result``, the check of ``ops`` against ``model``."""
    notes = notes or {}
    ops = list(ops)
    by_id = {op.id: op for op in ops}
    fail = result.failure if result.verdict is HistoryVerdict.VIOLATED else None
    linear = result.consistency is Consistency.LINEARIZABLE

    # -- what each drawn operation is: its part, its position, its point
    status: dict[int, str] = {}
    position: dict[int, int] = {}
    point: dict[int, float] = {}
    part_of: dict[int, int] = {}
    chains: list[list[int]] = []          # op ids in order, one list per part (or the prefix)
    if fail is not None:
        fail_ids = {op.id for op in fail.ops}
        for op in ops:
            status[op.id] = "other" if op.id not in fail_ids else ("pending" if op.ret is None else "")
        chains.append(list(fail.prefix))
        for oid in fail.prefix:
            status[oid] = "prefix"
        for oid, _ in fail.stuck:
            status[oid] = "stuck"
    else:
        placed: set[int] = set()
        for key in sorted(result.order, key=lambda k: (k is not None, str(k))):
            chains.append(list(result.order[key]))
            placed.update(result.order[key])
        for op in ops:
            if result.verdict is HistoryVerdict.OK and op.id not in placed:
                status[op.id] = "unplaced"
            else:
                status[op.id] = "pending" if op.ret is None else ""
    for c, chain in enumerate(chains):
        chain_ops = [by_id[i] for i in chain if i in by_id]
        for k, (op, t) in enumerate(zip(chain_ops, linearization_points(chain_ops)), start=1):
            position[op.id] = k
            part_of[op.id] = c
            if linear:
                point[op.id] = t

    # -- which operations to draw
    drawn = ops
    cut = ""
    if len(ops) > MAX_DRAWN:
        if fail is not None and len(fail.ops) <= MAX_DRAWN:
            drawn = list(fail.ops)
            cut = (f"{len(ops):,} operations: only the {len(drawn):,} of the failing part are drawn")
        else:
            drawn = sorted(ops, key=lambda o: (o.call, o.id))[:MAX_DRAWN]
            cut = f"{len(ops):,} operations: the first {MAX_DRAWN:,} by call time are drawn"
    drawn_ids = {op.id for op in drawn}

    svg = _timeline(drawn, model, status, position, point, part_of, chains, drawn_ids, fail, by_id)

    # -- the page
    verdict = _verdict(result)
    css_class = {HistoryVerdict.OK: "holds", HistoryVerdict.VIOLATED: "violated",
                 HistoryVerdict.UNKNOWN: "undetermined"}[result.verdict]
    title = title or f"{source or 'history'}: {verdict}"
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
             f'<meta name="generator" content="{GENERATOR}">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{escape(title)}</h1>"]
    facts = [f"model <code>{escape(result.model)}</code>", f"{result.operations:,} operations",
             f"{result.parts:,} independent part{'s' if result.parts != 1 else ''}",
             f"{result.elapsed:.3f} s", f"{result.explored:,} configurations explored"]
    if notes.get("dropped_failed"):
        facts.append(f"{notes['dropped_failed']:,} failed operations dropped")
    if notes.get("pending"):
        facts.append(f"{notes['pending']:,} without a response")
    parts.append(f'<p class="sub"><span class="v v-{css_class}" id="verdict">{escape(verdict)}</span> '
                 + " · ".join(facts) + "</p>")
    if source:
        parts.append(f'<p class="note">history: <code>{escape(source)}</code></p>')
    if result.reason:
        parts.append(f'<p class="note">{escape(result.reason)}</p>')
    if fail is not None:
        parts.append(_failure_text(fail, model, by_id))
    elif result.verdict is HistoryVerdict.OK:
        parts.append("<p>" + ("Each bar's mark is its linearization point: the witness order, at the earliest "
                              "times that keep it (numbers give the position in the order; a line joins the "
                              "points of one independent part)." if linear else
                              "The numbers give each operation's position in the witness order (sequential "
                              "consistency keeps each process's order, not real time, so there are no points "
                              "in time).") + "</p>")
    if cut:
        parts.append(f'<p class="note">{escape(cut)}.</p>')
    parts.append(_legend(fail is not None, linear))
    parts.append('<p class="toolbar"><button type="button" data-fit="timeline-fig">fit to width</button></p>')
    parts.append(f'<div class="figure" id="timeline-fig">{svg}</div>')
    parts.append(_table(drawn, model, status, position, point))
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts)


def _verdict(result: HistoryResult) -> str:
    word = "linearizable" if result.consistency is Consistency.LINEARIZABLE else "sequentially consistent"
    return {HistoryVerdict.OK: word, HistoryVerdict.VIOLATED: f"not {word}",
            HistoryVerdict.UNKNOWN: "unknown"}[result.verdict]


def _failure_text(fail, model: Model, by_id: dict[int, Op]) -> str:
    where = "the whole history" if fail.key is None else f"part {escape(str(fail.key))}"
    out = [f'<div class="expected" id="failure"><p><b>{where}</b>, {len(fail.ops):,} operations: the longest '
           f"prefix that can be ordered has {len(fail.prefix):,}; "
           + ("no operation that could come next fits:" if len(fail.stuck) > 1 else
              "the operation that could come next does not fit:") + "</p><ul>"]
    for oid, expected in fail.stuck:
        op = by_id.get(oid)
        shown = _describe(model, op) if op else f"operation {oid}"
        line = f", line {op.line}" if op and op.line else ""
        out.append(f'<li class="stuck-op" data-op="{oid}"><code>{escape(shown)}</code> '
                   f"(process {escape(str(op.process) if op else '?')}{line}): after the prefix the model "
                   f"expected <code>{escape(expected)}</code></li>")
    out.append("</ul></div>")
    return "".join(out)


def _legend(failing: bool, linear: bool) -> str:
    keys = ['<span class="k"><i style="background:#bbdefb;border-color:#1565c0"></i>operation (call to return)</span>',
            '<span class="k"><i style="border-style:dashed"></i>no response: may take effect any time after its '
            "call, or never</span>"]
    if linear:
        keys.append('<span class="k"><i style="border-radius:50%;width:13px"></i>linearization point</span>')
    if failing:
        keys.append('<span class="k"><i style="background:#c8e6c9;border-color:#2e7d32"></i>the longest '
                    "prefix that can be ordered</span>")
        keys.append('<span class="k"><i class="bad"></i>cannot be placed next</span>')
        keys.append('<span class="k"><i style="opacity:.3"></i>another part (fine)</span>')
    else:
        keys.append('<span class="k"><i style="background:#eceff1;border-color:#90a4ae"></i>no response, '
                    "never took effect in the witness</span>")
    return f'<p class="legend">{"".join(keys)}</p>'


def _timeline(ops: list[Op], model: Model, status, position, point, part_of, chains, drawn_ids, fail,
              by_id) -> str:
    if not ops:
        return '<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="400" height="40">' \
               '<text x="10" y="24">no operation</text></svg>'
    t0 = min(op.call for op in ops)
    t1 = max(max(op.call for op in ops), max((op.ret for op in ops if op.ret is not None), default=t0))
    span = (t1 - t0) or 1.0
    end = t1 + span * 0.06                    # where open-ended bars stop
    # wide enough that a typical operation (the median duration) is about 60 px long
    durations = sorted(op.ret - op.call for op in ops if op.ret is not None and op.ret > op.call)
    typical = durations[len(durations) // 2] if durations else span
    width = max(900.0, min(8000.0, 60 * (end - t0) / typical))
    scale = width / (end - t0)

    def x(t: float) -> float:
        return LEFT + (t - t0) * scale

    procs = sorted({op.process for op in ops}, key=_proc_key)
    by_proc = {p: [op for op in ops if op.process == p] for p in procs}
    lanes = {p: _lanes(by_proc[p], end) for p in procs}
    row_y: dict[Any, float] = {}
    y = TOP
    for p in procs:
        row_y[p] = y
        y += LANE * (max(lanes[p].values()) + 1)
    height = y + 12
    total_w = LEFT + width + RIGHT
    out = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {total_w:.0f} {height:.0f}" data-t0="{t0!r}" data-scale="{scale!r}" data-left="{LEFT}">',
           '<defs><linearGradient id="fade" x1="0" x2="1" y1="0" y2="0">'
           '<stop offset="0" stop-color="#bbdefb"/><stop offset="1" stop-color="#bbdefb" stop-opacity="0"/>'
           "</linearGradient></defs>"]
    # rows
    for k, p in enumerate(procs):
        h = LANE * (max(lanes[p].values()) + 1)
        out.append(f'<rect class="lane{" odd" if k % 2 else ""}" x="0" y="{row_y[p]:.1f}" width="{total_w:.0f}" '
                   f'height="{h}"/>')
        out.append(f'<text class="proc" data-process="{escape(str(p))}" x="8" y="{row_y[p] + LANE / 2 + 4:.1f}">'
                   f"process {escape(str(p))}</text>")
    # time axis
    out.append('<g class="axis">')
    for t in _ticks(t0, t1):
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{TOP - 8}" y2="{height - 6:.0f}" '
                   f'stroke-dasharray="2 4"/><text x="{x(t):.1f}" y="{TOP - 12}" text-anchor="middle">'
                   f"{escape(_fmt_time(t))}</text>")
    out.append("</g>")

    def centre(op: Op) -> float:
        return row_y[op.process] + LANE * lanes[op.process][op.id] + LANE / 2

    # the order: one path per part, behind the bars' marks
    for c, chain in enumerate(chains):
        pts = [(x(point[i]), centre(by_id[i])) for i in chain if i in point and i in drawn_ids]
        if len(pts) > 1:
            d = "M" + " L".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            out.append(f'<path class="order" data-part="{c}" d="{d}" stroke="{PALETTE[c % len(PALETTE)]}"/>')
    # the bars
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        cy = centre(op)
        x0 = x(op.call)
        x1 = x(op.ret) if op.ret is not None else x(end)
        w = max(x1 - x0, 3.0)
        st = status.get(op.id, "")
        classes = " ".join(c for c in ("op", st, "pending" if op.ret is None and st != "pending" else "") if c)
        text = _describe(model, op)
        tip = (f"{text}\nprocess {op.process}, call {_fmt_time(op.call)}, "
               + (f"return {_fmt_time(op.ret)}" if op.ret is not None else "no response")
               + (f", line {op.line}" if op.line else "")
               + (f"\nposition {position[op.id]} in the order" if op.id in position else "")
               + (f", point {_fmt_time(point[op.id])}" if op.id in point else ""))
        attrs = f'data-id="{op.id}" data-call="{op.call!r}" data-ret="{"" if op.ret is None else repr(op.ret)}"'
        if op.id in position:
            attrs += f' data-pos="{position[op.id]}"'
        if op.id in point:
            attrs += f' data-point="{point[op.id]!r}"'
        out.append(f'<g class="{classes}" {attrs}><title>{escape(tip)}</title>'
                   f'<rect class="bar" x="{x0:.1f}" y="{cy - BAR / 2:.1f}" width="{w:.1f}" height="{BAR}" rx="3"/>')
        # the label sits above the bar, cut to the bar's length (the tooltip has it all);
        # a bar too short for a few characters goes without
        room = int(w / 6.6)
        if room >= 4:
            label = text if len(text) <= room else text[: room - 1] + "…"
            out.append(f'<text class="label" x="{x0 + 3:.1f}" y="{cy - BAR / 2 - 2:.1f}">{escape(label)}</text>')
        if op.id in point:
            colour = PALETTE[part_of[op.id] % len(PALETTE)]
            out.append(f'<circle class="point" cx="{x(point[op.id]):.1f}" cy="{cy:.1f}" r="4.5" stroke="{colour}"/>')
        if op.id in position:
            px = x(point[op.id]) + 7 if op.id in point else x0 + 3
            out.append(f'<text class="pos" x="{px:.1f}" y="{cy + BAR / 2 + 9:.1f}">{position[op.id]}</text>')
        out.append("</g>")
    # where the prefix got to: the stuck operations could not be placed after this time
    if fail is not None:
        last = [point[i] for i in fail.prefix if i in point]
        stuck_calls = [by_id[i].call for i, _ in fail.stuck if i in by_id]
        at = max(last) if last else (min(stuck_calls) if stuck_calls else None)
        if at is not None:
            out.append(f'<line class="failing" x1="{x(at):.1f}" x2="{x(at):.1f}" y1="{TOP - 6}" '
                       f'y2="{height - 4:.0f}"/><text class="failing" x="{x(at) + 4:.1f}" y="{TOP - 22}">'
                       f"stuck after {len(fail.prefix)} operation{'s' if len(fail.prefix) != 1 else ''}</text>")
    out.append("</svg>")
    return "".join(out)


def _table(ops: list[Op], model: Model, status, position, point) -> str:
    rows = ['<h2>Operations</h2><div class="wide"><table class="ops"><tr><th>order</th><th>process</th>'
            "<th>call</th><th>return</th><th>point</th><th>operation</th><th>line</th></tr>"]
    for op in sorted(ops, key=lambda o: (position.get(o.id, math.inf), o.call, o.id)):
        st = status.get(op.id, "")
        rows.append(f'<tr class="{st}" data-id="{op.id}"><td class="num">{position.get(op.id, "")}</td>'
                    f"<td>{escape(str(op.process))}</td><td class=\"num\">{escape(_fmt_time(op.call))}</td>"
                    f'<td class="num">{"—" if op.ret is None else escape(_fmt_time(op.ret))}</td>'
                    f'<td class="num">{escape(_fmt_time(point[op.id])) if op.id in point else ""}</td>'
                    f"<td><code>{escape(_describe(model, op))}</code></td>"
                    f'<td class="num">{op.line or ""}</td></tr>')
    rows.append("</table></div>")
    return "".join(rows)
