"""A counterexample as a message sequence chart (SVG, drawn here: no Graphviz).

One lane per process, left to right in the order :meth:`Lane` sorts (the spec's
``process(...)`` clauses decide; see :mod:`modelcheck.dsl.roles`); time runs down, one
row per step, numbered as the text trace numbers its states (row ``k`` is the step that
reaches state ``k``). Each step is a box on the lane of its process with the action
and its parameters beside it. A message is an arrow from the step that sent it to the
step that received it, labelled with the message:

* a receive is matched to the earliest earlier send of an equal message not yet
  matched, else to the latest equal send (a message kept in a set may be received many
  times); with no earlier send, the arrow comes from outside the chart;
* a send that no later step receives ends in a short dashed stub.

A crash is a red cross, and the lane's lifeline is dashed until the process restarts
(a green ring). A lasso's cycle is bracketed on the right ("repeats forever"), with the
step back to its first state as a last row; a behaviour that ends by stuttering says so.

Steps of actions with no ``process`` clause go to a lane called ``(no process)``. The
layout is computed from character counts (monospace text), so the output is
deterministic and golden-tested.

Depends on the model protocol (``describe``, and the optional ``step_roles`` and
``lanes``) and the result types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from ..model import HasStepRoles, Lane
from ..result import Trace

NO_PROCESS = Lane(1 << 30, 0, "(no process)")

FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace"
CHAR_W = 6.6  # px per character at 11px monospace
ROW_H = 34
HEAD_H = 46
GUTTER = 44
MIN_LANE = 120
RIGHT = 120


@dataclass
class Step:
    row: int  # the state this step reaches (0-based); the closing step of a lasso: len(states)
    label: str
    lane: Lane
    sends: list = field(default_factory=list)  # (key, shown)
    receives: list = field(default_factory=list)
    event: str | None = None
    loop_back: bool = False


@dataclass
class Arrow:
    src: Step | None  # None: from outside the chart
    dst: Step | None  # None: never received (a stub)
    text: str


def chart_steps(model, trace: Trace) -> tuple[list[Lane], list[Step], list[Arrow]]:
    """The lanes, steps and message arrows of ``trace`` (no geometry)."""
    roles_of = model.step_roles if isinstance(model, HasStepRoles) else None
    steps: list[Step] = []
    pairs = list(zip(trace.states, trace.labels[1:]))
    closing = trace.loop is not None and trace.loop_label is not None
    if closing:
        pairs.append((trace.states[-1], trace.loop_label))
    for k, (pre, label) in enumerate(pairs, start=1):
        roles = roles_of(label, pre) if roles_of is not None else None
        text = model.describe(label).show()
        if roles is None:
            steps.append(Step(k, text, NO_PROCESS))
            continue
        steps.append(Step(k, text, roles.process or NO_PROCESS, list(roles.sends), list(roles.receives),
                          roles.event))
    if closing:
        steps[-1].loop_back = True
    lanes = sorted(set(model.lanes() if isinstance(model, HasStepRoles) else ()) | {s.lane for s in steps})
    arrows: list[Arrow] = []
    pending: dict = {}  # message key -> arrows of its sends not yet received, oldest first
    latest: dict = {}   # message key -> the step that sent it last
    for s in steps:
        for key, shown in s.receives:
            queue = pending.get(key)
            if queue:
                queue.pop(0).dst = s
            else:
                arrows.append(Arrow(latest.get(key), s, shown))
        for key, shown in s.sends:
            a = Arrow(s, None, shown)
            arrows.append(a)
            pending.setdefault(key, []).append(a)
            latest[key] = s
    return lanes, steps, arrows


def _w(text: str, size: float = 11) -> float:
    return len(text) * CHAR_W * size / 11


def render_seqchart(model, trace: Trace, *, title: str = "", id_prefix: str = "sc") -> str:
    """The SVG text of the chart of ``trace``."""
    lanes, steps, arrows = chart_steps(model, trace)
    if not lanes:
        lanes = [NO_PROCESS]
    # lane widths: the lane's name and the labels of its steps must fit
    widths = {}
    for lane in lanes:
        need = [_w(lane.name, 12) + 24]
        need += [_box_w(s) + 36 for s in steps if s.lane == lane]
        widths[lane] = max([MIN_LANE] + need)
    xs = {}
    x = GUTTER + 40  # room for arrows coming from outside the chart
    for lane in lanes:
        xs[lane] = x + widths[lane] / 2  # the lifeline runs down the middle of its lane
        x += widths[lane]
    width = x + RIGHT
    for a in arrows:  # a message never received has its label right of the sender's box
        if a.dst is None and a.src is not None:
            width = max(width, xs[a.src.lane] + _box_w(a.src) / 2 + 40 + _w(a.text, 10))
    width = int(width)
    top = HEAD_H + (22 if title else 0)
    rows = len(trace.states) + (1 if trace.loop is not None and trace.loop_label is not None else 0)
    height = int(top + rows * ROW_H + 34)

    def y(row: int) -> float:
        return top + row * ROW_H + ROW_H / 2

    out: list[str] = []
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" class="seqchart" width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}" font-family="{escape(FONT)}" font-size="11" role="img">')
    out.append(f"<title>{escape(title or 'sequence chart')}</title>")
    out.append("<defs>"
               f'<marker id="{id_prefix}-arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
               'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1565c0"/></marker>'
               f'<marker id="{id_prefix}-open" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
               'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#90a4ae"/></marker>'
               "</defs>")
    out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>')
    if title:
        out.append(f'<text x="{GUTTER}" y="18" font-size="13" font-weight="bold" '
                   f'font-family="Helvetica, Arial, sans-serif">{escape(title)}</text>')
    # lane headers and lifelines (dashed while the process is down)
    down_spans = _down_spans(steps, lanes, rows)
    bottom = top + rows * ROW_H + 8
    for lane in lanes:
        lx = xs[lane]
        hw = _w(lane.name, 12) + 16
        out.append(f'<g class="lane"><rect x="{lx - hw / 2:.1f}" y="{top - 34}" width="{hw:.1f}" height="24" rx="4" '
                   f'fill="#eceff1" stroke="#90a4ae"/><text x="{lx:.1f}" y="{top - 17}" font-size="12" '
                   f'font-weight="bold" text-anchor="middle">{escape(lane.name)}</text></g>')
        prev = top - 10
        for a, b in down_spans.get(lane, []):
            out.append(_line(lx, prev, lx, y(a), "#90a4ae", 1.2))
            out.append(_line(lx, y(a), lx, y(b) if b is not None else bottom, "#e57373", 1.2, dash="4,4"))
            prev = y(b) if b is not None else bottom
        if prev < bottom:
            out.append(_line(lx, prev, lx, bottom, "#90a4ae", 1.2))
    # row numbers, and the initial state
    out.append(f'<text x="8" y="{y(0) + 4:.1f}" fill="#546e7a">1.</text>')
    out.append(f'<text x="{GUTTER}" y="{y(0) + 4:.1f}" fill="#546e7a" font-style="italic">initial state</text>')
    for s in steps:
        num = f"{s.row + 1}." if not s.loop_back else "↺"
        out.append(f'<text x="8" y="{y(s.row) + 4:.1f}" fill="#546e7a">{escape(num)}</text>')
    # arrow lines, then the steps over their ends, then the arrows' labels over all
    labels = []
    fanout: dict[int, int] = {}
    boxes = [(xs[s.lane] - _box_w(s) / 2, y(s.row) - 9, xs[s.lane] + _box_w(s) / 2, y(s.row) + 9) for s in steps]
    placed: list = []  # label boxes already placed: later labels avoid them and the steps
    for a in arrows:
        k = fanout[id(a.src)] = fanout.get(id(a.src), -1) + 1
        line, text = _arrow(a, xs, y, id_prefix, k, boxes, placed)
        out.append(line)
        labels.append(text)
    for s in steps:
        out.append(_step(s, xs[s.lane], y(s.row)))
    out.extend(labels)
    # the lasso: bracket the cycle
    if trace.loop is not None:
        n = len(trace.states)
        x0 = width - RIGHT + 20
        if trace.loop_label is None:
            yy = y(n - 1)
            out.append(f'<text x="{GUTTER}" y="{bottom + 18:.1f}" fill="#6a1b9a">then state {n} repeats forever '
                       "(stuttering: no fair action is forced to move it)</text>")
            out.append(f'<path d="M{x0},{yy - 10:.1f} a10,10 0 1,1 0,20" fill="none" stroke="#6a1b9a" '
                       'stroke-width="1.5"/>')
            out.append(f'<text x="{x0 + 16}" y="{yy + 4:.1f}" fill="#6a1b9a">stutters</text>')
        else:
            y1, y2 = y(trace.loop) - 10, y(n) + 10
            out.append(f'<path d="M{x0},{y1:.1f} h8 V{y2:.1f} h-8" fill="none" stroke="#6a1b9a" stroke-width="1.5"/>')
            out.append(f'<text x="{x0 + 14}" y="{(y1 + y2) / 2:.1f}" fill="#6a1b9a">cycle: {trace.loop + 1}..{n}</text>')
            out.append(f'<text x="{x0 + 14}" y="{(y1 + y2) / 2 + 14:.1f}" fill="#6a1b9a">repeats forever</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _step_text(s: Step) -> str:
    text = s.label
    if s.event == "crash":
        text += "  (crash)"
    elif s.event == "restart":
        text += "  (restart)"
    if s.loop_back:
        text = "back to the cycle: " + text
    return text


def _line(x1, y1, x2, y2, colour, w, dash=None) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-width="{w}"{d}/>'


def _box_w(s: Step) -> float:
    return _w(_step_text(s)) + 14


def _step(s: Step, x: float, yy: float) -> str:
    """A step: a box on its lane's lifeline holding the action and its parameters."""
    text = escape(_step_text(s))
    bw = _box_w(s)
    stroke, fill, colour, sw = "#546e7a", "#fff8e1", "#212121", 1
    if s.event == "crash":
        stroke, fill, colour, sw = "#c62828", "#ffebee", "#b71c1c", 2
    elif s.event == "restart":
        stroke, fill, colour, sw = "#2e7d32", "#e8f5e9", "#1b5e20", 2
    elif s.loop_back:
        stroke, fill, colour = "#6a1b9a", "#f3e5f5", "#4a148c"
    return (f'<g class="step" data-row="{s.row + 1}"><rect x="{x - bw / 2:.1f}" y="{yy - 9:.1f}" '
            f'width="{bw:.1f}" height="18" rx="4" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'
            f'<text class="step-label" x="{x:.1f}" y="{yy + 4:.1f}" fill="{colour}" '
            f'text-anchor="middle">{text}</text></g>')


