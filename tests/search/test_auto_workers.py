"""The default of ``--workers``: the number of cores, after a start in one process
(``Options.auto_workers``, ``search/parallel.py: explore_auto``, docs/parallel.md). A
search that ends within ``ALONE_SECONDS`` is the one-process search's result; a longer
one starts again in the C workers, with the same counts; a run the workers cannot do, and
one the C backend cannot run (Python workers gain too little to be a default), stay in
one process without a warning, since nobody asked for workers."""

from __future__ import annotations

import json

import pytest

from modelcheck.cli import build_parser, common
from modelcheck.native import explore
from modelcheck.result import StopReason, Verdict
from modelcheck.search import Options
from modelcheck.search import explore as explore_python
from modelcheck.search import parallel
from tests.helpers import TWOPHASE, load_spec, replay, run

pytestmark = pytest.mark.timeout(120)


def options(*argv):
    return common.search_options(build_parser().parse_args(["check", "spec.mc", *argv]))


def test_the_command_lines_default_is_every_core_after_a_start_alone():
    o = options()
    assert (o.workers, o.auto_workers) == (common.cores(), True)
    assert common.cores() >= 1
    # asked for: exactly that, at once
    assert (options("--workers", "3").workers, options("--workers", "3").auto_workers) == (3, False)
    assert (options("--workers", "1").workers, options("--workers", "1").auto_workers) == (1, False)
    # a cluster's partitions default to 2, at once
    o = options("--cluster", "local")
    assert (o.workers, o.auto_workers) == (2, False)


@pytest.fixture(scope="module")
def rm7():
    return load_spec(TWOPHASE, RM=7).model


def test_a_search_that_ends_in_time_is_the_one_process_search(rm7):
    r = explore(rm7, Options(workers=2, auto_workers=True, backend="c", symmetry=False, check_temporal=False,
                             max_depth=8))
    # the user's own limit, met within ALONE_SECONDS, is the verdict: no workers started
    assert r.stop_reason is StopReason.MAX_DEPTH and r.verdict is Verdict.UNDETERMINED
    assert "workers" not in r.extra and "alone_seconds" not in r.extra
    assert not r.warnings or not any("workers" in w for w in r.warnings)


def test_a_search_still_running_starts_again_in_the_workers_with_the_same_counts(rm7, monkeypatch):
    monkeypatch.setattr(parallel, "ALONE_SECONDS", 0.02)
    r = explore(rm7, Options(workers=2, auto_workers=True, backend="auto", symmetry=False, check_temporal=False))
    assert r.extra.get("workers") == 2, (r.backend_note, r.warnings)
    assert r.backend == "c" and r.verdict is Verdict.HOLDS and r.stop_reason is StopReason.EXHAUSTED
    # TLC's figures for 7 resource managers
    assert (r.distinct_states, r.generated_states, r.depth) == (296448, 2744706, 23)
    assert r.extra["alone_seconds"] >= 0.02
    assert r.seconds >= r.extra["alone_seconds"]       # the start alone is counted


@pytest.mark.parametrize("entry", ["native", "python"])
def test_the_default_starts_no_python_workers(entry, monkeypatch):
    """Python workers gain 1.1-1.2x on two cores (docs/parallel.md): the default keeps a
    Python search in one process, however long; asked for, they run."""
    monkeypatch.setattr(parallel, "ALONE_SECONDS", 0.0)
    model = load_spec(TWOPHASE, RM=5).model
    kw = dict(symmetry=False, check_temporal=False, backend="python")
    r = (explore if entry == "native" else explore_python)(model, Options(workers=2, auto_workers=True, **kw))
    assert r.exhaustive and r.distinct_states == 8832 and "workers" not in r.extra and r.backend == "python"
    asked = explore(model, Options(workers=2, **kw))
    assert asked.extra.get("workers") == 2 and asked.distinct_states == 8832


def test_a_violation_found_alone_is_reported_with_its_shortest_trace():
    spec = load_spec(TWOPHASE, RM=3, BugCommitOnAny=True)
    r = explore(spec.model, Options(workers=2, auto_workers=True, backend="auto", symmetry=False, check_temporal=False))
    assert r.verdict is Verdict.VIOLATED and "workers" not in r.extra
    alone = explore(spec.model, Options(workers=1, symmetry=False, check_temporal=False))
    assert [len(v.trace) for v in r.violations] == [len(v.trace) for v in alone.violations]
    for v in r.violations:
        replay(spec, v.trace)


def test_what_the_workers_cannot_do_runs_alone_without_a_warning(monkeypatch):
    monkeypatch.setattr(parallel, "ALONE_SECONDS", 0.0)
    model = load_spec(TWOPHASE, RM=3).model       # Termination: a temporal property
    auto = explore(model, Options(workers=2, auto_workers=True, backend="auto", symmetry=False))
    assert "workers" not in auto.extra and not any("--workers" in w for w in auto.warnings)
    asked = explore(model, Options(workers=2, symmetry=False))
    assert any("--workers 2 not applied" in w for w in asked.warnings)
    assert auto.distinct_states == asked.distinct_states == 288


def test_a_time_limit_about_to_end_leaves_the_search_alone(rm7, monkeypatch):
    seen = []
    real = parallel.explore_parallel
    monkeypatch.setattr(parallel, "explore_parallel", lambda *a, **k: seen.append(1) or real(*a, **k))
    r = explore(rm7, Options(workers=2, auto_workers=True, backend="c", symmetry=False, check_temporal=False,
                             time_limit=2 * parallel.ALONE_SECONDS))
    assert "workers" not in r.extra and not seen
    assert r.distinct_states == 296448 or r.stop_reason is StopReason.TIME_LIMIT


def test_the_summary_and_json_say_the_search_started_alone(capsys, monkeypatch):
    monkeypatch.setattr(parallel, "ALONE_SECONDS", 0.02)
    code, out, _ = run(capsys, "check", TWOPHASE, "--const", "RM=7", "--no-symmetry", "--no-temporal",
                       "--backend", "c", "--quiet")
    assert code == 0, out
    if common.cores() >= 2:
        assert ", C backend, %d workers after " % common.cores() in out and " s in one process)" in out
    code, out, _ = run(capsys, "check", TWOPHASE, "--const", "RM=7", "--no-symmetry", "--no-temporal",
                       "--backend", "c", "--json")
    got = json.loads(out)
    assert got["distinct_states"] == 296448
    if common.cores() >= 2:
        assert got["workers"] == common.cores() and got["alone_seconds"] > 0
        assert got["seconds"] >= got["alone_seconds"]

