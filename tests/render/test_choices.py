"""Counterexamples that show every choice (issue 17, section 3): the values an action's
`pick`s chose and the `either` branch it took, in the text trace and in ITF's
`mbt::nondetPicks`; wide set changes as added and removed elements; set elements in
the declaration order of their constructors."""

from __future__ import annotations

import json

from modelcheck import check, load
from modelcheck.itf import trace_to_itf
from modelcheck.render.text import render_trace
from modelcheck.values import show

PICKS = """module Pk
models A = {a1, a2}
enum Msg = P2(0..2) | P1(A, 0..2)
var msgs: set[Msg]
var got: 0..2
init { msgs = {P1(a1, 1), P1(a2, 2)}; got = 0 }
action Recv {
  pick m in msgs
  either { require m == P1(a2, 2); got' = 2 } or { got' = 1 }
  msgs' = msgs diff {m}
}
invariant NotTwo [typing]: got != 2
options { deadlock = false }
"""


def counterexample(text):
    spec = load("pk.mc", text=text)
    r = check(spec)
    return spec, r.violations[0].trace


def test_the_text_trace_shows_picks_and_branches():
    spec, trace = counterexample(PICKS)
    text = render_trace(spec.model, trace)
    # the only way to got = 2: pick P1(a2, 2) and take the first branch (line 9)
    assert "  2. Recv with m = P1(a2, 2), either (line 9) branch 1\n" in text + "\n"
    # the set prints in declaration order: P2 before P1 (by name P1 would come first)
    assert show(frozenset({("P1", 0, 1), ("P2", 2)}), spec.model.var_types[0]) == "{P2(2), P1(a1, 1)}"


def test_itf_records_the_picks_and_reads_them_back(tmp_path, capsys):
    spec, trace = counterexample(PICKS)
    itf = trace_to_itf(spec.model, trace)
    assert [s["mbt::nondetPicks"] for s in itf["states"]] == [
        {}, {"m": {"tag": "P1", "value": {"#tup": ["a2", 2]}}, "either (line 9)": 1}]
    # and a trace with picks is a legal behaviour when replayed
    from tests.helpers import run
    (tmp_path / "pk.mc").write_text(PICKS)
    (tmp_path / "t.itf.json").write_text(json.dumps(itf))
    code, out, _ = run(capsys, "replay", tmp_path / "pk.mc", tmp_path / "t.itf.json")
    assert "every step is a legal transition (1 step)" in out


def test_a_choice_free_action_shows_nothing_more():
    spec, trace = counterexample(PICKS.replace("  pick m in msgs\n", "").replace(
        "either { require m == P1(a2, 2); got' = 2 } or { got' = 1 }", "got' = 2").replace("msgs diff {m}", "msgs"))
    assert "  2. Recv\n" in render_trace(spec.model, trace) + "\n"


WIDE = """module W
enum Msg = M(0..40)
var msgs: set[Msg]
init { msgs = { M(i) for i in 0..30 } }
action Swap { require M(0) in msgs; msgs' = (msgs diff {M(0), M(1)}) union {M(40)} }
invariant I [typing]: M(0) in msgs
options { deadlock = false }
"""


def test_a_wide_set_change_lists_what_was_added_and_removed():
    spec, trace = counterexample(WIDE)
    lines = render_trace(spec.model, trace).splitlines()
    step = lines[lines.index("  2. Swap") + 1:]
    assert step == ["       msgs: + M(40)", "       msgs: - M(0)", "       msgs: - M(1)"]
