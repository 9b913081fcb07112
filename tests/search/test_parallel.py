"""The breadth-first search in worker processes (``--workers N``, modelcheck/search/
parallel.py, docs/parallel.md): the same levels as the one-process search, so the same
distinct and generated counts, depth, verdicts and coverage; a counterexample of the
same length, replayable; what it cannot do runs in one process with a warning; limits,
Ctrl-C and a lost worker end it ``undetermined``, never with a wrong verdict or a hang."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from modelcheck.result import StopReason, Verdict
from modelcheck.search import Options, explore
from modelcheck.search.parallel import refusal
from tests.helpers import ROOT, SPECS, TCOMMIT, TWOPHASE, load_spec, replay, run
from tests.models.handwritten import twophase as handwritten_twophase

THREEPHASE = (SPECS / "threephase" / "threephase.mc").as_posix()
QUORUM = (SPECS / "quorum" / "register.mc").as_posix()
MODELCHECK = os.path.join(os.path.dirname(sys.executable), "modelcheck")

pytestmark = pytest.mark.timeout(120)   # a hang is a failure, not a stuck suite

BUGS = ("BugCommitOnMajority", "BugCommitOnAny", "BugAbortAfterPrepare", "BugAbortAfterCommit")


@pytest.fixture(scope="module")
def specs():
    """The specs of this module, loaded once."""
    out = {
        "twophase4": load_spec(TWOPHASE, RM=4),
        "twophase5": load_spec(TWOPHASE, RM=5),
        "tcommit": load_spec(TCOMMIT),
        "threephase": load_spec(THREEPHASE),
        "quorum": load_spec(QUORUM),
    }
    for bug in BUGS:
        out[bug] = load_spec(TWOPHASE, RM=4, **{bug: True})
    return out


def figures(r):
    """What must not depend on the number of workers, for a run that finishes."""
    return (r.verdict, r.stop_reason, r.distinct_states, r.generated_states, r.depth, r.max_frontier,
            tuple((p.name, p.verdict) for p in r.properties),
            tuple(sorted((c.instance, c.generated) for c in r.coverage)), r.never_enabled)


# The configurations, with the one-process figures pinned (distinct, generated, depth).
SAME = [
    ("twophase4", dict(symmetry=False), (1568, 8258, 14)),       # TLC's 1568 for 4 RMs
    ("twophase5", dict(), (314, 2048, 17)),                      # with symmetry
    ("tcommit", dict(), (13, 37, 7)),
    ("threephase", dict(check_deadlock=False), (369, 1012, 15)),  # labels numbered during the search
    ("BugCommitOnAny", dict(stop_at_first=False), (301, 1556, 14)),  # --continue: every property's first
]


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("name,kw,pinned", SAME, ids=[s[0] for s in SAME])
def test_counts_depth_verdicts_and_coverage_equal_the_one_process_search(specs, name, kw, pinned, workers):
    model = specs[name].model
    one = explore(model, Options(check_temporal=False, **kw))
    many = explore(model, Options(check_temporal=False, workers=workers, **kw))
    assert (one.distinct_states, one.generated_states, one.depth) == pinned
    assert figures(many) == figures(one)
    assert many.extra["workers"] == workers
    # the first violation of each property: as short as the one process's
    assert sorted((v.property, len(v.trace)) for v in many.violations) == \
        sorted((v.property, len(v.trace)) for v in one.violations)
    for v in many.violations:
        replay(specs[name], v.trace)


def test_a_handwritten_model_goes_through_the_same_workers():
    one = explore(handwritten_twophase(4))
    many = explore(handwritten_twophase(4), Options(workers=2))
    assert figures(many) == figures(one)
    assert (many.distinct_states, many.generated_states) == (1568, 8258)


@pytest.mark.parametrize("bug", BUGS)
def test_a_seeded_bug_has_a_counterexample_as_short_as_the_one_process_search(specs, bug):
    spec = specs[bug]
    one = explore(spec.model, Options(check_temporal=False))
    many = explore(spec.model, Options(check_temporal=False, workers=2))
    assert many.verdict is one.verdict is Verdict.VIOLATED
    assert many.stop_reason is StopReason.VIOLATION
    ((v1,), (v2,)) = one.violations, many.violations
    assert len(v2.trace) == len(v1.trace)
    # where two properties fail at the same depth, the workers may meet the other first
    every = explore(spec.model, Options(check_temporal=False, stop_at_first=False)).violations
    assert (v2.property, v2.kind, len(v2.trace)) in {(v.property, v.kind, len(v.trace)) for v in every}
    replay(spec, v2.trace)
    if v2.kind == "step":   # the last step is the violating one
        check = next(p for p in spec.model.step_properties if p.name == v2.property).check
        assert not check(v2.trace.states[-2], v2.trace.states[-1])
    else:
        check = next(p for p in spec.model.invariants if p.name == v2.property).check
        assert not check(v2.trace.states[-1])


def test_a_violation_found_by_a_symmetric_search_is_as_short(specs):
    spec = specs["quorum"]
    one = explore(spec.model, Options(check_temporal=False))
    many = explore(spec.model, Options(check_temporal=False, workers=2))
    assert many.symmetry and many.verdict is one.verdict is Verdict.VIOLATED
    assert [(v.property, len(v.trace)) for v in many.violations] == [("NoNewOldInversion", 11)]
    replay(spec, many.violations[0].trace)


def test_a_deadlock_is_found_at_the_same_depth(specs):
    spec = specs["tcommit"]
    one = explore(spec.model, Options(check_deadlock=True))
    many = explore(spec.model, Options(check_deadlock=True, workers=2))
    assert many.verdict is one.verdict is Verdict.DEADLOCK
    ((v1,), (v2,)) = one.violations, many.violations
    assert (v2.kind, len(v2.trace)) == (v1.kind, len(v1.trace)) == ("deadlock", 4)
    replay(spec, v2.trace)
    assert spec.model.successors(v2.trace.states[-1]) == []


def test_the_depth_bound_gives_the_same_counts(specs):
    model = specs["twophase4"].model
    opts = dict(symmetry=False, check_temporal=False, max_depth=6)
    one, many = explore(model, Options(**opts)), explore(model, Options(workers=2, **opts))
    assert many.stop_reason is StopReason.MAX_DEPTH and many.verdict is Verdict.UNDETERMINED
    assert (many.distinct_states, many.generated_states, many.depth, many.max_frontier) == \
        (one.distinct_states, one.generated_states, one.depth, one.max_frontier) == (504, 1856, 6, 154)


def test_the_state_bound_stops_undetermined(specs):
    r = explore(specs["twophase4"].model, Options(symmetry=False, check_temporal=False, max_states=500, workers=2))
    assert (r.verdict, r.stop_reason) == (Verdict.UNDETERMINED, StopReason.MAX_STATES)
    assert 500 <= r.distinct_states < 1568   # looked at after each level: it may pass 500 by a level
    assert all(p.verdict is not Verdict.HOLDS for p in r.properties)


def test_the_memory_bound_stops_undetermined(specs):
    # a megabyte: every worker is past its share at its first look
    r = explore(specs["twophase4"].model, Options(symmetry=False, check_temporal=False, max_memory_mb=1, workers=2))
    assert (r.verdict, r.stop_reason) == (Verdict.UNDETERMINED, StopReason.MAX_MEMORY)
    assert all(p.verdict is not Verdict.HOLDS for p in r.properties)


def test_a_runtime_error_is_explained_as_in_one_process(tmp_path):
    from modelcheck import load

    path = tmp_path / "div.mc"
    path.write_text("module M\nvar x: 0..5\ninit { x = 0 }\naction Inc { require x < 5; x' = x + 1 }\n"
                    "invariant I [typing]: 10 / (3 - x) >= 0\n")
    model = load(path).model
    one, many = explore(model), explore(model, Options(workers=2))
    assert many.verdict is one.verdict is Verdict.ERROR
    assert many.error == one.error and "division by zero" in many.error


@pytest.mark.parametrize("kw,why", [
    (dict(check_temporal=True), "temporal properties are decided on the whole state graph in one process"),
    (dict(check_temporal=False, strategy="dfs"), "the parallel search is breadth-first (dfs is not)"),
])
def test_what_the_workers_cannot_do_runs_in_one_process_with_a_warning(specs, kw, why):
    model = specs["twophase4"].model
    assert why in refusal(model, Options(**kw))
    one, many = explore(model, Options(**kw)), explore(model, Options(workers=2, **kw))
    assert figures(many) == figures(one)
    assert "workers" not in many.extra
    (note,) = [w for w in many.warnings if w.startswith("--workers 2 not applied")]
    assert why in note and note.endswith("the search ran in one process")


def test_workers_must_be_a_positive_count():
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="workers must be a whole number >= 1"):
            Options(workers=bad)


def test_the_time_limit_stops_the_workers(specs):
    model = load_spec(TWOPHASE, RM=7).model      # far more than a second in Python
    t0 = time.monotonic()
    r = explore(model, Options(symmetry=False, check_temporal=False, workers=2, time_limit=0.5))
    assert time.monotonic() - t0 < 10
    assert (r.verdict, r.stop_reason) == (Verdict.UNDETERMINED, StopReason.TIME_LIMIT)
    assert r.distinct_states > 0
    assert no_worker_left()


def no_worker_left() -> bool:
    """No forked worker of this process is alive."""
    return not [p for p in multiprocessing.active_children() if p.name.startswith("modelcheck-worker")]


def lost_worker_note(r, below: int) -> str:
    """What every run ended by a lost worker shows, forked or a Dask actor, Python or C:
    undetermined (worker-lost), no property decided, some states searched but fewer than
    the whole search's ``below``, one warning that a worker was lost and nothing is
    proven; returns that warning, for the caller's checks of who was lost and how."""
    assert (r.verdict, r.stop_reason) == (Verdict.UNDETERMINED, StopReason.WORKER_LOST)
    assert all(p.verdict is Verdict.UNDETERMINED for p in r.properties)
    (note,) = [w for w in r.warnings if "was lost" in w]
    assert "nothing is proven" in note
    assert 0 < r.distinct_states < below
    return note


