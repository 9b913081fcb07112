"""``modelcheck bmc SPEC --depth K`` and ``modelcheck prove SPEC --invariant NAME``: the
symbolic backend (z3, :mod:`modelcheck.symbolic`).

``bmc`` exit status: 1 a violation (printed as ``check`` prints one: text, ``--json``,
``--itf``), 3 none within K steps (undetermined: never ``holds``), 2 a spec or usage
error (MC500 for a construct the encoding does not support).

``prove`` exit status: 0 the invariant is inductive and implies every other safety
property (proven for the configuration, or for every size of the ``--for-all-sizes``
sets), 1 an obligation fails (a counterexample to induction is printed; ``--itf``
writes it), 3 z3 gave up or the time limit came first, 2 an error.

Depends on :mod:`.common`, :mod:`modelcheck.symbolic` and the text renderers.
"""

from __future__ import annotations

import sys
import time

from .common import (TextOut, add_const_options, add_itf_options, add_progress_options, check_itf_target, count,
                     load_spec, parse_consts, print_json, seconds, title, wants_progress, write_itf)


def add_parser(sub) -> None:
    b = sub.add_parser("bmc", help="bounded model checking with z3: every behaviour of up to K steps")
    b.add_argument("spec", help="a .mc spec file")
    b.add_argument("--depth", type=count(0), required=True, metavar="K",
                   help="the number of steps to search (behaviours of up to K+1 states)")
    add_const_options(b)
    b.add_argument("--time-limit", type=seconds, metavar="SECONDS", help="stop after this long (undetermined)")
    b.add_argument("--json", action="store_true", help="print one JSON object (ITF traces included)")
    b.add_argument("--full", action="store_true", help="print whole states in counterexamples")
    add_progress_options(b)
    add_itf_options(b)
    b.set_defaults(func=run_bmc)

    p = sub.add_parser("prove", help="prove an inductive invariant with z3 (for the configuration, or every size)")
    p.add_argument("spec", help="a .mc spec file")
    p.add_argument("--invariant", required=True, metavar="NAME", help="the invariant to prove inductive")
    p.add_argument("--k", type=count(1), default=1, metavar="N", help="k-induction with N steps (default 1)")
    p.add_argument("--for-all-sizes", action="append", default=[], metavar="SET",
                   help="prove for every finite size of this model-value set (repeatable)")
    p.add_argument("--seq-bound", type=count(0), metavar="K",
                   help="encode sequences declared without a bound with at most K elements; "
                        "proven as part of the invariant (init establishes it, every action keeps it)")
    p.add_argument("--set-bound", type=count(0), metavar="K",
                   help="encode sets over an infinite element type with at most K elements; "
                        "proven as part of the invariant, as --seq-bound")
    add_const_options(p)
    p.add_argument("--time-limit", type=seconds, metavar="SECONDS", help="stop after this long (undetermined)")
    p.add_argument("--obligation-time-limit", type=seconds, metavar="SECONDS",
                   help="give z3 at most this long per obligation (then: unknown) and go on with the next")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_itf_options(p)
    p.set_defaults(func=run_prove)


def _time_left(args) -> float | None:
    if args.time_limit is None:
        return None
    return args.time_limit - (time.monotonic() - getattr(args, "started", time.monotonic()))


def run_bmc(args) -> int:
    from ..render.symbolic import render_bmc_summary
    from ..render.text import render_violation
    from ..report import result_to_dict
    from ..symbolic.bmc import bmc

    if args.itf:
        check_itf_target(args)
    spec = load_spec(args, parse_consts(args.const))
    progress = None
    if wants_progress(args):
        def progress(r):
            print(f"  bmc: depth {r.depth} checked, {r.seconds:.1f} s", file=sys.stderr, flush=True)
    result = bmc(spec, args.depth, time_limit=_time_left(args), progress=progress)
    if args.json:
        out = result_to_dict(result, spec.model, source=args.spec, consts=spec.describe_consts())
        out["bmc"] = result.extra["bmc"]
        print_json(out)
    else:
        out = TextOut()
        out.emit(render_bmc_summary(result, title(spec, args.spec), paint=out.paint))
        if result.error:
            print(result.error)
        for v in result.violations:
            print()
            out.emit(render_violation(spec.model, v, full=args.full, paint=out.paint))
    if args.itf:
        return write_itf(args, spec, result) or result.exit_code
    return result.exit_code


