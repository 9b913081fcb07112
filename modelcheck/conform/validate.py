"""Trace validation: does some behaviour of the spec explain this trace?

The validator keeps the *set* of spec states consistent with the trace so far, never
a single guess. It starts from every initial state of the spec (filtered by the
initial observation of an ITF trace); for each event it takes, from every candidate
state, the successors by the named action with the given parameters (every instance
of the action when some parameters are not given, every action when an ITF state does
not say which), keeps those whose observed variables have the observed values, and
removes duplicates (equal states are one candidate). Unobserved variables are thereby
resolved by search: they stay open until an event pins them down.

Stuttering. An event that names an action is a step of that action: it is never
explained by a stuttering step (one that changes nothing and belongs to no action),
because the implementation says it did something, and accepting "nothing happened" for
it would hide exactly the divergences we are looking for (a second Commit the spec does
not allow). A step of an action that leaves the state unchanged (``RMRcvCommitMsg``
received again) is an ordinary step, and is accepted when the action allows it. Only an
ITF state without ``mbt::actionTaken`` may also be a stuttering step (TLA+'s
``[Next]_vars``): ITF traces of other tools may record one.

The per-event work is compiled: one function per action with its parameters bound
(:meth:`CompiledModel.action_function`) and one observation filter per observation
shape (``lambda t, o: t[0][1] == o[0] and t[2] == o[1]``), generated once.

When no candidate survives an event, :mod:`modelcheck.dsl.explain` says why (a
:class:`Divergence`). With ``complete=True`` the end of the trace is checked too: the
implementation claims it stopped there, so the behaviour is the trace followed by
stuttering forever, which the spec allows only from a candidate state where no
fairness-obliged step is enabled and every ``eventually`` / ``leadsto`` obligation has
been met (``missing-action`` otherwise).

Depends on the model protocol (``Traceable``: the front end's signature, the compiled
model's trace functions, an explainer), events, and the explainer's result types.
"""

from __future__ import annotations

import time
from enum import StrEnum
from dataclasses import dataclass, field
from typing import Any, Callable

from ..diagnostics import Code, Diagnostic
from ..ir import Span
from ..model import ActionAssertionFailed
from .events import Behaviour, Event
from ..dsl.explain import CandidateSummary, Failure, VarDiff
from ..model import Traceable, fairness, temporal_properties

DEFAULT_MAX_CANDIDATES = 100_000
EXPLAIN_STATES = 8  # candidate states examined in a divergence report

class ConformanceVerdict(StrEnum):
    """A behaviour's (and a validation's) verdict; the value is what text and JSON say."""

    EXPLAINED = "explained"  # a behaviour of the spec explains every event
    DIVERGENCE = "divergence"  # some event has no explanation
    UNDETERMINED = "undetermined"  # the candidate bound stopped the search


class DivergenceKind(StrEnum):
    """Why a behaviour diverges (the value is what text and JSON say)."""

    UNEXPECTED = "unexpected-action"
    INCORRECT = "incorrect-state"
    MISSING = "missing-action"


UNEXPECTED = DivergenceKind.UNEXPECTED
INCORRECT = DivergenceKind.INCORRECT
MISSING = DivergenceKind.MISSING


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Group:
    """One explanation shared by ``states`` of the candidate states examined: the
    failures of the instance's paths (it did not fire), or, when it fired, for each
    successor the variables whose value differs from the observation."""

    states: int
    failures: tuple[Failure, ...] = ()
    mismatches: tuple[tuple[VarDiff, ...], ...] = ()

    @property
    def fired(self) -> bool:
        return bool(self.mismatches)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"states": self.states, "fired": self.fired}
        if self.failures:
            d["failures"] = [f.to_dict() for f in self.failures]
        if self.mismatches:
            d["successors"] = [[x.to_dict() for x in m] for m in self.mismatches]
        return d


@dataclass(frozen=True)
class InstanceReport:
    instance: str
    groups: tuple[Group, ...]

    def to_dict(self) -> dict:
        return {"instance": self.instance, "explanations": [g.to_dict() for g in self.groups]}


