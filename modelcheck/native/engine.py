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
import hashlib
import time
import weakref
from array import array
from typing import Any, Iterator

from ..model import ActionAssertionFailed, BackendFallback, State, temporal_properties
from ..result import PropertyKind, StopReason
from ..search.options import Strategy
from ..search.run import Run, Stop
from ..search.store import StateGraph, Store
from .build import BuildFailed, CompilerMissing, build
from .emit import ERR_CAP, ERR_WIDTH, Emitter
from .layout import Unsupported, scaled

ST_RUNNING, ST_EXHAUSTED, ST_INVARIANT, ST_DEADLOCK, ST_STEP, ST_ASSERT, ST_ERROR, ST_MAX_STATES, \
    ST_MAX_DEPTH, ST_NOMEM = range(10)


Fallback = BackendFallback


class CapacityFallback(BackendFallback):
    """The C search stopped at a sequence, a set or a map longer than its layout holds
    (``width`` False), or at an integer wider than the field a function packs it in
    (``width`` True): it can start again with larger capacities, or a word per such
    integer (:func:`modelcheck.native.layout.scaled`)."""

    def __init__(self, reason: str, width: bool = False):
        super().__init__(reason)
        self.width = width


class Engine:
    """A spec compiled to C and loaded: build once per model, run many times."""

    def __init__(self, model, build_timeout: float | None = None, scale: int = 1, wide_ints: bool = False):
        self.model = model
        #: the layout it was built with: a cluster's actors build the same (search/cluster.py)
        self.scale, self.wide_ints = scale, wide_ints
        from .build import RUNTIME

        with scaled(scale, wide_ints):
            emitter = Emitter(model.checked)
            self.source = emitter.source(RUNTIME)
        self.codecs = emitter.var_codecs
        #: what another process compares to know it built the same engine (layouts, labels, owners)
        self.digest = hashlib.sha256(self.source.encode()).hexdigest()[:32]
        #: why runs with symmetry are refused (None: symmetry reduction compiled in, or none declared)
        self.canon_refused = emitter.canon_refused
        self.has_canon = emitter.has_canon
        #: action index -> its parameters' codecs, for actions labelled at run time
        self.dynamic = emitter.dynamic
        self.maxp = emitter.maxp
        built = build(self.source, build_timeout)
        self.lib = built.lib
        self.build_seconds = built.seconds
        self.cached = built.cached
        self.nvars = emitter.nwords          # words per state
        self.offsets = emitter.offsets
        self.nlabels = self.lib.mc_nlabels()
        self.invariants = [p for p in model.invariants]
        self.steps = [p for p in model.step_properties]
        if self.nlabels != model._static_count:  # pragma: no cover - the emitter's label table
            raise Unsupported("the C label table does not match the model's")
        self._arr = ctypes.c_int64 * max(1, self.nvars)
        #: word -> value, per variable, memoised: states share values (one object each)
        self.decoders = [_memo(c.decode) for c in self.codecs]

    # ------------------------------------------------------------------ values

    def encode(self, s: State):
        ws = []
        for c, v in zip(self.codecs, s):
            if c.words == 1:
                ws.append(c.encode(v))
            else:
                ws.extend(c.encode(v))
        for w in ws:
            if not -(1 << 63) <= w < (1 << 63):
                raise BackendFallback("an integer beyond 64 bits")
        return self._arr(*ws)

    def decode(self, buf) -> State:
        return tuple(d(buf[o]) if c.words == 1 else d(tuple(buf[o:o + c.words]))
                     for d, c, o in zip(self.decoders, self.codecs, self.offsets))

    def refuses(self, opts) -> str | None:
        """Why this engine cannot run with ``opts`` (None: it can)."""
        if opts.strategy is Strategy.DFS and opts.check_temporal and temporal_properties(self.model):
            # the graph for liveness is recorded row by row in the order of the states
            # (runtime.c: mc_rec_row), which is the order breadth-first search expands them
            return ("the C backend's depth-first search does not record the state graph that temporal "
                    "properties need (leave out --dfs, or add --no-temporal)")
        if opts.symmetry and self.model.canonicalizer() is not None and not (
                opts.check_temporal and temporal_properties(self.model)) and not self.has_canon:
            return f"the C backend cannot reduce this spec's symmetry: {self.canon_refused} (--no-symmetry runs it)"
        return None

    def canon(self, s: State) -> State:
        """The C representative of the orbit of ``s`` (the search stores these)."""
        buf = self.encode(s)
        self.lib.mc_canon_state(buf)
        return self.decode(buf)

    def strategy(self, run: Run) -> None:
        """The search, as a strategy for :meth:`Run.execute` (breadth- or depth-first)."""
        _NativeSearch(self, run).go()

    def release(self, run: Run) -> None:
        """Free the C store of a finished run (its states are no longer readable)."""
        seen = run.seen
        if isinstance(seen, _Seen) and seen.h:
            self.lib.mc_free(seen.h)
            seen.h = None


