"""The real runtime of one ZooKeeper server: asyncio TCP on 127.0.0.1, a peer port for
the ensemble and a client port that speaks ZooKeeper's wire protocol (jute.py).

Files in the server's directory ``DIR/sN``:

    epochs              {"accepted": A, "current": C}: replaced atomically (temporary
                        file, fsync, rename, fsync of the directory)
    log.K               transaction logs (the record format of reference/wal.py:
                        length, crc32, JSON): {"z": zxid, "txn": ...} or {"trunc": zxid}
                        (TRUNC: the entries after zxid are void); K grows at each snapshot
    snap.K              the tree after every entry of the logs before log.K (atomic
                        replace; the two newest are kept)
    status.json         role, epochs, zxids, sessions, znodes, digest: rewritten every tick
    trace.jsonl         trace events (unless --no-trace)
    pid, server.log

**Peers.** Each server opens one connection to each other server for what it sends and
reads what the others send on the connections they open. A connection starts with the
acceptor's ``{"hello": ID, "nonce": N}`` and the connector's HMAC proof of the ensemble's
secret (reference/secret.py; ``DIR/secret``, mode 0600) naming a server id of the
configuration; anything else, or nothing within 5 s, closes it. Then JSON lines. A broken
connection, in either direction, is reported to the core (a follower goes back to
election; a leader drops the follower, which must synchronise again), so that ZAB's
FIFO channels are never silently lossy.

**Durability.** The effects of the core are performed in order, except that everything
after a ``log`` waits for the fsync that makes it durable (several logs share one fsync:
group commit at the end of each event-loop pass). A failed or short write stops the
server at once (exit 74): the step is not taken.

**Clients.** A request is answered in the order it arrived on its connection: reads wait
for the connection's earlier writes (FIFO client order: a client reads its own writes);
writes are forwarded to the leader and answered when committed here. Watches are one-shot
and live on the server the client is connected to; an event is sent when the change is
applied here, before any later reply. A server that is not serving (looking for a leader
or synchronising) closes its client connections, and the client moves to another server.

Depends on core, tree, jute, and reference/wal.py and reference/secret.py (shared with reference/twophase).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import hashlib
import hmac
import json
import logging
import os
import signal
import sys
import time

from reference import secret
from reference.wal import MAGIC, WAL, LogDamaged, NotALog, WriteFailed

from . import jute
from .core import BUGS, FOLLOWING, Core, zxid_str
from .pipeline import Pipeline
from .tree import ERR, OK, Tree, bad_path

log = logging.getLogger("zab")
EXIT_WRITE_FAILED = 74
EXIT_BAD_STATE = 2
#: bytes a peer line may have once authenticated (a SNAP carries the whole tree)
MAX_PEER_LINE = 256 << 20
#: the longest line read from a peer before it has authenticated (and the read buffer)
FIRST_LINE_LIMIT = 64 << 10
#: keep this many committed entries in memory after a snapshot (a follower further behind gets SNAP)
KEEP_ENTRIES = 2000
#: with the seeded bug ack-before-durable, a follower syncs its log in batches this often (s)
LAZY_FLUSH = 0.1
#: requests answered from this server's tree (a write waits for its commit)
READS = frozenset({"ping", "exists", "getData", "getChildren", "getChildren2", "getACL", "setWatches"})
#: client connections at once per server
MAX_CLIENTS = 2000
#: a client connection must send its ConnectRequest within this many seconds
CONNECT_DEADLINE = 10.0


def now_ms() -> int:
    return int(time.time() * 1000)


def _fsync_dir(path: str):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str, data: bytes, fsync: bool = True):
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        if fsync:
            os.fsync(f.fileno())
    os.replace(tmp, path)
    if fsync:
        _fsync_dir(os.path.dirname(path) or ".")


async def read_line(reader, cap: int) -> bytes:
    """One line of at most ``cap`` bytes (b"" at EOF), read in pieces of the reader's
    buffer size, so that only an authenticated peer's long line is ever held."""
    parts, size = [], 0
    while True:
        try:
            parts.append(await reader.readuntil(b"\n"))
            return b"".join(parts)
        except asyncio.LimitOverrunError as e:
            chunk = await reader.readexactly(e.consumed)
        except asyncio.IncompleteReadError as e:
            return b"" if not parts and not e.partial else b"".join(parts) + e.partial
        parts.append(chunk)
        size += len(chunk)
        if size > cap:
            raise ValueError(f"a line longer than {cap} bytes")


