"""The C backend's breadth-first search, driven from Python through the search's own
bookkeeping (:class:`modelcheck.search.run.Run`).

The C library (``runtime.c`` with the generated model) explores and stores states; this
side hands it the initial states (computed, checked and admitted by the Python model, as
always), calls ``mc_run`` in slices (about ten a second, as the Python loop looks at its
clock: time and memory limits, progress and Ctrl-C behave alike), and turns what C
reports into the Python backend's records: a violated invariant, a step property, a
deadlock or an assertion is recorded by :meth:`Run.record`, whose trace is rebuilt by
replaying the Python model along the C store's parent links. So counterexamples, ITF,
coverage and verdicts come out of the same code as with the Python backend.

A runtime error in the spec stops the C search; the run is then repeated on the Python
backend, which reports it with its source location (:class:`Fallback`). Temporal
properties are decided after the C search on the graph of the stored states, expanded
by the Python model (the liveness checker is the Python backend's).
"""

from __future__ import annotations

import ctypes
import time
import weakref
from typing import Any, Iterator

from ..model import ActionAssertionFailed, BackendFallback, State, temporal_properties
from ..result import PropertyKind, StopReason
from ..search.run import Run, Stop
from ..search.store import Store
from .build import build
from .emit import Emitter
from .layout import Unsupported

ST_RUNNING, ST_EXHAUSTED, ST_INVARIANT, ST_DEADLOCK, ST_STEP, ST_ASSERT, ST_ERROR, ST_MAX_STATES, \
    ST_MAX_DEPTH, ST_NOMEM = range(10)


Fallback = BackendFallback


class Engine:
    """A spec compiled to C and loaded: build once per model, run many times."""

    def __init__(self, model):
        self.model = model
        emitter = Emitter(model.checked)
        from .build import RUNTIME

        self.source = emitter.source(RUNTIME)
        self.codecs = emitter.var_codecs
        built = build(self.source)
        self.lib = built.lib
        self.build_seconds = built.seconds
        self.cached = built.cached
        self.nvars = len(self.codecs)
        self.nlabels = self.lib.mc_nlabels()
        self.invariants = [p for p in model.invariants]
        self.steps = [p for p in model.step_properties]
        if self.nlabels < model._static_count:  # pragma: no cover - the emitter's label table
            raise Unsupported("the C label table does not match the model's")
        self._arr = ctypes.c_int64 * max(1, self.nvars)

    # ------------------------------------------------------------------ values

    def encode(self, s: State):
        ws = [c.encode(v) for c, v in zip(self.codecs, s)]
        for w in ws:
            if not -(1 << 63) <= w < (1 << 63):
                raise BackendFallback("an integer beyond 64 bits")
        return self._arr(*ws)

    def decode(self, buf) -> State:
        return tuple(c.decode(buf[i]) for i, c in enumerate(self.codecs))

    def refuses(self, opts) -> str | None:
        """Why this engine cannot run with ``opts`` (None: it can)."""
        if opts.symmetry and self.model.canonicalizer() is not None and not (
                opts.check_temporal and temporal_properties(self.model)):
            return "the C backend has no symmetry reduction yet (run with --no-symmetry to use it)"
        return None

    def strategy(self, run: Run) -> None:
        """The search, as a strategy for :meth:`Run.execute` (breadth-first)."""
        _NativeSearch(self, run).go()

    def release(self, run: Run) -> None:
        """Free the C store of a finished run (its states are no longer readable)."""
        seen = run.seen
        if isinstance(seen, _Seen) and seen.h:
            self.lib.mc_free(seen.h)
            seen.h = None


class _Seen:
    """The seen map of a run whose states live in C: what :class:`Run` and
    :func:`~modelcheck.search.store.rebuild_trace` ask of a dict (length, membership,
    parent, insertion of an initial state, iteration in discovery order)."""

    def __init__(self, engine: Engine, handle):
        self.e = engine
        self.lib = engine.lib
        self.h = handle
        self._buf = engine._arr()

    def __len__(self) -> int:
        return self.lib.mc_count(self.h)

    def index(self, s: State) -> int:
        return self.lib.mc_find(self.h, self.e.encode(s))

    def __contains__(self, s) -> bool:
        return self.index(s) >= 0

    def state(self, i: int) -> State:
        self.lib.mc_get(self.h, i, self._buf)
        return self.e.decode(self._buf)

    def __getitem__(self, s: State):
        i = self.index(s)
        if i < 0:
            raise KeyError(s)
        p = self.lib.mc_parent(self.h, i)
        return None if p < 0 else self.state(p)

    def __setitem__(self, s: State, parent) -> None:
        assert parent is None, "only initial states are inserted from Python"
        if self.lib.mc_add_initial(self.h, self.e.encode(s)) < 0:
            raise MemoryError("the C backend ran out of memory")

    def __iter__(self) -> Iterator[State]:
        for i in range(len(self)):
            yield self.state(i)


class _NativeStore(Store):
    __slots__ = ()

    def states(self) -> list[State]:
        return list(self.parent)


