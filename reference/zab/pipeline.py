"""One client connection's requests, answered in the order they came: ZooKeeper's FIFO
client order, which is what makes a read after the client's own write (or after its
``sync``) see that write.

A write (or a ``sync``) waits for its transaction to be applied; a read that arrives
while requests of the same connection wait is queued behind them and read when its turn
comes, against the tree as it is then. A read with nothing ahead of it is read at once.
The seeded bug ``stale-own-read`` reads the queued read at once instead, and only sends
its answer in turn: the answer is in order, but stale.

Used by the server (server.py, one per connection) and by the deterministic scheduler
(sim.py, one per client), so that both run the same code, the bug included. Depends on
nothing.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

BUG = "stale-own-read"


class Pipeline:
    """The queue of one connection. A slot is ``[request, answer or None, is_read]``;
    ``read(request)`` (the caller's) reads the tree now and returns the answer."""

    __slots__ = ("queue", "stale")

    def __init__(self, bugs=()):
        self.queue: deque = deque()
        self.stale = BUG in bugs

    def __bool__(self) -> bool:
        return bool(self.queue)

    def read(self, request, read: Callable) -> list:
        """A read request: its answer now (a list of one) when nothing waits ahead of it;
        else queued, and nothing to send yet."""
        if not self.queue:
            return [read(request)]
        self.queue.append([request, read(request) if self.stale else None, True])
        return []

    def wait(self, request, answer=None) -> list:
        """A request answered later (a write: :meth:`answer` gives its answer), or one
        whose ``answer`` is known but must wait its turn; its slot."""
        slot = [request, answer, False]
        self.queue.append(slot)
        return slot

    def answer(self, slot: list, answer) -> None:
        slot[1] = answer

    def flush(self, read: Callable) -> list:
        """The answers now due, in order: every request at the head whose answer is known
        (a read is read now, its turn having come)."""
        out = []
        queue = self.queue
        while queue:
            request, answer, is_read = queue[0]
            if answer is None and not is_read:
                break
            queue.popleft()
            out.append(answer if answer is not None else read(request))
        return out
