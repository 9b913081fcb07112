"""`modelcheck suite` as a newcomer meets it (issue 20, section 1): a line per run as it
finishes, runs in parallel with the same results, full rows in pipes and files, and the
final verdict line in summary.txt. A small manifest, not the bundled suite."""

from __future__ import annotations

import json

import pytest

from modelcheck.cli import main
from tests.helpers import CLOCKS, TCOMMIT, TWOPHASE, run

MANIFEST = f"""
[[run]]
spec = "{TWOPHASE}"
consts = {{ RM = 2 }}

[[run]]
spec = "{TWOPHASE}"
consts = {{ BugCommitOnAny = "true", BugAbortAfterPrepare = "false", BugAbortAfterCommit = "false" }}
expect = "violated"

[[run]]
spec = "{TCOMMIT}"
deadlock = false
slow = true

[[run]]
spec = "{CLOCKS}"
"""


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    p = tmp_path_factory.mktemp("suite") / "suite.toml"
    p.write_text(MANIFEST)
    return p


def test_a_line_per_run_as_it_finishes_then_the_full_table(manifest, tmp_path, capsys):
    code, out, err = run(capsys, "suite", manifest, "--report", tmp_path, "--jobs", "1")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    progress = [x for x in lines if x.startswith("[")]
    assert [x.split()[:3] for x in progress] == [["[1/4]", "ok", "holds"], ["[2/4]", "ok", "violated"],
                                                 ["[3/4]", "ok", "holds"], ["[4/4]", "ok", "holds"]]
    assert "tcommit.mc [no-deadlock]  13 states, depth 7" in progress[2]
    # the streamed lines come before the table, and nothing is cut with an ellipsis
    assert lines.index(progress[-1]) < next(i for i, x in enumerate(lines) if "modelcheck suite" in x)
    assert "…" not in out
    assert "BugCommitOnAny=true BugAbortAfterPrepare=false BugAbortAfterCommit=false" in out
    assert "distinct states" in out
    assert lines[-1] == "all 4 runs gave the expected verdict"
    summary = (tmp_path / "summary.txt").read_text()
    assert "…" not in summary and "distinct states" in summary
    assert summary.splitlines()[-1] == "all 4 runs gave the expected verdict"


def test_parallel_runs_give_the_same_results(manifest, tmp_path, capsys):
    assert main(["suite", str(manifest), "--report", str(tmp_path / "one"), "--jobs", "1"]) == 0
    assert main(["suite", str(manifest), "--report", str(tmp_path / "two"), "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    keys = ("run", "verdict", "distinct_states", "generated_states", "depth", "violations", "properties")
    one, two = ([{k: r[k] for k in keys} for r in json.loads((tmp_path / d / "summary.json").read_text())["runs"]]
                for d in ("one", "two"))
    assert one == two and [r["verdict"] for r in one] == ["holds", "violated", "holds", "holds"]
    assert (tmp_path / "two" / "report.html").stat().st_size > 10_000
    # each parallel run has a process of its own, whose peak memory is reported
    runs_two = json.loads((tmp_path / "two" / "summary.json").read_text())["runs"]
    assert all(r["peak_memory_mb"] > 0 for r in runs_two)
    assert all("peak_memory_mb" not in r
               for r in json.loads((tmp_path / "one" / "summary.json").read_text())["runs"])
    assert out.count(" MB\n") >= 4
    assert out.count("all 4 runs gave the expected verdict") == 2


def test_jobs_must_be_positive(manifest, tmp_path, capsys):
    code, _, err = run(capsys, "suite", manifest, "--report", tmp_path, "--jobs", "0")
    assert code == 2 and "--jobs must be at least 1" in err


DYNAMIC = """module Dyn
var s: set[0..3]
init { s = {0} }
action Add(x in s) { require x < 3; s' = s union {x + 1} }
invariant Small [typing]: 3 notin s
"""


def test_parallel_runs_carry_labels_numbered_during_the_search(tmp_path, capsys):
    # Add's parameter ranges over a state-dependent set: its labels are numbered as the
    # search meets them, in the worker. The parent, which draws the counterexample, loaded
    # the spec afresh: it once failed with an internal IndexError in describe().
    (tmp_path / "dyn.mc").write_text(DYNAMIC)
    m = tmp_path / "m.toml"
    m.write_text('[[run]]\nspec = "dyn.mc"\nexpect = "violated"\n'
                 '[[run]]\nspec = "dyn.mc"\nexpect = "violated"\ndeadlock = false\n')
    assert main(["suite", str(m), "--report", str(tmp_path / "one"), "--jobs", "1"]) == 0
    assert main(["suite", str(m), "--report", str(tmp_path / "two"), "--jobs", "2"]) == 0
    one, two = (json.loads((tmp_path / d / "summary.json").read_text())["runs"] for d in ("one", "two"))
    steps = [[(st["mbt::actionTaken"], st["mbt::nondetPicks"]) for st in r["violations"][0]["trace"]["states"]]
             for r in two]
    # s = {0} -> Add(x=0) -> {0, 1} -> Add(x=1) -> {0, 1, 2} -> Add(x=2) -> 3 in s
    want = [("init", {}), ("Add", {"x": 0}), ("Add", {"x": 1}), ("Add", {"x": 2})]
    assert steps == [want, want]
    assert [r["violations"] for r in one] == [r["violations"] for r in two]
