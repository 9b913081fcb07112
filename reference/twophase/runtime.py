"""The real runtime: one state machine per OS process, asyncio TCP on 127.0.0.1.

Files of process NAME in the cluster directory:

    NAME.wal           the write-ahead log (wal.py)
    NAME.clock         the Lamport clock, 8 bytes, rewritten at every step before the
                       step's effects (no fsync: it survives a kill, which is what we
                       test; see the docs)
    NAME.trace.jsonl   trace events (trace.py), unless tracing is off
    NAME.addr          "127.0.0.1:PORT" once the process listens (port chosen by the OS)
    NAME.pid           its pid

Every process listens on one port. A connection starts with a hello line from the
acceptor, ``{"hello": NAME, "lc": LC}``; then the connector sends JSON lines: protocol
messages (``{"m": ...}``, never answered on that connection: replies travel on the
receiver's own connection to the sender) or requests (``{"op": ...}``, answered on it).
Outgoing messages to a peer go through one connection per peer; a message that cannot
be written (peer down, connection broken) is dropped: the protocol recovers (vote
timeouts, inquiries by in-doubt participants). The hello gives the connector the peer's
clock, so that what it sends next is stamped after the peer's restart.

Effects are performed in the order the machine returns them, synchronously: an fsync
blocks the loop, so nothing later (a trace event, a message, a reply) can overtake it.
After every input the runtime takes the machine's internal steps until none is pending.

Depends on protocol, wal, trace (and the state machines it is given).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import struct
import time

from .protocol import (BadMessage, CancelTimer, Deliver, Emit, Log, Msg, Note, Reply, Request, Send,
                       SetTimer, TimerFired)
from .trace import TraceFile
from .wal import WAL, NotALog

CONNECT_TIMEOUT = 1.0


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
            os.pwrite(self.fd, struct.pack(">Q", lc), 0)
            self.last = lc

    def close(self) -> None:
        os.close(self.fd)


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


class Peer:
    """The outgoing connection to one peer, with its queue of messages."""

    def __init__(self, node: "Node", name: str):
        self.node = node
        self.name = name
        self.queue: list[bytes] = []
        self.wake = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None
        self.task = asyncio.ensure_future(self.run())

    def send(self, msg: Msg) -> None:
        self.queue.append((json.dumps(msg.to_json(), separators=(",", ":")) + "\n").encode())
        self.wake.set()

    def _drop(self, why: str) -> None:
        if self.queue:
            self.node.log.debug("dropped %d message(s) to %s: %s", len(self.queue), self.name, why)
        self.queue.clear()

    async def _connect(self) -> bool:
        addr = read_addr(self.node.directory, self.name)
        if addr is None:
            self._drop("address unknown")
            return False
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(*addr), CONNECT_TIMEOUT)
            hello = json.loads(await asyncio.wait_for(reader.readline(), CONNECT_TIMEOUT))
            lc = int(hello["lc"])
        except (OSError, asyncio.TimeoutError, ValueError, KeyError, TypeError) as e:
            self._drop(f"cannot connect: {e!r}")
            return False
        self.node.machine.observe_clock(lc)
        self.node.clock.write(self.node.machine.lc)
        self.writer = writer
        asyncio.ensure_future(self._watch(reader, writer))
        return True

    async def _watch(self, reader, writer) -> None:
        # the peer sends nothing after the hello: EOF means it is gone
        try:
            await reader.read()
        except (OSError, asyncio.IncompleteReadError):
            pass
        if self.writer is writer:
            self.writer = None
        writer.close()

    async def run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            if not self.queue:
                continue
            if self.writer is None and not await self._connect():
                continue
            data, self.queue = b"".join(self.queue), []
            try:
                self.writer.write(data)
                await self.writer.drain()
            except (OSError, AttributeError) as e:
                self.node.log.debug("lost message(s) to %s: %r", self.name, e)
                if self.writer is not None:
                    self.writer.close()
                self.writer = None


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
        self.tracer: TraceFile | None = None
        self.stop: asyncio.Event | None = None

    def _path(self, ext: str) -> str:
        return os.path.join(self.directory, f"{self.name}.{ext}")

    # -------------------------------------------------------------- effects

    def execute(self, effects) -> None:
        # the step's clock is persisted before anything carries it (an event, a
        # message), so a restart never reuses an lc however early the kill comes
        self.clock.write(self.machine.lc)
        for e in effects:
            t = type(e)
            if t is Log:
                self.wal.append(e.record)
                if e.sync:
                    self.wal.sync()
            elif t is Emit:
                if self.tracer is not None:
                    self.tracer.write(e.event)
            elif t is Send:
                p = self.peers.get(e.msg.dst)
                if p is None:
                    p = self.peers[e.msg.dst] = Peer(self, e.msg.dst)
                p.send(e.msg)
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

    async def on_conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write((json.dumps({"hello": self.name, "lc": self.machine.lc}) + "\n").encode())
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                try:
                    d = json.loads(line)
                except ValueError:
                    writer.write(b'{"error": "not JSON"}\n')
                    continue
                if isinstance(d, dict) and "m" in d:
                    try:
                        msg = Msg.from_json(d)
                    except BadMessage as e:
                        self.log.warning("%s", e)
                        continue
                    if msg.dst != self.name:
                        self.log.warning("message for %s delivered to %s: dropped", msg.dst, self.name)
                        continue
                    self.input(Deliver(msg))
                elif isinstance(d, dict) and "op" in d:
                    if d["op"] == "shutdown":
                        writer.write(b'{"ok": true}\n')
                        self.stop.set()
                        continue
                    self.input(Request(writer, d))
                else:
                    writer.write(b'{"error": "expected a protocol message or a request"}\n')
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            self.log.debug("connection closed: %r", e)
        finally:
            writer.close()

    # -------------------------------------------------------------- main

    async def main(self) -> int:
        self.stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        try:
            scan, note = self.wal.open()
        except NotALog as e:
            self.log.error("%s", e)
            return 2
        if note:
            self.log.warning("%s", note)
        self.clock = ClockFile(self._path("clock"))
        clock = self.clock.read()
        traced = 0
        if self.tracing:
            self.tracer = TraceFile(self._path("trace.jsonl"))
            traced = self.tracer.open()
            if self.tracer.note:
                self.log.warning("%s", self.tracer.note)
        self.log.info("recovering: %s, clock %d", scan.summary(), clock)
        self.execute(self.machine.start(scan.records, clock=clock, traced_lc=traced))
        self.drain()
        server = await asyncio.start_server(self.on_conn, "127.0.0.1", self.port)
        port = server.sockets[0].getsockname()[1]
        write_atomic(self._path("pid"), f"{os.getpid()}\n")
        write_atomic(self._path("addr"), f"127.0.0.1:{port}\n")
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
        if self.tracer:
            self.tracer.close()
        return 0


def serve(machine, directory: str, **kw) -> int:
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {machine.name} %(levelname)s %(message)s")
    logging.Formatter.converter = time.gmtime
    return asyncio.run(Node(machine, directory, **kw).main())
