"""How to search: one :class:`Options` for every strategy, simulation included.

Built once by the caller (the API or the command line); the search reads it before
its loop starts and never changes it. Depends on nothing else in the package.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable


class Strategy(str, enum.Enum):
    """The order in which states are visited."""

    BFS = "bfs"  #: breadth-first: shortest counterexamples, TLC's depth
    DFS = "dfs"  #: depth-first: less memory for the frontier, long counterexamples
    SIMULATE = "simulate"  #: seeded random walks (:mod:`modelcheck.search.simulate`): proves nothing

    def __str__(self) -> str:
        return self.value


#: how long a search with :attr:`Options.auto_workers` runs in one process before it
#: starts again in the workers (a search that ends sooner was not worth forking for)
ALONE_SECONDS = 0.5


@dataclass(frozen=True)
class Progress:
    """What the exhaustive search reports to ``Options.progress`` about once a second."""

    distinct: int
    generated: int
    depth: int
    queue: int
    seconds: float


@dataclass(frozen=True)
class SimProgress:
    """What a simulation reports to ``Options.progress`` about once a second."""

    traces: int
    steps: int
    distinct: int
    seconds: float


@dataclass(frozen=True)
class Options:
    """How to search. ``strategy`` may be given as its name (``"dfs"``).

    For a simulation (``Strategy.SIMULATE``), ``traces`` walks of at most ``max_depth``
    states each (the initial state counted, default 100) are run from ``seed``;
    ``shrink`` shrinks each counterexample. Symmetry and temporal properties do not
    apply to simulation."""

    strategy: Strategy = Strategy.BFS
    #: "python" (the reference), "c" (compiled C, modelcheck.native; an error when the
    #: spec uses what it does not compile) or "auto" (C when it can, else Python)
    backend: str = "python"
    symmetry: bool = True  # use the model's canonicalizer when it has one
    #: report states without successors; None: as the model says (model.checks_deadlock)
    check_deadlock: bool | None = None
    max_states: int | None = None
    max_depth: int | None = None
    time_limit: float | None = None
    #: stop once the process's resident memory exceeds this many megabytes (looked at
    #: with the clock, about ten times a second)
    max_memory_mb: int | None = None
    #: when the time limit's clock started (``time.monotonic()``); None: when the search
    #: starts. The command line starts it when the command starts, so that compiling
    #: the spec counts against ``--time-limit`` too
    started: float | None = field(default=None, compare=False)
    #: stop at the first violation (TLC's default); False keeps exploring and records the
    #: first violation of every property
    stop_at_first: bool = True
    #: decide the model's temporal properties (liveness) after an exhaustive search
    check_temporal: bool = True
    #: breadth-first search in this many worker processes (:mod:`.parallel`,
    #: docs/parallel.md); 1 searches in this process. A run the parallel search cannot
    #: do (depth-first, temporal properties) runs in one process, with a warning
    workers: int = 1
    #: ``workers`` is the command line's default (the number of cores), not asked for:
    #: the search starts in one process and goes to ``workers`` C workers only when it
    #: is still running after :data:`ALONE_SECONDS` (``search/parallel.py:
    #: explore_auto``, docs/parallel.md); a run the workers cannot do, or that would
    #: need Python workers (they gain 1.1-1.2x on two cores), runs in one process
    #: without a warning
    auto_workers: bool = False
    #: run the breadth-first search on a Dask cluster (:mod:`.cluster`, docs/parallel.md):
    #: a scheduler's address (``tcp://host:8786``), or ``"local"`` for a ``LocalCluster``
    #: of ``workers`` processes on this machine; ``workers`` partitions, one Dask actor each
    cluster: str | None = None
    #: called with a :class:`Progress` (:class:`SimProgress` for a simulation)
    progress: Callable[[Progress], None] | None = field(default=None, compare=False)
    progress_every: float = 1.0  # seconds between progress callbacks
    # simulation only
    traces: int = 1000
    seed: int = 0
    shrink: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategy", Strategy(self.strategy))
        if not (isinstance(self.workers, int) and self.workers >= 1):
            raise ValueError(f"workers must be a whole number >= 1, not {self.workers!r}")
