"""The ``modelcheck`` command line. The only module that prints or exits.

Exit codes: 0 every property holds (``check``) or no violation was found
(``simulate``), 1 a property is violated or a deadlock was found, 2 a spec or usage
error, 3 undetermined (a limit stopped the search first).
"""

from __future__ import annotations

import argparse
import json
import sys

from .diagnostics import SpecError
from .explore import Options, Progress
from .result import EXIT_CODES, Verdict

EXIT_USAGE = 2


class _ArgParser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2 with a short message, as documented
        self.print_usage(sys.stderr)
        print(f"modelcheck: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _parse_consts(items: list[str]) -> dict:
    from .suite import const_from_text

    out = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"--const expects NAME=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k.strip()] = const_from_text(v)
        except ValueError as e:
            raise UsageError(f"--const {k.strip()}: {e}") from None
    return out


class UsageError(Exception):
    pass


def _progress_printer(stream):
    tty = stream.isatty()

    def show(p: Progress) -> None:
        rate = p.generated / p.seconds if p.seconds > 0 else 0.0
        line = (
            f"  {p.seconds:6.1f} s  {p.distinct:>10,} distinct  {p.generated:>11,} generated  "
            f"{rate:>9,.0f} states/s  depth {p.depth}  queue {p.queue:,}"
        )
        if tty:
            stream.write("\r" + line)
        else:
            stream.write(line + "\n")
        stream.flush()

    return show


def _add_search_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--const", action="append", default=[], metavar="NAME=VALUE",
                   help="bind a constant: RM=4 (four fresh model values), RM={a,b}, N=3, Bug=true")
    p.add_argument("--config", help="a named configuration from the spec file")
    p.add_argument("--dfs", action="store_true", help="depth-first search (default: breadth-first)")
    p.add_argument("--no-symmetry", action="store_true", help="do not apply the spec's symmetry declarations")
    p.add_argument("--no-deadlock", action="store_true", help="do not report deadlocks")
    p.add_argument("--max-states", type=int, metavar="N", help="stop after N distinct states (verdict undetermined)")
    p.add_argument("--max-depth", type=int, metavar="N", help="do not explore beyond depth N (verdict undetermined)")
    p.add_argument("--time-limit", type=float, metavar="SECONDS", help="stop after this long (verdict undetermined)")
    p.add_argument("--no-temporal", action="store_true",
                   help="do not check temporal properties (they are listed as undetermined); "
                        "lets symmetry apply to the safety check")
    p.add_argument("--continue", dest="keep_going", action="store_true",
                   help="keep searching after a violation, to find the first violation of every property")


def _options(args, progress=None) -> Options:
    return Options(
        strategy="dfs" if args.dfs else "bfs",
        symmetry=not args.no_symmetry,
        check_deadlock=not args.no_deadlock,
        max_states=args.max_states,
        max_depth=args.max_depth,
        time_limit=args.time_limit,
        stop_at_first=not args.keep_going,
        check_temporal=not args.no_temporal,
        progress=progress,
    )


