"""Benchmark: the symbolic backend (issue 16, section 6).

    python benchmarks/symbolic.py            # everything below
    python benchmarks/symbolic.py --quick    # skip RM = 7 bmc and RM = 100 prove
    python benchmarks/symbolic.py --bmc-limit 600   # let bmc on RM = 7 run longer (default 120 s)

Prints, with the explicit checker's figures beside them where they compare:

* bmc time per depth on TwoPhase at RM = 3 and RM = 7, to the depth of the explicit
  search (its longest shortest path);
* the time bmc takes to find each seeded TwoPhase bug (goal: under 5 s each);
* prove time of TwoPhase's inductive invariant at RM = 3, 10, 20, 50, 100 (explicit
  search stops near RM = 9; goal: RM = 50 in under 30 s);
* prove time of every inductive invariant of the library, and of each for every size of
  RM (goal for TwoPhase's: under 10 s);
* prove time of the library's invariants proven in slot form: Lamport's mutex
  (``--seq-bound 3``) and total order broadcast (``--config n2 --seq-bound 2
  --set-bound 2``).

Figures only: nothing is asserted (the tests pin verdicts and lengths).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelcheck import check, load  # noqa: E402
from modelcheck.symbolic import bmc, prove  # noqa: E402

SPECS = ROOT / "specs"
TWOPHASE = SPECS / "twophase" / "twophase.mc"
LIBRARY = [("twophase/twophase.mc", None, "Inductive"), ("tcommit/tcommit.mc", None, "Consistent"),
           ("twophase/crash.mc", None, "Inductive"), ("twophase/crash.mc", "recovery", "Inductive")]
#: (spec, config, invariant, seq_bound, set_bound): proven with the slot forms
SLOTS = [("lamport/mutex.mc", "small", "Inductive", 3, None), ("lamport/mutex.mc", None, "Inductive", 3, None),
         ("lamport/tob.mc", "n2", "Inductive", 2, 2)]
BUGS = ["BugCommitOnMajority", "BugCommitOnAny", "BugAbortAfterPrepare", "BugAbortAfterCommit"]


def bmc_per_depth(rm: int, limit: float) -> None:
    spec = load(TWOPHASE, consts={"RM": rm})
    t0 = time.monotonic()
    explicit = check(spec, symmetry=False, check_temporal=False)
    te = time.monotonic() - t0
    steps = explicit.depth - 1
    r = bmc(spec, steps, time_limit=limit)
    per = r.extra["bmc"]["seconds_per_depth"]
    cumulative = 0.0
    cells = []
    for d, s in enumerate(per):
        cumulative += s
        cells.append(f"{d}:{s:.2f}")
    reached = len(per) - 1
    how = "" if r.stop_reason.value != "time-limit" else f" (stopped by the {limit:g} s limit after depth {reached})"
    print(f"  RM={rm}: explicit {explicit.distinct_states:,} states, depth {explicit.depth} in {te:.2f} s; "
          f"bmc to {steps} steps: {r.seconds:.2f} s, {r.verdict}{how}")
    print("    seconds per depth  " + "  ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bmc-limit", type=float, default=120.0, help="seconds for each per-depth bmc run")
    a = ap.parse_args()

    print("bmc, TwoPhase, time per depth (no violation: to the explicit search's depth)")
    for rm in ([3] if a.quick else [3, 7]):
        bmc_per_depth(rm, a.bmc_limit)

    print("bmc, each seeded TwoPhase bug (RM = 3): states in the counterexample, seconds")
    for bug in BUGS:
        spec = load(TWOPHASE, consts={bug: True})
        r = bmc(spec, 20)
        (v,) = r.violations
        print(f"  {bug:<22} {v.property:<10} {len(v.trace):>3} states  {r.seconds:6.2f} s")

    print("prove TwoPhase Inductive for one configuration")
    for rm in ([3, 10, 20, 50] if a.quick else [3, 10, 20, 50, 100]):
        spec = load(TWOPHASE, consts={"RM": rm})
        t0 = time.monotonic()
        r = prove(spec, "Inductive")
        print(f"  RM={rm:<4} {r.verdict:<9} {time.monotonic() - t0:7.2f} s (z3 {r.seconds:.2f} s, "
              f"{len(r.obligations)} obligations)")

    print("prove, every inductive invariant of the library (RM = 3, and every size of RM)")
    for path, config, inv in LIBRARY:
        spec = load(SPECS / path, config=config)
        one = prove(spec, inv)
        every = prove(spec, inv, for_all_sizes=("RM",))
        name = path + (f" --config {config}" if config else "")
        print(f"  {name:<36} {inv:<11} RM=3: {one.verdict} {one.seconds:5.2f} s   "
              f"every size: {every.verdict} {every.seconds:5.2f} s")

    print("prove, the invariants proven with sequences (and sets) in slot form")
    for path, config, inv, seq_bound, set_bound in SLOTS:
        spec = load(SPECS / path, config=config)
        r = prove(spec, inv, seq_bound=seq_bound, set_bound=set_bound)
        longest = max(r.obligations, key=lambda o: o.seconds)
        flags = f"--seq-bound {seq_bound}" + (f" --set-bound {set_bound}" if set_bound is not None else "")
        name = path + (f" --config {config}" if config else "")
        print(f"  {name:<36} {inv:<11} {flags:<28} {r.verdict} {r.seconds:6.2f} s "
              f"({len(r.obligations)} obligations, the longest {longest.title} {longest.seconds:.2f} s)")


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    main()
