"""Outputs that cannot be written, and internal errors (issue 14, section 3): a coded
error with exit 2 instead of a traceback with exit 1 (which scripts read as "violated");
a bug of ours exits 70 and asks for a report."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from modelcheck.cli import EXIT_INTERNAL
from tests.helpers import ROOT, TCOMMIT, run

NOWHERE = "/proc/no-such-dir"   # a directory that cannot be created, even by root


@pytest.mark.parametrize("argv", [
    ["graph", TCOMMIT, "-o", f"{NOWHERE}/g"],
    ["report", TCOMMIT, "-o", f"{NOWHERE}/r.html"],
    ["trace", "generate", TCOMMIT, "--out", NOWHERE],
])
def test_an_output_that_cannot_be_written(capsys, argv):
    code, _, err = run(capsys, *argv)
    assert code == 2 and "Traceback" not in err
    assert f"modelcheck: error: MC002 cannot write {NOWHERE}: No such file or directory" in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_standard_output_on_a_full_disk():
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-c", "from modelcheck.cli import entry; entry()", "check", TCOMMIT,
                            "--no-deadlock"], stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                           timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == "modelcheck: error: MC002 cannot write the output: No space left on device"


def test_an_internal_error_exits_70_and_asks_for_a_report(capsys, monkeypatch):
    from modelcheck.cli import check

    def broken(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(check, "run", broken)
    code, out, err = run(capsys, "check", TCOMMIT)
    assert code == EXIT_INTERNAL == 70 and out == ""
    assert "modelcheck: internal error: ZeroDivisionError: a bug" in err and "This is a bug in modelcheck" in err
