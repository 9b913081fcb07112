"""The ZooKeeper data tree model: each operation's results and errors as ZooKeeper answers
them (reference/zab/tree.py is the server these histories come from), pending operations,
sequential nodes, the state's canonical form, and the partition into components."""

from __future__ import annotations

import random

import pytest

from modelcheck.history.core import HistoryError, Op
from modelcheck.history.zktree import ZkTreeModel
from tests.history.histories import op, run




M = ZkTreeModel()


def fits(*ops, model=M):
    return run(model, *ops) is not None


def test_the_initial_tree_has_zookeepers_own_nodes():
    assert M.init() == (("/zookeeper", "", 0), ("/zookeeper/quota", "", 0))
    assert fits(op("getChildren", "/", result=["zookeeper"]))
    assert fits(op("getChildren", "/", result=[]), model=ZkTreeModel(system_nodes=False))
    tree = ZkTreeModel({"/a": "x", "/a/b": "y"}, system_nodes=False)
    assert tree.init() == (("/a", "x", 0), ("/a/b", "y", 0))
    with pytest.raises(HistoryError, match="has no parent `/q`"):
        ZkTreeModel({"/q/r": "x"})
    with pytest.raises(HistoryError, match="not a node path"):
        ZkTreeModel({"a": "x"})


def test_create():
    assert fits(op("create", "/a", "x", result="/a"))
    assert not fits(op("create", "/a", "x", result="NodeExists"))
    assert fits(op("create", "/a", "x", result="/a"), op("create", "/a", "y", result="NodeExists"))
    assert fits(op("create", "/a", "x", result="/a"), op("create", "/a", "y", result="NodeExistsError"))  # kazoo's name
    assert fits(op("create", "/a/b", "x", result="NoNode"))
    assert fits(op("create", "/a/b", "x", result="NoNodeError"))
    assert not fits(op("create", "/a/b", "x", result="/a/b"))
    assert fits(op("create", "/", "x", result="NodeExists"))
    assert fits(op("create", "a", "x", result="BadArguments"))
    assert fits(op("create", "/a/", "x", result="BadArguments"))
    assert fits(op("create", "/a", "x", 1, result="/a"))       # ephemeral: created as any node


def test_delete_errors_come_in_zookeepers_order():
    a = op("create", "/a", "x", result="/a")
    b = op("create", "/a/b", "y", result="/a/b")
    assert fits(a, op("delete", "/a", result=None))
    assert fits(a, op("delete", "/a", 0, result="ok"))
    assert fits(a, op("delete", "/a", -1, result="ok"))
    assert fits(op("delete", "/a", 5, result="NoNode"))                 # NoNode before BadVersion
    assert fits(a, b, op("delete", "/a", 5, result="BadVersion"))       # BadVersion before NotEmpty
    assert fits(a, b, op("delete", "/a", 0, result="NotEmpty"))
    assert not fits(a, b, op("delete", "/a", 0, result="ok"))
    assert fits(a, op("delete", "/a", result="ok"), op("exists", "/a", result=None))
    assert fits(op("delete", "/", result="BadArguments"))


def test_set_data_versions():
    a = op("create", "/a", "x", result="/a")
    assert fits(a, op("setData", "/a", "y", result=1), op("setData", "/a", "z", 1, result=2),
                op("getData", "/a", result=["z", 2]), op("exists", "/a", result=2))
    assert fits(a, op("setData", "/a", "y", 3, result="BadVersion"), op("getData", "/a", result=("x", 0)))
    assert not fits(a, op("setData", "/a", "y", result=2))
    assert fits(a, op("setData", "/a", "y", result="ok"))              # success without the version
    assert fits(op("setData", "/a", "y", result="NoNode"))


def test_reads():
    a = op("create", "/a", "x", result="/a")
    assert fits(a, op("getData", "/a", result=["x", 0]))
    assert not fits(a, op("getData", "/a", result=["y", 0]))
    assert not fits(a, op("getData", "/a", result="x"))                 # a result is [data, version]
    assert fits(op("getData", "/a", result="NoNode"))
    assert fits(op("getData", "/", result=["", 0]))
    assert fits(op("exists", "/a", result=None))
    assert not fits(op("exists", "/a", result=0))
    assert fits(a, op("exists", "/a", result=0))
    assert not fits(a, op("exists", "/a", result=False))
    kids = [op("create", p, "", result=p) for p in ("/a", "/a/c", "/a/b")]
    assert fits(*kids, op("getChildren", "/a", result=["b", "c"]))
    assert fits(*kids, op("getChildren", "/a", result=["c", "b"]))     # any order
    assert not fits(*kids, op("getChildren", "/a", result=["b"]))
    assert fits(op("getChildren", "/a", result="NoNode"))
    assert fits(op("sync", "/a", result=None), op("sync"))


