"""The main job: check every bundled spec configuration listed in a manifest, print a
summary table and write a report (``summary.txt`` and ``summary.json``).

The manifest (``specs/suite.toml``) lists runs::

    [[run]]
    spec = "twophase/twophase.mc"     # relative to the manifest
    consts = { RM = "3" }             # optional, as --const
    config = "rm5"                    # optional, as --config
    expect = "holds"                  # the verdict the run must give
    slow = false                      # skipped by --quick

A run whose verdict differs from ``expect`` makes the suite fail (exit 1), so the
seeded-bug runs prove the checker still finds the bugs.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

from .explore import Options, explore
from .report import result_to_dict


def run_suite(manifest: str, report_dir: str = "reports", quick: bool = False) -> int:
    from rich.console import Console
    from rich.table import Table

    from .api import load

    console = Console(stderr=False)
    mpath = Path(manifest)
    data = tomllib.loads(mpath.read_text(encoding="utf-8"))
    base = mpath.parent
    rows = []
    records = []
    failures = []
    for run in data.get("run", []):
        if quick and run.get("slow"):
            continue
        spec_path = base / run["spec"]
        consts = run.get("consts") or {}
        spec = load(spec_path, consts=consts, config=run.get("config"))
        opts = Options(
            symmetry=run.get("symmetry", True),
            check_deadlock=run.get("deadlock", True),
            strategy=run.get("strategy", "bfs"),
        )
        result = explore(spec.model, opts)
        label = run.get("config") or ", ".join(f"{k}={v}" for k, v in consts.items()) or "default"
        expect = run.get("expect", "holds")
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

    table = Table(title="modelcheck suite", show_lines=False)
    for col in ("spec", "configuration", "property", "class", "verdict", "distinct states", "depth", "seconds", "expected"):
        table.add_column(col, justify="right" if col in ("distinct states", "depth", "seconds") else "left")
    for spec_name, label, prop, cls, verdict, distinct, depth, secs, ok in rows:
        style = "green" if verdict == "holds" else ("red" if verdict in ("violated", "deadlock", "error") else "yellow")
        table.add_row(spec_name, label, prop, cls, f"[{style}]{verdict}[/]", f"{distinct:,}", str(depth),
                      f"{secs:.2f}", "yes" if ok else "[bold red]NO[/]")
    console.print(table)

    out = Path(report_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps({"runs": records, "failures": failures}, indent=2) + "\n")
    with (out / "summary.txt").open("w") as fh:
        Console(file=fh, width=140, color_system=None).print(table)
    console.print(f"report written to {out / 'summary.txt'} and {out / 'summary.json'}")
    if failures:
        for f in failures:
            print(f"UNEXPECTED: {f}", file=sys.stderr)
        return 1
    return 0
