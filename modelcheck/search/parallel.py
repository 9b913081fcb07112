"""Breadth-first search in several worker processes (``--workers N``, docs/parallel.md).

The states are partitioned between ``N`` workers by a hash of the state (its
representative when symmetry is on); each worker owns its part of the seen map. The
search is level-synchronous: in round ``k`` every worker

1. admits the candidates for level ``k`` the other workers sent it (seen test,
   constraints, invariants on the new ones, in TLC's order: :func:`~.run.pipeline`'s
   second half, for states that crossed over),
2. expands its level-``k`` states with the run's own :func:`~.run.pipeline` (step
   properties, deadlock, assertions, representatives): a successor it owns goes on
   through the pipeline here, one another worker owns is put in that worker's batch
   (:class:`~.run.Partition`), once per level,
3. sends its batches, pickled, to the coordinator (this process), which hands them on
   for round ``k + 1`` once every worker has finished round ``k``.

So the levels, hence the distinct and generated counts, the depth and the verdicts,
are those of the one-process search, and the first violation found has a
counterexample as long as the one the one-process search reports (of another property,
possibly, where several fail at the same depth): the coordinator keeps the shortest
violation reported in the first round that reports one.

The seen map of a worker maps a state to its parent: the parent state itself when the
worker owns it (no copy), else ``index * N + owner`` (the parent's position in its
owner's list of states), ``None`` for an initial state. A counterexample is rebuilt by
asking the owners along the chain for their segments, then replaying the model
(:func:`~.store.rebuild_trace`) in this process.

Processes are started with ``fork``: the compiled model is inherited, not pickled,
and so is Python's string-hash secret, so ``hash(state)`` (the partition) is the same
in every worker; a start method that does not inherit it (``spawn``) would make the
workers disagree on owners, and is refused (:func:`start_method`). The secret changes
from run to run (unless ``PYTHONHASHSEED`` is set), so which of several shortest
counterexamples is reported, and coverage's "new states" column, may change between
runs; the counts, depth and verdicts do not.

Every wait of the coordinator is bounded: it wakes at least ten times a second, for
the progress callback and to see whether a worker died (its sentinel); a dead worker
ends the run ``undetermined`` (:attr:`~modelcheck.result.StopReason.WORKER_LOST`). The
time limit and Ctrl-C reach the coordinator, which then ends the workers; the workers
ignore SIGINT. Depends on this package and the foundation.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import sys
import time
from dataclasses import replace
from multiprocessing.connection import wait
from typing import NamedTuple

from ..model import BackendFallback, HasDynamicLabels, Model, State, temporal_properties
from ..result import CheckResult, StopReason
from .options import ALONE_SECONDS, Options, Progress, Strategy
from .run import Partition, Run, Stop, pipeline
from .store import Store

#: how long the coordinator sleeps at most between two looks at its workers
POLL = 0.1
#: the partition reads these hash bits, not the lowest ones, which pick the dict slot
#: inside the worker (all of one worker's keys would otherwise share their low bits)
SHIFT = 23
LABEL_BITS = 32
LABEL_MASK = (1 << LABEL_BITS) - 1
_DUMP = pickle.HIGHEST_PROTOCOL


def start_method() -> str | None:
    """``"fork"`` when this platform has it; None otherwise."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else None


def refusal(model: Model, opts: Options) -> str | None:
    """Why ``opts`` cannot run in parallel workers (they then run in one process), or
    None."""
    if opts.strategy is not Strategy.BFS:
        return f"the parallel search is breadth-first ({opts.strategy} is not)"
    if opts.check_temporal and temporal_properties(model):
        return ("temporal properties are decided on the whole state graph in one process "
                "(--no-temporal checks safety in parallel)")
    if opts.cluster is None and start_method() is None:
        return "the parallel search needs the 'fork' start method, which this platform lacks"
    return None


