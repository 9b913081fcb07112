"""Plain-text rendering of check results and counterexamples.

A counterexample is printed as numbered steps: the initial state in full, then for
each step the action with its parameters and only the variables that changed
(``name: old -> new``). ``full=True`` prints whole states. Values are printed as a
spec writes them, sets and maps in a stable order (:func:`modelcheck.values.show`).

A change whose line would be wider than :data:`WIDE` characters is printed entry by
entry instead, for functions, maps and records, recursively: ``recorder.pc: A -> B``,
``state[s2]: LOOKING -> FOLLOWING`` (one line per entry that changed; an entry a map
gains or loses shows ``(absent)``). Short changes stay on one line, as the README's
examples show.

Colour: every function takes ``paint(text, role) -> str``; the default returns the
text unchanged, so the plain output never carries escape codes. The CLI passes
:func:`modelcheck.render.colour.painter`'s function on a terminal (not in a pipe, not
with ``NO_COLOR``), which wraps each piece in rich markup for its role.
"""

from __future__ import annotations

from ..model import HasVarTypes
from ..result import CheckResult, Trace, Violation
from ..types import FunT, MapT, RecordT, SetT, domain_values
from ..values import display_sorted, show, sort_values

#: a change line wider than this is broken up entry by entry (functions, maps, records)
WIDE = 120
INDENT = "       "


def _plain(text: str, role: str) -> str:
    return text


_ABSENT = object()


def _diff(path: str, a, b, t, paint) -> list[str]:
    """``path: old -> new`` lines for a changed value of type ``t`` (None: unknown)."""
    sa = "(absent)" if a is _ABSENT else (show(a, t) if t is not None else repr(a))
    sb = "(absent)" if b is _ABSENT else (show(b, t) if t is not None else repr(b))
    if len(INDENT) + len(path) + len(sa) + len(sb) + 6 > WIDE and a is not _ABSENT and b is not _ABSENT:
        out: list[str] = []
        if isinstance(t, FunT):
            for k, x, y in zip(domain_values(t.dom), a, b):
                if x != y:
                    out += _diff(f"{path}[{show(k, t.dom)}]", x, y, t.cod, paint)
            return out
        if isinstance(t, MapT):
            for k in sort_values(set(a) | set(b)):
                x, y = a.get(k, _ABSENT), b.get(k, _ABSENT)
                if x != y:
                    out += _diff(f"{path}[{show(k, t.key)}]", x, y, t.val, paint)
            return out
        if isinstance(t, RecordT):
            for (f, ft), x, y in zip(t.fields, a, b):
                if x != y:
                    out += _diff(f"{path}.{f}", x, y, ft, paint)
            return out
        if isinstance(t, SetT):
            # what was added and removed, not the whole set twice
            for sign, xs, style in (("+", b - a, "new"), ("-", a - b, "old")):
                for x in display_sorted(xs, t.elem):
                    out.append(f"{INDENT}{paint(path, 'var')}: {paint(f'{sign} {show(x, t.elem)}', style)}")
            return out
    return [f"{INDENT}{paint(path, 'var')}: {paint(sa, 'old')} {paint('->', 'arrow')} {paint(sb, 'new')}"]


def step_changes(model, prev, state) -> list[str]:
    """The ``name: old -> new`` lines of one step (no indent, no colour), wide values
    broken up as in :func:`render_trace`: for tables (the HTML report)."""
    types = model.var_types if isinstance(model, HasVarTypes) else None
    out = []
    for k, name in enumerate(model.variables):
        if state[k] != prev[k]:
            if types is None:
                out.append(f"{name}: {model.show_value(k, prev[k])} -> {model.show_value(k, state[k])}")
            else:
                out.extend(line[len(INDENT):] for line in _diff(name, prev[k], state[k], types[k], _plain))
    return out


def _choices(model, prev, label, state, paint) -> str:
    """`` with m = P2a(1, v1), either (line 40) branch 2``: what the step chose inside its
    action (a compiled spec's ``step_choices``), or ``""``."""
    fn = getattr(model, "step_choices", None)
    if fn is None or prev is None:
        return ""
    got = fn(prev, label, state)
    if not got:
        return ""
    return paint(" with " + ", ".join(f"{n} = {s}" if t is not None else f"{n} {s}" for n, s, _, t in got), "dim")