def worker_killer(killed: list):
    """A progress callback (it runs in the coordinator while the workers search) that
    kills forked worker 1 with SIGKILL once the search is at depth 4, its pid into
    ``killed``."""
    def kill_one(p):
        if p.depth >= 4 and not killed:
            (victim,) = [c for c in multiprocessing.active_children() if c.name == "modelcheck-worker-1"]
            os.kill(victim.pid, signal.SIGKILL)
            killed.append(victim.pid)
    return kill_one


def test_a_lost_worker_ends_the_run_undetermined_with_a_clear_message(specs):
    killed = []
    kill_one = worker_killer(killed)

    model = specs["twophase5"].model
    t0 = time.monotonic()
    r = explore(model, Options(symmetry=False, check_temporal=False, workers=2, progress=kill_one,
                               progress_every=0.001))
    assert killed and time.monotonic() - t0 < 30
    note = lost_worker_note(r, 8832)
    assert f"worker 2 of 2 (pid {killed[0]}) was lost during level" in note
    assert "(killed by SIGKILL)" in note
    assert no_worker_left()


# ------------------------------------------------------------------ the command line

def test_the_command_line_gives_the_same_json(capsys):
    argv = ["check", TWOPHASE, "--const", "RM=4", "--no-temporal", "--json", "--backend", "python"]
    code1, out1, _ = run(capsys, *argv)
    code2, out2, _ = run(capsys, *argv, "--workers", "2")
    one, two = json.loads(out1), json.loads(out2)
    assert code1 == code2 == 0 and two["workers"] == 2 and "workers" not in one
    for key in ("verdict", "stop_reason", "distinct_states", "generated_states", "depth", "properties"):
        assert one[key] == two[key], key


