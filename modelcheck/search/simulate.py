"""Random simulation: seeded random walks, for configurations too large to exhaust.

``simulate(model, Options(traces=N, max_depth=D, seed=S))`` runs up to N random walks. Each walk
starts from an initial state chosen at random (among those inside the state
constraints) and then, up to D states in all, repeatedly takes one successor chosen
uniformly from ``model.successors(state)`` (in the model's deterministic order, with a
``random.Random(seed)`` of its own: the same seed gives the same walks and the same
result). The checks are the explorer's, done by the explorer's own code (a
:class:`~modelcheck.search.run.Run` whose violations take their trace from the walk):

* every invariant on every state visited, the initial state included. As in the
  explorer a state is checked once (a state visited again is found in an exact cache
  of whole states, bounded by ``CHECKED_CACHE`` and emptied when full), and an
  invariant whose variables are the parent's very objects is skipped;
* every step property on every step taken, before the state constraints (TLC's order);
* a step into a state outside a ``constraint`` ends the walk: that state is discarded,
  not checked and not explored, as in the explorer;
* a state with no successor at all ends the walk, and is a deadlock when deadlock
  checking is on, whatever the constraints (as in the explorer: a state whose
  successors all leave the constraints is not a deadlock);
* an ``assert`` failing inside an action ends the walk with that violation;
* temporal properties are not checked: they are listed as ``undetermined``.

A simulation never proves anything: when no violation is found the verdict is
``not-violated`` (:attr:`Verdict.NOT_VIOLATED`: "no violation found in N traces",
exit code 0), and every property not found violated says ``not-violated`` too, never
``holds``. Figures: traces completed, steps taken, distinct states (counted by hash:
an estimate that a hash collision could lower), generated states (TLC's meaning:
initial states plus every successor computed), depth (the longest walk, in states),
coverage per action instance (transitions out of each distinct state visited, counted
once, and new states reached by the steps taken), traces and steps per second of
walking.

Shrinking. A violation found by a walk is shrunk before it is reported. A trace is
kept as its initial state and its sequence of steps, each step an action label (an
action with its parameters) and, when several successors carry that label (``pick``,
``either``), which of them (on replay: the same one by position, or the last one when
there are fewer). :meth:`Simulation._replay` replays such a sequence from
the initial state: every step must still be enabled (its label among the successors of
the current state; that successor is taken) and every state reached must satisfy the
constraints; the replay stops at the first point where the same property is violated
(so a violation that now comes earlier cuts the trace there: every shorter prefix is
tried this way) and fails if it never is. :meth:`Simulation._shrink` removes runs of
steps, halving their length from half the trace down to single steps (as delta
debugging does), keeps every removal whose replay still violates the property, and
repeats until no single removal works: the result is a legal trace from an initial
state, no longer than the walk's, from which no step can be dropped. It is not always
a shortest counterexample (only the breadth-first search promises that).
"""

from __future__ import annotations

import random
import time
from dataclasses import replace

from ..model import ActionAssertionFailed, Label, Model, State
from ..resources import rss_mb
from ..result import CheckResult, PropertyKind, ShrinkInfo, SimulationStats, StopReason, Trace, Verdict
from .options import Options, SimProgress, Strategy
from .deadline import Deadline, TimeUp
from .run import CHECK_EVERY, Run, Stop, step_violated

#: a step of a trace to replay: the action label and which of the successors carrying
#: that label (0 for the first) was taken
Step = tuple[Label, int]

#: at most this many states are remembered as "invariants checked" (see _simulate)
CHECKED_CACHE = 1 << 19


