"""Plain-text rendering of check results and counterexamples.

A counterexample is printed as numbered steps: the initial state in full, then for
each step the action with its parameters and only the variables that changed
(``name: old -> new``). ``full=True`` prints whole states.
"""

from __future__ import annotations

from ..result import CheckResult, Trace, Violation


def render_trace(model, trace: Trace, full: bool = False) -> str:
    lines = []
    prev = None
    for i, (state, label) in enumerate(zip(trace.states, trace.labels)):
        marker = "  <- loop starts here" if trace.loop == i else ""
        if label is None:
            lines.append(f"  {i + 1}. initial state{marker}")
        else:
            lines.append(f"  {i + 1}. {model.describe(label).show()}{marker}")
        for k, name in enumerate(model.variables):
            new = model.show_value(k, state[k])
            if prev is None or full:
                lines.append(f"       {name} = {new}")
            elif state[k] != prev[k]:
                lines.append(f"       {name}: {model.show_value(k, prev[k])} -> {new}")
        if prev is not None and not full and state == prev:
            lines.append("       (no variable changed)")
        prev = state
    if trace.loop is not None:
        if trace.loop_label is None:
            lines.append(f"  then state {len(trace.states)} repeats forever (stuttering: no fair action "
                         "is forced to move it)")
        else:
            lines.append(f"  {len(trace.states) + 1}. {model.describe(trace.loop_label).show()}"
                         f" goes back to state {trace.loop + 1}; the cycle {trace.loop + 1}..{len(trace.states)} "
                         "repeats forever")
    return "\n".join(lines)


def render_violation(model, v: Violation, full: bool = False) -> str:
    n = len(v.trace)
    if v.kind == "deadlock":
        head = f"Deadlock: a state with no enabled action, reached in {n} states"
    elif v.kind == "assertion":
        head = f"Assertion {v.property} failed: {v.message}"
    elif v.kind == "temporal" and not v.trace.states:
        head = f"Temporal property {v.property} [{v.cls}] violated{_for(v.message)}"
        return head
    elif v.kind == "temporal" and v.trace.loop is None:
        head = (f"Temporal property {v.property} [{v.cls}] violated{_for(v.message)}: "
                f"a bad state is reached in {n} states")
    elif v.kind == "temporal":
        head = (f"Temporal property {v.property} [{v.cls}] violated{_for(v.message)} by a behaviour "
                f"that runs forever (a lasso: {v.trace.loop} states, then a cycle of "
                f"{n - v.trace.loop})")
    elif v.kind == "step":
        head = f"Step property {v.property} [{v.cls}] violated by the last step of {n} states"
    else:
        head = f"Invariant {v.property} [{v.cls}] violated in {n} states"
    body = render_trace(model, v.trace, full)
    tail = ""
    if v.kind == "assertion" and v.failed_label is not None:
        tail = f"\n  then {model.describe(v.failed_label).show()} fails the assertion"
    return f"{head}:\n{body}{tail}"


def _for(message: str) -> str:
    return f" ({message})" if message else ""


def render_witness(model, w, full: bool = False) -> str:
    n = len(w.trace)
    head = f"Reachable {w.property} [{w.cls}]{_for(w.message)}: witnessed in {n} states"
    return f"{head}:\n{render_trace(model, w.trace, full)}"


def _property_lines(result: CheckResult) -> list[str]:
    width = max([len(p.name) for p in result.properties] + [8])
    return [f"  {p.name:<{width}}  {p.cls:<11} {p.kind:<9}  {p.verdict}" for p in result.properties]


def render_summary(result: CheckResult, title: str) -> str:
    lines = [title]
    lines.extend(_property_lines(result))
    lines.append(
        f"  {result.distinct_states} distinct states, {result.generated_states} generated, "
        f"depth {result.depth}, {result.seconds:.2f} s ({result.strategy}"
        f"{', symmetry' if result.symmetry else ''})"
    )
    if result.stop_reason.value not in ("exhausted", "violation", "error"):
        lines.append(f"  search stopped by --{result.stop_reason.value}: not exhaustive, nothing proven")
    for w in result.warnings:
        lines.append(f"  warning: {w}")
    lines.append(f"  verdict: {result.verdict}")
    return "\n".join(lines)


def render_coverage(result: CheckResult) -> str:
    lines = ["  coverage (transitions generated / new states):"]
    for c in result.coverage:
        lines.append(f"    {c.instance:<40} {c.generated:>10} {c.distinct:>10}")
    for a in result.never_enabled:
        lines.append(f"    {a:<40} never enabled")
    return "\n".join(lines)


# ---------------------------------------------------------------------- simulation

_ENDS = {"depth": "the depth bound", "deadlock": "no successor", "constraint": "leaving the constraints",
         "violation": "a violation", "assertion": "a failed assertion"}


def render_simulation_summary(result: CheckResult, title: str) -> str:
    """The summary of a random simulation (``modelcheck simulate``): it never says
    ``holds``; with no violation found it says how many traces were run."""
    sim = result.simulation
    lines = [title]
    lines.extend(_property_lines(result))
    lines.append(
        f"  {sim.traces} traces of up to {sim.max_depth} states (seed {sim.seed}), {sim.steps} steps, "
        f"{result.distinct_states} distinct states, longest trace {result.depth} states, "
        f"{result.seconds:.2f} s (simulate)"
    )
    rates = f"  {sim.traces_per_second:,.0f} traces/s, {sim.steps_per_second:,.0f} steps/s"
    if sim.shrinks:
        rates += f" (not counting {sim.shrink_seconds:.2f} s of shrinking)"
    lines.append(rates)
    if sim.ends:
        lines.append("  traces ended by: " + ", ".join(f"{_ENDS.get(k, k)} {n}" for k, n in sim.ends.items()))
    if result.stop_reason.value == "time-limit":
        lines.append(f"  stopped by --time-limit after {sim.traces} of {sim.max_traces} traces")
    for w in result.warnings:
        lines.append(f"  warning: {w}")
    if result.verdict.value == "not-violated":
        lines.append(f"  verdict: not-violated: no violation found in {sim.traces} traces "
                     "(random simulation, not exhaustive: nothing is proven)")
    else:
        lines.append(f"  verdict: {result.verdict}")
    return "\n".join(lines)


def render_shrink(result: CheckResult, v: Violation) -> str:
    """One line on how a simulation's counterexample was found and shrunk."""
    sim = result.simulation
    info = next((s for s in sim.shrinks if s.property == v.property), None) if sim else None
    if info is None:
        return ""
    if info.replays == 0:
        return f"Found by random trace {info.trace} (seed {sim.seed}) in {info.original_length} states (not shrunk)"
    return (f"Found by random trace {info.trace} (seed {sim.seed}) in {info.original_length} states; "
            f"shrunk to {info.length} states ({info.replays} replays)")
