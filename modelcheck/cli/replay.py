"""``modelcheck replay SPEC TRACE``: read an ITF trace back (a ``check --json`` result
works too), say whether each step is a legal transition of the spec and which
properties the trace violates (the work is in :mod:`modelcheck.conform.replay`).

Exit status: 0 every step is legal (the trace is a behaviour of the spec, whatever
properties it violates: those are reported), 1 some step (or the initial state, or the
loop) is not legal, 2 bad input.

Depends on :mod:`.common` and :mod:`modelcheck.conform`.
"""

from __future__ import annotations

from ..model import checks_deadlock
from .common import EXIT_OK, add_conform_arguments, add_deadlock_options, load_spec, print_json, title, trace_input_error

EXIT_ILLEGAL = 1


def add_parser(sub) -> None:
    r = sub.add_parser("replay", help="replay an ITF trace: is each step a legal transition, which properties fail")
    add_conform_arguments(r)
    r.add_argument("trace", help="an ITF trace (.itf.json), or the output of `modelcheck check --json`")
    add_deadlock_options(r, "do not report a last state without successors")
    r.set_defaults(func=run)


def run(args) -> int:
    from ..conform.events import TraceError
    from ..conform.render import render_replay
    from ..conform.replay import replay_file

    spec = load_spec(args)
    try:
        results = replay_file(spec.model, args.trace, deadlock=checks_deadlock(spec.model, args.deadlock))
    except TraceError as e:
        return trace_input_error(e, args)
    if args.json:
        print_json({"spec": spec.name, "file": args.spec, "constants": spec.describe_consts(), "trace": args.trace,
                    "legal": all(r.legal for r in results), "traces": [r.to_dict() for r in results]})
    else:
        print(render_replay(results, f"Replay of {args.trace} against {title(spec, args.spec)}"))
    return EXIT_OK if all(r.legal for r in results) else EXIT_ILLEGAL