def render_trace(model, trace: Trace, full: bool = False, paint=_plain, first: str = "initial state") -> str:
    """A trace, state by state (changes only, unless ``full``); ``first`` names the first
    state (a counterexample to induction starts from "a state satisfying Inv")."""
    lines = []
    prev = None
    types = model.var_types if isinstance(model, HasVarTypes) else None
    for i, (state, label) in enumerate(zip(trace.states, trace.labels)):
        marker = paint("  <- loop starts here", "loop") if trace.loop == i else ""
        num = paint(f"{i + 1}.", "step")
        if label is None:
            lines.append(f"  {num} {paint(first if i == 0 else 'initial state', 'init')}{marker}")
        else:
            lines.append(f"  {num} {paint(model.describe(label).show(), 'action')}"
                         f"{_choices(model, prev, label, state, paint)}{marker}")
        for k, name in enumerate(model.variables):
            if prev is None or full:
                lines.append(f"{INDENT}{paint(name, 'var')} = {model.show_value(k, state[k])}")
            elif state[k] != prev[k]:
                t = types[k] if types is not None else None
                if t is None:
                    lines.append(f"{INDENT}{paint(name, 'var')}: {paint(model.show_value(k, prev[k]), 'old')} "
                                 f"{paint('->', 'arrow')} {paint(model.show_value(k, state[k]), 'new')}")
                else:
                    lines.extend(_diff(name, prev[k], state[k], t, paint))
        if prev is not None and not full and state == prev:
            lines.append(f"{INDENT}{paint('(no variable changed)', 'dim')}")
        prev = state
    if trace.loop is not None:
        if trace.loop_label is None:
            lines.append(paint(f"  then state {len(trace.states)} repeats forever (stuttering: no fair action "
                               "is forced to move it)", "loop"))
        else:
            lines.append(f"  {paint(f'{len(trace.states) + 1}.', 'step')} "
                         f"{paint(model.describe(trace.loop_label).show(), 'action')}"
                         f"{_choices(model, trace.states[-1], trace.loop_label, trace.states[trace.loop], paint)}"
                         + paint(f" goes back to state {trace.loop + 1}; the cycle {trace.loop + 1}.."
                                 f"{len(trace.states)} repeats forever", "loop"))
    return "\n".join(lines)


def render_violation(model, v: Violation, full: bool = False, paint=_plain) -> str:
    n = len(v.trace)
    if v.kind == "deadlock":
        head = f"Deadlock: a state with no enabled action, reached in {n} states"
    elif v.kind == "assertion":
        head = f"Assertion {v.property} failed: {v.message}"
    elif v.kind == "temporal" and not v.trace.states:
        head = f"Temporal property {v.property} [{v.cls}] violated{_for(v.message)}"
        return paint(head, "head")
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
    body = render_trace(model, v.trace, full, paint)
    tail = ""
    if v.kind == "assertion" and v.failed_label is not None:
        tail = f"\n  then {paint(model.describe(v.failed_label).show(), 'action')} fails the assertion"
    return f"{paint(head + ':', 'head')}\n{body}{tail}"


def _for(message: str) -> str:
    return f" ({message})" if message else ""


def render_witness(model, w, full: bool = False, paint=_plain) -> str:
    n = len(w.trace)
    head = f"Reachable {w.property} [{w.cls}]{_for(w.message)}: witnessed in {n} states"
    return f"{paint(head + ':', 'witness')}\n{render_trace(model, w.trace, full, paint)}"


def _property_lines(result: CheckResult, paint=_plain) -> list[str]:
    width = max([len(p.name) for p in result.properties] + [8])
    return [f"  {p.name:<{width}}  {p.cls:<11} {p.kind:<9}  {paint(str(p.verdict), 'verdict.' + str(p.verdict))}"
            for p in result.properties]