class _NativeSearch:
    def __init__(self, engine: Engine, run: Run):
        self.e = engine
        self.run = run
        self.lib = engine.lib
        self.g0 = 0

    def go(self) -> None:
        run, lib, e = self.run, self.lib, self.e
        if run.canon is not None:
            raise Unsupported("symmetry reduction")  # the caller checks first; a guard
        opts = run.opts
        h = lib.mc_new(-1 if opts.max_states is None else opts.max_states,
                       -1 if opts.max_depth is None else opts.max_depth, 1 if opts.check_deadlock else 0)
        if not h:
            raise MemoryError("the C backend could not allocate its tables")
        self.h = h
        seen = _Seen(e, h)
        store = _NativeStore()
        store.parent = seen  # type: ignore[assignment]
        run.store = store
        run.seen = seen  # type: ignore[assignment]
        for name in run.violated:     # (none yet; kept for symmetry with --continue)
            self._mark(name)
        # the initial states are counted and checked by the Python side: a violation
        # among them stops the run before C has counted anything (no sync then)
        frontier = run.initial()
        run.depth = 1 if frontier else 0
        try:
            self.loop()
        finally:
            self.sync()

    def _mark(self, name: str) -> None:
        for k, p in enumerate(self.e.invariants):
            if p.name == name:
                self.lib.mc_mark_violated(self.h, k)
        for k, p in enumerate(self.e.steps):
            if p.name == name:
                self.lib.mc_mark_violated(self.h, len(self.e.invariants) + k)

    def sync(self) -> None:
        """Copy the counters into the run (its result reads them)."""
        run, lib, h = self.run, self.lib, self.h
        run.generated = self.g0 + lib.mc_generated(h)
        n = self.e.nlabels
        gen = (ctypes.c_int64 * n)()
        new = (ctypes.c_int64 * n)()
        lib.mc_coverage(h, gen, new)
        for k in range(n):
            if gen[k]:
                run.gen_cov[k] = gen[k]
            if new[k]:
                run.new_cov[k] = new[k]
        if lib.mc_count(h) > 0:
            run.depth = lib.mc_depth(h)
        run.max_frontier = max(run.max_frontier, lib.mc_max_frontier(h))

    def loop(self) -> None:
        run, lib, h = self.run, self.lib, self.h
        self.g0 = run.generated
        info = lib.mc_info(h)
        budget = 256
        while True:
            t0 = time.monotonic()
            st = lib.mc_run(h, budget)
            spent = time.monotonic() - t0
            if st == ST_RUNNING:
                # about a tenth of a second per slice, as Run.tick aims at
                budget = max(16, min(1 << 20, int(budget * 0.1 / spent) if spent > 0 else budget * 2))
                run.generated = self.g0 + lib.mc_generated(h)
                run.depth = lib.mc_depth(h)
                run.tick(lib.mc_queue(h))
                continue
            self.sync()
            if st == ST_EXHAUSTED:
                return
            if st == ST_MAX_STATES:
                run.stop_reason = StopReason.MAX_STATES
                raise Stop
            if st == ST_MAX_DEPTH:
                run.stop_reason = StopReason.MAX_DEPTH
                raise Stop
            if st == ST_NOMEM:
                raise Fallback("the C backend ran out of memory")
            if st == ST_ERROR:
                raise Fallback("a runtime error in the spec (reported by the Python backend)")
            seen: _Seen = run.seen  # type: ignore[assignment]
            if st == ST_INVARIANT:
                p = self.e.invariants[info[0]]
                run.record(p.name, p.cls, PropertyKind.INVARIANT, seen.state(info[1]))
            elif st == ST_DEADLOCK:
                run.record("Deadlock", "deadlock", PropertyKind.DEADLOCK, seen.state(info[1]))
            elif st == ST_STEP:
                p = self.e.steps[info[0]]
                s = seen.state(info[1])
                t = self.e.decode(lib.mc_next(h))
                run.record(p.name, p.cls, PropertyKind.STEP, s, step=(p.check, int(info[2]), t))
            elif st == ST_ASSERT:
                s = seen.state(info[1])
                try:
                    run.model.successors(s)
                except ActionAssertionFailed as exc:
                    run.partial = True
                    run.record(exc.prop, "integrity", PropertyKind.ASSERTION, s, exc.message, exc.label)
                else:  # pragma: no cover - the two backends disagree: never report from C alone
                    raise Fallback("the C backend saw an assertion fail that the Python backend does not")
            else:  # pragma: no cover
                raise AssertionError(st)


_engines: "weakref.WeakKeyDictionary[Any, Engine | Unsupported]" = weakref.WeakKeyDictionary()


def engine_for(model: Any) -> Engine:
    """The C engine of a compiled model (built once per model); raises Unsupported,
    located in the spec when a construct is the reason."""
    got = _engines.get(model)
    if got is None:
        try:
            got = Engine(model)
        except Unsupported as u:
            got = _locate(model, u)
        _engines[model] = got
    if isinstance(got, Unsupported):
        raise got
    return got


def _locate(model: Any, u: Unsupported) -> Unsupported:
    from ..diagnostics import Code, caret_snippet
    from .. import ir

    span = model.spans.get(u.node_id) if u.node_id is not None else None
    text = f"{Code.NATIVE_UNSUPPORTED} the C backend does not support this yet: {u.message}"
    if span is not None:
        text = (f"{span.file}:{span.line}:{span.col}: {text}\n" +
                caret_snippet(ir.source_of(model.checked.module, span.file), span))
    return Unsupported(u.message, u.node_id, text)
