"""Which words of a state decide its worker, for the C search in parallel (``--workers N``
and ``--cluster``; docs/parallel.md: the partition).

A successor another worker owns costs more than one its parent's worker owns: it is
packed into a box, handed over, unpacked, and looked up in its owner's store a level
later, when what it meets there (most often a copy its owner reached itself, by the
other order of two independent steps) has long left that worker's cache. Hashing the
whole state sends ``1 - 1/N`` of all successors away, and on TwoPhase this made two
workers spend 1.3 times the processor time of one process. A step of a protocol changes
few of a state's words (a participant's state, a message set), so hashing only words
that few steps change keeps most successors with their parent's worker; the price is
balance: fewer distinct values to spread over the workers, and every level waits for
its slowest worker.

:func:`choose` weighs the two on a sample, once per run, before the workers start: a
one-process C search of at most :data:`SAMPLE_STATES` states (at most
:data:`SAMPLE_SECONDS`), then, in C (runtime.c: ``mc_part_sample``,
``mc_part_balance``):

1. for every word, the share of the sample's steps (state -> successor's representative)
   that change it; the words that change are ordered from the rarest changed;
2. for each prefix of that order, the share of steps that change one of its words
   (*crossing*: such a step's successor leaves its parent's worker with probability
   ``1 - 1/N``), and, over the sample's :data:`LEVELS` deepest complete levels, the
   *load* (the states of the busiest of the ``N`` workers if the owner hashed those
   words, as a share of all) and the number of distinct values the words take;
3. the estimated time of a prefix is ``load x (1 + CROSS_COST x crossing x (1 - 1/N))``;
   a prefix with fewer than :data:`MIN_VALUES` values per worker is not a candidate; the
   best candidate is chosen when it is estimated at least :data:`GAIN` faster than the
   whole state, else the whole state is hashed, as before.

Any choice gives the same states, counts, depth and verdicts: the owner is a function of
the state, the same in every worker; only the speed depends on it. The sample's levels
are the first ones, so the estimate of balance is rough (on TwoPhase the sample's first
levels look less balanced than the whole search turns out to be).
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass

from .engine import ST_ERROR, ST_EXHAUSTED, ST_MAX_STATES, ST_NOMEM, ST_RUNNING, Engine

#: the sample: at most this many states ...
SAMPLE_STATES = 20_000
#: ... and this long
SAMPLE_SECONDS = 0.5
#: what a step whose successor leaves its parent's worker costs, relative to one that
#: stays (measured on TwoPhase RM=9: hashing the whole state, half the steps leave and
#: two workers spend 1.3 times one process's processor time; on ZAB, 1.56 times)
CROSS_COST = 0.8
#: the owner's hash is tried with this many seeds (its constants), the best on the
#: sample's levels kept: when the words take few values, which values fall together
#: decides the balance (TwoPhase RM=9, words tmState and tmPrepared: the busiest worker
#: does 51-56 % of the work from one seed to another)
SEEDS = 8
#: the least estimated gain for which a part of the state is hashed instead of all of it
GAIN = 0.05
#: the balance is judged on the sample's deepest complete levels, this many: the levels
#: to come resemble them more than the first ones
LEVELS = 2
#: levels smaller than this in all tell nothing of balance: the whole state is hashed
MIN_COUNTED = 1000
#: a part with fewer distinct values than this per worker in those levels is not
#: chosen: however the levels grow, a few values cannot be spread evenly
MIN_VALUES = 32


@dataclass(frozen=True)
class Partition:
    """The owner's words (``()``: the whole state) and why, for the result's notes; with
    the sample's figures when one was taken: its states, the share of its steps that
    change the words (``crossing``) and the whole state (``whole_crossing``), and the
    busiest worker's share of its complete levels with each (``load``, ``whole_load``)."""

    words: tuple[int, ...]
    why: str
    #: the owner's constants (runtime.c: mc_proj_xs); no effect on the whole state's hash
    seed: int = 0
    sample: int = 0
    crossing: float = 1.0
    whole_crossing: float = 1.0
    load: float = 0.0
    whole_load: float = 0.0

    def describe(self, nvars: int) -> str:
        if not self.words:
            return f"the whole state ({self.why})"
        return f"{len(self.words)} of the state's {nvars} words ({self.why})"


