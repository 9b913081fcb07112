"""ZooKeeper's data tree as a sequential object, for checking histories of ZooKeeper clients.

The operations, as a history names them (``op.f``, ``op.args``, and the result a client
saw; error results are ZooKeeper's error names, and kazoo's exception names are accepted
too: ``NodeExistsError`` is ``NodeExists``):

| operation | arguments | result |
|---|---|---|
| ``create`` | path, data[, flags] | the created path; ``NodeExists``; ``NoNode`` (no parent) |
| ``delete`` | path[, version] | ``null`` / ``"ok"``; ``NoNode``; ``BadVersion``; ``NotEmpty`` |
| ``setData`` | path, data[, version] | the new version (or ``null`` / ``"ok"``); ``NoNode``; ``BadVersion`` |
| ``getData`` | path | ``[data, version]``; ``NoNode`` |
| ``exists`` | path | the version, or ``null`` when there is no such node |
| ``getChildren`` | path | the children's names (any order; compared sorted); ``NoNode`` |
| ``sync`` | [path] | anything: it changes nothing (it orders the client's later reads, which the history's real-time order already shows) |

A version argument of -1 (or none) matches any version, as in ZooKeeper. Error checks
come in ZooKeeper's order (reference/zab/tree.py, PrepRequestProcessor): for delete
NoNode, then BadVersion, then NotEmpty. A path that is not absolute, or ends with ``/``,
gives ``BadArguments``; the root cannot be created or deleted (``NodeExists`` /
``BadArguments``, as ZooKeeper answers).

Flags (``create``'s third argument, ZooKeeper's CreateMode bits): 1 ephemeral, 2
sequential. Ephemeral nodes are created as persistent ones: sessions and their expiry
are not operations of a history, so a history whose sessions end mid-way cannot be
checked here. Sequential nodes are supported with a looser rule than ZooKeeper's: the
created name must be the given prefix followed by 10 digits, and must not exist yet; the
counter's exact value (the parent's) is not checked. A sequential create that got no
response is refused (its name, and so its effect, is unknown): record such an operation's
outcome, or leave it out.

``ZkTreeModel(initial={path: data}, system_nodes=True)``: the tree starts with the root
``/`` and, by default, ZooKeeper's own ``/zookeeper`` and ``/zookeeper/quota`` (so that
``getChildren("/")`` answers as the real service does), plus ``initial`` (every node at
version 0; parents must be given or be the root).

State: a tuple of ``(path, data, version)`` triples sorted by path, the root left out:
hashable and canonical (equal trees are equal states), and small for the handful of
nodes a test history touches.

Partitioning (P-compositionality). The tree is not a product of independent per-path
objects: a ``create`` succeeds only if the parent exists, a ``delete`` only if the node
has no children, and ``getChildren`` reads every child. So the parts are the connected
components of a graph on the paths of the history: a ``create`` or ``delete`` of ``p``
joins ``p`` with its parent (unless the parent is the root, which always exists and
cannot be deleted), and a ``getChildren(p)`` joins ``p`` with every child of ``p`` the
history or the initial tree names. Every operation's outcome then depends only on nodes
of its own component, and changes only nodes of its own component (a change to a
parent's list of children matters only to ``delete`` and ``getChildren`` of that parent,
both joined). Operations in different components therefore commute and never observe
each other, which is the condition for checking the parts independently. Without
``getChildren("/")`` and nested creates this is per path; with ``getChildren("/")`` it is
the whole history.

Depends on :mod:`.core` only.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .core import HistoryError, Op, PrunesPendingReadonly

__all__ = ["ZkTreeModel", "ERRORS"]

#: the error results a history may carry (kazoo's ``...Error`` names map onto them)
ERRORS = ("NoNode", "NodeExists", "BadVersion", "NotEmpty", "BadArguments", "NoChildrenForEphemerals")
_OPS = {"create": (2, 3), "delete": (1, 2), "setData": (2, 3), "getData": (1, 1), "exists": (1, 1),
        "getChildren": (1, 1), "sync": (0, 1)}
_SEQUENTIAL = 2
_OK = (None, "ok", "OK", True)
#: a sequential create's answer in :meth:`ZkTreeModel.expected`
_SEQ = object()


def _error_name(v: Any) -> Any:
    if isinstance(v, str) and v.endswith("Error") and v[:-5] in ERRORS:
        return v[:-5]
    return v


def _parent(path: str) -> str:
    i = path.rfind("/")
    return path[:i] if i > 0 else "/"


def _bad(path: Any) -> bool:
    return not isinstance(path, str) or not path.startswith("/") or (path != "/" and path.endswith("/")) \
        or "//" in path


class ZkTreeModel(PrunesPendingReadonly):
    """ZooKeeper's data tree (see the module docstring)."""

    name = "zk"

    def __init__(self, initial: Mapping[str, Any] | None = None, system_nodes: bool = True):
        nodes: dict[str, Any] = {}
        if system_nodes:
            nodes["/zookeeper"] = ""
            nodes["/zookeeper/quota"] = ""
        for path, data in (initial or {}).items():
            if _bad(path) or path == "/":
                raise HistoryError(f"initial tree: `{path}` is not a node path (absolute, no trailing `/`)")
            nodes[path] = data
        for path in nodes:
            if _parent(path) != "/" and _parent(path) not in nodes:
                raise HistoryError(f"initial tree: `{path}` has no parent `{_parent(path)}`")
        self._init = tuple(sorted((p, d, 0) for p, d in nodes.items()))

    #: operations without effect: a pending one constrains nothing (:meth:`prune` drops it)
    readonly = frozenset({"getData", "exists", "getChildren", "sync"})

    # ------------------------------------------------------------------ the Model protocol

    def init(self) -> tuple:
        return self._init

    def validate(self, op: Op) -> None:
        """Raise :class:`HistoryError` for an operation this model does not know (an
        unknown name, a wrong number of arguments, bad create flags, unhashable values)."""
        f, args = self._check(op)
        if f == "create" and len(args) == 3:
            _flags(args[2], op)
        try:
            hash(args)
            hash(op.result)
        except TypeError:
            raise HistoryError(f"{f}: arguments and results must be JSON scalars or lists, not objects",
                               f"line {op.line}" if op.line else None) from None

    def step(self, state: tuple, op: Op) -> tuple | None:
        f, args = self._check(op)
        if f == "create" and len(args) == 3 and _flags(args[2], op) & _SEQUENTIAL:
            return self._sequential(state, op, args)
        result, new = _apply(state, f, args)
        if op.ret is None or _fits(f, result, op.result):
            return new
        return None

    def partition(self, ops: Sequence[Op]) -> dict[Any, list[Op]] | None:
        parent: dict[str, str] = {}

        def find(p: str) -> str:
            root = p
            while parent.setdefault(root, root) != root:
                root = parent[root]
            while parent[p] != root:
                parent[p], p = root, parent[p]
            return root

        def union(a: str, b: str) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

        paths = [p for p, _, _ in self._init]
        listed: set[str] = set()
        for op in ops:
            f, args = self._check(op)
            path = args[0] if args else "/"
            find(path)
            if f in ("create", "delete") and isinstance(path, str):
                if _parent(path) != "/":
                    union(path, _parent(path))
                if f == "create" and isinstance(op.result, str) and op.result.startswith("/"):
                    union(path, op.result)       # a sequential create's name
                    if _parent(op.result) != "/":
                        union(op.result, _parent(op.result))
                    paths.append(op.result)
            if f == "getChildren":
                listed.add(path)
            paths.append(path)
        for p in paths:
            if isinstance(p, str) and _parent(p) in listed and p != "/":
                union(p, _parent(p))
        parts: dict[Any, list[Op]] = {}
        for op in ops:
            parts.setdefault(find(op.args[0] if op.args else "/"), []).append(op)
        return parts

    def expected(self, state: tuple, op: Op) -> str:
        f, args = self._check(op)
        if f == "create" and len(args) == 3 and _flags(args[2], op) & _SEQUENTIAL:
            nodes = dict((p, (d, v)) for p, d, v in state)
            parent = _parent(args[0]) if not args[0].endswith("/") else (args[0][:-1] or "/")
            if parent != "/" and parent not in nodes:
                return f"{self.describe(op, result=False)} -> NoNode"
            return f"{self.describe(op, result=False)} -> a new node {args[0]}NNNNNNNNNN"
        result, _ = _apply(state, f, args)
        return f"{self.describe(op, result=False)} -> {_show(result)}"

    def describe(self, op: Op, result: bool = True) -> str:
        text = f"{op.f}({', '.join(_show(a) for a in op.args)})"
        if not result:
            return text
        return text + (" -> ?" if op.ret is None else f" -> {_show(op.result)}")

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _check(op: Op) -> tuple[str, tuple]:
        arity = _OPS.get(op.f)
        where = f"line {op.line}" if op.line else None
        if arity is None:
            raise HistoryError(f"the zk model has no operation `{op.f}` (it has {', '.join(_OPS)})", where)
        if not arity[0] <= len(op.args) <= arity[1]:
            want = str(arity[0]) if arity[0] == arity[1] else f"{arity[0]} to {arity[1]}"
            raise HistoryError(f"`{op.f}` takes {want} arguments, found {len(op.args)}", where)
        return op.f, op.args

    def _sequential(self, state: tuple, op: Op, args: tuple) -> tuple | None:
        prefix = args[0]
        if op.ret is None:
            raise HistoryError(f"a sequential create of {prefix} got no response: its name is unknown, so "
                               "its effect cannot be modelled (record its outcome, or leave it out)",
                               f"line {op.line}" if op.line else None)
        nodes = {p: (d, v) for p, d, v in state}
        parent = _parent(prefix) if not prefix.endswith("/") else (prefix[:-1] or "/")
        got = _error_name(op.result)
        if _bad(prefix.rstrip("/") or "/"):
            return state if got == "BadArguments" else None
        if parent != "/" and parent not in nodes:
            return state if got == "NoNode" else None
        if not (isinstance(got, str) and got.startswith(prefix) and len(got) == len(prefix) + 10
                and got[len(prefix):].isdigit() and got not in nodes):
            return None
        nodes[got] = (args[1], 0)
        return tuple(sorted((p, d, v) for p, (d, v) in nodes.items()))


