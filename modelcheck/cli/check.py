"""``modelcheck check SPEC``: explore every reachable state and report each property's
verdict, with a counterexample (or witness) for each finding; ``--json`` prints the
result as one JSON object, ``--itf PATH`` writes the traces as ITF files.

Exit status: 0 every property holds, 1 a property is violated or a deadlock was found,
2 a spec or usage error, 3 undetermined (a limit stopped the search first).

Depends on :mod:`.common`, the API, the search (``modelcheck.search``), the text
renderers and the JSON form of results.
"""

from __future__ import annotations

import sys

from . import common
from .common import (TextOut, add_itf_options, add_progress_options, add_search_options, check_itf_target, end_progress, load_spec,
                     parse_consts, print_json, progress_printer, title, wants_progress, write_itf)


def add_parser(sub) -> None:
    c = sub.add_parser("check", help="check a spec: every invariant, step property and deadlock")
    c.add_argument("spec", help="a .mc spec file")
    add_search_options(c)
    c.add_argument("--json", action="store_true", help="print one JSON object (ITF traces included)")
    c.add_argument("--full", action="store_true", help="print whole states in counterexamples")
    c.add_argument("--coverage", action="store_true", help="print per-action coverage")
    add_progress_options(c)
    add_itf_options(c)
    c.set_defaults(func=run)


def run(args) -> int:
    from ..native import explore
    from ..render.text import render_coverage, render_summary, render_violation, render_witness
    from ..report import result_to_dict

    consts = parse_consts(args.const)
    if args.itf:
        check_itf_target(args)
    spec = load_spec(args, consts)
    progress = progress_printer(sys.stderr) if wants_progress(args) else None
    # through the module, so a test can put its own options in
    result = explore(spec.model, common.search_options(args, progress))
    end_progress(progress, result)
    if args.json:
        print_json(result_to_dict(result, spec.model, source=args.spec, consts=spec.describe_consts()))
    else:
        out = TextOut()
        out.emit(render_summary(result, title(spec, args.spec), paint=out.paint))
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
        return write_itf(args, spec, result) or result.exit_code
    return result.exit_code
