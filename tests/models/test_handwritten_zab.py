"""The hand-written Zab model (tests/models/handwritten_zab.py): a few facts argued by hand, and
the figures of the smallest configurations, pinned for the port of Zab.tla to compare.

Bounds are given as (n, MaxTimeoutFailures, MaxTransactionNum, MaxEpoch, MaxRestarts).
"""

import pytest

from modelcheck.search import Options, explore
from modelcheck.result import StopReason, Verdict
from tests.models.handwritten_zab import (
    DISCOVERY, ELECTION, LC0, LEADING, LOOKING, NULL, RECORDER,
    determine_initial_history, update_acksid, zab, zxid_to_index,
)

OPTS = Options(symmetry=False, check_deadlock=False)


def test_one_initial_state():
    (s,) = zab(3).initial_states()
    assert len(s) == 18  # every VARIABLE of Zab.tla, ghost ones and recorder included
    assert s[0] == (LOOKING,) * 3 and s[1] == (ELECTION,) * 3
    assert s[5] == (LC0,) * 3 and s[12] == NULL
    assert s[RECORDER] == (0, 0, 0, 0, ("Init",), 0)


def test_successors_of_the_initial_state():
    # All servers are LOOKING and leaderOracle = NullPoint: UpdateLeader(i) is enabled for
    # every i (NullPoint /= i), FollowLeader for none (it needs leaderOracle /= NullPoint),
    # Restart(i) (LOOKING branch) for every i; nothing else (no leader, no message).
    m = zab(3, max_timeout=2, max_restarts=2)
    (s,) = m.initial_states()
    succ = m.next(s)
    assert sorted((a, p) for a, p, _ in succ) == sorted(
        [("UpdateLeader", (i,)) for i in range(3)] + [("Restart", (i,)) for i in range(3)])
    for a, (i,), t in succ:
        if a == "Restart":  # only lastCommitted[i] (already zero) and the recorder change
            assert t[:RECORDER] == s[:RECORDER]
            assert t[RECORDER] == (1, 0, 0, 1, ("Restart", i), 0)
        else:
            assert t[0][i] == LEADING and t[1][i] == DISCOVERY and t[12] == i
    # all six are new states: 1 + 6 distinct, 1 + 6 generated at depth 2
    r = explore(m, Options(symmetry=False, check_deadlock=False, max_depth=2))
    assert (r.distinct_states, r.generated_states) == (7, 7)


def test_max_timeout_zero_excludes_even_the_initial_state():
    # CheckTimeout is recorder.nTimeout < MaxTimeoutFailures: 0 < 0 is false
    assert explore(zab(2, max_timeout=0), OPTS).distinct_states == 0


def test_two_servers_all_bounds_one_by_hand():
    # MaxTimeoutFailures = 1: a Timeout or Restart makes nTimeout = 1, discarded.
    # MaxEpoch = 1: LeaderProcessCEPOCH forming a quorum makes maxEpoch = 1, discarded.
    # MaxTransactionNum = 1: no request (none is enabled anyway). The 9 states:
    #   depth 1: Init
    #   depth 2: UpdateLeader(0), UpdateLeader(1)
    #   depth 3: from UpdateLeader(a): UpdateLeader(b) (two leaders, oracle b) or
    #            FollowLeader(b) (b follows a): 4 states
    #   depth 4: ConnectAndFollowerSendCEPOCH(a, b) from "b follows a": 2 states
    # Then LeaderProcessCEPOCH (epoch 1) and Timeout are discarded: nothing else.
    # Generated: 1 + Init 4 (2 UpdateLeader + 2 discarded Restart) + 2 x 4 + 2 x 2
    #            (two leaders: 2 Restart) + 2 x 3 (Connect + 2 Restart)
    #            + 2 x 4 (LeaderProcessCEPOCH, Timeout, 2 Restart) = 31.
    r = explore(zab(2, 1, 1, 1, 1), OPTS)
    assert (r.distinct_states, r.generated_states, r.depth) == (9, 31, 4)
    assert r.verdict is Verdict.HOLDS


def test_the_choose_of_determine_initial_history_takes_the_least_sid():
    # Servers 0 and 2 tie on (currentEpoch, lastZxid) with different histories (the
    # epoch field of the transaction differs): TLC's CHOOSE takes the first in sorted
    # order, i.e. the least sid.
    h0 = (((1, 1), 0, frozenset(), 1),)
    h2 = (((1, 1), 0, frozenset(), 7),)
    acke = frozenset({(2, True, 1, h2), (0, True, 1, h0), (1, True, 0, ())})
    assert determine_initial_history(acke) == h0
    # a strictly more recent one wins whatever its sid
    h1 = (((1, 2), 5, frozenset(), 1),)
    assert determine_initial_history((acke - {(1, True, 0, ())}) | {(1, True, 1, h1)}) == h1


def test_zxid_to_index_and_update_acksid():
    t = lambda z: (z, 0, frozenset(), z[0])  # noqa: E731
    his = (t((1, 1)), t((1, 2)), t((1, 2)))
    assert zxid_to_index(his, (0, 0)) == 0
    assert zxid_to_index((), (1, 1)) == 1
    assert zxid_to_index(his, (1, 1)) == 1
    assert zxid_to_index(his, (1, 2)) == -1  # appears twice
    assert zxid_to_index(his, (2, 1)) == 4  # absent: Len + 1
    assert [x[2] for x in update_acksid(his, 2, (1, 1))] == [frozenset({2}), frozenset(), frozenset()]


def test_duplicate_disjuncts_generate_twice():
    # \/ ~outstanding \/ hasCommitted in LeaderProcessACK: TLC tries both disjuncts and
    # generates the same successor twice when both hold (an ACK for a committed txn)
    m = zab(3, 1, 2, 2, 1)
    (s,) = m.initial_states()
    frontier, seen, found = [s], {s}, None
    while frontier and found is None:
        nxt = []
        for u in frontier:
            succ = m.next(u)
            keys = [(a, p, t) for a, p, t in succ]
            dup = {k for k in keys if keys.count(k) > 1}
            if dup:
                found = dup
                break
            for _, _, t in succ:
                if t not in seen and all(c.check(t) for c in m.constraints):
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    assert found and {a for a, _, _ in found} == {"LeaderProcessACK"}


# (n, MaxTimeoutFailures, MaxTransactionNum, MaxEpoch, MaxRestarts) -> distinct, generated, depth
FIGURES = [
    ((2, 1, 1, 1, 1), 9, 31, 4),
    ((2, 1, 1, 2, 1), 21, 81, 10),
    ((2, 1, 2, 2, 1), 39, 171, 15),
    ((2, 2, 1, 2, 1), 161, 581, 14),
    ((2, 2, 1, 2, 2), 327, 1189, 14),
    ((2, 2, 2, 2, 2), 665, 2483, 19),
    ((3, 1, 1, 2, 1), 577, 3733, 18),
    ((3, 1, 2, 2, 1), 2653, 19891, 25),
]


@pytest.mark.parametrize("bounds,distinct,generated,depth", FIGURES)
def test_small_configuration_figures(bounds, distinct, generated, depth):
    r = explore(zab(*bounds), OPTS)
    assert r.stop_reason is StopReason.EXHAUSTED
    assert r.verdict is Verdict.HOLDS  # no invariant of Zab.tla is violated
    assert (r.distinct_states, r.generated_states, r.depth) == (distinct, generated, depth)