def _flags(v: Any, op: Op) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 3:
        raise HistoryError(f"create flags must be 0 to 3 (1 ephemeral, 2 sequential), found {v!r}",
                           f"line {op.line}" if op.line else None)
    return v


def _apply(state: tuple, f: str, args: tuple) -> tuple[Any, tuple]:
    """``(result, next state)`` of a deterministic operation (not a sequential create)."""
    if f == "sync":
        return None, state
    path = args[0]
    if _bad(path):
        return "BadArguments", state
    nodes = {p: (d, v) for p, d, v in state}
    if f == "getData":
        if path == "/":
            return ("", 0), state
        return (nodes[path] if path in nodes else "NoNode"), state
    if f == "exists":
        return (nodes[path][1] if path in nodes else 0 if path == "/" else None), state
    if f == "getChildren":
        if path != "/" and path not in nodes:
            return "NoNode", state
        return tuple(sorted(p.rsplit("/", 1)[1] for p in nodes if _parent(p) == path)), state
    if f == "create":
        if path == "/" or path in nodes:
            return "NodeExists", state
        if _parent(path) != "/" and _parent(path) not in nodes:
            return "NoNode", state
        nodes[path] = (args[1], 0)
        return path, _tree(nodes)
    version = args[-1] if (f == "delete" and len(args) == 2) or (f == "setData" and len(args) == 3) else -1
    if f == "delete":
        if path == "/":
            return "BadArguments", state
        if path not in nodes:
            return "NoNode", state
        if version != -1 and version != nodes[path][1]:
            return "BadVersion", state
        if any(_parent(p) == path for p in nodes):
            return "NotEmpty", state
        del nodes[path]
        return "ok", _tree(nodes)
    # setData
    if path not in nodes:
        return ("BadArguments" if path == "/" else "NoNode"), state
    data, v = nodes[path]
    if version != -1 and version != v:
        return "BadVersion", state
    nodes[path] = (args[1], v + 1)
    return v + 1, _tree(nodes)


def _tree(nodes: dict) -> tuple:
    return tuple(sorted((p, d, v) for p, (d, v) in nodes.items()))


def _fits(f: str, expected: Any, got: Any) -> bool:
    got = _error_name(got)
    if isinstance(expected, str) and expected in ERRORS:
        return got == expected
    if f == "delete":
        return got in _OK
    if f == "setData":
        return got in _OK or (got == expected and not isinstance(got, bool))
    if f == "getData":
        return isinstance(got, (tuple, list)) and len(got) == 2 and tuple(got) == expected \
            and not isinstance(got[1], bool)
    if f == "getChildren":
        return isinstance(got, (tuple, list)) and all(isinstance(x, str) for x in got) \
            and tuple(sorted(got)) == expected
    if f == "exists":
        return got == expected and not isinstance(got, bool)
    if f == "sync":
        return True
    return got == expected       # create: the path


def _show(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, str):
        return v if v in ERRORS or v == "ok" or v.startswith("/") else repr(v)
    if isinstance(v, tuple):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    return repr(v)
