"""Which words of a state decide its worker (modelcheck/native/partition.py, runtime.c's
``mc_part_words``; docs/parallel.md: the partition): chosen on a sample, and whatever
the choice, the same states, counts, depth, verdicts and counterexample lengths as one
process, in forked C workers and in Dask actors."""

from __future__ import annotations

import pytest

from modelcheck.native import explore, partition
from modelcheck.native.engine import engine_for
from modelcheck.result import StopReason, Verdict
from modelcheck.search import Options
from tests.helpers import TWOPHASE, ZAB, load_spec, replay
from tests.search.test_parallel_native import c_workers, figures, one_process

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def words(monkeypatch):
    """Make every parallel C run hash the given words (instead of choosing on a sample)."""
    chosen = []

    def force(ws):
        monkeypatch.setattr(partition, "choose", lambda *a, **k: partition.Partition(tuple(ws), "forced"))
        chosen.append(ws)

    return force


def one_process_c(model, **kw):
    r = explore(model, Options(backend="c", **kw))
    assert r.backend == "c"
    return r


def test_twophase_hashes_the_words_few_steps_change():
    """TwoPhase RM=7 (296,448 states, TLC's figure) is larger than the sample: the choice
    is a part of the state, estimated to send fewer successors away than the whole state,
    and the run with it gives the one-process figures."""
    model = load_spec(TWOPHASE, RM=7).model
    engine = engine_for(model)
    chosen = partition.choose(engine, model.initial_states(), False, 2)
    assert chosen.words and len(chosen.words) < engine.nvars, chosen
    assert set(chosen.words) <= set(range(engine.nvars))
    assert chosen.crossing < chosen.whole_crossing, chosen
    assert chosen.sample >= partition.SAMPLE_STATES     # the sample stops at the state that reaches the bound
    kw = dict(symmetry=False, check_temporal=False)
    two = c_workers(model, **kw)
    assert two.distinct_states == 296_448
    assert figures(two) == figures(one_process_c(model, **kw))
    assert two.extra["partition"].startswith(f"{len(chosen.words)} of the state's {engine.nvars} words")


def test_a_search_smaller_than_the_sample_hashes_the_whole_state():
    model = load_spec(TWOPHASE, RM=3).model      # 288 states
    chosen = partition.choose(engine_for(model), model.initial_states(), False, 2)
    assert chosen.words == () and "smaller than the sample" in chosen.why
    r = c_workers(model, symmetry=False, check_temporal=False)
    assert r.extra["partition"].startswith("the whole state")


@pytest.mark.parametrize("ws", [(3,), (1, 2, 3), (1,), (0, 3)])
@pytest.mark.parametrize("symmetry", [False, True])
def test_any_choice_of_words_gives_the_one_process_figures(words, ws, symmetry):
    """(1,) is tmState alone: three values, nearly every state on one worker; the counts do
    not depend on balance."""
    words(ws)
    model = load_spec(TWOPHASE, RM=5).model
    kw = dict(symmetry=symmetry, check_temporal=False)
    two = c_workers(model, **kw)
    assert two.extra["partition"].startswith(f"{len(ws)} of the state's")
    assert figures(two) == figures(one_process(model, **kw))


def test_three_workers_on_chosen_words(words):
    words((2, 3))
    model = load_spec(TWOPHASE, RM=5).model
    kw = dict(symmetry=False, check_temporal=False)
    three = explore(model, Options(workers=3, backend="c", **kw))
    assert three.backend == "c" and three.extra["workers"] == 3
    assert figures(three) == figures(one_process(model, **kw))


@pytest.mark.parametrize("bug", ["BugCommitOnAny", "BugAbortAfterCommit"])
def test_a_counterexample_is_as_short_on_chosen_words(words, bug):
    words((2, 3))
    spec = load_spec(TWOPHASE, RM=4, **{bug: True})
    kw = dict(symmetry=False, check_temporal=False)
    two = c_workers(spec.model, **kw)
    one = one_process(spec.model, **kw)
    assert two.verdict is Verdict.VIOLATED
    assert len(two.violations[0].trace.states) == len(one.violations[0].trace.states)
    replay(spec, two.violations[0].trace)


def test_zab_with_interned_parts_and_symmetry_gives_the_one_process_figures():
    """ZAB's default configuration: states of 1,123 words whose parts are interned (an
    admitted state reuses the parts of the entry before it), representatives taken; more
    states than the sample, so a part of the state is hashed."""
    model = load_spec(ZAB).model
    kw = dict(symmetry=True, check_temporal=False)
    two = c_workers(model, **kw)
    one = one_process_c(model, **kw)
    assert (two.distinct_states, two.generated_states) == (49_364, 88_954)
    assert figures(two) == figures(one)
    assert two.stop_reason is StopReason.EXHAUSTED
    assert not two.extra["partition"].startswith("the whole state"), two.extra["partition"]