@dataclass(frozen=True)
class Divergence:
    """Where and why a trace left the spec.

    ``event`` is the event's number in its behaviour (1-based; 0 is the initial state of
    an ITF trace; ``events + 1`` is the end of the trace, for ``missing-action``)."""

    kind: DivergenceKind
    event: int
    line: int | None
    proc: str | None
    action: str
    before: CandidateSummary
    instances: tuple[InstanceReport, ...] = ()
    examined: int = 0
    #: missing-action: for each candidate examined, the fair steps still enabled and the
    #: liveness obligations still pending
    obligations: tuple[tuple[str, ...], ...] = ()
    pending: tuple[tuple[str, ...], ...] = ()
    observed: dict = field(default_factory=dict)
    #: the observation decoded and shown as the spec writes values: (``rmState[rm1]``, ``prepared``)
    observed_shown: tuple[tuple[str, str], ...] = ()
    #: the file of the event, when the trace is a directory of per-process files
    file: str = ""

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"kind": self.kind, "event": self.event, "file": self.file or None,
                             "line": self.line, "proc": self.proc,
                             "action": self.action, "observed": self.observed,
                             "observed_values": {k: v for k, v in self.observed_shown},
                             "candidates_before": self.before.to_dict(), "examined": self.examined,
                             "instances": [i.to_dict() for i in self.instances]}
        if self.kind == MISSING:
            d["fair_steps_enabled"] = [list(x) for x in self.obligations]
            d["liveness_pending"] = [list(x) for x in self.pending]
        return d


@dataclass(frozen=True)
class BehaviourResult:
    name: str | None
    events: int
    verdict: ConformanceVerdict
    candidates: int  # candidate states after the last event validated
    max_candidates: int
    divergence: Divergence | None = None
    message: str = ""
    #: candidate-set size after each event (index 0: before the first), when recorded
    sizes: tuple[int, ...] = ()

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"txn": self.name, "events": self.events, "verdict": self.verdict,
                             "candidates": self.candidates, "max_candidates": self.max_candidates}
        if self.message:
            d["message"] = self.message
        if self.divergence is not None:
            d["divergence"] = self.divergence.to_dict()
        return d


@dataclass(frozen=True)
class ValidationResult:
    verdict: ConformanceVerdict
    behaviours: tuple[BehaviourResult, ...]
    events: int
    seconds: float
    format: str = "jsonl"

    @property
    def exit_code(self) -> int:
        return {ConformanceVerdict.EXPLAINED: 0, ConformanceVerdict.DIVERGENCE: 1, ConformanceVerdict.UNDETERMINED: 3}[self.verdict]

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class SpecRuntimeFailure(Exception):
    """A runtime error inside the spec while validating (MC300), explained: the text is the
    full report as printed; ``diagnostic`` the coded :class:`Diagnostic` (``Code.RUNTIME``)."""

    def __init__(self, text: str, diagnostic: Diagnostic):
        super().__init__(text)
        self.diagnostic = diagnostic


# ----------------------------------------------------------------------------- the validator


