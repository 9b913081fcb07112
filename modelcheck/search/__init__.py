"""The explicit-state search, behind the narrow model protocol (:mod:`modelcheck.model`).

After TLC, parts with one job each: the options (:mod:`.options`), the seen map and the
state graph (:mod:`.store`), the bookkeeping and successor pipeline every strategy
shares (:mod:`.run`), the strategies (:mod:`.bfs`, :mod:`.dfs`, :mod:`.simulate`, and
breadth-first in worker processes, :mod:`.parallel`), the
fair-cycle search for temporal properties (:mod:`.liveness`), and the graphs built for
pictures and test generation (:mod:`.graph`, :mod:`.excerpt`).

A backend plugs in here. :func:`explore` is the Python backend (any object with the
:class:`~modelcheck.model.Model` interface); the C backend (:mod:`modelcheck.native`) is a
strategy for the same :class:`Run`, so it keeps the same contract: ``Options`` in, a
frozen :class:`~modelcheck.result.CheckResult` out, with the same counts, verdicts and
traces (traces of states the model can replay); so do the parallel workers.
docs/architecture.md says where each goes.

This package never imports the language front end or the compiler.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Model
from ..result import CheckResult
from .excerpt import Excerpt, excerpt, excerpts_for, fitting_excerpt
from .graph import GraphTooLarge, build_graph
from .options import Options, Progress, SimProgress, Strategy
from .run import CHECK_EVERY, Run, step_violated
from .simulate import simulate
from .store import StateGraph, Store, rebuild_trace

__all__ = [
    "CHECK_EVERY", "Excerpt", "GraphTooLarge", "Options", "Progress", "Run", "SimProgress", "StateGraph",
    "Store", "Strategy", "build_graph", "excerpt", "excerpts_for", "explore", "fitting_excerpt",
    "rebuild_trace", "simulate", "step_violated",
]


def explore(model: Model, opts: Options | None = None) -> CheckResult:
    """Search the state space of ``model`` exhaustively (breadth- or depth-first, as
    ``opts.strategy`` says; a simulation when it says ``simulate``) and return a frozen
    result; breadth-first in ``opts.workers`` processes when that is more than one
    (:mod:`.parallel`), or on the Dask cluster ``opts.cluster`` (:mod:`.cluster`); a run
    they cannot do runs here, with a warning saying why. This
    is the Python backend, whatever ``opts.backend`` says:
    :func:`modelcheck.native.explore` is the entry that chooses."""
    from .bfs import bfs
    from .dfs import dfs

    opts = opts or Options()
    if opts.strategy is Strategy.SIMULATE:
        return simulate(model, opts)
    if opts.auto_workers:   # the default's workers are C workers (native.explore): none here
        opts = replace(opts, workers=1, auto_workers=False)
    strategy = bfs if opts.strategy is Strategy.BFS else dfs
    run = Run(model, opts)
    if opts.workers > 1 or opts.cluster is not None:
        from .parallel import explore_parallel, refusal

        why = refusal(model, opts)
        if why is None:
            if opts.cluster is not None:
                from .cluster import explore_cluster

                return explore_cluster(model, opts)
            return explore_parallel(model, opts)
        asked = f"--cluster {opts.cluster}" if opts.cluster is not None else f"--workers {opts.workers}"
        run.notes.append(f"{asked} not applied: {why}; the search ran in one process")
    return run.execute(strategy)
