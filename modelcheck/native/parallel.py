"""The C search inside parallel workers (``--workers N`` with the C backend;
docs/parallel.md: the C backend in the workers).

:class:`NativeWorkerCore` has :class:`~modelcheck.search.parallel.WorkerCore`'s methods
(``round``, ``chain``, ``finish``), so the coordinator, its rounds, counterexamples and
coverage are the Python workers' own; only the worker's share runs in C (runtime.c's
partition mode): admitting the states others sent (seen, constraints, store,
invariants), and expanding its level with the C pipeline, where a successor another
worker owns goes to that worker's box instead of the seen test (its parent's index
here, its label in this worker's C numbering, its whole words packed as runs of zero
and literal words; a repeat within the level is mostly caught by a table of recent
sends, and the owner's seen test drops the rest). Forked workers hand their boxes over
in shared memory (:class:`Segments`), Dask actors as bytes. The owner of a state is a
hash of its words (its representative's): of the words the coordinator chose on a
sample (:mod:`.partition`: words that few steps change, so that most successors stay
with their parent's worker), else of all of them; the same in every process whatever
Python's string-hash secret.

The engine is built (or loaded) by the coordinator before the workers are forked: they
inherit it. A worker whose C search cannot go on (a runtime error in the spec, memory,
a capacity outgrown) says so in its round's answer; the coordinator then raises
:class:`~modelcheck.search.parallel.WorkerFallback` and :func:`modelcheck.native.explore`
repeats the run (larger capacities, or the Python workers, which locate the error).
"""

from __future__ import annotations

import ctypes
import mmap
import struct
import time
from dataclasses import replace

from ..model import ActionAssertionFailed, BackendFallback, BackendUnsupported, HasDynamicLabels, State
from ..result import PropertyKind, StopReason
from ..search.parallel import CAPACITY, FALLBACK, WIDTH, WorkerReset, _Done, _WorkerRun
from ..search.run import Stop
from .emit import ERR_CAP, ERR_WIDTH
from .engine import (ST_ASSERT, ST_DEADLOCK, ST_ERROR, ST_EXHAUSTED, ST_INVARIANT, ST_MAX_STATES, ST_NOMEM,
                     ST_RUNNING, ST_STEP, CapacityFallback, Engine, Fallback, _NativeSearch, _Seen)

ST_LEVEL = 10


class Segments:
    """Memory the forked workers share, made before the fork: two segments per worker,
    into which it copies the boxes it packed in a round (the even rounds' into one, the
    odd rounds' into the other), so that what crosses the pipes is a few words per box
    (:data:`_WHERE`) and the owner admits the states where the sender put them: no copy
    through the kernel and the coordinator, no fresh buffers to fault in. A segment is
    written in round ``k`` and read in round ``k + 1``, when its writer writes the other
    one; it is written again in round ``k + 2``, after every worker finished ``k + 1``
    (a round ends when all have answered).

    Each segment is an anonymous shared mapping of :data:`SEGMENT` bytes reserved
    without being committed (``MAP_NORESERVE``): only the pages a level's boxes touch
    are memory, and they are reused level after level."""

    SEGMENT = 1 << 40

    def __init__(self, n: int):
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_NORESERVE", 0x4000)
        self.maps = [[mmap.mmap(-1, self.SEGMENT, flags=flags) for _ in range(2)] for _ in range(n)]
        self.base = []
        for pair in self.maps:
            ends = [ctypes.c_char.from_buffer(m) for m in pair]
            self.base.append([ctypes.addressof(c) for c in ends])
            del ends        # the addresses stay valid while the mappings are open

    def close(self) -> None:
        for pair in self.maps:
            for m in pair:
                m.close()
        self.maps = []


#: a box in a segment: the round's parity, its offset in bytes, its length in words
_WHERE = struct.Struct("<qqq")


class NativeCores:
    """Makes a forked worker's :class:`NativeWorkerCore` (``make_core`` of
    :func:`~modelcheck.search.parallel.explore_parallel`); ``canon`` is the C
    representative, which the coordinator's initial states and trace replay take too.
    With ``workers`` (forked workers on this machine) it makes their
    :class:`Segments`; :meth:`close` releases them once the workers have ended."""

    def __init__(self, engine: Engine, workers: int = 0, words: tuple[int, ...] = (), seed: int = 0):
        self.engine, self.words, self.seed = engine, words, seed
        self.canon = engine.canon if engine.has_canon else None
        self.segments = Segments(workers) if workers > 1 else None

    def __call__(self, model, opts, me: int, n: int) -> "NativeWorkerCore":
        return NativeWorkerCore(self.engine, model, opts, me, n, self.segments, self.words, self.seed)

    def close(self) -> None:
        if self.segments is not None:
            self.segments.close()


