"""Text rendering: changed variables only, wide changes entry by entry, --full, lasso
marks, colour on a terminal only (modelcheck/render/text.py, render/colour.py)."""

import os
import re
import subprocess
import sys
from pathlib import Path

from modelcheck.search import Options, explore
from modelcheck.render.colour import Painter, use_colour
from modelcheck.render.text import render_trace, render_violation
from tests.helpers import CRASH, ROOT, TWOPHASE, load_spec

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_violation(path, **consts):
    spec = load_spec(path, **consts)
    r = explore(spec.model, Options(symmetry=False, check_deadlock=False))
    return spec, r.violations[0]


def test_golden_twophase_counterexample():
    # tests/render/golden/twophase_commit_on_any.txt, read and argued line by line:
    # with BugCommitOnAny the TM commits on one Prepared message, so the shortest path
    # to a Validity violation is r1 prepares (rmState, msgs change), the TM receives it
    # (only tmPrepared changes), commits (tmState, msgs: Commit prints after Prepared, as
    # the constructors are declared) and r1 commits while r2, r3 never prepared: 5 states.
    # The initial state is printed whole, in declaration order; later steps print only
    # the variables that changed, old -> new.
    spec, v = first_violation(TWOPHASE, BugCommitOnAny=True)
    got = render_violation(spec.model, v)
    assert got + "\n" == (GOLDEN / "twophase_commit_on_any.txt").read_text()


def test_wide_changes_are_broken_up_entry_by_entry():
    # hand-written: `phase` (six servers) and `rec` are too wide as one line
    # (`phase: {...} -> {...}` is about 200 characters), so each changed entry of the
    # function and each changed field of the record gets its own line; `watchers` and
    # `log` did not change and are not shown
    spec, v = first_violation(GOLDEN / "wide.mc")
    lines = render_trace(spec.model, v.trace).splitlines()
    assert lines[3:] == [
        "  2. Lead(s=server1)",
        "       phase[server1]: Looking -> Leading",
        "       rec.counter: 0 -> 1",
        "       rec.note: Looking -> Leading",
    ]
    # --full prints whole states instead, on one line per variable
    full = render_trace(spec.model, v.trace, full=True).splitlines()
    assert full[4].startswith("       phase = { server1: Leading, server2: Looking")
    assert len(full) == 6


def test_short_changes_stay_on_one_line():
    # the README's examples: a change that fits in 120 columns is one line
    spec, v = first_violation(TWOPHASE, BugCommitOnAny=True)
    text = render_trace(spec.model, v.trace)
    assert "       rmState: { r1: working, r2: working, r3: working } -> { r1: prepared, r2: working, r3: working }" \
        in text.splitlines()


def test_lasso_is_marked():
    spec = load_spec(CRASH)
    r = explore(spec.model, Options(check_deadlock=False))
    (v,) = [v for v in r.violations if v.kind == "temporal"]
    lines = render_trace(spec.model, v.trace).splitlines()
    # the 5-state lasso of the README: the last state stutters, and is marked as the loop
    assert any(l.endswith("<- loop starts here") and l.startswith("  5. ") for l in lines)
    assert lines[-1] == "  then state 5 repeats forever (stuttering: no fair action is forced to move it)"


def test_colour_only_marks_pieces_and_strips_to_the_plain_text(capsys):
    spec, v = first_violation(TWOPHASE, BugCommitOnAny=True)
    plain = render_violation(spec.model, v)
    import io

    buf = io.StringIO()
    painter = Painter(buf)
    painter.emit(render_violation(spec.model, v, paint=painter.paint))
    coloured = buf.getvalue()
    assert "\x1b[" in coloured  # escape codes on a terminal
    assert ANSI.sub("", coloured) == plain + "\n"  # and nothing else differs
    # the action names are bold cyan, the new values green
    assert "\x1b[1;36mTMCommit\x1b[0m" in coloured


def test_colour_decision(monkeypatch):
    class Tty:
        def isatty(self):
            return True

    class Pipe:
        def isatty(self):
            return False

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_colour(Tty()) and not use_colour(Pipe())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not use_colour(Tty())  # NO_COLOR wins
    monkeypatch.delenv("NO_COLOR")
    assert use_colour(Pipe())
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not use_colour(Tty())


def test_no_escape_codes_in_a_pipe():
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    out = subprocess.run([sys.executable, "-m", "modelcheck.cli", "check", TWOPHASE,
                          "--const", "BugCommitOnAny=true"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 1
    assert "4. TMCommit" in out.stdout and "\x1b" not in out.stdout
    env["FORCE_COLOR"] = "1"
    forced = subprocess.run([sys.executable, "-m", "modelcheck.cli", "check", TWOPHASE,
                             "--const", "BugCommitOnAny=true"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert "\x1b[" in forced.stdout
    # colour adds escape codes and nothing else (the timing aside)
    timing = re.compile(r"\d+\.\d\d s")
    assert timing.sub("T s", ANSI.sub("", forced.stdout)) == timing.sub("T s", out.stdout)


def test_the_summary_says_why_the_python_backend_searched():
    # auto with a spec the C backend does not take (maps over int keys): the reason is the
    # result's backend_note, printed under the figures as --json gives it
    from dataclasses import replace

    from modelcheck.render.text import render_summary
    from modelcheck.result import CheckResult

    r = explore(load_spec(TWOPHASE).model, Options(max_states=10))
    assert isinstance(r, CheckResult) and r.backend == "python" and r.backend_note == ""
    assert "backend" not in render_summary(r, "t")
    why = "variable acks: map[int, set[1..2]]: the C backend keeps maps whose keys are ..."
    lines = render_summary(replace(r, backend_note=why), "t").splitlines()
    assert f"  the Python backend searched: {why}" in lines
    restarted = replace(r, backend="c", backend_note="the C search was started again with 2 times the capacities")
    text = render_summary(restarted, "t")
    assert "C backend)" in text and "  C backend: the C search was started again" in text