def last_clock(path: str) -> int:
    """The clock of the last whole event of a trace file (a restart continues after it)."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - 65536))
            lines = f.read().split(b"\n")
    except OSError:
        return 0
    for line in reversed(lines):
        try:
            return int(json.loads(line)["lc"])
        except (ValueError, KeyError, TypeError):
            continue
    return 0


class Store:
    """The server's durable state: epochs, logs and snapshots (see the module docstring)."""

    def __init__(self, directory: str, fsync: bool = True):
        self.dir = directory
        self.fsync = fsync
        os.makedirs(directory, exist_ok=True)
        self.wal: WAL | None = None
        self.synced = 0                 # the log's size at its last fsync
        self.gen = 0
        self.notes: list[str] = []

    def _gens(self, prefix: str) -> list[int]:
        out = []
        for name in os.listdir(self.dir):
            if name.startswith(prefix) and name[len(prefix):].isdigit():
                out.append(int(name[len(prefix):]))
        return sorted(out)

    def load(self) -> tuple[int, int, Tree, list]:
        """(accepted, current, tree, history) from disk; raises ValueError (with a message
        for the operator) on damage that is not a torn tail."""
        path = os.path.join(self.dir, "epochs")
        accepted = current = 0
        if os.path.exists(path):
            try:
                e = json.loads(open(path, "rb").read())
                accepted, current = int(e["accepted"]), int(e["current"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}: unreadable epochs file ({exc}); it is written atomically, so this is "
                                 f"damage: restore it or remove the server's directory to rejoin empty") from None
        tree, snap_gen = Tree(), -1
        for g in reversed(self._gens("snap.")):
            p = os.path.join(self.dir, f"snap.{g}")
            try:
                raw = open(p, "rb").read()
                digest, body = raw[:64], raw[64:]
                if hashlib.sha256(body).hexdigest().encode() != digest:
                    raise ValueError("checksum mismatch")
                tree = Tree.from_json(json.loads(body))
                snap_gen = g
                break
            except (ValueError, KeyError, TypeError) as exc:
                self.notes.append(f"{p}: unusable snapshot ({exc}); trying an older one")
        history: list = []
        gens = [g for g in self._gens("log.") if g >= snap_gen - 1]
        for g in gens:
            wal = WAL(os.path.join(self.dir, f"log.{g}"), fsync=self.fsync)
            try:
                sc, note = wal.open()
            except (LogDamaged, NotALog) as exc:
                raise ValueError(str(exc)) from None
            if note:
                self.notes.append(note)
            for rec in sc.records:
                if "trunc" in rec:
                    t = int(rec["trunc"])
                    history = [h for h in history if h[0] <= t]
                elif isinstance(rec.get("z"), int):
                    if history and rec["z"] <= history[-1][0]:
                        continue
                    history.append((rec["z"], rec["txn"]))
            if g != gens[-1]:
                wal.close()
            else:
                self.wal, self.gen = wal, g
        if self.wal is None:
            self.gen = max(snap_gen, 0)
            self._new_log()
        self.synced = self.wal.size
        history = [h for h in history if h[0] > tree.zxid]
        return accepted, current, tree, history

    def _new_log(self):
        if self.wal is not None:
            self.wal.close()
        self.wal = WAL(os.path.join(self.dir, f"log.{self.gen}"), fsync=self.fsync)
        self.wal.open()
        self.synced = self.wal.size

    def save_epochs(self, accepted: int, current: int):
        write_atomic(os.path.join(self.dir, "epochs"),
                     json.dumps({"accepted": accepted, "current": current}).encode(), self.fsync)

    def append(self, rec: dict):
        self.wal.append(rec)

    def sync(self):
        self.wal.sync()
        self.synced = self.wal.size

    def power_fail(self):
        """What a power failure leaves of the log: everything written since the last
        fsync is gone (the fault the deterministic scheduler models; ``ensemble
        power-fail``)."""
        if self.wal is not None and self.wal.fd is not None:
            os.ftruncate(self.wal.fd, max(self.synced, len(MAGIC)))
            os.fsync(self.wal.fd)

    def snapshot(self, tree_json: dict, pending: list):
        """Write snap.K+1 (the tree), start log.K+1 holding ``pending`` (logged entries not
        in the tree), and drop what no recovery needs any more."""
        body = json.dumps(tree_json, separators=(",", ":")).encode()
        self.gen += 1
        write_atomic(os.path.join(self.dir, f"snap.{self.gen}"),
                     hashlib.sha256(body).hexdigest().encode() + body, self.fsync)
        self._new_log()
        for z, txn in pending:
            self.wal.append({"z": z, "txn": txn})
        self.sync()
        snaps = self._gens("snap.")
        for g in snaps[:-2]:
            os.unlink(os.path.join(self.dir, f"snap.{g}"))
        keep_from = snaps[-2] - 1 if len(snaps) >= 2 else 0
        for g in self._gens("log."):
            if g < keep_from:
                os.unlink(os.path.join(self.dir, f"log.{g}"))


