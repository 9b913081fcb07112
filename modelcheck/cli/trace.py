"""``modelcheck trace validate SPEC TRACE`` and ``modelcheck trace generate SPEC``:
conformance between the spec and an implementation (the work is in
:mod:`modelcheck.conform`; this module parses arguments and prints).

Exit status. ``trace validate``: 0 the trace is explained, 1 a divergence, 2 bad input
(spec, command line or trace), 3 undetermined (``--max-candidates`` reached).
``trace generate``: 0 done, 1 a ``--reach`` predicate is unreachable (the exploration was
exhaustive), 3 one was not reached within the bounds (the traces found are written either
way), 2 bad input or a refusal (a graph too large, a file in the way).

Depends on :mod:`.common` and :mod:`modelcheck.conform` (events, validate, generate,
render).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .common import (EXIT_OK, EXIT_USAGE, add_conform_arguments, count, load_spec, parse_consts, print_json, title,
                     trace_input_error)

#: trace generate --reach: a predicate is unreachable / was not reached within the bounds
EXIT_UNREACHABLE = 1
EXIT_NOT_REACHED = 3


def add_parser(sub) -> None:
    t = sub.add_parser("trace", help="conformance: validate an implementation trace against the spec, "
                                     "or generate test traces from it")
    tsub = t.add_subparsers(dest="trace_command", metavar="{validate,generate}", parser_class=type(t),
                            title="what to do", description="validate: check that some behaviour of the "
                            "spec explains an implementation trace; generate: write ITF test traces from "
                            "the spec (modelcheck trace validate --help, modelcheck trace generate --help)")
    t.set_defaults(func=lambda args, t=t: _no_trace_command(t))

    v = tsub.add_parser("validate", help="check that some behaviour of the spec explains a trace")
    add_conform_arguments(v)
    v.add_argument("trace", help="a JSON-lines trace (or a directory of *.trace.jsonl files), or an ITF trace")
    v.add_argument("--format", choices=("auto", "jsonl", "itf"), default="auto",
                   help="trace format (default: ITF for .json files, JSON lines otherwise)")
    v.add_argument("--complete", action="store_true",
                   help="the trace is complete: report a missing action when it ends while the spec still has "
                        "to act (a fair step enabled, or a liveness obligation pending)")
    v.add_argument("--coordinator", default="tm", metavar="PROC",
                   help="the process that takes part in every transaction (default tm)")
    v.add_argument("--txn", action="append", default=[], metavar="ID", help="validate only these transactions")
    v.add_argument("--max-candidates", type=count(1), default=None, metavar="N",
                   help="give up (undetermined) when more than N spec states fit the trace (default 100,000)")
    v.add_argument("--reports", type=int, default=3, metavar="N", help="divergence reports printed in full (default 3)")
    v.set_defaults(func=run_validate)

    g = tsub.add_parser("generate", help="write ITF test traces from the spec: covering sets, targeted "
                                         "witnesses (--reach) and random walks")
    add_conform_arguments(g)
    g.add_argument("--cover", choices=("actions", "transitions"),
                   help="a covering set: every action instance, or every edge of the (small) state graph")
    g.add_argument("--reach", action="append", default=[], metavar="EXPR",
                   help="a shortest trace to a state where EXPR holds, or (EXPR reads primed variables: a step "
                        "predicate) ending with a step where it holds: the witness of a trap, say "
                        "\"tmState == tmCommitted\"; repeatable, one trace each; exit 1 if one is unreachable, 3 if not "
                        "reached within --depth and --max-states")
    g.add_argument("--out", required=True, metavar="DIR", help="directory for the traces and manifest.json")
    g.add_argument("--traces", type=int, default=None, metavar="N",
                   help="seeded random walks to add (default 0 with --cover or --reach, 10 without)")
    g.add_argument("--depth", type=int, default=50, metavar="D", help="at most D states per trace (default 50)")
    g.add_argument("--seed", type=int, default=0, metavar="S", help="random seed for the walks (default 0)")
    g.add_argument("--max-states", type=int, default=None, metavar="N",
                   help="explore at most N states (default 200,000 for actions and reach; transitions refuse "
                        "above 5,000)")
    g.add_argument("--force", action="store_true", help="overwrite existing files in DIR")
    g.set_defaults(func=run_generate)


def _no_trace_command(parser) -> int:
    from .common import UsageError

    raise UsageError("trace: say what to do: `modelcheck trace validate SPEC TRACE` checks that the spec "
                     "explains an implementation trace; `modelcheck trace generate SPEC --out DIR` writes "
                     "test traces from the spec")


def _is_itf(path: str, fmt: str) -> bool:
    if fmt != "auto":
        return fmt == "itf"
    p = Path(path)
    return p.is_file() and p.name.endswith(".json")


def run_validate(args) -> int:
    from ..conform.events import TraceError, did_you_mean, order_notes, read_itf, read_jsonl
    from ..conform.render import render_validation, validation_to_dict
    from ..conform.validate import DEFAULT_MAX_CANDIDATES, SpecRuntimeFailure, validate_behaviours

    spec = load_spec(args)
    model = spec.model
    try:
        if _is_itf(args.trace, args.format):
            behaviours = read_itf(args.trace, model)
        else:
            behaviours = read_jsonl(args.trace, model, coordinator=args.coordinator)
    except TraceError as e:
        return trace_input_error(e, args)
    if args.txn:
        wanted = set(args.txn)
        names = [b.name for b in behaviours]
        missing = [t for t in args.txn if t not in names]
        if missing:
            print(f"modelcheck: error: the trace has no transaction `{missing[0]}`"
                  + did_you_mean(missing[0], [n for n in names if n]), file=sys.stderr)
            return EXIT_USAGE
        behaviours = [b for b in behaviours if b.name in wanted]
    try:
        result = validate_behaviours(model, behaviours, complete=args.complete,
                                     max_candidates=args.max_candidates or DEFAULT_MAX_CANDIDATES)
    except SpecRuntimeFailure as e:
        print(str(e), file=sys.stderr)
        return EXIT_USAGE
    notes = [] if _is_itf(args.trace, args.format) else order_notes(args.trace)
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    if args.json:
        obj = validation_to_dict(result, spec.name, args.spec, args.trace, spec.describe_consts())
        obj["notes"] = notes
        print_json(obj)
    else:
        print(render_validation(result, f"{title(spec, args.spec)}: trace {args.trace} ({result.format})",
                                max_reports=args.reports))
    return result.exit_code


def run_generate(args) -> int:
    from ..conform.generate import GenerateError, generate, manifest_dict, write
    from ..conform.render import render_generation

    if args.depth < 1:
        print("modelcheck: error: --depth must be 1 or more (it counts states, the initial one included)",
              file=sys.stderr)
        return EXIT_USAGE
    traces = args.traces if args.traces is not None else (0 if args.cover or args.reach else 10)
    if traces < 0:
        print("modelcheck: error: --traces must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    consts = parse_consts(args.const)
    spec = load_spec(args, consts)
    targets = []
    if args.reach:
        from ..conform.generate import Target
        from ..dsl.view import compile_predicate

        for text in args.reach:
            p = compile_predicate(spec, text, consts, args.config)
            targets.append(Target(p.text, p.step, p.holds))
    try:
        gen = generate(spec.model, args.cover, traces, args.depth, args.seed, args.max_states, targets)
        write(spec.model, gen, args.out, args.force, source=args.spec, consts=spec.describe_consts())
    except GenerateError as e:
        print(f"modelcheck: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        obj = manifest_dict(spec.model, gen, args.spec, spec.describe_consts())
        obj["out"] = args.out
        obj["seconds"] = round(gen.seconds, 4)
        print_json(obj)
    else:
        print(render_generation(gen, title(spec, args.spec), args.out))
    missed = [c for c in gen.coverage if c.mode == "reach" and c.missing]
    if missed:
        return EXIT_UNREACHABLE if missed[0].exhaustive else EXIT_NOT_REACHED
    return EXIT_OK
