"""``modelcheck history check HISTORY --model MODEL``: is a concurrent history
linearizable (or sequentially consistent) against a sequential model? The work is in
:mod:`modelcheck.history`; this module parses arguments and prints.

Exit status of ``history check``: 0 linearizable (sequentially consistent with
``--consistency sequential``), 1 not, 2 bad input (command line, history file, model),
3 unknown (``--time-limit`` ran out first).

Depends on :mod:`.common` and :mod:`modelcheck.history`.
"""

from __future__ import annotations

import sys

from .common import EXIT_OK, EXIT_USAGE, UsageError, print_json, seconds

EXIT_VIOLATED = 1
EXIT_UNKNOWN = 3
#: operations of a long prefix printed (the last ones: the failure is at its end)
PREFIX_SHOWN = 12


def add_parser(sub) -> None:
    h = sub.add_parser("history", help="check a concurrent history against a sequential model "
                                       "(linearizability, sequential consistency)")
    hsub = h.add_subparsers(dest="history_command", metavar="{check}", parser_class=type(h),
                            title="what to do", description="check: decide whether a history is linearizable "
                            "(modelcheck history check --help)")
    h.set_defaults(func=lambda args: _no_command())

    c = hsub.add_parser("check", help="decide whether a history is linearizable (or sequentially consistent)")
    c.add_argument("history", help="the history: JSON lines (.jsonl), a Jepsen EDN history (.edn) or the "
                                   "operation lines of a Jepsen test log (.log)")
    c.add_argument("--model", required=True, metavar="MODEL",
                   help="register, cas-register, kv, zk, bank, or the path of a .mc spec whose actions are "
                        "the operations")
    c.add_argument("--format", choices=("auto", "jsonl", "edn", "jepsen-log"), default="auto",
                   help="the history's format (default: from the extension)")
    c.add_argument("--consistency", choices=("linearizable", "sequential"), default="linearizable",
                   help="linearizable: one order respecting real time (default); sequential: one order "
                        "respecting each process's own order only")
    c.add_argument("--initial", type=_json_value, default=None, metavar="JSON",
                   help="the registers' initial value for register, cas-register and kv, as JSON (default null)")
    c.add_argument("--time-limit", type=seconds, default=None, metavar="S",
                   help="give up after S seconds (unknown, exit 3)")
    c.add_argument("--json", action="store_true", help="print a JSON object instead of text")
    c.set_defaults(func=run_check)
    # `history report` (the HTML picture) is added here, beside check, by its own function


def _json_value(text: str):
    import argparse
    import json

    try:
        v = json.loads(text)
    except json.JSONDecodeError:
        raise argparse.ArgumentTypeError(f"expected a JSON value (0, \"a\", null, [1, 2]), not {text!r}") from None
    if isinstance(v, dict):
        raise argparse.ArgumentTypeError("expected a JSON scalar or list, not an object")
    return tuple(v) if isinstance(v, list) else v


def _no_command() -> int:
    raise UsageError("history: say what to do: `modelcheck history check HISTORY --model MODEL` decides "
                     "whether a history is linearizable")


def _load(args):
    """The history's operations, its notes and the model, or a :class:`HistoryError`."""
    from ..history.core import HistoryError
    from ..history.formats import read_history
    from ..history.models import get_model

    if args.initial is not None and args.model not in ("register", "cas-register", "kv"):
        raise HistoryError(f"--initial applies to the register, cas-register and kv models, not {args.model}")
    model = get_model(args.model, initial=args.initial)
    ops, notes = read_history(args.history, args.format)
    return ops, notes, model


def run_check(args) -> int:
    from ..history.check import check_history
    from ..history.core import Consistency, HistoryError

    consistency = Consistency(args.consistency)
    try:
        ops, notes, model = _load(args)
        result = check_history(ops, model, consistency, time_limit=args.time_limit)
    except HistoryError as e:
        if e.where and e.where.startswith("line "):     # a model's complaint about an op: name the file
            e = HistoryError(e.message, f"{args.history}:{e.where[5:]}")
        print(f"modelcheck: error: {e}", file=sys.stderr)
        if args.json:
            print_json({"verdict": "error", "file": args.history, "message": str(e)})
        return EXIT_USAGE
    for line in notes.get("overlapping", []):
        print(f"note: {line}", file=sys.stderr)
    if args.json:
        print_json(result_dict(result, model, notes, args.history))
    else:
        print(render_result(result, model, notes))
    return exit_code(result)