def test_the_command_line_reports_a_bug_with_a_counterexample_of_the_same_length(capsys):
    argv = ["check", TWOPHASE, "--const", "RM=4", "--const", "BugCommitOnAny=true", "--no-temporal", "--json"]
    one = json.loads(run(capsys, *argv, "--backend", "python")[1])
    code, out, _ = run(capsys, *argv, "--workers", "2")
    two = json.loads(out)
    assert code == 1 and two["verdict"] == "violated"
    assert [(v["property"], v["length"]) for v in two["violations"]] == \
        [(v["property"], v["length"]) for v in one["violations"]] == [("Validity", 5)]
    # --backend auto picks C: the C search runs in the workers (native/parallel.py)
    assert two["backend"] == "c" and two["workers"] == 2


@pytest.mark.parametrize("argv,message", [
    (["--workers", "0"], "argument --workers: expected a whole number >= 1, not '0'"),
    (["--workers", "-2"], "argument --workers: expected a whole number >= 1, not '-2'"),
])
def test_the_command_line_refuses_what_it_cannot_do(capsys, argv, message):
    code, _, err = run(capsys, "check", TWOPHASE, "--no-temporal", *argv)
    assert code == 2 and message in err


def test_the_text_summary_names_the_workers(capsys):
    code, out, _ = run(capsys, "check", TWOPHASE, "--no-temporal", "--workers", "2")
    assert code == 0 and "80 distinct states, 318 generated, depth 11" in out and "2 workers" in out


