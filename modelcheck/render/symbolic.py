"""Text of the symbolic backend's results: ``modelcheck bmc``'s summary (its
counterexamples print as ``check``'s do) and ``modelcheck prove``'s obligations with
their counterexamples to induction.

Depends on :mod:`.text`.
"""

from __future__ import annotations

from .text import _plain, _property_lines, render_trace


def render_bmc_summary(result, head: str, paint=_plain) -> str:
    info = result.extra["bmc"]
    lines = [paint(head, "title")]
    lines.extend(_property_lines(result, paint))
    if result.violations:
        n = len(result.violations[0].trace)
        lines.append(f"  bounded model checking (z3): a violation in {n - 1} steps, the shortest there is; "
                     f"{result.seconds:.2f} s")
    elif result.stop_reason.value == "max-depth":
        lines.append(f"  bounded model checking (z3): no violation in any behaviour of up to {info['max_depth']} "
                     f"steps, {result.seconds:.2f} s. Longer behaviours were not searched: nothing is proven")
    elif result.stop_reason.value == "time-limit":
        lines.append(f"  bounded model checking (z3): stopped by the time limit after {info['depth']} of "
                     f"{info['max_depth']} steps, {result.seconds:.2f} s: nothing is proven")
    elif result.verdict.value == "undetermined":
        lines.append(f"  bounded model checking (z3): stopped after {info['depth']} of {info['max_depth']} steps, "
                     f"z3 could not decide a query (the warning below says why): nothing is proven")
    for w in result.warnings:
        lines.append(paint(f"  warning: {w}", "warning"))
    lines.append(f"  verdict: {paint(str(result.verdict), 'verdict.' + str(result.verdict))}")
    return "\n".join(lines)


def render_proof(result, head: str, paint=_plain) -> str:
    where = (f"for every size of {', '.join(result.for_all_sizes)}" if result.for_all_sizes
             else "for this configuration")
    how = "inductive" if result.k == 1 else f"{result.k}-inductive"
    if getattr(result, "seq_bound", None) is not None:
        how += f" with every unbounded sequence at most {result.seq_bound} long"
    if getattr(result, "set_bound", None) is not None:
        how += f" with every set over an infinite type at most {result.set_bound} large"
    lines = [paint(head, "title"), f"  is {result.invariant}{f' [{result.cls}]' if result.cls else ''} {how} ({where})?"]
    marks = {"holds": "holds", "violated": "FAILS", "unknown": "unknown"}
    for o in result.obligations:
        extra = f" ({o.reason})" if o.reason else ""
        lines.append(f"    {o.title:<48} {paint(marks[o.verdict], 'verdict.' + _style(o.verdict))}"
                     f"  {o.seconds:.2f} s{extra}")
    for o in result.obligations:
        if o.failure is None:
            continue
        f = o.failure
        model = f.spec.model
        lines.append("")
        sizes = (" (with " + ", ".join(f"{n} of size {k}" for n, k in f.sizes.items()) + ")") if f.sizes else ""
        if o.kind == "action":
            lines.append(paint(f"Counterexample to induction: {o.name} does not preserve {result.invariant}{sizes}:",
                               "head"))
            lines.append(f"  a state satisfying {result.invariant}, and a step of {o.name} to one that does not")
        elif o.kind == "fails":
            lines.append(paint(f"From a state satisfying {result.invariant}, {o.name.partition('#')[0]} fails{sizes}: "
                               f"{f.message}", "head"))
        elif o.kind == "bound":
            lines.append(paint(f"An initial state leaves the types or the {o.detail or '--seq-bound'}{sizes}"
                               + (f": {f.message}" if f.message else ""), "head"))
        elif o.kind == "init":
            lines.append(paint(f"An initial state violates {result.invariant}{sizes}:", "head"))
        elif o.kind == "base":
            lines.append(paint(f"{result.invariant} is violated within {o.name} steps of init{sizes}:", "head"))
        elif o.kind == "implies":
            lines.append(paint(f"{result.invariant} does not imply {o.name}{sizes}: a state satisfying it where "
                               f"{o.name} is false", "head"))
        else:
            lines.append(paint(f"A step from a state satisfying {result.invariant} violates {o.name}{sizes}:",
                               "head"))
        first = "initial state" if o.kind in ("init", "base", "bound") else \
            f"a state satisfying {result.invariant} (not necessarily reachable)"
        lines.append(render_trace(model, f.trace, False, paint, first=first))
        for text, inst, parts in f.conjuncts:
            lines.append(f"  false in the last state: {_clip(text)}")
            pad = "    "
            if inst:
                lines.append(f"    for {inst}:")
                pad = "      "
            for sub, value in parts:
                lines.append(f"{pad}{_clip(sub, 60)} = {value}")
    verdict = {"holds": "holds", "violated": "violated", "undetermined": "undetermined"}[result.verdict]
    lines.append("")
    if result.verdict == "holds":
        lines.append(f"  {result.invariant} is {how} and implies every safety property of the spec: "
                     f"they hold in every reachable state ({where}); {result.seconds:.2f} s")
    lines.append(f"  verdict: {paint(verdict, 'verdict.' + verdict)}")
    return "\n".join(lines)


def _style(v: str) -> str:
    return {"holds": "holds", "violated": "violated", "unknown": "undetermined"}[v]


def _clip(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