def explore_auto(model: Model, opts: Options, explore) -> CheckResult:
    """A search whose ``opts.workers`` is the default (``opts.auto_workers``), not asked
    for: ``explore`` (the backend's entry) runs it in one process for
    :data:`~.options.ALONE_SECONDS`; a search that ends by then (exhausted, a violation,
    a limit of the user's) is the result, and one that is still running starts again in
    ``opts.workers`` processes, its clock (``--time-limit``) going on. Forking the
    workers and choosing their partition cost a few tenths of a second, more than a
    small search takes alone; what the start in one process costs a large one is
    those tenths too. A run the workers cannot do (:func:`refusal`) runs in one
    process, with no warning: nobody asked for workers. ``modelcheck.native.explore``
    calls this for the C search only: the default does not start Python workers."""
    alone = replace(opts, workers=1, auto_workers=False)
    if opts.workers <= 1 or opts.cluster is not None or refusal(model, opts) is not None:
        return explore(model, alone)
    now = time.monotonic()
    if opts.time_limit is not None:
        if opts.started is None:
            opts = replace(opts, started=now)
        if opts.time_limit - (now - opts.started) <= 2 * ALONE_SECONDS:
            return explore(model, alone)        # the user's limit comes first anyway
    first = explore(model, replace(alone, time_limit=ALONE_SECONDS, started=now, progress=None))
    if first.stop_reason is not StopReason.TIME_LIMIT:
        return first
    result = explore(model, replace(opts, auto_workers=False))
    return replace(result, seconds=result.seconds + first.seconds,
                   extra={**result.extra, "alone_seconds": first.seconds})


def owner(state: State, n: int) -> int:
    """The worker that owns ``state``: the same in every process forked from this one."""
    return (hash(state) >> SHIFT) % n


#: a worker's ``_Done.status`` when its backend gave up (a C worker: a runtime error in the
#: spec, memory), when it outgrew the capacities of its layout, and when an integer outgrew
#: the field its layout packs it in (in the last two it can start again)
FALLBACK = "backend-fallback"
CAPACITY = "backend-capacity"
WIDTH = "backend-width"


class WorkerFallback(BackendFallback):
    """A worker's backend (the C search) could not finish its share: the caller repeats
    the run (in a larger layout when ``capacity``, one with a word per integer when
    ``width`` too, else on the Python workers)."""

    def __init__(self, reason: str, capacity: bool = False, width: bool = False):
        super().__init__(reason)
        self.capacity = capacity or width
        self.width = width


class WorkerLost(Exception):
    """A worker process died (or stopped answering) during the run."""


class WorkerReset(Exception):
    """A worker was asked for a round other than its next: it was started again (a Dask
    actor recreated on another machine after its own was lost) and its states are gone."""


# ---------------------------------------------------------------------------------- worker

class _Report:
    """A violation found by a worker: the local segment of its chain (the state first,
    back to the first parent owned elsewhere), that parent's reference, and what
    :meth:`Run.record` takes, labels in the worker's numbering."""

    __slots__ = ("prop", "cls", "kind", "segment", "ref", "message", "failed_label", "step_label", "step_next",
                 "worker")

    def __init__(self, prop, cls, kind, segment, ref, message, failed_label, step_label, step_next):
        self.prop, self.cls, self.kind = prop, cls, kind
        self.segment, self.ref = segment, ref
        self.message, self.failed_label = message, failed_label
        self.step_label, self.step_next = step_label, step_next
        self.worker = -1


class _Done(NamedTuple):
    """A worker's answer at the end of a round (its batches follow, one per worker in ``to``)."""

    level: int          # states of this level it owns
    stored: int         # states it has stored in all
    generated: int      # successors it has computed in all
    status: str | None  # a StopReason's value when it stopped early
    error: str | None   # a runtime error in the spec, explained
    reports: list       # violations (:class:`_Report`)
    keys: list | None   # its dynamic labels' keys, for the reports' labels
    to: list            # the workers its batches go to, in order
    seconds: float


class _WorkerRun(Run):
    """A worker's share of the run: :class:`Run`'s checks and pipeline, with violations
    reported to the coordinator instead of traced here."""

    def __init__(self, model: Model, opts: Options, me: int, n: int):
        super().__init__(model, opts)
        self.me, self.n = me, n
        self.states: list[State] = []   # index -> state, in the order stored
        self.reports: list[_Report] = []

    def segment(self, state: State):
        """The chain of ``state`` inside this worker, and the reference it ends on."""
        seen = self.seen
        out = []
        x = state
        while True:
            out.append(x)
            p = seen[x]
            if p is None or type(p) is int:
                return out, p
            x = p

    def record(self, prop_name, cls, kind, state, message="", failed_label=None, step=None) -> None:
        if prop_name in self.violated:
            return
        self.violated.add(prop_name)
        segment, ref = self.segment(state)
        label, nxt = (step[1], step[2]) if step is not None else (None, None)
        self.reports.append(_Report(prop_name, str(cls), str(kind), segment, ref, message, failed_label, label, nxt))
        if self.opts.stop_at_first:
            self.stop_reason = StopReason.VIOLATION
            raise Stop


