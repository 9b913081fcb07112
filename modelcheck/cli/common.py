"""The public helpers every subcommand of the command line shares.

- :class:`UsageError` and :class:`ArgParser`: a bad command line ends with
  ``modelcheck: error: ...`` and exit status 2 (:data:`EXIT_USAGE`), never a traceback.
- Constants: the command line is the one place that reads constants written as text.
  :func:`parse_const_value` turns ``4``, ``true`` or ``{a, b}`` into the real value the
  API takes (``4``, ``True``, ``("a", "b")``); :func:`parse_consts` does it for
  ``--const NAME=VALUE`` options and :func:`manifest_consts` for a suite manifest's
  ``consts`` table (strings parsed the same way, TOML integers and booleans as they are).
  Whether a value fits its declaration (a count for a model-value set, an integer for an
  ``int`` constant) is for the spec's checker to say, through the API.
- The search options shared by ``check`` and ``report`` (:func:`add_search_options`,
  :func:`search_options`), and the progress lines of a search and of a simulation.
- Output: :class:`TextOut` (rendered text, coloured on a terminal), :func:`print_json`,
  :func:`title`, :func:`load_spec` (load a spec and print its warnings), ITF output
  (:func:`add_itf_options`, :func:`check_itf_target`, :func:`write_itf`) and
  :func:`trace_input_error` (a bad trace file, as text and as JSON).

Depends on the API, the search's option and progress types, the renderers' colour
module, the ITF writer and the trace reader's error type; never on ``modelcheck.cli``
itself, so the subcommand modules import this one and the package imports them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
from typing import Any, Mapping

from ..search import Options, Progress
from ..search.options import ALONE_SECONDS

EXIT_OK = 0
EXIT_USAGE = 2

CONST_HELP = "bind a constant: RM=4 (four fresh model values), RM={a,b}, N=3, Bug=true"
CONFIG_HELP = "a named configuration from the spec file"


class UsageError(Exception):
    """A command line the tool cannot act on; printed as ``modelcheck: error: ...``, exit 2."""


class ArgParser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2 with a short message, as documented
        self.print_usage(sys.stderr)
        print(f"modelcheck: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


# ------------------------------------------------------------------ constants

_INT = re.compile(r"-?[0-9]+")   # ASCII digits only (\d also takes "٣" and other scripts' digits)
#: digits a constant's integer may have: far beyond any state space, far below the
#: 4,300 digits at which Python refuses to convert text to an integer
MAX_DIGITS = 100
_SET = re.compile(r"\{(.*)\}", re.S)


def parse_const_value(text: str) -> int | bool | tuple[str, ...]:
    """The value a constant written as text stands for: an integer (``3``, ``-1``; for a
    model-value set, a count of fresh values), ``true``/``false``, or a set of model-value
    names ``{a, b}`` (a tuple of the names, in the order written). Raises ``ValueError``
    for anything else. Names are not checked here: the spec's checker says which names
    are not identifiers or are repeated, for every way of binding a constant."""
    t = text.strip()
    if _INT.fullmatch(t):
        if len(t.lstrip("-")) > MAX_DIGITS:
            raise ValueError(f"an integer of {len(t.lstrip('-')):,} digits is too large (at most {MAX_DIGITS})")
        return int(t)
    if t in ("true", "false"):
        return t == "true"
    m = _SET.fullmatch(t)
    if m:
        inner = m.group(1).strip()
        return () if not inner else tuple(s.strip() for s in inner.split(","))
    raise ValueError("expected an integer (N=3), true or false (Bug=true), or for a model-value set a "
                     "count or names (RM=4, RM={a,b})")


def parse_consts(items: list[str] | None) -> dict[str, Any]:
    """``--const NAME=VALUE`` options as real values: ``["RM=4", "Bug=true"]`` ->
    ``{"RM": 4, "Bug": True}`` (a later binding of a name wins). Raises :class:`UsageError`."""
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise UsageError(f"--const expects NAME=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k.strip()] = parse_const_value(v)
        except ValueError as e:
            shown = v.strip() if len(v.strip()) <= 60 else v.strip()[:40] + "..."
            raise UsageError(f"--const {k.strip()}={shown}: {e}") from None
    return out


def manifest_consts(consts: Mapping[str, Any] | None) -> dict[str, Any]:
    """A suite manifest's ``consts`` table as real values: strings are read as
    ``--const`` values, TOML integers and booleans pass as they are, and a list of
    strings names model values. Raises ``ValueError`` naming the constant."""
    out: dict[str, Any] = {}
    for k, v in (consts or {}).items():
        if isinstance(v, (bool, int)):
            out[k] = v
        elif isinstance(v, str):
            try:
                out[k] = parse_const_value(v)
            except ValueError as e:
                raise ValueError(f"consts: {k} = {v!r}: {e}") from None
        elif isinstance(v, list) and all(isinstance(s, str) for s in v):
            out[k] = tuple(v)
        else:
            raise ValueError(f"consts: {k}: expected a string, an integer, a boolean or a list of names")
    return out


def add_const_options(p: argparse.ArgumentParser, const_help: str = CONST_HELP) -> None:
    """``--const NAME=VALUE`` (repeatable) and ``--config NAME``."""
    p.add_argument("--const", action="append", default=[], metavar="NAME=VALUE", help=const_help)
    p.add_argument("--config", help=CONFIG_HELP)


def add_conform_arguments(p: argparse.ArgumentParser) -> None:
    """SPEC, --const, --config and --json: what ``trace validate``, ``trace generate`` and
    ``replay`` all take."""
    p.add_argument("spec", help="a .mc spec file")
    add_const_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")


def load_spec(args, consts: Mapping[str, Any] | None = None, warnings: bool = True):
    """Load ``args.spec`` with ``consts`` (parsed from ``args.const`` if not given) and
    ``args.config``, and print the spec's warnings to stderr (unless ``warnings`` is
    false). A spec error propagates as :class:`modelcheck.diagnostics.SpecError` (the
    package's ``main`` prints it)."""
    from ..api import load

    if consts is None:
        consts = parse_consts(args.const)
    with limits_while_loading(args):
        spec = load(args.spec, consts=consts, config=args.config)
    for w in spec.warnings if warnings else ():
        print(w.render(spec.source), file=sys.stderr)
    return spec


class LimitWhileLoading(Exception):
    """``--time-limit`` or ``--max-memory`` was reached while the spec was compiled
    (constants folded, a huge comprehension built): nothing was checked."""

    def __init__(self, option: str):
        super().__init__(option)
        self.option = option


@contextlib.contextmanager
def limits_while_loading(args):
    """Hold ``--time-limit`` (counted from the command's start) and ``--max-memory``
    while the spec is compiled, with the search's timer (search/deadline.py)."""
    from ..search.deadline import Deadline, Halt, OutOfMemory, TimeUp
    from ..resources import rss_mb

    limit = getattr(args, "time_limit", None)
    memory = getattr(args, "max_memory", None)
    started = getattr(args, "started", None) or time.monotonic()
    # progress while compiling (a wide spec's constants and initial values can take
    # seconds): a line a second, as the search's progress does, once a second has passed
    show = hasattr(args, "progress") and hasattr(args, "quiet") and wants_progress(args)
    tty = sys.stderr.isatty()
    shown = [False]

    def beat():
        if memory is not None and rss_mb() > memory:
            raise OutOfMemory
        now = time.monotonic() - started
        if show and now >= 0.95:
            sys.stderr.write(("\r" if tty else "") + f"  {now:6.1f} s  compiling {args.spec} "
                             f"(constants folded, types checked){'' if tty else chr(10)}")
            sys.stderr.flush()
            shown[0] = True

    every = [x for x in (0.2 if memory is not None else None, 1.0 if show else None) if x is not None]
    d = Deadline(None if limit is None else limit - (time.monotonic() - started),
                 min(every) if every else None, beat)
    try:
        with d:
            yield
    except Halt as h:
        raise LimitWhileLoading("--time-limit" if isinstance(h, TimeUp) else "--max-memory") from None
    finally:
        d.disarm()
        if shown[0] and tty:
            sys.stderr.write("\n")


def title(spec, path: str) -> str:
    """``TwoPhase (specs/twophase/twophase.mc) with RM={rm1, rm2, rm3}, ...``."""
    return f"{spec.name} ({path}) with {spec.describe_consts() or 'no constants'}"


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2)
    sys.stdout.write("\n")


