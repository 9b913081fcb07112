"""benchmarks/parallel.py runs and reports what it measured: one small configuration with
1 and 2 workers and a LocalCluster of 2, its counts pinned and its columns present (no
timing asserted)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import ROOT


def test_twophase_rm4_with_one_and_two_workers():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "parallel.py"), "--rm", "4"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "MISMATCH" not in out.stdout
    rows = [ln.split() for ln in out.stdout.splitlines() if ln.startswith("TwoPhase RM=4")]
    # 1 and 2 forked workers, and a LocalCluster of 2 (the row "dask 2"): TLC's 1,568 states
    assert [r[2:4] for r in rows[:2]] == [["1", "1,568"], ["2", "1,568"]]
    assert rows[2][2:5] == ["dask", "2", "1,568"]
    # one process exchanges nothing; the others report the exchange's and the codec's share
    assert rows[0][-5:-2] == ["-", "-", "-"] and rows[0][-1] == "-"
    assert all(r[-4].endswith("%") and r[-3].endswith("%") for r in rows[1:])