def run_prove(args) -> int:
    from ..render.symbolic import render_proof
    from ..symbolic.prove import prove

    if args.itf:
        check_itf_target(args)
    spec = load_spec(args, parse_consts(args.const))
    if args.seq_bound is not None and args.k != 1:
        print("modelcheck: error: --seq-bound is supported with --k 1 only", file=sys.stderr)
        return 2
    if args.set_bound is not None and args.k != 1:
        print("modelcheck: error: --set-bound is supported with --k 1 only", file=sys.stderr)
        return 2
    result = prove(spec, args.invariant, k=args.k, for_all_sizes=tuple(args.for_all_sizes),
                   time_limit=_time_left(args), seq_bound=args.seq_bound, set_bound=args.set_bound,
                   obligation_time_limit=args.obligation_time_limit)
    if args.json:
        print_json(proof_to_dict(result, args.spec))
    else:
        out = TextOut()
        out.emit(render_proof(result, title(spec, args.spec), paint=out.paint))
    if args.itf:
        return _write_cti(args, result) or result.exit_code
    return result.exit_code


def proof_to_dict(result, source: str) -> dict:
    from ..itfout import itf_object

    out = {"file": source, "invariant": result.invariant, "class": result.cls, "verdict": result.verdict,
           "k": result.k, "for_all_sizes": list(result.for_all_sizes), "seq_bound": result.seq_bound, "set_bound": result.set_bound,
           "seconds": round(result.seconds, 4),
           "obligations": []}
    for o in result.obligations:
        entry = {"kind": o.kind, "name": o.name, "verdict": o.verdict, "seconds": round(o.seconds, 4)}
        if o.reason:
            entry["reason"] = o.reason
        if o.detail:
            entry["detail"] = o.detail
        if o.failure is not None:
            f = o.failure
            entry["sizes"] = f.sizes
            entry["params"] = dict(f.params)
            if f.message:
                entry["message"] = f.message
            entry["false_conjuncts"] = [{"conjunct": t, "instance": i, "values": dict(p)} for t, i, p in f.conjuncts]
            entry["trace"] = itf_object(f.spec.model, _cti_meta(result, o), f.trace, source)
        out["obligations"].append(entry)
    return out


def _cti_meta(result, o) -> dict:
    return {"property": result.invariant, "class": result.cls, "kind": "induction",
            "trace": "counterexample to induction", "obligation": f"{o.kind} {o.name}",
            "message": o.title}


def _write_cti(args, result) -> int:
    """``--itf``: each counterexample to induction as an ITF trace, named
    ``<invariant>-<obligation kind>-<name>`` (as ``check --itf`` names its files)."""
    import json
    from pathlib import Path

    from ..itfout import ITFOutputError, is_directory_target, itf_object, target_paths

    failed = [o for o in result.obligations if o.failure is not None]
    if not failed:
        print(f"no counterexample to induction: no ITF trace written to {args.itf}", file=sys.stderr)
        return 0
    try:
        paths = target_paths(args.itf, [f"{result.invariant}-{o.kind}-{o.name}" for o in failed])
        existing = [str(p) for p in paths if p.exists()]
        if existing and not args.force:
            raise ITFOutputError(f"--itf: {', '.join(existing)} exist{'s' if len(existing) == 1 else ''}; "
                                 "nothing written (use --force to overwrite)")
        if is_directory_target(args.itf):
            Path(args.itf).mkdir(parents=True, exist_ok=True)
        for o, path in zip(failed, paths):
            obj = itf_object(o.failure.spec.model, _cti_meta(result, o), o.failure.trace, args.spec)
            try:
                path.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")
            except OSError as e:
                raise ITFOutputError(f"--itf: cannot write {path}: {e.strerror or e}") from None
            print(f"ITF trace of {o.kind} {o.name} written to {path}", file=sys.stderr)
    except ITFOutputError as e:
        print(f"modelcheck: error: {e}", file=sys.stderr)
        return 2
    return 0
