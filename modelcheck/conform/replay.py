"""Replay an ITF trace against a spec (``modelcheck replay``): validation with every
variable observed, plus the spec's properties.

Each state of the trace is decoded in full (every variable must be given), so there is
exactly one candidate state before every step and the validator of
:mod:`modelcheck.conform.validate` decides each step on its own: ``states[k-1] ->
states[k]`` must be a step of ``mbt::actionTaken`` with ``mbt::nondetPicks`` (of any
action when the trace does not say). Every step is judged, not only the first bad one,
and each illegal step gets the validator's divergence report.

Properties, on the trace as given (legal or not): every invariant on every state (the
first state where each fails), every step property on every step, a deadlock when the
last state has no successor at all, and, for a lasso (``loop``), the closing step back
to ``states[loop]`` (by ``#meta.loop-action``, or stuttering), whether the lasso is fair
(every weak-fair action or instance enabled on the whole cycle is taken in it; every
strong-fair one enabled somewhere on the cycle is taken in it; a step counts when it
changes the state and the action can make it) and every temporal property on the
infinite behaviour it stands for. A finite trace decides only ``always`` temporal
properties; the others are reported as not decided.

Depends on events, validate and the model protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import FairnessStrength, fairness, temporal_properties
from ..types import FunT, domain_values
from ..values import show
from .events import Behaviour, Event, TraceError, Problem, read_itf
from .validate import BehaviourResult, Divergence, Validator, ConformanceVerdict


@dataclass(frozen=True)
class Finding:
    """A property the trace violates. ``state`` is the ITF state index where it first
    fails (for a step property: the index of the step's target)."""

    property: str
    cls: str
    kind: str  # invariant | step | deadlock | temporal
    state: int | None
    message: str = ""

    def to_dict(self) -> dict:
        return {"property": self.property, "class": self.cls, "kind": self.kind, "state": self.state,
                "message": self.message}


@dataclass(frozen=True)
class StepResult:
    index: int  # ITF index of the step's target state
    action: str
    legal: bool
    divergence: Divergence | None = None

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"state": self.index, "action": self.action, "legal": self.legal}
        if self.divergence is not None:
            d["divergence"] = self.divergence.to_dict()
        return d


@dataclass(frozen=True)
class ReplayResult:
    name: str | None
    states: int
    initial_legal: bool
    initial_divergence: Divergence | None
    steps: tuple[StepResult, ...]
    findings: tuple[Finding, ...]
    loop: int | None = None
    loop_legal: bool | None = None
    loop_message: str = ""
    fair: bool | None = None
    unfair: tuple[str, ...] = ()
    undecided: tuple[str, ...] = field(default=())

    @property
    def legal(self) -> bool:
        return self.initial_legal and all(s.legal for s in self.steps) and self.loop_legal is not False

    def to_dict(self) -> dict:
        d: dict[str, Any] = {
            "trace": self.name, "states": self.states, "legal": self.legal, "initial_legal": self.initial_legal,
            "steps": [s.to_dict() for s in self.steps],
            "illegal_steps": [s.index for s in self.steps if not s.legal],
            "violations": [f.to_dict() for f in self.findings],
            "loop": self.loop,
        }
        if self.initial_divergence is not None:
            d["initial_divergence"] = self.initial_divergence.to_dict()
        if self.loop is not None:
            d.update(loop_legal=self.loop_legal, loop_message=self.loop_message, fair=self.fair,
                     unfair=list(self.unfair))
        d["temporal_not_decided"] = list(self.undecided)
        return d


def full_state(model, ev: Event) -> tuple:
    """The whole state an event observes (replay reads ITF states with every variable)."""
    whole: dict[int, Any] = {}
    keys: dict[int, dict[int, Any]] = {}
    for (i, pos), v in zip(ev.shape, ev.values):
        if pos < 0:
            whole[i] = v
        else:
            keys.setdefault(i, {})[pos] = v
    out = []
    for i, t in enumerate(model.var_types):
        if i in whole:
            out.append(whole[i])
            continue
        got = keys.get(i, {})
        n = len(domain_values(t.dom)) if isinstance(t, FunT) else 0
        if not isinstance(t, FunT) or len(got) != n:
            raise ValueError(f"variable `{model.variables[i]}` is not given in full")
        out.append(tuple(got[k] for k in range(n)))
    return tuple(out)