class Validator:
    """Validates behaviours against one compiled model; caches compiled filters."""

    def __init__(self, model, max_candidates: int = DEFAULT_MAX_CANDIDATES):
        if not isinstance(model, Traceable):
            raise TypeError(f"trace validation needs a model compiled from a spec, not {type(model).__name__}")
        self.model = model
        self.max_candidates = max_candidates
        self.explainer = model.explainer()
        self.actions = model.signature.actions
        self._filters: dict[tuple, Callable | None] = {}
        self._steps: dict[tuple, Callable] = {}
        n_static = model.static_instances()
        combos: dict[str, list[tuple]] = {}
        for lab in range(n_static):
            info = model.describe(lab)
            combos.setdefault(info.action, []).append(info.values)
        #: every parameter tuple of an action with constant domains (None: state-dependent)
        self._combos = [combos.get(a.name) if (a.name in combos or not a.params) else None for a in self.actions]
        for k, a in enumerate(self.actions):
            if not a.params:
                self._combos[k] = [()]

    # ------------------------------------------------------------------ compiled pieces

    def observation_filter(self, shape: tuple) -> Callable | None:
        """``f(t, o) -> bool`` for one observation shape (None: nothing observed)."""
        if not shape:
            return None
        f = self._filters.get(shape)
        if f is None:
            terms = []
            for k, (i, pos) in enumerate(shape):
                terms.append(f"t[{i}] == o[{k}]" if pos < 0 else f"t[{i}][{pos}] == o[{k}]")
            f = self._filters[shape] = eval(f"lambda t, o: {' and '.join(terms)}")  # noqa: S307 - our own source
        return f

    def instances(self, state: tuple, ai: int, known: tuple) -> list[tuple]:
        combos = self._combos[ai]
        if combos is None:
            return self.explainer.instances(state, ai, known)
        if not known:
            return combos
        return [c for c in combos if all(c[p] == v for p, v in known)]

    def step_function(self, ev: Event) -> tuple[Callable, tuple]:
        """``(f, args)``: ``f(s, *args)`` lists the next states that may explain ``ev``."""
        if ev.action is not None and ev.params is not None:
            return self.model.action_function(ev.action), ev.params
        key = (ev.action, ev.known)
        f = self._steps.get(key)
        if f is None:
            if ev.action is not None:
                ai, known = ev.action, ev.known
                fn = self.model.action_function(ai)

                def f(s, ai=ai, known=known, fn=fn):
                    out = []
                    for vals in self.instances(s, ai, known):
                        out.extend(self._guarded(fn, s, vals))
                    return out
            else:
                fns = [self.model.action_function(k) for k in range(len(self.actions))]

                def f(s, fns=fns):
                    out = [s]  # a stuttering step (see the module docstring)
                    for ai, fn in enumerate(fns):
                        for vals in self.instances(s, ai, ()):
                            out.extend(self._guarded(fn, s, vals))
                    return out
            self._steps[key] = f
        return f, ()

    @staticmethod
    def _guarded(fn, s, vals):
        try:
            return fn(s, *vals)
        except ActionAssertionFailed:  # the spec's assert fails there: no step (the report says so)
            return ()

    # ------------------------------------------------------------------ validating

    def initial(self, beh: Behaviour) -> dict:
        init = self.model.initial_states()
        if beh.initial is None or not beh.initial.shape:
            return dict.fromkeys(init)
        filt = self.observation_filter(beh.initial.shape)
        return dict.fromkeys(s for s in init if filt(s, beh.initial.values))

    def validate(self, beh: Behaviour, complete: bool = False, record: bool = False,
                 on_step: Callable | None = None, start: list | None = None) -> BehaviourResult:
        """Validate one behaviour. ``record`` keeps the candidate-set size after every
        event; ``on_step(k, candidates)`` (tests) sees every candidate set; ``start``
        replaces the initial states (replay judges one step at a time)."""
        cands = self.initial(beh) if start is None else dict.fromkeys(start)
        sizes = [len(cands)] if record else None
        if not cands:
            div = self._initial_divergence(beh)
            return BehaviourResult(beh.name, len(beh.events), ConformanceVerdict.DIVERGENCE, 0, 0, div, sizes=tuple(sizes or ()))
        if on_step is not None:
            on_step(0, cands)
        most = len(cands)
        limit = self.max_candidates
        for k, ev in enumerate(beh.events):
            fn, args = self.step_function(ev)
            filt = self.observation_filter(ev.shape)
            obs = ev.values
            new: dict = {}
            try:
                if filt is None and len(cands) == 1:
                    # the common case of a trace that pins the state down: one candidate
                    # and one successor, kept as a 1-tuple (the loop only iterates and
                    # counts candidates): duplicates are removed by hashing only when there
                    # are several, so that a large state (a ZAB history of thousands of
                    # zxids) is not hashed at every event: 8x faster on a long ZAB trace
                    (s,) = cands
                    succ = fn(s, *args)
                    new = (succ[0],) if len(succ) == 1 else dict.fromkeys(succ)
                elif filt is None:
                    for s in cands:
                        for t in fn(s, *args):
                            new[t] = None
                else:
                    for s in cands:
                        for t in fn(s, *args):
                            if filt(t, obs):
                                new[t] = None
            except ActionAssertionFailed:
                new = self._slow_step(cands, fn, args, filt, obs)
            except Exception as exc:  # noqa: BLE001 - a runtime error in the spec: explained
                self._runtime_error(cands, ev, exc)
            if not new:
                div = self.explain(beh, k, list(cands))
                return BehaviourResult(beh.name, len(beh.events), ConformanceVerdict.DIVERGENCE, len(cands), most, div,
                                       sizes=tuple(sizes or ()))
            cands = new
            n = len(cands)
            if n > most:
                most = n
            if sizes is not None:
                sizes.append(n)
            if on_step is not None:
                on_step(k + 1, cands)
            if n > limit:
                return BehaviourResult(beh.name, len(beh.events), ConformanceVerdict.UNDETERMINED, n, most, None,
                                       f"after event {k + 1} more than {limit:,} spec states are consistent with "
                                       f"the trace (--max-candidates): the trace observes too little to follow",
                                       sizes=tuple(sizes or ()))
        if complete:
            div = self.check_end(beh, cands)
            if div is not None:
                return BehaviourResult(beh.name, len(beh.events), ConformanceVerdict.DIVERGENCE, len(cands), most, div,
                                       sizes=tuple(sizes or ()))
        return BehaviourResult(beh.name, len(beh.events), ConformanceVerdict.EXPLAINED, len(cands), most, sizes=tuple(sizes or ()))

    def _slow_step(self, cands, fn, args, filt, obs) -> dict:
        new: dict = {}
        for s in cands:
            try:
                ts = fn(s, *args)
            except ActionAssertionFailed:
                continue
            for t in ts:
                if filt is None or filt(t, obs):
                    new[t] = None
        return new

    def _runtime_error(self, cands, ev: Event, exc) -> None:
        """A runtime error in the spec (MC300) while following ``ev``: located by the
        explainer in the first candidate state and instance where it happens."""
        ex = self.explainer
        for s in cands:
            for ai, vals in self._instances_for(s, ev):
                for o in ex.run(s, ai, vals, detail=False):
                    f = o.failure
                    if f is not None and f.kind == "error":
                        span = None
                        if f.where is not None:
                            span = Span(f.where.file, f.where.line, f.where.col, f.where.line, f.where.col)
                        diagnostic = Diagnostic(Code.RUNTIME, f"runtime error in action "
                                                f"{ex.show_instance(ai, vals)}: {f.message}", span)
                        msg = f"{diagnostic.code} {diagnostic.message}"
                        if f.where is not None:
                            msg += f"\n  at {f.where.file}:{f.where.line}:{f.where.col}\n" + f.where.snippet
                        where = f"the event on line {ev.line}" if ev.line is not None else f"event {ev.index}"
                        msg += f"\n  while following {where}"
                        msg += "\n  in state:\n" + self.model.show_state(s)
                        raise SpecRuntimeFailure(msg, diagnostic) from exc
        diagnostic = Diagnostic(Code.RUNTIME, f"runtime error: {exc}")
        raise SpecRuntimeFailure(f"{diagnostic.code} {diagnostic.message}", diagnostic) from exc

    # ------------------------------------------------------------------ divergence reports

    def _event_action(self, ev: Event) -> str:
        if ev.action is None:
            return "any action (the trace does not say which)"
        return self.explainer.show_instance(ev.action, ev.params, ev.known)

    def _instances_for(self, s: tuple, ev: Event) -> list[tuple[int, tuple]]:
        if ev.action is not None:
            if ev.params is not None:
                return [(ev.action, ev.params)]
            return [(ev.action, vals) for vals in self.explainer.instances(s, ev.action, ev.known)]
        return [(ai, vals) for ai in range(len(self.actions)) for vals in self.explainer.instances(s, ai, ())]

    def explain(self, beh: Behaviour, k: int, cands: list[tuple]) -> Divergence:
        """Why event ``k`` (0-based) of ``beh`` has no explanation from ``cands``."""
        ev = beh.events[k]
        ex = self.explainer
        examined = cands[:EXPLAIN_STATES]
        per_instance: dict[str, dict[tuple, list]] = {}
        order: list[str] = []
        fired_any = False
        for s in examined:
            for ai, vals in self._instances_for(s, ev):
                name = ex.show_instance(ai, vals)
                if name not in per_instance:
                    per_instance[name] = {}
                    order.append(name)
                outcomes = ex.run(s, ai, vals)
                fired = [o.state for o in outcomes if o.fired]
                if fired:
                    fired_any = True
                    mism = tuple(ex.diffs(t, ev.shape, ev.values) for t in dict.fromkeys(fired))
                    key = ("fired", mism)
                    g = per_instance[name].setdefault(key, [0, (), mism])
                else:
                    fails = tuple(_dedup_failures(o.failure for o in outcomes if o.failure is not None))
                    # grouped by which guards fail, not by their values (shown for the first state)
                    key = ("blocked", tuple((f.kind, f.where.line if f.where else 0, f.where.col if f.where else 0,
                                             f.message if f.kind != "require" else "") for f in fails))
                    g = per_instance[name].setdefault(key, [0, fails, ()])
                g[0] += 1
        instances = tuple(
            InstanceReport(name, tuple(sorted((Group(n, f, m) for n, f, m in per_instance[name].values()),
                                              key=lambda g: (not g.fired, -g.states))))
            for name in order
        )
        kind = INCORRECT if fired_any else UNEXPECTED
        return Divergence(kind, k + 1, ev.line, ev.proc, self._event_action(ev), ex.summarize(cands), instances,
                          len(examined), observed=dict(ev.observed), observed_shown=ex.show_observation(ev),
                          file=ev.file if ev.file and ev.file != beh.source else "")

    def _initial_divergence(self, beh: Behaviour) -> Divergence:
        ex = self.explainer
        init = list(self.model.initial_states())
        ev = beh.initial
        groups: dict[tuple, list] = {}
        for s in init[:EXPLAIN_STATES]:
            d = ex.diffs(s, ev.shape, ev.values)
            groups.setdefault(d, [0])[0] += 1
        inst = InstanceReport("init", tuple(Group(n[0], (), (d,)) for d, n in groups.items()))
        return Divergence(INCORRECT, 0, ev.line, None, "init", ex.summarize(init), (inst,),
                          min(len(init), EXPLAIN_STATES), observed=dict(ev.observed),
                          observed_shown=ex.show_observation(ev))

    # ------------------------------------------------------------------ the end of a complete trace

    def fair_steps(self, s: tuple) -> tuple[str, ...]:
        """The fairness-obliged steps enabled in ``s`` (steps that change the state, as
        in TLA+'s ``<<A>>_vars``), named as ``RMPrepare(rm=r1) (weak RMPrepare(*))``."""
        out = []
        names = {a.name: i for i, a in enumerate(self.actions)}
        for f in fairness(self.model):
            found = False
            for name, _ in f.members():
                ai = names.get(name)
                if ai is None:
                    continue
                fn = self.model.action_function(ai)
                for vals in self.instances(s, ai, ()):
                    if any(t != s for t in self._guarded(fn, s, vals)):
                        out.append(f"{self.explainer.show_instance(ai, vals)} ({f.show()})")
                        found = True
                        if not f.per_instance:
                            break
                if found and not f.per_instance:
                    break
        return tuple(out)

    def _liveness_parts(self):
        return [p for p in temporal_properties(self.model)
                if p.kind in ("eventually", "leadsto", "always_eventually", "eventually_always")]

    def check_end(self, beh: Behaviour, cands: dict) -> Divergence | None:
        parts = self._liveness_parts()
        flags = self._obligation_flags(beh, parts) if any(p.kind in ("eventually", "leadsto") for p in parts) else None
        obligations, pending = [], []
        acceptable = False
        states = list(cands)
        for s in states:
            steps = self.fair_steps(s)
            pend = []
            for j, p in enumerate(parts):
                if p.kind in ("eventually", "leadsto"):
                    ok = flags is not None and (flags.get(s, 0) >> j) & 1
                else:
                    ok = p.p(s)
                if not ok:
                    pend.append(_part_name(p))
            if not steps and not pend:
                acceptable = True
                break
            obligations.append(steps)
            pending.append(tuple(pend))
        if acceptable:
            return None
        n = len(beh.events)
        last = beh.events[-1] if beh.events else None
        return Divergence(MISSING, n + 1, None, None, "end of trace", self.explainer.summarize(states), (),
                          len(states), tuple(obligations[:EXPLAIN_STATES]), tuple(pending[:EXPLAIN_STATES]),
                          observed=dict(last.observed) if last else {})

    def _obligation_flags(self, beh: Behaviour, parts) -> dict:
        """Second pass, for ``complete``: along with each candidate state, bit ``j`` says
        whether some path to it meets liveness part ``j`` so far (``eventually P``: P has
        held; ``P leadsto Q``: no P is still waiting for its Q). Paths that merge into one
        state are OR-ed, which is exact for the question asked at the end: does *some*
        explanation of the trace meet the obligation?"""

        def bits(s: tuple, old: int | None) -> int:
            b = 0
            for j, p in enumerate(parts):
                if p.kind == "eventually":
                    ok = p.p(s) or (old is not None and (old >> j) & 1)
                elif p.kind == "leadsto":
                    ok = p.q(s) or ((old is None or (old >> j) & 1) and not p.p(s))
                else:
                    ok = False
                if ok:
                    b |= 1 << j
            return b

        cands = {s: bits(s, None) for s in self.initial(beh)}
        for ev in beh.events:
            fn, args = self.step_function(ev)
            filt = self.observation_filter(ev.shape)
            new: dict = {}
            for s, fl in cands.items():
                try:
                    ts = fn(s, *args)
                except ActionAssertionFailed:
                    continue
                for t in ts:
                    if filt is None or filt(t, ev.values):
                        new[t] = new.get(t, 0) | bits(t, fl)
            cands = new
        return cands