class ActorCores:
    """Makes a Dask actor's :class:`NativeWorkerCore` on the actor's own machine
    (``actor_core`` of :func:`~modelcheck.search.cluster.explore_cluster`): it is sent
    pickled, so it carries the coordinator's engine's layout (capacity scale, integer
    width) and the digest of its C source, not the engine; the actor builds the engine
    for that layout, or loads it from its machine's build cache, and refuses
    (:class:`BackendUnsupported`) when it cannot or when its source differs."""

    def __init__(self, engine: Engine, words: tuple[int, ...] = (), seed: int = 0):
        self.scale, self.wide_ints, self.digest = engine.scale, engine.wide_ints, engine.digest
        # the owner's words and seed (native/partition.py), chosen by the coordinator
        self.words, self.seed = words, seed

    def __call__(self, model, opts, me: int, n: int) -> "NativeWorkerCore":
        from .build import BuildTimeUp
        from .engine import engine_for

        try:
            # the time left to the run bounds the compiler, as in one process
            engine = engine_for(model, opts.time_limit, self.scale, self.wide_ints)
        except BuildTimeUp:
            raise BackendUnsupported("its C compiler did not finish within the time left to the run "
                                     "(--time-limit)") from None
        except BackendUnsupported as u:
            raise BackendUnsupported(f"the C search cannot run there: {u.message}") from None
        if engine.digest != self.digest:
            # another layout would place, pack and number states differently from the others
            raise BackendUnsupported(f"it generated other C code for the spec than the coordinator (engine "
                                     f"{engine.digest}, the coordinator's {self.digest}): is the same version of "
                                     f"modelcheck installed there?")
        return NativeWorkerCore(engine, model, opts, me, n, words=self.words, seed=self.seed)


class _CWorkerRun(_WorkerRun):
    """A C worker's run: its states live in C; a report's segment follows the C
    parent links (a reference below -1 is another worker's state)."""

    core: "NativeWorkerCore"

    def segment(self, state: State):
        return self.core.segment_at(self.seen.index(state))


