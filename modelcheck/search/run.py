"""One run of a search: the bookkeeping every strategy shares, and the successor
pipeline, written once.

:class:`Run` holds what a run accumulates (the store, counters, coverage, violations)
and turns it into a frozen :class:`~modelcheck.result.CheckResult`. The strategies
(:mod:`.bfs`, :mod:`.dfs`, :mod:`.simulate`) drive it.

The order of checks for every successor is fixed, as in TLC's ``Worker.addElement``
(:func:`pipeline`): step properties on the transition, symmetry representative, seen,
state constraints, then invariants on new states only, then enqueue. A successor that
violates a constraint is discarded (not counted, not checked, not explored) as TLC
does; a state with no successor at all is a deadlock (when deadlock checking is on),
whatever the constraints.

The hot loop does no formatting and no logging: it counts, and every so many expanded
states (at most ``CHECK_EVERY``, about ten times a second) the strategy calls
:meth:`Run.tick` (clock, limits, progress).
Invariants are skipped for a state whose variables read by the invariant are the very
objects of its parent's (the parent passed them); compiled specs reuse the parent's
objects for unchanged variables, so this costs an identity test.

Depends on :mod:`modelcheck.model`, :mod:`modelcheck.result` and this package.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable

from ..diagnostics import Code
from ..model import ActionAssertionFailed, BackendFallback, Model, State, StepProperty, checks_deadlock, temporal_properties
from ..resources import rss_mb
from ..result import (
    ActionCoverage,
    CheckResult,
    PropertyKind,
    PropertyResult,
    StopReason,
    Trace,
    Verdict,
    Violation,
)
from .deadline import Deadline, Halt, OutOfMemory, TimeUp
from .options import Options, Progress
from .store import GraphRecorder, Store

#: at most this many expanded states between two looks at the clock, the limits and the
#: progress callback (fewer on a wide spec: Run.tick aims at about ten looks a second)
CHECK_EVERY = 2048
#: the first look comes after this many
FIRST_CHECK = 1


class Stop(Exception):
    """Raised inside a strategy to end the run (a violation, a limit); the reason is in
    ``Run.stop_reason``."""


class Run:
    """One run of the search; mutable while it runs, turned into a frozen result.

    ``trace_for`` builds the trace of a violation found at a state: by default from the
    store's parent links; a simulation plugs in its walk (and shrinking)."""

    def __init__(self, model: Model, opts: Options):
        self.model = model
        if opts.check_deadlock is None:     # as the model (the spec's options) says
            opts = replace(opts, check_deadlock=checks_deadlock(model))
        self.opts = opts
        all_temporal = temporal_properties(model)
        self.temporal = all_temporal if opts.check_temporal else ()
        self.notes: list[str] = []
        #: the coverage lists only some of the action instances generated (the C
        #: backend's naming of them ran into the time limit): no action is "never enabled"
        self.coverage_partial = False
        #: temporal properties the caller chose not to check: listed as undetermined, and
        #: the overall verdict speaks only of the properties checked
        self.skipped_temporal = () if opts.check_temporal else all_temporal
        if self.skipped_temporal:
            self.notes.append("temporal properties were not checked (--no-temporal)")
        self.canon = model.canonicalizer() if opts.symmetry else None
        if self.canon is not None and self.temporal:
            # liveness on a symmetry-reduced graph is unsound in general (fairness per
            # instance and properties naming values are not symmetric): search it all
            self.canon = None
            self.notes.append("symmetry is not applied: temporal properties are checked on the "
                              "full state graph (use --no-temporal to check safety with symmetry)")
        self.store = Store()
        self.seen = self.store.parent
        self.generated = 0
        self.depth = 0
        self.violations: list[Violation] = []
        self.violated: set[str] = set()
        self.witnesses: list = []
        self.temporal_results: list = []
        self.liveness_seconds: float | None = None
        #: the graph the breadth-first search records for the liveness checker
        self.recorder: GraphRecorder | None = None
        self.stop_reason = StopReason.EXHAUSTED
        self.gen_cov: dict[int, int] = {}
        self.new_cov: dict[int, int] = {}
        self.max_frontier = 0
        self.error: str | None = None
        self.initialising = False
        #: set when some state could not be fully expanded (an assertion failed in it):
        #: then no property may be reported as holding
        self.partial = False
        #: called when the run stops at a violation (a simulation counts the walk)
        self.on_stop: Callable[[], None] | None = None
        self.t0 = time.monotonic()
        #: the time limit's origin: the command's start when given (Options.started)
        self.limit_t0 = opts.started if opts.started is not None else self.t0
        self.next_progress = self.t0 + opts.progress_every
        self.last_tick = self.t0
        self.deadline = Deadline(None)   # execute() arms it
        self.queue = 0                   # the queue's length at the last tick (for progress)
        self.countdown = FIRST_CHECK     # states to expand before the next tick (tick adapts it)
        self.inv_checks = [(p, p.check, p.reads) for p in model.invariants]
        self.step_checks = [(p, p.check, p.reads) for p in model.step_properties]
        self.constraints = [p.check for p in model.constraints]

    # ------------------------------------------------------------------ violations

    def trace_for(self, prop_name: str, state: State, kind: str, step, message: str, failed_label):
        """The trace of a violation found at ``state`` (see :meth:`record`), rebuilt from
        the parent links. With symmetry the replayed trace ends in a state of the same
        orbit as ``state``, not always the same state, so the failing step or assertion
        is found again from that state. Returns ``(trace, message, failed_label)``."""
        trace = self.store.trace_to(self.model, state, self.canon)
        last = trace.states[-1]
        if step is not None:
            check, label, t = step
            if last != state:
                for lab2, t2 in self.model.successors(last):
                    if not check(last, t2):
                        label, t = lab2, t2
                        break
            trace = Trace(trace.states + (t,), trace.labels + (label,))
        elif kind == PropertyKind.ASSERTION and last != state:
            try:
                self.model.successors(last)
            except ActionAssertionFailed as e:
                failed_label, message = e.label, e.message
        return trace, message, failed_label

    def record(self, prop_name: str, cls: str, kind: str, state: State, message: str = "",
               failed_label=None, step=None) -> None:
        """Record the first violation of a property (and stop, unless told to go on).
        ``step`` is ``(check, label, next_state)`` for a step property."""
        if prop_name in self.violated:
            return
        self.violated.add(prop_name)
        with self.deadline.paused():     # a violation found is reported, whatever the clock says
            trace, message, failed_label = self.trace_for(prop_name, state, kind, step, message, failed_label)
            self.violations.append(Violation(prop_name, cls, PropertyKind(kind), trace, message, failed_label))
        if self.opts.stop_at_first:
            if self.on_stop is not None:
                self.on_stop()
            self.stop_reason = StopReason.VIOLATION
            raise Stop

    def check_new(self, t: State, parent: State | None) -> None:
        """Invariants of a new state (skipping those whose inputs did not change)."""
        for p, check, reads in self.inv_checks:
            if parent is not None and reads is not None:
                for i in reads:
                    if t[i] is not parent[i]:
                        break
                else:
                    continue
            if not check(t) and p.name not in self.violated:
                self.record(p.name, p.cls, PropertyKind.INVARIANT, t)

    def check_step(self, s: State, label: int, t: State) -> None:
        for p, check, reads in self.step_checks:
            if reads is not None:
                for i in reads:
                    if t[i] != s[i]:
                        break
                else:
                    continue  # stuttering on everything P reads: [P]_v holds
            if not check(s, t) and p.name not in self.violated:
                # the violating step ends in a state that may not be stored: append it
                self.record(p.name, p.cls, PropertyKind.STEP, s, step=(check, label, t))

    def admit(self, t: State) -> bool:
        for c in self.constraints:
            if not c(t):
                return False
        return True

    # ------------------------------------------------------------------ bookkeeping

    def tick(self, queue: int) -> int:
        """Look at the clock, the limits and the progress callback; return how many
        states to expand before the next look: about a tenth of a second's worth,
        at most ``CHECK_EVERY`` (a wide spec, where one expansion takes long, is
        looked at after every state)."""
        now = time.monotonic()
        opts = self.opts
        self.queue = queue
        if opts.time_limit is not None and now - self.limit_t0 >= opts.time_limit:
            self.stop_reason = StopReason.TIME_LIMIT
            raise Stop
        if opts.max_memory_mb is not None and rss_mb() > opts.max_memory_mb:
            self.stop_reason = StopReason.MAX_MEMORY
            raise Stop
        if opts.progress is not None and now >= self.next_progress:
            self.next_progress = now + opts.progress_every
            opts.progress(Progress(len(self.seen), self.generated, self.depth, queue, now - self.t0))
        spent = now - self.last_tick
        self.last_tick = now
        n = self.countdown
        n = CHECK_EVERY if spent <= 0 else max(1, min(CHECK_EVERY, int(n * 0.1 / spent)))
        self.countdown = n
        return n

    def beat(self) -> None:
        """The timer's beat (:mod:`.deadline`): the memory limit, and progress when the
        loop has not ticked for a while (one state can take seconds to expand on a wide
        spec)."""
        opts = self.opts
        if opts.max_memory_mb is not None and rss_mb() > opts.max_memory_mb:
            raise OutOfMemory
        if opts.progress is None:
            return
        now = time.monotonic()
        if now >= self.next_progress - 0.05:
            self.next_progress = now + self.opts.progress_every
            self.opts.progress(Progress(len(self.seen), self.generated, self.depth, self.queue, now - self.t0))

    def initial(self) -> list[State]:
        """The initial states (representatives, inside the constraints), stored and checked."""
        canon = self.canon
        seen = self.seen
        out = []
        self.initialising = True  # an error now is one of init: fail() explains it so
        for s in self.model.initial_states():
            self.generated += 1
            if canon is not None:
                s = canon(s)
            if s in seen or not self.admit(s):
                continue
            seen[s] = None
            self.check_new(s, None)
            out.append(s)
        self.initialising = False
        return out

    # ------------------------------------------------------------------ the end

    def execute(self, strategy: Callable[["Run"], None]) -> CheckResult:
        """Run ``strategy`` to its end, explain a runtime error, decide temporal
        properties after an exhaustive search, and return the frozen result. A time
        limit is held by a timer too (:mod:`.deadline`), not only by :meth:`tick`."""
        limit = self.opts.time_limit
        deadline = self.deadline = Deadline(None if limit is None else limit - (time.monotonic() - self.limit_t0),
                                            beat_every(self.opts), self.beat)
        try:
            try:
                with deadline:
                    strategy(self)
            except Stop:
                pass
            except Halt as h:
                self.stop_reason = StopReason.TIME_LIMIT if isinstance(h, TimeUp) else StopReason.MAX_MEMORY
            except KeyboardInterrupt:  # Ctrl-C: stop, and report what was found so far (undetermined)
                self.stop_reason = StopReason.INTERRUPTED
            except BackendFallback:    # a native backend gives up: the caller reruns on Python
                raise
            except Exception as exc:  # a runtime error in the spec: explain it, off the hot path
                self.fail(exc, self.seen)
            if self.temporal and self.error is None and self.stop_reason is StopReason.EXHAUSTED and not self.partial:
                try:
                    with deadline:
                        self.check_temporal()
                except (KeyboardInterrupt, Halt) as e:
                    self.stop_reason = (StopReason.TIME_LIMIT if isinstance(e, TimeUp) else
                                        StopReason.MAX_MEMORY if isinstance(e, OutOfMemory) else
                                        StopReason.INTERRUPTED)
                    self.temporal_results.clear()
                except Exception as exc:  # noqa: BLE001 - a runtime error in a temporal formula
                    self.temporal_results.clear()
                    self.stop_reason = StopReason.ERROR
                    self.error = (f"{Code.RUNTIME} runtime error while deciding the temporal properties: "
                                  f"{exc or type(exc).__name__}")
        finally:
            deadline.disarm()
        return self.result(time.monotonic() - self.t0)

    def fail(self, exc: BaseException, candidates) -> None:
        """Record a runtime error, explained on a state that raises it (found among
        ``candidates`` when the exception does not say)."""
        self.stop_reason = StopReason.ERROR
        explained = exc
        state = getattr(exc, "state", None)
        if state is None and self.initialising:
            explained = self.model.explain(None, exc)
        else:
            if state is None:
                state = find_failing_state(self.model, candidates)
            if state is not None:
                explained = self.model.explain(state, exc)
        self.error = str(explained) or type(explained).__name__

    def check_temporal(self) -> None:
        """Decide every temporal property on the explored graph (see :mod:`.liveness`)."""
        from .liveness import decide
        from .store import expand_states

        t0 = time.monotonic()
        model = self.model
        states = self.store.states()
        initial = model.initial_states()
        graph = self.recorder.graph(states, initial) if self.recorder is not None else None
        if graph is None:
            graph = expand_states(model, states, initial)
        out = decide(model, graph, self.temporal)
        self.notes.extend(out.notes)
        self.violations.extend(out.violations)
        self.violated.update(v.property for v in out.violations)
        self.witnesses.extend(out.witnesses)
        self.temporal_results.extend(out.results)
        self.liveness_seconds = time.monotonic() - t0

    def unviolated(self) -> Verdict:
        """The verdict of a checked property that was not found violated (and of the
        whole run when nothing was): ``holds`` only after an exhaustive search."""
        if self.stop_reason is StopReason.EXHAUSTED and not self.partial:
            return Verdict.HOLDS
        return Verdict.UNDETERMINED

    def result(self, seconds: float, unviolated: Verdict | None = None) -> CheckResult:
        model = self.model
        if unviolated is None:
            unviolated = self.unviolated()
        props = []
        groups = (
            [(p.name, p.cls, PropertyKind.INVARIANT) for p in model.invariants]
            + [(p.name, p.cls, PropertyKind.STEP) for p in model.step_properties]
        )
        for name, cls, kind in groups:
            if name in self.violated:
                v = Verdict.VIOLATED
            elif self.error is not None:
                v = Verdict.ERROR
            else:
                v = unviolated
            props.append(PropertyResult(name, cls, kind, v))
        decided = {name: v for name, _, v in self.temporal_results}
        seen_names = set()
        for p in self.temporal + self.skipped_temporal:
            if p.name in seen_names:
                continue
            seen_names.add(p.name)
            if self.error is not None:
                v = Verdict.ERROR
            else:
                v = decided.get(p.name, Verdict.UNDETERMINED)
            props.append(PropertyResult(p.name, p.cls, PropertyKind.TEMPORAL, v))
        for viol in self.violations:
            if viol.kind == PropertyKind.ASSERTION:
                props.append(PropertyResult(viol.property, viol.cls, PropertyKind.ASSERTION, Verdict.VIOLATED))
        if self.opts.check_deadlock:
            if "Deadlock" in self.violated:
                dv = Verdict.DEADLOCK
            elif self.error is not None:
                dv = Verdict.ERROR
            else:
                dv = unviolated
            props.append(PropertyResult("Deadlock", "deadlock", PropertyKind.DEADLOCK, dv))

        if self.error is not None:
            verdict = Verdict.ERROR
        elif any(v.kind != PropertyKind.DEADLOCK for v in self.violations):
            verdict = Verdict.VIOLATED
        elif self.violations:
            verdict = Verdict.DEADLOCK
        else:
            verdict = unviolated

        coverage = []
        enabled_actions = set()
        for label in sorted(self.gen_cov):
            info = model.describe(label)
            enabled_actions.add(info.action)
            coverage.append(
                ActionCoverage(label, info.action, info.show(), self.gen_cov[label], self.new_cov.get(label, 0))
            )
        never = () if self.coverage_partial else tuple(a for a in model.action_names if a not in enabled_actions)
        # Only an exhaustive search may say "never": one that stopped early (a violation, a
        # deadlock, a limit, an error) saw only part of the state space.
        if self.stop_reason == StopReason.EXHAUSTED:
            unused = tuple(f"action {a} was never enabled" for a in never)
        elif self.stop_reason in (StopReason.ERROR, StopReason.WORKER_LOST):
            unused = ()  # the error (the lost worker) is the news; which actions ran before it is noise
        else:
            why = {StopReason.VIOLATION: "at the first counterexample", StopReason.ERROR: "by an error",
                   StopReason.INTERRUPTED: "by Ctrl-C"}.get(
                self.stop_reason, f"by --{self.stop_reason.value}")
            unused = tuple(f"action {a} was not enabled in the states explored (the search stopped {why})"
                           for a in never)
        warnings = unused + tuple(self.notes)
        return CheckResult(
            verdict=verdict,
            stop_reason=self.stop_reason,
            properties=tuple(props),
            violations=tuple(self.violations),
            distinct_states=len(self.seen),
            generated_states=self.generated,
            depth=self.depth,
            seconds=seconds,
            strategy=self.opts.strategy,
            symmetry=self.canon is not None,
            coverage=tuple(coverage),
            never_enabled=never,
            warnings=warnings,
            error=self.error,
            witnesses=tuple(self.witnesses),
            max_frontier=self.max_frontier,
            extra={"liveness_seconds": self.liveness_seconds} if self.liveness_seconds is not None else {},
        )


