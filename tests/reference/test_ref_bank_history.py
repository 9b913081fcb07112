"""The two-phase commit cluster's bank history (issue 19, section 4): transfers and
reads of every balance, recorded by reference.twophase.client.record_bank_history and
checked for linearizability against modelcheck.history.bank.BankModel (atomic transfers).

The fast tests pin the protocol's part of a read (a yes vote reports the balances it
locked, a no vote why; a begin with "detail" gets both back) on the state machines, and
the checker's verdict on small hand-written histories. The last one runs a real cluster
(4 processes on 127.0.0.1, a lifetime, stopped in any case) with concurrent clients,
checks the recorded history, then doctors it (a transfer applied half) and checks that
the checker refuses it and names the read that cannot be placed.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from modelcheck.history.bank import BankModel
from modelcheck.history.check import check_history
from modelcheck.history.core import HistoryVerdict, Op
from modelcheck.history.formats import read_history
from reference.twophase import client, cluster
from reference.twophase.coordinator import Coordinator
from reference.twophase.participant import Participant
from reference.twophase.protocol import Deliver, Msg, Reply, Request, Send

ACCOUNTS = ("rm1/a0", "rm1/a1", "rm2/a0", "rm2/a1")


# ------------------------------------------------------------------ the protocol's part

def _sent(effects):
    return [e.msg for e in effects if isinstance(e, Send)]


def test_a_yes_vote_reports_the_locked_balances_and_a_no_vote_says_why():
    p = Participant("rm1", {"a0": 5, "a1": 7})
    p.start([])
    (yes,) = _sent(p.handle(Deliver(Msg("prepare", "t1", "tm", "rm1", 5, (("a1", 0), ("a0", -3))))))
    assert (yes.kind, yes.values) == ("yes", (("a1", 7), ("a0", 5)))          # before the deltas
    assert Msg.from_json(json.loads(json.dumps(yes.to_json()))) == yes          # survives the wire
    (no,) = _sent(p.handle(Deliver(Msg("prepare", "t2", "tm", "rm1", 6, (("a0", -1),)))))
    assert (no.kind, no.why) == ("no", "account a0 is locked by t1")
    (no,) = _sent(p.handle(Deliver(Msg("prepare", "t3", "tm", "rm1", 7, (("a9", 1),)))))
    assert no.why == "no account a9"


def _begin(tm, txn, ops, detail=True):
    body = {"op": "begin", "txn": txn, "ops": ops}
    if detail:
        body["detail"] = True
    return tm.handle(Request("c", body))


def _replies(effects):
    return [e.body for e in effects if isinstance(e, Reply)]


def test_a_detailed_begin_gets_the_values_on_commit_and_the_reason_on_abort():
    tm = Coordinator(["rm1", "rm2"])
    tm.start([])
    _begin(tm, "r1", {"rm1": [["a0", 0]], "rm2": [["a0", 0], ["a1", 0]]})
    tm.handle(Deliver(Msg("yes", "r1", "rm2", "tm", 3, values=(("a0", 4), ("a1", 9)))))
    tm.handle(Deliver(Msg("yes", "r1", "rm1", "tm", 3, values=(("a0", 6),))))
    (step,) = tm.internal()
    assert _replies(tm.take(step)) == [{"txn": "r1", "outcome": "committed",
                                        "values": {"rm1": {"a0": 6}, "rm2": {"a0": 4, "a1": 9}}}]
    _begin(tm, "t2", {"rm1": [["a0", -1]], "rm2": [["a0", 1]]})
    assert _replies(tm.handle(Deliver(Msg("no", "t2", "rm2", "tm", 9, why="balance of a0 would be -1")))) == [
        {"txn": "t2", "outcome": "aborted", "why": "rm2: balance of a0 would be -1"}]
    # without "detail" the replies are as before: outcome only
    _begin(tm, "t3", {"rm1": [["a0", -1]], "rm2": [["a0", 1]]}, detail=False)
    assert _replies(tm.handle(Deliver(Msg("no", "t3", "rm1", "tm", 12, why="x")))) == [
        {"txn": "t3", "outcome": "aborted"}]


def test_a_malformed_balance_in_a_vote_is_refused():
    from reference.twophase.protocol import BadMessage
    for bad in ({"values": [["a0", 1.5]]}, {"values": [["a0", True]]}, {"values": "x"}, {"why": 3}):
        with pytest.raises(BadMessage):
            Msg.from_json({"m": "yes", "txn": "t", "src": "rm1", "dst": "tm", "lc": 1, **bad})


# ------------------------------------------------------------------ the checker on small histories

def _op(i, proc, call, ret, f, args=(), result=None):
    return Op(i, proc, call, ret, f, tuple(args), result)


def test_atomic_transfers_with_reads_are_linearizable():
    bank = BankModel(ACCOUNTS, 10)
    ops = [_op(0, 0, 0, 2, "transfer", ("rm1/a0", "rm2/a1", 4), "ok"),
           _op(1, 1, 1, 3, "read", (), (10, 10, 10, 10)),            # before the transfer: concurrent with it
           _op(2, 1, 4, 5, "read", (), (6, 10, 10, 14)),
           _op(3, 0, 3, 6, "transfer", ("rm2/a0", "rm1/a1", 11), "insufficient"),
           _op(4, 2, 5.5, 7, "read", (), (6, 10, 10, 14))]
    r = check_history(ops, bank)
    assert r.verdict is HistoryVerdict.OK, r


def test_a_transfer_applied_half_is_not_linearizable_and_the_read_that_saw_it_is_named():
    bank = BankModel(ACCOUNTS, 10)
    ops = [_op(0, 0, 0, 2, "transfer", ("rm1/a0", "rm2/a1", 4), "ok"),
           _op(1, 1, 3, 4, "read", (), (6, 10, 10, 10)),              # the debit without the credit
           _op(2, 0, 5, 6, "read", (), (6, 10, 10, 14))]
    r = check_history(ops, bank)
    assert r.verdict is HistoryVerdict.VIOLATED
    assert r.failure.prefix == (0,)
    assert [oid for oid, _ in r.failure.stuck] == [1]
    assert "{rm1/a0: 6, rm1/a1: 10, rm2/a0: 10, rm2/a1: 14}" in r.failure.stuck[0][1]


# ------------------------------------------------------------------ a real cluster

def _doctor(path, out):
    """Undo the credit of one committed transfer in the next read its process made:
    the money left one account and never arrived. Returns that read's line number and
    the amount."""
    lines = open(path).read().splitlines()
    objs = [None if x.startswith("#") else json.loads(x) for x in lines]
    head = json.loads(lines[0][len("# bank "):])
    index = {a: k for k, a in enumerate(head["accounts"])}
    for k, t in enumerate(objs):
        if t and t["f"] == "transfer" and t["result"] == "ok":
            nxt = next((j for j in range(k + 1, len(objs)) if objs[j] and objs[j]["process"] == t["process"]
                        and objs[j]["f"] == "read" and objs[j]["result"] is not None
                        and objs[j].get("type") != "fail"), None)
            if nxt is None:
                continue
            src, dst, amount = t["args"]
            objs[nxt]["result"][index[dst]] -= amount
            with open(out, "w") as fh:
                for x, raw in zip(objs, lines):
                    fh.write((raw if x is None else json.dumps(x)) + "\n")
            return nxt + 1, amount
    raise AssertionError("no committed transfer followed by a read in the history")


@pytest.mark.timeout(120)       # about 1.5 s: not slow
def test_a_real_cluster_records_a_linearizable_bank_history(tmp_path):
    d = str(tmp_path / "cluster")
    cluster.create(d, participants=2, accounts=2, balance=20, lifetime=60, vote_timeout=0.5, ask_interval=0.1)
    cluster.start_all(d)
    try:
        t = time.monotonic()
        h = asyncio.run(asyncio.wait_for(client.record_bank_history(
            d, str(tmp_path / "bank.jsonl"), clients=3, rounds=8, seed=7, max_amount=15), 60))
        assert time.monotonic() - t < 60
    finally:
        cluster.stop_all(d)
    assert h.accounts == list(ACCOUNTS) and h.pending == 0
    ops, notes = read_history(h.path)
    assert notes["dropped_failed"] == h.failed and len(ops) == h.transfers + h.reads - h.failed
    reads = [op for op in ops if op.f == "read"]
    transfers = [op for op in ops if op.f == "transfer"]
    # most of the 24 transfers and 24 reads get through their retries (no-wait locks)
    assert len(reads) >= 18 and len(transfers) >= 18
    assert {op.result for op in transfers} <= {"ok", "insufficient"}
    assert all(sum(op.result) == 80 for op in reads)
    bank = BankModel(h.accounts, h.initial)
    r = check_history(ops, bank)
    assert r.verdict is HistoryVerdict.OK, r
    assert sorted(r.order[None]) == [op.id for op in ops]

    bad = tmp_path / "doctored.jsonl"
    line, amount = _doctor(h.path, bad)
    ops, _ = read_history(bad)
    r = check_history(ops, bank)
    assert r.verdict is HistoryVerdict.VIOLATED
    by_line = {op.id: op.line for op in r.failure.ops}
    assert line in [by_line[oid] for oid, _ in r.failure.stuck]