class NativeWorkerCore:
    """A worker's share of the search in C: :class:`WorkerCore`'s interface."""

    def __init__(self, engine: Engine, model, opts, me: int, n: int, segments: Segments | None = None,
                 words: tuple[int, ...] = (), seed: int = 0):
        self.segments = segments
        share_memory = None if opts.max_memory_mb is None else max(1, opts.max_memory_mb // n)
        self.e, self.lib = engine, engine.lib
        self.model, self.me, self.n = model, me, n
        run = self.run = _CWorkerRun(model, replace(opts, progress=None, max_memory_mb=share_memory), me, n)
        run.core = self
        self.use_canon = run.canon is not None
        if self.use_canon:
            run.canon = engine.canon
        o = run.opts
        h = self.lib.mc_new(-1 if o.max_states is None else o.max_states, -1, 1 if o.check_deadlock else 0,
                            1 if self.use_canon else 0)
        if not h or not self.lib.mc_part_set(h, n, me) or \
                not self.lib.mc_part_words(h, (ctypes.c_int * max(1, len(words)))(*words), len(words), seed):
            raise MemoryError("the C backend could not allocate its tables")
        self.h = h
        run.seen = _Seen(engine, h)  # type: ignore[assignment]
        self.search = _NativeSearch(engine, run)
        self.search.h = h
        self.busy = self.codec = 0.0
        self.cpu = time.process_time()
        self.rounds = 0

    # ---- the coordinator's messages

    def round(self, k: int, blobs: list, initial) -> tuple[_Done, list]:
        if k != self.rounds + 1:
            raise WorkerReset(f"asked for round {k} after {self.rounds}")
        self.rounds = k
        run, lib, h, e = self.run, self.lib, self.h, self.e
        max_depth = run.opts.max_depth
        t0 = time.monotonic()
        status = error = None
        level = 0
        try:
            if initial:
                for s in initial:
                    buf = e.encode(s)
                    if self.use_canon:
                        lib.mc_canon_state(buf)
                    if lib.mc_part_owner(h, buf) == self.me and lib.mc_add_initial(h, buf) < 0:
                        raise Fallback("the C backend ran out of memory")
            for w, blob in blobs:
                self.admit(w, blob)
            level = lib.mc_part_level(h)
            if level and (max_depth is None or k < max_depth):
                self.expand()
        except Stop:
            status = run.stop_reason.value
        except BackendFallback as f:
            status = FALLBACK if not isinstance(f, CapacityFallback) else WIDTH if f.width else CAPACITY
            error = f.reason
        t1 = time.monotonic()
        self.busy += t1 - t0
        out = []
        count = ctypes.c_int64()
        at = 0
        for d in range(self.n):
            if d != self.me:
                ptr = lib.mc_part_box(h, d, ctypes.byref(count))
                size = count.value * 8
                if count.value < 0 or (self.segments is not None and at + size > Segments.SEGMENT):
                    status, error = FALLBACK, "the C backend ran out of memory"
                elif count.value and self.segments is not None:
                    ctypes.memmove(self.segments.base[self.me][k % 2] + at, ptr, size)
                    out.append((d, _WHERE.pack(k % 2, at, count.value)))
                    at += size
                elif count.value:
                    out.append((d, ctypes.string_at(ptr, size)))
        lib.mc_part_clear(h)
        self.codec += time.monotonic() - t1
        reports, run.reports = run.reports, []
        model = self.model
        keys = model.dynamic_labels() if reports and isinstance(model, HasDynamicLabels) else None
        return _Done(level, lib.mc_count(h), lib.mc_generated(h), status, error, reports, keys,
                     [d for d, _ in out], time.monotonic() - t0), out

    def chain(self, k: int, index: int):
        if k != self.rounds:
            raise WorkerReset(f"asked for a chain after round {k}, having done {self.rounds}")
        return self.segment_at(index)

    def finish(self, k: int) -> tuple:
        if k != self.rounds:
            raise WorkerReset(f"asked to finish after round {k}, having done {self.rounds}")
        run, lib, h, model = self.run, self.lib, self.h, self.model
        search = self.search
        search.labels()
        cmap = search.cmap
        every = self.e.nlabels + lib.mc_ndyn(h)
        gen = (ctypes.c_int64 * every)()
        new = (ctypes.c_int64 * every)()
        lib.mc_coverage(h, gen, new)
        gen_cov = {cmap[x]: gen[x] for x in range(every) if gen[x]}
        new_cov = {cmap[x]: new[x] for x in range(every) if new[x]}
        cov_from = []
        for w in range(self.n):
            m = lib.mc_part_nlabels_from(h, w)
            arr = (ctypes.c_int64 * max(1, m))()
            lib.mc_part_cov_from(h, w, arr, m)
            cov_from.append({x: arr[x] for x in range(m) if arr[x]})
        keys = model.dynamic_labels() if isinstance(model, HasDynamicLabels) else None
        return (gen_cov, new_cov, cov_from, keys, run.partial, self.busy, self.codec,
                time.process_time() - self.cpu, list(cmap))

    # ---- the C side

    def segment_at(self, i: int):
        """The chain of this worker's ``i``-th state, back to the first parent owned
        elsewhere (its reference ``index * n + owner``) or to an initial state (None)."""
        lib, h, seen = self.lib, self.h, self.run.seen
        out = []
        while True:
            out.append(seen.state(i))
            p = lib.mc_parent(h, i)
            if p == -1:
                return out, None
            if p < -1:
                return out, -2 - p
            i = p

    def admit(self, sender: int, blob: bytes) -> None:
        lib, h = self.lib, self.h
        if self.segments is not None:   # where the sender put its box
            parity, at, m = _WHERE.unpack(blob)
            buf = ctypes.c_void_p(self.segments.base[sender][parity] + at)
        else:
            buf, m = blob, len(blob) // 8          # words, packed (runtime.c: mc_part_box)
        pos = ctypes.c_int64(0)
        while True:
            st = lib.mc_part_admit(h, buf, m, sender, ctypes.byref(pos))
            if st == ST_EXHAUSTED:
                return
            self.stopped(st)

    def expand(self) -> None:
        lib, h, run = self.lib, self.h, self.run
        budget = 16
        while True:
            t0 = time.monotonic()
            st = lib.mc_run(h, budget)
            if st == ST_RUNNING:
                spent = time.monotonic() - t0
                budget = max(1, min(1 << 22, budget * 8, int(budget * 0.1 / spent) if spent > 0 else budget * 2))
                run.tick(0)         # the time and memory limits (Stop)
                continue
            if st == ST_LEVEL:
                return
            self.stopped(st)

    def stopped(self, st: int) -> None:
        """What the C search returned other than 'go on': a violation is recorded (and
        raises Stop at the first, unless --continue), a limit or a failure raises."""
        run, lib, h, e = self.run, self.lib, self.h, self.e
        search = self.search
        search.labels()      # before a replay below numbers labels in the model
        info = lib.mc_info(h)
        seen: _Seen = run.seen  # type: ignore[assignment]
        if st == ST_MAX_STATES:
            run.stop_reason = StopReason.MAX_STATES
            raise Stop
        if st == ST_NOMEM:
            raise Fallback("the C backend ran out of memory")
        if st == ST_ERROR:
            code = int(info[0])
            text = search.error_text(code, int(info[2]))
            if code in (ERR_CAP, ERR_WIDTH):
                raise CapacityFallback(text, width=code == ERR_WIDTH)
            raise Fallback(text)
        if st == ST_INVARIANT:
            p = e.invariants[info[0]]
            run.record(p.name, p.cls, PropertyKind.INVARIANT, seen.state(info[1]))
        elif st == ST_DEADLOCK:
            run.record("Deadlock", "deadlock", PropertyKind.DEADLOCK, seen.state(info[1]))
        elif st == ST_STEP:
            p = e.steps[info[0]]
            s = seen.state(info[1])
            t = e.decode(lib.mc_next(h))
            run.record(p.name, p.cls, PropertyKind.STEP, s, step=(p.check, search.cmap[int(info[2])], t))
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
