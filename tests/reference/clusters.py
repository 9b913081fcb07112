"""Ending a real two-phase commit cluster in a test: ask every process to stop, kill
what is left, reap them all (no zombie outlives the test)."""

from __future__ import annotations

from reference.twophase import cluster


def reap(procs) -> None:
    """Kill each process still running and wait for every one (at most 10 s each)."""
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=10)


def stop(d: str, procs) -> None:
    """The cluster in ``d`` asked to stop (``cluster stop_all``), then :func:`reap`."""
    cluster.stop_all(d)
    reap(procs)