def test_a_pending_operation_takes_effect_whatever_its_result():
    s = run(M, op("create", "/a", "x", ret=None, result="anything"))
    assert ("/a", "x", 0) in s
    s = run(M, op("create", "/a/b", "x", ret=None))                  # fails: the state is unchanged
    assert s == M.init()
    pending = [Op(i, i, 0, None, f, a) for i, (f, a) in enumerate(
        [("getData", ("/a",)), ("exists", ("/a",)), ("getChildren", ("/",)), ("sync", ()), ("create", ("/a", "x")),
         ("delete", ("/a",)), ("setData", ("/a", "y"))])]
    assert [o.f for o in M.prune(pending)] == ["create", "delete", "setData"]   # reads constrain nothing


def test_sequential_nodes():
    a = op("create", "/a", "", result="/a")
    assert fits(a, op("create", "/a/n-", "d", 2, result="/a/n-0000000000"),
                op("create", "/a/n-", "d", 2, result="/a/n-0000000001"),
                op("getChildren", "/a", result=["n-0000000000", "n-0000000001"]))
    assert fits(a, op("create", "/a/", "d", 3, result="/a/0000000007"))
    assert not fits(a, op("create", "/a/n-", "d", 2, result="/a/n-1"))
    assert not fits(a, op("create", "/a/n-", "d", 2, result="/a/m-0000000000"))
    assert not fits(a, op("create", "/a/n-", "d", 2, result="/a/n-0000000000"),
                    op("create", "/a/n-", "d", 2, result="/a/n-0000000000"))
    assert fits(op("create", "/b/n-", "d", 2, result="NoNode"))
    with pytest.raises(HistoryError, match="sequential create of /a/n- got no response"):
        run(M, a, op("create", "/a/n-", "d", 2, ret=None))
    with pytest.raises(HistoryError, match="flags must be 0 to 3"):
        run(M, op("create", "/a", "d", 4, result="/a"))


def test_states_are_canonical_and_hashable():
    one = run(M, op("create", "/a", "", result="/a"), op("create", "/b", "", result="/b"))
    two = run(M, op("create", "/b", "", result="/b"), op("create", "/a", "", result="/a"))
    assert one == two and hash(one) == hash(two)
    assert isinstance(one, tuple)


def test_unknown_operations_and_arities_are_errors():
    with pytest.raises(HistoryError, match="no operation `rename`"):
        M.step(M.init(), op("rename", "/a", "/b"))
    with pytest.raises(HistoryError, match="`getData` takes 1 arguments, found 2"):
        M.step(M.init(), op("getData", "/a", "/b"))
    with pytest.raises(HistoryError, match="`create` takes 2 to 3 arguments"):
        M.step(M.init(), op("create", "/a"))


def test_expected_and_describe():
    s = run(M, op("create", "/a", "x", result="/a"))
    assert M.expected(s, op("getData", "/a", result=["y", 0])) == "getData(/a) -> ['x', 0]"
    assert M.expected(s, op("delete", "/a", 3)) == "delete(/a, 3) -> BadVersion"
    assert M.expected(s, op("exists", "/b")) == "exists(/b) -> null"
    assert M.expected(s, op("create", "/a/s-", "", 2)) == "create(/a/s-, '', 2) -> a new node /a/s-NNNNNNNNNN"
    assert M.describe(op("setData", "/a", "y", result=1)) == "setData(/a, 'y') -> 1"
    assert M.describe(op("getChildren", "/a", ret=None)) == "getChildren(/a) -> ?"


def parts(ops):
    return {k: [o.id for o in v] for k, v in M.partition(ops).items()}


def test_partition_by_path_when_nothing_joins_paths():
    ops = [Op(0, 0, 0, 1, "create", ("/a", "x"), "/a"), Op(1, 1, 0, 1, "setData", ("/b", "y"), 1),
           Op(2, 2, 0, 1, "getData", ("/a",), ("x", 0)), Op(3, 0, 2, 3, "exists", ("/c",), None)]
    assert parts(ops) == {"/a": [0, 2], "/b": [1], "/c": [3]}


