"""Benchmark: every run of the bundled protocol library (specs/suite.toml), timed.

    python benchmarks/library.py                  # every run
    python benchmarks/library.py --quick          # without the runs marked slow
    python benchmarks/library.py --only zab       # runs whose spec path contains "zab"

Prints, per run: spec, configuration, verdict, distinct states (orbits with symmetry),
depth, the length of the counterexample (states, the initial one counted), wall-clock
seconds of the search and CPU seconds of this process during it. CPU seconds are the
figure to quote when the machine is shared: they do not count time spent waiting for a
core. Loading and compiling the spec are not timed. The README's table of the library
comes from this script.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelcheck.api import load  # noqa: E402
from modelcheck.explore import explore  # noqa: E402
from modelcheck.suite import read_manifest, run_consts, run_label, run_options  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--manifest", default=str(ROOT / "specs" / "suite.toml"))
    ap.add_argument("--quick", action="store_true", help="skip the runs marked slow")
    ap.add_argument("--only", help="only runs whose spec path contains this")
    args = ap.parse_args()
    print(f"{'spec':<22} {'configuration':<44} {'verdict':<9} {'distinct':>10} {'depth':>5} "
          f"{'trace':>5} {'wall s':>8} {'cpu s':>8}")
    for run in read_manifest(args.manifest):
        if args.quick and run.get("slow"):
            continue
        if args.only and args.only not in run["spec"]:
            continue
        spec = load(run["_spec_path"], consts=run_consts(run), config=run.get("config"))
        opts = run_options(run)
        w0, c0 = time.perf_counter(), time.process_time()
        r = explore(spec.model, opts)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        trace = str(len(r.violations[0].trace)) if r.violations else "-"
        print(f"{run['spec']:<22} {run_label(run)[:44]:<44} {r.verdict.value:<9} {r.distinct_states:>10,} "
              f"{r.depth:>5} {trace:>5} {wall:>8.2f} {cpu:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
