"""benchmarks/backends.py runs and reports what it measured: one small configuration on
the C backend (state counts pinned, no timing asserted), and its check that two
backends agree."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from tests.helpers import ROOT

SCRIPT = ROOT / "benchmarks" / "backends.py"


def script():
    spec = importlib.util.spec_from_file_location("bench_backends", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, mod)   # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_twophase_rm7_on_c():
    from modelcheck.native.build import compiler

    if compiler() is None:
        if os.environ.get("MODELCHECK_SKIP_CC") == "1":
            pytest.skip("no C compiler and MODELCHECK_SKIP_CC=1")
        pytest.fail("no C compiler: `make cc` installs gcc, or set MODELCHECK_SKIP_CC=1")
    out = subprocess.run([sys.executable, str(SCRIPT), "--only", "TwoPhase RM=7 no symmetry", "--backend", "c"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    (row,) = [ln for ln in out.stdout.splitlines() if ln.startswith("TwoPhase RM=7")]
    cells = re.split(r"\s{2,}", row.strip())   # columns are two spaces apart or more
    # TLC's figures for RM = 7 (no symmetry): 296,448 distinct states, depth 23
    assert cells[:5] == ["TwoPhase RM=7 no symmetry", "holds", "296,448", "2,744,706", "23"]
    assert cells[-1] == "c"


def test_disagreeing_backends_are_a_mismatch():
    bench = script()
    c = {"stop": "exhausted", "verdict": "holds", "distinct": 10, "generated": 30, "depth": 4}
    same, bad = bench.shared({"c": c, "python": dict(c)})
    assert bad is None and same == ["holds", "10", "30", "4"]
    row, bad = bench.shared({"c": c, "python": {**c, "generated": 31}})
    assert row[1] == "MISMATCH" and "generated 31" in bad
    # a run cut by the time limit is not compared
    assert bench.shared({"c": c, "python": {**c, "stop": "time-limit", "distinct": 7}})[1] is None
