"""Benchmark: random simulation of TwoPhase (specs/twophase/twophase.mc).

    python benchmarks/simulate.py                     # RM = 7 and 10, 2000 traces of 100 states
    python benchmarks/simulate.py --sizes 7 12 --traces 5000 --depth 200
    python benchmarks/simulate.py --json

Prints, per size, traces per second and steps per second of walking (shrinking not
counted), distinct states seen and the raw speed of the model alone (successors
computed and a successor drawn at random, no checks, no bookkeeping) for comparison.
A second row per size runs the seeded bug BugCommitOnMajority and shows how long the
counterexample was when found and after shrinking. Figures only: nothing is asserted.
Each configuration runs in a fresh subprocess with PYTHONHASHSEED=0.
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
import json, random, sys, time
sys.path.insert(0, sys.argv[1])
from modelcheck import load
from modelcheck import simulate
n, traces, depth, seed, bug = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
consts = {"RM": n}
if bug != "-":
    consts[bug] = True
spec = load(sys.argv[2], consts=consts)
m = spec.model
out = {}
if bug == "-":
    # the model alone: successors and a random choice, nothing else
    rng = random.Random(seed)
    inits = list(m.initial_states())
    t0 = time.perf_counter()
    steps = 0
    for _ in range(traces):
        s = rng.choice(inits)
        for _ in range(depth - 1):
            succs = m.successors(s)
            if not succs:
                break
            s = rng.choice(succs)[1]
            steps += 1
    out["raw_steps_per_second"] = steps / (time.perf_counter() - t0)
r = simulate(m, traces=traces, depth=depth, seed=seed)
sim = r.simulation
out.update(verdict=r.verdict.value, traces=sim.traces, steps=sim.steps, distinct=sim.distinct_states,
           seconds=sim.seconds, shrink_seconds=sim.shrink_seconds,
           traces_per_second=sim.traces_per_second, steps_per_second=sim.steps_per_second,
           shrinks=[(s.property, s.original_length, s.length, s.replays) for s in sim.shrinks])
print(json.dumps(out))
"""


def run_one(n: int, traces: int, depth: int, seed: int, bug: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), str(SPEC), str(n), str(traces), str(depth), str(seed), bug],
        check=True, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[7, 10], help="RM sizes (default 7 10)")
    ap.add_argument("--traces", type=int, default=2000, help="traces per run (default 2000)")
    ap.add_argument("--depth", type=int, default=100, help="states per trace at most (default 100)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON lines")
    args = ap.parse_args(argv)
    if not args.json:
        print(f"TwoPhase ({SPEC.relative_to(ROOT)}) simulation, {args.traces} traces of up to {args.depth} "
              f"states, seed {args.seed}, Python {sys.version.split()[0]}")
        print(f"{'RM':>3} {'bug':>20} {'verdict':>12} {'traces':>7} {'steps':>9} {'distinct':>9} {'seconds':>8} "
              f"{'traces/s':>9} {'steps/s':>9} {'model steps/s':>13}  shrunk")
    for n in args.sizes:
        for bug in ("-", "BugCommitOnMajority"):
            r = run_one(n, args.traces, args.depth, args.seed, bug)
            r["rm"], r["bug"] = n, bug
            if args.json:
                print(json.dumps(r))
                continue
            raw = f"{r['raw_steps_per_second']:,.0f}" if "raw_steps_per_second" in r else ""
            shrunk = ", ".join(f"{p} {a} -> {b} states ({k} replays)" for p, a, b, k in r["shrinks"])
            print(f"{n:>3} {bug if bug != '-' else 'none':>20} {r['verdict']:>12} {r['traces']:>7,} "
                  f"{r['steps']:>9,} {r['distinct']:>9,} {r['seconds']:>8.2f} {r['traces_per_second']:>9,.0f} "
                  f"{r['steps_per_second']:>9,.0f} {raw:>13}  {shrunk}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