def _memo(decode, limit: int = 1 << 18):
    cache: dict[int, Any] = {}

    def get(w):
        v = cache.get(w)
        if v is None:
            v = decode(w)
            if len(cache) < limit:
                cache[w] = v
        return v

    return get


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
        """Every stored state, decoded, in discovery order (read from the arena at once)."""
        seen: _Seen = self.parent  # type: ignore[assignment]
        n, nv = len(seen), seen.e.nvars
        e = seen.e
        out: list[State] = []
        # expanded (runtime.c: mc_states) a chunk at a time: a state of a thousand words
        # is stored in a few dozen, and all of them expanded at once would not fit
        chunk = max(1, min(n, (1 << 22) // max(1, nv)))
        buf = (ctypes.c_int64 * (chunk * nv))()
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            seen.lib.mc_states(seen.h, start, m, buf)
            words = memoryview(buf).cast("B").cast("q")[:m * nv]
            cols = []
            for d, c, o in zip(e.decoders, e.codecs, e.offsets):
                if c.words == 1:
                    cols.append(list(map(d, words[o::nv])))
                else:
                    w = c.words
                    cols.append([d(tuple(words[i + o:i + o + w])) for i in range(0, m * nv, nv)])
            out.extend(zip(*cols))
        return out


class _Recorder:
    """The state graph the C search recorded, in :class:`GraphRecorder`'s place."""

    def __init__(self, seen: _Seen, search: "_NativeSearch"):
        self.seen = seen
        self.search = search

    def graph(self, states: list, initial) -> StateGraph | None:
        lib, h = self.seen.lib, self.seen.h
        to_p, lab_p, n = ctypes.POINTER(ctypes.c_int64)(), ctypes.POINTER(ctypes.c_int64)(), ctypes.c_int64()
        start_p = lib.mc_graph(h, ctypes.byref(to_p), ctypes.byref(lab_p), ctypes.byref(n))
        if not start_p:
            return None
        start, to, lab = array("l"), array("l"), array("l")
        start.frombytes(ctypes.string_at(start_p, (len(states) + 1) * 8))
        if n.value:
            to.frombytes(ctypes.string_at(to_p, n.value * 8))
            lab.frombytes(ctypes.string_at(lab_p, n.value * 8))
        self.search.labels()          # every one named (a sync near the time limit may have stopped short)
        cmap = self.search.cmap
        if len(cmap) > self.search.e.nlabels:         # dynamic labels: the model's numbers
            lab = array("l", [cmap[x] for x in lab])
        init = tuple(sorted({i for i in (self.seen.index(s) for s in initial) if i >= 0}))
        return StateGraph(states, init, start, to, lab, self_loops=False)


class _NativeSearch:
    def __init__(self, engine: Engine, run: Run):
        self.e = engine
        self.run = run
        self.lib = engine.lib
        self.g0 = 0
        #: C label -> the model's label (the static ones are the same numbers)
        self.cmap: list[int] = list(range(engine.nlabels))

    def go(self) -> None:
        run, lib, e = self.run, self.lib, self.e
        if run.canon is not None:
            if not e.has_canon:  # pragma: no cover - Engine.refuses said so first
                raise Unsupported("symmetry reduction")
            run.canon = e.canon   # the C representatives: initial states and trace replay use them too
        opts = run.opts
        h = lib.mc_new(-1 if opts.max_states is None else opts.max_states,
                       -1 if opts.max_depth is None else opts.max_depth, 1 if opts.check_deadlock else 0,
                       1 if run.canon is not None else 0)
        if not h:
            raise MemoryError("the C backend could not allocate its tables")
        if opts.strategy is Strategy.DFS:
            lib.mc_set_dfs(h)
        self.h = h
        seen = _Seen(e, h)
        store = _NativeStore()
        store.parent = seen  # type: ignore[assignment]
        run.store = store
        run.seen = seen  # type: ignore[assignment]
        for name in run.violated:     # (none yet; kept for symmetry with --continue)
            self._mark(name)
        if run.temporal:
            lib.mc_record(h)     # the graph for the liveness checker, recorded as the search runs
            run.recorder = _Recorder(seen, self)  # type: ignore[assignment]
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

    def error_text(self, kind: int, node: int) -> str:
        what = {1: "a value outside its type", 2: "a division by zero", 3: "an index outside its range",
                4: "`choose` without a witness", 5: "`min`/`max` of an empty set", 6: "a missing field",
                7: "a 64-bit overflow", 8: "a sequence, a set or a map longer than the C backend's capacity",
                9: "an integer wider than the field a function packs it in",
                10: "a map comprehension giving a key two values"}.get(kind, "an error")
        span = self.run.model.spans.get(node) if node >= 0 else None
        where = f" at {span.file}:{span.line}:{span.col}" if span is not None else ""
        return f"{what}{where}"

    def labels(self, until: float | None = None) -> int:
        """Number, in the model, the dynamic labels the C search numbered since the
        last call, in its order (before anything else may number one: a trace replay).
        With ``until`` (a monotonic time), stop in time for the result to list every
        named label by then too (listing one costs about what naming it did); return
        how many are left unnamed."""
        lib, h, e = self.lib, self.h, self.e
        n = lib.mc_ndyn(h)
        args = (ctypes.c_int64 * e.maxp)()
        k0 = len(self.cmap) - e.nlabels
        t0 = time.monotonic()
        for k in range(k0, n):
            if until is not None and not k & 1023:
                now = time.monotonic()
                if now + (now - t0) / max(1, k - k0) * len(self.cmap) > until:
                    return n - k
            ai = lib.mc_dyn(h, k, args)
            values, off = [], 0
            for c in e.dynamic[ai]:          # each parameter's words, one after the other
                values.append(c.decode(args[off] if c.words == 1 else tuple(args[off:off + c.words])))
                off += c.words
            values = tuple(values)
            self.cmap.append(self.run.model.dynamic_label(ai, values))
        return 0

    def sync(self) -> None:
        """Copy the counters into the run (its result reads them). Under a time limit,
        labels are named until a fiftieth of it past the limit at most: one expansion in
        C can number millions of action instances (an action over ``0..3000000`` did,
        and naming them took 20 s of Python after ``--time-limit 1``); the coverage
        then lists the named ones and says so, and no action is called never enabled."""
        run, lib, h = self.run, self.lib, self.h
        limit = run.opts.time_limit
        unnamed = self.labels(None if limit is None else run.limit_t0 + limit * 1.02)
        if unnamed and not run.coverage_partial:
            run.coverage_partial = True
            run.notes.append(f"the coverage is partial: {unnamed:,} action instances were generated "
                             "but not named before the time limit")
        run.generated = self.g0 + lib.mc_generated(h)
        cmap = self.cmap
        every = self.e.nlabels + lib.mc_ndyn(h)     # what mc_coverage copies
        gen = (ctypes.c_int64 * every)()
        new = (ctypes.c_int64 * every)()
        lib.mc_coverage(h, gen, new)
        for k in range(len(cmap)):
            if gen[k]:
                run.gen_cov[cmap[k]] = gen[k]
            if new[k]:
                run.new_cov[cmap[k]] = new[k]
        if lib.mc_count(h) > 0:
            run.depth = lib.mc_depth(h)
        run.max_frontier = max(run.max_frontier, lib.mc_max_frontier(h))

    def loop(self) -> None:
        run, lib, h = self.run, self.lib, self.h
        self.g0 = run.generated
        info = lib.mc_info(h)
        # a first slice of 16 successors: on a wide spec each one's invariants take tens
        # of milliseconds (twophase with RM=1000: 80 ms, every pair of RMs), and a first
        # slice of 256 states overran --time-limit 10 by 11 s
        budget = 16
        while True:
            t0 = time.monotonic()
            st = lib.mc_run(h, budget)
            spent = time.monotonic() - t0
            if st == ST_RUNNING:
                # about a tenth of a second per slice, as Run.tick aims at; growing at most
                # eightfold a slice, so that one slow slice cannot follow many fast ones
                budget = max(1, min(1 << 22, budget * 8, int(budget * 0.1 / spent) if spent > 0 else budget * 2))
                run.generated = self.g0 + lib.mc_generated(h)
                run.depth = lib.mc_depth(h)
                run.tick(lib.mc_queue(h))
                continue
            self.sync()      # labels first: a trace replay below may number labels too
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
                kind = int(info[0])
                text = self.error_text(kind, int(info[2]))
                raise CapacityFallback(text, kind == ERR_WIDTH) if kind in (ERR_CAP, ERR_WIDTH) else Fallback(text)
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
                if int(info[2]) >= len(self.cmap):
                    self.labels()       # the step's label, left unnamed by a sync near the time limit
                run.record(p.name, p.cls, PropertyKind.STEP, s, step=(p.check, self.cmap[int(info[2])], t))
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


_engines: "weakref.WeakKeyDictionary[Any, dict[Any, Any]]" = weakref.WeakKeyDictionary()  # per model: (scale, wide ints) -> its engine or why not, and whether the spec names wide ints


def names_wide_ints(model: Any) -> bool:
    """Whether the spec writes an integer of more than 31 bits (ZooKeeper's zxids: epoch
    x 2^32 + counter): its functions of ints then get a word per key from the start,
    rather than packed fields that a first search would outgrow."""
    from .. import ir

    return any(isinstance(n, ir.Lit) and type(n.value) is int and abs(n.value) >= 1 << 31
               for n in ir.walk(model.checked.module))


def engine_for(model: Any, build_timeout: float | None = None, scale: int = 1, wide_ints: bool = False) -> Engine:
    """The C engine of a compiled model (built once per model and layout: capacity scale
    and integer width, which is a word per key anyway when :func:`names_wide_ints`);
    raises Unsupported, located in the spec when a construct is the reason, and
    BuildTimeUp (not kept: a later call builds again) when the compiler takes more than
    ``build_timeout``."""
    built = _engines.setdefault(model, {})
    if "names wide ints" not in built:          # the spec's IR walked once per model
        built["names wide ints"] = names_wide_ints(model)
    wide_ints = wide_ints or built["names wide ints"]
    got = built.get((scale, wide_ints))
    if got is None:
        try:
            got = Engine(model, build_timeout, scale, wide_ints)
        except Unsupported as u:
            got = _locate(model, u)
        built[(scale, wide_ints)] = got
    if isinstance(got, Unsupported):
        raise got
    return got


def _locate(model: Any, u: Unsupported) -> Unsupported:
    from ..diagnostics import Code, caret_snippet
    from .. import ir

    if isinstance(u, (CompilerMissing, BuildFailed)):   # not a construct of the spec
        return u
    span = model.spans.get(u.node_id) if u.node_id is not None else None
    text = f"{Code.NATIVE_UNSUPPORTED} the C backend does not support this yet: {u.message}"
    if span is not None:
        text = (f"{span.file}:{span.line}:{span.col}: {text}\n" +
                caret_snippet(ir.source_of(model.checked.module, span.file), span))
    return Unsupported(u.message, u.node_id, text)
