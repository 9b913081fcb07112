"""``modelcheck graph SPEC``: the reachable state graph as DOT and SVG.

Steps: load the spec; compile ``--view`` (if given) through the front end; explore every
reachable state with every transition (:func:`modelcheck.search.build_graph`, no
symmetry, constraints applied, at most ``--max-states``); check the spec as ``check``
would (no symmetry, BFS) to find the counterexample to highlight, unless
``--no-check``; build the drawing (whole states, or their views); refuse politely when
it has more than ``--max-nodes`` nodes; write ``OUT.dot`` and ``OUT.svg``.

Exit status, by the rule every command follows (README, "Exit codes"): a command exits
with the verdict it reached. The files are written in any case; then 0 when the check
found nothing (or with ``--no-check``), 1 for the violation or deadlock drawn in red, 3
when the check was undetermined; 2 for a spec error, a refusal (too large) or a file
that exists (without ``--force``).

Depends on :mod:`.common`, the API, the graph builder, the search (for the
counterexample), the DSL view compiler and the renderers.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .common import UsageError, add_const_options, add_deadlock_options, load_spec, parse_consts

EXIT_REFUSED = 2


def add_parser(sub) -> None:
    g = sub.add_parser("graph", help="draw the reachable state graph (DOT and SVG), the counterexample "
                                     "highlighted")
    g.add_argument("spec", help="a .mc spec file")
    add_const_options(g, const_help="bind a constant, as for check")
    g.add_argument("--view", metavar="EXPR",
                   help="draw the values of this expression over the state instead of whole states "
                        "(states with equal views merge), e.g. rmState or '(tmState, size(tmPrepared))'")
    g.add_argument("--max-nodes", type=int, default=100, metavar="N",
                   help="refuse to draw more than N nodes (default 100)")
    g.add_argument("--max-states", type=int, default=100_000, metavar="N",
                   help="refuse to explore more than N states (default 100000)")
    g.add_argument("-o", "--out", metavar="PREFIX",
                   help="write PREFIX.dot and PREFIX.svg (default: SPEC's name with -graph, here)")
    g.add_argument("--format", choices=("both", "dot", "svg"), default="both",
                   help="which files to write (default both)")
    g.add_argument("--force", action="store_true", help="overwrite existing output files")
    g.add_argument("--no-check", action="store_true", help="do not check the spec (no highlighted path)")
    add_deadlock_options(g, "as for check: deadlocks are not counterexamples")
    g.add_argument("--no-temporal", action="store_true", help="as for check: do not check temporal properties")
    g.set_defaults(func=run)


def run(args) -> int:
    from ..render.dot import to_dot
    from ..render.graphs import draw_full, project
    from ..search import GraphTooLarge, Options, build_graph, explore

    if args.max_nodes < 1 or args.max_states < 1:
        raise UsageError("--max-nodes and --max-states must be at least 1")
    consts = parse_consts(args.const)
    prefix = args.out or Path(args.spec).stem + "-graph"
    outputs = [Path(prefix + ext) for ext, fmt in ((".dot", "dot"), (".svg", "svg"))
               if args.format in ("both", fmt)]
    if not args.force:
        existing = [str(p) for p in outputs if p.exists()]
        if existing:
            raise UsageError(f"{', '.join(existing)} exist{'s' if len(existing) == 1 else ''}; use --force to "
                             "overwrite, or -o PREFIX for other names")
    spec = load_spec(args, consts)
    model = spec.model
    view = None
    if args.view is not None:
        from ..dsl.view import compile_view

        view = compile_view(spec, args.view, consts, args.config)
    try:
        g = build_graph(model, max_states=args.max_states)
    except GraphTooLarge as e:
        print(f"modelcheck graph: {spec.name} has more than {e.limit:,} reachable states: too many to "
              f"draw, or even to project. Try a smaller configuration (--const, --config), or raise the "
              f"limit with --max-states N.", file=sys.stderr)
        return EXIT_REFUSED
    trace = None
    found = ""
    code = 0
    if not args.no_check:
        result = explore(model, Options(symmetry=False, check_deadlock=args.deadlock,
                                        check_temporal=not args.no_temporal, max_states=args.max_states))
        code = result.exit_code
        v = next((v for v in result.violations if v.trace.states), None)
        if v is not None:
            trace = v.trace
            found = f"counterexample: {v.property} ({len(v.trace)} states), drawn in red"
        else:
            found = f"no counterexample (verdict: {result.verdict})"
    if view is None:
        drawing = draw_full(model, g, trace)
    else:
        drawing = project(model, g, view, view.show, trace, view_text=view.text)
    nodes, edges = drawing.size
    head = f"{spec.name}: {len(g.states):,} states, {g.edge_count:,} transitions"
    if view is not None:
        head += f"; view {view.text}: {_n(nodes, 'node')}, {_n(edges, 'edge')}"
    if nodes > args.max_nodes:
        hint = "" if view is not None else " a projection with --view EXPR (e.g. --view " + \
            f"{model.variables[0]}),"
        print(f"{head}\nmodelcheck graph: {nodes:,} nodes is more than --max-nodes {args.max_nodes}: nothing "
              f"drawn (a picture that large cannot be read). Draw{hint} a smaller configuration (--const, "
              f"--config), or raise the limit: --max-nodes {nodes}.", file=sys.stderr)
        return EXIT_REFUSED
    dot = to_dot(drawing, id_prefix="g")
    written = []
    for p in outputs:
        if p.suffix == ".dot":
            text = dot
        else:
            from ..render.svg import RenderError, dot_to_svg

            try:
                text = dot_to_svg(dot)
            except RenderError as e:
                print(f"modelcheck graph: {e}", file=sys.stderr)
                return EXIT_REFUSED
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        written.append(str(p))
    print(head)
    if found:
        print(found)
    for note in drawing.notes:
        print(note)
    print("wrote " + ", ".join(written))
    return code


def _n(k: int, word: str) -> str:
    return f"{k:,} {word}{'' if k == 1 else 's'}"
