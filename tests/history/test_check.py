"""check_history on small histories whose answers are known by hand: the classic
examples (a stale read, concurrent writes, pending writes that must or must not take
effect, compare-and-set), P-compositionality, sequential consistency against
linearizability, the failure report, the time limit."""

from __future__ import annotations

import pytest

from modelcheck.history.check import check_history
from modelcheck.history.core import Consistency, HistoryError, HistoryVerdict, Op
from modelcheck.history.models import CasRegisterModel, KvModel, RegisterModel, get_model
from tests.history.histories import hard_register_history, ops

OK, VIOLATED, UNKNOWN = HistoryVerdict.OK, HistoryVerdict.VIOLATED, HistoryVerdict.UNKNOWN
SEQ = Consistency.SEQUENTIAL


def test_stale_read_is_not_linearizable_and_the_report_says_why():
    h = ops((0, 0, 1, "write", [1], None),
            (1, 2, 3, "write", [2], None),
            (0, 4, 5, "read", [], 1))
    r = check_history(h, RegisterModel())
    assert r.verdict is VIOLATED
    assert r.failure.key is None and [o.id for o in r.failure.ops] == [0, 1, 2]
    assert r.failure.prefix == (0, 1)
    assert r.failure.stuck == ((2, "read -> 2: the register held 2"),)


def test_concurrent_writes_either_order():
    # the writes overlap: a read of 1 needs write(2) first, a read of 2 needs write(1) first
    for seen, first in ((1, 1), (2, 0)):
        h = ops((0, 0, 3, "write", [1], None),
                (1, 1, 4, "write", [2], None),
                (0, 5, 6, "read", [], seen))
        r = check_history(h, RegisterModel())
        assert r.verdict is OK
        assert r.order[None] == [first, 1 - first, 2]


def test_a_read_between_two_values_of_concurrent_writes():
    # reads 1 then 2 then 1 while both writes are pending in real time: impossible
    h = ops((0, 0, 10, "write", [1], None),
            (1, 0, 10, "write", [2], None),
            (2, 1, 2, "read", [], 1),
            (2, 3, 4, "read", [], 2),
            (2, 5, 6, "read", [], 1))
    assert check_history(h, RegisterModel()).verdict is VIOLATED


def test_pending_write_must_take_effect():
    h = ops((0, 0, None, "write", [1], None),
            (1, 5, 6, "read", [], 1))
    r = check_history(h, RegisterModel())
    assert r.verdict is OK and r.order[None] == [0, 1]


def test_pending_write_that_must_not_take_effect():
    # read 1 after the call of the pending write(2), then read 1 again: fine if write(2)
    # never happened (or happens later), which a pending operation is allowed
    h = ops((0, 0, 1, "write", [1], None),
            (1, 2, None, "write", [2], None),
            (0, 3, 4, "read", [], 1),
            (0, 5, 6, "read", [], 1))
    r = check_history(h, RegisterModel())
    assert r.verdict is OK and r.order[None] == [0, 2, 3]


def test_pending_write_cannot_take_effect_before_its_call():
    h = ops((0, 0, 1, "read", [], 2),
            (1, 2, None, "write", [2], None))
    assert check_history(h, RegisterModel()).verdict is VIOLATED


def test_pending_write_seen_then_unseen_is_not_linearizable():
    h = ops((0, 0, 1, "write", [1], None),
            (1, 2, None, "write", [2], None),
            (0, 3, 4, "read", [], 2),
            (0, 5, 6, "read", [], 1))
    assert check_history(h, RegisterModel()).verdict is VIOLATED


def test_cas_history():
    good = ops((0, 0, 1, "write", [0], None),
               (1, 2, 5, "cas", [0, 1], True),
               (2, 3, 6, "cas", [0, 2], False),     # lost the race to process 1
               (0, 7, 8, "read", [], 1))
    assert check_history(good, CasRegisterModel()).verdict is OK
    both_won = ops((0, 0, 1, "write", [0], None),
                   (1, 2, 5, "cas", [0, 1], True),
                   (2, 3, 6, "cas", [0, 2], True),
                   (0, 7, 8, "read", [], 2))
    r = check_history(both_won, CasRegisterModel())
    assert r.verdict is VIOLATED
    assert len(r.failure.prefix) == 2
    assert r.failure.stuck[0][1].startswith("cas would have failed (false): the register held")


def test_pending_cas_takes_effect_iff_the_compare_holds():
    # a pending cas(0, 5) may explain a read of 5 when the register held 0
    h = ops((0, 0, 1, "write", [0], None),
            (1, 2, None, "cas", [0, 5], None),
            (0, 3, 4, "read", [], 5))
    assert check_history(h, CasRegisterModel()).verdict is OK
    h2 = ops((0, 0, 1, "write", [3], None),
             (1, 2, None, "cas", [0, 5], None),
             (0, 3, 4, "read", [], 5))
    assert check_history(h2, CasRegisterModel()).verdict is VIOLATED


