"""Text for validation, replay and generation results. Pure functions: results in,
strings out (the CLI prints them). Depends on the result types of this package."""

from __future__ import annotations

from .validate import INCORRECT, MISSING, UNEXPECTED, BehaviourResult, Divergence, Group, ValidationResult, ConformanceVerdict

KIND_WORDS = {
    UNEXPECTED: "unexpected action (no spec action allows this step)",
    INCORRECT: "incorrect state (the action fires, but the observed values differ)",
    MISSING: "missing action (the trace ends while the spec still has to act)",
}

MAX_REPORTS = 3  # divergence reports printed in full; --json has all


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def behaviour_label(r: BehaviourResult) -> str:
    return "the trace" if r.name is None else f"transaction {r.name}"


def render_validation(result: ValidationResult, title: str, max_reports: int = MAX_REPORTS) -> str:
    lines = [title]
    rs = result.behaviours
    width = max([len(r.name or "trace") for r in rs] + [5])
    for r in rs[:50]:
        name = (r.name or "trace").ljust(width)
        head = f"  {name}  {_plural(r.events, 'event'):>12}  "
        if r.verdict == ConformanceVerdict.EXPLAINED:
            lines.append(head + f"explained ({_plural(r.candidates, 'candidate state')} at the end, at most "
                                f"{r.max_candidates:,})")
        elif r.verdict == ConformanceVerdict.DIVERGENCE:
            d = r.divergence
            where = "the end" if d.kind == MISSING else ("the initial state" if d.event == 0 else f"event {d.event}")
            lines.append(head + f"DIVERGENCE at {where}: {d.kind}")
        else:
            lines.append(head + f"undetermined: {r.message}")
    if len(rs) > 50:
        lines.append(f"  ... and {len(rs) - 50} more (--json lists all)")
    lines.append(f"  {_plural(result.events, 'event')} in {result.seconds:.2f} s "
                 f"({result.events_per_second:,.0f} events/s)")
    bad = [r for r in rs if r.verdict == ConformanceVerdict.DIVERGENCE]
    if result.verdict == ConformanceVerdict.EXPLAINED:
        lines.append(f"  verdict: explained (a behaviour of the spec explains every "
                     f"{'transaction' if rs and rs[0].name is not None else 'event'})")
    elif result.verdict == ConformanceVerdict.DIVERGENCE:
        lines.append(f"  verdict: divergence ({len(bad)} of {_plural(len(rs), 'behaviour')})")
    else:
        lines.append("  verdict: undetermined")
    for r in bad[:max_reports]:
        lines.append("")
        lines.append(render_divergence(r))
    if len(bad) > max_reports:
        lines.append("")
        lines.append(f"({len(bad) - max_reports} more divergences not shown; --json reports all)")
    return "\n".join(lines)


def render_divergence(r: BehaviourResult, source: str = "") -> str:
    d: Divergence = r.divergence
    out = [f"Divergence in {behaviour_label(r)}: {KIND_WORDS[d.kind]}"]
    if d.kind == MISSING:
        out.append(f"  after event {d.event - 1} (the last), the trace ends")
    else:
        loc = f" ({d.file}:{d.line})" if d.file else (f" (line {d.line})" if d.line is not None else "")
        who = f", process {d.proc}" if d.proc else ""
        what = "initial state" if d.event == 0 else f"event {d.event}"
        out.append(f"  {what}{loc}{who}: {d.action}")
        if d.observed_shown:
            out.append("  observed: " + ", ".join(f"{k} = {v}" for k, v in d.observed_shown))
        else:
            out.append("  observed: nothing (no variable logged)")
    out.extend(_summary_lines(d, "after the last event" if d.kind == MISSING else "before it"))
    if d.kind == MISSING:
        out.extend(_missing_lines(d))
        return "\n".join(out)
    for inst in d.instances:
        out.extend(_instance_lines(inst.instance, inst.groups, d.examined, d.kind))
    if d.before.count > d.examined:
        out.append(f"  (explanations for the first {d.examined} of {d.before.count:,} candidate states)")
    return "\n".join(out)


