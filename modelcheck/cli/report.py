"""``modelcheck report SPEC``: check a spec (the options of ``check``) and write one
self-contained HTML report (:mod:`modelcheck.render.html`). ``modelcheck suite``
writes the same report for every run of a manifest (``reports/report.html``).

Exit status: the check's (0 holds, 1 violated, 3 undetermined), or 2 for a spec error
or an output file that exists (without ``--force``).

Depends on :mod:`.common`, the API, the search and the HTML report renderer.
"""

from __future__ import annotations

from pathlib import Path

from . import common
from .common import UsageError, add_search_options, load_spec, parse_consts


def add_parser(sub) -> None:
    r = sub.add_parser("report", help="check a spec and write an HTML report: verdicts, counterexamples "
                                      "with sequence charts and state-graph excerpts, coverage, statistics")
    r.add_argument("spec", help="a .mc spec file")
    add_search_options(r)
    r.add_argument("-o", "--out", metavar="FILE", help="the HTML file (default: SPEC's name with -report.html, here)")
    r.add_argument("--force", action="store_true", help="overwrite an existing report file")
    r.add_argument("--no-graphs", action="store_true", help="leave out the state-graph excerpts")
    r.set_defaults(func=run)


def report_label(config: str | None, consts: list[str]) -> str:
    """The run's label in the report: the configuration and the constants as written
    (``rm5 RM=3 Bug=true``), or ``default``."""
    return " ".join(([config] if config else []) + list(consts)) or "default"


def run(args) -> int:
    from ..native import explore
    from ..search import excerpts_for
    from ..render.html import ReportRun, render_report

    out = Path(args.out or Path(args.spec).stem + "-report.html")
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; use --force to overwrite it, or -o FILE")
    spec = load_spec(args, parse_consts(args.const))
    result = explore(spec.model, common.search_options(args))
    label = report_label(args.config, args.const)
    one = ReportRun(spec.name, args.spec, label, result, spec.model, spec.describe_consts(),
                    excerpts=() if args.no_graphs else excerpts_for(spec.model, result.violations, result.witnesses))
    html = render_report([one], title=f"{spec.name}: modelcheck report", graphs=not args.no_graphs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    print(f"{spec.name}: verdict {result.verdict}; {result.distinct_states:,} distinct states, depth {result.depth}, "
          f"{len(result.violations)} counterexample{'s' if len(result.violations) != 1 else ''}")
    print(f"report written to {out}")
    return result.exit_code