def _part_name(p) -> str:
    return p.name + (f" ({p.instance})" if p.instance else "") + f" [{p.cls}]"


def _dedup_failures(fails) -> list[Failure]:
    seen = {}
    for f in fails:
        seen.setdefault(f.key(), f)
    return list(seen.values())


def validate_behaviours(model, behaviours: list[Behaviour], complete: bool = False,
                        max_candidates: int = DEFAULT_MAX_CANDIDATES) -> ValidationResult:
    """Validate every behaviour; the verdict is the worst of theirs."""
    v = Validator(model, max_candidates=max_candidates)
    t0 = time.perf_counter()
    results = tuple(v.validate(b, complete=complete) for b in behaviours)
    seconds = time.perf_counter() - t0
    events = sum(len(b.events) for b in behaviours)
    verdict = ConformanceVerdict.EXPLAINED
    if any(r.verdict == ConformanceVerdict.UNDETERMINED for r in results):
        verdict = ConformanceVerdict.UNDETERMINED
    if any(r.verdict == ConformanceVerdict.DIVERGENCE for r in results):
        verdict = ConformanceVerdict.DIVERGENCE
    fmt = behaviours[0].format if behaviours else "jsonl"
    return ValidationResult(verdict, results, events, seconds, fmt)


__all__ = ["Validator", "ValidationResult", "BehaviourResult", "Divergence", "InstanceReport", "Group",
           "validate_behaviours", "SpecRuntimeFailure", "UNEXPECTED", "INCORRECT", "MISSING"]
