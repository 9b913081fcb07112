"""Numbers on the command line are checked where they are read (issue 14 section 3,
issue 20 section 3): a negative or zero count, a time limit that is not a finite
positive number, digits that are not ASCII, and --progress with --quiet are usage
errors (exit 2) naming the option, never silently taken."""

from __future__ import annotations

import pytest

from tests.helpers import TRACES, TWOPHASE, run


@pytest.mark.parametrize("argv, option, shown", [
    (["check", TWOPHASE, "--max-states", "-5"], "--max-states", "'-5'"),
    (["check", TWOPHASE, "--max-states", "٣"], "--max-states", "'٣'"),
    (["check", TWOPHASE, "--max-depth", "0"], "--max-depth", "'0'"),
    (["check", TWOPHASE, "--time-limit", "nan"], "--time-limit", "'nan'"),
    (["check", TWOPHASE, "--time-limit", "-1"], "--time-limit", "'-1'"),
    (["check", TWOPHASE, "--time-limit", "inf"], "--time-limit", "'inf'"),
    (["simulate", TWOPHASE, "--traces", "0"], "--traces", "'0'"),
    (["simulate", TWOPHASE, "--time-limit", "0"], "--time-limit", "'0'"),
    (["trace", "validate", TWOPHASE, TRACES / "tp_early_commit.jsonl", "--max-candidates", "0"],
     "--max-candidates", "'0'"),
])
def test_bad_numbers_are_usage_errors(capsys, argv, option, shown):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert f"modelcheck: error: argument {option}: expected " in err and shown in err


@pytest.mark.parametrize("command", ["check", "simulate"])
def test_progress_and_quiet_contradict(capsys, command):
    code, _, err = run(capsys, command, TWOPHASE, "--progress", "--quiet")
    assert code == 2 and "argument --quiet: not allowed with argument --progress" in err


def test_good_numbers_still_work(capsys):
    code, out, _ = run(capsys, "check", TWOPHASE, "--max-states", "10", "--time-limit", "30")
    assert code == 3 and "search stopped by --max-states" in out
