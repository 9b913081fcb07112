"""benchmarks/history.py's generator at a tiny size: its histories have the answer it
claims, and its stale read really is one (a write that returned before a later write
began, read after that write returned)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from modelcheck.history.check import check_history
from modelcheck.history.core import HistoryVerdict
from tests.helpers import ROOT

SCRIPT = ROOT / "benchmarks" / "history.py"


def script():
    spec = importlib.util.spec_from_file_location("bench_history", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, mod)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("keys", [1, 4])
def test_generated_histories_have_their_known_answer(keys):
    bench = script()
    for seed in range(5):
        good = bench.generate(200, keys, 4, seed=seed, pending=0.1)
        assert len(good) == 200
        assert check_history(good, bench.model_for(keys)).verdict is HistoryVerdict.OK
        bad = bench.generate(200, keys, 4, seed=seed, stale=True, pending=0.1)
        changed = [(a, b) for a, b in zip(good, bad) if a != b]
        assert len(changed) == 1 and changed[0][0].f == "read"
        assert check_history(bad, bench.model_for(keys)).verdict is HistoryVerdict.VIOLATED


def test_rows_print_and_agree(capsys):
    bench = script()
    bench.ROWS = [(100, 1, 5, 0.0), (100, 10, 5, 0.05)]
    assert bench.main(["--no-memory"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == 4 and all(r.endswith("agrees") for r in rows)


def test_sequential_witness_of_a_kv_history_is_one_order_of_every_key():
    # the linearizations of the keys merged into one order: it must replay on the whole
    # map, keep real time, and place every operation that responded
    bench = script()
    from modelcheck.history.core import Consistency

    ops = bench.generate(400, 5, 6, seed=3, pending=0.1)
    model = bench.model_for(5)
    r = check_history(ops, model, Consistency.SEQUENTIAL, time_limit=10)
    assert r.verdict is HistoryVerdict.OK and r.parts == 1
    order = [ops[i] for i in r.order[None]]
    assert {o.id for o in ops if o.ret is not None} <= {o.id for o in order}
    state = model.init()
    for o in order:
        state = model.step(state, o)
        assert state is not None, o
    assert all(not (b.ret is not None and b.ret < a.call) for k, a in enumerate(order) for b in order[k + 1:])
