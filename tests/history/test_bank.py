"""The bank model: atomic transfers, refused overdrafts, reads of every balance or one,
pending transfers, and bad input."""

from __future__ import annotations

import pytest

from modelcheck.history.bank import BankModel
from modelcheck.history.core import HistoryError
from tests.history.histories import op, run




BANK = BankModel(["a", "b", "c"], 10)


def test_transfers_move_money_atomically():
    assert run(BANK, op("transfer", "a", "b", 4, result="ok")) == (6, 14, 10)
    assert run(BANK, op("transfer", "a", "b", 4, result=None), op("read", result=[6, 14, 10])) == (6, 14, 10)
    assert run(BANK, op("transfer", "a", "b", 10, result=True)) == (0, 20, 10)
    assert run(BANK, op("transfer", "a", "a", 3, result="ok")) == (10, 10, 10)


def test_an_overdraft_is_refused_and_moves_nothing():
    assert run(BANK, op("transfer", "a", "b", 11, result="insufficient"), op("read", result=[10, 10, 10])) == (10, 10, 10)
    assert run(BANK, op("transfer", "a", "b", 11, result="ok")) is None
    assert run(BANK, op("transfer", "a", "b", 5, result="insufficient")) is None


def test_reads_of_every_balance_as_a_list_or_an_object_and_of_one():
    t = op("transfer", "c", "a", 7, result="ok")
    assert run(BANK, t, op("read", result={"a": 17, "b": 10, "c": 3})) is not None
    assert run(BANK, t, op("read", result=(17, 10, 3))) is not None
    assert run(BANK, t, op("read", result=[10, 10, 10])) is None          # the transfer's effect missed
    assert run(BANK, t, op("read", result={"a": 17, "b": 10})) is None    # an account missing
    assert run(BANK, t, op("read", "a", result=17)) is not None
    assert run(BANK, t, op("read", "c", result=10)) is None
    numbered = BankModel([1, 2], {1: 5, 2: 0})
    assert run(numbered, op("read", result={"1": 5, "2": 0})) is not None  # JSON object keys are strings


def test_a_pending_transfer_has_its_effect_whatever_it_answered():
    assert run(BANK, op("transfer", "a", "b", 4, ret=None, result="insufficient")) == (6, 14, 10)
    assert run(BANK, op("transfer", "a", "b", 40, ret=None)) == (10, 10, 10)
    ops = [op("read", ret=None), op("transfer", "a", "b", 1, ret=None), op("read")]
    assert BANK.prune(ops) == ops[1:]


def test_expected_and_describe():
    s = run(BANK, op("transfer", "a", "b", 4, result="ok"))
    assert BANK.expected(s, op("read", result=[1, 2, 3])) == "read() -> {a: 6, b: 14, c: 10}"
    assert BANK.expected(s, op("transfer", "a", "c", 7)) == "transfer(a, c, 7) -> insufficient"
    assert BANK.describe(op("transfer", "a", "c", 7, ret=None)) == "transfer(a, c, 7) -> ?"
    assert BANK.partition([op("read")]) is None


@pytest.mark.parametrize("o, message", [
    (op("transfer", "a", "z", 1), "unknown account 'z'"),
    (op("transfer", "a", "b", -1), "non-negative integer"),
    (op("transfer", "a", "b", True), "non-negative integer"),
    (op("transfer", "a", "b"), "transfer takes 3 arguments"),
    (op("read", "a", "b"), "read takes no argument or one account"),
    (op("deposit", "a", 3), "no operation `deposit`"),
])
def test_bad_operations_are_errors(o, message):
    with pytest.raises(HistoryError, match=message):
        BANK.step(BANK.init(), o)


def test_bad_banks_are_errors():
    with pytest.raises(HistoryError, match="needs its accounts"):
        BankModel()
    with pytest.raises(HistoryError, match="each named once"):
        BankModel(["a", "a"])
    with pytest.raises(HistoryError, match="missing \\['b'\\]"):
        BankModel(["a", "b"], {"a": 1})