# ------------------------------------------------------------------ argument types

def count(minimum: int = 1):
    """An argparse type: a whole number >= ``minimum`` written in ASCII digits (``-5``,
    ``0`` where 1 is the least, ``٣`` are usage errors, not silently accepted)."""

    def parse(text: str) -> int:
        t = text.strip()
        if not (t.isascii() and t.lstrip("-").isdigit()) or int(t) < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, not {text!r}")
        return int(t)

    return parse


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds > 0 (not ``nan``, ``inf`` or ``-1``)."""
    import math

    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, not {text!r}")
    return v


def add_progress_options(p: argparse.ArgumentParser) -> None:
    """``--progress`` and ``--quiet``, which contradict each other (argparse refuses both)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", action="store_true", help="print progress even when stderr is not a terminal")
    g.add_argument("--quiet", action="store_true", help="no progress output")


# ------------------------------------------------------------------ search options

def add_deadlock_options(p, what: str = "do not report deadlocks (states without successors)") -> None:
    """--deadlock / --no-deadlock, ``args.deadlock`` True / False / None: None leaves it to
    the spec (`options { deadlock = false }`; reported by default)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--no-deadlock", dest="deadlock", action="store_const", const=False, default=None,
                   help=what + "; the default is the spec's `options { deadlock = ... }`, else to report them")
    g.add_argument("--deadlock", dest="deadlock", action="store_const", const=True,
                   help="report deadlocks even when the spec's options say not to")


def add_search_options(p: argparse.ArgumentParser) -> None:
    """The options of an exhaustive search (``check``, ``report``), constants included."""
    add_const_options(p)
    p.add_argument("--dfs", action="store_true", help="depth-first search (default: breadth-first)")
    add_backend_option(p)
    p.add_argument("--no-symmetry", action="store_true", help="do not apply the spec's symmetry declarations")
    add_deadlock_options(p)
    p.add_argument("--workers", type=count(1), default=None, metavar="N",
                   help="breadth-first search in N worker processes, each running the C search "
                        "(or the Python one where C is not available, with a note; docs/parallel.md). "
                        "Default: the number of cores, once the search has run %.1f s in one process "
                        "(a smaller search ends before that; a run the workers cannot do, or that the C "
                        "backend cannot run, stays in one process); --workers 1 searches in one process. "
                        "With --cluster: N partitions, one Dask actor each (default 2)" % ALONE_SECONDS)
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="run the --workers search on a Dask cluster: a scheduler's address "
                        "(tcp://host:8786), or 'local' for a LocalCluster of N processes here "
                        "(docs/parallel.md: a cluster on Dask)")
    p.add_argument("--max-states", type=count(1), metavar="N",
                   help="stop after N distinct states (verdict undetermined)")
    p.add_argument("--max-depth", type=count(1), metavar="N",
                   help="do not explore beyond depth N (verdict undetermined)")
    p.add_argument("--time-limit", type=seconds, metavar="SECONDS",
                   help="stop after this long (verdict undetermined)")
    p.add_argument("--max-memory", type=count(1), metavar="MB",
                   help="stop once the process uses more than MB megabytes (verdict undetermined)")
    p.add_argument("--no-temporal", action="store_true",
                   help="do not check temporal properties (they are listed as undetermined); "
                        "lets symmetry apply to the safety check")
    p.add_argument("--continue", dest="keep_going", action="store_true",
                   help="keep searching after a violation, to find the first violation of every property")


def add_backend_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=("auto", "c", "python"), default="auto",
                   help="auto (default): compiled C when the spec and the options allow it, else Python; "
                        "c: C or an error (MC600) saying what it does not support; python: the reference "
                        "(docs/native.md)")


#: partitions of a --cluster search when --workers is not given (search/cluster.py has
#: the same; not imported from there, which would import Dask's side at start-up)
DEFAULT_CLUSTER_WORKERS = 2


def cores() -> int:
    """The cores this process may run on (its affinity, which a container or ``taskset``
    narrows), the default of ``--workers``."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:      # not on Linux
        return max(1, os.cpu_count() or 1)


