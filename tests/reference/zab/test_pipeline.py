"""reference/zab/pipeline.py: one connection's answers in the order of its requests (the
server's and the scheduler's shared code, the stale-own-read bug included)."""

from __future__ import annotations

from reference.zab.pipeline import Pipeline


def reader(tree):
    return lambda req: ("read", req, tree.get(req))


def test_a_read_waits_behind_the_writes_and_reads_when_its_turn_comes():
    tree = {}
    p = Pipeline()
    assert p.read("/a", reader(tree)) == [("read", "/a", None)]      # nothing ahead: at once
    w = p.wait("create /a")
    assert p.read("/a", reader(tree)) == [] and p
    tree["/a"] = 1                                                   # the write applies
    p.answer(w, "created")
    assert p.flush(reader(tree)) == ["created", ("read", "/a", 1)] and not p


def test_an_answer_known_early_still_waits_its_turn():
    p = Pipeline()
    w1 = p.wait("w1")
    p.wait("auth", "auth ok")
    assert p.flush(reader({})) == []
    p.answer(w1, "ok1")
    assert p.flush(reader({})) == ["ok1", "auth ok"]


def test_the_stale_own_read_bug_reads_at_once_and_answers_in_turn():
    tree = {}
    p = Pipeline(bugs=("stale-own-read",))
    w = p.wait("create /a")
    assert p.read("/a", reader(tree)) == []                          # still in turn ...
    tree["/a"] = 1
    p.answer(w, "created")
    assert p.flush(reader(tree)) == ["created", ("read", "/a", None)]   # ... but stale
