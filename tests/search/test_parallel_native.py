"""The C search inside parallel workers (``--workers N`` with the C backend,
modelcheck/native/parallel.py, runtime.c's partition mode, docs/parallel.md): the same
levels as the one-process search, so the same distinct and generated counts, depth,
verdicts and coverage; counterexamples as short, replayable; what the C workers cannot
do falls back (one process, the Python workers) and says why, never a wrong verdict."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import pytest

from modelcheck import load
from modelcheck.model import BackendUnsupported
from modelcheck.native import explore
from modelcheck.native.engine import engine_for
from modelcheck.result import StopReason, Verdict
from modelcheck.search import Options
from modelcheck.search import explore as explore_python
from tests.helpers import TWOPHASE, load_spec, replay, run
from tests.models.handwritten import twophase as handwritten_twophase
from tests.search.test_parallel import lost_worker_note, no_worker_left, worker_killer

pytestmark = pytest.mark.timeout(120)

BUGS = ("BugCommitOnMajority", "BugCommitOnAny", "BugAbortAfterPrepare", "BugAbortAfterCommit")


def figures(r):
    """What must not depend on the number of workers or the backend, for a run that finishes."""
    return (r.verdict, r.stop_reason, r.distinct_states, r.generated_states, r.depth, r.max_frontier,
            tuple((p.name, p.verdict) for p in r.properties),
            tuple(sorted((c.instance, c.generated) for c in r.coverage)), r.never_enabled,
            sum(c.distinct for c in r.coverage))


def c_workers(model, **kw):
    """The run in 2 C workers; it must have run in C workers."""
    r = explore(model, Options(workers=2, backend="c", **kw))
    assert r.backend == "c" and r.extra.get("workers") == 2, (r.backend, r.backend_note, r.warnings)
    # the workers' own answers say which search they ran (absent when stopped mid-level)
    assert r.extra.get("worker_backends", ["c", "c"]) == ["c", "c"]
    return r


def one_process(model, **kw):
    return explore_python(model, Options(backend="python", **kw))


@pytest.mark.parametrize("rm,symmetry,pinned", [
    (3, False, (288, 1146, 11)),        # TLC's figures for 3 RMs
    (5, False, (8832, 58146, 17)),      # TLC's 8,832 for 5 RMs
    (5, True, (314, 2048, 17)),         # orbits, signatures in C
])
def test_twophase_counts_depth_verdicts_and_coverage_equal_the_one_process_search(rm, symmetry, pinned):
    model = load_spec(TWOPHASE, RM=rm).model
    kw = dict(symmetry=symmetry, check_temporal=False)
    two = c_workers(model, **kw)
    assert (two.distinct_states, two.generated_states, two.depth) == pinned
    assert two.verdict is Verdict.HOLDS and two.stop_reason is StopReason.EXHAUSTED
    assert figures(two) == figures(one_process(model, **kw))
    # both workers had states (the partition is not all on one side), and searched in C
    assert len(two.extra["busy_seconds"]) == 2 and two.extra["worker_backends"] == ["c", "c"]


@pytest.mark.parametrize("bug", BUGS)
def test_a_seeded_bug_has_a_counterexample_as_short_as_the_one_process_search(bug):
    spec = load_spec(TWOPHASE, RM=4, **{bug: True})
    kw = dict(symmetry=False, check_temporal=False)
    two = c_workers(spec.model, **kw)
    one = one_process(spec.model, **kw)
    assert two.verdict is Verdict.VIOLATED and two.violations
    assert len(two.violations[0].trace.states) == len(one.violations[0].trace.states)
    assert {p.name for p in two.properties if p.verdict is Verdict.VIOLATED} <= \
        {p.name for p in one_process(spec.model, stop_at_first=False, **kw).properties
         if p.verdict is Verdict.VIOLATED}
    replay(spec, two.violations[0].trace)


def test_a_seeded_bug_under_continue_gives_the_whole_search_and_every_violation():
    spec = load_spec(TWOPHASE, RM=4, BugCommitOnAny=True)
    kw = dict(symmetry=False, check_temporal=False, stop_at_first=False)
    two, one = c_workers(spec.model, **kw), one_process(spec.model, **kw)
    assert figures(two) == figures(one)
    assert sorted((v.property, len(v.trace.states)) for v in two.violations) == \
        sorted((v.property, len(v.trace.states)) for v in one.violations)
    for v in two.violations:
        replay(spec, v.trace)


def test_a_symmetric_bug_is_as_short_and_replays():
    spec = load_spec(TWOPHASE, RM=4, BugCommitOnAny=True)
    kw = dict(symmetry=True, check_temporal=False)
    two, one = c_workers(spec.model, **kw), one_process(spec.model, **kw)
    assert two.symmetry and len(two.violations[0].trace.states) == len(one.violations[0].trace.states)
    replay(spec, two.violations[0].trace)


BINARY = """
module Binary
models P = {p1, p2, p3}
symmetry P
var knows: P -> set[P]
var leader: set[P]
init { knows = { p: {p} for p in P }  leader = {} }
action Tell(p in P, q in P) { require p != q and q notin knows[p]  knows' = knows.put(p, knows[p] union {q}) }
action Lead(p in P) { require size(knows[p]) == 3 and leader == {}  leader' = {p} }
invariant One [agreement]: size(leader) <= 1
invariant NotAll [validity]: exists p in P: size(knows[p]) < 3 or leader == {}
"""


def test_symmetry_by_permutations_gives_the_orbit_counts(tmp_path):
    # a part names two symmetric values: the C representative is the least image
    path = tmp_path / "binary.mc"
    path.write_text(BINARY)
    spec = load(str(path))
    kw = dict(check_deadlock=False, check_temporal=False, stop_at_first=False)
    two, one = c_workers(spec.model, **kw), one_process(spec.model, **kw)
    assert two.symmetry and one.distinct_states > 20
    assert figures(two)[:7] == figures(one)[:7]
    assert [(v.property, len(v.trace.states)) for v in two.violations] == \
        [(v.property, len(v.trace.states)) for v in one.violations]
    for v in two.violations:
        replay(spec, v.trace)


DYNAMIC = """
module Dyn
models R = {r1, r2, r3, r4}
var groups: set[set[R]]
var pickd: set[R]
init { groups = {}  pickd = {} }
action Add(g in powerset(R)) { require size(g) == 2 and size(groups) < 4  groups' = groups union {g} }
action Pick(g in groups) { require pickd != g  pickd' = g }
step Keep [integrity]: size(groups) < 3 or pickd == {} or pickd' == pickd or pickd' == {}
invariant Small [validity]: size(groups) < 4
"""


def test_dynamic_labels_are_translated_between_the_workers(tmp_path):
    # Pick's parameter ranges over a state-dependent set: each worker's C search numbers
    # its instances as it meets them, so coverage, step labels and traces go through keys
    path = tmp_path / "dyn.mc"
    path.write_text(DYNAMIC)
    spec = load(str(path))
    kw = dict(check_deadlock=False, check_temporal=False, stop_at_first=False)
    two, one = c_workers(spec.model, **kw), one_process(spec.model, **kw)
    assert one.verdict is Verdict.VIOLATED and one.distinct_states > 100
    assert sum(1 for c in one.coverage if c.action == "Pick") > 3
    assert figures(two) == figures(one)
    assert sorted((v.property, len(v.trace.states)) for v in two.violations) == \
        sorted((v.property, len(v.trace.states)) for v in one.violations) and len(one.violations) == 2
    for v in two.violations:
        replay(spec, v.trace)
    step = next(v for v in two.violations if v.property == "Keep")
    assert spec.model.describe(step.trace.labels[-1]).action == "Pick"


DIVIDE = """
module Divide
var x: 0..5
init { x = 0 }
action Up { require x < 5  x' = x + 1 }
invariant Fine [validity]: 10 / (3 - x) >= -100
"""


def test_a_runtime_error_falls_back_to_the_python_workers_which_explain_it(tmp_path):
    path = tmp_path / "divide.mc"
    path.write_text(DIVIDE)
    spec = load(str(path))
    two = explore(spec.model, Options(workers=2, backend="auto", check_deadlock=False))
    one = one_process(spec.model, check_deadlock=False)
    assert two.backend == "python" and "the run was repeated on Python workers" in two.backend_note
    assert "division by zero" in two.backend_note
    assert two.extra.get("workers") == 2
    assert two.stop_reason is StopReason.ERROR and two.error == one.error and two.verdict is one.verdict


GROW = """
module Grow
var q: seq[int]
init { q = [] }
action Push { require len(q) < 6  q' = q.append(len(q)) }
invariant Short [validity]: len(q) <= 6
"""


def test_a_capacity_outgrown_starts_the_c_workers_again(tmp_path):
    path = tmp_path / "grow.mc"
    path.write_text(GROW)
    spec = load(str(path))
    kw = dict(check_deadlock=False)
    two, one = c_workers(spec.model, **kw), one_process(spec.model, **kw)
    assert "started again with 2 times the capacities" in two.backend_note
    assert figures(two) == figures(one) and one.distinct_states == 7


def test_an_integer_outgrowing_its_field_starts_the_c_workers_again_with_a_word_per_key(tmp_path):
    # zxid-like keys past 2^32 in a map over ints: the first layout packs a function's
    # ints in 32-bit fields, the workers' ERR_WIDTH restarts the run with a word per key
    # (not twice the capacities, which would never fit them); the one-process search's
    # 13,737 states (tests/native/test_layouts.py counts them apart from the explorer)
    from tests.native.test_layouts import INT_KEYS

    path = tmp_path / "s.mc"
    path.write_text(INT_KEYS)
    spec = load(str(path))
    kw = dict(check_deadlock=False, stop_at_first=False)
    two, one = c_workers(spec.model, **kw), one_process(spec.model, **kw)
    assert two.backend_note.startswith("the C search was started again with a word for each integer a function "
                                       "holds (an integer wider than the field"), two.backend_note
    assert ", and again" not in two.backend_note
    assert figures(two) == figures(one) and one.distinct_states == 13_737


def test_what_the_c_workers_cannot_do_falls_back_and_says_why():
    # temporal properties: one process (C), with the warning the Python workers give
    model = load_spec(TWOPHASE, RM=3).model
    r = explore(model, Options(workers=2, backend="c", symmetry=False))
    assert r.backend == "c" and "workers" not in r.extra
    assert any("--workers 2 not applied: temporal properties" in w for w in r.warnings)
    assert figures(r) == figures(one_process(model, symmetry=False))
    # a model the C backend does not run: auto takes the Python workers and says why
    hand = handwritten_twophase(3)
    r = explore(hand, Options(workers=2, backend="auto", check_temporal=False))
    assert r.backend == "python" and r.extra.get("workers") == 2
    assert "compiled from a spec" in r.backend_note and "Python workers" in r.backend_note
    with pytest.raises(BackendUnsupported):
        explore(hand, Options(workers=2, backend="c", check_temporal=False))


def test_the_depth_and_state_bounds():
    model = load_spec(TWOPHASE, RM=4).model
    kw = dict(symmetry=False, check_temporal=False)
    two = c_workers(model, max_depth=6, **kw)
    assert figures(two) == figures(one_process(model, max_depth=6, **kw))
    two = c_workers(model, max_states=300, **kw)
    assert two.verdict is Verdict.UNDETERMINED and two.stop_reason is StopReason.MAX_STATES
    assert two.distinct_states >= 300


def test_the_command_line_runs_the_c_workers(capsys):
    code, out, _ = run(capsys, "check", TWOPHASE, "--no-temporal", "--workers", "2", "--backend", "c")
    assert code == 0 and "80 distinct states, 318 generated, depth 11" in out and "C backend" in out


# ------------------------------------------------------------------ faults and limits

def levels_searched(model, r, **kw) -> bool:
    """Whether a run stopped early (``r``) has the counts of its levels: stopped while
    ``r.depth`` was the level expanded (or the last one completed), it has stored every
    state of levels up to ``r.depth`` and some of the next, and generated the successors
    of the levels before it and some of its own: between the one-process C search's
    counts with ``max_depth`` ``r.depth`` and ``r.depth + 1``."""
    lo = explore(model, Options(backend="c", max_depth=r.depth, **kw))
    hi = explore(model, Options(backend="c", max_depth=r.depth + 1, **kw))
    assert lo.distinct_states <= r.distinct_states <= hi.distinct_states, (r.depth, lo.distinct_states,
                                                                           r.distinct_states, hi.distinct_states)
    assert lo.generated_states <= r.generated_states <= hi.generated_states, (r.depth, lo.generated_states,
                                                                              r.generated_states, hi.generated_states)
    return True


def test_a_lost_c_worker_ends_the_run_undetermined_with_a_clear_message():
    killed = []
    kill_one = worker_killer(killed)

    model = load_spec(TWOPHASE, RM=7).model          # 296,448 states, 23 levels
    t0 = time.monotonic()
    r = explore(model, Options(symmetry=False, check_temporal=False, workers=2, backend="c", progress=kill_one,
                               progress_every=0.001))
    assert killed and time.monotonic() - t0 < 30
    assert r.backend == "c" and r.extra.get("workers") == 2
    note = lost_worker_note(r, 296_448)
    assert f"worker 2 of 2 (pid {killed[0]}) was lost" in note
    assert "(killed by SIGKILL)" in note
    assert no_worker_left()


def test_the_time_limit_stops_the_c_workers_with_the_counts_of_the_levels_searched():
    model = load_spec(TWOPHASE, RM=9).model     # 10,340,352 states: about 13 s in 2 C workers
    engine_for(model)                           # the compile is not what the limit should stop
    kw = dict(symmetry=False, check_temporal=False)
    t0 = time.monotonic()
    r = c_workers(model, time_limit=0.5, **kw)
    assert time.monotonic() - t0 < 10
    assert (r.verdict, r.stop_reason) == (Verdict.UNDETERMINED, StopReason.TIME_LIMIT)
    assert all(p.verdict is not Verdict.HOLDS for p in r.properties)
    assert r.coverage == () and any("coverage is not reported" in w for w in r.warnings)
    assert levels_searched(model, r, **kw) and 0 < r.distinct_states < 10_340_352
    assert no_worker_left()


def test_the_memory_limit_stops_the_c_workers():
    # a megabyte: every worker is past its share (its resident pages, the coordinator's included) at its first look
    model = load_spec(TWOPHASE, RM=6).model
    kw = dict(symmetry=False, check_temporal=False)
    r = c_workers(model, max_memory_mb=1, **kw)
    assert (r.verdict, r.stop_reason) == (Verdict.UNDETERMINED, StopReason.MAX_MEMORY)
    assert all(p.verdict is not Verdict.HOLDS for p in r.properties)
    assert levels_searched(model, r, **kw) and r.distinct_states < 50_816
    assert no_worker_left()


def _shared_segments() -> int:
    """Mappings of this process as large as a worker's exchange segment (native/parallel.py)."""
    from modelcheck.native.parallel import Segments

    n = 0
    with open("/proc/self/maps") as f:
        for line in f:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            n += hi - lo >= Segments.SEGMENT
    return n


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="Linux's /proc")
def test_the_workers_shared_segments_are_released_after_every_run(tmp_path):
    # forked C workers hand their boxes over in shared memory reserved before the fork:
    # after a run that finishes, one that restarts (a capacity outgrown) and one that
    # falls back to the Python workers, the coordinator holds none of it
    before = _shared_segments()
    c_workers(load_spec(TWOPHASE, RM=3).model, symmetry=False, check_temporal=False)
    assert _shared_segments() == before
    path = tmp_path / "grow.mc"
    path.write_text(GROW)
    c_workers(load(str(path)).model, check_deadlock=False)
    assert _shared_segments() == before
    path = tmp_path / "divide.mc"
    path.write_text(DIVIDE)
    r = explore(load(str(path)).model, Options(workers=2, backend="auto", check_deadlock=False))
    assert "repeated on Python workers" in r.backend_note
    assert _shared_segments() == before
