"""Ctrl-C (issue 14, section 3): the search stops and reports what it found so far, as
text or JSON, with verdict undetermined and exit 3 (before: exit 130 and nothing on
stdout). A real process and a real SIGINT, sent once the search is running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.helpers import ROOT, TWOPHASE

MODELCHECK = os.path.join(os.path.dirname(sys.executable), "modelcheck")


def _default_sigint():
    # a process started in the background by a shell without job control inherits SIGINT
    # ignored, and Python then keeps it ignored (as nohup means): the checker under test
    # gets the default, as it does at a terminal, whatever ran this suite
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupted(*argv):
    p = subprocess.Popen([MODELCHECK, *argv, "--progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=ROOT, preexec_fn=_default_sigint)
    try:
        deadline = time.monotonic() + 60
        line = p.stderr.readline()            # the first progress line: the search is running
        assert line and time.monotonic() < deadline, line
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, out, line + err


def test_check_reports_the_partial_result_and_exits_3():
    # RM=9 without symmetry is seconds of search, in one process or in workers (RM=8 is
    # about a second in 2 workers: it can end before the first progress line)
    code, out, _ = interrupted("check", TWOPHASE, "--const", "RM=9", "--no-symmetry", "--no-temporal")
    assert code == 3
    assert "search interrupted (Ctrl-C): not exhaustive, nothing proven" in out
    assert "verdict: undetermined" in out and "holds" not in out


def test_check_json_gives_one_object():
    code, out, _ = interrupted("check", TWOPHASE, "--const", "RM=9", "--no-symmetry", "--no-temporal", "--json")
    report = json.loads(out)
    assert code == 3 and report["verdict"] == "undetermined" and report["stop_reason"] == "interrupted"
    assert report["distinct_states"] > 0 and report["exhaustive"] is False


def test_simulate_reports_the_traces_run_so_far():
    code, out, _ = interrupted("simulate", TWOPHASE, "--const", "RM=5", "--traces", "100000000")
    assert code == 3
    assert "interrupted (Ctrl-C) after" in out and "of 100,000,000 traces: nothing proven" in out
    assert "verdict: undetermined" in out and "not-violated" not in out
