"""The main job: check every bundled spec configuration listed in a manifest, print a
summary table and write a report (``summary.txt``, ``summary.json`` and ``report.html``, the
HTML report of :mod:`modelcheck.render.html`: verdicts by class, counterexamples with their
step tables, sequence charts and state-graph excerpts, coverage, statistics).

The manifest (``specs/suite.toml``) lists runs::

    [[run]]
    spec = "twophase/twophase.mc"     # relative to the manifest
    consts = { RM = "3" }             # optional, as --const (or TOML ints and bools)
    config = "rm5"                    # optional, as --config
    symmetry = true                   # optional, false as --no-symmetry
    deadlock = true                   # optional, false as --no-deadlock
    temporal = true                   # optional, false as --no-temporal
    strategy = "bfs"                  # optional, "dfs" as --dfs
    expect = "holds"                  # the verdict the run must give
    slow = false                      # skipped by --quick

A run whose verdict differs from ``expect`` makes the suite fail (exit 1), so the
seeded-bug runs prove the checker still finds the bugs. A spec that does not load is
reported with its diagnostics and also fails the suite.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

from .diagnostics import SpecError
from .explore import Options, explore
from .report import result_to_dict

RUN_KEYS = {"spec", "consts", "config", "symmetry", "deadlock", "temporal", "strategy", "expect", "slow"}
VERDICTS = {"holds", "violated", "deadlock", "undetermined", "error"}


class ManifestError(Exception):
    pass


def const_from_text(text: str):
    """A constant's value written as on the command line: ``4`` -> 4, ``true`` -> True,
    ``{a, b}`` -> ("a", "b"). Raises ValueError for anything else."""
    t = text.strip()
    if re.fullmatch(r"-?\d+", t):
        return int(t)
    if t in ("true", "false"):
        return t == "true"
    m = re.fullmatch(r"\{(.*)\}", t, re.S)
    if m:
        inner = m.group(1).strip()
        return tuple(x.strip() for x in inner.split(",")) if inner else ()
    raise ValueError(f"expected an integer, `true`/`false` or a set of names such as `{{a,b}}`, got `{t}`")


def run_consts(run: dict) -> dict:
    """The constants of a manifest run as values (TOML strings read as on the command line)."""
    return {k: const_from_text(v) if isinstance(v, str) else v for k, v in (run.get("consts") or {}).items()}


def read_manifest(manifest: str | Path) -> list[dict]:
    mpath = Path(manifest)
    try:
        data = tomllib.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"no such manifest: {mpath}") from None
    except tomllib.TOMLDecodeError as e:
        raise ManifestError(f"{mpath}: {e}") from None
    runs = data.get("run")
    if not isinstance(runs, list) or not runs:
        raise ManifestError(f"{mpath}: no [[run]] entries")
    for i, run in enumerate(runs, 1):
        unknown = set(run) - RUN_KEYS
        if unknown:
            raise ManifestError(f"{mpath}: run {i}: unknown key(s) {', '.join(sorted(unknown))}")
        if "spec" not in run:
            raise ManifestError(f"{mpath}: run {i}: missing 'spec'")
        if run.get("expect", "holds") not in VERDICTS:
            raise ManifestError(f"{mpath}: run {i}: expect must be one of {', '.join(sorted(VERDICTS))}")
        if run.get("strategy", "bfs") not in ("bfs", "dfs"):
            raise ManifestError(f"{mpath}: run {i}: strategy must be bfs or dfs")
        try:
            run_consts(run)
        except ValueError as e:
            raise ManifestError(f"{mpath}: run {i}: consts: {e}") from None
        run["_spec_path"] = mpath.parent / run["spec"]
    return runs


def run_options(run: dict) -> Options:
    """The search options a manifest run asks for (defaults as ``modelcheck check``)."""
    return Options(
        symmetry=run.get("symmetry", True),
        check_deadlock=run.get("deadlock", True),
        check_temporal=run.get("temporal", True),
        strategy=run.get("strategy", "bfs"),
    )


def run_label(run: dict) -> str:
    parts = []
    if run.get("config"):
        parts.append(run["config"])
    parts += [f"{k}={v}" for k, v in (run.get("consts") or {}).items()]
    if run.get("symmetry") is False:
        parts.append("no-symmetry")
    if run.get("deadlock") is False:
        parts.append("no-deadlock")
    if run.get("temporal") is False:
        parts.append("no-temporal")
    if run.get("strategy") == "dfs":
        parts.append("dfs")
    return " ".join(parts) or "default"


def run_suite(manifest: str, report_dir: str = "reports", quick: bool = False) -> int:
    from rich.console import Console
    from rich.table import Table

    from .api import load

    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    try:
        runs = read_manifest(manifest)
    except ManifestError as e:
        print(f"modelcheck: error: {e}", file=sys.stderr)
        return 2
    rows = []
    records = []
    failures = []
    report_runs = []  # for report.html (modelcheck/render/html.py)
    for run in runs:
        if quick and run.get("slow"):
            continue
        label = run_label(run)
        expect = run.get("expect", "holds")
        spec_path = run["_spec_path"]
        try:
            spec = load(spec_path, consts=run_consts(run), config=run.get("config"))
        except SpecError as e:
            print(e.render(), file=sys.stderr)
            failures.append(f"{run['spec']} [{label}]: the spec does not load")
            rows.append((run["spec"], label, "-", "-", "error", 0, 0, 0.0, False))
            records.append({"source": str(spec_path), "run": label, "verdict": "error",
                            "expect": expect, "as_expected": False})
            report_runs.append(_report_run(run, label, None, None, expect, False, e.render()))
            continue
        result = explore(spec.model, run_options(run))
        ok = result.verdict.value == expect
        if not ok:
            failures.append(f"{run['spec']} [{label}]: expected {expect}, got {result.verdict.value}")
        for p in result.properties:
            rows.append((spec.name, label, p.name, p.cls, p.verdict.value, result.distinct_states,
                         result.depth, result.seconds, ok))
        rec = result_to_dict(result, spec.model, source=str(spec_path), consts=spec.describe_consts())
        rec["run"] = label
        rec["expect"] = expect
        rec["as_expected"] = ok
        records.append(rec)
        report_runs.append(_report_run(run, label, spec, result, expect, ok))

    table = Table(title="modelcheck suite")
    for col in ("spec", "configuration", "property", "class", "verdict", "distinct states", "depth",
                "seconds", "as expected"):
        numeric = col in ("distinct states", "depth", "seconds")
        table.add_column(col, justify="right" if numeric else "left", no_wrap=True)
    for spec_name, label, prop, cls, verdict, distinct, depth, secs, ok in rows:
        style = "green" if verdict == "holds" else ("red" if verdict in ("violated", "deadlock", "error") else "yellow")
        table.add_row(spec_name, label, prop, cls, f"[{style}]{verdict}[/]", f"{distinct:,}", str(depth),
                      f"{secs:.2f}", "yes" if ok else "[bold red]NO[/]")
    console.print(table)

    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps({"runs": records, "failures": failures}, indent=2) + "\n")
    with (out / "summary.txt").open("w") as fh:
        Console(file=fh, width=150, color_system=None).print(table)
        for f in failures:
            print(f"UNEXPECTED: {f}", file=fh)
    import time

    from .render.html import render_report

    t0 = time.monotonic()
    (out / "report.html").write_text(render_report(report_runs, title="modelcheck suite",
                                                   note=str(manifest)), encoding="utf-8")
    drawn = sum(len(r.result.violations) + len(r.result.witnesses) for r in report_runs if r.result is not None)
    console.print(f"report written to {out / 'summary.txt'}, {out / 'summary.json'} and {out / 'report.html'} "
                  f"({drawn} counterexamples and witnesses drawn in {time.monotonic() - t0:.1f} s)")
    if failures:
        for f in failures:
            print(f"UNEXPECTED: {f}", file=sys.stderr)
        return 1
    total = len({(r[0], r[1]) for r in rows})
    console.print(f"all {total} runs gave the expected verdict")
    return 0


def _report_run(run: dict, label: str, spec, result, expect: str, ok: bool, error: str | None = None):
    from .render.html import ReportRun

    if spec is None:
        return ReportRun(run["spec"], str(run["_spec_path"]), label, None, expect=expect, as_expected=ok,
                         error=error)
    return ReportRun(spec.name, run["spec"], label, result, spec.model, spec.describe_consts(), expect, ok)
