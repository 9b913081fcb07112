"""The deterministic scheduler: N cores (core.py) with FIFO channels, timers, a disk per
server, crashes and restarts, every one of them a step chosen by a seeded random
generator or given as an explicit schedule, so that a run replays exactly.

A step is one of
    ("deliver", src, dst)   the oldest message on the channel src -> dst
    ("timer", server, name) a timer fires (time jumps to its due time)
    ("write", server)       a client write submitted at a serving server
    ("syncread", server, path)  a client at a serving server sends ``sync`` and, behind
                            it on the same connection, an ``exists`` of ``path``: one
                            operation of the history, answered when the read's turn
                            comes (pipeline.py, the server's own code: after the sync
                            applies here, so the read sees every write acknowledged
                            before it; with ``stale-own-read``, read at once)
    ("fsync", server)       the server's written log entries become durable, and the
                            effects that waited for them are performed
    ("crash", server)       the server loses everything but its disk (entries written
                            and not yet synced are lost); the channels to and
                            from it are emptied, and its peers see the connections break
    ("restart", server)     a crashed server recovers from its disk

The disk holds what the runtime has made durable: the epochs, the log (entries and
truncation marks) and the last snapshot. The durability rule of core.py is modelled
exactly: log entries are lost by a crash until the server's fsync step.

:func:`check` states what ZAB promises across the run: the committed sequences of any
two servers are prefixes of one another, nothing committed is lost by a later leader, and
servers at the same zxid have the same tree. :meth:`Sim.history` is what the clients saw,
for the history checker (docs/histories.md). Sync-reads are offered by :meth:`Sim.enabled`
only when asked (``reads``), so that the seeded runs of the tests keep their schedules.
Depends on core.py, pipeline.py and tree.py.
"""

from __future__ import annotations

import random
from collections import deque

from .core import LEADING, Core
from .pipeline import Pipeline
from .tree import Tree