def beat_every(opts: Options) -> float | None:
    """How often the timer beats: for progress, and often for a memory limit."""
    every = [opts.progress_every] if opts.progress is not None and opts.progress_every > 0 else []
    if opts.max_memory_mb is not None:
        every.append(0.2)
    return min(every) if every else None


class Partition:
    """A parallel worker's share of the states (:mod:`.parallel`): worker ``me`` of ``n``
    keeps the states ``t`` with ``(hash(t) >> shift) % n == me``; the pipeline puts
    another worker's successors in ``boxes[owner]`` (state -> ``parent | label``, once
    per level), ``parent`` being set by the worker before each expansion."""

    __slots__ = ("n", "me", "shift", "boxes", "parent")

    def __init__(self, n: int, me: int, shift: int):
        self.n, self.me, self.shift = n, me, shift
        self.boxes: list[dict] = [{} for _ in range(n)]
        self.parent = 0


def pipeline(run: Run, recorder: GraphRecorder | None = None,
             partition: Partition | None = None) -> Callable[[State], list[State]]:
    """The successor pipeline of ``run``, compiled once: ``expand(s)`` computes the
    successors of ``s``, checks them in TLC's order, stores the new ones and returns them
    (in successor order). ``recorder`` (breadth-first only) also records the transitions
    of ``s`` as its row of the state graph.

    With a ``partition`` (a parallel worker's, :mod:`.parallel`; not with ``recorder``),
    a successor another worker owns, once its representative is taken, is put in that
    worker's box, to be tested against the seen map and checked there; the ones this
    worker owns go on here. Inline, not a call: it is every successor's cost."""
    assert recorder is None or partition is None, "a parallel search records no graph"
    model = run.model
    succ = model.successors
    canon = run.canon
    seen = run.seen
    check_deadlock = run.opts.check_deadlock
    has_steps = bool(run.step_checks)
    has_inv = bool(run.inv_checks)
    has_constraints = bool(run.constraints)
    has_route = partition is not None
    if has_route:
        n, me, shift, boxes = partition.n, partition.me, partition.shift, partition.boxes
    gen_cov = run.gen_cov
    new_cov = run.new_cov
    check_new = run.check_new
    check_step = run.check_step
    admit = run.admit
    record = run.record
    empty: list[State] = []

    if recorder is None:
        def expand(s: State) -> list[State]:
            try:
                succs = succ(s)
            except ActionAssertionFailed as e:
                record(e.prop, "integrity", PropertyKind.ASSERTION, s, e.message, e.label)
                run.partial = True  # s was not fully expanded
                return empty
            if not succs:
                if check_deadlock:
                    record("Deadlock", "deadlock", PropertyKind.DEADLOCK, s)
                return empty
            run.generated += len(succs)
            new = []
            for label, t in succs:
                gen_cov[label] = gen_cov.get(label, 0) + 1
                if has_steps:
                    check_step(s, label, t)
                if canon is not None:
                    t = canon(t)
                if has_route:
                    o = (hash(t) >> shift) % n
                    if o != me:
                        boxes[o].setdefault(t, partition.parent | label)
                        continue
                if t in seen:
                    continue
                if has_constraints and not admit(t):
                    continue
                seen[t] = s
                new_cov[label] = new_cov.get(label, 0) + 1
                if has_inv:
                    check_new(t, s)
                new.append(t)
            return new

        return expand

    index = recorder.index
    rec_start, rec_to, rec_lab = recorder.start, recorder.to, recorder.lab

    def expand_recording(s: State) -> list[State]:
        try:
            succs = succ(s)
        except ActionAssertionFailed as e:
            record(e.prop, "integrity", PropertyKind.ASSERTION, s, e.message, e.label)
            run.partial = True  # s was not fully expanded (its row is missing: no graph)
            return empty
        if not succs:
            rec_start.append(len(rec_to))
            if check_deadlock:
                record("Deadlock", "deadlock", PropertyKind.DEADLOCK, s)
            return empty
        run.generated += len(succs)
        new = []
        for label, t in succs:
            gen_cov[label] = gen_cov.get(label, 0) + 1
            if has_steps:
                check_step(s, label, t)
            if canon is not None:
                t = canon(t)
            if t in seen:
                if t != s:  # a self-loop is stuttering
                    rec_to.append(index[t])
                    rec_lab.append(label)
                continue
            if has_constraints and not admit(t):
                continue
            seen[t] = s
            index[t] = len(index)
            rec_to.append(index[t])
            rec_lab.append(label)
            new_cov[label] = new_cov.get(label, 0) + 1
            if has_inv:
                check_new(t, s)
            new.append(t)
        rec_start.append(len(rec_to))
        return new

    return expand_recording


def find_failing_state(model: Model, candidates) -> State | None:
    """After an unexpected exception, find a state among ``candidates`` whose evaluation
    raises (slow, only on the error path): the most recent ones first."""
    for s in reversed(list(candidates)):
        try:
            model.successors(s)
            for p in model.invariants:
                p.check(s)
        except ActionAssertionFailed:
            continue
        except Exception:
            return s
    return None


def step_violated(prop: StepProperty, s: State, t: State) -> bool:
    """Whether the step ``s -> t`` violates the step property ``prop``, with the meaning
    :meth:`Run.check_step` gives it (inlined there, for speed): a step that leaves every
    variable the property reads unchanged satisfies it (TLA+'s ``[][P]_v``)."""
    reads = prop.reads
    if reads is not None and all(t[i] == s[i] for i in reads):
        return False
    return not prop.check(s, t)
