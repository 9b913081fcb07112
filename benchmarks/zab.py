"""Benchmark: exhaustive check of ZAB (specs/zab/zab.mc) on its bundled configurations.

    python benchmarks/zab.py                 # default and txn2 configurations
    python benchmarks/zab.py --configs default small txn2 --no-symmetry

Each run is a fresh subprocess (peak memory is that run's alone). Prints distinct states
(orbits with symmetry), generated states, depth, seconds of search (loading and compiling
the spec separately), distinct states per second and peak resident memory.

Target (issue #4): the default configuration (3 servers) exhaustively in under 5 minutes
with symmetry; goal: no slower than TLC with one worker, which the issue puts at about
20 s to about 2 minutes for the 3-server configurations with one or two transactions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "zab" / "zab.mc"

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from modelcheck import load, check, Options
t0 = time.perf_counter()
config = sys.argv[3]
spec = load(sys.argv[2], config=None if config == "default" else config)
t1 = time.perf_counter()
r = check(spec, Options(symmetry=sys.argv[4] == "1", check_deadlock=False))
t2 = time.perf_counter()
print(json.dumps({
    "verdict": r.verdict.value, "distinct": r.distinct_states, "generated": r.generated_states,
    "depth": r.depth, "compile": t1 - t0, "seconds": t2 - t1,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=["default", "txn2"])
    ap.add_argument("--no-symmetry", action="store_true")
    args = ap.parse_args()
    sym = "0" if args.no_symmetry else "1"
    print(f"{'config':<10} {'verdict':<8} {'distinct':>9} {'generated':>10} {'depth':>5} "
          f"{'compile s':>9} {'search s':>9} {'states/s':>9} {'peak MB':>8}")
    for config in args.configs:
        out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(SPEC), config, sym],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        print(f"{config:<10} {r['verdict']:<8} {r['distinct']:>9} {r['generated']:>10} {r['depth']:>5} "
              f"{r['compile']:>9.2f} {r['seconds']:>9.2f} {r['distinct'] / r['seconds']:>9.0f} {r['peak_mb']:>8.0f}",
              flush=True)


if __name__ == "__main__":
    main()
