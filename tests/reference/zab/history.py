"""Recording what kazoo clients did, as a history for modelcheck's checker (issue 19, §4).

:class:`History` collects operations from any number of client threads; each
:class:`Client` wraps one started ``KazooClient`` and runs ZooKeeper's operations through
kazoo's async API with a bounded wait, recording for each the process, the invocation
and response times (``time.monotonic_ns``, one clock for every thread), the operation,
its arguments and its result, in the JSON-lines format of docs/histories.md::

    {"process": 0, "call": 1, "ret": 2, "f": "setData", "args": ["/k0", "3", 1], "result": 2}

What the outcome of a call says:

- an answer, or a definite error (``NoNode``, ``NodeExists``, ``BadVersion``,
  ``NotEmpty``): the operation completed with that result (a failed write changed
  nothing: ZooKeeper checks the version or the parent in the leader's one order);
- a connection loss, a session expiry or no answer in time: the request may or may not
  have taken effect, so the operation stays pending (``"ret": null``), and the client
  goes on as a new process (Jepsen's rule: a process has at most one operation whose
  outcome is unknown, as its last).

The names and results are those of the ZooKeeper data-tree model
(modelcheck/history/zktree.py): ``create(path, data) -> path``, ``delete(path, version)
-> null``, ``setData(path, data, version) -> new version``, ``getData(path) -> [data,
version]``, ``exists(path) -> version or null``, ``getChildren(path) -> [names]``, an
error as its name (``"NoNode"``). A sync-read (:meth:`Client.syncread`) is ``sync(path)``
then ``getData(path)`` pipelined on the same connection, recorded as one ``getData`` from
the sync's invocation to the read's answer: ZooKeeper promises that read reflects every
write completed before the sync was invoked, which is exactly linearizability of that
interval (recording the read alone from its own invocation would promise more: a write
may complete between the two invocations and not be ordered before the sync).

Each record also has a ``kind`` the tests select by (``write``, ``read`` for a read
without sync, ``syncread``); :meth:`History.write` leaves it out of the file.

Depends on kazoo; imports nothing of modelcheck, so it can record for any checker.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from kazoo.exceptions import (BadVersionError, KazooException, NodeExistsError, NoNodeError,
                              NotEmptyError)
from kazoo.handlers.threading import KazooTimeoutError

#: errors that say for sure what happened: the operation completed with this result
DEFINITE = {NoNodeError: "NoNode", NodeExistsError: "NodeExists", BadVersionError: "BadVersion",
            NotEmptyError: "NotEmpty"}
#: the fields of a record in the file (the agreed JSON-lines format)
FIELDS = ("process", "call", "ret", "f", "args", "result")


class History:
    """The operations of a run, in the order they were invoked."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records: list[dict] = []
        self.processes = 0

    def _new_process(self) -> int:
        with self.lock:
            self.processes += 1
            return self.processes - 1

    def client(self, zk, timeout: float = 8.0) -> "Client":
        """A recording wrapper of a started KazooClient, as a new process."""
        return Client(self, zk, timeout)

    def select(self, kinds=("write", "read", "syncread")) -> list[dict]:
        """The records of the given kinds, in invocation order, without ``kind``."""
        with self.lock:
            return [{k: r[k] for k in FIELDS} for r in self.records if r["kind"] in kinds]

    def counts(self) -> dict[str, int]:
        """Operations by kind, and how many are pending."""
        with self.lock:
            out: dict[str, int] = {"ops": len(self.records),
                                   "pending": sum(r["ret"] is None for r in self.records)}
            for r in self.records:
                out[r["kind"]] = out.get(r["kind"], 0) + 1
            return out

    def write(self, path: str, kinds=("write", "read", "syncread")) -> int:
        """Write the records of the given kinds as JSON lines; return how many."""
        recs = self.select(kinds)
        with open(path, "w") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")
        return len(recs)


class Client:
    """One client's operations; not shared between threads (a process is sequential)."""

    def __init__(self, history: History, zk, timeout: float):
        self.h, self.zk, self.timeout = history, zk, timeout
        self.process = history._new_process()

    def _run(self, kind: str, f: str, args: list, thunk) -> Any:
        """Invoke ``thunk`` (which returns the encoded result) and record the operation;
        return the record's result (``None`` for a pending one too)."""
        rec = {"process": self.process, "call": time.monotonic_ns(), "ret": None, "f": f, "args": args,
               "result": None, "kind": kind}
        with self.h.lock:
            self.h.records.append(rec)
        try:
            result = thunk()
        except tuple(DEFINITE) as exc:
            result = next(v for k, v in DEFINITE.items() if isinstance(exc, k))
        except (KazooException, KazooTimeoutError):
            # lost, expired or not answered in time: it may yet take effect. A later
            # operation of this client is a new process, so that the unknown outcome
            # is the last of its process.
            self.process = self.h._new_process()
            return None
        rec["ret"] = time.monotonic_ns()
        rec["result"] = result
        return result

    def _wait(self, async_result):
        return async_result.get(timeout=self.timeout)

    def create(self, path: str, data: str):
        return self._run("write", "create", [path, data],
                         lambda: self._wait(self.zk.create_async(path, data.encode())))

    def delete(self, path: str, version: int = -1):
        def go():
            self._wait(self.zk.delete_async(path, version=version))
            return None
        return self._run("write", "delete", [path, version], go)

    def set(self, path: str, data: str, version: int = -1):
        return self._run("write", "setData", [path, data, version],
                         lambda: self._wait(self.zk.set_async(path, data.encode(), version=version)).version)

    def _get(self, path: str):
        data, stat = self._wait(self.zk.get_async(path))
        return [(data or b"").decode(), stat.version]

    def get(self, path: str):
        return self._run("read", "getData", [path], lambda: self._get(path))

    def exists(self, path: str):
        def go():
            stat = self._wait(self.zk.exists_async(path))
            return None if stat is None else stat.version
        return self._run("read", "exists", [path], go)

    def children(self, path: str):
        return self._run("read", "getChildren", [path],
                         lambda: sorted(self._wait(self.zk.get_children_async(path))))

    def syncread(self, path: str):
        def go():
            # pipelined on one connection: ZooKeeper answers a session's requests in
            # order, so the read is taken after the sync, which follows every write
            # committed at the leader before it
            s = self.zk.sync_async(path)
            r = self.zk.get_async(path)
            self._wait(s)
            data, stat = self._wait(r)
            return [(data or b"").decode(), stat.version]
        return self._run("syncread", "getData", [path], go)
