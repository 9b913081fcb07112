"""The ``modelcheck`` command line ("the face"): the one part of the tool that prints or
exits. It parses the command line (constants included: :func:`.common.parse_consts`),
wires the API, the search, the trace tools and the renderers, prints what they return,
and turns verdicts into exit codes.

Exit codes: 0 every property holds (``check``) or no violation was found
(``simulate``), 1 a property is violated or a deadlock was found, 2 a spec or usage
error, 3 undetermined (a limit stopped the search first). Each subcommand's module
documents its own.

Layout: :mod:`.common` holds the public helpers every subcommand shares; each
subcommand has a module with ``add_parser(sub)`` and the function that runs it
(:mod:`.check`, :mod:`.simulate`, :mod:`.suite`, :mod:`.source`, :mod:`.trace` for
``trace validate`` and ``trace generate``, :mod:`.history` for ``history check``, :mod:`.replay`, :mod:`.graph`,
:mod:`.report`, :mod:`.symbolic` for ``bmc`` and ``prove``). Subcommand modules import :mod:`.common`, never this package, so
there is no import circle. The console script is ``modelcheck.cli:entry``; ``python -m
modelcheck.cli`` runs the same (``__main__.py``).
"""

from __future__ import annotations

import sys
import time

from ..diagnostics import Code, SpecError
from ..model import BackendUnsupported
from ..result import EXIT_CODES, Verdict
from . import check, graph, history, replay, report, simulate, source, suite, symbolic, trace
from .common import EXIT_USAGE, ArgParser, LimitWhileLoading, UsageError, print_json

__all__ = ["build_parser", "main", "entry"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("modelcheck")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> ArgParser:
    p = ArgParser(prog="modelcheck", description="Check protocol specs exhaustively, or simulate them.")
    p.add_argument("--version", action="version", version=f"modelcheck {_version()}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=ArgParser)
    # in the order `modelcheck --help` lists them
    for command in (check, simulate, symbolic, suite, source, trace, history, replay, graph, report):
        command.add_parser(sub)
    return p


def _diagnostic_dict(d) -> dict:
    out = {"code": d.code, "severity": d.severity, "message": d.message}
    if d.span is not None:
        out.update(file=d.span.file, line=d.span.line, col=d.span.col)
    if d.hint:
        out["hint"] = d.hint
    return out


def _innermost(parser, args):
    """The parser of the (sub)subcommand the command line chose (``modelcheck trace
    validate``'s for ``trace validate``), or ``parser`` itself."""
    import argparse

    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs or getattr(args, subs[0].dest, None) not in subs[0].choices:
            return parser
        parser = subs[0].choices[getattr(args, subs[0].dest)]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the exit status (argparse exits by itself on ``--help`` and
    on a malformed command line, with status 0 and 2)."""
    started = time.monotonic()          # --time-limit counts from here (compilation included)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    args.started = started
    if extra:  # reported by the subcommand's parser, so that its usage is the one shown
        _innermost(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.func(args)
    except SpecError as e:
        print(e.render(), file=sys.stderr)
        if getattr(args, "json", False):  # a JSON reader still gets one object
            print_json({"verdict": "error", "file": getattr(args, "spec", ""),
                        "errors": [_diagnostic_dict(d) for d in e.diagnostics]})
        return EXIT_CODES[Verdict.ERROR]
    except UsageError as e:
        print(f"modelcheck: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BackendUnsupported as e:    # --backend c on a spec (or options) it does not support
        print(e.located or f"modelcheck: error: {e.message}", file=sys.stderr)
        if getattr(args, "json", False):
            print_json({"verdict": "error", "file": getattr(args, "spec", ""), "message": e.located or e.message})
        return EXIT_CODES[Verdict.ERROR]
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (`| head`): entry() exits quietly
        raise
    except LimitWhileLoading as e:
        msg = f"{e.option} was reached while compiling the spec: nothing was checked (undetermined)"
        print(f"modelcheck: {msg}", file=sys.stderr)
        if getattr(args, "json", False):
            print_json({"verdict": "undetermined", "stop_reason": e.option.lstrip("-"),
                        "file": getattr(args, "spec", ""), "message": msg})
        return 3
    except OSError as e:  # an output that cannot be written (inputs are read where they are named)
        print(f"modelcheck: error: {_unwritable(e)}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:  # noqa: BLE001 - a bug of ours: say so, never as a verdict's exit code
        import traceback

        traceback.print_exc(file=sys.stderr)
        print(f"modelcheck: internal error: {type(e).__name__}: {e}\nThis is a bug in modelcheck, not in "
              f"your spec. Please report it with the command line and the spec; the traceback is above. "
              f"(exit {EXIT_INTERNAL})", file=sys.stderr)
        return EXIT_INTERNAL


#: an internal error (a bug of ours): not 0, 1, 2 or 3, which scripts read as verdicts
#: (sysexits.h's EX_SOFTWARE)
EXIT_INTERNAL = 70


def _unwritable(e: OSError) -> str:
    what = f"cannot write {e.filename}" if e.filename else "cannot write the output"
    return f"{Code.OUTPUT_UNWRITABLE} {what}: {e.strerror or e}"


def entry() -> None:  # console script
    import os

    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `modelcheck check ... | head`: the reader left, not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141
    except OSError as e:  # standard output itself cannot be written (`> /dev/full`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that exit's flush is quiet
        print(f"modelcheck: error: {_unwritable(e)}", file=sys.stderr)
        code = EXIT_USAGE
    sys.exit(code)
