"""The explicit-state search: breadth-first (default) and depth-first.

Four parts with one job each, after TLC: the model (``Model``: initial states,
successors, properties), the frontier (a list per BFS level, or a DFS stack), the seen
map (state -> parent state; test-and-insert is one dict operation), and traces rebuilt
by replaying ``successors`` along the parent chain (:func:`rebuild_trace`).

The order of checks for every successor is fixed, as in TLC's ``Worker.addElement``:
step properties on the transition, symmetry representative, seen, state constraints,
then invariants on new states only, then enqueue. A successor that violates a
constraint is discarded (not counted, not checked, not explored) as TLC does; a state
with no successor at all is a deadlock (when deadlock checking is on), whatever the
constraints.

The hot loop does no formatting and no logging: it counts, and every
``CHECK_EVERY`` expanded states it looks at the clock, the limits and the progress
callback. Invariants are skipped for a state whose variables read by the invariant are
the very objects of its parent's (the parent passed them); compiled specs reuse the
parent's objects for unchanged variables, so this costs an identity test.

The seen map holds whole states (exact: no fingerprint collisions). Memory is about the
size of the reachable states; see ``benchmarks/`` for figures.

Depends on :mod:`modelcheck.model` and :mod:`modelcheck.result`.
"""

from __future__ import annotations

import time
from array import array
from dataclasses import dataclass, field
from typing import Callable

from .model import ActionAssertionFailed, Model, State, StepProperty
from .result import (
    ActionCoverage,
    CheckResult,
    PropertyResult,
    StopReason,
    Trace,
    Verdict,
    Violation,
    Witness,
)

CHECK_EVERY = 2048


@dataclass(frozen=True)
class Progress:
    distinct: int
    generated: int
    depth: int
    queue: int
    seconds: float


@dataclass(frozen=True)
class Options:
    """How to search. Built once; the explorer reads it before the loop starts."""

    strategy: str = "bfs"  # "bfs" | "dfs"
    symmetry: bool = True  # use the model's canonicalizer when it has one
    check_deadlock: bool = True
    max_states: int | None = None
    max_depth: int | None = None
    time_limit: float | None = None
    #: stop at the first violation (TLC's default); False keeps exploring and records the
    #: first violation of every property
    stop_at_first: bool = True
    #: decide the model's temporal properties (liveness) after an exhaustive search
    check_temporal: bool = True
    progress: Callable[[Progress], None] | None = field(default=None, compare=False)
    progress_every: float = 1.0  # seconds between progress callbacks


class _Stop(Exception):
    pass