def test_initial_value_is_null_unless_configured():
    h = ops((0, 0, 1, "read", [], None))
    assert check_history(h, RegisterModel()).verdict is OK
    assert check_history(h, RegisterModel(initial=0)).verdict is VIOLATED
    assert check_history(ops((0, 0, 1, "read", [], 0)), get_model("register", initial=0)).verdict is OK


def test_kv_parts_are_checked_separately_smallest_failing_first():
    h = ops((0, 0, 1, "write", ["x", 1], None),
            (1, 0, 1, "write", ["y", 1], None),
            (0, 2, 3, "read", ["x"], 1),
            (1, 2, 3, "read", ["y"], 2),          # y fails: 3 operations
            (2, 0, 1, "write", ["z", 1], None),
            (2, 2, 3, "write", ["z", 2], None),
            (2, 4, 5, "read", ["z"], 1),          # z fails too: 4 operations
            (3, 6, 7, "read", ["z"], 2))
    r = check_history(h, KvModel())
    assert r.verdict is VIOLATED and r.parts == 3 and r.operations == 8
    assert r.failure.key == "y" and [o.id for o in r.failure.ops] == [1, 3]
    assert r.failure.stuck == ((3, 'read("y") -> 1: key "y" held 1'),)


def test_kv_keys_do_not_interfere():
    # on one register this is not linearizable (x's write is seen by y's read); per key it is
    h = ops((0, 0, 1, "write", ["x", 1], None),
            (1, 2, 3, "read", ["y"], None),
            (0, 4, 5, "read", ["x"], 1))
    r = check_history(h, KvModel())
    assert r.verdict is OK and r.parts == 2 and r.order == {"y": [1], "x": [0, 2]}


def test_sequentially_consistent_but_not_linearizable():
    # the follower's stale read (DDIA ch. 9): process 1 reads the old value after the
    # write returned; some order keeps each process's own order (the read first)
    h = ops((0, 0, 1, "write", [1], None),
            (1, 2, 3, "read", [], None))
    assert check_history(h, RegisterModel()).verdict is VIOLATED
    r = check_history(h, RegisterModel(), SEQ)
    assert r.verdict is OK and r.order[None] == [1, 0]


def test_sequential_consistency_keeps_each_process_order():
    # process 1 reads 2 then 1, but 1 was written before 2 by process 0
    h = ops((0, 0, 1, "write", [1], None),
            (0, 2, 3, "write", [2], None),
            (1, 4, 5, "read", [], 2),
            (1, 6, 7, "read", [], 1))
    r = check_history(h, RegisterModel(), SEQ)
    assert r.verdict is VIOLATED
    assert r.failure.prefix == (0, 1, 2)
    assert r.failure.stuck == ((3, "read -> 2: the register held 2"),)


def test_sequential_pending_op_may_be_skipped():
    h = ops((0, 0, None, "write", [1], None),
            (1, 5, 6, "read", [], None))
    assert check_history(h, RegisterModel(), SEQ).verdict is OK


def test_sequential_is_not_split_by_key():
    # per key each is sequentially consistent; together they are not: process 0 writes x
    # then reads y empty, process 1 writes y then reads x empty (store buffering)
    h = ops((0, 0, 1, "write", ["x", 1], None),
            (0, 2, 3, "read", ["y"], None),
            (1, 0, 1, "write", ["y", 1], None),
            (1, 2, 3, "read", ["x"], None))
    r = check_history(h, KvModel(), SEQ)
    assert r.verdict is VIOLATED and r.parts == 1


def one_stale_read(rounds: int = 200, procs: int = 4) -> list[Op]:
    """Process 0 writes x=1, then y=1 while process 1's write of x=2 is in flight; then
    process 0 reads x=1 from a replica behind (after x=2 returned), and four processes
    go on writing and reading two other keys. Sequentially consistent (x=2 goes after
    the stale read), not linearizable. Trying the moves in invocation order, the general
    search places x=2 before y=1 and then backtracks over every interleaving of the
    800 operations that follow: millions of configurations."""
    rows = [(0, 0, 1, "write", ["x", 1], None),
            (1, 2, 9, "write", ["x", 2], None),
            (0, 4, 5, "write", ["y", 1], None),
            (0, 10, 11, "read", ["x"], 1)]
    values: dict = {}
    for t in range(rounds):
        for p in range(procs):
            call, key = 20 + 10 * t + 2 * p, f"k{p % 2}"
            if (t + p) % 2 == 0:
                values[key] = t * procs + p
                rows.append((p, call, call + 1, "write", [key, values[key]], None))
            else:
                rows.append((p, call, call + 1, "read", [key], values.get(key)))
    return ops(*rows)


