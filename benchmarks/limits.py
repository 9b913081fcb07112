"""Benchmark: how well the limits hold (issue 14, section 3).

    python benchmarks/limits.py                 # --time-limit 2 on wide twophase.mc
    python benchmarks/limits.py --limit 5 --sizes 60 200 1000

Runs ``modelcheck check specs/twophase/twophase.mc --const RM=N --no-symmetry
--no-temporal --time-limit L`` (and the same with ``--max-states 1000``, which a wide
spec used to overrun by minutes) as a user does, in a fresh process, and prints the
wall time of the whole command (start-up and compilation included) against the limit.
The target is within 10% of the limit plus the start-up time. Figures only: nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "twophase" / "twophase.mc"
MODELCHECK = os.path.join(os.path.dirname(sys.executable), "modelcheck")


def wall(argv: list[str]) -> tuple[float, int]:
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT)
    return time.monotonic() - t0, r.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=float, default=2.0)
    ap.add_argument("--sizes", type=int, nargs="+", default=[60, 200, 1000])
    a = ap.parse_args()
    startup, _ = wall([MODELCHECK, "source", str(SPEC)])
    print(f"twophase.mc, --time-limit {a.limit:g}; start-up and compilation about {startup:.2f} s")
    print(f"{'RM':>5} {'extra':>18} {'wall s':>8} {'over limit':>10} {'exit':>5}")
    for n in a.sizes:
        for extra in ([], ["--max-states", "1000"]):
            argv = [MODELCHECK, "check", str(SPEC), "--const", f"RM={n}", "--no-symmetry", "--no-temporal",
                    "--time-limit", str(a.limit), *extra]
            secs, code = wall(argv)
            print(f"{n:>5} {' '.join(extra) or '-':>18} {secs:>8.2f} {100 * (secs - a.limit) / a.limit:>9.0f}% {code:>5}")


if __name__ == "__main__":
    main()
