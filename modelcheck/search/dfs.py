"""Depth-first search: a stack of ``(state, depth)``; successors are pushed in reverse so
that the first successor is explored first. ``depth`` is the deepest stack reached, and
``max_frontier`` the longest the stack was (after the initial states and after each
expansion's pushes: the C backend's depth-first search counts it the same way). A
depth-limited search that cut some state short is not exhaustive (undetermined).

Depends on this package only.
"""

from __future__ import annotations

from ..result import StopReason
from .run import Run, Stop, pipeline


def dfs(run: Run) -> None:
    stack = [(s, 1) for s in reversed(run.initial())]
    run.depth = 1 if stack else 0
    longest = len(stack)
    expand = pipeline(run)
    max_states = run.opts.max_states
    max_depth = run.opts.max_depth
    seen = run.seen
    countdown = run.countdown
    try:
        while stack:
            s, d = stack.pop()
            countdown -= 1
            if not countdown:
                countdown = run.tick(len(stack))
            if d > run.depth:
                run.depth = d
            if max_depth is not None and d >= max_depth:
                run.stop_reason = StopReason.MAX_DEPTH
                continue
            new = expand(s)
            if new:
                d1 = d + 1
                stack.extend([(t, d1) for t in reversed(new)])
                if len(stack) > longest:
                    longest = len(stack)
            if max_states is not None and len(seen) >= max_states:
                run.stop_reason = StopReason.MAX_STATES
                raise Stop
        if run.stop_reason is StopReason.MAX_DEPTH:
            raise Stop
    finally:
        # the result reads it once, however the search ends: exhausted, a violation or a
        # limit inside expand or tick (Stop)
        run.max_frontier = max(run.max_frontier, longest)
