"""The C backend: a spec's typed IR compiled to C, built with the system compiler and
searched breadth-first in C (docs/native.md).

* :mod:`.layout`: every value a 64-bit word (ordinals, bit masks, packed functions);
* :mod:`.emit`: the IR translated to C, construct by construct as the Python compiler;
* ``runtime.c``: the search (store, hash table, queue, the check pipeline);
* :mod:`.build`: gcc, the build cache, ctypes;
* :mod:`.engine`: the C search driven through :class:`modelcheck.search.Run`.

:func:`explore` is the one entry the faces call: it runs the backend ``Options.backend``
asks for (``python``, ``c`` or ``auto``).
"""

from __future__ import annotations

import time
from dataclasses import replace

from ..model import BackendFallback, BackendUnsupported, Model
from ..result import CheckResult, StopReason
from ..search import Options, Run, Strategy
from ..search import explore as explore_python
from ..search.run import Stop
from .build import BuildTimeUp

BACKENDS = ("auto", "c", "python")


def explore(model: Model, opts: Options | None = None) -> CheckResult:
    """Search ``model`` with the backend ``opts.backend`` names."""
    opts = opts or Options()
    if opts.backend == "python" or opts.strategy is Strategy.SIMULATE:
        return explore_python(model, replace(opts, backend="python"))
    if opts.auto_workers:
        from ..search.parallel import explore_auto

        if opts.time_limit is not None and opts.started is None:
            opts = replace(opts, started=time.monotonic())     # the compiler's time counts
        try:    # ... but not as the start's in one process (the engine is kept)
            engine, _ = engine_or_reason(model, opts)
        except BuildTimeUp:
            engine = None
        if engine is None:  # Python workers gain 1.1-1.2x on two cores: not a default's worth
            return explore(model, replace(opts, workers=1, auto_workers=False))
        return explore_auto(model, opts, explore)
    if opts.workers > 1 or opts.cluster is not None:
        from ..search.parallel import refusal

        why = refusal(model, opts)
        if why is not None:     # what workers cannot do runs in one process, as in Python
            asked = f"--cluster {opts.cluster}" if opts.cluster is not None else f"--workers {opts.workers}"
            result = _explore_native(model, replace(opts, workers=1, cluster=None))
            return replace(result, warnings=result.warnings + (
                f"{asked} not applied: {why}; the search ran in one process",))
    return _explore_native(model, opts)


#: a C search that outgrows the capacities of its sequences and sets (4 and 8 elements
#: where the type gives none) starts again with them doubled, up to this many times theirs
MAX_SCALE = 8


def engine_or_reason(model: Model, opts: Options, scale: int = 1, wide_ints: bool = False):
    """``(engine, None)`` when the C backend can run ``model`` with ``opts``, else
    ``(None, why)``; raises nothing but :class:`BackendUnsupported` is kept as the reason
    (its ``located`` text points into the spec)."""
    from ..dsl.compile import CompiledModel
    from .engine import engine_for

    if opts.strategy not in (Strategy.BFS, Strategy.DFS):
        return None, BackendUnsupported("the C backend searches breadth-first and depth-first only")
    if not isinstance(model, CompiledModel):
        return None, BackendUnsupported("the C backend runs models compiled from a spec")
    left = None
    if opts.time_limit is not None:
        # the compiler's time counts (from the command's start when it is given)
        left = opts.time_limit - (time.monotonic() - opts.started if opts.started is not None else 0.0)
    try:
        engine = engine_for(model, left, scale, wide_ints)
    except BackendUnsupported as u:
        return None, u
    why = engine.refuses(opts)
    if why is not None:
        return None, BackendUnsupported(why)
    return engine, None