def simulate(model: Model, opts: Options | None = None) -> CheckResult:
    """Run up to ``opts.traces`` random walks of at most ``opts.max_depth`` states each
    (default 100; the initial state counted, as the explorer counts depth) from
    ``opts.seed`` and return a frozen result; ``result.simulation`` holds the figures.

    ``stop_at_first=False`` goes on after a violation and reports the first violation
    of every property; ``time_limit`` (seconds) stops the simulation (a walk cut short
    is not counted in ``traces``); ``shrink=False`` reports the walks' traces as they
    are; ``progress`` is called with a :class:`SimProgress` every ``progress_every``
    seconds. Symmetry and temporal properties do not apply."""
    if opts is None:
        opts = Options(strategy=Strategy.SIMULATE)
    depth = 100 if opts.max_depth is None else opts.max_depth
    if opts.traces < 0:
        raise ValueError("traces must be >= 0")
    if depth < 1:
        raise ValueError("depth must be >= 1 (it counts states, the initial one included)")
    opts = replace(opts, strategy=Strategy.SIMULATE, symmetry=False, check_temporal=False, max_depth=depth)
    return Simulation(model, opts).run()


class Simulation:
    """One simulation run: random walks checked by a :class:`Run` (its property checks,
    constraints and result building), whose violations take their trace from the walk in
    progress, shrunk (:meth:`trace_for`)."""

    def __init__(self, model: Model, opts: Options):
        self.model = model
        run = self.run_ = Run(model, opts)
        self.opts = opts = run.opts         # check_deadlock resolved against the model
        if run.skipped_temporal:
            run.notes = ["temporal properties are not checked by simulation"]
        #: hashes of the states visited (the distinct-state count is an estimate)
        self.seen: set = set()
        run.seen = self.seen  # type: ignore[assignment]  (the result counts these)
        run.stop_reason = StopReason.TRACES
        run.trace_for = self.trace_for  # violations: the walk's trace, shrunk
        run.on_stop = self._stopped_by_violation
        self.max_traces = opts.traces
        self.max_depth = opts.max_depth
        self.seed = opts.seed
        self.shrink = opts.shrink
        self.traces = 0
        self.steps = 0
        self.ends: dict[str, int] = {}
        self.shrinks: list[ShrinkInfo] = []
        self.shrink_seconds = 0.0
        # the walk in progress (read by trace_for)
        self.walk_states: list[State] = []
        self.walk_labels: list[Label | None] = []
        self.next_progress = run.t0 + opts.progress_every

    # ------------------------------------------------------------------ the run's hooks

    def trace_for(self, name: str, state: State, kind: str, step, message: str, failed_label):
        """The trace of a violation found at the end of the current walk (``state`` is its
        last state; ``step`` the violating step, not yet in the walk), shrunk."""
        states, labels = list(self.walk_states), list(self.walk_labels)
        assert states[-1] is state or states[-1] == state
        if step is not None:
            _, label, t = step
            states.append(t)
            labels.append(label)
        trace = Trace(tuple(states), tuple(labels))
        original = len(trace)
        t0 = time.monotonic()
        replays = 0
        if self.shrink:
            trace, message, failed_label, replays = self._shrink(trace, name, kind, message, failed_label)
        secs = time.monotonic() - t0
        self.shrink_seconds += secs
        self.shrinks.append(ShrinkInfo(name, self.traces + 1, original, len(trace), replays, secs))
        return trace, message, failed_label

    def _stopped_by_violation(self) -> None:
        self.ends["violation"] = self.ends.get("violation", 0) + 1
        self.traces += 1  # the walk that found it counts

    # ------------------------------------------------------------------ walking

    def _simulate(self) -> None:
        model = self.model
        run = self.run_
        inits = []
        run.initialising = True  # an error now is one of init: Run.fail explains it so
        for s in model.initial_states():
            run.generated += 1
            if run.admit(s):
                inits.append(s)
        run.initialising = False
        if not inits:
            run.notes.append("no initial state satisfies the state constraints: nothing to simulate")
            return
        rng = random.Random(self.seed)
        choice = rng.choice
        succ = model.successors
        seen = self.seen
        seen_add = seen.add
        gen_cov = run.gen_cov
        new_cov = run.new_cov
        check_new = run.check_new
        check_step = run.check_step
        admit = run.admit
        record = run.record
        has_inv = bool(run.inv_checks)
        has_steps = bool(run.step_checks)
        has_constraints = bool(run.constraints)
        check_deadlock = self.opts.check_deadlock
        depth = self.max_depth
        ends = self.ends
        # states whose invariants were checked (exactly: whole states, not hashes), so that
        # a state visited again is not checked again, as in the explorer; cleared when
        # full, to bound memory on long runs
        checked: set = set()
        checked_add = checked.add
        expanded: set = set()  # hashes of the states whose successors coverage counted
        expanded_add = expanded.add
        cache_size = CHECKED_CACHE
        countdown = CHECK_EVERY
        while self.traces < self.max_traces:
            self._tick()
            s = choice(inits)
            states = self.walk_states = [s]
            labels = self.walk_labels = [None]
            h = hash(s)
            if h not in seen:
                seen_add(h)
            if has_inv and s not in checked:
                if len(checked) >= cache_size:
                    checked.clear()
                checked_add(s)
                check_new(s, None)
            end = "depth"
            for _ in range(depth - 1):
                countdown -= 1
                if not countdown:
                    countdown = CHECK_EVERY
                    self._tick()
                try:
                    succs = succ(s)
                except ActionAssertionFailed as e:
                    record(e.prop, "integrity", PropertyKind.ASSERTION, s, e.message, e.label)
                    end = "assertion"
                    break
                if not succs:
                    if check_deadlock:
                        record("Deadlock", "deadlock", PropertyKind.DEADLOCK, s)
                    end = "deadlock"
                    break
                run.generated += len(succs)
                if h not in expanded:  # coverage counts each distinct state's successors once
                    expanded_add(h)
                    for lab, _ in succs:
                        gen_cov[lab] = gen_cov.get(lab, 0) + 1
                label, t = choice(succs)
                if has_steps:
                    check_step(s, label, t)
                if has_constraints and not admit(t):
                    end = "constraint"
                    break
                states.append(t)
                labels.append(label)
                self.steps += 1
                h = hash(t)
                if h not in seen:
                    seen_add(h)
                    new_cov[label] = new_cov.get(label, 0) + 1
                if has_inv and t not in checked:
                    if len(checked) >= cache_size:
                        checked.clear()
                    checked_add(t)
                    check_new(t, s)
                s = t
            if len(states) > run.depth:
                run.depth = len(states)
            ends[end] = ends.get(end, 0) + 1
            self.traces += 1

    def _tick(self) -> None:
        now = time.monotonic()
        opts = self.opts
        run = self.run_
        if opts.time_limit is not None and now - run.limit_t0 >= opts.time_limit:
            run.stop_reason = StopReason.TIME_LIMIT
            raise Stop
        if opts.max_memory_mb is not None and rss_mb() > opts.max_memory_mb:
            run.stop_reason = StopReason.MAX_MEMORY
            raise Stop
        if opts.progress is not None and now >= self.next_progress:
            self.next_progress = now + opts.progress_every
            opts.progress(SimProgress(self.traces, self.steps, len(self.seen), now - run.t0))

    # ------------------------------------------------------------------ shrinking

    def _steps_of(self, trace: Trace) -> list[Step]:
        """The steps of ``trace`` as (label, which successor with that label)."""
        out = []
        succ = self.model.successors
        for s, label, t in zip(trace.states, trace.labels[1:], trace.states[1:]):
            k = 0
            for lab2, t2 in succ(s):
                if lab2 == label:
                    if t2 == t:
                        break
                    k += 1
            out.append((label, k))
        return out

    def _target(self, name: str, kind: str):
        if kind == "invariant":
            return next(p for p in self.model.invariants if p.name == name)
        if kind == "step":
            return next(p for p in self.model.step_properties if p.name == name)
        return None

    def _replay(self, s0: State, steps: list[Step], name: str, kind: str, prop):
        """Replay ``steps`` from ``s0`` until property ``name`` is violated. Returns
        ``(trace, message, failed_label, steps used)``, or None when a step is not
        enabled, a state leaves the constraints, or the violation never comes."""
        succ = self.model.successors
        admit = self.run_.admit
        states = [s0]
        labels: list = [None]

        def done(message="", failed_label=None):
            return Trace(tuple(states), tuple(labels)), message, failed_label, steps[: len(states) - 1]

        try:
            if kind == "invariant" and not prop.check(s0):
                return done()
            s = s0
            n = len(steps)
            expand = kind in ("deadlock", "assertion")
            for i in range(n + 1):
                if i == n and not expand:
                    return None
                try:
                    succs = succ(s)
                except ActionAssertionFailed as e:
                    if kind == "assertion" and e.prop == name:
                        return done(e.message, e.label)
                    return None
                if not succs:
                    return done() if kind == "deadlock" else None
                if i == n:
                    return None
                label, occ = steps[i]
                t = None
                k = 0
                for lab2, t2 in succs:
                    if lab2 == label:
                        t = t2
                        if k == occ:
                            break
                        k += 1
                if t is None:
                    return None  # the action is not enabled here
                if kind == "step" and step_violated(prop, s, t):
                    states.append(t)
                    labels.append(label)
                    return done()
                if not admit(t):
                    return None
                states.append(t)
                labels.append(label)
                if kind == "invariant" and not prop.check(t):
                    return done()
                s = t
        except ActionAssertionFailed:
            return None
        except Exception:  # a runtime error on another path is not the violation shrunk
            return None
        return None  # pragma: no cover

    def _shrink(self, trace: Trace, name: str, kind: str, message: str, failed_label):
        """Greedy shrinking to a fixed point (see the module docstring). Returns the
        shrunk ``(trace, message, failed_label, replays)``."""
        prop = self._target(name, kind)
        s0 = trace.states[0]
        steps = self._steps_of(trace)
        best = self._replay(s0, steps, name, kind, prop)
        replays = 1
        if best is None:  # pragma: no cover - the walk's own trace always replays
            return trace, message, failed_label, replays
        steps = best[3]
        improved = True
        while improved:
            improved = False
            size = max(1, len(steps) // 2)
            while size >= 1:
                i = 0
                while i < len(steps):
                    cand = steps[:i] + steps[i + size:]
                    replays += 1
                    r = self._replay(s0, cand, name, kind, prop)
                    if r is not None:
                        best, steps, improved = r, r[3], True
                    else:
                        i += size
                size //= 2
        return best[0], best[1], best[2], replays

    # ------------------------------------------------------------------ driver

    def run(self) -> CheckResult:
        run = self.run_
        limit = self.opts.time_limit
        deadline = run.deadline = Deadline(None if limit is None else limit - (time.monotonic() - run.limit_t0))
        try:
            with deadline:
                self._simulate()
        except Stop:
            pass
        except TimeUp:
            run.stop_reason = StopReason.TIME_LIMIT
        except KeyboardInterrupt:  # Ctrl-C: report the walks done so far
            run.stop_reason = StopReason.INTERRUPTED
        except Exception as exc:  # a runtime error in the spec: explain it, off the hot path
            run.fail(exc, dict.fromkeys(self.walk_states))
        finally:
            deadline.disarm()
        # a walk cut short (by a violation, an error or the time limit) counts for depth
        run.depth = max(run.depth, len(self.walk_states))
        seconds = time.monotonic() - run.t0
        # a simulation proves nothing; one cut short by Ctrl-C did not even finish its walks
        interrupted = run.stop_reason == StopReason.INTERRUPTED
        result = run.result(seconds, Verdict.UNDETERMINED if interrupted else Verdict.NOT_VIOLATED)
        stats = SimulationStats(
            seed=self.seed,
            max_traces=self.max_traces,
            max_depth=self.max_depth,
            traces=self.traces,
            steps=self.steps,
            distinct_states=len(self.seen),
            seconds=seconds,
            shrink_seconds=self.shrink_seconds,
            ends=dict(sorted(self.ends.items())),
            shrinks=tuple(self.shrinks),
        )
        never = result.never_enabled if result.stop_reason != StopReason.ERROR else ()
        warnings = tuple(f"action {a} was never enabled in the states visited" for a in never) + tuple(run.notes)
        return replace(result, warnings=warnings, simulation=stats)