def _summary_lines(d: Divergence, when: str) -> list[str]:
    s = d.before
    out = []
    if s.count == 1:
        out.append(f"  {when}, 1 spec state was possible:" if when == "before it" else f"  {when}, 1 spec state is possible:")
        out.extend(f"      {k} = {v}" for k, v in s.agree)
        return out
    verb = "were" if when == "before it" else "are"
    out.append(f"  {when}, {s.count:,} spec states {verb} possible; they agree on")
    out.extend(f"      {k} = {v}" for k, v in s.agree)
    out.append("    and differ on")
    for k, vals in s.differ:
        shown = ", ".join(f"{v} ({_plural(n, 'state')})" for v, n in vals[:6])
        if len(vals) > 6:
            shown += f", ... ({len(vals) - 6} more values)"
        out.append(f"      {k}: {shown}")
    return out


def _instance_lines(name: str, groups: tuple[Group, ...], examined: int, kind: str) -> list[str]:
    out = []
    for g in groups:
        scope = "" if len(groups) == 1 and g.states == examined else \
            f" (in {g.states} of the {examined} candidate states examined)"
        if g.fired:
            out.append(f"  {name} fires{scope}, but not into the observed state:")
            for k, m in enumerate(g.mismatches):
                if len(g.mismatches) > 1:
                    out.append(f"    successor {k + 1}:")
                for x in m:
                    out.append(f"      {x.var}: the spec gives {x.expected}, observed {x.observed}")
                    if x.detail:
                        out.append(f"        ({x.detail})")
            continue
        if scope and g.states > 1:
            scope = scope[:-1] + "; the values are those of the first)"
        out.append(f"  {name} cannot fire{scope}:")
        for f in g.failures[:5]:
            out.extend(_failure_lines(f))
        if len(g.failures) > 5:
            out.append(f"    ... and {len(g.failures) - 5} more paths blocked")
    return out


def _failure_lines(f) -> list[str]:
    out = []
    at = f"{f.where.file}:{f.where.line}:{f.where.col}: " if f.where else ""
    picks = (" (with " + ", ".join(f"{n} = {v}" for n, v in f.picks) + ")") if f.picks else ""
    if f.kind == "require":
        out.append(f"    {at}require {f.where.text} is false{picks}")
    elif f.kind == "parameter":
        out.append(f"    {at}{f.message}")
    elif f.kind == "pick":
        out.append(f"    {at}{f.message}{picks}")
    elif f.kind == "assert":
        out.append(f"    {at}assert {f.where.text if f.where else ''} fails{picks}: {f.message}")
    else:
        out.append(f"    {at}runtime error{picks}: {f.message}")
    if f.where is not None and f.where.snippet:
        out.extend("    " + ln for ln in f.where.snippet.splitlines())
    for text, value in f.values:
        out.append(f"      {text} = {value}")
    for e in f.expansions:
        body = e.body.text if len(e.body.text) <= 100 else e.body.text[:97] + "..."
        out.append(f"      where {e.name} = {body}  ({e.body.file}:{e.body.line})")
        if e.failed is not None and e.failed.text != e.body.text:
            out.append(f"        false: {e.failed.text}  ({e.failed.file}:{e.failed.line})")
        for text, value in e.values:
            out.append(f"        {text} = {value}")
    return out


def _missing_lines(d: Divergence) -> list[str]:
    out = []
    fair = all(d.obligations) and d.obligations
    if fair:
        out.append("  in every candidate state a fairness-obliged step is still enabled, so the spec does not")
        out.append("  allow the behaviour to stop here:")
    else:
        out.append("  no candidate state is a place where the spec allows the behaviour to stop:")
    for k, (steps, pend) in enumerate(zip(d.obligations, d.pending)):
        if len(d.obligations) > 1:
            out.append(f"    candidate state {k + 1}:")
        for s in steps:
            out.append(f"      enabled: {s}")
        for p in pend:
            out.append(f"      pending: {p} (not yet satisfied, and stuttering from here never satisfies it)")
        if pend and not steps:
            out.append("      (no fair step is enabled: the spec itself allows stopping here, so its property "
                       "fails on this behaviour; `modelcheck check` reports it)")
    if d.before.count > len(d.obligations):
        out.append(f"  (the first {len(d.obligations)} of {d.before.count:,} candidate states)")
    return out


def validation_to_dict(result: ValidationResult, spec_name: str, spec_file: str, trace: str, consts: str) -> dict:
    return {
        "spec": spec_name,
        "file": spec_file,
        "constants": consts,
        "trace": trace,
        "format": result.format,
        "verdict": result.verdict,
        "events": result.events,
        "seconds": round(result.seconds, 4),
        "events_per_second": round(result.events_per_second, 1),
        "behaviours": [r.to_dict() for r in result.behaviours],
        "divergences": sum(1 for r in result.behaviours if r.verdict == ConformanceVerdict.DIVERGENCE),
    }


