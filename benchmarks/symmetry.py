"""Benchmark: the cost of one symmetry canonicalization on TwoPhase states.

    python benchmarks/symmetry.py [--rm 8] [--walks 200]

Collects the states of random walks through the compiled TwoPhase spec (states the
explorer really meets) and prints the best-of-5 time per canonical-form call.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelcheck import load  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rm", type=int, default=8)
    ap.add_argument("--walks", type=int, default=200)
    args = ap.parse_args(argv)
    model = load(ROOT / "specs" / "twophase" / "twophase.mc", consts={"RM": args.rm}).model
    canon = model.canonicalizer()
    rng = random.Random(1)
    states = []
    for _ in range(args.walks):
        s = model.initial_states()[0]
        for _ in range(rng.randint(0, 3 * args.rm + 2)):
            succ = model.successors(s)
            if not succ:
                break
            s = rng.choice(succ)[1]
            states.append(s)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for s in states:
            canon(s)
        best = min(best, time.perf_counter() - t0)
    print(f"TwoPhase RM={args.rm}: {best / len(states) * 1e6:.2f} us per canonical form "
          f"({len(states)} states from {args.walks} random walks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
