"""Breadth-first search: level by level, so the first violation found has a shortest
counterexample and ``depth`` is TLC's (states on the longest shortest path, the initial
state counted as 1). When temporal properties are to be decided, the transitions are
recorded as the state graph's rows while the search runs (states are expanded in
discovery order), so the liveness checker needs no second expansion.

Depends on this package only.
"""

from __future__ import annotations

from ..result import StopReason
from .run import Run, Stop, pipeline
from .store import GraphRecorder


def bfs(run: Run) -> None:
    frontier = run.initial()
    run.depth = 1 if frontier else 0
    if run.temporal:
        run.recorder = GraphRecorder(run.store.states())
    expand = pipeline(run, run.recorder)
    max_states = run.opts.max_states
    max_depth = run.opts.max_depth
    seen = run.seen
    # the countdown spans levels: a narrow, deep search must still see the clock
    countdown = run.countdown
    while frontier:
        if max_depth is not None and run.depth >= max_depth:
            run.stop_reason = StopReason.MAX_DEPTH
            raise Stop
        if len(frontier) > run.max_frontier:
            run.max_frontier = len(frontier)
        nxt: list = []
        extend = nxt.extend
        for s in frontier:
            countdown -= 1
            if not countdown:
                countdown = run.tick(len(nxt))
            extend(expand(s))
            if max_states is not None and len(seen) >= max_states:
                run.stop_reason = StopReason.MAX_STATES
                raise Stop
        frontier = nxt
        if nxt:
            run.depth += 1