def test_partition_joins_a_nested_create_or_delete_with_its_parent():
    ops = [Op(0, 0, 0, 1, "create", ("/a", "x"), "/a"), Op(1, 0, 2, 3, "create", ("/a/b", "x"), "/a/b"),
           Op(2, 1, 0, 1, "getData", ("/a/b/c",), "NoNode"), Op(3, 1, 2, 3, "delete", ("/a/b/c/d",), "NoNode")]
    # getData of /a/b/c joins nothing by itself, but the delete of /a/b/c/d joins /a/b/c
    # with its child; /a/b/c is not created or deleted, so it stays apart from /a/b
    assert parts(ops) == {"/a": [0, 1], "/a/b/c": [2, 3]}


def test_partition_joins_get_children_with_every_child_named():
    ops = [Op(0, 0, 0, 1, "create", ("/x", ""), "/x"), Op(1, 1, 0, 1, "create", ("/y", ""), "/y"),
           Op(2, 2, 0, 1, "getData", ("/y/z",), "NoNode"), Op(3, 3, 0, 1, "getChildren", ("/y",), ())]
    assert parts(ops) == {"/x": [0], "/y": [1, 2, 3]}
    ops.append(Op(4, 4, 0, 1, "getChildren", ("/",), ("x", "y", "zookeeper")))
    assert parts(ops) == {"/": [0, 1, 2, 3, 4]}


def test_partition_joins_a_sequential_create_with_the_node_it_made():
    ops = [Op(0, 0, 0, 1, "create", ("/q-", "", 2), "/q-0000000000"),
           Op(1, 1, 2, 3, "getData", ("/q-0000000000",), ("", 0)), Op(2, 1, 4, 5, "exists", ("/r",), None)]
    assert parts(ops) == {"/q-": [0, 1], "/r": [2]}


# ----------------------------------------------------------------------------- the partition is sound

class Whole:
    """The tree model, checked as one part."""

    def __init__(self, model):
        self.m = model
        self.name = model.name

    def __getattr__(self, name):
        return getattr(self.m, name)

    def partition(self, ops):
        return None


def random_zk_history(rng, n, model):
    """Operations run one after another (at times 0, 3, 6, ...) on the tree, with
    intervals stretched around those points so that they overlap, some without a
    response; half the histories then get one result changed at random."""
    from modelcheck.history.zktree import _apply

    paths = ["/a", "/a/b", "/c", "/c/d"]
    ops, state = [], model.init()
    for i in range(n):
        f = rng.choice(["create", "delete", "setData", "getData", "exists", "getChildren"])
        p = rng.choice(paths + (["/"] if f == "getChildren" else []))
        args = {"create": (p, "x"), "delete": (p, rng.choice([-1, 0])), "setData": (p, "y", -1)}.get(f, (p,))
        result, state = _apply(state, f, args)
        t = 3 * i
        ret = None if rng.random() < 0.15 else t + rng.randint(0, 4)
        ops.append(Op(i, i, t - rng.randint(0, 4), ret, f, args, result))
    if rng.random() < 0.5:
        k = rng.randrange(n)
        wrong = rng.choice(["NoNode", "NodeExists", "NotEmpty", 0, 1, None, ("x", 0), ("b",), "ok"])
        ops[k] = Op(k, k, ops[k].call, ops[k].ret, ops[k].f, ops[k].args, wrong)
    return ops


def test_partitioned_and_whole_checks_agree_on_random_histories():
    from modelcheck.history.check import check_history

    rng = random.Random(7)
    verdicts = []
    split = nested = 0
    for k in range(400):
        # half the histories start from a tree with /a and /c, so that nested creates
        # succeed and deletes of a parent meet its children
        model = M if k % 2 else ZkTreeModel({"/a": "x", "/c": "x"})
        ops = random_zk_history(rng, rng.randint(2, 7), model)
        parted = check_history(ops, model)
        whole = check_history(ops, Whole(model))
        assert parted.verdict == whole.verdict, ops
        verdicts.append(parted.verdict.value)
        split += parted.parts > 1
        nested += any(o.f in ("create", "delete") and o.args[0] in ("/a/b", "/c/d") and o.result in ("/a/b", "/c/d", "ok")
                      for o in ops)
    assert verdicts.count("ok") > 50 and verdicts.count("violated") > 50
    assert split > 100 and nested > 50          # the partition split often, and nested paths mattered