def exit_code(result) -> int:
    from ..history.core import HistoryVerdict

    return {HistoryVerdict.OK: EXIT_OK, HistoryVerdict.VIOLATED: EXIT_VIOLATED,
            HistoryVerdict.UNKNOWN: EXIT_UNKNOWN}[result.verdict]


def _verdict_words(result) -> str:
    from ..history.core import Consistency, HistoryVerdict

    word = "linearizable" if result.consistency is Consistency.LINEARIZABLE else "sequentially consistent"
    if result.verdict is HistoryVerdict.OK:
        return word
    if result.verdict is HistoryVerdict.VIOLATED:
        return f"not {word}"
    return f"unknown (linearizability)" if result.consistency is Consistency.LINEARIZABLE else \
        "unknown (sequential consistency)"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _part(key) -> str:
    from ..history.models import show

    return "the whole history" if key is None else f"key {show(key)}"


def _op_line(op, model) -> str:
    where = f"line {op.line}" if op.line else f"op {op.id}"
    return f"{model.describe(op)}   [process {op.process}, {where}]"


def render_result(result, model, notes: dict) -> str:
    """The verdict in a few readable lines."""
    from ..history.core import HistoryVerdict

    head = _verdict_words(result)
    dropped = notes.get("dropped_failed", 0)
    extra = f" ({_plural(dropped, 'failed operation')} dropped)" if dropped else ""
    if result.verdict is HistoryVerdict.OK:
        return (f"{head}: {_plural(result.operations, 'operation')} in {_plural(result.parts, 'part')}, "
                f"{result.elapsed:.2f} s{extra}")
    if result.verdict is HistoryVerdict.UNKNOWN:
        return f"{head}: {result.reason}{extra}"
    fail = result.failure
    by_id = {op.id: op for op in fail.ops}
    if fail.key is None:
        lines = [f"{head}: {_plural(len(fail.ops), 'operation')}, {result.elapsed:.2f} s{extra}"]
    else:
        lines = [f"{head}: {_part(fail.key)}, {_plural(len(fail.ops), 'operation')} "
                 f"(of {_plural(result.operations, 'operation')} in {_plural(result.parts, 'part')}, "
                 f"{result.elapsed:.2f} s{extra})"]
    n = len(fail.prefix)
    lines.append(f"  the longest prefix that can be ordered ({n} of {len(fail.ops)}):")
    shown = fail.prefix[-PREFIX_SHOWN:]
    if n > len(shown):
        lines.append(f"    ... {n - len(shown):,} earlier")
    for k, oid in enumerate(shown, start=n - len(shown) + 1):
        lines.append(f"    {k:>3}. {_op_line(by_id[oid], model)}")
    if not shown:
        lines.append("    (none: no operation can come first)")
    lines.append("  no operation that can come next fits:" if len(fail.stuck) > 1 else
                 "  the operation that cannot be placed next:")
    for oid, expected in fail.stuck:
        lines.append(f"    {_op_line(by_id[oid], model)}")
        lines.append(f"      after the prefix: {expected}")
    return "\n".join(lines)


def result_dict(result, model, notes: dict, path: str) -> dict:
    """The result as a JSON object (``--json``)."""
    from ..history.core import HistoryVerdict
    from ..history.models import show

    obj = {"verdict": {HistoryVerdict.OK: "ok", HistoryVerdict.VIOLATED: "violated",
                       HistoryVerdict.UNKNOWN: "unknown"}[result.verdict],
           "consistency": result.consistency.value, "file": path, "model": result.model,
           "operations": result.operations, "parts": result.parts, "seconds": round(result.elapsed, 4),
           "explored": result.explored, "notes": notes}
    if result.reason:
        obj["reason"] = result.reason
    if result.failure is not None:
        fail = result.failure
        by_id = {op.id: op for op in fail.ops}
        obj["failure"] = {
            "key": None if fail.key is None else show(fail.key),
            "operations": [op.id for op in fail.ops],
            "prefix": list(fail.prefix),
            "stuck": [{"id": oid, "line": by_id[oid].line, "op": model.describe(by_id[oid]), "expected": exp}
                      for oid, exp in fail.stuck],
        }
    if result.verdict is HistoryVerdict.OK:
        obj["order"] = {("" if k is None else show(k)): list(v) for k, v in result.order.items()}
    return obj
