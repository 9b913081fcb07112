"""``modelcheck suite [MANIFEST]``: check every run a manifest lists (``modelcheck.suite``
does the work and returns data), print the summary table, and write ``summary.txt``,
``summary.json`` and ``report.html`` into ``--report DIR``.

Exit status: 0 every run gave the verdict it must, 1 some run did not (or its spec did
not load: its diagnostics are printed to stderr as the run comes), 2 a bad manifest.

Depends on :mod:`modelcheck.suite`, :mod:`.common` (the constants' text), rich (the
table) and the HTML report renderer.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .common import EXIT_USAGE, manifest_consts


def add_parser(sub) -> None:
    s = sub.add_parser("suite", help="check every bundled spec configuration and write a report")
    s.add_argument("manifest", nargs="?", default="specs/suite.toml", help="the suite manifest (TOML)")
    s.add_argument("--report", default="reports", help="directory for summary.txt, summary.json and report.html")
    s.add_argument("--quick", action="store_true", help="skip runs marked slow")
    s.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="check N runs at a time, each in its own process (default: the number of cores; "
                        "1 runs them one after another in this process)")
    s.add_argument("--backend", choices=("auto", "c", "python"), default=None,
                   help="the backend of every run (default: each run's `backend`, else auto: C where it "
                        "compiles the spec, else Python)")
    s.set_defaults(func=run)


#: wide enough that no table column is cut: pipes and files get full rows
_FILE_WIDTH = 1000


class _Running:
    """The progress line on a terminal: the runs in flight and how long each has run
    (rendered again by rich's status spinner a few times a second)."""

    def __init__(self, names):
        self.names = names
        self.started: dict[int, float] = {}
        self.done = 0

    def __rich__(self):
        now = time.monotonic()
        busy = ", ".join(f"{self.names[i]} {now - t0:.0f} s" for i, t0 in sorted(self.started.items()))
        return f"{self.done}/{len(self.names)} runs done; running: {busy or '-'}"


def run(args) -> int:
    from rich.console import Console

    from ..suite import ManifestError, check_runs, failures, read_manifest, run_label, summary

    import os

    console = Console()
    terminal = console.is_terminal
    if not terminal:
        console = Console(width=_FILE_WIDTH)
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    if jobs < 1:
        print("modelcheck: error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        runs = read_manifest(args.manifest)
        consts = []
        for i, r in enumerate(runs, 1):
            try:
                consts.append(manifest_consts(r.get("consts")))
            except ValueError as e:
                raise ManifestError(f"{Path(args.manifest)}: run {i}: {e}") from None
    except ManifestError as e:
        print(f"modelcheck: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    if args.backend is not None:
        for r in runs:
            r["backend"] = args.backend
    chosen = [(r, c) for r, c in zip(runs, consts) if not (args.quick and r.get("slow"))]
    runs, consts = [r for r, _ in chosen], [c for _, c in chosen]
    names = [f"{r['spec']} [{run_label(r)}]" for r in runs]
    running = _Running(names)
    width = len(str(len(runs)))

    def started(i):
        running.started[i] = time.monotonic()

    def done(i, o):
        # one line per run as it finishes (the table comes at the end, in manifest order)
        running.started.pop(i, None)
        running.done += 1
        if o.error is not None:  # (under the status spinner rich redirects stderr too)
            print(o.error.render(), file=sys.stderr)
        res = o.result
        figures = "" if res is None else (f"{res.distinct_states:,} states, depth {res.depth}, "
                                          f"{res.seconds:.2f} s")
        if o.peak_memory is not None:
            figures += f", {o.peak_memory / 2**20:,.0f} MB"
        mark = "ok" if o.as_expected else "NO"
        line = f"[{running.done:>{width}}/{len(runs)}] {mark:<2} {o.verdict:<12} {names[i]}  {figures}"
        if terminal:
            console.print(line, markup=False, highlight=False, style=None if o.as_expected else "bold red")
        else:
            print(line, flush=True)

    if terminal:
        with console.status(running):
            outcomes = check_runs(runs, consts, jobs, on_start=started, on_done=done)
    else:
        outcomes = check_runs(runs, consts, jobs, on_start=started, on_done=done)
    rows = [row for o in outcomes for row in o.rows()]
    unexpected = failures(outcomes)

    table = _table(rows)
    console.print(table)
    out = Path(args.report)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary(outcomes), indent=2) + "\n")
    total = len(outcomes)
    with (out / "summary.txt").open("w") as fh:
        Console(file=fh, width=_FILE_WIDTH, color_system=None).print(table)
        for f in unexpected:
            print(f"UNEXPECTED: {f}", file=fh)
        if not unexpected:
            print(f"all {total} runs gave the expected verdict", file=fh)

    from ..render.html import render_report

    t0 = time.monotonic()
    report_runs = [_report_run(o) for o in outcomes]
    (out / "report.html").write_text(render_report(report_runs, title="modelcheck suite",
                                                   note=str(args.manifest)), encoding="utf-8")
    drawn = sum(len(o.result.violations) + len(o.result.witnesses) for o in outcomes if o.result is not None)
    console.print(f"report written to {out / 'summary.txt'}, {out / 'summary.json'} and {out / 'report.html'} "
                  f"({drawn} counterexamples and witnesses drawn in {time.monotonic() - t0:.1f} s)")
    if unexpected:
        for f in unexpected:
            print(f"UNEXPECTED: {f}", file=sys.stderr)
        return 1
    console.print(f"all {total} runs gave the expected verdict")
    return 0


def _table(rows):
    from rich.table import Table

    table = Table(title="modelcheck suite")
    for col in ("spec", "configuration", "property", "class", "verdict", "distinct states", "depth",
                "seconds", "as expected"):
        numeric = col in ("distinct states", "depth", "seconds")
        table.add_column(col, justify="right" if numeric else "left", no_wrap=True)
    for spec_name, label, prop, cls, verdict, distinct, depth, secs, ok in rows:
        style = "green" if verdict == "holds" else ("red" if verdict in ("violated", "deadlock", "error") else "yellow")
        table.add_row(spec_name, label, prop, cls, f"[{style}]{verdict}[/]", f"{distinct:,}", str(depth),
                      f"{secs:.2f}", "yes" if ok else "[bold red]NO[/]")
    return table


def _report_run(o):
    """The run as the HTML report shows it."""
    from ..render.html import ReportRun
    from ..search import excerpts_for

    if o.result is None:
        return ReportRun(o.run["spec"], str(o.run["_spec_path"]), o.label, None, expect=o.expect,
                         as_expected=False, error=o.error.render())
    return ReportRun(o.spec.name, o.run["spec"], o.label, o.result, o.spec.model, o.spec.describe_consts(),
                     o.expect, o.as_expected,
                     excerpts=excerpts_for(o.spec.model, o.result.violations, o.result.witnesses))