def test_a_stale_read_is_set_aside_and_placed_where_its_value_was_current():
    h = one_stale_read()
    model = KvModel()
    assert check_history(h, model).verdict is VIOLATED
    r = check_history(h, model, SEQ, time_limit=60)
    assert r.verdict is OK, r
    assert r.reason == "a linearization with 1 read set aside, each placed where its value was current"
    order = r.order[None]
    assert sorted(order) == list(range(len(h)))
    assert order.index(3) < order.index(1)               # the stale read before x=2
    state, last = model.init(), {}
    for i in order:                                      # the witness replays ...
        state = model.step(state, h[i])
        assert state is not None, i
        assert last.get(h[i].process, -1) < h[i].call    # ... in each process's order
        last[h[i].process] = h[i].call


def test_when_the_writes_order_does_not_fit_the_reads_the_full_search_decides():
    # the writes' real-time order is 1 then 2, and process 1 reads 1 after writing 2: no
    # read fits after its own write in that order, but writing 2 first fits every process
    h = ops((0, 0, 1, "write", [1], None),
            (1, 2, 3, "write", [2], None),
            (1, 4, 5, "read", [], 1))
    r = check_history(h, RegisterModel(), SEQ)
    assert r.verdict is OK and r.order[None] == [1, 0, 2]
    assert "set aside" not in r.reason


def test_time_limit_gives_unknown():
    r = check_history(hard_register_history(), RegisterModel(), time_limit=0.05)
    assert r.verdict is UNKNOWN
    assert "time limit (0.05 s)" in r.reason
    assert r.elapsed < 5


def test_memory_limit_gives_unknown():
    """The sequential search on a long violated history filled 24 GB once; a memory
    limit ends it in ``unknown``. Any process is over 1 MB: the first look stops it."""
    for consistency in (Consistency.LINEARIZABLE, SEQ):
        r = check_history(hard_register_history(), RegisterModel(), consistency, max_memory_mb=1)
        assert r.verdict is UNKNOWN, consistency
        assert "the memory limit (1 MB) was reached while checking the history" in r.reason
        assert r.elapsed < 5


def test_a_hard_history_is_decided_without_a_limit():
    r = check_history(hard_register_history(8), RegisterModel())
    assert r.verdict is VIOLATED and r.failure.prefix and len(r.failure.prefix) == 8


def test_a_long_easy_history_needs_no_recursion():
    n = 20_000
    h = [Op(i, 0, 2 * i, 2 * i + 1, "write" if i % 2 == 0 else "read", (i,) if i % 2 == 0 else (),
            None if i % 2 == 0 else i - 1) for i in range(n)]
    r = check_history(h, RegisterModel())
    assert r.verdict is OK and r.order[None] == list(range(n))


def test_pruned_pending_ops_do_not_change_answers():
    # a pending write nobody reads is dropped; one somebody read is kept and placed
    h = ops((0, 0, 1, "write", [1], None),
            (1, 2, None, "write", [7], None),
            (2, 2, None, "write", [8], None),
            (3, 2, None, "read", [], None),
            (0, 3, 4, "read", [], 8))
    assert [o.id for o in RegisterModel().prune(h)] == [0, 2, 4]
    r = check_history(h, RegisterModel())
    assert r.verdict is OK and r.order[None] == [0, 2, 4]
    # a failed cas may depend on a pending write's value: nothing is pruned then
    h2 = ops((0, 0, 1, "write", [1], None),
             (1, 2, None, "write", [7], None),
             (0, 3, 4, "cas", [1, 2], False))
    assert [o.id for o in CasRegisterModel().prune(h2)] == [0, 1, 2]
    assert check_history(h2, CasRegisterModel()).verdict is OK


def test_unknown_operation_names_its_line():
    bad = [Op(0, 0, 0, 1, "increment", (), None, line=7)]
    with pytest.raises(HistoryError, match=r"line 7: the register model has no operation 'increment' "
                                           r"\(it knows read, write\)"):
        check_history(bad, RegisterModel())
    with pytest.raises(HistoryError, match=r"line 3: write takes 1 argument, this one has 2"):
        check_history([Op(0, 0, 0, 1, "write", (1, 2), None, line=3)], RegisterModel())
    with pytest.raises(HistoryError, match=r"cas \[1, 2\] has result \"yes\""):
        check_history([Op(0, 0, 0, 1, "cas", (1, 2), "yes", line=3)], CasRegisterModel())


def test_get_model_unknown_name_lists_the_known_ones():
    with pytest.raises(HistoryError, match="no model named 'queue': the models are register, cas-register, kv"):
        get_model("queue")
    assert get_model("kv").name == "kv" and get_model("cas-register").name == "cas-register"


def test_empty_history_is_linearizable():
    r = check_history([], RegisterModel())
    assert r.verdict is OK and r.operations == 0