def _explore_native(model: Model, opts: Options) -> CheckResult:
    """``--backend c`` / ``auto``: the compiled search when the model and the options
    allow it. ``c`` raises :class:`BackendUnsupported` when they do not; ``auto`` runs
    Python and says why in ``backend_note``. A run the C search cannot finish (a runtime
    error in the spec, which the Python backend locates and reports) is repeated on
    Python."""
    from .engine import CapacityFallback

    # refusal() said None: C workers (native/parallel.py), forked or Dask actors (search/cluster.py)
    parallel = opts.workers > 1 or opts.cluster is not None
    if opts.time_limit is not None and opts.started is None:
        # one time limit for the whole run, however many times it starts again
        opts = replace(opts, started=time.monotonic())
    python = replace(opts, backend="python")
    try:
        engine, why = engine_or_reason(model, opts)
    except BuildTimeUp:
        return _built_too_late(model, opts)
    if engine is None:
        if opts.backend == "c":
            raise why
        return replace(explore_python(model, python), backend_note=why.message +
                       ("; the Python workers searched" if parallel else ""))
    scale, wide, note = 1, False, ""
    while True:
        if parallel:
            from ..search.parallel import explore_parallel
            from .parallel import NativeCores

            try:
                if opts.cluster is not None:
                    from ..search.cluster import ActorRefused, explore_cluster
                    from .parallel import ActorCores

                    try:
                        part = _partition(engine, model, opts)
                        result = explore_cluster(model, opts, NativeCores(engine), ActorCores(engine, part.words, part.seed))
                    except ActorRefused as u:   # a worker cannot run the C search: Python actors
                        if opts.time_limit is not None and time.monotonic() - opts.started >= opts.time_limit:
                            # an actor's compiler stopped by the time limit: nothing searched, no refusal
                            return _built_too_late(model, opts, f" (on a Dask worker: {u.message})")
                        if opts.backend == "c":
                            raise
                        return replace(explore_python(model, python),
                                       backend_note=f"{u.message}; the Python workers searched")
                else:
                    part = _partition(engine, model, opts)
                    cores = NativeCores(engine, opts.workers, part.words, part.seed)
                    try:
                        result = explore_parallel(model, opts, make_core=cores)
                    finally:    # the workers have ended
                        cores.close()
            except BackendFallback as f:
                failed = f
            else:
                return replace(result, backend="c", backend_note=note,
                               extra={**result.extra, "partition": part.describe(engine.nvars)})
        else:
            run = Run(model, opts)
            try:
                result = run.execute(engine.strategy)
            except BackendFallback as f:
                failed = f
            else:
                return replace(result, backend="c", backend_note=note)
            finally:
                engine.release(run)
        # a CapacityFallback in one process, a WorkerFallback from C workers
        grow = isinstance(failed, CapacityFallback) or getattr(failed, "capacity", False)
        if grow and (not wide if getattr(failed, "width", False) else scale < MAX_SCALE):
            # the whole search again, in a layout with a word for each integer of a
            # function, or with room for twice as many elements
            if failed.width:
                wide = True
                what = "a word for each integer a function holds"
            else:
                scale *= 2
                what = f"{scale} times the capacities of sequences, sets and maps"
            try:
                engine, _ = engine_or_reason(model, opts, scale, wide)
            except BuildTimeUp:
                engine = None
            if engine is not None:
                again = f"with {what} ({failed.reason})"
                note = f"{note}, and again {again}" if note else f"the C search was started again {again}"
                continue
        return replace(explore_python(model, python),
                       backend_note=f"the C search stopped ({failed.reason}); the run was repeated on Python"
                       + (" workers" if parallel else ""))


def _partition(engine, model: Model, opts: Options):
    """The owner's words for the C workers (native/partition.py), chosen on a sample."""
    from .partition import choose

    use_canon = bool(opts.symmetry and engine.has_canon and model.canonicalizer() is not None)
    seconds = 1e9
    if opts.time_limit is not None:     # a tenth of the time left, at most
        seconds = max(0.0, opts.time_limit - (time.monotonic() - opts.started)) / 10
    return choose(engine, model.initial_states(), use_canon, max(2, opts.workers), seconds)


def _built_too_late(model: Model, opts: Options, where: str = "") -> CheckResult:
    """The result of a run whose time limit was reached while the C compiler worked."""
    run = Run(model, opts)
    run.coverage_partial = True        # nothing was searched: no action is "never enabled"
    run.notes.append(f"--time-limit was reached while the C compiler compiled the spec{where}: nothing was "
                     "checked (a later run compiles again; the compiled spec is cached once a compilation finishes)")
    return replace(run.execute(_time_is_up), backend="c")


def _time_is_up(run: Run) -> None:
    run.stop_reason = StopReason.TIME_LIMIT
    raise Stop