class Client:
    """One client connection."""

    __slots__ = ("writer", "sid", "pending", "closed", "timeout", "closing")

    def __init__(self, writer, bugs=()):
        self.writer = writer
        self.sid = 0
        self.pending = Pipeline(bugs)    # requests [kind, xid, payload], answered in order
        self.closed = False
        self.closing = False

    def send(self, data: bytes):
        if not self.closed:
            self.writer.write(data)

    def close(self):
        if not self.closed:
            self.closed = True
            self.writer.close()


class Server:
    def __init__(self, directory: str, me: int, conf: dict, *, bugs=()):
        self.dir = directory
        self.me = me
        self.conf = conf
        self.servers = {int(k): v for k, v in conf["servers"].items()}
        self.home = os.path.join(directory, f"s{me}")
        self.tick = int(conf.get("tick_ms", 500))
        # the session timeouts a client may get: ZooKeeper's minSessionTimeout and
        # maxSessionTimeout, 2 and 20 ticks unless the ensemble sets the longest
        self.session_range = (2 * self.tick, int(conf.get("max_session_ms", 20 * self.tick)))
        self.bugs = frozenset(bugs) | frozenset(conf.get("bugs", ()))
        self.snap_count = int(conf.get("snap_count", 5000))
        self.store = Store(self.home, fsync=conf.get("fsync", True))
        self.key = secret.read_secret(directory)
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.peers_out: dict[int, dict] = {}
        self.peers_in: dict[int, object] = {}
        self.clients: set[Client] = set()
        self.by_session: dict[int, Client] = {}
        self.waiting: dict[int, tuple] = {}
        self.cx = 0
        self.pending_sync = False
        self.held: list = []
        self.since_snap = 0
        self.lc = 0
        self.stamp = 0
        self.trace = None
        self.data_watch: dict[str, set] = {}
        self.child_watch: dict[str, set] = {}
        self.stopping = asyncio.Event()

    # ---- start -------------------------------------------------------------------------

    async def run(self, lifetime: float) -> int:
        loop = asyncio.get_running_loop()
        accepted, current, tree, history = self.store.load()
        for n in self.store.notes:
            log.warning("%s", n)
        self.core = Core(self.me, self.servers, tick_ms=self.tick, accepted=accepted, current=current,
                         tree=tree, history=history, bugs=self.bugs, trace=self.conf.get("trace", True))
        if self.conf.get("trace", True):
            path = os.path.join(self.home, "trace.jsonl")
            self.lc = last_clock(path)
            # line-buffered: an event reaches the file (the page cache, which a SIGKILL
            # does not lose) before the messages of its step are sent; a 64 KiB buffer lost
            # a killed server's last events, so that a peer's receipt had no send and the
            # restart's clock went back below them
            self.trace = open(path, "a", buffering=1)
        log.info("server %d: epochs %d/%d, snapshot at %s, %d logged entries after it", self.me, accepted,
                 current, zxid_str(tree.zxid), len(history))
        me = self.servers[self.me]
        # lines up to 64 KiB are buffered whole; a longer one (a SNAP) only once the
        # connection is authenticated (read_line): an unauthenticated peer cannot make
        # the server hold more than that
        self.peer_srv = await asyncio.start_server(self._peer_conn, "127.0.0.1", me["peer"], limit=FIRST_LINE_LIMIT)
        self.client_srv = await asyncio.start_server(self._client_conn, "127.0.0.1", me["client"])
        write_atomic(os.path.join(self.home, "pid"), str(os.getpid()).encode(), False)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        loop.add_signal_handler(signal.SIGUSR1, self._power_fail)
        loop.call_later(lifetime, self.stopping.set)
        self._perform(self.core.start(now_ms()))
        self._status_loop = asyncio.ensure_future(self._status())
        await self.stopping.wait()
        log.info("server %d: stopping", self.me)
        self._write_status(stopped=True)
        return 0

    def _power_fail(self):
        """SIGUSR1: die as in a power failure: the log loses what was not synced, the
        messages not yet handed to the kernel are lost, nothing is flushed (fault
        injection for tests; ``ensemble power-fail``)."""
        self.store.power_fail()
        os._exit(137)

    # ---- effects -----------------------------------------------------------------------

    def _perform(self, effects: list):
        # every message a step sends carries the clock of the step's last trace event, so
        # that a receive is stamped after the send (docs/reference-zab.md, *Traces*)
        self.stamp = self.lc + sum(1 for e in effects if e[0] == "trace")
        for k, e in enumerate(effects):
            kind = e[0]
            if kind == "log":
                self._disk(lambda: self.store.append({"z": e[1], "txn": e[2]}))
                if not self.pending_sync:
                    self.pending_sync = True
                    if "ack-before-durable" in self.bugs and self.core.role == FOLLOWING:
                        # as ZooKeeper's SyncRequestProcessor, the log is flushed in
                        # batches; the bug is that the ACK does not wait for the batch
                        asyncio.get_running_loop().call_later(LAZY_FLUSH, self._sync)
                    else:
                        asyncio.get_running_loop().call_soon(self._sync)
            elif kind == "trace":
                # written when the step is taken, never held behind the log's sync: a held
                # event was lost by a SIGKILL while the step's log write (in the page
                # cache) survived it, and the restart recovered an entry the trace never
                # proposed
                self._do(e)
            elif kind in ("epochs", "truncate", "snapshot"):
                if self.pending_sync:
                    self._sync()
                if kind == "epochs":
                    self._disk(lambda: self.store.save_epochs(e[1], e[2]))
                elif kind == "truncate":
                    self._disk(lambda: (self.store.append({"trunc": e[1]}), self.store.sync()))
                else:
                    self._disk(lambda: self.store.snapshot(e[1], []))
            elif self.pending_sync:
                self.held.append(e)
            else:
                if kind == "send":
                    # stamped anew: an effect before it (a "durable") may have run a nested
                    # step whose events moved the clock and whose own stamp replaced ours;
                    # a PROPOSE then carried a clock below its LeaderBroadcastPROPOSE, and
                    # the merged trace put the follower's receipt before the send
                    self.stamp = self.lc + sum(1 for x in effects[k:] if x[0] == "trace")
                self._do(e)

    def _sync(self):
        if not self.pending_sync:
            return
        self._disk(self.store.sync)
        self.pending_sync = False
        held, self.held = self.held, []
        self._perform(held)

    def _disk(self, fn):
        try:
            fn()
        except (WriteFailed, OSError) as exc:
            log.error("server %d: a write to disk failed: %s; stopping at once (the step is not taken)",
                      self.me, exc)
            logging.shutdown()
            os._exit(EXIT_WRITE_FAILED)

    def _do(self, e):
        kind = e[0]
        if kind == "send":
            self._send_peer(e[1], e[2])
        elif kind == "durable":
            self._perform(self.core.on_durable(e[1], now_ms()))
        elif kind == "deliver":
            self._deliver(*e[1:])
        elif kind == "timer":
            old = self.timers.pop(e[1], None)
            if old:
                old.cancel()
            if e[2] is not None:
                name = e[1]
                self.timers[name] = asyncio.get_running_loop().call_later(
                    e[2] / 1000, lambda: self._perform(self.core.on_timer(name, now_ms())))
        elif kind == "serving":
            log.info("server %d: %s (%s, epoch %d, leader %s)", self.me, "serving" if e[1] else "not serving",
                     self.core.role, self.core.current, self.core.leader)
            if not e[1]:
                for c in list(self.clients):
                    c.close()
                self.waiting.clear()
            self._write_status()
        elif kind == "disconnect":
            link = self.peers_out.get(e[1])
            if link and link["writer"] is not None:
                self._peer_broke(e[1], link["writer"])
        elif kind == "trace":
            self.lc += 1
            if self.trace is not None:
                self.trace.write(json.dumps({"v": 1, "proc": f"s{self.me}", "lc": self.lc, "txn": None,
                                             "action": e[1], "params": e[2], "meta": e[3]}) + "\n")

    # ---- peers -------------------------------------------------------------------------

    def _send_peer(self, dst: int, msg: dict):
        link = self.peers_out.get(dst)
        if link is None:
            link = self.peers_out[dst] = {"writer": None, "buf": [], "connecting": False}
        line = (json.dumps(dict(msg, lc=max(self.stamp, self.lc)), separators=(",", ":")) + "\n").encode()
        if link["writer"] is not None:
            link["writer"].write(line)
            if link["writer"].transport.get_write_buffer_size() > MAX_PEER_LINE:
                log.warning("server %d: server %d does not read; closing the connection", self.me, dst)
                self._peer_broke(dst, link["writer"])
        else:
            link["buf"].append(line)
            if not link["connecting"]:
                link["connecting"] = True
                asyncio.ensure_future(self._connect_peer(dst, link))

    async def _connect_peer(self, dst: int, link: dict):
        # "via" names another port for one directed link ("1>2": server 1 dials it to
        # reach server 2): a test puts a proxy there to delay or cut that link alone
        port = self.conf.get("via", {}).get(f"{self.me}>{dst}", self.servers[dst]["peer"])
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, limit=FIRST_LINE_LIMIT), 2.0)
            hello = json.loads(await asyncio.wait_for(reader.readline(), 5.0))
            if hello.get("hello") != str(dst):
                raise secret.AuthError(f"server {dst}'s port answers as {hello.get('hello')!r}")
            writer.write((json.dumps(secret.answer(self.key, hello, str(self.me))) + "\n").encode())
        except (OSError, asyncio.TimeoutError, ValueError, secret.AuthError) as exc:
            link["connecting"] = False
            link["buf"] = []
            if not isinstance(exc, (ConnectionRefusedError, asyncio.TimeoutError)):
                log.info("server %d: cannot connect to server %d: %s", self.me, dst, exc)
            self._perform(self.core.on_disconnect(dst, now_ms()))
            return
        link["writer"], link["connecting"] = writer, False
        for line in link["buf"]:
            writer.write(line)
        link["buf"] = []
        # the connector never reads after the hello: EOF means the peer closed it
        try:
            await reader.read()
        except OSError:
            pass
        self._peer_broke(dst, writer)

    def _peer_broke(self, dst: int, writer):
        link = self.peers_out.get(dst)
        if link and link["writer"] is writer:
            link["writer"] = None
            writer.close()
            self._perform(self.core.on_disconnect(dst, now_ms()))

    async def _peer_conn(self, reader, writer):
        try:
            await self._peer_conn_inner(reader, writer)
        except asyncio.CancelledError:      # the server stops: nothing to report
            writer.close()

    async def _peer_conn_inner(self, reader, writer):
        who = None
        try:
            nonce = secret.new_nonce()
            writer.write((json.dumps({"hello": str(self.me), "nonce": nonce}) + "\n").encode())
            first = await asyncio.wait_for(reader.readline(), secret.AUTH_TIMEOUT)
            if len(first) > 4096:
                raise secret.AuthError("an oversize first line")
            known = {str(s) for s in self.servers if s != self.me}
            who = int(secret.verify(self.key, nonce, str(self.me), json.loads(first), known))
        except (OSError, ValueError, asyncio.TimeoutError, secret.AuthError, asyncio.LimitOverrunError) as exc:
            log.warning("server %d: refused a peer connection: %s", self.me, str(exc)[:200] or type(exc).__name__)
            writer.close()
            return
        old = self.peers_in.get(who)
        if old is not None:
            old.close()
        self.peers_in[who] = writer
        try:
            while True:
                line = await read_line(reader, MAX_PEER_LINE)
                if not line:
                    break
                try:
                    msg = json.loads(line)
                    if not isinstance(msg, dict):
                        raise ValueError("not an object")
                    lc = msg.get("lc", 0)
                    if not isinstance(lc, int) or lc < 0 or lc > self.lc + (1 << 40):
                        raise ValueError(f"an implausible Lamport clock {str(lc)[:30]}")
                    self.lc = max(self.lc, lc)
                    effects = self.core.on_message(who, msg, now_ms())
                except (ValueError, KeyError, TypeError, RecursionError) as exc:
                    log.warning("server %d: a malformed message from server %d (%s): closing the connection",
                                self.me, who, exc)
                    break
                self._perform(effects)
        except (OSError, ValueError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            if self.peers_in.get(who) is writer:
                del self.peers_in[who]
                self._perform(self.core.on_disconnect(who, now_ms()))

    # ---- clients -----------------------------------------------------------------------

    async def _read_packet(self, reader) -> bytes:
        head = await reader.readexactly(4)
        n = int.from_bytes(head, "big", signed=True)
        if n < 0 or n > jute.MAX_PACKET:
            raise jute.JuteError(f"packet length {n} (the limit is {jute.MAX_PACKET})")
        return await reader.readexactly(n)

    def _passwd(self, sid: int) -> bytes:
        return hmac.new(self.key, f"session:{sid}".encode(), hashlib.sha256).digest()[:16]

    async def _client_conn(self, reader, writer):
        try:
            await self._client_conn_inner(reader, writer)
        except asyncio.CancelledError:      # the server stops
            writer.close()

    async def _client_conn_inner(self, reader, writer):
        c = Client(writer, self.bugs)
        if not self.core.serving or len(self.clients) >= MAX_CLIENTS:
            writer.close()
            return
        self.clients.add(c)
        try:
            req = jute.decode_connect(await asyncio.wait_for(self._read_packet(reader), CONNECT_DEADLINE))
            if not await self._connect(c, req):
                return
            while not c.closed:
                self._request(c, await self._read_packet(reader))
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError):
            pass
        except jute.JuteError as exc:
            log.warning("server %d: a malformed client packet (%s): closing the connection", self.me, exc)
        finally:
            c.close()
            self.clients.discard(c)
            if c.sid and self.by_session.get(c.sid) is c:
                del self.by_session[c.sid]

    async def _connect(self, c: Client, req: dict) -> bool:
        lo, hi = self.session_range
        timeout = min(max(req["timeout"], lo), hi)
        sid = req["sid"]
        if not await self._caught_up(req["last_zxid"], sid):    # first, as ZooKeeper: no session made
            return False
        tree = self.core.tree
        if sid == 0:
            sid = self.core.new_session_id(now_ms())
            if not await self._commit({"op": "createSession", "sid": sid, "timeout": timeout}):
                return False
        else:
            if not hmac.compare_digest(req["passwd"], self._passwd(sid)):
                c.send(jute.connect_response(0, 0, bytes(16)))
                return False
            if sid not in tree.sessions:      # perhaps not applied here yet: a sync settles it
                if not await self._commit({"op": "sync"}):
                    return False
            if sid not in self.core.tree.sessions:
                c.send(jute.connect_response(0, 0, bytes(16)))
                return False
            timeout = self.core.tree.sessions[sid]
        if c.closed:
            return False
        old = self.by_session.get(sid)
        if old is not None and old is not c:
            old.close()
        c.sid, c.timeout = sid, timeout
        self.by_session[sid] = c
        self.core.touch([sid], now_ms())
        c.send(jute.connect_response(timeout, sid, self._passwd(sid)))
        return True

    async def _caught_up(self, seen: int, sid: int) -> bool:
        """Whether this server has applied the last zxid the client saw (``seen``, from
        its connect request), after a sync if it is behind. As ZooKeeper
        (ZooKeeperServer.processConnectRequest): a client moving between servers must
        never read older data than it has seen, so a server still behind after the sync
        (or whose sync failed) refuses it by closing the connection, and the client tries
        another server. ``seen`` and ``tree.zxid`` are both applied zxids: every reply
        header carries the zxid applied when it was sent (the txn's own for a write)."""
        if seen <= self.core.tree.zxid:
            return True
        if await self._commit({"op": "sync"}) and seen <= self.core.tree.zxid:
            return True
        log.warning("server %d: refusing a connection of session 0x%x: it has seen zxid %s, our last "
                    "zxid is %s; the client must try another server", self.me, sid, zxid_str(seen),
                    zxid_str(self.core.tree.zxid))
        return False

    async def _commit(self, txn: dict):
        """Submit a txn of the server's own (session creation, sync) and wait for it."""
        fut = asyncio.get_running_loop().create_future()
        self.cx += 1
        txn.update(srv=self.me, cx=self.cx)
        self.waiting[self.cx] = ("future", fut)
        effects = self.core.submit(txn, now_ms())
        if effects is None:
            self.waiting.pop(self.cx, None)
            return None
        self._perform(effects)
        try:
            return await asyncio.wait_for(fut, 30)
        except asyncio.TimeoutError:
            return None

    def _request(self, c: Client, packet: bytes):
        xid, name, f = jute.decode_request(packet)
        self.core.touch([c.sid], now_ms())
        if name in READS:
            for answer in c.pending.read([name, xid, f], lambda e: self._read(c, e)):
                c.send(answer)
            return
        if name == "auth":
            c.pending.wait([name, jute.AUTH_XID, f], jute.reply(jute.AUTH_XID, 0, OK))
            self._flush(c)
            return
        txn, err = self._txn(c, name, f)
        entry = c.pending.wait([name, xid, f])
        if err is not None:
            c.pending.answer(entry, jute.reply(xid, self.core.tree.zxid, err))
            self._flush(c)
            return
        self.cx += 1
        txn.update(srv=self.me, cx=self.cx)
        effects = self.core.submit(txn, now_ms())
        if effects is None:
            c.close()
            return
        self.waiting[self.cx] = ("client", c, entry)
        if name == "closeSession":
            c.closing = True
        self._perform(effects)

    def _txn(self, c: Client, name: str, f: dict) -> tuple[dict | None, int | None]:
        b64 = lambda d: base64.b64encode(d).decode()       # noqa: E731
        if name in ("create", "create2"):
            if any(a != jute.OPEN_ACL for a in f["acl"]) or not f["acl"]:
                return None, ERR["Unimplemented"] if f["acl"] else ERR["InvalidACL"]
            return {"op": "create", "path": f["path"], "data": b64(f["data"]), "flags": f["flags"],
                    "sid": c.sid}, None
        if name == "delete":
            return {"op": "delete", "path": f["path"], "version": f["version"]}, None
        if name == "setData":
            return {"op": "setData", "path": f["path"], "data": b64(f["data"]), "version": f["version"]}, None
        if name == "sync":
            return {"op": "sync"}, None
        if name == "closeSession":
            return {"op": "closeSession", "sid": c.sid}, None
        if name == "multi":
            ops = []
            for sub, g in f["ops"]:
                if sub == "check":
                    ops.append({"op": "check", "path": g["path"], "version": g["version"]})
                    continue
                t, err = self._txn(c, sub, g)
                if err is not None:
                    return None, err
                ops.append(t)
            return {"op": "multi", "ops": ops, "sid": c.sid}, None
        return None, ERR["Unimplemented"]     # check outside multi, ACLs, containers, TTLs, ...

    def _read(self, c: Client, entry) -> bytes:
        name, xid, f = entry
        tree = self.core.tree
        z = tree.zxid
        if name == "ping":
            return jute.reply(jute.PING_XID, z, OK)
        if name == "setWatches":
            self._set_watches(c, f)
            return jute.reply(jute.SETWATCHES_XID, z, OK)
        path = f["path"]
        if bad_path(path):
            return jute.reply(xid, z, ERR["BadArguments"])
        node = tree.nodes.get(path)
        if name == "exists":
            if f["watch"]:
                self.data_watch.setdefault(path, set()).add(c)
            return jute.reply(xid, z, OK, jute.stat(node.stat())) if node else jute.reply(xid, z, ERR["NoNode"])
        if node is None:
            return jute.reply(xid, z, ERR["NoNode"])
        if name == "getData":
            if f["watch"]:
                self.data_watch.setdefault(path, set()).add(c)
            return jute.reply(xid, z, OK, jute.buffer(node.data) + jute.stat(node.stat()))
        if name in ("getChildren", "getChildren2"):
            if f["watch"]:
                self.child_watch.setdefault(path, set()).add(c)
            body = jute.strings(sorted(node.children))
            return jute.reply(xid, z, OK, body + (jute.stat(node.stat()) if name == "getChildren2" else b""))
        if name == "getACL":
            return jute.reply(xid, z, OK, jute.acls([jute.OPEN_ACL]) + jute.stat(node.stat()))
        return jute.reply(xid, z, ERR["Unimplemented"])

    def _set_watches(self, c: Client, f: dict):
        """Re-register a reconnecting client's watches, firing at once those whose change
        it missed (as ZooKeeper: against the zxid the client last saw)."""
        tree, rel = self.core.tree, f["zxid"]
        self._rewatch(c, f["data"], self.data_watch, rel, "mzxid", jute.NODE_DATA_CHANGED)
        self._rewatch(c, f["child"], self.child_watch, rel, "pzxid", jute.NODE_CHILDREN_CHANGED)
        for p in f["exist"]:
            if p in tree.nodes:
                c.send(jute.watch_event(jute.NODE_CREATED, p))
            else:
                self.data_watch.setdefault(p, set()).add(c)

    def _rewatch(self, c: Client, paths, table: dict, rel: int, stamp: str, changed: int):
        """A data (stamp mzxid) or child (stamp pzxid) watch: NodeDeleted if the node is
        gone, ``changed`` if its stamp passed ``rel``, else registered in ``table``."""
        for p in paths:
            n = self.core.tree.nodes.get(p)
            if n is None:
                c.send(jute.watch_event(jute.NODE_DELETED, p))
            elif getattr(n, stamp) > rel:
                c.send(jute.watch_event(changed, p))
            else:
                table.setdefault(p, set()).add(c)

    def _flush(self, c: Client):
        answers = c.pending.flush(lambda e: self._read(c, e))
        for answer in answers:
            c.send(answer)
        if c.pending:
            return
        if c.closing:
            c.close()

    def _fire(self, table: dict, path: str, kind: int):
        for c in table.pop(path, ()):
            c.send(jute.watch_event(kind, path))

    def _deliver(self, zxid: int, txn: dict, err: int, result, triggers):
        for kind, path in triggers:
            if kind == "created":
                self._fire(self.data_watch, path, jute.NODE_CREATED)
            elif kind == "deleted":
                self._fire(self.data_watch, path, jute.NODE_DELETED)
                self._fire(self.child_watch, path, jute.NODE_DELETED)
            elif kind == "changed":
                self._fire(self.data_watch, path, jute.NODE_DATA_CHANGED)
            else:
                self._fire(self.child_watch, path, jute.NODE_CHILDREN_CHANGED)
        if txn.get("op") == "closeSession":
            c = self.by_session.pop(txn.get("sid"), None)
            if c is not None and not c.closing:
                c.close()
        if txn.get("srv") == self.me:
            w = self.waiting.pop(txn.get("cx"), None)
            if w is not None:
                if w[0] == "future":
                    if not w[1].done():
                        w[1].set_result(True)
                else:
                    c, slot = w[1], w[2]
                    c.pending.answer(slot, self._reply(slot[0], zxid, err, result))
                    self._flush(c)
        self.since_snap += 1
        if self.since_snap >= self.snap_count and not self.pending_sync:
            self._snapshot()

    def _reply(self, entry, zxid: int, err: int, result) -> bytes:
        name, xid, f = entry[0], entry[1], entry[2]
        if err != OK:
            return jute.reply(xid, zxid, err)
        if name == "create":
            return jute.reply(xid, zxid, OK, jute.string(result[0]))
        if name == "create2":
            return jute.reply(xid, zxid, OK, jute.string(result[0]) + jute.stat(result[1]))
        if name == "setData":
            return jute.reply(xid, zxid, OK, jute.stat(result))
        if name == "sync":
            return jute.reply(xid, zxid, OK, jute.string(f["path"]))
        if name == "multi":
            names = [sub for sub, _ in f["ops"]]
            rs = [(names[i] if r[0] != "error" else "error", r[1], r[2]) for i, r in enumerate(result)]
            return jute.reply(xid, zxid, OK, jute.multi_result(rs))
        return jute.reply(xid, zxid, OK)

    def _snapshot(self):
        core = self.core
        i = bisect.bisect_right(core.zxids, core.committed)
        pending = list(zip(core.zxids[i:], core.txns[i:]))
        self._disk(lambda: self.store.snapshot(core.tree.to_json(), pending))
        core.compact(KEEP_ENTRIES)
        self.since_snap = 0

    # ---- status ------------------------------------------------------------------------

    def _write_status(self, stopped: bool = False):
        st = self.core.status()
        st.update(pid=os.getpid(), time=time.time(), clients=len(self.clients), stopped=stopped,
                  client_port=self.servers[self.me]["client"], peer_port=self.servers[self.me]["peer"])
        try:
            write_atomic(os.path.join(self.home, "status.json"), json.dumps(st).encode(), False)
        except OSError:
            pass

    async def _status(self):
        while True:
            self._write_status()
            if self.trace is not None:
                self.trace.flush()
            await asyncio.sleep(0.5)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reference.zab server")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--id", type=int, required=True)
    ap.add_argument("--lifetime", type=float, default=1800.0)
    ap.add_argument("--bug", action="append", default=[], choices=BUGS)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    try:
        conf = json.load(open(os.path.join(args.dir, "ensemble.json")))
        server = Server(args.dir, args.id, conf, bugs=args.bug)
        return asyncio.run(server.run(args.lifetime))
    except (ValueError, secret.AuthError) as exc:
        log.error("server %d cannot start: %s", args.id, exc)
        return EXIT_BAD_STATE
    except OSError as exc:
        log.error("server %d cannot start: %s", args.id, exc)
        return EXIT_BAD_STATE
