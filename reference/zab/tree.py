"""The replicated state machine of the reference ZooKeeper: the data tree and the session
table, changed only by committed transactions, identically on every server.

A transaction (a *txn*) is a JSON object carried by a ZAB proposal. It holds the client's
request, not its outcome: every server applies it to its own tree with :meth:`Tree.apply`,
which is deterministic (the leader stamps the time into the txn), so the outcome, an error
included, is the same everywhere. This is what ZooKeeper's error txns achieve; here a
failed write consumes a zxid too (docs/reference-zab.md, *Differences*).

    {"op": "create", "path": P, "data": BASE64, "flags": F, "sid": S}
    {"op": "delete", "path": P, "version": V}
    {"op": "setData", "path": P, "data": BASE64, "version": V}
    {"op": "check", "path": P, "version": V}          (inside multi only)
    {"op": "multi", "ops": [...]}                     all or nothing
    {"op": "createSession", "sid": S, "timeout": MS}
    {"op": "closeSession", "sid": S}
    {"op": "sync"}                                    changes nothing (sync, revalidation)

plus ``"t"`` (the leader's clock, ms) and, for the server that answers the client,
``"srv"`` and ``"cx"``. Results and errors are ZooKeeper's (codes in :data:`ERR`).

Depends on the standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field

#: ZooKeeper's error codes (org.apache.zookeeper.KeeperException.Code)
ERR = {
    "OK": 0, "SystemError": -1, "RuntimeInconsistency": -2, "DataInconsistency": -3,
    "ConnectionLoss": -4, "MarshallingError": -5, "Unimplemented": -6, "OperationTimeout": -7,
    "BadArguments": -8, "UnknownSession": -12, "APIError": -100, "NoNode": -101, "NoAuth": -102,
    "BadVersion": -103, "NoChildrenForEphemerals": -108, "NodeExists": -110, "NotEmpty": -111,
    "SessionExpired": -112, "InvalidCallback": -113, "InvalidACL": -114, "AuthFailed": -115,
    "SessionMoved": -118,
}
OK, NONODE, NODEEXISTS, NOTEMPTY = 0, ERR["NoNode"], ERR["NodeExists"], ERR["NotEmpty"]
BADVERSION, NOCHILDRENFOREPHEMERALS = ERR["BadVersion"], ERR["NoChildrenForEphemerals"]
BADARGUMENTS, SESSIONEXPIRED, RUNTIMEINCONSISTENCY = ERR["BadArguments"], ERR["SessionExpired"], -2

#: create flags (CreateMode): bit 0 ephemeral, bit 1 sequential
EPHEMERAL, SEQUENTIAL = 1, 2
#: the largest data of a znode (ZooKeeper's jute.maxbuffer default, 0xfffff)
MAX_DATA = 0xFFFFF

# watch triggers returned by apply: (kind, path)
CREATED, DELETED, CHANGED, CHILD = "created", "deleted", "changed", "child"


@dataclass(slots=True)
class Node:
    data: bytes = b""
    czxid: int = 0
    mzxid: int = 0
    pzxid: int = 0
    ctime: int = 0
    mtime: int = 0
    version: int = 0
    cversion: int = 0
    aversion: int = 0
    owner: int = 0                      # ephemeralOwner: the session id, or 0
    creates: int = 0                    # children ever created: the next sequential suffix
    children: set = field(default_factory=set)

    def stat(self) -> tuple:
        """ZooKeeper's Stat, in wire order: czxid mzxid ctime mtime version cversion
        aversion ephemeralOwner dataLength numChildren pzxid."""
        return (self.czxid, self.mzxid, self.ctime, self.mtime, self.version, self.cversion,
                self.aversion, self.owner, len(self.data), len(self.children), self.pzxid)


class TxnError(Exception):
    def __init__(self, code: int):
        self.code = code


def parent_of(path: str) -> str:
    i = path.rfind("/")
    return path[:i] if i > 0 else "/"


def bad_path(path: object, sequential: bool = False) -> bool:
    """ZooKeeper's PathUtils.validatePath: absolute, no empty, "." or ".." segment, no
    trailing slash (except for a sequential create), no control characters."""
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 4096:
        return True
    if path == "/":
        return sequential
    body = path[1:-1] if (sequential and path.endswith("/")) else path[1:]
    for seg in body.split("/"):
        if seg in ("", ".", ".."):
            return True
    return any(c == "\0" or "\ud800" <= c <= "\uf8ff" or "\x01" <= c <= "\x1f" or "\x7f" <= c <= "\x9f"
               for c in path)


class Tree:
    """The data tree and the sessions. Read by the server directly; written only by apply."""

    def __init__(self):
        self.nodes: dict[str, Node] = {"/": Node()}
        self.sessions: dict[int, int] = {}          # session id -> negotiated timeout (ms)
        self.ephemerals: dict[int, set[str]] = {}   # session id -> its ephemeral paths
        self.zxid = 0                               # the last applied zxid
        self._digest: tuple[int, str] | None = None # (zxid, digest) of the last digest()
        # ZooKeeper's own nodes, so that a listing of "/" matches the real service
        for p in ("/zookeeper", "/zookeeper/quota"):
            self.nodes[p] = Node()
            self.nodes[parent_of(p)].children.add(p.rsplit("/", 1)[1])

    # ---- applying committed transactions ------------------------------------------------

    def apply(self, zxid: int, txn: dict) -> tuple[int, object, list]:
        """Apply one committed txn: returns (err, result, triggers). Never raises for a
        txn's content: a malformed one is an error result (BadArguments)."""
        self.zxid = zxid
        triggers: list = []
        try:
            op = txn.get("op")
            if op == "multi":
                return OK, self._multi(zxid, txn, triggers), triggers
            undo: list = []
            result = self._one(zxid, txn, triggers, undo)
            return OK, result, triggers
        except TxnError as e:
            return e.code, None, []
        except (TypeError, ValueError, KeyError, AttributeError):
            return BADARGUMENTS, None, []

    def _multi(self, zxid, txn, triggers) -> list:
        undo: list = []
        results = []
        ops = txn.get("ops")
        if not isinstance(ops, list):
            raise TxnError(BADARGUMENTS)
        for i, op in enumerate(ops):
            try:
                if not isinstance(op, dict) or op.get("op") not in ("create", "delete", "setData", "check"):
                    raise TxnError(BADARGUMENTS)
                one = dict(op, t=txn.get("t", 0), sid=txn.get("sid", 0))
                results.append((op["op"], OK, self._one(zxid, one, triggers, undo)))
            except (TxnError, TypeError, ValueError, KeyError) as e:
                code = e.code if isinstance(e, TxnError) else BADARGUMENTS
                for fn in reversed(undo):
                    fn()
                triggers.clear()
                # ZooKeeper's answer: the ops before the failure rolled back (0), the
                # failed one its error, the ones after it RuntimeInconsistency
                return ([("error", OK, None)] * i + [("error", code, None)]
                        + [("error", RUNTIMEINCONSISTENCY, None)] * (len(ops) - i - 1))
        return results

    def _one(self, zxid: int, txn: dict, triggers: list, undo: list):
        op = txn["op"]
        t = int(txn.get("t", 0))
        if op == "create":
            return self._create(zxid, t, txn, triggers, undo)
        if op == "delete":
            return self._delete(zxid, txn["path"], int(txn.get("version", -1)), triggers, undo)
        if op == "setData":
            return self._set(zxid, t, txn, triggers, undo)
        if op == "check":
            node = self._node(txn["path"])
            v = int(txn.get("version", -1))
            if v != -1 and v != node.version:
                raise TxnError(BADVERSION)
            return None
        if op == "createSession":
            self.sessions[int(txn["sid"])] = int(txn["timeout"])
            return None
        if op == "closeSession":
            sid = int(txn["sid"])
            if sid in self.sessions:
                for path in sorted(self.ephemerals.get(sid, ()), reverse=True):
                    if path in self.nodes:
                        self._delete(zxid, path, -1, triggers, [])
                self.ephemerals.pop(sid, None)
                del self.sessions[sid]
            return None
        if op == "sync":
            return None
        raise TxnError(BADARGUMENTS)

    def _node(self, path) -> Node:
        if bad_path(path):
            raise TxnError(BADARGUMENTS)
        node = self.nodes.get(path)
        if node is None:
            raise TxnError(NONODE)
        return node

    def _create(self, zxid, t, txn, triggers, undo):
        path, flags = txn["path"], int(txn.get("flags", 0))
        data = base64.b64decode(txn.get("data") or "")
        sequential, ephemeral = bool(flags & SEQUENTIAL), bool(flags & EPHEMERAL)
        if flags not in (0, 1, 2, 3) or bad_path(path, sequential) or path == "/" or len(data) > MAX_DATA:
            raise TxnError(BADARGUMENTS)
        ppath = parent_of(path) if not (sequential and path.endswith("/")) else (path[:-1] or "/")
        parent = self.nodes.get(ppath)
        if parent is None:
            raise TxnError(NONODE)
        if parent.owner:
            raise TxnError(NOCHILDRENFOREPHEMERALS)
        if sequential:
            # the suffix counts the children ever created, not the cversion (which
            # deletions raise too): what Apache ZooKeeper 3.8 does
            path = f"{path}{parent.creates:010d}"
        if path in self.nodes:
            raise TxnError(NODEEXISTS)
        sid = int(txn.get("sid", 0))
        if ephemeral and sid not in self.sessions:
            raise TxnError(SESSIONEXPIRED)
        node = Node(data, zxid, zxid, zxid, t, t, owner=sid if ephemeral else 0)
        name = path.rsplit("/", 1)[1]
        saved = (parent.cversion, parent.pzxid)
        self.nodes[path] = node
        parent.children.add(name)
        parent.cversion += 1
        parent.creates += 1
        parent.pzxid = zxid
        if ephemeral:
            self.ephemerals.setdefault(sid, set()).add(path)

        def back():
            del self.nodes[path]
            parent.children.discard(name)
            parent.cversion, parent.pzxid = saved
            parent.creates -= 1
            if ephemeral:
                self.ephemerals[sid].discard(path)
        undo.append(back)
        triggers += [(CREATED, path), (CHILD, ppath)]
        return (path, node.stat())

    def _delete(self, zxid, path, version, triggers, undo):
        node = self._node(path)
        if path in ("/", "/zookeeper", "/zookeeper/quota"):
            raise TxnError(BADARGUMENTS)
        if version != -1 and version != node.version:
            raise TxnError(BADVERSION)
        if node.children:
            raise TxnError(NOTEMPTY)
        ppath = parent_of(path)
        parent = self.nodes[ppath]
        name = path.rsplit("/", 1)[1]
        saved = (parent.cversion, parent.pzxid)
        del self.nodes[path]
        parent.children.discard(name)
        parent.cversion += 1
        parent.pzxid = zxid
        if node.owner:
            self.ephemerals.get(node.owner, set()).discard(path)

        def back():
            self.nodes[path] = node
            parent.children.add(name)
            parent.cversion, parent.pzxid = saved
            if node.owner:
                self.ephemerals.setdefault(node.owner, set()).add(path)
        undo.append(back)
        triggers += [(DELETED, path), (CHILD, ppath)]
        return None

    def _set(self, zxid, t, txn, triggers, undo):
        node = self._node(txn["path"])
        data = base64.b64decode(txn.get("data") or "")
        version = int(txn.get("version", -1))
        if len(data) > MAX_DATA:
            raise TxnError(BADARGUMENTS)
        if version != -1 and version != node.version:
            raise TxnError(BADVERSION)
        saved = (node.data, node.mzxid, node.mtime, node.version)
        node.data, node.mzxid, node.mtime, node.version = data, zxid, t, node.version + 1

        def back():
            node.data, node.mzxid, node.mtime, node.version = saved
        undo.append(back)
        triggers.append((CHANGED, txn["path"]))
        return node.stat()

    # ---- snapshots and digests ----------------------------------------------------------

    def to_json(self) -> dict:
        return {"zxid": self.zxid,
                "sessions": [[s, t] for s, t in sorted(self.sessions.items())],
                "nodes": [[p, base64.b64encode(n.data).decode(), n.czxid, n.mzxid, n.pzxid, n.ctime,
                           n.mtime, n.version, n.cversion, n.aversion, n.owner, n.creates]
                          for p, n in sorted(self.nodes.items())]}

    @classmethod
    def from_json(cls, obj: dict) -> "Tree":
        tree = cls()
        tree.nodes = {}
        for p, data, *rest in obj["nodes"]:
            tree.nodes[p] = Node(base64.b64decode(data), *rest)
        for p in tree.nodes:
            if p != "/":
                tree.nodes[parent_of(p)].children.add(p.rsplit("/", 1)[1])
                owner = tree.nodes[p].owner
                if owner:
                    tree.ephemerals.setdefault(owner, set()).add(p)
        tree.sessions = {int(s): int(t) for s, t in obj["sessions"]}
        tree.zxid = int(obj["zxid"])
        return tree

    def digest(self) -> str:
        """A hash of every node (path, data and the whole Stat) and every session: equal
        on two servers exactly when their trees are. Kept until the next apply (the
        status file asks twice a second; an idle server does not hash its tree again)."""
        if self._digest is None or self._digest[0] != self.zxid:
            body = json.dumps(self.to_json(), separators=(",", ":")).encode()
            self._digest = (self.zxid, hashlib.sha256(body).hexdigest()[:16])
        return self._digest[1]