WHOLE = Partition((), "the default")


def choose(engine: Engine, initial, use_canon: bool, n: int, seconds: float = SAMPLE_SECONDS) -> Partition:
    """The partition for ``n`` workers of the search from the ``initial`` states (the
    model's, not yet encoded), ``use_canon`` whether the workers take representatives;
    the sample's search takes at most ``seconds``."""
    lib, nv = engine.lib, engine.nvars
    h = lib.mc_new(SAMPLE_STATES, -1, 0, 1 if use_canon else 0)
    if not h:
        return WHOLE
    try:
        lib.mc_sample_on(h)
        for s in initial:
            buf = engine.encode(s)
            if use_canon:
                lib.mc_canon_state(buf)
            if lib.mc_add_initial(h, buf) < 0:
                return WHOLE
        end = time.monotonic() + min(seconds, SAMPLE_SECONDS)
        while True:
            st = lib.mc_run(h, 4096)
            if st == ST_MAX_STATES:
                break
            if st == ST_EXHAUSTED:
                return Partition((), "the whole search is smaller than the sample")
            if st in (ST_ERROR, ST_NOMEM):
                return Partition((), "the sample's search stopped")
            if st == ST_RUNNING and time.monotonic() > end:
                break
            # a violation: the sample goes on (the workers will report it)
        m = lib.mc_count(h)
        changes = (ctypes.c_int64 * nv)()
        steps = lib.mc_part_sample(h, None, 0, changes)
        if steps <= 0:
            return Partition((), "the sample has no steps")
        order = sorted((w for w in range(nv) if changes[w]), key=lambda w: (changes[w], w))
        k = len(order)
        if not k:
            return Partition((), "no step of the sample changes the state")
        rank = (ctypes.c_int * nv)(*([-1] * nv))
        for i, w in enumerate(order):
            rank[w] = i
        first = (ctypes.c_int64 * (k + 1))()
        lib.mc_part_sample(h, rank, k, first)
        words = (ctypes.c_int * k)(*order)
        every = (ctypes.c_int64 * (SEEDS * (k + 1)))()
        values = (ctypes.c_int64 * (k + 1))()
        counted = lib.mc_part_balance(h, words, k, n, LEVELS, SEEDS, every, values)
        if counted < MIN_COUNTED:
            return Partition((), f"the sample's complete levels hold {max(counted, 0)} states: too few to judge")
        tried = [(seed, every[seed * (k + 1):(seed + 1) * (k + 1)]) for seed in range(SEEDS)]
    finally:
        lib.mc_free(h)
    away = 1 - 1 / n

    def cost(load: int, crossing: float) -> float:
        return load / counted * (1 + CROSS_COST * crossing * away)

    crossed = 0
    best, best_cost, best_crossing, best_seed = 0, float("inf"), 1.0, 0
    for p in range(1, k + 1):
        crossed += first[p - 1]
        for seed, loads in tried:
            c = cost(loads[p - 1], crossed / steps)
            if values[p - 1] >= MIN_VALUES * n and c < best_cost:
                best, best_cost, best_crossing, best_seed = p, c, crossed / steps, seed
    loads = tried[best_seed][1]
    whole = cost(loads[k], crossed / steps)
    figures = dict(sample=m, crossing=best_crossing, whole_crossing=crossed / steps,
                   load=loads[best - 1] / counted if best else 0.0, whole_load=loads[k] / counted)
    if not best or best_cost > whole * (1 - GAIN):
        return Partition((), f"no part of it was estimated {GAIN:.0%} faster on a sample of {m:,} states",
                         **figures)
    return Partition(tuple(order[:best]),
                     f"on a sample of {m:,} states: {best_crossing:.0%} of the steps change them, "
                     f"against {crossed / steps:.0%} for the whole state; the busiest worker's share of the "
                     f"levels {loads[best - 1] / counted:.1%} against {loads[k] / counted:.1%}, with seed "
                     f"{best_seed} of the {len(tried)} tried", seed=best_seed, **figures)
