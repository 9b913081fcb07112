"""``modelcheck report SPEC``: check a spec (the options of ``check``) and write one
self-contained HTML report (:mod:`modelcheck.render.html`). ``modelcheck suite``
writes the same report for every run of a manifest (``reports/report.html``).

Exit status: the check's (0 holds, 1 violated, 3 undetermined), or 2 for a spec error
or an output file that exists (without ``--force``).
"""

from __future__ import annotations

import sys
from pathlib import Path


def add_parser(sub) -> None:
    from .cli import _add_search_options

    r = sub.add_parser("report", help="check a spec and write an HTML report: verdicts, counterexamples "
                                      "with sequence charts and state-graph excerpts, coverage, statistics")
    r.add_argument("spec", help="a .mc spec file")
    _add_search_options(r)
    r.add_argument("-o", "--out", metavar="FILE", help="the HTML file (default: SPEC's name with -report.html, here)")
    r.add_argument("--force", action="store_true", help="overwrite an existing report file")
    r.add_argument("--no-graphs", action="store_true", help="leave out the state-graph excerpts")
    r.set_defaults(func=cmd_report)


def cmd_report(args) -> int:
    from .api import load
    from .cli import UsageError, _options, _parse_consts
    from .search import excerpts_for, explore
    from .render.html import ReportRun, render_report

    out = Path(args.out or Path(args.spec).stem + "-report.html")
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; use --force to overwrite it, or -o FILE")
    consts = _parse_consts(args.const)
    spec = load(args.spec, consts=consts, config=args.config)
    for w in spec.warnings:
        print(w.render(spec.checked.module.source), file=sys.stderr)
    result = explore(spec.model, _options(args))
    label = args.config or "default"
    if args.const:
        label = " ".join([args.config] if args.config else [] + list(args.const)) or label
    run = ReportRun(spec.name, args.spec, label, result, spec.model, spec.describe_consts(),
                    excerpts=() if args.no_graphs else excerpts_for(spec.model, result.violations, result.witnesses))
    html = render_report([run], title=f"{spec.name}: modelcheck report", graphs=not args.no_graphs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    print(f"{spec.name}: verdict {result.verdict}; {result.distinct_states:,} distinct states, depth {result.depth}, "
          f"{len(result.violations)} counterexample{'s' if len(result.violations) != 1 else ''}")
    print(f"report written to {out}")
    return result.exit_code
