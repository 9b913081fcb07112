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
    # and the busiest worker's share of the states; the last column, the C workers' owner,
    # is "-" for Python workers
    assert rows[0][-7:-4] == ["-", "-", "-"] and rows[0][-3:] == ["-", "-", "-"]
    assert all(r[-6].endswith("%") and r[-5].endswith("%") and r[-1] == "-" for r in rows[1:])
    for r in rows[1:]:
        assert r[-2].endswith("%") and 50.0 <= float(r[-2][:-1]) <= 100.0, r


def test_the_c_workers_owner_column():
    """With the C backend the last column says what decides a state's worker: RM=4 (1,568
    states) is smaller than the partition's sample, so the whole state."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "parallel.py"), "--rm", "4", "--backend", "c",
                          "--no-dask"], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [ln.split() for ln in out.stdout.splitlines() if ln.startswith("TwoPhase RM=4")]
    assert [(r[2], r[3], r[-1]) for r in rows] == [("1", "1,568", "-"), ("2", "1,568", "whole")]
