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
    s.set_defaults(func=run)


def run(args) -> int:
    from rich.console import Console

    from ..suite import ManifestError, check_run, failures, read_manifest, summary

    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
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
    outcomes = []
    for r, c in zip(runs, consts):
        if args.quick and r.get("slow"):
            continue
        outcome = check_run(r, c)
        if outcome.error is not None:
            print(outcome.error.render(), file=sys.stderr)
        outcomes.append(outcome)
    rows = [row for o in outcomes for row in o.rows()]
    unexpected = failures(outcomes)

    table = _table(rows)
    console.print(table)
    out = Path(args.report)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary(outcomes), indent=2) + "\n")
    with (out / "summary.txt").open("w") as fh:
        Console(file=fh, width=150, color_system=None).print(table)
        for f in unexpected:
            print(f"UNEXPECTED: {f}", file=fh)

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
    total = len({(row[0], row[1]) for row in rows})
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