def test_ctrl_c_reports_the_partial_result_and_ends_the_workers():
    # RM=9: 10 million states, about 5 s in 2 C workers (RM=8 can end before the first
    # progress line, a second in)
    p = subprocess.Popen([MODELCHECK, "check", TWOPHASE, "--const", "RM=9", "--no-symmetry", "--no-temporal",
                          "--workers", "2", "--progress", "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = p.stderr.readline()            # the first progress line: the workers are searching
        assert "distinct" in line, line
        p.send_signal(signal.SIGINT)          # to the coordinator only, as a terminal's Ctrl-C reaches it first
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    report = json.loads(out)
    assert p.returncode == 3 and report["verdict"] == "undetermined" and report["stop_reason"] == "interrupted"
    assert report["distinct_states"] > 0


def test_a_failed_assertion_and_an_initial_violation_as_in_one_process(tmp_path):
    from modelcheck import load
    from modelcheck.model import ActionAssertionFailed

    path = tmp_path / "assert.mc"
    path.write_text('module M\nmodels P = {a, b}\nvar n: P -> 0..6\ninit { n = { p: 0 for p in P } }\n'
                    'action Inc(p in P) { require n[p] < 6; assert n[p] + 1 < 5: "too far"; n\' = n.put(p, n[p] + 1) }\n')
    model = load(path).model
    for kw in (dict(), dict(symmetry=False), dict(stop_at_first=False)):
        one, many = explore(model, Options(**kw)), explore(model, Options(workers=2, **kw))
        assert many.verdict is one.verdict is Verdict.VIOLATED
        ((v1,), (v2,)) = one.violations, many.violations
        assert (v2.kind, len(v2.trace), v2.message) == (v1.kind, len(v1.trace), v1.message) == ("assertion", 5, "too far")
        with pytest.raises(ActionAssertionFailed) as failed:     # the label names the failing step, here
            model.successors(v2.trace.states[-1])
        assert failed.value.label == v2.failed_label
        if kw.get("stop_at_first") is False:        # --continue: the search is exhaustive
            assert figures(many) == figures(one)
    path.write_text("module M\nvar x: 0..3\ninit { x = 0 }\naction A { require x < 3; x' = x + 1 }\n"
                    "invariant Pos [typing]: x > 0\n")
    r = explore(load(path).model, Options(workers=2))
    assert (r.verdict, r.distinct_states, [(v.property, len(v.trace)) for v in r.violations]) == \
        (Verdict.VIOLATED, 1, [("Pos", 1)])


def test_workers_that_cannot_be_started_leave_the_run_undetermined(specs, monkeypatch):
    from modelcheck.search import parallel

    def no_fork(self):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(parallel._Coordinator, "start", no_fork)
    r = explore(specs["twophase4"].model, Options(check_temporal=False, workers=2))
    assert (r.verdict, r.stop_reason) == (Verdict.UNDETERMINED, StopReason.WORKER_LOST)
    assert any("the 2 worker processes could not be started" in w for w in r.warnings)