# ----------------------------------------------------------------------------- replay


def render_replay(results, title: str) -> str:
    lines = [title]
    for r in results:
        if len(results) > 1 or r.name:
            lines.append(f"  {r.name or 'trace'}:")
        n_steps = len(r.steps)
        bad = [s for s in r.steps if not s.legal]
        init = "an initial state of the spec" if r.initial_legal else "NOT an initial state of the spec"
        lines.append(f"    {_plural(r.states, 'state')}; states[0] is {init}")
        if bad:
            lines.append(f"    {len(bad)} of {_plural(n_steps, 'step')} NOT legal: "
                         + ", ".join(f"states[{s.index}] ({s.action})" for s in bad[:10]))
        else:
            lines.append(f"    every step is a legal transition ({_plural(n_steps, 'step')})")
        if r.loop is not None:
            lines.append(f"    loop: {r.loop_message}" + ("" if r.loop_legal else " (NOT legal)"))
            if r.fair:
                lines.append("    the lasso is fair (every fairness condition is met on its cycle)")
            else:
                lines.append("    the lasso is NOT fair:")
                lines.extend(f"      {u}" for u in r.unfair)
        for f in r.findings:
            where = f" in states[{f.state}]" if f.state is not None else ""
            msg = f": {f.message}" if f.message else ""
            lines.append(f"    violates {f.property} [{f.cls}] ({f.kind}){where}{msg}")
        if not r.findings:
            lines.append("    violates no property")
        if r.undecided:
            lines.append("    not decided on a finite trace: " + ", ".join(r.undecided))
        verdict = "legal (a behaviour of the spec)" if r.legal else "NOT legal"
        if r.findings:
            verdict += ", violating " + ", ".join(dict.fromkeys(f.property for f in r.findings))
        lines.append(f"    verdict: {verdict}")
        if r.initial_divergence is not None:
            lines.append("")
            lines.append(_indent(render_divergence(BehaviourResult(r.name, 0, ConformanceVerdict.DIVERGENCE, 0, 0,
                                                                   r.initial_divergence)), 2))
        for s in bad[:MAX_REPORTS]:
            lines.append("")
            br = BehaviourResult(r.name, 1, ConformanceVerdict.DIVERGENCE, 1, 1, s.divergence)
            lines.append(_indent(render_divergence(br).replace(f"event {s.index}", f"step into states[{s.index}]", 1), 2))
    return "\n".join(lines)


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + ln if ln else ln for ln in text.splitlines())


# ----------------------------------------------------------------------------- generation


def render_generation(gen, title: str, out_dir: str) -> str:
    lines = [f"{title}: {_plural(len(gen.traces), 'trace')} written to {out_dir} "
             f"(with manifest.json; seed {gen.seed}, {gen.seconds:.2f} s)"]
    for c in gen.coverage:
        if c.mode == "walks":
            lines.append(f"  walks: {c.covered:,} of {c.total:,} action instances taken "
                         f"({c.states:,} distinct states visited)")
        elif c.mode == "reach":
            lines.append(f"  --reach: {c.covered:,} of {_plural(c.total, 'predicate')} reached "
                         f"({c.states:,} states explored)")
        else:
            what = "action instances" if c.mode == "actions" else "transitions (edges of the state graph)"
            ex = "exhaustive" if c.exhaustive else "not exhaustive"
            lines.append(f"  cover {c.mode}: {c.covered:,} of {c.total:,} {what} covered "
                         f"({c.states:,} states explored, {ex})")
        if c.missing:
            if c.mode == "reach":          # predicates may hold commas: one a line
                label = "unreachable" if c.exhaustive else "not reached"
                lines.extend(f"    {label}: {text}" for text in c.missing)
            else:
                label = "never enabled" if c.mode == "actions" and c.exhaustive else "not covered"
                shown = ", ".join(c.missing[:12]) + (f", ... ({len(c.missing) - 12} more)" if len(c.missing) > 12 else "")
                lines.append(f"    {label}: {shown}")
        if c.note:
            lines.append(f"    note: {c.note}")
    kinds: dict[str, list] = {}
    for t in gen.traces:
        kinds.setdefault(t.kind, []).append(len(t.states))
    for k, lens in kinds.items():
        lines.append(f"  {k}: {len(lens)} traces, {min(lens)}..{max(lens)} states, {sum(lens) - len(lens):,} steps")
    return "\n".join(lines)
