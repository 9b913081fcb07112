"""``modelcheck simulate SPEC``: seeded random walks through the spec, for
configurations too large to check exhaustively. A simulation proves nothing: with no
violation found the verdict is ``not-violated``.

Exit status: 0 no violation found, 1 a violation or a deadlock, 2 a spec or usage error,
3 undetermined.

Depends on :mod:`.common`, the API, the simulator (``modelcheck.search.simulate``), the text
renderers and the JSON form of results.
"""

from __future__ import annotations

import sys

from .common import (TextOut, add_const_options, add_deadlock_options, add_itf_options, add_progress_options, count, seconds, check_itf_target, end_progress,
                     load_spec, parse_consts, print_json, simulation_progress_printer, title, wants_progress,
                     write_itf)


def add_parser(sub) -> None:
    r = sub.add_parser("simulate", help="random simulation: seeded random walks, for configurations "
                                        "too large to check exhaustively (proves nothing)")
    r.add_argument("spec", help="a .mc spec file")
    add_const_options(r)
    r.add_argument("--traces", type=count(1), default=1000, metavar="N", help="random walks to run (default 1000)")
    r.add_argument("--depth", type=count(1), default=100, metavar="D",
                   help="at most D states per walk, the initial state included (default 100)")
    r.add_argument("--seed", type=int, default=0, metavar="S",
                   help="random seed (default 0): the same seed gives the same walks")
    add_deadlock_options(r)
    r.add_argument("--continue", dest="keep_going", action="store_true",
                   help="keep walking after a violation, to find the first violation of every property")
    r.add_argument("--time-limit", type=seconds, metavar="SECONDS",
                   help="stop after this long (the verdict counts the walks completed)")
    r.add_argument("--max-memory", type=count(1), metavar="MB",
                   help="stop once the process uses more than MB megabytes")
    r.add_argument("--no-shrink", action="store_true", help="report counterexamples as the walks found them")
    r.add_argument("--json", action="store_true", help="print one JSON object (ITF traces included)")
    r.add_argument("--full", action="store_true", help="print whole states in counterexamples")
    add_progress_options(r)
    add_itf_options(r)
    r.set_defaults(func=run)


def run(args) -> int:
    from ..render.text import render_shrink, render_simulation_summary, render_violation
    from ..report import result_to_dict
    from ..search import Options, Strategy, simulate

    # --traces, --depth (counts states, the initial one included) and --time-limit are
    # checked by their argparse types (common.count, common.seconds)
    consts = parse_consts(args.const)
    if args.itf:
        check_itf_target(args)
    spec = load_spec(args, consts)
    progress = simulation_progress_printer(sys.stderr) if wants_progress(args) else None
    result = simulate(spec.model, Options(strategy=Strategy.SIMULATE, traces=args.traces, max_depth=args.depth,
                                          seed=args.seed, check_deadlock=args.deadlock,
                                          stop_at_first=not args.keep_going, time_limit=args.time_limit, started=args.started,
                                          max_memory_mb=args.max_memory,
                                          shrink=not args.no_shrink, progress=progress))
    end_progress(progress, result)
    if args.json:
        print_json(result_to_dict(result, spec.model, source=args.spec, consts=spec.describe_consts()))
    else:
        out = TextOut()
        out.emit(render_simulation_summary(result, title(spec, args.spec), paint=out.paint))
        if result.error:
            print(result.error)
        for v in result.violations:
            print()
            how = render_shrink(result, v)
            if how:
                print(how)
            out.emit(render_violation(spec.model, v, full=args.full, paint=out.paint))
    if args.itf:
        return write_itf(args, spec, result) or result.exit_code
    return result.exit_code
