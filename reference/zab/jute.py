"""ZooKeeper's client wire protocol: length-prefixed jute records.

Every packet is ``int32 length`` then the record. The first packet of a connection is a
ConnectRequest (no header); then each request is ``int32 xid, int32 type`` and the
operation's record, and each reply ``int32 xid, int64 zxid, int32 err`` and, when err is
0, the result. Watch events are replies with xid -1; pings use xid -2, auth -4.
Big-endian throughout; a jute string or buffer is ``int32 length`` (-1 for null) and
the bytes; a vector is ``int32 count`` and the items.

:func:`decode_request` turns a packet into ``(xid, opname, fields)``; anything malformed
(truncated, a negative or oversize length, trailing garbage is tolerated as ZooKeeper
does) raises :class:`JuteError`, upon which the server closes that connection.

Depends on the standard library only.
"""

from __future__ import annotations

import struct

#: the largest packet a server reads (ZooKeeper's jute.maxbuffer default)
MAX_PACKET = 0xFFFFF + 1024
WATCH_XID, PING_XID, AUTH_XID, SETWATCHES_XID = -1, -2, -4, -8
#: WatcherEvent types and the SyncConnected state
NODE_CREATED, NODE_DELETED, NODE_DATA_CHANGED, NODE_CHILDREN_CHANGED = 1, 2, 3, 4
SYNC_CONNECTED = 3

OPS = {1: "create", 2: "delete", 3: "exists", 4: "getData", 5: "setData", 6: "getACL",
       7: "setACL", 8: "getChildren", 9: "sync", 11: "ping", 12: "getChildren2", 13: "check",
       14: "multi", 15: "create2", 19: "createContainer", 21: "createTTL", 22: "multiRead",
       100: "auth", 101: "setWatches", 103: "getEphemerals", 104: "getAllChildrenNumber",
       105: "setWatches2", 106: "addWatch", 107: "whoAmI", 17: "checkWatches", 18: "removeWatches",
       16: "reconfig", -11: "closeSession"}
CODE = {v: k for k, v in OPS.items()}
#: the ACL every node has (world:anyone, all permissions): the only scheme supported
OPEN_ACL = (31, "world", "anyone")

_I, _Q, _IQI = struct.Struct(">i"), struct.Struct(">q"), struct.Struct(">iqi")
_STAT = struct.Struct(">qqqqiiiqiiq")


class JuteError(ValueError):
    pass


class Reader:
    __slots__ = ("b", "p")

    def __init__(self, b: bytes):
        self.b, self.p = b, 0

    def _take(self, n: int) -> bytes:
        if n < 0 or self.p + n > len(self.b):
            raise JuteError(f"truncated record (wanted {n} bytes at offset {self.p} of {len(self.b)})")
        s = self.b[self.p:self.p + n]
        self.p += n
        return s

    def int(self) -> int:
        return _I.unpack(self._take(4))[0]

    def long(self) -> int:
        return _Q.unpack(self._take(8))[0]

    def bool(self) -> bool:
        return self._take(1) != b"\0"

    def buffer(self) -> bytes | None:
        n = self.int()
        if n == -1:
            return None
        if n < -1:
            raise JuteError(f"negative length {n}")
        return self._take(n)

    def string(self) -> str | None:
        b = self.buffer()
        if b is None:
            return None
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            raise JuteError("a string that is not UTF-8") from None

    def count(self) -> int:
        n = self.int()
        if n < -1 or n > len(self.b):
            raise JuteError(f"impossible vector length {n}")
        return max(n, 0)

    def strings(self) -> list:
        return [self.string() for _ in range(self.count())]

    def acls(self) -> list:
        return [(self.int(), self.string(), self.string()) for _ in range(self.count())]

    def done(self) -> bool:
        return self.p >= len(self.b)


def decode_connect(b: bytes) -> dict:
    r = Reader(b)
    out = {"protocol": r.int(), "last_zxid": r.long(), "timeout": r.int(), "sid": r.long(),
           "passwd": r.buffer() or b""}
    out["read_only"] = (not r.done()) and r.bool()
    return out