def render_summary(result: CheckResult, title: str, paint=_plain) -> str:
    lines = [paint(title, "title")]
    lines.extend(_property_lines(result, paint))
    lines.append(
        f"  {result.distinct_states:,} distinct states, {result.generated_states:,} generated, "
        f"depth {result.depth}, {result.seconds:.2f} s ({result.strategy}"
        f"{', symmetry' if result.symmetry else ''}{', C backend' if result.backend == 'c' else ''}"
        f"{', %d workers' % result.extra['workers'] if 'workers' in result.extra else ''}"
        f"{' after %.2f s in one process' % result.extra['alone_seconds'] if 'alone_seconds' in result.extra else ''}"
        f"{' on the Dask cluster ' + result.extra['cluster'] if 'cluster' in result.extra else ''})"
    )
    if result.backend_note:
        # why the Python backend searched (auto without C for this spec), or that the C
        # search started again with larger capacities: what --json gives as backend_note
        who = "C backend" if result.backend == "c" else "the Python backend searched"
        lines.append(f"  {who}: {result.backend_note}")
    if result.stop_reason.value == "interrupted":
        lines.append("  search interrupted (Ctrl-C): not exhaustive, nothing proven")
    elif result.stop_reason.value == "worker-lost":
        lines.append("  search stopped: a worker process was lost: not exhaustive, nothing proven")
    elif result.stop_reason.value not in ("exhausted", "violation", "error"):
        lines.append(f"  search stopped by --{result.stop_reason.value}: not exhaustive, nothing proven")
    for w in result.warnings:
        lines.append(paint(f"  warning: {w}", "warning"))
    lines.append(f"  verdict: {paint(str(result.verdict), 'verdict.' + str(result.verdict))}")
    return "\n".join(lines)


def render_coverage(result: CheckResult) -> str:
    lines = ["  coverage (transitions generated / new states):"]
    for c in result.coverage:
        lines.append(f"    {c.instance:<40} {c.generated:>10,} {c.distinct:>10,}")
    unused = "never enabled" if result.exhaustive else "not enabled in the states explored"
    for a in result.never_enabled:
        lines.append(f"    {a:<40} {unused}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- simulation

_ENDS = {"depth": "the depth bound", "deadlock": "no successor", "constraint": "leaving the constraints",
         "violation": "a violation", "assertion": "a failed assertion"}


def render_simulation_summary(result: CheckResult, title: str, paint=_plain) -> str:
    """The summary of a random simulation (``modelcheck simulate``): it never says
    ``holds``; with no violation found it says how many traces were run."""
    sim = result.simulation
    lines = [paint(title, "title")]
    lines.extend(_property_lines(result, paint))
    lines.append(
        f"  {sim.traces:,} traces of up to {sim.max_depth:,} states (seed {sim.seed}), {sim.steps:,} steps, "
        f"{result.distinct_states:,} distinct states, longest trace {result.depth:,} states, "
        f"{result.seconds:.2f} s (simulate)"
    )
    rates = f"  {sim.traces_per_second:,.0f} traces/s, {sim.steps_per_second:,.0f} steps/s"
    if sim.shrinks:
        rates += f" (not counting {sim.shrink_seconds:.2f} s of shrinking)"
    lines.append(rates)
    if sim.ends:
        lines.append("  traces ended by: " + ", ".join(f"{_ENDS.get(k, k)} {n}" for k, n in sim.ends.items()))
    if result.stop_reason.value in ("time-limit", "max-memory"):
        lines.append(f"  stopped by --{result.stop_reason.value} after {sim.traces:,} of {sim.max_traces:,} traces")
    elif result.stop_reason.value == "interrupted":
        lines.append(f"  interrupted (Ctrl-C) after {sim.traces:,} of {sim.max_traces:,} traces: nothing proven")
    for w in result.warnings:
        lines.append(paint(f"  warning: {w}", "warning"))
    if result.verdict.value == "not-violated":
        lines.append(f"  verdict: {paint('not-violated', 'verdict.not-violated')}: no violation found in "
                     f"{sim.traces:,} traces (random simulation, not exhaustive: nothing is proven)")
    else:
        lines.append(f"  verdict: {paint(str(result.verdict), 'verdict.' + str(result.verdict))}")
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
