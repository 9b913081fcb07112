"""``--time-limit`` held to the clock, whatever the spec's width.

The hot loop looks at the clock only every so many expanded states (:meth:`Run.tick`);
on a wide spec one expansion can take seconds (``twophase.mc`` with ``RM=200``: hundreds
of successors, each checked by invariants quantified over every pair), so a limit
checked there alone ran for minutes past its time (issue 14). A POSIX interval timer
(``SIGALRM``) raises :class:`TimeUp` in the main thread when the time is up, wherever
the search is, at no cost to the hot loop; the same timer, as an interval, reports
progress when the loop itself has not for a while. It is a ``BaseException`` so that no
``except Exception`` in a spec's compiled code swallows it.

The timer nests: a timer already armed (pytest-timeout's, say) that would fire first is
left alone, and one that fires later is restored, less the time spent, when the run
ends. Off the main thread, or without ``setitimer``, nothing is armed and the clock
checks in the loop are all there is.

A signal handler runs wherever the main thread is, and that may be a garbage
collector's callback (Hypothesis installs one), a weak reference's callback or a
``__del__``: an exception raised there is passed to ``sys.unraisablehook`` and dropped,
and the time limit with it. While a timer is armed, the hook is wrapped: a
:class:`Halt` of ours that reaches it is not printed, and the timer fires again a few
milliseconds later, by when the main thread is back in ordinary code.

Depends on nothing in the package.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time


class Halt(BaseException):
    """Raised by the timer's signal handler to end a search (see the subclasses)."""


class TimeUp(Halt):
    """The time limit fired."""


class OutOfMemory(Halt):
    """``--max-memory`` was passed (seen by a beat of the timer)."""


class Deadline:
    """Arm a timer for ``seconds`` (None: no limit); :meth:`guard` decides where it may
    raise. With ``beat`` (seconds) and ``on_beat``, the timer also calls ``on_beat()``
    that often inside guarded regions, so that progress is reported even while one
    state takes longer than that to expand (a wide spec)."""

    def __init__(self, seconds: float | None, beat: float | None = None, on_beat=None):
        self.armed = False
        self.active = False      # raise (and beat) only inside guarded regions
        self.fired = False
        self.on_beat = on_beat if beat else None
        if (seconds is None and self.on_beat is None) or not hasattr(signal, "setitimer"):
            return
        if threading.current_thread() is not threading.main_thread():
            return
        outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
        first = min(x for x in (seconds, beat if self.on_beat else None) if x is not None)
        if outer_left and outer_left <= first:
            return               # an outer timer fires first: let it
        self.outer = (outer_left, outer_interval)
        self.t0 = time.monotonic()
        self.end = None if seconds is None else self.t0 + seconds
        self.prev = signal.signal(signal.SIGALRM, self._handler)
        signal.setitimer(signal.ITIMER_REAL, max(first, 1e-3), beat if self.on_beat else 0)
        self.prev_hook = sys.unraisablehook
        sys.unraisablehook = self._dropped
        self.armed = True

    def _dropped(self, unraisable) -> None:
        """``sys.unraisablehook`` while armed: a Halt raised where Python drops exceptions
        is raised again 5 ms later; anything else goes to the hook there was."""
        if self.armed and isinstance(unraisable.exc_value, Halt):
            self.active = True
            signal.setitimer(signal.ITIMER_REAL, 0.005, signal.getitimer(signal.ITIMER_REAL)[1])
            return
        self.prev_hook(unraisable)

    def _handler(self, signum, frame) -> None:
        if self.end is None or time.monotonic() < self.end - 1e-3:
            if self.active and self.on_beat is not None:
                self.on_beat()
            return
        self.fired = True
        if self.active:
            self.active = False
            raise TimeUp

    def __enter__(self) -> "Deadline":
        self.active = self.armed and not self.fired
        if self.armed and self.fired:
            raise TimeUp
        return self

    def __exit__(self, *exc) -> None:
        self.active = False

    @contextlib.contextmanager
    def paused(self):
        """No raising inside (a violation being recorded, its trace rebuilt or shrunk:
        a counterexample found is never lost to the timer); if the time ran out
        meanwhile, TimeUp is raised on the way out."""
        was, self.active = self.active, False
        try:
            yield
        finally:
            self.active = was
        if was and self.fired:
            self.active = False
            raise TimeUp

    def disarm(self) -> None:
        if not self.armed:
            return
        self.armed = self.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.prev if self.prev is not None else signal.SIG_DFL)
        if sys.unraisablehook == self._dropped:
            sys.unraisablehook = self.prev_hook
        left, interval = self.outer
        if left:
            signal.setitimer(signal.ITIMER_REAL, max(left - (time.monotonic() - self.t0), 1e-3), interval)
