"""Sequence charts: lanes, steps, message arrows matched send -> receive, crashes and
restarts, lassos (modelcheck/render/seqchart.py); the SVG parsed as XML."""

import xml.etree.ElementTree as ET

from modelcheck.search import Options, explore
from modelcheck.render.seqchart import chart_steps, render_seqchart
from tests.helpers import CRASH, MUTEX, TWOPHASE, load_spec

SVG = "{http://www.w3.org/2000/svg}"


def violation(path, deadlock=True, **consts):
    spec = load_spec(path, **consts)
    r = explore(spec.model, Options(check_deadlock=deadlock))
    return spec.model, r.violations[0]


def step_labels(svg):
    root = ET.fromstring(svg.encode())
    return ["".join(t.itertext()) for t in root.iter(SVG + "text") if t.get("class") == "step-label"]


def test_twophase_counterexample_chart():
    model, v = violation(TWOPHASE, BugCommitOnAny=True)
    lanes, steps, arrows = chart_steps(model, v.trace)
    # the TM lane (named by process("TM"), declared first), then RM's values in order
    assert [l.name for l in lanes] == ["TM", "r1", "r2", "r3"]
    assert [(s.row + 1, s.lane.name, s.label) for s in steps] == [
        (2, "r1", "RMPrepare(rm=r1)"), (3, "TM", "TMRcvPrepared(rm=r1)"), (4, "TM", "TMCommit"),
        (5, "r1", "RMRcvCommitMsg(rm=r1)")]
    # Prepared(r1) goes from r1's step 2 to the TM's step 3; Commit from step 4 to step 5
    assert [(a.src.row + 1, a.dst.row + 1, a.text) for a in arrows] == [(2, 3, "Prepared(r1)"), (4, 5, "Commit")]
    svg = render_seqchart(model, v.trace, title="Validity <violated> & co")
    root = ET.fromstring(svg.encode())  # well-formed XML, the title escaped
    assert root.find(SVG + "title").text == "Validity <violated> & co"
    assert step_labels(svg) == ["RMPrepare(rm=r1)", "TMRcvPrepared(rm=r1)", "TMCommit", "RMRcvCommitMsg(rm=r1)"]
    lane_names = ["".join(t.itertext()) for g in root.iter(SVG + "g") if g.get("class") == "lane"
                  for t in g.iter(SVG + "text")]
    assert lane_names == ["TM", "r1", "r2", "r3"]
    assert len([g for g in root.iter(SVG + "g") if g.get("class") == "msg"]) == 2


def test_crash_lasso_chart():
    model, v = violation(CRASH, deadlock=False)
    lanes, steps, arrows = chart_steps(model, v.trace)
    # the README's blocking lasso: the TM crashes, every RM prepares; the Prepared
    # messages are never received (the TM is down): three pending arrows
    assert steps[0].label == "TMCrash" and steps[0].event == "crash" and steps[0].lane.name == "TM"
    assert [a.dst for a in arrows] == [None, None, None]
    assert [a.text for a in arrows] == ["Prepared(r1)", "Prepared(r2)", "Prepared(r3)"]
    svg = render_seqchart(model, v.trace)
    assert "TMCrash  (crash)" in step_labels(svg)
    assert "then state 5 repeats forever" in svg
    # the TM's lifeline is dashed (down) from the crash to the end
    root = ET.fromstring(svg.encode())
    assert any(l.get("stroke-dasharray") == "4,4" for l in root.iter(SVG + "line"))


def test_restart_and_a_message_received_many_times():
    # with recovery and the seeded bug, the TM crashes and restarts before deciding
    model, v = violation(CRASH, BugRecoverWithoutLog=True, TMCanRecover=True)
    lanes, steps, arrows = chart_steps(model, v.trace)
    events = [(s.lane.name, s.event) for s in steps if s.event]
    assert ("TM", "crash") in events and ("TM", "restart") in events
    # every receive has a sender earlier in the trace (no arrow from outside)
    assert all(a.src is not None and (a.dst is None or a.src.row < a.dst.row) for a in arrows)


def test_lamport_fifo_pairs_in_order():
    model, v = violation(MUTEX, BugNoTieBreak=True)
    lanes, steps, arrows = chart_steps(model, v.trace)
    assert [l.name for l in lanes] == ["1", "2", "3"]
    # a broadcast request is one arrow per receiver, and each message goes from the
    # sender's lane to the receiver's: (p, q, kind) is sent by p and received by q
    for a in arrows:
        if a.dst is not None:
            p, q, _ = a.text.strip("()").split(", ")
            assert (a.src.lane.name, a.dst.lane.name) == (p, q)


def _boxes_and_pending_labels(svg):
    from modelcheck.render.seqchart import _w
    root = ET.fromstring(svg.encode())
    boxes = []
    for g in root.iter(SVG + "g"):
        if g.get("class") == "step":
            r = g.find(SVG + "rect")
            x, y, w, h = (float(r.get(k)) for k in ("x", "y", "width", "height"))
            boxes.append((x, y, x + w, y + h))
    labels = []
    for t in root.iter(SVG + "text"):
        if t.get("fill") == "#78909c" and t.get("font-size") == "10":
            x, y, text = float(t.get("x")), float(t.get("y")), "".join(t.itertext())
            w = _w(text, 10)
            labels.append((text, (x, y - 9, x + w, y + 3) if t.get("text-anchor") == "start" else (x - w, y - 9, x, y + 3)))
    return boxes, labels


def test_labels_of_messages_never_received_cover_no_step():
    # issue 20, section 2: the dashed stub's label ran into the next lane's step box
    # (mutex.mc's BugNoMaxOnReceive chart: the stub of (1, 3, ReqMsg) ran into a box)
    spec = load_spec(MUTEX, BugNoMaxOnReceive=True)
    v = explore(spec.model, Options(check_temporal=False)).violations[0]
    for model, trace, pending in ((spec.model, v.trace, 4), (*violation(CRASH, deadlock=False)[:1],
                                                             violation(CRASH, deadlock=False)[1].trace, 3)):
        svg = render_seqchart(model, trace)
        boxes, labels = _boxes_and_pending_labels(svg)
        assert len(labels) == pending
        for text, bb in labels:
            hit = [b for b in boxes if bb[0] < b[2] and b[0] < bb[2] and bb[1] < b[3] and b[1] < bb[3]]
            assert not hit, (text, bb, hit)