def replay_file(model, path: str, deadlock: bool = True) -> list[ReplayResult]:
    return [replay(model, b, deadlock) for b in read_itf(path, model, require_all=True)]


def replay(model, beh: Behaviour, deadlock: bool = True) -> ReplayResult:
    v = Validator(model)
    evs = [beh.initial] + list(beh.events)
    try:
        states = [full_state(model, e) for e in evs]
    except ValueError as e:
        raise TraceError([Problem(beh.source, None, str(e), where=beh.name or "")]) from None
    # the initial state
    init_ok = states[0] in set(model.initial_states())
    init_div = None
    if not init_ok:
        r0 = v.validate(Behaviour(beh.name, (), initial=beh.initial, format="itf"))
        init_div = r0.divergence
    # every step on its own: one candidate before it
    steps = []
    for k in range(1, len(states)):
        ev = evs[k]
        r: BehaviourResult = v.validate(Behaviour(beh.name, (ev,), format="itf"), start=[states[k - 1]])
        div = r.divergence
        if div is not None:
            div = _renumber(div, k, ev)
        steps.append(StepResult(k, v._event_action(ev), r.verdict == ConformanceVerdict.EXPLAINED, div))
    findings = [f for f in _state_findings(model, states) if deadlock or f.kind != "deadlock"]
    # the closing step of a lasso, fairness and temporal properties
    loop_legal, loop_msg, fair, unfair, undecided = None, "", None, (), ()
    if beh.loop is not None:
        loop_legal, loop_msg, closing = _closing_step(model, states, beh.loop, beh.loop_action)
        cycle = states[beh.loop:]
        steps_in_cycle = list(zip(cycle, cycle[1:])) + ([(states[-1], states[beh.loop])] if closing else [])
        unfair = tuple(_unfair(v, cycle, steps_in_cycle))
        fair = not unfair
        findings.extend(_temporal_findings(model, states, beh.loop, fair))
    else:
        parts = temporal_properties(model)
        for p in parts:
            if p.kind == "always":
                bad = next((k for k, s in enumerate(states) if not p.p(s)), None)
                if bad is not None:
                    findings.append(Finding(p.name, p.cls, "temporal", bad, _inst(p) + "always: false here"))
            elif p.kind != "reachable":
                undecided = undecided + (p.name + (f" ({p.instance})" if p.instance else ""),)
    return ReplayResult(beh.name, len(states), init_ok, init_div, tuple(steps), tuple(findings), beh.loop,
                        loop_legal, loop_msg, fair, unfair, tuple(dict.fromkeys(undecided)))


def _renumber(div: Divergence, k: int, ev: Event) -> Divergence:
    from dataclasses import replace

    return replace(div, event=k, line=ev.line)


def _inst(p) -> str:
    return f"{p.instance}: " if p.instance else ""


def _state_findings(model, states: list[tuple]):
    for inv in model.invariants:
        bad = next((k for k, s in enumerate(states) if not inv.check(s)), None)
        if bad is not None:
            yield Finding(inv.name, inv.cls, "invariant", bad)
    for sp in model.step_properties:
        bad = next((k for k in range(1, len(states)) if not sp.check(states[k - 1], states[k])), None)
        if bad is not None:
            yield Finding(sp.name, sp.cls, "step", bad, f"the step into states[{bad}]")
    try:
        succ = model.successors(states[-1])
    except Exception:  # noqa: BLE001 - an assertion or runtime error there: not a deadlock
        succ = [None]
    if not succ:
        yield Finding("Deadlock", "deadlock", "deadlock", len(states) - 1, "the last state has no successor")


