"""Bounded model checking: every behaviour of at most K steps, as one z3 query per depth.

One incremental solver holds ``init(s0)``, the state constraints of every state, and the
transition formulas ``T(s0, s1) ... T(s(k-1), sk)``. At depth k (k steps, k+1 states) it
asks, one property at a time under push/pop, whether ``sk`` can violate an invariant,
whether the step into ``sk`` can violate a step property, and whether an action can fail
from ``sk`` (an assertion, or a value outside a variable's ``lo..hi``). Depths are tried
in increasing order, so the first counterexample is a shortest one: its length is the
explicit breadth-first search's (tests check it on every seeded bug).

No violation up to K is ``undetermined`` (exit 3): behaviours longer than K were not
looked at. Temporal properties and deadlocks are not checked (``modelcheck check`` does).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import z3

from ..result import (CheckResult, PropertyKind, PropertyResult, StopReason, Verdict, Violation)
from .problem import Problem


@dataclass(frozen=True)
class DepthReport:
    """Progress of a bounded search: ``depth`` steps checked in ``seconds`` in all."""

    depth: int
    seconds: float


def bmc(spec, depth: int, time_limit: float | None = None,
        progress: Callable[[DepthReport], None] | None = None) -> CheckResult:
    """Search every behaviour of up to ``depth`` steps for a violation of an invariant, a
    step property or an in-action assertion. ``spec`` is a :class:`modelcheck.api.Spec`."""
    started = time.monotonic()
    pb = Problem(spec)
    solver = z3.Solver()
    states = [pb.state("s0")]
    solver.add(pb.init(states[0]))
    solver.add(pb.within_constraints(states[0]))
    per_depth: list[float] = []
    failures: list[str] = []
    last = started

    def remaining() -> float | None:
        if time_limit is None:
            return None
        return time_limit - (time.monotonic() - started)

    def query(extra) -> z3.CheckSatResult | None:
        """Push, add ``extra``, check (the caller pops); None when the time is up."""
        solver.push()
        solver.add(extra)
        left = remaining()
        if left is not None:
            if left <= 0:
                return None
            solver.set("timeout", max(1, int(left * 1000)))
        try:
            return solver.check()
        except z3.Z3Exception as e:  # z3 gave up inside a theory (it says why): not a verdict
            failures.append(str(e))
            return _FAILED

    def finish(verdict, stop, violations=(), error=None, reached=0) -> CheckResult:
        found = {v.property for v in violations}
        props = []
        for p in pb.invariants + pb.steps:
            kind = PropertyKind.INVARIANT if p in pb.invariants else PropertyKind.STEP
            props.append(PropertyResult(p.name, p.cls, kind,
                                        Verdict.VIOLATED if p.name in found else Verdict.UNDETERMINED))
        for p in pb.temporal:
            props.append(PropertyResult(p.name, p.cls, PropertyKind.TEMPORAL, Verdict.UNDETERMINED))
        warnings = [f"z3 failed: {f}" for f in failures[:1]]
        if pb.temporal:
            warnings.append("temporal properties are not checked by bmc (use `modelcheck check`)")
        return CheckResult(verdict, stop, tuple(props), tuple(violations), 0, 0, reached,
                           time.monotonic() - started, "bmc", False, warnings=tuple(warnings), error=error,
                           extra={"bmc": {"depth": reached - 1 if reached else 0, "max_depth": depth,
                                          "seconds_per_depth": per_depth}})

    k = 0
    while True:
        sk = states[k]
        # invariants in sk: one query for all of them; only when it is satisfiable, one
        # per invariant (in declaration order) to name the one that fails
        candidates = pb.invariants
        if len(candidates) > 1:
            r = query(z3.Not(z3.And([pb.holds(p, sk) for p in candidates])))
            if r is None or r == z3.unknown or r is _FAILED:
                solver.pop()
                return finish(Verdict.UNDETERMINED, _why(r, failures, solver), reached=k)
            solver.pop()
            if r == z3.unsat:
                candidates = []
        for p in candidates:
            r = query(z3.Not(pb.holds(p, sk)))
            if r is None or r == z3.unknown or r is _FAILED:
                solver.pop()
                return finish(Verdict.UNDETERMINED, _why(r, failures, solver), reached=k)
            if r == z3.sat:
                trace = pb.trace(solver.model(), states[: k + 1])
                solver.pop()
                return finish(Verdict.VIOLATED, StopReason.VIOLATION,
                              [Violation(p.name, p.cls, PropertyKind.INVARIANT, trace)], reached=k + 1)
            solver.pop()
        # no invariant fails in sk: a fact from now on, which helps the deeper queries
        solver.add([pb.holds(p, sk) for p in pb.invariants])
        now = time.monotonic()
        per_depth.append(now - last)
        last = now
        if progress is not None:
            progress(DepthReport(k, now - started))
        if k == depth:
            return finish(Verdict.UNDETERMINED, StopReason.MAX_DEPTH, reached=k + 1)
        # the step from sk
        nxt = pb.state(f"s{k + 1}")
        encs = [pb.action(a, sk, nxt, f"a{k}") for a in pb.actions]
        for e in encs:
            for ob in e.obligations:
                r = query(ob.formula)
                if r is None or r == z3.unknown or r is _FAILED:
                    solver.pop()
                    return finish(Verdict.UNDETERMINED, _why(r, failures, solver), reached=k + 1)
                if r == z3.sat:
                    trace = pb.trace(solver.model(), states[: k + 1])
                    solver.pop()
                    label, message = pb.failing_label(trace.states[-1])
                    if ob.kind == "assertion":
                        v = Violation(ob.name, "", PropertyKind.ASSERTION, trace, message, failed_label=label)
                        return finish(Verdict.VIOLATED, StopReason.VIOLATION, [v], reached=k + 1)
                    return finish(Verdict.ERROR, StopReason.ERROR, error=message, reached=k + 1)
                solver.pop()
        solver.add(z3.Or([e.formula for e in encs]))
        solver.add(pb.within_constraints(nxt))
        states.append(nxt)
        for p in pb.steps:
            r = query(pb.step_violated(p, sk, nxt))
            if r is None or r == z3.unknown or r is _FAILED:
                solver.pop()
                return finish(Verdict.UNDETERMINED, _why(r, failures, solver), reached=k + 1)
            if r == z3.sat:
                trace = pb.trace(solver.model(), states)
                solver.pop()
                return finish(Verdict.VIOLATED, StopReason.VIOLATION,
                              [Violation(p.name, p.cls, PropertyKind.STEP, trace)], reached=k + 2)
            solver.pop()
        solver.add([z3.Not(pb.step_violated(p, sk, nxt)) for p in pb.steps])
        k += 1


#: what a query returns when z3 raised an exception (its message is kept as a warning)
_FAILED = z3.unknown.__class__(z3.unknown.r)


def _why(r, failures: list, solver) -> StopReason:
    """Why a query gave no answer: the time limit, or z3 giving up (its reason kept as a
    warning of the result)."""
    if r is None:
        return StopReason.TIME_LIMIT
    if r is _FAILED:
        return StopReason.ERROR
    reason = solver.reason_unknown()
    if "timeout" in reason or "canceled" in reason:
        return StopReason.TIME_LIMIT
    if reason and not failures:
        failures.append(f"z3 could not decide a query ({reason})")
    return StopReason.ERROR
