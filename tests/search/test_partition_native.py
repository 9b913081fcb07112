"""Which words of a state decide its worker (modelcheck/native/partition.py, runtime.c's
``mc_part_words``; docs/parallel.md: the partition): chosen on a sample, and whatever
the choice, the same states, counts, depth, verdicts and counterexample lengths as one
process, in forked C workers and in Dask actors."""

from __future__ import annotations

import ctypes

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
    """Make every parallel C run hash the given words with the given seed (instead of
    choosing on a sample)."""
    chosen = []

    def force(ws, seed=0):
        monkeypatch.setattr(partition, "choose",
                            lambda *a, **k: partition.Partition(tuple(ws), "forced", seed=seed))
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


@pytest.mark.parametrize("ws,seed", [((3,), 0), ((1, 2, 3), 0), ((1,), 0), ((0, 3), 0), ((1, 2), 3),
                                     ((1, 2), 5), ((0, 3), 7)])
@pytest.mark.parametrize("symmetry", [False, True])
def test_any_choice_of_words_gives_the_one_process_figures(words, ws, seed, symmetry):
    """(1,) is tmState alone: three values, nearly every state on one worker; the counts do
    not depend on balance, nor on the seed of the owner's hash."""
    words(ws, seed)
    model = load_spec(TWOPHASE, RM=5).model
    kw = dict(symmetry=symmetry, check_temporal=False)
    two = c_workers(model, **kw)
    assert two.extra["partition"].startswith(f"{len(ws)} of the state's")
    assert figures(two) == figures(one_process(model, **kw))


def test_three_workers_on_chosen_words(words):
    words((2, 3), seed=2)
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


def test_the_seed_moves_states_between_workers_and_is_chosen_on_the_sample(monkeypatch):
    """The seed changes the owner's constants, so which worker owns a state (each seed's
    owner the same in every worker: the figures above); the sample weighs SEEDS of them
    and keeps one; with one seed tried, it is 0."""
    model = load_spec(TWOPHASE, RM=7).model
    engine = engine_for(model)
    lib = engine.lib
    states = [engine.encode(s) for s in list(model.initial_states())]
    h = lib.mc_new(1000, -1, 0, 0)
    try:
        assert lib.mc_part_set(h, 2, 0)
        owners = {}
        for seed in range(8):
            assert lib.mc_part_words(h, (ctypes.c_int * 2)(1, 2), 2, seed)
            owners[seed] = tuple(lib.mc_part_owner(h, b) for b in states)
            for b in states:        # values of words 1 and 2 other than the initial state's
                t = (ctypes.c_int64 * engine.nvars)(*b)
                moved = []
                for v in range(1, 40):
                    t[2] = v
                    moved.append(lib.mc_part_owner(h, t))
                owners[seed] += tuple(moved)
        assert len(set(owners.values())) > 1, "every seed puts every state on the same worker"
        assert all(set(o) == {0, 1} for o in owners.values())
    finally:
        lib.mc_free(h)
    chosen = partition.choose(engine, model.initial_states(), False, 2)
    assert 0 <= chosen.seed < partition.SEEDS and f"seed {chosen.seed} of the {partition.SEEDS}" in chosen.why
    monkeypatch.setattr(partition, "SEEDS", 1)
    assert partition.choose(engine, model.initial_states(), False, 2).seed == 0


def test_the_workers_hash_with_the_seed_chosen(words):
    """The seed reaches every worker (the shares move with it, the figures do not)."""
    model = load_spec(TWOPHASE, RM=5).model
    kw = dict(symmetry=False, check_temporal=False)
    one = figures(one_process(model, **kw))
    shares = {}
    for seed in (0, 3, 5):
        words((1, 2), seed)
        r = c_workers(model, **kw)
        assert figures(r) == one
        shares[seed] = tuple(r.extra["worker_states"])
        assert sum(shares[seed]) == 8832 and min(shares[seed]) > 0
    assert len(set(shares.values())) > 1, shares