def _closing_step(model, states, loop: int, loop_action: str | None) -> tuple[bool, str, bool]:
    """Whether the step from the last state back to ``states[loop]`` is legal; the third
    value says whether that step is a real step (False: stuttering)."""
    last, target = states[-1], states[loop]
    if loop_action in (None, "stutter"):
        if last == target:
            return True, "the last state repeats forever (stuttering)", False
        if loop_action == "stutter":
            return False, f"loop-action is stuttering, but the last state differs from states[{loop}]", False
    by = [lab for lab, t in model.successors(last) if t == target]
    if not by:
        return False, f"no action of the spec leads from the last state back to states[{loop}]", True
    names = [model.describe(lab).show() for lab in by]
    if loop_action is None or loop_action in names:
        return True, f"back to states[{loop}] by {loop_action or names[0]}", True
    return False, (f"the trace closes the loop by {loop_action}, which does not lead back to states[{loop}] "
                   f"({', '.join(names)} would)"), True


def _unfair(v: Validator, cycle: list[tuple], steps: list[tuple[tuple, tuple]]):
    """The fairness conditions the lasso breaks."""
    model = v.model
    names = {a.name: i for i, a in enumerate(v.actions)}
    fns: dict[int, object] = {}

    def enabled(s, ai, vals):
        return any(t != s for t in v._guarded(fns[ai], s, vals))

    def taken(ai, vals):
        return any(s != t and t in v._guarded(fns[ai], s, vals) for s, t in steps)

    for f in fairness(model):
        # the condition's instances met on the cycle, grouped by the condition's key
        # (one group for a condition over all instances)
        groups: dict[tuple, list] = {}
        for name, _ in f.members():
            ai = names.get(name)
            if ai is None:
                continue
            fns.setdefault(ai, model.action_function(ai))
            for vals in sorted({vals for s in cycle for vals in v.instances(s, ai, ())}, key=repr):
                k = f.key(name, vals) if f.per_instance else ()
                groups.setdefault(k, []).append((ai, vals))
        for k in sorted(groups, key=repr):
            g = groups[k]
            on = [any(enabled(s, ai, vals) for ai, vals in g) for s in cycle]
            need = all(on) if f.strength == FairnessStrength.WEAK else any(on)
            if need and not any(taken(ai, vals) for ai, vals in g):
                if f.per_instance and not f.group:
                    what = v.explainer.show_instance(g[0][0], g[0][1])
                elif f.per_instance:
                    ai0, _ = g[0]
                    a = v.actions[ai0]
                    pos = dict(f.group)[a.name]
                    types = model.param_types(a.name)
                    what = f"{f.action} for " + ", ".join(
                        f"{a.params[i]}={show(x, types[i])}" for i, x in zip(pos, k))
                else:
                    what = f.action
                how = "on every state of the cycle" if f.strength == FairnessStrength.WEAK else "on the cycle"
                yield f"{f.show()}: {what} is enabled {how} but never taken"


def _temporal_findings(model, states, loop: int, fair: bool):
    cycle = states[loop:]
    for p in temporal_properties(model):
        bad, msg = False, ""
        if p.kind == "eventually":
            bad = not any(p.p(s) for s in states)
            msg = "never true on the lasso"
        elif p.kind == "always_eventually":
            bad = not any(p.p(s) for s in cycle)
            msg = "never true on the cycle"
        elif p.kind == "eventually_always":
            bad = not all(p.p(s) for s in cycle)
            msg = "false somewhere on the cycle"
        elif p.kind == "always":
            bad = not all(p.p(s) for s in states)
            msg = "false somewhere"
        elif p.kind == "leadsto":
            cyc_q = any(p.q(s) for s in cycle)
            for k, s in enumerate(states):
                if p.p(s) and not cyc_q and not any(p.q(t) for t in states[k:]):
                    bad, msg = True, f"P holds in states[{k}] and Q never after"
                    break
        # on an unfair lasso a liveness property may fail without the spec being wrong:
        # such a behaviour is not one the spec's fairness allows (the result lists why)
        if bad and (fair or p.kind == "always"):
            yield Finding(p.name, p.cls, "temporal", None, _inst(p) + msg)