class WorkerCore:
    """A worker's share of the search, whatever carries its messages (pipes to a forked
    process here, a Dask actor in :mod:`.cluster`): one method per message of the
    coordinator, each answering with what crosses back."""

    def __init__(self, model: Model, opts: Options, me: int, n: int):
        share_memory = None if opts.max_memory_mb is None else max(1, opts.max_memory_mb // n)
        self.model, self.me, self.n = model, me, n
        self.run = _WorkerRun(model, replace(opts, progress=None, max_memory_mb=share_memory), me, n)
        self.partition = Partition(n, me, SHIFT)
        self.expand = pipeline(self.run, None, self.partition)
        self.cov_from: list[dict] = [{} for _ in range(n)]
        self.busy = self.codec = 0.0
        self.cpu = time.process_time()  # the processor time of the rounds, whatever else the machine runs
        self.level_start = 0
        #: the rounds done: a coordinator that asks for another round than the next is
        #: talking to a worker started again (a Dask actor recreated elsewhere), whose
        #: states are lost
        self.rounds = 0

    def round(self, k: int, blobs: list, initial) -> tuple[_Done, list]:
        """Round ``k``: admit the batches ``blobs`` (``(sender, pickled box)``) or, in
        round 1, the ``initial`` states this worker owns; expand the level; answer with
        the counts and the pickled batches for the others (``(owner, bytes)``)."""
        if k != self.rounds + 1:
            raise WorkerReset(f"asked for round {k} after {self.rounds}")
        self.rounds = k
        run, me, n = self.run, self.me, self.n
        seen, states = run.seen, run.states
        partition = self.partition
        boxes = partition.boxes          # emptied in place after each round: the pipeline holds it
        expand = self.expand
        max_states = run.opts.max_states  # alone past the bound: stop now; together: at the level's end
        max_depth = run.opts.max_depth
        t0 = time.monotonic()
        # No collection inside a round: its unpickled and outgoing batches are large,
        # short-lived and hold no cycles, yet reach the old generation and set off full
        # collections of the whole store again and again (about a sixth of the workers'
        # processor time on TwoPhase RM=7). Enabled again at the end of the round, the
        # collector looks once at what the round left (the states stored), cycles included.
        gc.disable()
        try:
            status = error = None
            level = 0
            loads = 0.0
            t1 = time.monotonic()
            try:
                # 1. this level's states that other workers found (or the initial ones)
                if initial:
                    for s in initial:
                        if owner(s, n) == me:
                            seen[s] = None
                            states.append(s)
                for w, blob in blobs:
                    c0 = time.monotonic()
                    box = pickle.loads(blob)
                    loads += time.monotonic() - c0
                    _admit(run, box, w, self.cov_from[w])
                hi = len(states)
                lo, self.level_start = self.level_start, hi
                level = hi - lo
                # 2. expand them (unless the depth bound says stop)
                if level and (max_depth is None or k < max_depth):
                    countdown = run.countdown
                    extend = states.extend
                    for i in range(lo, hi):
                        countdown -= 1
                        if not countdown:
                            countdown = run.tick(hi - i)
                        partition.parent = i << LABEL_BITS
                        extend(expand(states[i]))
                        if max_states is not None and len(seen) >= max_states:
                            run.stop_reason = StopReason.MAX_STATES
                            raise Stop
            except Stop:
                status = run.stop_reason.value
            except Exception as exc:  # a runtime error in the spec: explained here, where the state is
                run.fail(exc, seen)
                status, error = StopReason.ERROR.value, run.error
            t2 = time.monotonic()
            self.busy += t2 - t1 - loads
            self.codec += loads
            out = []
            for d in range(n):
                if d != me and boxes[d]:
                    out.append((d, pickle.dumps(boxes[d], _DUMP)))
            for d in range(n):
                boxes[d] = {}
            self.codec += time.monotonic() - t2
            reports, run.reports = run.reports, []
            model = self.model
            keys = model.dynamic_labels() if reports and isinstance(model, HasDynamicLabels) else None
        finally:
            gc.enable()
        return _Done(level, len(seen), run.generated, status, error, reports, keys, [d for d, _ in out],
                     time.monotonic() - t0), out

    def chain(self, k: int, index: int):
        """The chain of this worker's ``index``-th state, and the reference it ends on."""
        if k != self.rounds:
            raise WorkerReset(f"asked for a chain after round {k}, having done {self.rounds}")
        return self.run.segment(self.run.states[index])

    def finish(self, k: int) -> tuple:
        """Coverage, counters and timings, at the end."""
        if k != self.rounds:
            raise WorkerReset(f"asked to finish after round {k}, having done {self.rounds}")
        run, model = self.run, self.model
        keys = model.dynamic_labels() if isinstance(model, HasDynamicLabels) else None
        return (run.gen_cov, run.new_cov, self.cov_from, keys, run.partial, self.busy, self.codec,
                time.process_time() - self.cpu)


def _worker(model: Model, opts: Options, me: int, n: int, conn, others, make_core=None) -> None:
    """A forked worker's life: answer the coordinator's messages until told to finish.
    ``make_core`` makes its :class:`WorkerCore` (or one with the same methods: the C
    search's, :mod:`modelcheck.native.parallel`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C is the coordinator's to handle
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    for c in others:                                 # the coordinator's ends of the other workers' pipes
        c.close()
    parent = os.getppid()
    _die_with_parent(parent)
    core = (make_core or WorkerCore)(model, opts, me, n)

    def recv():
        while not conn.poll(1.0):
            if os.getppid() != parent:               # the coordinator is gone
                os._exit(1)
        return conn.recv()

    while True:
        msg = recv()
        what = msg[0]
        if what == "round":
            _, k, senders, initial = msg
            blobs = [(w, conn.recv_bytes()) for w in senders]
            done, out = core.round(k, blobs, initial)
            conn.send(done)
            for _, blob in out:
                conn.send_bytes(blob)
        elif what == "chain":
            conn.send(core.chain(msg[1], msg[2]))
        elif what == "finish":
            conn.send(core.finish(msg[1]))
            return
        else:  # pragma: no cover - a message of a newer coordinator
            raise RuntimeError(f"unknown message {what!r}")


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this worker when the coordinator dies (SIGKILL,
    say), instead of letting it finish its level first and find the pipe broken."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:                       # it died before the call
        os._exit(1)


def _admit(run: _WorkerRun, box: dict, sender: int, cov: dict) -> None:
    """The owner's half of the pipeline for states another worker generated: seen,
    constraints, store, invariants (on new states only), as :func:`~.run.pipeline`
    does for the states it keeps."""
    seen, states, n = run.seen, run.states, run.n
    has_inv = bool(run.inv_checks)
    has_constraints = bool(run.constraints)
    admit, check_new = run.admit, run.check_new
    append = states.append
    for t, code in box.items():
        if t in seen:
            continue
        if has_constraints and not admit(t):
            continue
        seen[t] = (code >> LABEL_BITS) * n + sender
        label = code & LABEL_MASK
        cov[label] = cov.get(label, 0) + 1
        append(t)
        if has_inv:
            check_new(t, None)


# ---------------------------------------------------------------------------------- coordinator

class _CoordinatorRun(Run):
    """The run as the coordinator keeps it: counters summed over the workers."""

    def __init__(self, model: Model, opts: Options):
        super().__init__(model, opts)
        self.distinct = 0
        self.stats: dict = {}
        #: whether the workers' coverage was gathered (not when they were ended mid-level)
        self.covered = False

    def beat(self) -> None:
        opts = self.opts
        if opts.progress is not None:
            now = time.monotonic()
            if now >= self.next_progress - 0.05:
                self.next_progress = now + opts.progress_every
                opts.progress(Progress(self.distinct, self.generated, self.depth, self.queue, now - self.t0))

    def result(self, seconds: float, unviolated=None) -> CheckResult:
        r = super().result(seconds, unviolated)
        r = replace(r, distinct_states=max(self.distinct, len(self.seen)), extra={**r.extra, **self.stats})
        if not self.covered and self.stats:
            # the workers were ended mid-level: what they covered is unknown, not "never enabled"
            r = replace(r, coverage=(), never_enabled=(), warnings=tuple(self.notes) + (
                "coverage is not reported: the workers were stopped in the middle of a level",))
        return r


class Coordinator:
    """The coordinator's side of the search, whatever carries its messages: it runs the
    rounds, routes the batches, merges counts and coverage, and rebuilds counterexamples.
    A transport (a subclass) starts and ends the workers and implements :meth:`ask`."""

    #: how the workers are named in messages ("worker processes", "Dask actors")
    kind = "worker processes"
    #: what the result's ``extra`` says of the transport besides the number of workers
    extra: dict = {}

    def __init__(self, run: _CoordinatorRun, n: int):
        self.run, self.n = run, n
        self.k = 0      # rounds sent

    def start(self) -> None:
        raise NotImplementedError

    def stop_all(self, grace: float = 0.0) -> None:
        raise NotImplementedError

    def ask(self, method: str, args: dict, doing: str) -> dict:
        """Call ``method`` (``round``, ``chain``, ``finish``: :class:`WorkerCore`'s) on
        each worker ``w`` of ``args`` with ``args[w]``; their answers by worker. Every
        wait is bounded (the progress callback runs in between); a worker lost raises
        :class:`WorkerLost`."""
        raise NotImplementedError

    # ---- the search

    def go(self) -> None:
        run, n = self.run, self.n
        initial = run.initial()             # counted, admitted and checked here, as Run does
        run.distinct = len(initial)
        run.depth = 1 if initial else 0
        init_generated = run.generated
        if not initial:
            return
        t_start = time.monotonic()
        try:
            try:
                self.start()
            except OSError as e:        # no processes to be had (memory, a process limit)
                raise WorkerLost(f"the {n} {self.kind} could not be started ({e}): nothing was "
                                 f"searched beyond the initial states") from None
            self.rounds(initial, init_generated)
        except BaseException:   # a lost worker, the time limit, Ctrl-C: end the workers now
            run.stats = {"workers": n, **self.extra, "rounds_seconds": time.monotonic() - t_start}
            self.stop_all()
            raise
        run.stats = {"workers": n, **self.extra, "rounds_seconds": time.monotonic() - t_start}
        self.finish()

    def rounds(self, initial: list, init_generated: int) -> None:
        """Round after round until a level is empty or something stops the run. The
        initial states go to every worker, which keeps those it owns (by its own hash:
        the coordinator's string-hash secret may differ from the workers')."""
        run, n = self.run, self.n
        relay: list[list] = [[] for _ in range(n)]
        k = 0
        while True:
            k += 1
            self.k = k
            doing = f"during level {k}"
            answers = self.ask("round", {d: (k, relay[d], initial if k == 1 else None) for d in range(n)}, doing)
            relay = [[] for _ in range(n)]
            dones = [answers[w][0] for w in range(n)]
            level = sum(d.level for d in dones)
            # the counters of one round together: the timer (--time-limit) must not stop the
            # run between them (a round's counts with the previous round's depth)
            with run.deadline.paused():
                run.distinct = sum(d.stored for d in dones)
                run.generated = init_generated + sum(d.generated for d in dones)
                # each worker's share (the partition's balance: benchmarks, tests)
                self.extra = {**self.extra, "worker_states": [d.stored for d in dones]}   # not the class's
                if level:
                    run.depth = k
                    run.queue = level
                    if run.opts.max_depth is None or k < run.opts.max_depth:
                        # a level the depth bound leaves unexpanded is not a frontier (as in one process)
                        run.max_frontier = max(run.max_frontier, level)
            gave_up = [d for d in dones if d.status in (FALLBACK, CAPACITY, WIDTH)]
            if gave_up:     # the whole run is repeated (the caller's to decide how)
                raise WorkerFallback(gave_up[0].error, gave_up[0].status == CAPACITY, gave_up[0].status == WIDTH)
            errors = [d.error for d in dones if d.error is not None]
            if errors:
                run.error = errors[0]
                run.stop_reason = StopReason.ERROR
                return
            reports = []
            for w, d in enumerate(dones):
                for r in d.reports:
                    r.worker = w
                    reports.append((r, d.keys))
            if reports:
                with run.deadline.paused():     # a violation found is reported, whatever the clock says
                    self.record(reports)
                if run.opts.stop_at_first:
                    run.stop_reason = StopReason.VIOLATION
                    return
            limits = [StopReason(d.status) for d in dones
                      if d.status is not None and d.status != StopReason.VIOLATION.value]
            if limits:
                run.stop_reason = limits[0]
                return
            if not level:
                return                      # exhausted
            if run.opts.max_depth is not None and k >= run.opts.max_depth:
                run.stop_reason = StopReason.MAX_DEPTH
                return
            if run.opts.max_states is not None and run.distinct >= run.opts.max_states:
                run.stop_reason = StopReason.MAX_STATES
                return
            for w in range(n):
                for d, blob in answers[w][1]:
                    relay[d].append((w, blob))

    def finish(self) -> None:
        """Gather the workers' coverage and timings, and end them."""
        run = self.run
        try:
            answers = self.ask("finish", {w: (self.k,) for w in range(self.n)}, "at the end")
            self.merge(answers)
            self.stop_all(grace=2.0)
        except WorkerLost as e:
            if run.stop_reason in (StopReason.EXHAUSTED, StopReason.MAX_STATES, StopReason.MAX_DEPTH):
                run.stop_reason = StopReason.WORKER_LOST
                run.notes.append(str(e))
            # else: the verdict is already decided (a violation, an error); coverage is missing
        finally:
            self.stop_all()

    def merge(self, answers: dict) -> None:
        run, model = self.run, self.run.model
        keys = {w: a[3] for w, a in answers.items()}
        # a C worker numbers labels itself (its C labels, then its model's): what others
        # admitted from it is in its C numbering, and its ``cmap`` (9th) translates them
        cmaps = {w: (a[8] if len(a) > 8 else None) for w, a in answers.items()}
        busy, codec, cpu = [], [], []
        for w, (gen_cov, new_cov, cov_from, _, partial, b, c, p) in ((w, a[:8]) for w, a in sorted(answers.items())):
            run.partial = run.partial or partial
            busy.append(b)
            codec.append(c)
            cpu.append(p)
            for label, count in gen_cov.items():
                lab = self.relabel(label, keys[w])
                run.gen_cov[lab] = run.gen_cov.get(lab, 0) + count
            for sender, cov, cmap in [(w, new_cov, None)] + [(v, cv, cmaps[v]) for v, cv in enumerate(cov_from)]:
                for label, count in cov.items():
                    lab = self.relabel(label if cmap is None else cmap[label], keys[sender])
                    run.new_cov[lab] = run.new_cov.get(lab, 0) + count
        # which search each worker ran: a C worker's answer has its label map
        run.stats.update(busy_seconds=busy, codec_seconds=codec, cpu_seconds=cpu,
                         worker_backends=["c" if cmaps[w] is not None else "python" for w in sorted(answers)])
        run.covered = True

    def relabel(self, label, keys):
        """A worker's label as this process numbers it."""
        model = self.run.model
        if label is None or keys is None or not isinstance(model, HasDynamicLabels):
            return label
        static = model.static_instances()
        if label < static:
            return label
        return model.dynamic_label(*keys[label - static])

    def chain(self, report: _Report) -> list[State]:
        """The chain of stored states from an initial state to the report's state."""
        chain = list(report.segment)
        ref = report.ref
        while ref is not None:
            w, idx = ref % self.n, ref // self.n
            segment, ref = self.ask("chain", {w: (self.k, idx)}, "while rebuilding a counterexample")[w]
            chain.extend(segment)
            if len(chain) > self.k + 2:     # a state of round k is at depth k + 1 at most
                raise RuntimeError(f"internal: a counterexample's chain of parents is longer than the "
                                   f"{self.k + 1} levels searched (the workers' parent links are wrong)")
        chain.reverse()
        return chain

    def record(self, reports) -> None:
        """Record the reports of one round: per property the shortest (the first of
        the lowest-numbered worker among equals), shortest first."""
        run = self.run
        found = []
        for r, keys in reports:
            chain = self.chain(r)
            found.append((len(chain) + (r.step_next is not None), r.worker, r, keys, chain))
        found.sort(key=lambda f: (f[0], f[1]))
        steps = {p.name: p.check for p in run.model.step_properties}
        for _, _, r, keys, chain in found:
            if r.prop in run.violated:
                continue
            run.store = Store()
            parent = run.store.parent
            prev = None
            for s in chain:
                parent[s] = prev
                prev = s
            step = None
            if r.step_next is not None:
                step = (steps[r.prop], self.relabel(r.step_label, keys), r.step_next)
            try:
                run.record(r.prop, r.cls, r.kind, chain[-1], r.message, self.relabel(r.failed_label, keys), step)
            except Stop:
                return


class _Coordinator(Coordinator):
    """Workers as forked processes, messages over pipes."""

    def __init__(self, run: _CoordinatorRun, n: int):
        super().__init__(run, n)
        #: makes each worker's core (None: :class:`WorkerCore`, the Python pipeline)
        self.make_core = None
        self.procs: list = []
        self.conns: list = []

    def start(self) -> None:
        ctx = multiprocessing.get_context("fork")
        assert ctx.get_start_method() == "fork"   # the partition needs the inherited hash secret
        run = self.run
        for me in range(self.n):
            ours, theirs = ctx.Pipe(duplex=True)
            p = ctx.Process(target=_worker, args=(run.model, run.opts, me, self.n, theirs, self.conns + [ours],
                                                      self.make_core),
                            name=f"modelcheck-worker-{me}", daemon=True)
            p.start()
            theirs.close()
            self.procs.append(p)
            self.conns.append(ours)

    def stop_all(self, grace: float = 0.0) -> None:
        """End the workers: those told to finish get ``grace`` seconds to exit by themselves."""
        end = time.monotonic() + grace
        for p in self.procs:
            p.join(timeout=max(0.0, end - time.monotonic()))
            if p.is_alive():
                p.kill()
        for p in self.procs:
            p.join(timeout=5)
        for c in self.conns:
            c.close()

    def lost(self, w: int, doing: str) -> WorkerLost:
        p = self.procs[w]
        p.join(timeout=0.5)
        code = p.exitcode
        if code is None:
            how = "it stopped answering"
        elif code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exit status {code}"
        return WorkerLost(f"worker {w + 1} of {self.n} (pid {p.pid}) was lost {doing} ({how}): the search "
                          f"stopped; the counts are those of the last completed level, and nothing is proven")

    def send(self, w: int, msg, blobs=(), doing: str = "") -> None:
        try:
            self.conns[w].send(msg)
            for b in blobs:
                self.conns[w].send_bytes(b)
        except (OSError, EOFError):
            raise self.lost(w, doing) from None

    def gather(self, ws, read, doing: str) -> dict:
        """``read(w)`` for every worker in ``ws`` as its answer arrives; a worker that
        dies first ends the run. Never blocks for more than :data:`POLL` without a look
        at the progress callback."""
        pending = set(ws)
        out = {}
        run = self.run
        while pending:
            objs = [self.conns[w] for w in pending] + [self.procs[w].sentinel for w in pending]
            ready = wait(objs, timeout=POLL)
            for w in sorted(pending):
                conn = self.conns[w]
                if conn in ready or (self.procs[w].sentinel in ready and conn.poll()):
                    try:
                        out[w] = read(w)
                    except (OSError, EOFError):
                        raise self.lost(w, doing) from None
                    pending.discard(w)
                elif self.procs[w].sentinel in ready:
                    raise self.lost(w, doing)
            run.beat()
        return out

    def ask(self, method: str, args: dict, doing: str) -> dict:
        for w, a in args.items():
            if method == "round":
                k, relay, initial = a
                self.send(w, ("round", k, [s for s, _ in relay], initial), [b for _, b in relay], doing)
            else:
                self.send(w, (method, *a), doing=doing)

        def read(w):
            conn = self.conns[w]
            answer = conn.recv()
            if method == "round":
                return answer, [(d, conn.recv_bytes()) for d in answer.to]
            return answer

        return self.gather(args, read, doing)


def explore_parallel(model: Model, opts: Options, transport=None, make_core=None) -> CheckResult:
    """The breadth-first search of ``model`` in ``opts.workers`` processes; the caller
    has made sure :func:`refusal` says None. ``transport(run, n)`` makes the
    :class:`Coordinator` (default: forked processes, :class:`_Coordinator`);
    ``make_core(model, opts, me, n)`` each forked worker's core (default
    :class:`WorkerCore`; the C search's has a ``canon``, whose representatives the
    initial states and the trace replay here take too). A worker whose backend gives up
    raises :class:`WorkerFallback` out of this function (the workers ended)."""
    run = _CoordinatorRun(model, opts)
    coordinator = (transport or _Coordinator)(run, opts.workers)
    if make_core is not None:
        coordinator.make_core = make_core
        if run.canon is not None and getattr(make_core, "canon", None) is not None:
            run.canon = make_core.canon

    def strategy(r: Run) -> None:
        try:
            coordinator.go()
        except WorkerLost as e:
            run.stop_reason = StopReason.WORKER_LOST
            run.notes.append(str(e))

    return run.execute(strategy)