def _op(r: Reader, name: str) -> dict:
    if name in ("create", "create2", "createContainer"):
        return {"path": r.string(), "data": r.buffer() or b"", "acl": r.acls(), "flags": r.int()}
    if name in ("delete", "check"):
        return {"path": r.string(), "version": r.int()}
    if name in ("exists", "getData", "getChildren", "getChildren2"):
        return {"path": r.string(), "watch": r.bool()}
    if name == "setData":
        return {"path": r.string(), "data": r.buffer() or b"", "version": r.int()}
    if name in ("getACL", "sync"):
        return {"path": r.string()}
    if name == "setACL":
        return {"path": r.string(), "acl": r.acls(), "version": r.int()}
    if name == "auth":
        return {"type": r.int(), "scheme": r.string(), "auth": r.buffer()}
    if name == "setWatches":
        return {"zxid": r.long(), "data": r.strings(), "exist": r.strings(), "child": r.strings()}
    if name == "multi":
        ops = []
        while True:
            typ, done, _err = r.int(), r.bool(), r.int()
            if done:
                return {"ops": ops}
            sub = OPS.get(typ)
            if sub not in ("create", "create2", "delete", "setData", "check"):
                raise JuteError(f"operation type {typ} inside multi")
            ops.append((sub, _op(r, sub)))
            if len(ops) > 100_000:
                raise JuteError("too many operations in one multi")
    return {}


def decode_request(b: bytes) -> tuple[int, str, dict]:
    """(xid, operation name or "unknown:N", fields)."""
    r = Reader(b)
    xid, typ = r.int(), r.int()
    name = OPS.get(typ)
    if name is None:
        return xid, f"unknown:{typ}", {}
    return xid, name, _op(r, name)


# ---- encoding ---------------------------------------------------------------------------

def frame(body: bytes) -> bytes:
    return _I.pack(len(body)) + body


def i32(v: int) -> bytes:
    return _I.pack(v)


def i64(v: int) -> bytes:
    return _Q.pack(v)


def buffer(b: bytes | None) -> bytes:
    return _I.pack(-1) if b is None else _I.pack(len(b)) + b


def string(s: str | None) -> bytes:
    return buffer(None if s is None else s.encode("utf-8"))


def strings(items) -> bytes:
    items = list(items)
    return _I.pack(len(items)) + b"".join(string(s) for s in items)


def stat(st: tuple) -> bytes:
    return _STAT.pack(*st)


def acls(items) -> bytes:
    return _I.pack(len(items)) + b"".join(_I.pack(p) + string(s) + string(i) for p, s, i in items)


def connect_response(timeout: int, sid: int, passwd: bytes) -> bytes:
    return frame(_I.pack(0) + _I.pack(timeout) + _Q.pack(sid) + buffer(passwd) + b"\0")


def reply(xid: int, zxid: int, err: int, body: bytes = b"") -> bytes:
    return frame(_IQI.pack(xid, zxid, err) + (body if err == 0 else b""))


def watch_event(kind: int, path: str) -> bytes:
    return frame(_IQI.pack(WATCH_XID, -1, 0) + _I.pack(kind) + _I.pack(SYNC_CONNECTED) + string(path))


def multi_result(results: list) -> bytes:
    """results: (request operation name, err, value) per operation, as Tree.apply gives
    them with the client's names put back (create and create2 answer differently); an
    "error" entry carries only err."""
    out = bytearray()
    for name, err, value in results:
        if name == "error":
            out += _I.pack(-1) + b"\0" + _I.pack(err) + _I.pack(err)
            continue
        out += _I.pack(CODE[name]) + b"\0" + _I.pack(0)
        if name in ("create", "create2"):
            path, st = value
            out += string(path) + (stat(st) if name == "create2" else b"")
        elif name == "setData":
            out += stat(value)
    out += _I.pack(-1) + b"\1" + _I.pack(-1)
    return bytes(out)