def search_options(args, progress=None) -> Options:
    """The search :class:`Options` the options of :func:`add_search_options` ask for."""
    return Options(
        backend=args.backend,
        strategy="dfs" if args.dfs else "bfs",
        symmetry=not args.no_symmetry,
        check_deadlock=args.deadlock,
        max_states=args.max_states,
        max_depth=args.max_depth,
        time_limit=args.time_limit,
        max_memory_mb=args.max_memory,
        started=getattr(args, "started", None),
        stop_at_first=not args.keep_going,
        check_temporal=not args.no_temporal,
        workers=args.workers or (DEFAULT_CLUSTER_WORKERS if getattr(args, "cluster", None) else cores()),
        auto_workers=args.workers is None and not getattr(args, "cluster", None),
        cluster=getattr(args, "cluster", None),
        progress=progress,
    )


# ------------------------------------------------------------------ progress

def progress_printer(stream):
    """A progress callback for the search: one line per report, rewritten in place on a
    terminal, one after the other in a pipe."""
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


def simulation_progress_printer(stream):
    """A progress callback for random simulation, as :func:`progress_printer`."""
    tty = stream.isatty()

    def show(p) -> None:
        rate = p.steps / p.seconds if p.seconds > 0 else 0.0
        line = (f"  {p.seconds:6.1f} s  {p.traces:>9,} traces  {p.steps:>11,} steps  {rate:>9,.0f} steps/s  "
                f"{p.distinct:>10,} distinct")
        stream.write("\r" + line if tty else line + "\n")
        stream.flush()

    return show


