"""The sans-IO core of one ZooKeeper server: leader election, ZAB's discovery,
synchronization and broadcast phases, and the replicated tree (tree.py).

No sockets, files or clocks here: the runtime (server.py) or the deterministic scheduler
(sim.py) calls the ``on_*`` methods with the current time in milliseconds, and each
returns a list of *effects*, tuples the caller performs in order:

    ("send", dst, msg)            a message (a JSON object) to server dst
    ("log", zxid, txn)            append a proposal to the transaction log
    ("durable", zxid)             call on_durable(zxid) once the log is synced
    ("epochs", accepted, current) write acceptedEpoch and currentEpoch atomically
    ("truncate", zxid)            drop the log's entries after zxid (TRUNC)
    ("snapshot", tree_json)       replace the log by this tree (SNAP)
    ("deliver", zxid, txn, err, result, triggers)   a committed txn was applied
    ("timer", name, ms)           call on_timer(name) after ms (replacing a timer of that name)
    ("serving", bool)             whether clients may be served (closing them when False)
    ("disconnect", peer)          close the connection to peer (its end sees it break)
    ("trace", action, fields)     a trace event named after specs/zab/zab.mc's actions

**The durability rule.** Every effect after a ``log`` waits until the log is synced
(fsync): a follower's ACK, a follower's ACKLD and its currentEpoch after the entries of
NEWLEADER, the leader's own acknowledgement (``durable``). ``epochs``, ``truncate`` and
``snapshot`` are synchronous and durable when they return. The runtime may sync several
``log`` effects at once (group commit).

**Election** follows ZooKeeper's fast leader election: a LOOKING server broadcasts its
vote (currentEpoch, last zxid, server id) with a round number, adopts any higher vote it
hears, and decides once a quorum holds its vote and nothing better arrives within
:data:`FINALIZE_MS`; a server that is FOLLOWING or LEADING answers with its leader, and a
LOOKING server follows a leader that says it leads and that a quorum (itself included)
names. **Discovery**: the follower sends CEPOCH(acceptedEpoch); on a quorum the leader
picks a new epoch above them all and sends NEWEPOCH; the follower stores it and answers
ACKEPOCH(currentEpoch, last zxid). **Synchronization**: the leader answers each ACKEPOCH
with NEWLEADER carrying a DIFF (the entries the follower lacks), a TRUNC (drop entries
after a zxid, then a DIFF) or a SNAP (the whole tree, then a DIFF); the follower logs
them, stores currentEpoch and answers ACKLD; on a quorum the leader commits its history
and sends COMMITLD. **Broadcast**: PROPOSE, ACK from a quorum, COMMIT, zxid = (epoch <<
32) | counter. A follower that hears nothing from its leader for ``sync_limit`` ticks, and
a leader that hears from less than a quorum, go back to election.

Depends on tree.py only.
"""

from __future__ import annotations

import bisect

from .tree import Tree

LOOKING, FOLLOWING, LEADING = "LOOKING", "FOLLOWING", "LEADING"
#: a LOOKING server re-sends its vote this often
NOTIFY_MS = 300
#: a quorum for a vote must stand this long before the server decides
FINALIZE_MS = 100

#: seeded implementation bugs (docs/reference-zab.md, *Seeded bugs*)
BUGS = ("ack-before-durable", "epoch-before-history", "no-truncate", "commit-without-quorum",
        "stale-own-read")


def zxid_of(epoch: int, counter: int) -> int:
    return (epoch << 32) | counter


def epoch_of(zxid: int) -> int:
    return zxid >> 32


def zxid_str(z: int) -> str:
    return f"{z >> 32}.{z & 0xFFFFFFFF}"


