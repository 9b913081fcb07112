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
error as ``{"error": "NoNode"}``; ``syncread(path)`` is ``sync(path)`` then
``getData(path)`` on the same connection, one operation from the sync's invocation to the
read's answer (what ZooKeeper promises to be up to date). Data are strings (UTF-8).

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
#: the writes (a history of these and the sync-reads is linearizable)
WRITES = ("create", "delete", "setData")
#: reads without sync (only sequentially consistent)
PLAIN_READS = ("getData", "exists", "getChildren")


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

    def select(self, fs) -> list[dict]:
        """The records whose operation is one of ``fs``, in invocation order."""
        with self.lock:
            return [r for r in self.records if r["f"] in fs]

    def counts(self) -> dict[str, int]:
        with self.lock:
            out: dict[str, int] = {"ops": len(self.records),
                                   "pending": sum(r["ret"] is None for r in self.records)}
            for r in self.records:
                out[r["f"]] = out.get(r["f"], 0) + 1
            return out

    def write(self, path: str, fs=None) -> int:
        """Write the history (or the records of the operations ``fs``) as JSON lines;
        return how many."""
        recs = self.select(fs) if fs is not None else list(self.records)
        with open(path, "w") as f:
            for r in recs:
                f.write(json.dumps(r, separators=(", ", ": ")) + "\n")
        return len(recs)


class Client:
    """One client's operations; not shared between threads (a process is sequential)."""

    def __init__(self, history: History, zk, timeout: float):
        self.h, self.zk, self.timeout = history, zk, timeout
        self.process = history._new_process()

    def _run(self, f: str, args: list, thunk) -> Any:
        """Invoke ``thunk`` (which returns the encoded result) and record the operation;
        return the record's result (``None`` for a pending one too)."""
        rec = {"process": self.process, "call": time.monotonic_ns(), "ret": None, "f": f, "args": args,
               "result": None}
        with self.h.lock:
            self.h.records.append(rec)
        try:
            result = thunk()
        except tuple(DEFINITE) as exc:
            result = {"error": next(v for k, v in DEFINITE.items() if isinstance(exc, k))}
        except (KazooException, KazooTimeoutError):
            # lost, expired or not answered in time: it may yet take effect. A later
            # operation of this client is a new process, so that the unknown outcome
            # is the last of its process.
            self.process = self.h._new_process()
            return None
        rec["result"] = result
        rec["ret"] = time.monotonic_ns()
        return result

    def _wait(self, async_result):
        return async_result.get(timeout=self.timeout)

    def create(self, path: str, data: str):
        return self._run("create", [path, data],
                         lambda: self._wait(self.zk.create_async(path, data.encode())))

    def delete(self, path: str, version: int = -1):
        def go():
            self._wait(self.zk.delete_async(path, version=version))
            return None
        return self._run("delete", [path, version], go)

    def set(self, path: str, data: str, version: int = -1):
        return self._run("setData", [path, data, version],
                         lambda: self._wait(self.zk.set_async(path, data.encode(), version=version)).version)

    def get(self, path: str):
        def go():
            data, stat = self._wait(self.zk.get_async(path))
            return [data.decode(), stat.version]
        return self._run("getData", [path], go)

    def exists(self, path: str):
        def go():
            stat = self._wait(self.zk.exists_async(path))
            return None if stat is None else stat.version
        return self._run("exists", [path], go)

    def children(self, path: str):
        return self._run("getChildren", [path], lambda: sorted(self._wait(self.zk.get_children_async(path))))

    def syncread(self, path: str):
        def go():
            # pipelined on one connection: ZooKeeper answers in order, so the read is
            # taken after the sync, which follows every write committed before it
            s = self.zk.sync_async(path)
            r = self.zk.get_async(path)
            self._wait(s)
            data, stat = self._wait(r)
            return [data.decode(), stat.version]
        return self._run("syncread", [path], go)