def wants_progress(args) -> bool:
    """``--progress``, or a terminal on stderr without ``--quiet`` or ``--json``."""
    return args.progress or (sys.stderr.isatty() and not args.quiet and not args.json)


def end_progress(progress, result) -> None:
    """End the progress line rewritten in place on a terminal (if one was written)."""
    if progress is not None and sys.stderr.isatty() and result.seconds >= 1.0:
        sys.stderr.write("\n")


# ------------------------------------------------------------------ text output

class TextOut:
    """Prints rendered text to stdout: coloured on a terminal, plain in a pipe or with
    NO_COLOR (modelcheck/render/colour.py decides, and turns painted text into styled
    rich text; this class prints it)."""

    def __init__(self):
        from ..render.colour import Painter, use_colour

        self.painter = Painter(sys.stdout) if use_colour(sys.stdout) else None
        self.paint = self.painter.paint if self.painter else (lambda text, role: text)
        self._console = None
        if self.painter is not None:
            from rich.console import Console

            self._console = Console(file=sys.stdout, force_terminal=True, highlight=False, emoji=False,
                                    markup=False, soft_wrap=True)

    def emit(self, text: str) -> None:
        if self.painter is None:
            print(text)
        else:
            sys.stdout.flush()
            self._console.print(self.painter.text(text))


# ------------------------------------------------------------------ ITF output

def add_itf_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--itf", metavar="PATH",
                   help="write every counterexample and witness as an ITF JSON trace: to PATH if there "
                        "is one, to PATH with the property name before .itf.json if there are several, "
                        "or into PATH/<Property>.itf.json if PATH is a directory (README: ITF traces)")
    p.add_argument("--force", action="store_true", help="overwrite existing --itf files")


def check_itf_target(args) -> None:
    """Before a search: refuse an --itf FILE that exists (without --force), so a long
    run does not end with nowhere to write."""
    from ..itfout import ITFOutputError, check_target

    try:
        check_target(args.itf, force=args.force)
    except ITFOutputError as e:
        raise UsageError(str(e)) from None


def write_itf(args, spec, result) -> int:
    """Write every counterexample and witness as ITF (modelcheck/itfout.py); 0, or 2 if
    a file would be overwritten."""
    from ..itfout import ITFOutputError, write_traces

    try:
        written = write_traces(args.itf, spec.model, result, source=args.spec, force=args.force)
    except ITFOutputError as e:
        print(f"modelcheck: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    if not written:
        print(f"no counterexample or witness: no ITF trace written to {args.itf}", file=sys.stderr)
    for prop, path in written:
        print(f"ITF trace of {prop} written to {path}", file=sys.stderr)
    return EXIT_OK


# ------------------------------------------------------------------ trace input

def trace_input_error(e, args) -> int:
    """Print a :class:`modelcheck.conform.events.TraceError` (and, with ``--json``, the
    problems as one JSON object); the exit status of bad input, 2."""
    print(e.render(), file=sys.stderr)
    if args.json:
        print_json({"verdict": "error", "errors": [p.to_dict() for p in e.problems]})
    return EXIT_USAGE