class Sim:
    def __init__(self, n: int = 3, seed: int = 0, *, bugs=frozenset(), tick_ms: int = 500, trace: bool = False):
        self.ids = list(range(1, n + 1))
        self.rng = random.Random(seed)
        self.bugs = frozenset(bugs)
        self.tick_ms = tick_ms
        self.trace = trace
        self.events: list = []          # (server, action, params) when tracing
        self.event_meta: list = []      # the free-form meta of each event
        self.t = 1_000_000
        self.chan = {(i, j): deque() for i in self.ids for j in self.ids if i != j}
        self.timers: dict[tuple[int, str], int] = {}
        self.disk = {i: {"epochs": (0, 0), "log": [], "snap": None} for i in self.ids}
        self.cores: dict[int, Core | None] = {}
        self.committed: dict[int, list] = {i: [] for i in self.ids}    # (zxid, txn) per server, this life
        self.ever: list = []            # every (server, zxid, txn) committed, across lives
        self.writes = 0
        self.steps: list = []
        self.unsynced: dict[int, list] = {i: [] for i in self.ids}
        self.held: dict[int, list] = {i: [] for i in self.ids}
        #: the clients' operations (docs/histories.md's format, the clock a step's number):
        #: each write a create of its own path, answered when the server it was submitted
        #: to applies it; ``pending`` maps (server, path) to its operation until then
        self.ops: list[dict] = []
        self.pending: dict[tuple[int, str], dict] = {}
        self._t_ops = 0.0
        #: the sync-reads waiting: (server, k) -> (pipeline, the sync's slot, operation)
        self.reads = 0
        self.syncs: dict[tuple[int, int], tuple] = {}
        self.read_at: dict[str, int] = {}   # a sync-read's process -> its server
        self.acked: str | None = None       # the path of the last write answered
        for i in self.ids:
            self._boot(i)

    # ---- servers -----------------------------------------------------------------------

    def _boot(self, i: int):
        d = self.disk[i]
        tree = Tree.from_json(d["snap"]) if d["snap"] else Tree()
        hist: list = []
        for rec in d["log"]:
            if rec[0] == "trunc":
                hist = [h for h in hist if h[0] <= rec[1]]
            else:
                hist.append(rec)
        acc, cur = d["epochs"]
        c = Core(i, self.ids, tick_ms=self.tick_ms, accepted=acc, current=cur, tree=tree, history=hist,
                 bugs=self.bugs, trace=self.trace)
        self.cores[i] = c
        self.committed[i] = []
        self._perform(i, c.start(self.t))

    def _perform(self, i: int, effects: list):
        """The runtime's rule (server.py): a ``log`` is written but not durable until the
        server's ("fsync", i) step; every effect after it waits for that step; epochs,
        truncate and snapshot sync first and are durable at once."""
        queue = deque(effects)
        c = self.cores[i]
        d = self.disk[i]
        while queue:
            e = queue.popleft()
            kind = e[0]
            if kind == "log":
                self.unsynced[i].append((e[1], e[2]))
                continue
            if kind == "trace":
                # an event records the step when it is taken, never held behind the sync as
                # the step's visible effects are (as server.py does)
                self.events.append((i, e[1], e[2]))
                self.event_meta.append(e[3])
                continue
            if kind in ("epochs", "truncate", "snapshot") and self.unsynced[i]:
                self._fsync(i)
            elif self.unsynced[i]:
                self.held[i].append(e)
                continue
            if kind == "send":
                if self.cores.get(e[1]) is not None:
                    self.chan[(i, e[1])].append(e[2])
            elif kind == "durable":
                queue.extend(c.on_durable(e[1], self.t))
            elif kind == "epochs":
                d["epochs"] = (e[1], e[2])
            elif kind == "truncate":
                d["log"].append(("trunc", e[1]))
            elif kind == "snapshot":
                d["snap"], d["log"] = e[1], []
                self.committed[i] = []          # the tree came whole: its commits start after it
            elif kind == "timer":
                if e[2] is None:
                    self.timers.pop((i, e[1]), None)
                else:
                    self.timers[(i, e[1])] = self.t + e[2]
            elif kind == "disconnect":
                j = e[1]
                self.chan[(i, j)].clear()
                if self.cores.get(j) is not None:
                    self._perform(j, self.cores[j].on_disconnect(i, self.t))
            elif kind == "deliver":
                self.committed[i].append((e[1], e[2]))
                self.ever.append((i, e[1], e[2]))
                path = e[2].get("path")
                op = self.pending.pop((i, path), None)
                if op is not None:          # the client that wrote here gets its answer
                    op["ret"], op["result"] = self._now(), op["args"][0]
                    self.acked = path
                k = e[2].get("sr")
                if k is not None and (i, k) in self.syncs:   # a sync-read's sync: its read's turn
                    pipe, slot, op = self.syncs.pop((i, k))
                    pipe.answer(slot, ("sync",))
                    self._answer(op, pipe.flush(lambda req: self._exists(i, req[1])))
                if path is not None and e[2].get("op") == "create":
                    # a reader at this server sees the node as it is applied
                    node = c.tree.nodes.get(path)
                    t = self._now()
                    self.ops.append({"process": f"r{i}", "call": t, "ret": t, "f": "exists", "args": [path],
                                     "result": None if node is None else node.version})

    def _exists(self, i: int, path: str) -> tuple:
        """A read at server i, now: ``("exists", version or None)``."""
        node = self.cores[i].tree.nodes.get(path)
        return ("exists", None if node is None else node.version)

    def _answer(self, op: dict, answers: list) -> None:
        for a in answers:
            if a[0] == "exists":
                op["ret"], op["result"] = self._now(), a[1]

    def _fsync(self, i: int):
        self.disk[i]["log"].extend(self.unsynced[i])
        self.unsynced[i] = []
        held, self.held[i] = self.held[i], []
        self._perform(i, held)

    # ---- steps -------------------------------------------------------------------------

    def enabled(self, faults: bool = True, reads: bool = False) -> list:
        out = [("deliver", s, d) for (s, d), q in self.chan.items() if q]
        up = [i for i in self.ids if self.cores.get(i) is not None]
        out += [("write", i) for i in up if self.cores[i].serving]
        if reads and self.acked is not None:
            out += [("syncread", i, self.acked) for i in up if self.cores[i].serving]
        out += [("fsync", i) for i in up if self.unsynced[i]]
        if self.timers:
            first = min(self.timers.values())
            out += [("timer", i, n) for (i, n), due in self.timers.items() if due <= first + 50]
        if faults:
            if len(up) > len(self.ids) // 2:
                out += [("crash", i) for i in up]
            out += [("restart", i) for i in self.ids if self.cores.get(i) is None]
        return out

    def step(self, st: tuple):
        self.steps.append(st)
        kind = st[0]
        if kind == "deliver":
            s, d = st[1], st[2]
            msg = self.chan[(s, d)].popleft()
            self.t += 1
            self._perform(d, self.cores[d].on_message(s, msg, self.t))
        elif kind == "timer":
            i, name = st[1], st[2]
            self.t = max(self.t, self.timers.pop((i, name)))
            self._perform(i, self.cores[i].on_timer(name, self.t))
        elif kind == "write":
            i = st[1]
            self.writes += 1
            txn = {"op": "create", "path": f"/n{self.writes}", "data": "", "flags": 0}
            op = {"process": f"c{self.writes}", "call": self._now(), "ret": None, "f": "create",
                  "args": [txn["path"], ""], "result": None}
            self.ops.append(op)
            self.pending[(i, txn["path"])] = op
            eff = self.cores[i].submit(txn, self.t)
            if eff is not None:
                self._perform(i, eff)
        elif kind == "syncread":
            self.sync_read(st[1], st[2])
        elif kind == "fsync":
            self._fsync(st[1])
        elif kind == "crash":
            self.crash(st[1])
        elif kind == "restart":
            self._boot(st[1])

    def sync_read(self, i: int, path: str) -> dict:
        """A client at server i: ``sync``, then ``exists(path)`` behind it (see the module
        docstring); its operation in the history."""
        self.reads += 1
        k = self.reads
        op = {"process": f"q{k}", "call": self._now(), "ret": None, "f": "exists", "args": [path], "result": None}
        self.ops.append(op)
        self.read_at[op["process"]] = i
        pipe = Pipeline(self.bugs)
        slot = pipe.wait(("sync",))
        self._answer(op, pipe.read(("exists", path), lambda req: self._exists(i, req[1])))
        self.syncs[(i, k)] = (pipe, slot, op)
        eff = self.cores[i].submit({"op": "sync", "sr": k}, self.t)
        if eff is not None:
            self._perform(i, eff)
        return op

    def _now(self) -> float:
        """The history's clock: the step's number, and a thousandth more for each
        operation recorded in the same step (so that one reader's operations follow one
        another)."""
        n = len(self.steps)
        self._t_ops = max(n, self._t_ops + 0.001)
        return self._t_ops

    def history(self, read_every_server: bool = True) -> list[dict]:
        """The clients' operations so far (a write whose server crashed before applying it
        never got an answer: ``ret`` null), and, with ``read_every_server``, after the last
        step an ``exists`` of every written path at each serving server, one after the
        other, twice round: read at the end of a healed run, each must show every
        acknowledged write, and a write once seen must stay seen (the second round reads
        the first servers again after the last). Reads of single paths keep the check
        path by path; a listing of "/" would join hundreds of writes into one part."""
        ops = [dict(op) for op in self.ops]
        t = int(self._now()) + 1
        paths = [op["args"][0] for op in self.ops if op["f"] == "create"]
        if read_every_server:
            for i in self.ids + self.ids:
                c = self.cores.get(i)
                if c is None or not c.serving:
                    continue
                for path in paths:
                    t += 1
                    node = c.tree.nodes.get(path)
                    ops.append({"process": f"r{i}", "call": t, "ret": t + 0.5, "f": "exists", "args": [path],
                                "result": None if node is None else node.version})
        return ops

    def crash(self, i: int, announce: bool = True):
        """Server i loses everything but its disk (entries written and not yet synced are
        lost, its timers stop). With ``announce`` (the scheduler's step), the channels to and
        from it are emptied and its peers see the connections break at once; without (a
        test harness's crash, the peers to hear of it later), only what it had not read is
        lost: what it had sent is still delivered."""
        self.cores[i] = None
        self.unsynced[i], self.held[i] = [], []
        for k in [k for k in self.pending if k[0] == i]:
            del self.pending[k]             # their clients never hear back: ret stays null
        for k in [k for k in self.syncs if k[0] == i]:
            del self.syncs[k]
        for k in list(self.timers):
            if k[0] == i:
                del self.timers[k]
        for j in self.ids:
            if j != i:
                self.chan[(j, i)].clear()
                if announce:
                    self.chan[(i, j)].clear()
                    if self.cores.get(j) is not None:
                        self._perform(j, self.cores[j].on_disconnect(i, self.t))

    def run(self, steps: int, *, faults: bool = True, write_weight: float = 0.15, fault_weight: float = 0.01,
            read_weight: float = 0.0):
        """``steps`` steps chosen by the seeded generator, weighted; sync-reads only with a
        ``read_weight``."""
        for _ in range(steps):
            en = self.enabled(faults, reads=read_weight > 0)
            if not en:
                break
            weights = [write_weight if s[0] == "write" else fault_weight if s[0] in ("crash", "restart")
                       else read_weight if s[0] == "syncread" else 1.0 for s in en]
            self.step(self.rng.choices(en, weights)[0])
        return self

    def heal(self, steps: int = 5000):
        """Restart every crashed server and run without faults until all serve."""
        for i in self.ids:
            if self.cores.get(i) is None:
                self.step(("restart", i))
        for _ in range(steps):
            if all(c.serving for c in self.cores.values()) and not any(self.chan.values()):
                break
            en = [s for s in self.enabled(False) if s[0] != "write"]
            if not en:
                break
            self.step(self.rng.choice(en))
        return self

    def write_trace(self, path: str):
        """The run's trace in docs/traces.md's format, one file in execution order (the
        clock is the event's position: the scheduler runs one step at a time)."""
        import json
        with open(path, "w") as f:
            for k, ((i, action, params), meta) in enumerate(zip(self.events, self.event_meta)):
                f.write(json.dumps({"v": 1, "proc": f"s{i}", "lc": k + 1, "txn": None, "action": action,
                                    "params": params, "meta": meta}) + "\n")

    def leader(self) -> int | None:
        ls = [i for i, c in self.cores.items() if c is not None and c.role == LEADING and c.established]
        return ls[0] if len(ls) == 1 else None