def cmd_check(args) -> int:
    from .api import load
    from .explore import explore
    from .render.text import render_coverage, render_summary, render_violation, render_witness
    from .report import result_to_dict

    consts = _parse_consts(args.const)
    if args.itf:
        _itf_targets_ok(args)
    spec = load(args.spec, consts=consts, config=args.config)
    for w in spec.warnings:
        print(w.render(spec.checked.module.source), file=sys.stderr)
    progress = None
    if args.progress or (sys.stderr.isatty() and not args.quiet and not args.json):
        progress = _progress_printer(sys.stderr)
    result = explore(spec.model, _options(args, progress))
    if progress is not None and sys.stderr.isatty() and result.seconds >= 1.0:
        sys.stderr.write("\n")
    if args.json:
        obj = result_to_dict(result, spec.model, source=args.spec, consts=spec.describe_consts())
        json.dump(obj, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        out = _TextOut()
        title = f"{spec.name} ({args.spec}) with {spec.describe_consts() or 'no constants'}"
        out.emit(render_summary(result, title, paint=out.paint))
        if args.coverage:
            print(render_coverage(result))
        if result.error:
            print(result.error)
        for v in result.violations:
            print()
            out.emit(render_violation(spec.model, v, full=args.full, paint=out.paint))
        for w in result.witnesses:
            print()
            out.emit(render_witness(spec.model, w, full=args.full, paint=out.paint))
    if args.itf:
        return _write_itf(args, spec, result) or result.exit_code
    return result.exit_code


class _TextOut:
    """Prints rendered text to stdout: coloured on a terminal, plain in a pipe or with
    NO_COLOR (modelcheck/render/colour.py)."""

    def __init__(self):
        from .render.colour import Painter, use_colour

        self.painter = Painter(sys.stdout) if use_colour(sys.stdout) else None
        self.paint = self.painter.paint if self.painter else (lambda text, role: text)

    def emit(self, text: str) -> None:
        if self.painter is None:
            print(text)
        else:
            sys.stdout.flush()
            self.painter.emit(text)


def _itf_targets_ok(args) -> None:
    """Before a search: refuse an --itf FILE that exists (without --force), so a long
    run does not end with nowhere to write."""
    from .itfout import ITFOutputError, check_target

    try:
        check_target(args.itf, force=args.force)
    except ITFOutputError as e:
        raise UsageError(str(e)) from None


def _write_itf(args, spec, result) -> int:
    """Write every counterexample and witness as ITF (modelcheck/itfout.py); 0, or 2 if
    a file would be overwritten."""
    from .itfout import ITFOutputError, write_traces

    try:
        written = write_traces(args.itf, spec.model, result, source=args.spec, force=args.force)
    except ITFOutputError as e:
        print(f"modelcheck: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    if not written:
        print(f"no counterexample or witness: no ITF trace written to {args.itf}", file=sys.stderr)
    for prop, path in written:
        print(f"ITF trace of {prop} written to {path}", file=sys.stderr)
    return 0


def _sim_progress_printer(stream):
    tty = stream.isatty()

    def show(p) -> None:
        rate = p.steps / p.seconds if p.seconds > 0 else 0.0
        line = (f"  {p.seconds:6.1f} s  {p.traces:>9,} traces  {p.steps:>11,} steps  {rate:>9,.0f} steps/s  "
                f"{p.distinct:>10,} distinct")
        stream.write("\r" + line if tty else line + "\n")
        stream.flush()

    return show


def cmd_simulate(args) -> int:
    from .api import load
    from .render.text import render_shrink, render_simulation_summary, render_violation
    from .report import result_to_dict
    from .simulate import simulate

    if args.traces < 0:
        raise UsageError("--traces must be 0 or more")
    if args.depth < 1:
        raise UsageError("--depth must be 1 or more (it counts states, the initial one included)")
    if args.time_limit is not None and args.time_limit <= 0:
        raise UsageError("--time-limit must be positive")
    consts = _parse_consts(args.const)
    if args.itf:
        _itf_targets_ok(args)
    spec = load(args.spec, consts=consts, config=args.config)
    for w in spec.warnings:
        print(w.render(spec.checked.module.source), file=sys.stderr)
    progress = None
    if args.progress or (sys.stderr.isatty() and not args.quiet and not args.json):
        progress = _sim_progress_printer(sys.stderr)
    result = simulate(spec.model, traces=args.traces, depth=args.depth, seed=args.seed,
                      check_deadlock=not args.no_deadlock, stop_at_first=not args.keep_going,
                      time_limit=args.time_limit, shrink=not args.no_shrink, progress=progress)
    if progress is not None and sys.stderr.isatty() and result.seconds >= 1.0:
        sys.stderr.write("\n")
    if args.json:
        obj = result_to_dict(result, spec.model, source=args.spec, consts=spec.describe_consts())
        json.dump(obj, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        out = _TextOut()
        title = f"{spec.name} ({args.spec}) with {spec.describe_consts() or 'no constants'}"
        out.emit(render_simulation_summary(result, title, paint=out.paint))
        if result.error:
            print(result.error)
        for v in result.violations:
            print()
            how = render_shrink(result, v)
            if how:
                print(how)
            out.emit(render_violation(spec.model, v, full=args.full, paint=out.paint))
    if args.itf:
        return _write_itf(args, spec, result) or result.exit_code
    return result.exit_code


def cmd_suite(args) -> int:
    from .suite import run_suite

    return run_suite(args.manifest, report_dir=args.report, quick=args.quick)


def cmd_source(args) -> int:
    from .api import load

    spec = load(args.spec, consts=_parse_consts(args.const), config=args.config)
    print(spec.model.generated_source)
    return 0


def _add_itf_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--itf", metavar="PATH",
                   help="write every counterexample and witness as an ITF JSON trace: to PATH if there "
                        "is one, to PATH with the property name before .itf.json if there are several, "
                        "or into PATH/<Property>.itf.json if PATH is a directory (README: ITF traces)")
    p.add_argument("--force", action="store_true", help="overwrite existing --itf files")


def build_parser() -> argparse.ArgumentParser:
    p = _ArgParser(prog="modelcheck", description="Check protocol specs exhaustively, or simulate them.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_ArgParser)

    c = sub.add_parser("check", help="check a spec: every invariant, step property and deadlock")
    c.add_argument("spec", help="a .mc spec file")
    _add_search_options(c)
    c.add_argument("--json", action="store_true", help="print one JSON object (ITF traces included)")
    c.add_argument("--full", action="store_true", help="print whole states in counterexamples")
    c.add_argument("--coverage", action="store_true", help="print per-action coverage")
    c.add_argument("--progress", action="store_true", help="print progress even when stderr is not a terminal")
    c.add_argument("--quiet", action="store_true", help="no progress output")
    _add_itf_options(c)
    c.set_defaults(func=cmd_check)

    r = sub.add_parser("simulate", help="random simulation: seeded random walks, for configurations "
                                        "too large to check exhaustively (proves nothing)")
    r.add_argument("spec", help="a .mc spec file")
    r.add_argument("--const", action="append", default=[], metavar="NAME=VALUE",
                   help="bind a constant: RM=4 (four fresh model values), RM={a,b}, N=3, Bug=true")
    r.add_argument("--config", help="a named configuration from the spec file")
    r.add_argument("--traces", type=int, default=1000, metavar="N", help="random walks to run (default 1000)")
    r.add_argument("--depth", type=int, default=100, metavar="D",
                   help="at most D states per walk, the initial state included (default 100)")
    r.add_argument("--seed", type=int, default=0, metavar="S",
                   help="random seed (default 0): the same seed gives the same walks")
    r.add_argument("--no-deadlock", action="store_true", help="do not report deadlocks")
    r.add_argument("--continue", dest="keep_going", action="store_true",
                   help="keep walking after a violation, to find the first violation of every property")
    r.add_argument("--time-limit", type=float, metavar="SECONDS",
                   help="stop after this long (the verdict counts the walks completed)")
    r.add_argument("--no-shrink", action="store_true", help="report counterexamples as the walks found them")
    r.add_argument("--json", action="store_true", help="print one JSON object (ITF traces included)")
    r.add_argument("--full", action="store_true", help="print whole states in counterexamples")
    r.add_argument("--progress", action="store_true", help="print progress even when stderr is not a terminal")
    r.add_argument("--quiet", action="store_true", help="no progress output")
    _add_itf_options(r)
    r.set_defaults(func=cmd_simulate)

    s = sub.add_parser("suite", help="check every bundled spec configuration and write a report")
    s.add_argument("manifest", nargs="?", default="specs/suite.toml", help="the suite manifest (TOML)")
    s.add_argument("--report", default="reports", help="directory for summary.txt, summary.json and report.html")
    s.add_argument("--quick", action="store_true", help="skip runs marked slow")
    s.set_defaults(func=cmd_suite)

    g = sub.add_parser("source", help="print the Python source a spec compiles to")
    g.add_argument("spec")
    g.add_argument("--const", action="append", default=[])
    g.add_argument("--config")
    g.set_defaults(func=cmd_source)

    # conformance: `trace validate`, `trace generate`, `replay` (modelcheck/conform/cli.py)
    from .conform.cli import add_subcommands as _add_conform

    _add_conform(sub)

    # reading findings: `graph` (modelcheck/graphcmd.py) and `report` (modelcheck/reportcmd.py)
    from .graphcmd import add_parser as _add_graph
    from .reportcmd import add_parser as _add_report

    _add_graph(sub)
    _add_report(sub)
    return p


def _diagnostic_dict(d) -> dict:
    out = {"code": d.code, "severity": d.severity, "message": d.message}
    if d.span is not None:
        out.update(file=d.span.file, line=d.span.line, col=d.span.col)
    if d.hint:
        out["hint"] = d.hint
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SpecError as e:
        print(e.render(), file=sys.stderr)
        if getattr(args, "json", False):  # a JSON reader still gets one object
            json.dump({"verdict": "error", "file": getattr(args, "spec", ""),
                       "errors": [_diagnostic_dict(d) for d in e.diagnostics]}, sys.stdout, indent=2)
            sys.stdout.write("\n")
        return EXIT_CODES[Verdict.ERROR]
    except UsageError as e:
        print(f"modelcheck: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry() -> None:  # console script
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `modelcheck check ... | head`: the reader left, not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141
    sys.exit(code)


if __name__ == "__main__":
    entry()