def _halo(x: float, y: float, text: str, colour: str, anchor: str) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" fill="{colour}" text-anchor="{anchor}" '
            f'paint-order="stroke" stroke="white" stroke-width="3">{text}</text>')


def _overlaps(b, others) -> bool:
    return any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in others)


def _arrow(a: Arrow, xs, y, p: str, k: int = 0, boxes=(), placed=None) -> tuple[str, str]:
    """A message, as (line, label): from the side of the sender's box to the side of the
    receiver's, labelled part of the way along (the ``k``-th arrow of one sender further
    along, so a broadcast's labels do not sit on each other)."""
    label = escape(a.text)
    if a.src is None:  # from outside the chart
        x2, y2 = xs[a.dst.lane] - _box_w(a.dst) / 2, y(a.dst.row)
        x1, y1 = x2 - 40, y2 - 16
        return (f'<g class="msg external">{_seg(x1, y1, x2, y2, "#1565c0", p + "-arr")}</g>',
                _halo(x1 + 2, y1 - 3, label, "#1565c0", "end"))
    x1, y1 = xs[a.src.lane], y(a.src.row)
    h1 = _box_w(a.src) / 2
    if a.dst is None:  # never received: a short dashed stub, its label where it covers nothing
        dy = 10 * k
        lw = _w(a.text, 10)
        # right of the stub, lower and lower; then left of the sender's box (the label
        # used to run into the next lane's step boxes)
        tries = [(x1 + h1 + 25, y1 + 18 + dy + d, "start", 1) for d in (0, 10, 20)]
        tries += [(x1 - h1 - 25, y1 + 18 + dy + d, "end", -1) for d in (0, 10)]
        for tx, ty, anchor, side in tries:
            bb = (tx, ty - 9, tx + lw, ty + 3) if side > 0 else (tx - lw, ty - 9, tx, ty + 3)
            if not _overlaps(bb, boxes) and not _overlaps(bb, placed or ()):
                break
        else:
            tx, ty, anchor, side = tries[0]
            bb = (tx, ty - 9, tx + lw, ty + 3)
        if placed is not None:
            placed.append(bb)
        sx = x1 + h1 if side > 0 else x1 - h1
        ex = sx + 22 * side
        return (f'<g class="msg pending"><line x1="{sx:.1f}" y1="{y1 + 4:.1f}" x2="{ex:.1f}" '
                f'y2="{ty - 4:.1f}" stroke="#90a4ae" stroke-dasharray="3,2" marker-end="url(#{p}-open)"/></g>',
                _halo(tx, ty, label, "#78909c", anchor))
    x2, y2 = xs[a.dst.lane], y(a.dst.row)
    h2 = _box_w(a.dst) / 2
    if a.dst.lane == a.src.lane:  # to itself: a loop out to the right
        d = (f"M{x1 + h1:.1f},{y1:.1f} C{x1 + h1 + 50:.1f},{y1:.1f} {x2 + h2 + 50:.1f},{y2:.1f} "
             f"{x2 + h2 + 1:.1f},{y2:.1f}")
        text = _halo(x1 + max(h1, h2) + 40, (y1 + y2) / 2 + 4, label, "#1565c0", "start")
    else:
        right = x2 > x1
        sx1 = x1 + h1 if right else x1 - h1
        sx2 = x2 - h2 if right else x2 + h2
        d = f"M{sx1:.1f},{y1:.1f} L{sx2:.1f},{y2:.1f}"
        # the label a little way along the arrow, above it
        # the label starts a little way along and runs away from the sender's box; the
        # k-th arrow of a sender starts further along; a place that would cover a step or
        # another label is passed over (the first place is kept if every one would)
        lw = _w(a.text, 10)
        tries = [min(0.12 + 0.2 * k, 0.72)] + [f / 10 for f in range(1, 9)]
        for f in tries:
            tx = sx1 + (sx2 - sx1) * f
            ty = y1 + (y2 - y1) * f - 4
            bb = (tx, ty - 9, tx + lw, ty + 3) if right else (tx - lw, ty - 9, tx, ty + 3)
            if not _overlaps(bb, boxes) and not _overlaps(bb, placed or ()):
                break
        else:
            f = tries[0]
            tx, ty = sx1 + (sx2 - sx1) * f, y1 + (y2 - y1) * f - 4
            bb = (tx, ty - 9, tx + lw, ty + 3) if right else (tx - lw, ty - 9, tx, ty + 3)
        if placed is not None:
            placed.append(bb)
        text = _halo(tx, ty, label, "#1565c0", "start" if right else "end")
    return (f'<g class="msg"><path d="{d}" fill="none" stroke="#1565c0" stroke-width="1.2" '
            f'marker-end="url(#{p}-arr)"/></g>', text)


def _seg(x1, y1, x2, y2, colour, marker) -> str:
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-width="1.2" '
            f'marker-end="url(#{marker})"/>')


def _down_spans(steps: list[Step], lanes, rows: int) -> dict[Lane, list[tuple[int, int | None]]]:
    """For each lane, the rows between a crash and the following restart (None: to the end)."""
    out: dict[Lane, list] = {}
    down: dict[Lane, int] = {}
    for s in steps:
        if s.event == "crash" and s.lane not in down:
            down[s.lane] = s.row
        elif s.event == "restart" and s.lane in down:
            out.setdefault(s.lane, []).append((down.pop(s.lane), s.row))
    for lane, r in down.items():
        out.setdefault(lane, []).append((r, None))
    return out