class _Search:
    """One run of the search; mutable while it runs, turned into a frozen CheckResult."""

    def __init__(self, model: Model, opts: Options):
        self.model = model
        self.opts = opts
        all_temporal = tuple(getattr(model, "temporal_properties", ()))
        self.temporal = all_temporal if opts.check_temporal else ()
        self.notes: list[str] = []
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
        self.temporal_results: list = []
        self.liveness_seconds: float | None = None
        #: the transitions recorded by a BFS for the liveness checker (start, to, label)
        self.recorded = None
        self.witnesses: list = []
        self.seen: dict[State, State | None] = {}
        self.generated = 0
        self.depth = 0
        self.violations: list[Violation] = []
        self.violated: set[str] = set()
        self.stop_reason = StopReason.EXHAUSTED
        self.gen_cov: dict[int, int] = {}
        self.new_cov: dict[int, int] = {}
        self.max_frontier = 0
        self.error: str | None = None
        #: set when some state could not be fully expanded (an assertion failed in it):
        #: then no property may be reported as holding
        self.partial = False
        self.t0 = time.monotonic()
        self.next_progress = self.t0 + opts.progress_every
        inv = model.invariants
        self.inv_checks = [(p, p.check, p.reads) for p in inv]
        self.step_checks = [(p, p.check, p.reads) for p in model.step_properties]
        self.constraints = [p.check for p in model.constraints]

    # ------------------------------------------------------------------ violations

    def _record(self, prop_name, cls, kind, state, message="", failed_label=None, step=None):
        """Record the first violation of a property (and stop, unless told to go on).

        ``step`` is ``(check, label, next_state)`` for a step property. With symmetry the
        replayed trace ends in a state of the same orbit as ``state``, not always the
        same state, so the failing step or assertion is found again from that state."""
        if prop_name in self.violated:
            return
        self.violated.add(prop_name)
        trace = rebuild_trace(self.model, self.seen, state, self.canon)
        last = trace.states[-1]
        if step is not None:
            check, label, t = step
            if last != state:
                for lab2, t2 in self.model.successors(last):
                    if not check(last, t2):
                        label, t = lab2, t2
                        break
            trace = Trace(trace.states + (t,), trace.labels + (label,))
        elif kind == "assertion" and last != state:
            try:
                self.model.successors(last)
            except ActionAssertionFailed as e:
                failed_label, message = e.label, e.message
        self.violations.append(Violation(prop_name, cls, kind, trace, message, failed_label))
        if self.opts.stop_at_first:
            self.stop_reason = StopReason.VIOLATION
            raise _Stop

    def _check_new(self, t: State, parent: State | None) -> None:
        """Invariants of a new state (skipping those whose inputs did not change)."""
        for p, check, reads in self.inv_checks:
            if parent is not None and reads is not None:
                for i in reads:
                    if t[i] is not parent[i]:
                        break
                else:
                    continue
            if not check(t) and p.name not in self.violated:
                self._record(p.name, p.cls, "invariant", t)

    def _check_step(self, s: State, label: int, t: State) -> None:
        for p, check, reads in self.step_checks:
            if reads is not None:
                for i in reads:
                    if t[i] != s[i]:
                        break
                else:
                    continue  # stuttering on everything P reads: [P]_v holds
            if not check(s, t) and p.name not in self.violated:
                # the violating step ends in a state that may not be stored: append it
                self._record(p.name, p.cls, "step", s, step=(check, label, t))

    def _admit(self, t: State) -> bool:
        for c in self.constraints:
            if not c(t):
                return False
        return True

    # ------------------------------------------------------------------ bookkeeping

    def _tick(self, queue: int) -> None:
        now = time.monotonic()
        opts = self.opts
        if opts.time_limit is not None and now - self.t0 >= opts.time_limit:
            self.stop_reason = StopReason.TIME_LIMIT
            raise _Stop
        if opts.progress is not None and now >= self.next_progress:
            self.next_progress = now + opts.progress_every
            opts.progress(Progress(len(self.seen), self.generated, self.depth, queue, now - self.t0))

    def _initial(self) -> list[State]:
        canon = self.canon
        seen = self.seen
        out = []
        for s in self.model.initial_states():
            self.generated += 1
            if canon is not None:
                s = canon(s)
            if s in seen or not self._admit(s):
                continue
            seen[s] = None
            self._check_new(s, None)
            out.append(s)
        return out

    # ------------------------------------------------------------------ strategies

    def bfs(self) -> None:
        model = self.model
        succ = model.successors
        canon = self.canon
        seen = self.seen
        opts = self.opts
        check_deadlock = opts.check_deadlock
        has_steps = bool(self.step_checks)
        has_inv = bool(self.inv_checks)
        has_constraints = bool(self.constraints)
        max_states = opts.max_states
        max_depth = opts.max_depth
        gen_cov = self.gen_cov
        new_cov = self.new_cov
        check_new = self._check_new

        frontier = self._initial()
        self.depth = 1 if frontier else 0
        # the countdown spans levels: a narrow, deep search must still see the clock
        countdown = CHECK_EVERY
        # for temporal properties, record the transitions as state indices (BFS expands
        # states in discovery order, so row i of the graph belongs to the i-th state)
        record = bool(self.temporal)
        if record:
            index = {t: i for i, t in enumerate(seen)}
            rec_start, rec_to, rec_lab = array("l", [0]), array("l"), array("l")
            self.recorded = (rec_start, rec_to, rec_lab)
        while frontier:
            if max_depth is not None and self.depth >= max_depth:
                self.stop_reason = StopReason.MAX_DEPTH
                raise _Stop
            self.max_frontier = max(self.max_frontier, len(frontier))
            nxt: list[State] = []
            append = nxt.append
            for s in frontier:
                countdown -= 1
                if not countdown:
                    countdown = CHECK_EVERY
                    self._tick(len(nxt))
                try:
                    succs = succ(s)
                except ActionAssertionFailed as e:
                    self._record(e.prop, "integrity", "assertion", s, e.message, e.label)
                    self.partial = True  # s was not fully expanded
                    continue
                if not succs:
                    if record:
                        rec_start.append(len(rec_to))
                    if check_deadlock:
                        self._record("Deadlock", "deadlock", "deadlock", s)
                    continue
                self.generated += len(succs)
                for label, t in succs:
                    gen_cov[label] = gen_cov.get(label, 0) + 1
                    if has_steps:
                        self._check_step(s, label, t)
                    if canon is not None:
                        t = canon(t)
                    if t in seen:
                        if record and t != s:  # a self-loop is stuttering
                            rec_to.append(index[t])
                            rec_lab.append(label)
                        continue
                    if has_constraints and not self._admit(t):
                        continue
                    seen[t] = s
                    if record:
                        index[t] = len(index)
                        rec_to.append(index[t])
                        rec_lab.append(label)
                    new_cov[label] = new_cov.get(label, 0) + 1
                    if has_inv:
                        check_new(t, s)
                    append(t)
                if record:
                    rec_start.append(len(rec_to))
                if max_states is not None and len(seen) >= max_states:
                    self.stop_reason = StopReason.MAX_STATES
                    raise _Stop
            frontier = nxt
            if nxt:
                self.depth += 1

    def dfs(self) -> None:
        model = self.model
        succ = model.successors
        canon = self.canon
        seen = self.seen
        opts = self.opts
        check_deadlock = opts.check_deadlock
        has_steps = bool(self.step_checks)
        has_inv = bool(self.inv_checks)
        has_constraints = bool(self.constraints)
        max_states = opts.max_states
        max_depth = opts.max_depth
        gen_cov = self.gen_cov
        new_cov = self.new_cov
        check_new = self._check_new

        # the stack holds (state, depth); successors are pushed in reverse so that the
        # first successor is explored first
        stack = [(s, 1) for s in reversed(self._initial())]
        self.depth = 1 if stack else 0
        countdown = CHECK_EVERY
        while stack:
            s, d = stack.pop()
            countdown -= 1
            if not countdown:
                countdown = CHECK_EVERY
                self.max_frontier = max(self.max_frontier, len(stack))
                self._tick(len(stack))
            if d > self.depth:
                self.depth = d
            if max_depth is not None and d >= max_depth:
                self.stop_reason = StopReason.MAX_DEPTH
                continue
            try:
                succs = succ(s)
            except ActionAssertionFailed as e:
                self._record(e.prop, "integrity", "assertion", s, e.message, e.label)
                self.partial = True  # s was not fully expanded
                continue
            if not succs:
                if check_deadlock:
                    self._record("Deadlock", "deadlock", "deadlock", s)
                continue
            self.generated += len(succs)
            pushed = []
            for label, t in succs:
                gen_cov[label] = gen_cov.get(label, 0) + 1
                if has_steps:
                    self._check_step(s, label, t)
                if canon is not None:
                    t = canon(t)
                if t in seen:
                    continue
                if has_constraints and not self._admit(t):
                    continue
                seen[t] = s
                new_cov[label] = new_cov.get(label, 0) + 1
                if has_inv:
                    check_new(t, s)
                pushed.append((t, d + 1))
            stack.extend(reversed(pushed))
            if max_states is not None and len(seen) >= max_states:
                self.stop_reason = StopReason.MAX_STATES
                raise _Stop
        # a depth-limited DFS that cut some state short is not exhaustive
        if self.stop_reason is StopReason.MAX_DEPTH:
            raise _Stop

    # ------------------------------------------------------------------ driver

    def run(self) -> CheckResult:
        model = self.model
        try:
            if self.opts.strategy == "bfs":
                self.bfs()
            elif self.opts.strategy == "dfs":
                self.dfs()
            else:
                raise ValueError(f"unknown strategy {self.opts.strategy!r}")
        except _Stop:
            pass
        except ActionAssertionFailed:  # pragma: no cover - handled in the loops
            raise
        except Exception as exc:  # a runtime error in the spec: explain it, off the hot path
            self.stop_reason = StopReason.ERROR
            explained = exc
            state = getattr(exc, "state", None)
            if state is None:
                state = _find_failing_state(model, self.seen)
            if state is not None:
                explained = model.explain(state, exc)
            self.error = str(explained) or type(explained).__name__
        if self.temporal and self.error is None and self.stop_reason is StopReason.EXHAUSTED and not self.partial:
            self._check_temporal()
        seconds = time.monotonic() - self.t0
        return self._result(seconds)

    def _check_temporal(self) -> None:
        """Decide every temporal property on the explored graph (see modelcheck.liveness)."""
        from .liveness import LivenessChecker

        t0 = time.monotonic()
        model = self.model
        checker = LivenessChecker(model, list(self.seen), model.initial_states(), recorded=self.recorded)
        for f in checker.never_enabled_fairness():
            self.notes.append(f"fairness `{f}`: the action never takes a step that changes the state")
        by_name: dict[str, list] = {}
        for prop in self.temporal:
            by_name.setdefault(prop.name, []).append(prop)
        for name, instances in by_name.items():
            first = instances[0]
            failed = None
            vacuous = []
            witness = None
            for prop in instances:
                out = checker.check(prop)
                if out.vacuous:
                    vacuous.append(prop.instance)
                if prop.kind == "reachable":
                    if out.holds and witness is None:
                        witness = Witness(name, prop.cls, out.trace, prop.instance)
                    if not out.holds:
                        failed = Violation(name, prop.cls, "temporal", Trace((), ()),
                                           _instance_message(prop, "no reachable state satisfies it"))
                        break
                elif not out.holds:
                    failed = Violation(name, prop.cls, "temporal", out.trace, _instance_message(prop, ""))
                    break
            if failed is not None:
                self.violations.append(failed)
                self.violated.add(name)
            elif witness is not None:
                self.witnesses.append(witness)
            if vacuous and failed is None and len(vacuous) == len(instances):
                self.notes.append(f"{name}: the premise of `~>` never holds, so it holds vacuously")
            elif vacuous and failed is None:
                self.notes.append(f"{name}: the premise of `~>` never holds for "
                                  + ", ".join(v or "it" for v in vacuous) + " (vacuous there)")
            self.temporal_results.append((name, first.cls, Verdict.VIOLATED if failed else Verdict.HOLDS))
        self.liveness_seconds = time.monotonic() - t0

    def _unviolated(self) -> Verdict:
        """The verdict of a checked property that was not found violated (and of the
        whole run when nothing was): ``holds`` only after an exhaustive search.
        (:mod:`modelcheck.simulate` overrides this: a simulation never proves anything.)"""
        if self.stop_reason is StopReason.EXHAUSTED and not self.partial:
            return Verdict.HOLDS
        return Verdict.UNDETERMINED

    def _result(self, seconds: float) -> CheckResult:
        model = self.model
        unviolated = self._unviolated()
        props = []
        groups = (
            [(p.name, p.cls, "invariant") for p in model.invariants]
            + [(p.name, p.cls, "step") for p in model.step_properties]
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
            props.append(PropertyResult(p.name, p.cls, "temporal", v))
        for viol in self.violations:
            if viol.kind == "assertion":
                props.append(PropertyResult(viol.property, viol.cls, "assertion", Verdict.VIOLATED))
        if self.opts.check_deadlock:
            if "Deadlock" in self.violated:
                dv = Verdict.DEADLOCK
            elif self.error is not None:
                dv = Verdict.ERROR
            else:
                dv = unviolated
            props.append(PropertyResult("Deadlock", "deadlock", "deadlock", dv))

        if self.error is not None:
            verdict = Verdict.ERROR
        elif any(v.kind != "deadlock" for v in self.violations):
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
        never = tuple(a for a in model.action_names if a not in enabled_actions)
        warnings = tuple(f"action {a} was never enabled" for a in never) + tuple(self.notes)
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


def _instance_message(prop, why: str) -> str:
    parts = [p for p in (f"for {prop.instance}" if prop.instance else "", why) if p]
    return ", ".join(parts)


def _find_failing_state(model: Model, seen: dict) -> State | None:
    """After an unexpected exception, find a stored state whose evaluation raises (slow,
    only on the error path): try the most recently stored states first."""
    for s in reversed(list(seen)):
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
    :meth:`_Search._check_step` gives it (inlined there, for speed): a step that leaves
    every variable the property reads unchanged satisfies it (TLA+'s ``[][P]_v``)."""
    reads = prop.reads
    if reads is not None and all(t[i] == s[i] for i in reads):
        return False
    return not prop.check(s, t)


def explore(model: Model, opts: Options | None = None) -> CheckResult:
    """Search the state space of ``model`` and return a frozen result."""
    return _Search(model, opts or Options()).run()


def rebuild_trace(model: Model, seen: dict, state: State, canon=None) -> Trace:
    """The path from an initial state to ``state``, rebuilt from parent pointers by
    replaying ``successors`` (TLC's way). With symmetry the stored states are
    representatives; replay then finds, at each step, a concrete successor whose
    representative is the next one on the path, so the trace is a real behaviour."""
    chain = []
    s: State | None = state
    while s is not None:
        chain.append(s)
        s = seen[s]
    chain.reverse()
    key = canon if canon is not None else (lambda x: x)
    # first state: an initial state whose representative is chain[0]
    cur = None
    for s0 in model.initial_states():
        if key(s0) == chain[0]:
            cur = s0
            break
    if cur is None:  # pragma: no cover - would mean a broken canonicalizer
        raise RuntimeError("cannot replay the trace: no initial state matches")
    states = [cur]
    labels: list = [None]
    for target in chain[1:]:
        for label, t in model.successors(cur):
            if key(t) == target:
                cur = t
                states.append(t)
                labels.append(label)
                break
        else:  # pragma: no cover
            raise RuntimeError("cannot replay the trace: no successor matches")
    return Trace(tuple(states), tuple(labels))
