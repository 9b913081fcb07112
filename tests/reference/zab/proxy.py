"""A TCP proxy per network link, for the history tests: it forwards what it receives on a
port of 127.0.0.1 to a target port, after a chosen delay, or cuts the link (a partition).

A server is told to dial the proxy instead of its peer (``via`` of
reference/zab/ensemble.py for our servers, of reference/zab/apache.py for the real
ZooKeeper), so one directed link can be slowed or cut while the others run untouched.
All proxies of a :class:`Proxies` share one asyncio loop in a thread of their own; the
test calls :meth:`Link.set_delay`, :meth:`Link.cut` and :meth:`Link.heal` from its
thread. Depends on the standard library only.

A cut link swallows what is sent on it (connections stay open, as a partition leaves
them: the two ends notice by their own timeouts) and healing it closes those
connections rather than resuming them: bytes were lost, and ZAB needs FIFO channels
that never drop a message silently (a TCP connection either delivers everything or
breaks). Delays keep the order of the bytes: each direction of a connection is one queue.
"""

from __future__ import annotations

import asyncio
import threading
import time


class Link:
    """One listening port forwarding to ``target``; both directions see the same delay."""

    def __init__(self, owner: "Proxies", target: int, name: str):
        self.owner, self.target, self.name = owner, target, name
        self.delay = 0.0
        self.is_cut = False
        self.port = 0
        self.conns: set = set()        # (client writer, target writer) pairs
        self.server = None
        self.forwarded = 0             # bytes forwarded (a test checks the link carried traffic)

    def set_delay(self, seconds: float) -> None:
        self.delay = seconds

    def cut(self) -> None:
        self.is_cut = True

    def heal(self) -> None:
        """Let traffic through again; the connections opened before, which lost bytes
        while cut, are closed (both ends reconnect)."""
        def close_all():
            for a, b in list(self.conns):
                a.close()
                b.close()
            self.conns.clear()
            self.is_cut = False
        self.owner.call(close_all)

    async def _accept(self, reader, writer):
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:     # Proxies.close: ends quietly (asyncio asks why a task ended)
            writer.close()

    async def _serve(self, reader, writer):
        if self.is_cut:
            # across a partition the target never hears of the connection: hold it open
            # and swallow what comes, until healed (heal closes it) or the dialler gives up
            pair = (writer, writer)
            self.conns.add(pair)
            try:
                while await reader.read(65536):
                    pass
            except OSError:
                pass
            self.conns.discard(pair)
            writer.close()
            return
        try:
            t_reader, t_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        pair = (writer, t_writer)
        self.conns.add(pair)

        async def pump(src, dst):
            queue: asyncio.Queue = asyncio.Queue()

            async def deliver():
                while True:
                    due, data = await queue.get()
                    if data is None:
                        break
                    wait = due - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    if pair in self.conns and not self.is_cut:
                        dst.write(data)
                        self.forwarded += len(data)
                dst.close()
            task = asyncio.ensure_future(deliver())
            try:
                while True:
                    data = await src.read(65536)
                    if not data:
                        break
                    if not self.is_cut:        # a cut link loses what is sent on it
                        queue.put_nowait((time.monotonic() + self.delay, data))
            except OSError:
                pass
            queue.put_nowait((0.0, None))
            await task
            self.conns.discard(pair)
        await asyncio.gather(pump(reader, t_writer), pump(t_reader, writer), return_exceptions=True)


class Proxies:
    """The proxies of one test: ``add(target)`` returns a started :class:`Link`;
    ``close()`` stops them all (use as a context manager)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="proxies")
        self.thread.start()
        self.links: list[Link] = []

    def call(self, fn, timeout: float = 10.0):
        """Run ``fn`` (a plain function) in the proxies' loop and wait for it."""
        async def run():
            return fn()
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def add(self, target: int, name: str = "", port: int = 0) -> Link:
        link = Link(self, target, name or f"->{target}")

        async def start():
            link.server = await asyncio.start_server(link._accept, "127.0.0.1", port)
            link.port = link.server.sockets[0].getsockname()[1]
        asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)
        self.links.append(link)
        return link

    def close(self) -> None:
        async def stop():
            for link in self.links:
                if link.server is not None:
                    link.server.close()
                for a, b in list(link.conns):
                    a.close()
                    b.close()
                link.conns.clear()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        try:
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