class Core:
    def __init__(self, me: int, servers, *, tick_ms: int = 500, sync_limit: int = 4, init_limit: int = 10,
                 accepted: int = 0, current: int = 0, tree: Tree | None = None, history=(),
                 bugs=frozenset(), trace: bool = True):
        self.me = me
        self.servers = sorted(servers)
        self.quorum = len(self.servers) // 2 + 1
        self.tick_ms, self.sync_ms, self.init_ms = tick_ms, tick_ms * sync_limit, tick_ms * init_limit
        self.accepted, self.current = accepted, current
        self.tree = tree or Tree()
        self.base = self.tree.zxid                  # history holds the entries after base
        self.committed = self.tree.zxid
        self.zxids: list[int] = []
        self.txns: list[dict] = []
        for z, txn in history:
            if z > self.base:
                self.zxids.append(z)
                self.txns.append(txn)
        self.bugs = frozenset(bugs)
        self.tracing = trace
        self.role = LOOKING
        self.serving = False
        self.round = 0
        self.vote = (0, 0, me)
        self.recv: dict[int, tuple] = {}
        self.outof: dict[int, tuple] = {}
        self.leader: int | None = None
        self.session_counter = 0
        self.out: list = []
        self._reset_roles()

    # ---- helpers -----------------------------------------------------------------------

    def _reset_roles(self):
        # leader
        self.new_epoch: int | None = None
        self.cepochs: dict[int, int] = {}
        self.learners: set[int] = set()
        self.ackld: set[int] = set()
        self.established = False
        self.acks: dict[int, set] = {}
        self.own_durable = 0
        self.counter = 0
        self.heard: dict[int, int] = {}
        self.touched: dict[int, int] = {}
        self.closing: set[int] = set()
        self.lead_since = 0
        # follower
        self.phase = ""
        self.last_leader = 0
        self.follow_since = 0
        self.pending_commit = 0
        self.active: set[int] = set()

    def last_zxid(self) -> int:
        return self.zxids[-1] if self.zxids else self.base

    def _emit(self, *e):
        self.out.append(e)

    def _send(self, dst: int, msg: dict):
        self.out.append(("send", dst, msg))

    def _trace(self, action: str, meta: dict | None = None, **params):
        # params are the spec action's parameters (specs/zab/zab_impl.mc), i is the
        # server itself; meta is free-form (why a server went back to election, ...)
        if self.tracing:
            self.out.append(("trace", action, {"i": self.me, **params}, meta or {}))

    def _flush(self) -> list:
        out, self.out = self.out, []
        return out

    def _set_serving(self, on: bool):
        if on != self.serving:
            self.serving = on
            self._emit("serving", on)

    # ---- inputs ------------------------------------------------------------------------

    def start(self, now: int) -> list:
        self._trace("Restart", epoch=self.current, last=self.last_zxid())
        self._look(now, "start")
        return self._flush()

    def on_timer(self, name: str, now: int) -> list:
        if name == "notify" and self.role == LOOKING:
            self._broadcast_vote()
            self._emit("timer", "notify", NOTIFY_MS)
        elif name == "finalize" and self.role == LOOKING:
            if self._count(self.vote) >= self.quorum:
                self._decide(self.vote[2], now)
        elif name == "tick":
            if self.role == LEADING:
                self._leader_tick(now)
            elif self.role == FOLLOWING:
                self._follower_tick(now)
        return self._flush()

    def on_disconnect(self, peer: int, now: int) -> list:
        if self.role == FOLLOWING and peer == self.leader:
            self._look(now, f"the connection to leader {peer} broke")
        elif self.role == LEADING:
            if peer in self.learners or (not self.established and peer in self.ackld):
                self._trace("LeaderRemoveLearner", follower=peer)
            self.learners.discard(peer)
            self.heard.pop(peer, None)
            if not self.established:
                self.ackld.discard(peer)
        return self._flush()

    def on_durable(self, zxid: int, now: int) -> list:
        if self.role == LEADING and zxid > self.own_durable:
            if self.established:
                self._trace("LeaderSyncLog", zxid=zxid)
            self.own_durable = zxid
            self._try_commit(now)
        return self._flush()

    def on_message(self, src: int, msg: dict, now: int) -> list:
        m = msg.get("m")
        handler = _HANDLERS.get(m)
        if handler is not None and src in self.servers and src != self.me:
            handler(self, src, msg, now)
        return self._flush()

    def submit(self, txn: dict, now: int) -> list | None:
        """A client's write from this server; None if it cannot be taken now."""
        if not self.serving:
            return None
        if self.role == LEADING:
            self._propose(txn, now)
        else:
            self._send(self.leader, {"m": "REQUEST", "txn": txn})
        return self._flush()

    def touch(self, sids, now: int):
        """Client activity on this server (a request or a ping) keeps sessions alive."""
        if self.role == LEADING:
            for s in sids:
                self.touched[s] = now
        else:
            self.active.update(sids)

    def new_session_id(self, now: int) -> int:
        self.session_counter += 1
        return ((self.me & 0x7F) << 56) | (((now << 16) & ((1 << 56) - 1)) + self.session_counter)

    # ---- election ----------------------------------------------------------------------

    def _look(self, now: int, why: str):
        was = self.role
        # as ZooKeeper's leader and learners shut their sockets down: whoever still counts
        # on this server in the old role hears at once that it is gone (not at a timeout,
        # behind a backlog of the old role's messages)
        if was == LEADING:
            for f in sorted(self.learners):
                self._emit("disconnect", f)
        elif was == FOLLOWING and self.leader is not None:
            self._emit("disconnect", self.leader)
        self._set_serving(False)
        self._reset_roles()
        self.role = LOOKING
        self.leader = None
        self.round += 1
        self.vote = (self.current, self.last_zxid(), self.me)
        self.recv = {self.me: self.vote}
        self.outof = {}
        if was != LOOKING or why == "start":
            self._trace("Timeout", {"why": why}, was=was)
        self._broadcast_vote()
        self._emit("timer", "notify", NOTIFY_MS)
        if self._count(self.vote) >= self.quorum:        # a single server
            self._emit("timer", "finalize", FINALIZE_MS)

    def _note(self) -> dict:
        return {"m": "NOTIFY", "round": self.round, "state": self.role, "vote": list(self.vote)}

    def _broadcast_vote(self):
        for s in self.servers:
            if s != self.me:
                self._send(s, self._note())

    def _count(self, vote) -> int:
        return sum(1 for v in self.recv.values() if v == vote)

    def on_notify(self, src: int, msg: dict, now: int):
        try:
            vote = tuple(int(x) for x in msg["vote"])
            rnd, state = int(msg["round"]), msg["state"]
            if len(vote) != 3 or vote[2] not in self.servers:
                return
        except (KeyError, TypeError, ValueError):
            return
        if self.role != LOOKING:
            if state == LOOKING:        # tell a looking server who leads
                self._send(src, self._note())
            return
        if state != LOOKING:
            self.outof[src] = (vote[2], state)
            leader = vote[2]
            named = [k for k, (l, _s) in self.outof.items() if l == leader]
            if self.outof.get(leader, (None, None))[1] == LEADING and len(named) + 1 >= self.quorum:
                self._decide(leader, now)
            return
        if rnd > self.round:
            self.round = rnd
            self.recv = {}
            mine = (self.current, self.last_zxid(), self.me)
            self.vote = max(mine, vote)
            self.recv[self.me] = self.vote
            self._broadcast_vote()
        elif rnd < self.round:
            self._send(src, self._note())
            return
        elif vote > self.vote:
            self.vote = vote
            self.recv[self.me] = vote
            self._broadcast_vote()
        self.recv[src] = vote
        if self._count(self.vote) >= self.quorum:
            self._emit("timer", "finalize", FINALIZE_MS)

    def _decide(self, leader: int, now: int):
        self.leader = leader
        self.vote = (self.vote[0], self.vote[1], leader) if self.vote[2] == leader else (0, 0, leader)
        self._emit("timer", "notify", None)
        self._emit("timer", "finalize", None)
        if leader == self.me:
            self.role = LEADING
            self.cepochs = {self.me: self.accepted}
            self.lead_since = now
            self._trace("UpdateLeader", epoch=self.accepted)
            self._leader_progress(now)
        else:
            self.role = FOLLOWING
            self.phase = "discovery"
            self.last_leader = now
            self.follow_since = now
            self._trace("FollowLeader", leader=leader)
            # a step's trace events come before its messages (write-ahead tracing): a
            # SIGKILL between the two then loses a message the trace announced, which the
            # spec allows, never a sent message the trace does not know of
            self._trace("ConnectAndFollowerSendCEPOCH", leader=leader, epoch=self.accepted)
            self._send(leader, {"m": "CEPOCH", "epoch": self.accepted})
        self._emit("timer", "tick", self.tick_ms // 2)

    # ---- leader ------------------------------------------------------------------------

    def on_cepoch(self, src: int, msg: dict, now: int):
        if self.role != LEADING:
            return
        e = int(msg.get("epoch", 0))
        self.heard[src] = now
        self.learners.discard(src)          # a (re)joining follower starts over
        self.ackld.discard(src)
        self._trace("LeaderProcessCEPOCH", follower=src, epoch=e)
        if self.new_epoch is None:
            self.cepochs[src] = e
            self._leader_progress(now)
        elif e >= self.new_epoch:
            self._look(now, f"follower {src} has accepted epoch {e} >= {self.new_epoch}")
        else:
            self._send(src, {"m": "NEWEPOCH", "epoch": self.new_epoch})

    def on_ackepoch(self, src: int, msg: dict, now: int):
        if self.role != LEADING or self.new_epoch is None:
            return
        self.heard[src] = now
        theirs = (int(msg.get("current", 0)), int(msg.get("last", 0)))
        if theirs > (self.current, self.last_zxid()):
            self._look(now, f"follower {src} is more up to date {theirs}")
            return
        self._trace("LeaderProcessACKEPOCH", follower=src)
        self._send(src, self._sync_message(theirs[1]))
        self.learners.add(src)

    def _sync_message(self, fz: int) -> dict:
        msg = {"m": "NEWLEADER", "epoch": self.new_epoch, "commit": self.committed}
        lz = self.last_zxid()
        if fz == lz:
            msg.update(mode="DIFF", entries=[])
        elif fz < self.base:
            i = bisect.bisect_right(self.zxids, self.committed)
            msg.update(mode="SNAP", snap=self.tree.to_json(),
                       entries=[[z, t] for z, t in zip(self.zxids[i:], self.txns[i:])])
        else:
            i = bisect.bisect_right(self.zxids, fz)
            anchor = self.zxids[i - 1] if i else self.base
            msg.update(mode="DIFF" if anchor == fz else "TRUNC", trunc=anchor,
                       entries=[[z, t] for z, t in zip(self.zxids[i:], self.txns[i:])])
        return msg

    def on_ackld(self, src: int, msg: dict, now: int):
        if self.role != LEADING or src not in self.learners:
            return
        self.heard[src] = now
        self._trace("LeaderProcessACKLD", follower=src)
        if self.established:
            self._send(src, {"m": "COMMITLD", "zxid": self.committed})
            return
        self.ackld.add(src)
        self._leader_progress(now)

    def _leader_progress(self, now: int):
        """Discovery and synchronisation steps that wait for a quorum (at once for a
        single server)."""
        if self.new_epoch is None and len(self.cepochs) >= self.quorum:
            self.new_epoch = max(self.cepochs.values()) + 1
            self.accepted = self.new_epoch
            self._emit("epochs", self.accepted, self.current)
            for f in self.cepochs:
                if f != self.me:
                    self._send(f, {"m": "NEWEPOCH", "epoch": self.new_epoch})
        if self.new_epoch is not None and not self.established and len(self.ackld) + 1 >= self.quorum:
            self.established = True
            self.current = self.new_epoch
            self._emit("epochs", self.accepted, self.current)
            self.own_durable = self.last_zxid()
            self._commit_to(self.last_zxid())
            for f in self.ackld:
                self._send(f, {"m": "COMMITLD", "zxid": self.committed})
            self.touched = {s: now for s in self.tree.sessions}
            self.lead_since = now
            self._set_serving(True)

    def _propose(self, txn: dict, now: int):
        self.counter += 1
        z = zxid_of(self.new_epoch, self.counter)
        txn["t"] = txn.get("t") or int(now)
        self.zxids.append(z)
        self.txns.append(txn)
        self.acks[z] = set()
        self._trace("LeaderProcessRequest", zxid=z)
        # traced before the PROPOSEs leave (write-ahead tracing, see _decide): a leader
        # SIGKILLed between its sends and this line left followers acknowledging a
        # proposal its trace never broadcast (a CI run of 2026-12-04, issue 19)
        self._trace("LeaderBroadcastPROPOSE", zxid=z)
        msg = {"m": "PROPOSE", "zxid": z, "txn": txn}
        for f in self.learners:
            self._send(f, msg)
        if "commit-without-quorum" in self.bugs:
            self.own_durable = z
            self._commit_to(z)
            for f in self.learners:
                self._send(f, {"m": "COMMIT", "zxid": z})
            self._emit("log", z, txn)
            return
        self._emit("log", z, txn)
        self._emit("durable", z)

    def on_request(self, src: int, msg: dict, now: int):
        if self.role == LEADING and self.established and src in self.learners and isinstance(msg.get("txn"), dict):
            self.heard[src] = now
            self._propose(msg["txn"], now)

    def on_ack(self, src: int, msg: dict, now: int):
        if self.role != LEADING or src not in self.learners:
            return
        self.heard[src] = now
        z = int(msg.get("zxid", 0))
        got = self.acks.get(z)
        if got is not None:
            got.add(src)
            self._trace("LeaderProcessACK", follower=src, zxid=z)
            self._try_commit(now)

    def _try_commit(self, now: int):
        if not self.established:
            return
        i = bisect.bisect_right(self.zxids, self.committed)
        top = None
        while i < len(self.zxids):
            z = self.zxids[i]
            n = len(self.acks.get(z, ())) + (1 if z <= self.own_durable else 0)
            if n < self.quorum:
                break
            top = z
            i += 1
        if top is not None:
            self._commit_to(top)
            for f in self.learners:
                self._send(f, {"m": "COMMIT", "zxid": top})

    def _leader_tick(self, now: int):
        self._emit("timer", "tick", self.tick_ms // 2)
        if not self.established:
            if now - self.lead_since > self.init_ms:
                self._look(now, "no quorum of followers synchronised in time")
            return
        alive = sum(1 for f in self.learners if now - self.heard.get(f, 0) <= self.sync_ms)
        if alive + 1 < self.quorum:
            self._look(now, "lost the quorum")
            return
        for f in self.learners:
            self._send(f, {"m": "PING"})
        for sid, timeout in list(self.tree.sessions.items()):
            # a session the leader has not heard of yet (just created, or created under
            # the previous leader) gets a whole timeout from now
            if sid not in self.closing and now - self.touched.setdefault(sid, now) > timeout:
                self.closing.add(sid)
                self._propose({"op": "closeSession", "sid": sid, "why": "expired"}, now)
        self.closing &= set(self.tree.sessions)
        if len(self.touched) > 2 * len(self.tree.sessions) + 100:
            self.touched = {s: t for s, t in self.touched.items() if s in self.tree.sessions}

    def on_pong(self, src: int, msg: dict, now: int):
        if self.role == LEADING and src in self.learners:
            self.heard[src] = now
            for s in msg.get("sessions", ()):
                if isinstance(s, int):
                    self.touched[s] = now

    # ---- follower ----------------------------------------------------------------------

    def _from_leader(self, src: int, now: int) -> bool:
        if self.role == FOLLOWING and src == self.leader:
            self.last_leader = now
            return True
        return False

    def on_newepoch(self, src: int, msg: dict, now: int):
        if not self._from_leader(src, now) or self.phase != "discovery":
            return
        e = int(msg.get("epoch", 0))
        if e < self.accepted:
            self._look(now, f"NEWEPOCH {e} below the accepted epoch {self.accepted}")
            return
        self._trace("FollowerProcessNEWEPOCH", leader=src, epoch=e)
        if e > self.accepted:
            self.accepted = e
            self._emit("epochs", self.accepted, self.current)
        self.phase = "sync"
        self._send(src, {"m": "ACKEPOCH", "current": self.current, "last": self.last_zxid()})

    def on_newleader(self, src: int, msg: dict, now: int):
        if not self._from_leader(src, now) or self.phase != "sync":
            return
        e = int(msg["epoch"])
        if e != self.accepted:
            self._look(now, f"NEWLEADER for epoch {e}, accepted {self.accepted}")
            return
        mode = msg.get("mode")
        # traced before the writes it causes (so that they wait for no sync), with the last
        # zxid they leave: the spec checks the synchronised history against the leader's
        at = len(self.out)
        if mode == "SNAP":
            self.tree = Tree.from_json(msg["snap"])
            self.base = self.committed = self.tree.zxid
            self.zxids, self.txns = [], []
            self._emit("snapshot", msg["snap"])
        elif mode == "TRUNC" and "no-truncate" not in self.bugs:
            anchor = int(msg["trunc"])
            i = bisect.bisect_right(self.zxids, anchor)
            if i < len(self.zxids):
                del self.zxids[i:], self.txns[i:]
                self._emit("truncate", anchor)
        kept = self.last_zxid()             # what is left of the follower's own history
        entries = msg.get("entries") or []
        if "epoch-before-history" in self.bugs:
            self.current = e
            self._emit("epochs", self.accepted, self.current)
        for z, txn in entries:
            z = int(z)
            if z > self.last_zxid():
                self.zxids.append(z)
                self.txns.append(txn)
                self._emit("log", z, txn)
        self.pending_commit = max(self.pending_commit, int(msg.get("commit", 0)))
        if "epoch-before-history" not in self.bugs:
            self.current = e
            self._emit("epochs", self.accepted, self.current)
        if self.tracing:
            self.out.insert(at, ("trace", "FollowerProcessNEWLEADER",
                                 {"i": self.me, "leader": src, "epoch": e, "kept": kept,
                                  "last": self.last_zxid()}, {"mode": mode}))
        self._send(src, {"m": "ACKLD", "zxid": self.last_zxid()})
        self.phase = "ackld"

    def on_commitld(self, src: int, msg: dict, now: int):
        if not self._from_leader(src, now) or self.phase != "ackld":
            return
        self._trace("FollowerProcessCOMMITLD", leader=src, zxid=int(msg.get("zxid", 0)))
        self.phase = "broadcast"
        self._commit_to(max(int(msg.get("zxid", 0)), self.pending_commit))
        self._set_serving(True)

    def on_propose(self, src: int, msg: dict, now: int):
        if not self._from_leader(src, now) or self.phase not in ("ackld", "broadcast"):
            return
        z = int(msg["zxid"])
        if z <= self.last_zxid():
            return
        self.zxids.append(z)
        self.txns.append(msg["txn"])
        self._trace("FollowerProcessPROPOSE", leader=src, zxid=z)
        ack = ("send", src, {"m": "ACK", "zxid": z})
        if "ack-before-durable" in self.bugs:
            self.out.append(ack)
            self._emit("log", z, msg["txn"])
        else:
            self._emit("log", z, msg["txn"])
            self.out.append(ack)

    def on_commit(self, src: int, msg: dict, now: int):
        if not self._from_leader(src, now):
            return
        z = int(msg["zxid"])
        self._trace("FollowerProcessCOMMIT", leader=src, zxid=z)
        if self.phase == "broadcast":
            self._commit_to(z)
        else:
            self.pending_commit = max(self.pending_commit, z)

    def on_ping(self, src: int, msg: dict, now: int):
        if self._from_leader(src, now):
            self._send(src, {"m": "PONG", "sessions": sorted(self.active)})
            self.active = set()

    def _follower_tick(self, now: int):
        self._emit("timer", "tick", self.tick_ms // 2)
        limit = self.sync_ms if self.phase == "broadcast" else self.init_ms
        if now - self.last_leader > limit:
            self._look(now, f"nothing from leader {self.leader} for {now - self.last_leader} ms")

    # ---- commits -----------------------------------------------------------------------

    def _commit_to(self, z: int):
        i = bisect.bisect_right(self.zxids, self.committed)
        while i < len(self.zxids) and self.zxids[i] <= z:
            zx, txn = self.zxids[i], self.txns[i]
            err, result, triggers = self.tree.apply(zx, txn)
            self.committed = zx
            self._emit("deliver", zx, txn, err, result, triggers)
            i += 1

    def compact(self, keep: int):
        """Forget committed entries but the last ``keep`` (after a snapshot): a follower
        further behind is synchronised by SNAP."""
        i = bisect.bisect_right(self.zxids, self.committed) - keep
        if i > 0:
            self.base = self.zxids[i - 1]
            del self.zxids[:i], self.txns[:i]

    def status(self) -> dict:
        return {"id": self.me, "role": self.role, "leader": self.leader, "phase": self.phase,
                "accepted_epoch": self.accepted, "current_epoch": self.current,
                "last_zxid": zxid_str(self.last_zxid()), "committed": zxid_str(self.committed),
                "sessions": len(self.tree.sessions), "znodes": len(self.tree.nodes),
                "digest": self.tree.digest() if self.serving else None, "serving": self.serving}


_HANDLERS = {
    "NOTIFY": Core.on_notify, "CEPOCH": Core.on_cepoch, "NEWEPOCH": Core.on_newepoch,
    "ACKEPOCH": Core.on_ackepoch, "NEWLEADER": Core.on_newleader, "ACKLD": Core.on_ackld,
    "COMMITLD": Core.on_commitld, "PROPOSE": Core.on_propose, "ACK": Core.on_ack,
    "COMMIT": Core.on_commit, "REQUEST": Core.on_request, "PING": Core.on_ping, "PONG": Core.on_pong,
}
