"""Benchmark: exhaustive check of TwoPhase (specs/twophase/twophase.mc).

    python benchmarks/twophase.py            # RM = 5, 6, 7, with and without symmetry
    python benchmarks/twophase.py --big      # also RM = 8
    python benchmarks/twophase.py --sizes 3 4 --repeat 3

Three modes per size: "plain" (safety only, no symmetry), "symmetry" (safety only, with
symmetry) and "liveness" (everything, Termination included: no symmetry, the state
graph is built and searched for fair cycles; the issue's target is at most 3x plain).

Each configuration runs in a fresh subprocess so that peak memory (ru_maxrss) belongs
to that run alone. Prints distinct states, generated states, depth, seconds (search
only; loading and compiling the spec is reported separately), states per second
(distinct and generated per second of search) and peak resident memory.

Targets (issue #2, on a 2-core machine): RM = 7 without symmetry under 10 s (goal 5 s),
RM = 8 with symmetry under 2 s, RM = 8 peak memory under 1 GB. For comparison (same
machine class, from the issue): TLC one worker 10.5 s / 60 s (2.4 GB) at RM = 7 / 8;
TLC with symmetry at RM = 8: 7 min 41 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "twophase" / "twophase.mc"

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from modelcheck import load, check, Options
t0 = time.perf_counter()
spec = load(sys.argv[2], consts={"RM": int(sys.argv[3])})
t1 = time.perf_counter()
mode = sys.argv[4]
r = check(spec, Options(symmetry=mode == "symmetry", check_temporal=mode == "liveness"))
t2 = time.perf_counter()
print(json.dumps({
    "verdict": r.verdict.value, "distinct": r.distinct_states, "generated": r.generated_states,
    "depth": r.depth, "compile": t1 - t0, "seconds": t2 - t1,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "liveness": r.extra.get("liveness_seconds"),
}))
"""


MODES = ("plain", "symmetry", "liveness")


def run_one(n: int, mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), str(SPEC), str(n), mode],
        check=True, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--big", action="store_true", help="include RM = 8")
    ap.add_argument("--sizes", type=int, nargs="+", help="RM sizes to run (default 5 6 7)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per configuration; the fastest is shown")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON lines")
    ap.add_argument("--liveness-max", type=int, default=6,
                    help="largest RM for the liveness row (default 6)")
    args = ap.parse_args(argv)
    sizes = args.sizes or ([5, 6, 7, 8] if args.big else [5, 6, 7])
    header = f"{'RM':>3} {'mode':>8} {'verdict':>8} {'distinct':>10} {'generated':>11} {'depth':>5} " \
             f"{'compile s':>9} {'search s':>9} {'distinct/s':>10} {'generated/s':>11} {'peak MB':>8}"
    if not args.json:
        print(f"TwoPhase ({SPEC.relative_to(ROOT)}), Python {sys.version.split()[0]}")
        print(header)
    for n in sizes:
        plain = None
        for mode in MODES:
            if mode == "liveness" and n > args.liveness_max:
                continue
            runs = [run_one(n, mode) for _ in range(max(1, args.repeat))]
            best = min(runs, key=lambda r: r["seconds"])
            best["rm"], best["mode"] = n, mode
            if mode == "plain":
                plain = best["seconds"]
            secs = max(best["seconds"], 1e-9)
            rate, grate = best["distinct"] / secs, best["generated"] / secs
            if args.json:
                print(json.dumps(best))
            else:
                print(f"{n:>3} {mode:>8} {best['verdict']:>8} {best['distinct']:>10,} "
                      f"{best['generated']:>11,} {best['depth']:>5} {best['compile']:>9.2f} "
                      f"{best['seconds']:>9.2f} {rate:>10,.0f} {grate:>11,.0f} {best['peak_mb']:>8.0f}", flush=True)
                if mode == "liveness" and plain:
                    print(f"{'':>3} {'':>8} liveness: {best['liveness']:.2f} s of graph building and fair-cycle "
                          f"search; total {best['seconds'] / plain:.1f}x the safety-only search (target: <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
