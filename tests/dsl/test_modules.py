"""`import` and `extends` (issue 17, section 1: modules): a spec made of several files
(modelcheck/dsl/modules.py). Expected counts are worked out by hand next to each test."""

from __future__ import annotations

import pytest

from modelcheck import Verdict, check, load
from modelcheck.diagnostics import SpecError
from tests.helpers import run

COMMON = """module Common
models RM = {r1, r2, r3}
enum RMState = working | prepared | committed | aborted
def decided(s: RMState) = s == committed or s == aborted
"""

BASE = """module Base
import "common.mc"
var rmState: RM -> RMState
init { rmState = { r: working for r in RM } }
action Prepare(r in RM) { require rmState[r] == working; rmState' = rmState.put(r, prepared) }
action Decide(r in RM) { require rmState[r] == prepared; rmState' = rmState.put(r, committed) }
invariant NoAbort [typing]: forall r in RM: rmState[r] != aborted
options { deadlock = false }
"""

EXT = """module Ext
extends "base.mc"
action Abort(r in RM) { require not decided(rmState[r]); rmState' = rmState.put(r, aborted) }
"""


@pytest.fixture
def files(tmp_path):
    for name, text in (("common.mc", COMMON), ("base.mc", BASE), ("ext.mc", EXT)):
        (tmp_path / name).write_text(text)
    return tmp_path


def test_import_brings_definitions(files):
    r = check(load(str(files / "base.mc")))
    # each RM: working -> prepared -> committed, independently: 3^3 = 27 states
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 27)


def test_extends_brings_everything_and_adds(files):
    s = load(str(files / "ext.mc"))
    assert s.model.action_names == ("Prepare", "Decide", "Abort")
    # the base's invariant and options came along: Abort breaks NoAbort in one step
    r = check(s)
    assert r.verdict is Verdict.VIOLATED and len(r.violations[0].trace.states) == 2
    # without the invariant: each RM working / prepared / committed / aborted, 4^3 = 64
    (files / "ext2.mc").write_text(EXT.replace("module Ext", "module Ext2"))
    r = check(load(str(files / "ext2.mc")), stop_at_first=False)
    assert r.distinct_states == 64


def test_a_file_included_twice_is_read_once(files):
    # ext3 imports common directly and through base: one copy of each declaration
    (files / "ext3.mc").write_text('module Ext3\nimport "common.mc"\n' + EXT.split("\n", 1)[1])
    assert check(load(str(files / "ext3.mc")), stop_at_first=False).distinct_states == 64


def test_import_leaves_behaviour_behind(files):
    (files / "defs.mc").write_text('module Defs\nimport "base.mc"\nvar n: 0..1\ninit { n = 0 }\n'
                                   'action A { n\' = 1 }\noptions { deadlock = false }\n')
    s = load(str(files / "defs.mc"))
    # base's RM and enums came in through its own import, none of its variables or actions
    assert s.model.variables == ("n",) and s.model.action_names == ("A",)


def errors(path):
    with pytest.raises(SpecError) as ei:
        load(str(path))
    return ei.value


def test_a_missing_file_a_cycle_and_a_syntax_error_are_located(files):
    (files / "m.mc").write_text('module M\nimport "nope.mc"\n')
    e = errors(files / "m.mc")
    assert e.diagnostics[0].code == "MC110" and 'cannot import "nope.mc"' in e.diagnostics[0].message
    assert e.diagnostics[0].span.line == 2
    (files / "c1.mc").write_text('module C1\nimport "c2.mc"\n')
    (files / "c2.mc").write_text('module C2\nimport "c1.mc"\n')
    e = errors(files / "c1.mc")
    assert e.diagnostics[0].code == "MC110" and "makes a cycle: c1.mc -> c2.mc -> c1.mc" in e.diagnostics[0].message
    (files / "broken.mc").write_text("module Broken\ndef f = 1 +\n")
    (files / "b.mc").write_text('module B\nimport "broken.mc"\n')
    e = errors(files / "b.mc")
    assert e.diagnostics[0].code == "MC100" and e.diagnostics[0].span.file.endswith("broken.mc")
    assert "    2 | def f = 1 +" in e.render()          # the caret shows the included file's line


def test_a_duplicate_across_files_names_the_other_file(files):
    (files / "d.mc").write_text('module D\nimport "common.mc"\nenum Other = working | idle\n'
                                'var x: RMState\ninit { x = working }\n')
    e = errors(files / "d.mc")
    assert e.diagnostics[0].code == "MC101"
    assert "`working` is already declared (common.mc, line 3)" in e.diagnostics[0].message


def test_a_runtime_error_in_an_included_def_shows_its_file(files, capsys):
    (files / "rt.mc").write_text("module RT\ndef f(v: int) = 10 / (v - v)\n")
    (files / "r.mc").write_text('module R\nimport "rt.mc"\nvar x: 0..3\ninit { x = 0 }\naction A { x\' = f(x) }\n')
    code, out, _ = run(capsys, "check", files / "r.mc")
    assert code == 2 and "MC300 runtime error in action A: division by zero" in out
    assert "rt.mc:2:17" in out and "    2 | def f(v: int) = 10 / (v - v)" in out


def test_import_and_extends_are_still_names(files):
    s = load("t.mc", text="module T\nvar import: 0..1\nvar extends: 0..1\ninit { import = 0; extends = 0 }\n"
                          "action A { require import == 0; import' = 1; extends' = 1 }\noptions { deadlock = false }\n")
    assert check(s).distinct_states == 2


REFINES = """module Ref
models A = {a1, a2}
var ballots: A -> 0..2
init { ballots = { a: 0 for a in A } }
action Bump(a in A) { require ballots[a] < 2; ballots' = ballots.put(a, ballots[a] + 1) }
// the abstract spec: the set of acceptors that have voted only grows, one at a time
def voted = { a for a in A if ballots[a] > 0 }
def AbstractNext(v: set[A], w: set[A]) = exists a in A: a notin v and w == v union {a}
step Refines [integrity]: AbstractNext(voted, voted') or voted' == voted
options { deadlock = false }
"""


def test_refinement_as_a_step_property_over_a_mapping():
    # the documented equivalent of INSTANCE ... WITH: 3^2 = 9 states, every Bump either
    # adds one acceptor to voted (0 -> 1) or leaves voted as it is (1 -> 2)
    r = check(load("ref.mc", text=REFINES))
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 9)
    # a step that un-votes is not an abstract step: found after Bump(a1), Reset(a1)
    bad = REFINES.replace("// the abstract", "action Reset(a in A) { ballots' = ballots.put(a, 0) }\n// the abstract")
    r = check(load("ref.mc", text=bad))
    assert r.verdict is Verdict.VIOLATED and r.violations[0].property == "Refines"
    assert len(r.violations[0].trace.states) == 3
