"""The real runtime: one state machine per OS process, asyncio TCP on 127.0.0.1.

Files of process NAME in the cluster directory:

    NAME.wal           the write-ahead log (wal.py)
    NAME.clock         the Lamport clock, 8 bytes, rewritten at every step before the
                       step's effects (no fsync: it survives a kill, which is what we
                       test; see the docs)
    NAME.trace.jsonl   trace events (trace.py), unless tracing is off
    NAME.outbox.0/.1   the messages not yet handed to the kernel, with the event of the
                       step that sent the latest (Outbox; not fsynced either)
    NAME.addr          "127.0.0.1:PORT" once the process listens (port chosen by the OS)
    NAME.pid           its pid
    secret             the cluster's secret (auth.py), mode 0600, shared by all

Every process listens on one port. A connection starts with a hello line from the
acceptor, ``{"hello": NAME, "lc": LC, "nonce": N}``, and the connector's proof that it
holds the cluster's secret (auth.py: nothing else is read before it, and a message is
taken only from the process it names); then the connector sends JSON lines: protocol
messages (``{"m": ...}``, never answered on that connection: replies travel on the
receiver's own connection to the sender) or requests (``{"op": ...}``, answered on it).
Outgoing messages to a peer go through one connection per peer; a message that cannot
be written (peer down, connection broken) is dropped: the protocol recovers (vote
timeouts, inquiries by in-doubt participants). The hello gives the connector the peer's
clock, so that what it sends next is stamped after the peer's restart.

A start listens and publishes its address, reads the clock files of the processes that
send to it, starts the machine (whose recovery event is stamped after those clocks),
and only then says hello on the connections accepted meanwhile. With the outbox, this is
what puts every message the runtime loses where the spec loses it (docs/traces.md,
*Crashes and restarts*).

Effects are performed in the order the machine returns them, synchronously: an fsync
blocks the loop, so nothing later (a trace event, a message, a reply) can overtake it;
a step's messages are queued and saved in the outbox before its event is written.
After every input the runtime takes the machine's internal steps until none is pending.

Depends on protocol, wal, trace (and the state machines it is given).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import select
import signal
import struct
import time
import zlib

from . import auth
from .protocol import (BadMessage, CancelTimer, Deliver, Emit, Log, Msg, Note, Reply, Request, Send,
                       SetTimer, TimerFired)
from .trace import TraceFile
from ..wal import WAL, LogDamaged, NotALog

CONNECT_TIMEOUT = 1.0
#: connections waiting to authenticate at once; past that the oldest is closed
MAX_PENDING = 64
#: seconds an authenticated client connection may stay silent before it is closed
IDLE_TIMEOUT = 600.0
#: a refused connection's close: its error line is followed by end-of-file, then what the
#: peer already sent is read and dropped (at most LINGER_BYTES, for at most LINGER
#: seconds) before the socket closes. Closing with unread input makes the kernel send a
#: reset, and a reset makes the peer's kernel throw away the error line it had not yet
#: read (a forged prepare followed by a commit lost its "not authenticated" that way).
LINGER = 0.5
LINGER_BYTES = 1 << 18
#: the exit status of a process that stopped because it could not write (EX_IOERR)
EXIT_WRITE_FAILED = 74


def write_all(fd: int, data: bytes, offset: int | None = None) -> None:
    """Write every byte or raise: a short write (a full disk) is an error, never ignored."""
    n = os.write(fd, data) if offset is None else os.pwrite(fd, data, offset)
    if n != len(data):
        raise OSError(28, f"short write ({n} of {len(data)} bytes)")


class ClockFile:
    def __init__(self, path: str):
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self.last = -1

    def read(self) -> int:
        b = os.pread(self.fd, 8, 0)
        return struct.unpack(">Q", b)[0] if len(b) == 8 else 0

    def write(self, lc: int) -> None:
        if lc != self.last:
            write_all(self.fd, struct.pack(">Q", lc), 0)
            self.last = lc

    def close(self) -> None:
        os.close(self.fd)


class Outbox:
    """The messages this process has sent and not yet handed to the kernel, and the
    trace event of the step that sent the latest of them, kept where a killed process
    leaves them (like the clock file, not fsynced: a kill, not a power failure).

    A step's messages are saved here after its log record is durable and before its
    event is written; once every queue is empty (the kernel has them all) an empty
    outbox is saved. A restarted process writes the saved event if its trace does not
    have it (the process died between the two) and sends the saved messages again: so
    a step whose event is in the trace has sent its messages, whenever the kill came, as
    the spec's steps do (docs/traces.md, *Crashes and restarts*). The saved messages
    may include some the kernel already had (the outbox is saved when messages are
    added, and only once everything has gone when they leave): sending one again is a
    duplicate, which every receiver ignores or answers again.

    Two files, ``PATH.0`` and ``PATH.1``, written in turn, each holding one record:
    ``u64 seq | u32 length | u32 crc32(seq, body) | body``, the body being the event's
    JSON line (``null`` for none) followed by the message lines. A kill during a save
    leaves the other file, the previous state, intact; loading takes the valid record
    with the larger seq. Bytes after the record (from a longer earlier one) are ignored."""

    _HEAD = struct.Struct(">QII")

    def __init__(self, path: str):
        self.fds = [os.open(f"{path}.{i}", os.O_RDWR | os.O_CREAT, 0o644) for i in (0, 1)]
        self.seq = 0
        self.cur = 1            # the file holding the latest state; the next save writes the other
        self.saved: tuple = (None, [])

    @classmethod
    def _read(cls, fd: int):
        data = os.pread(fd, os.fstat(fd).st_size, 0)
        if len(data) < cls._HEAD.size:
            return None
        seq, n, crc = cls._HEAD.unpack_from(data)
        body = data[cls._HEAD.size:cls._HEAD.size + n]
        if len(body) != n or zlib.crc32(body, zlib.crc32(data[:8])) != crc:
            return None
        first, _, rest = body.partition(b"\n")
        try:
            event = json.loads(first)
        except ValueError:
            return None
        return seq, event, rest.splitlines(keepends=True)

    def load(self) -> tuple[dict | None, list[bytes]]:
        """The saved event (or None) and messages of the latest valid save."""
        best = None
        for i, fd in enumerate(self.fds):
            got = self._read(fd)
            if got is not None and (best is None or got[0] > best[0]):
                best = (got[0], i, got[1], got[2])
        if best is None:
            return None, []
        self.seq, self.cur, event, msgs = best
        self.saved = (event, msgs)
        return event, msgs

    def save(self, event: dict | None, msgs: list[bytes]) -> None:
        if event is None and not msgs and self.saved == (None, []):
            return
        self.seq += 1
        body = json.dumps(event, separators=(",", ":")).encode() + b"\n" + b"".join(msgs)
        seq = struct.pack(">Q", self.seq)
        self.cur = 1 - self.cur
        write_all(self.fds[self.cur], seq + struct.pack(">II", len(body), zlib.crc32(body, zlib.crc32(seq))) + body, 0)
        self.saved = (event, list(msgs))

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)


def read_peer_clocks(directory: str, names) -> int:
    """The largest persisted clock of the processes ``names`` (``DIR/NAME.clock``; 0 for
    one that has none yet), running or not. A process rewrites its clock file before
    any message carries the step's lc, so the value read bounds the lc of every message
    that process has sent until now. A file is read until two reads agree, so that a
    read overlapping a rewrite is not taken."""
    best = 0
    for name in names:
        try:
            fd = os.open(os.path.join(directory, f"{name}.clock"), os.O_RDONLY)
        except OSError:
            continue
        try:
            prev = None
            for _ in range(5):
                b = os.pread(fd, 8, 0)
                cur = struct.unpack(">Q", b)[0] if len(b) == 8 else 0
                if cur == prev:
                    break
                prev = cur
            best = max(best, prev or 0)
        finally:
            os.close(fd)
    return best


def write_atomic(path: str, text: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def read_addr(directory: str, name: str) -> tuple[str, int] | None:
    try:
        with open(os.path.join(directory, f"{name}.addr")) as f:
            host, port = f.read().strip().rsplit(":", 1)
        return host, int(port)
    except (OSError, ValueError):
        return None


def process_alive(directory: str, name: str) -> bool:
    """Whether the process that published ``NAME.pid`` still exists and is not a zombie
    (a stopped process is alive: SIGSTOP, a debugger, a machine under load)."""
    try:
        with open(os.path.join(directory, f"{name}.pid")) as f:
            pid = int(f.read().strip())
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, ValueError, IndexError):
        return False
    return state not in ("Z", "X")


class Peer:
    """The outgoing connection to one peer, with its queue of messages."""

    def __init__(self, node: "Node", name: str):
        self.node = node
        self.name = name
        self.queue: list[bytes] = []
        self.wake = asyncio.Event()
        self.inflight: list[bytes] = []      # written, not yet all in the kernel
        self.writer: asyncio.StreamWriter | None = None
        self.reader: asyncio.StreamReader | None = None
        self.retries = 0                      # failed attempts to a peer that is alive
        self.stalled_addr = None
        self.task = asyncio.ensure_future(self.run())

    def send(self, line: bytes) -> None:
        self.queue.append(line)
        self.wake.set()

    def _retry(self, n: int, e: BaseException) -> None:
        if not self.retries:
            self.node.log.warning("%s is alive but not answering (%s): keeping %d message(s) and retrying",
                                  self.name, type(e).__name__, n)
            self.node.note("peer-stalled", peer=self.name, kept=n, why=type(e).__name__)
        self.retries += 1
        delay = min(1.0, 0.1 * self.retries)
        asyncio.get_running_loop().call_later(delay, self.wake.set)

    def _drop(self, n: int, why: str) -> None:
        if n:
            self.node.log.debug("dropped %d message(s) to %s: %s", n, self.name, why)
            # after a stall, the peer was declared down after all (it crashed: a new
            # address, or no process): what was kept is lost, as the spec loses it
            self.node.note("messages-lost", peer=self.name, messages=n, why=why,
                           **({"attempts": self.retries} if self.retries else {}))
            self.retries = 0
        del self.queue[:n]
        self.node.outbox_left()
        if self.queue:
            self.wake.set()

    async def _connect(self) -> bool:
        # Only the messages queued before this attempt are dropped if it fails: one
        # queued meanwhile may be meant for an incarnation that published its address
        # after we read it, and gets an attempt of its own (docs/traces.md, *Crashes
        # and restarts*).
        n = len(self.queue)
        addr = read_addr(self.node.directory, self.name)
        if addr is None:
            self._drop(n, "address unknown")
            return False
        self.stalled_addr = addr
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(*addr), CONNECT_TIMEOUT)
            hello = json.loads(await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT))
            if not isinstance(hello, dict) or hello.get("hello") != self.name:
                raise auth.AuthError(f"{self.name}'s address answers as {str(hello)[:80]}")
            lc = hello.get("lc")
            why = auth.check_clock(lc, self.node.machine.lc)
            if why is not None:
                raise auth.AuthError(f"{self.name}'s hello: {why}")
            writer.write((json.dumps(auth.answer(self.node.key, hello, self.node.name)) + "\n").encode())
        except (OSError, asyncio.TimeoutError, ValueError, KeyError, TypeError) as e:
            if (not isinstance(e, auth.AuthError) and read_addr(self.node.directory, self.name) == addr
                    and process_alive(self.node.directory, self.name)):
                # the same incarnation is still there, only not answering (stopped,
                # overloaded): its messages are kept and sent when it answers; only a
                # crash (a new address, or no process) loses them, as in the spec
                self._retry(n, e)
                return False
            self._drop(n, f"cannot connect: {e!r}")
            return False
        if self.retries:
            self.node.log.info("%s answers again after %d attempt(s): sending the %d message(s) kept",
                               self.name, self.retries, len(self.queue))
            self.node.note("peer-answers", peer=self.name, attempts=self.retries, sending=len(self.queue))
            self.retries = 0
        self.node.machine.observe_clock(lc)
        self.node.clock.write(self.node.machine.lc)
        # drain() then returns only once the kernel has every byte: only then do the
        # messages leave the outbox
        writer.transport.set_write_buffer_limits(high=0)
        self.writer, self.reader = writer, reader
        asyncio.ensure_future(self._watch(reader, writer))
        return True

    def _gone(self) -> bool:
        """The peer closed the connection (it died), whether or not the event loop has
        seen it yet: it never sends after the hello, so a readable socket is EOF or an
        error. Checked before each write, so that nothing is written into the connection
        of an incarnation that is gone once its successor may have read our clock."""
        if self.reader is None or self.reader.at_eof():
            return True
        sock = self.writer.get_extra_info("socket")
        if sock is None or sock.fileno() < 0:
            return True
        p = select.poll()
        p.register(sock.fileno(), select.POLLIN | select.POLLRDHUP)
        return bool(p.poll(0))

    async def _watch(self, reader, writer) -> None:
        # the peer sends nothing after the hello: EOF means it is gone
        try:
            await reader.read()
        except (OSError, asyncio.IncompleteReadError):
            pass
        if self.writer is writer:
            self.writer = self.reader = None
        writer.close()

    async def run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            if not self.queue:
                continue
            if self.writer is not None and self._gone():
                self.writer.close()
                self.writer = self.reader = None
            if self.writer is None and not await self._connect():
                continue
            self.inflight, self.queue = self.queue, []
            try:
                self.writer.write(b"".join(self.inflight))
                await self.writer.drain()
            except (OSError, AttributeError) as e:
                self.node.log.debug("lost message(s) to %s: %r", self.name, e)
                if self.writer is not None:
                    self.writer.close()
                self.writer = self.reader = None
            self.inflight = []
            self.node.outbox_left()


class Node:
    """Runs one state machine as a process: recovery, server, timers, effects."""

    def __init__(self, machine, directory: str, *, fsync: bool = True, tracing: bool = True,
                 lifetime: float = 1800.0, port: int = 0):
        self.machine = machine
        self.name = machine.name
        self.directory = directory
        self.fsync = fsync
        self.tracing = tracing
        self.lifetime = lifetime
        self.port = port
        self.log = logging.getLogger(self.name)
        self.peers: dict[str, Peer] = {}
        self.timers: dict[tuple, asyncio.TimerHandle] = {}
        self.wal = WAL(self._path("wal"), fsync=fsync)
        self.clock: ClockFile | None = None
        self.outbox: Outbox | None = None
        self.tracer: TraceFile | None = None
        self.stop: asyncio.Event | None = None
        self.started: asyncio.Event | None = None
        self.key = b""                  # the cluster's secret (auth.py), read at start
        #: who may authenticate: the processes that send to this one, and clients
        self.known = {*machine.senders, auth.CLIENT}
        self.pending: dict = {}         # writers of connections not yet authenticated, oldest first
        self.refusals = 0
        self.next_refusal_log = 0.0

    def _path(self, ext: str) -> str:
        return os.path.join(self.directory, f"{self.name}.{ext}")

    # -------------------------------------------------------------- effects

    def peer(self, name: str) -> Peer:
        p = self.peers.get(name)
        if p is None:
            p = self.peers[name] = Peer(self, name)
        return p

    def note(self, kind: str, **fields) -> None:
        """A note in the trace (docs/traces.md, *Notes*): what became of messages to a
        peer that stalled. Not a protocol step: a note that cannot be written (a full
        disk) is logged and the process goes on."""
        if self.tracer is None:
            return
        try:
            self.tracer.write_note(self.name, kind, **fields)
        except OSError as e:
            self.log.warning("trace note %s not written: %s", kind, e)

    def save_outbox(self, event: dict | None = None) -> None:
        self.outbox.save(event, [m for p in self.peers.values() for m in (*p.inflight, *p.queue)])

    def outbox_left(self) -> None:
        """Messages left the queues (to the kernel, or dropped): once none is left, the
        outbox is saved empty (until then it may still list some that have gone)."""
        if not any(p.queue or p.inflight for p in self.peers.values()):
            self.outbox.save(None, [])

    def execute(self, effects) -> None:
        try:
            self._execute(effects)
        except OSError as e:
            self.halt(e)

    def halt(self, exc: OSError) -> None:
        """A write failed (a full disk, an I/O error): stop the process now, as a crash
        would. The machine's state in memory may already be ahead of its log; carrying
        on would act on a step that is not durable, and the effects after the failed
        write (messages, replies, the event) must not happen. Nothing after the
        failure is performed; the next start recovers from what is durable, exactly
        as after a kill, and clients see their connection close (an error)."""
        self.log.error("cannot write: %s; stopping now (exit %d). The step was not taken: the next start "
                       "recovers from the log, as after a crash. Restart the process when the disk has room.",
                       exc.strerror or exc, EXIT_WRITE_FAILED)
        logging.shutdown()
        os._exit(EXIT_WRITE_FAILED)

    def _execute(self, effects) -> None:
        # the step's clock is persisted before anything carries it (an event, a
        # message), so a restart never reuses an lc however early the kill comes
        self.clock.write(self.machine.lc)
        staged = 0
        for i, e in enumerate(effects):
            t = type(e)
            if (t is Emit or t is Send) and i >= staged:
                # the messages up to the next log record go to the peers' queues and the
                # outbox, with the step's event, before the event is written (Outbox)
                staged = i
                while staged < len(effects) and type(effects[staged]) is not Log:
                    staged += 1
                sends = [x.msg for x in effects[i:staged] if type(x) is Send]
                if sends:
                    for m in sends:
                        self.peer(m.dst).send((json.dumps(m.to_json(), separators=(",", ":")) + "\n").encode())
                    ev = next((x.event for x in effects[i:staged] if type(x) is Emit), None)
                    self.save_outbox(ev if self.tracer is not None else None)
            if t is Log:
                self.wal.append(e.record)
                if e.sync:
                    self.wal.sync()
            elif t is Emit:
                if self.tracer is not None:
                    self.tracer.write(e.event)
            elif t is Send:
                pass                            # staged above; the peer's task writes it
            elif t is SetTimer:
                old = self.timers.pop(e.key, None)
                if old is not None:
                    old.cancel()
                self.timers[e.key] = asyncio.get_running_loop().call_later(e.delay, self._timer, e.key)
            elif t is CancelTimer:
                old = self.timers.pop(e.key, None)
                if old is not None:
                    old.cancel()
            elif t is Reply:
                w = e.client
                if w is not None and not w.is_closing():
                    w.write((json.dumps(e.body, separators=(",", ":")) + "\n").encode())
            elif t is Note:
                getattr(self.log, e.level if e.level in ("debug", "info", "warning", "error") else "info")(e.text)

    def drain(self) -> None:
        m = self.machine
        while True:
            steps = m.internal()
            if not steps:
                return
            self.execute(m.take(steps[0]))

    def input(self, inp) -> None:
        self.execute(self.machine.handle(inp))
        self.drain()

    def _timer(self, key: tuple) -> None:
        self.timers.pop(key, None)
        self.input(TimerFired(key))

    # -------------------------------------------------------------- connections

    def refused(self, why: str, limited: bool = True) -> None:
        """Log a refused connection or message. Refusals of unauthenticated connections
        (anyone can cause them) are logged at most once per auth.LOG_EVERY seconds,
        with the number refused meanwhile, so that a flood does not flood the log;
        a refused message on an authenticated connection is always logged."""
        if not limited:
            self.log.warning("refused: %s", why)
            return
        self.refusals += 1
        now = time.monotonic()
        if now >= self.next_refusal_log:
            self.next_refusal_log = now + auth.LOG_EVERY
            n, self.refusals = self.refusals, 0
            self.log.warning("refused: %s%s", why, f" (and {n - 1} more since the last such line)" if n > 1 else "")

    async def on_conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # a connection accepted while the machine starts waits: its hello carries the
        # started clock, and nothing is read before the restart is stamped.
        # Connections that have not authenticated yet are bounded (MAX_PENDING): past
        # that the oldest is closed, so a flood of idle connections holds at most
        # MAX_PENDING sockets, for at most auth.AUTH_TIMEOUT each, and a real client's
        # handshake (milliseconds) still gets through.
        self.pending[writer] = None
        if len(self.pending) > MAX_PENDING:
            oldest = next(iter(self.pending))
            self.pending.pop(oldest)
            oldest.close()
            self.refused(f"more than {MAX_PENDING} connections waiting to authenticate: the oldest closed")
        try:
            await self.started.wait()
            nonce = auth.new_nonce()
            writer.write((json.dumps({"hello": self.name, "lc": self.machine.lc, "nonce": nonce}) + "\n").encode())
            try:
                first = await asyncio.wait_for(reader.readline(), auth.AUTH_TIMEOUT)
                if not first:
                    return
                who = auth.verify(self.key, nonce, self.name, json.loads(first), self.known)
            except (auth.AuthError, ValueError, RecursionError, asyncio.TimeoutError) as e:
                why = "no authentication within the time allowed" if isinstance(e, asyncio.TimeoutError) else \
                    str(e) if isinstance(e, auth.AuthError) else "the first line is not JSON"
                self.refused(f"a connection: {why}")
                writer.write(b'{"error": "not authenticated"}\n')
                await _linger(reader, writer)
                return
            finally:
                self.pending.pop(writer, None)
            await self._serve(who, reader, writer)
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            self.log.debug("connection closed: %r", e)
        finally:
            self.pending.pop(writer, None)
            writer.close()

    async def _serve(self, who: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The lines of an authenticated connection (auth.py says what is accepted)."""
        senders = set(self.machine.senders)
        while True:
            try:
                line = await asyncio.wait_for(reader.readline(), IDLE_TIMEOUT if who == auth.CLIENT else None)
            except asyncio.TimeoutError:
                return                          # an idle client connection is closed
            if not line:
                return
            try:
                d = json.loads(line)
            except (ValueError, RecursionError):        # not JSON, or nested too deeply
                writer.write(b'{"error": "not JSON"}\n')
                continue
            if isinstance(d, dict) and "m" in d:
                try:
                    msg = Msg.from_json(d)
                except BadMessage as e:
                    self.refused(f"from {who}: {e}", limited=False)
                    continue
                why = (f"{msg.short()} claims to be from {msg.src!r} on {who}'s connection" if msg.src != who else
                       f"{msg.short()} from {who}, which does not send to {self.name}" if who not in senders else
                       f"{msg.short()} from {who}: {self.name} does not receive {msg.kind}"
                       if msg.kind not in self.machine.accepts else
                       f"{msg.short()} for {msg.dst!r} delivered to {self.name}" if msg.dst != self.name else
                       auth.check_clock(msg.lc, self.machine.lc))
                if why is not None:
                    self.refused(why if msg.short() in why else f"{msg.short()} from {who}: {why}", limited=False)
                    continue
                self.input(Deliver(msg))
                # a line already read returns from readline() without a pause: yield, so
                # that a connection that sends thousands of messages (each an fsync) does
                # not keep status and operator requests waiting behind all of them
                await asyncio.sleep(0)
            elif isinstance(d, dict) and "op" in d:
                if d["op"] == "shutdown":
                    writer.write(b'{"ok": true}\n')
                    self.stop.set()
                    continue
                self.input(Request(writer, d))
            else:
                writer.write(b'{"error": "expected a protocol message or a request"}\n')
            await writer.drain()

    # -------------------------------------------------------------- main

    async def main(self) -> int:
        self.stop = asyncio.Event()
        self.started = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        try:
            self.key = auth.create_secret(self.directory)
        except auth.AuthError as e:
            self.log.error("refusing to start: %s", e)
            return 2
        try:
            scan, note = self.wal.open()
        except (NotALog, LogDamaged) as e:
            self.log.error("refusing to start: %s", e)
            return 2
        except OSError as e:
            self.log.error("refusing to start: cannot recover %s: %s", self.wal.path, e.strerror or e)
            return EXIT_WRITE_FAILED
        if note:
            self.log.warning("%s", note)
        self.clock = ClockFile(self._path("clock"))
        clock = self.clock.read()
        self.outbox = Outbox(self._path("outbox"))
        unsent_event, unsent = self.outbox.load()
        traced = 0
        if self.tracing:
            self.tracer = TraceFile(self._path("trace.jsonl"))
            traced = self.tracer.open()
            if self.tracer.note:
                self.log.warning("%s", self.tracer.note)
            if unsent_event is not None and unsent_event.get("lc", 0) > traced:
                # killed after saving the step's messages and before writing its event:
                # the step is traced now, and its messages are sent below
                unsent_event = dict(unsent_event, meta={**unsent_event.get("meta", {}), "retraced": True})
                self.tracer.write(unsent_event)
                traced = unsent_event["lc"]
        # The order matters (docs/traces.md, *Crashes and restarts*): listen and publish
        # the address first, then read the peers' clocks, then start the machine, whose
        # restart events are stamped after them; connections wait until it has started.
        # A message a peer sent before the clocks were read carries at most what was
        # read: it sorts before the restart, and is dropped as stale if it arrives. One
        # sent after finds the new address and waits for the hello; its lc decides.
        server = await asyncio.start_server(self.on_conn, "127.0.0.1", self.port)
        port = server.sockets[0].getsockname()[1]
        write_atomic(self._path("pid"), f"{os.getpid()}\n")
        write_atomic(self._path("addr"), f"127.0.0.1:{port}\n")
        peers = read_peer_clocks(self.directory, self.machine.senders)
        self.log.info("recovering: %s, clock %d, peers' clocks up to %d", scan.summary(), clock, peers)
        if unsent:
            self.log.info("sending again %d message(s) the previous run may not have handed to the kernel", len(unsent))
            for line in unsent:
                try:
                    self.peer(str(json.loads(line)["dst"])).send(line)
                except (ValueError, KeyError, TypeError):
                    self.log.warning("outbox: not a message, ignored: %r", line[:200])
        self.execute(self.machine.start(scan.records, clock=clock, traced_lc=traced, peer_clock=peers))
        self.drain()
        self.started.set()
        self.log.info("listening on 127.0.0.1:%d (pid %d, fsync %s, tracing %s)", port, os.getpid(),
                      "on" if self.fsync else "off", "on" if self.tracing else "off")
        try:
            await asyncio.wait_for(self.stop.wait(), self.lifetime)
            self.log.info("stopping")
        except asyncio.TimeoutError:
            self.log.info("lifetime of %.0f s reached, stopping", self.lifetime)
        server.close()
        try:
            os.unlink(self._path("addr"))
        except OSError:
            pass
        self.wal.close()
        self.clock.close()
        self.outbox.close()
        if self.tracer:
            self.tracer.close()
        return 0


def serve(machine, directory: str, **kw) -> int:
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {machine.name} %(levelname)s %(message)s")
    logging.Formatter.converter = time.gmtime
    try:
        return asyncio.run(Node(machine, directory, **kw).main())
    except OSError as e:              # starting: a file that cannot be opened or written
        logging.getLogger(machine.name).error("cannot start: %s", e)
        return EXIT_WRITE_FAILED


async def _linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Close a refused connection without a reset (see LINGER): end-of-file after what
    was written, then drop the peer's input until its end-of-file, LINGER seconds or
    LINGER_BYTES, whichever comes first."""
    try:
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        loop = asyncio.get_running_loop()
        end, dropped = loop.time() + LINGER, 0
        while dropped < LINGER_BYTES and (left := end - loop.time()) > 0:
            chunk = await asyncio.wait_for(reader.read(1 << 16), left)
            if not chunk:
                break
            dropped += len(chunk)
    except (OSError, asyncio.TimeoutError):
        pass
