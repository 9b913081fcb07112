"""``modelcheck history check HISTORY --model MODEL``: is a concurrent history
linearizable (or sequentially consistent) against a sequential model? The work is in
:mod:`modelcheck.history`; this module parses arguments and prints.

Exit status of ``history check``: 0 linearizable (sequentially consistent with
``--consistency sequential``), 1 not, 2 bad input (command line, history file, model),
3 unknown (``--time-limit`` ran out first, or ``--max-memory``: by default three
quarters of the machine's memory, so that an exponential search ends in ``unknown``
rather than in the kernel's out-of-memory killer).

Depends on :mod:`.common` and :mod:`modelcheck.history`.
"""

from __future__ import annotations

import sys

from .common import EXIT_OK, EXIT_USAGE, UsageError, count, print_json, seconds

EXIT_VIOLATED = 1
EXIT_UNKNOWN = 3
#: operations of a long prefix printed (the last ones: the failure is at its end)
PREFIX_SHOWN = 12


def add_parser(sub) -> None:
    h = sub.add_parser("history", help="check a concurrent history against a sequential model "
                                       "(linearizability, sequential consistency)")
    hsub = h.add_subparsers(dest="history_command", metavar="{check,report}", parser_class=type(h),
                            title="what to do", description="check: decide whether a history is linearizable "
                            "(modelcheck history check --help); report: the same, and write an HTML "
                            "picture of it (modelcheck history report --help)")
    h.set_defaults(func=lambda args: _no_command())

    c = hsub.add_parser("check", help="decide whether a history is linearizable (or sequentially consistent)")
    add_input_arguments(c)
    c.add_argument("--json", action="store_true", help="print a JSON object instead of text")
    c.set_defaults(func=run_check)
    add_report_parser(hsub)


def add_input_arguments(p) -> None:
    """The arguments ``check`` and ``report`` share: the history, its format, the model
    and its parameters, the consistency model, the time limit."""
    p.add_argument("history", help="the history: JSON lines (.jsonl), a Jepsen EDN history (.edn) or the "
                                   "operation lines of a Jepsen test log (.log)")
    p.add_argument("--model", required=True, metavar="MODEL",
                   help="register, cas-register, kv, zk, bank, or the path of a .mc spec whose actions are "
                        "the operations")
    p.add_argument("--format", choices=("auto", "jsonl", "edn", "jepsen-log"), default="auto",
                   help="the history's format (default: from the extension)")
    p.add_argument("--consistency", choices=("linearizable", "sequential"), default="linearizable",
                   help="linearizable: one order respecting real time (default); sequential: one order "
                        "respecting each process's own order only")
    p.add_argument("--initial", type=_json_value, default=None, metavar="JSON",
                   help="register, cas-register, kv: the registers' initial value (default null); bank: the "
                        "opening balances, {\"a\": 100, \"b\": 50} or {\"accounts\": [\"a\", \"b\"], "
                        "\"initial\": 100} (default: the history's \"# bank {...}\" first line)")
    p.add_argument("--const", action="append", metavar="NAME=VALUE",
                   help="a .mc model's constant (repeatable)")
    p.add_argument("--config", metavar="NAME", help="a .mc model's named config block")
    p.add_argument("--time-limit", type=seconds, default=None, metavar="S",
                   help="give up after S seconds (unknown, exit 3)")
    p.add_argument("--max-memory", type=count(1), default=None, metavar="MB",
                   help="give up when the checker's resident memory passes MB megabytes (unknown, exit 3; "
                        "default: three quarters of the machine's memory)")


def memory_limit(args) -> float | None:
    """``--max-memory``, or three quarters of the machine's memory when it is not given."""
    from ..resources import physical_mb

    if args.max_memory is not None:
        return args.max_memory
    phys = physical_mb()
    return None if phys is None else 0.75 * phys


def _bank_header(path: str):
    """The opening balances a history's first line gives (``# bank {"accounts": [...],
    "initial": N}``, as the reference two-phase commit's recorder writes), or None."""
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError):
        return None                      # read_history reports it
    if not first.startswith("# bank "):
        return None
    try:
        v = json.loads(first[len("# bank "):])
    except json.JSONDecodeError:
        return None
    return v if isinstance(v, dict) else None


def _json_value(text: str):
    import argparse
    import json

    try:
        v = json.loads(text)
    except json.JSONDecodeError:
        raise argparse.ArgumentTypeError(f"expected a JSON value (0, \"a\", null, [1, 2]), not {text!r}") from None
    return tuple(v) if isinstance(v, list) else v


def _no_command() -> int:
    raise UsageError("history: say what to do: `modelcheck history check HISTORY --model MODEL` decides "
                     "whether a history is linearizable")


def _load(args):
    """The history's operations, its notes and the model, or a :class:`HistoryError`."""
    from ..history.core import HistoryError
    from ..history.formats import read_history
    from ..history.models import get_model

    from .common import parse_consts

    initial = args.initial
    if initial is None and args.model == "bank":
        initial = _bank_header(args.history)
    if isinstance(initial, dict) and args.model != "bank":
        raise HistoryError(f"--initial for the {args.model} model is a JSON scalar or list, not an object")
    model = get_model(args.model, initial=initial, consts=parse_consts(args.const), config=args.config)
    ops, notes = read_history(args.history, args.format)
    return ops, notes, model


def run_check(args) -> int:
    from ..history.check import check_history
    from ..history.core import Consistency, HistoryError

    consistency = Consistency(args.consistency)
    try:
        ops, notes, model = _load(args)
        result = check_history(ops, model, consistency, time_limit=args.time_limit,
                               max_memory_mb=memory_limit(args))
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


# ------------------------------------------------------------------ history report

def add_report_parser(hsub) -> None:
    r = hsub.add_parser("report", help="check a history and write a self-contained HTML picture: a timeline "
                                       "per process, linearization points or the failing point")
    add_input_arguments(r)
    r.add_argument("-o", "--out", metavar="FILE",
                   help="the HTML file (default: HISTORY's name with -report.html, beside it)")
    r.add_argument("--force", action="store_true",
                   help="overwrite FILE even if this command did not write it (a report it wrote earlier is "
                        "replaced without)")
    r.set_defaults(func=run_report)


def _ours(path) -> bool:
    """Whether ``path`` is a page this command wrote (its generator mark near the top)."""
    from ..render.history import GENERATOR

    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}">' in head


def run_report(args) -> int:
    from pathlib import Path

    from ..history.check import check_history
    from ..history.core import Consistency, HistoryError
    from ..render.history import render_history_report

    out = Path(args.out) if args.out else Path(args.history).with_name(Path(args.history).stem + "-report.html")
    if out.is_dir():
        raise UsageError(f"{out} is a directory; give -o a file name")
    if out.exists() and not args.force and not _ours(out):
        raise UsageError(f"{out} exists and was not written by `modelcheck history report`; "
                         f"use --force to overwrite it, or -o FILE")
    consistency = Consistency(args.consistency)
    try:
        ops, notes, model = _load(args)
        result = check_history(ops, model, consistency, time_limit=args.time_limit,
                               max_memory_mb=memory_limit(args))
    except HistoryError as e:
        if e.where and e.where.startswith("line "):
            e = HistoryError(e.message, f"{args.history}:{e.where[5:]}")
        print(f"modelcheck: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    html = render_history_report(ops, model, result, source=args.history, notes=notes)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {out}: {e.strerror or e}") from None
    print(render_result(result, model, notes))
    print(f"report written to {out}")
    return exit_code(result)
