"""The ``modelcheck trace validate``, ``modelcheck trace generate`` and ``modelcheck
replay`` commands: argument parsing and printing (``modelcheck.cli`` registers them).

Exit codes. ``trace validate``: 0 the trace is explained, 1 a divergence, 2 bad input
(spec, command line or trace), 3 undetermined (``--max-candidates`` reached).
``replay``: 0 every step is legal (the trace is a behaviour of the spec, whatever
properties it violates: those are reported), 1 some step (or the initial state, or the
loop) is not legal, 2 bad input. ``trace generate``: 0 done, 2 bad input or a refusal
(a graph too large, a file in the way).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXIT_OK, EXIT_DIVERGENCE, EXIT_INPUT, EXIT_UNDETERMINED = 0, 1, 2, 3


def _common(p) -> None:
    p.add_argument("spec", help="a .mc spec file")
    p.add_argument("--const", action="append", default=[], metavar="NAME=VALUE",
                   help="bind a constant: RM=4 (four fresh model values), RM={a,b}, N=3, Bug=true")
    p.add_argument("--config", help="a named configuration from the spec file")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def add_subcommands(sub) -> None:
    t = sub.add_parser("trace", help="conformance: validate an implementation trace against the spec, "
                                     "or generate test traces from it")
    tsub = t.add_subparsers(dest="trace_command", required=True, parser_class=type(t))

    v = tsub.add_parser("validate", help="check that some behaviour of the spec explains a trace")
    _common(v)
    v.add_argument("trace", help="a JSON-lines trace (or a directory of *.trace.jsonl files), or an ITF trace")
    v.add_argument("--format", choices=("auto", "jsonl", "itf"), default="auto",
                   help="trace format (default: ITF for .json files, JSON lines otherwise)")
    v.add_argument("--complete", action="store_true",
                   help="the trace is complete: report a missing action when it ends while the spec still has "
                        "to act (a fair step enabled, or a liveness obligation pending)")
    v.add_argument("--coordinator", default="tm", metavar="PROC",
                   help="the process that takes part in every transaction (default tm)")
    v.add_argument("--txn", action="append", default=[], metavar="ID", help="validate only these transactions")
    v.add_argument("--max-candidates", type=int, default=None, metavar="N",
                   help="give up (undetermined) when more than N spec states fit the trace (default 100,000)")
    v.add_argument("--reports", type=int, default=3, metavar="N", help="divergence reports printed in full (default 3)")
    v.set_defaults(func=cmd_validate)

    g = tsub.add_parser("generate", help="write ITF test traces from the spec: covering sets and random walks")
    _common(g)
    g.add_argument("--cover", choices=("actions", "transitions"),
                   help="a covering set: every action instance, or every edge of the (small) state graph")
    g.add_argument("--out", required=True, metavar="DIR", help="directory for the traces and manifest.json")
    g.add_argument("--traces", type=int, default=None, metavar="N",
                   help="seeded random walks to add (default 0 with --cover, 10 without)")
    g.add_argument("--depth", type=int, default=50, metavar="D", help="at most D states per trace (default 50)")
    g.add_argument("--seed", type=int, default=0, metavar="S", help="random seed for the walks (default 0)")
    g.add_argument("--max-states", type=int, default=None, metavar="N",
                   help="explore at most N states (default 200,000 for actions; transitions refuse above 5,000)")
    g.add_argument("--force", action="store_true", help="overwrite existing files in DIR")
    g.set_defaults(func=cmd_generate)

    r = sub.add_parser("replay", help="replay an ITF trace: is each step a legal transition, which properties fail")
    _common(r)
    r.add_argument("trace", help="an ITF trace (.itf.json), or the output of `modelcheck check --json`")
    r.add_argument("--no-deadlock", action="store_true", help="do not report a last state without successors")
    r.set_defaults(func=cmd_replay)


def _load(args):
    from ..api import load
    from ..cli import _parse_consts

    spec = load(args.spec, consts=_parse_consts(args.const), config=args.config)
    for w in spec.warnings:
        print(w.render(spec.checked.module.source), file=sys.stderr)
    return spec


def _title(spec, args) -> str:
    return f"{spec.name} ({args.spec}) with {spec.describe_consts() or 'no constants'}"


def _input_error(e, args, what: str = "trace") -> int:
    print(e.render(), file=sys.stderr)
    if args.json:
        json.dump({"verdict": "error", "errors": [p.to_dict() for p in e.problems]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return EXIT_INPUT


def _is_itf(path: str, fmt: str) -> bool:
    if fmt != "auto":
        return fmt == "itf"
    p = Path(path)
    return p.is_file() and p.name.endswith(".json")


def cmd_validate(args) -> int:
    from .events import TraceError, read_itf, read_jsonl
    from .render import render_validation, validation_to_dict
    from .validate import DEFAULT_MAX_CANDIDATES, SpecRuntimeFailure, validate_behaviours

    spec = _load(args)
    model = spec.model
    try:
        if _is_itf(args.trace, args.format):
            behaviours = read_itf(args.trace, model)
        else:
            behaviours = read_jsonl(args.trace, model, coordinator=args.coordinator)
    except TraceError as e:
        return _input_error(e, args)
    if args.txn:
        wanted = set(args.txn)
        names = [b.name for b in behaviours]
        missing = [t for t in args.txn if t not in names]
        if missing:
            from .events import did_you_mean

            print(f"modelcheck: error: the trace has no transaction `{missing[0]}`"
                  + did_you_mean(missing[0], [n for n in names if n]), file=sys.stderr)
            return EXIT_INPUT
        behaviours = [b for b in behaviours if b.name in wanted]
    try:
        result = validate_behaviours(model, behaviours, complete=args.complete,
                                     max_candidates=args.max_candidates or DEFAULT_MAX_CANDIDATES)
    except SpecRuntimeFailure as e:
        print(str(e), file=sys.stderr)
        return EXIT_INPUT
    if args.json:
        obj = validation_to_dict(result, spec.name, args.spec, args.trace, spec.describe_consts())
        json.dump(obj, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(render_validation(result, f"{_title(spec, args)}: trace {args.trace} ({result.format})",
                                max_reports=args.reports))
    return result.exit_code


def cmd_replay(args) -> int:
    from .events import TraceError
    from .render import render_replay
    from .replay import replay_file

    spec = _load(args)
    try:
        results = replay_file(spec.model, args.trace, deadlock=not args.no_deadlock)
    except TraceError as e:
        return _input_error(e, args)
    if args.json:
        obj = {"spec": spec.name, "file": args.spec, "constants": spec.describe_consts(), "trace": args.trace,
               "legal": all(r.legal for r in results), "traces": [r.to_dict() for r in results]}
        json.dump(obj, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(render_replay(results, f"Replay of {args.trace} against {_title(spec, args)}"))
    return EXIT_OK if all(r.legal for r in results) else EXIT_DIVERGENCE


def cmd_generate(args) -> int:
    from .generate import GenerateError, generate, manifest_dict, write
    from .render import render_generation

    if args.depth < 1:
        print("modelcheck: error: --depth must be 1 or more (it counts states, the initial one included)",
              file=sys.stderr)
        return EXIT_INPUT
    traces = args.traces if args.traces is not None else (0 if args.cover else 10)
    if traces < 0:
        print("modelcheck: error: --traces must be 0 or more", file=sys.stderr)
        return EXIT_INPUT
    spec = _load(args)
    try:
        gen = generate(spec.model, args.cover, traces, args.depth, args.seed, args.max_states)
        write(spec.model, gen, args.out, args.force, source=args.spec, consts=spec.describe_consts())
    except GenerateError as e:
        print(f"modelcheck: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    if args.json:
        obj = manifest_dict(spec.model, gen, args.spec, spec.describe_consts())
        obj["out"] = args.out
        obj["seconds"] = round(gen.seconds, 4)
        json.dump(obj, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(render_generation(gen, f"{_title(spec, args)}", args.out))
    return EXIT_OK