def check(sim: Sim) -> list[str]:
    """The violations of ZAB's promises in a run (empty when it kept them)."""
    problems = []
    order: dict[int, str] = {}
    for i, z, txn in sim.ever:
        key = txn.get("path", txn.get("op"))
        if order.setdefault(z, key) != key:
            problems.append(f"zxid {z} committed as {order[z]} and as {key} (server {i})")
    for c in sim.cores.values():
        if c is not None and c.serving:
            got = set(c.tree.nodes)
            for i, z, txn in sim.ever:
                if z <= c.committed and txn.get("op") == "create" and txn["path"] not in got:
                    problems.append(f"server {c.me} at {c.committed} lost {txn['path']} (zxid {z}, committed by {i})")
                    break
    # every server commits, in each life (or since a SNAP), a gapless run of the one
    # global sequence: so any two servers' sequences are prefixes of one another
    every = sorted(order)
    where = {z: k for k, z in enumerate(every)}
    for i in sim.ids:
        seq = [z for z, _ in sim.committed[i]]
        if seq and [where[z] for z in seq] != list(range(where[seq[0]], where[seq[0]] + len(seq))):
            problems.append(f"server {i} skipped or reordered committed transactions")
    digests = {}
    for c in sim.cores.values():
        if c is not None and c.serving:
            digests.setdefault(c.committed, set()).add(c.tree.digest())
    for z, ds in digests.items():
        if len(ds) > 1:
            problems.append(f"servers at zxid {z} have different trees")
    return problems
