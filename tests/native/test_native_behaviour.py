"""The C backend on small specs written here: bounds and limits, --continue, each kind
of violation, runtime errors (the run repeated on Python), the build cache, a missing
compiler, the command line, and temporal properties.

Every C run is compared with the Python run of the same model and options
(tests/native/compare.py); the facts asserted besides are argued by hand next to each
spec, never copied from a run.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace

import pytest

from modelcheck import load
from modelcheck.model import BackendUnsupported
from modelcheck.native import explore
from modelcheck.native import build as native_build
from modelcheck.native.engine import engine_for
from modelcheck.result import PropertyKind, StopReason, Verdict
from modelcheck.search import Options
from tests.helpers import CRASH, TWOPHASE, load_spec, run
from tests.native.compare import assert_same


def write(tmp_path, text: str, name: str = "spec.mc") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def both(model, opts: Options):
    """(Python result, C result) of one model and options."""
    return explore(model, replace(opts, backend="python")), explore(model, replace(opts, backend="c"))


def on_c(model, opts: Options):
    """The C run, which must have run on C, compared with the Python run."""
    py, c = both(model, opts)
    assert (c.backend, c.backend_note) == ("c", "")
    assert_same(py, c)
    return c


def repeated_on_python(model, opts: Options):
    """The C run of a spec with a runtime error (or a 64-bit overflow): the C search
    stops, the run is repeated on Python and reports exactly what Python reports."""
    py, c = both(model, opts)
    assert c.backend == "python"
    assert "repeated on Python" in c.backend_note
    assert_same(py, c)
    return c


# ------------------------------------------------------------------ bounds and limits

# x and y count up independently to N: state (x, y) is first reached at BFS level
# x + y + 1, and each state has at most two successors
GRID = """\
module Grid
const N = 3000
var x: int
var y: int
init {
  x = 0
  y = 0
}
action IncX {
  require x < N
  x' = x + 1
}
action IncY {
  require y < N
  y' = y + 1
}
invariant Sum [validity]: x + y <= 2 * N
"""


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    return load(write(tmp_path_factory.mktemp("grid"), GRID)).model


def test_max_depth(grid):
    c = on_c(grid, Options(max_depth=10))
    assert (c.verdict, c.stop_reason) == (Verdict.UNDETERMINED, StopReason.MAX_DEPTH)
    # levels 1..10: the states with x + y <= 9, 1 + 2 + ... + 10 of them
    assert (c.distinct_states, c.depth) == (55, 10)


def test_max_states(grid):
    c = on_c(grid, Options(max_states=1000))
    assert (c.verdict, c.stop_reason) == (Verdict.UNDETERMINED, StopReason.MAX_STATES)
    # the search stops after the expansion that reached the bound: at most 2 more
    assert 1000 <= c.distinct_states <= 1002


def test_time_limit(tmp_path):
    # 10^12 states: never finished; max_states is a backstop should the limit not work
    model = load(write(tmp_path, GRID.replace("N = 3000", "N = 1000000"))).model
    engine_for(model)   # compiled first: gcc's time counts in the limit, and the cache may be empty
    t0 = time.monotonic()
    c = explore(model, Options(backend="c", time_limit=0.2, max_states=4_000_000))
    assert time.monotonic() - t0 < 10
    assert c.backend == "c"
    assert (c.verdict, c.stop_reason) == (Verdict.UNDETERMINED, StopReason.TIME_LIMIT)
    assert 0 < c.distinct_states < 4_000_000


# ------------------------------------------------------------------ violations

# x climbs by 1 or 2 up to 5 (NoJump is broken by the first Step(k=2)); s collects the
# values x had; p goes idle -> busy -> idle or done. Reachable: x == 4 (NotFour), three
# values in s (SmallSet), p == done with x == 5 (NotDone), and that state has no
# successor (Deadlock); x never decreases (Monotone holds).
MULTI = """\
module Multi
enum Phase = idle | busy | done
var x: 0..5
var p: Phase
var s: set[0..5]
init {
  x = 0
  p = idle
  s = {}
}
action Step(k in 1..2) {
  require x + k <= 5
  x' = x + k
  s' = s union {x}
}
action Go {
  require p == idle
  p' = busy
}
action Finish {
  require p == busy
  either { p' = done } or { p' = idle }
}
invariant NotFour [validity]: x != 4
invariant SmallSet [validity]: size(s) < 3
invariant NotDone [validity]: not (p == done and x == 5)
step Monotone [integrity]: x' >= x
step NoJump [integrity]: x' <= x + 1
"""


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    return load(write(tmp_path_factory.mktemp("multi"), MULTI)).model


def test_step_property_violation(multi):
    c = on_c(multi, Options())
    (v,) = c.violations
    assert (v.property, v.kind) == ("NoJump", PropertyKind.STEP)
    # the shortest: x = 0, then Step(k=2)
    assert len(v.trace) == 2 and v.trace.states[1][0] == 2


def test_continue_reports_the_same_violations(multi):
    c = on_c(multi, Options(stop_at_first=False))
    assert c.stop_reason is StopReason.EXHAUSTED
    assert {v.property for v in c.violations} == {"NoJump", "NotFour", "SmallSet", "NotDone", "Deadlock"}
    verdicts = {p.name: p.verdict for p in c.properties}
    assert verdicts["Monotone"] is Verdict.HOLDS


ASSERTING = """\
module Asserting
var x: 0..5
init { x = 0 }
action Inc {
  require x < 5
  assert x != 3: "x reached three"
  x' = x + 1
}
action Reset {
  require x == 5
  x' = 0
}
invariant T [typing]: true
"""


@pytest.mark.parametrize("stop_at_first", [True, False])
def test_assertion_in_an_action(tmp_path, stop_at_first):
    c = on_c(load(write(tmp_path, ASSERTING)).model, Options(stop_at_first=stop_at_first))
    (v,) = c.violations
    assert (v.kind, v.message) == (PropertyKind.ASSERTION, "x reached three")
    # x = 0, 1, 2, 3: Inc fails in the fourth state
    assert [s[0] for s in v.trace.states] == [0, 1, 2, 3]


# x starts at 0 or 1 and climbs to 4, where nothing is enabled; b flips at x == 2
DEADLOCKING = """\
module Deadlocking
var x: 0..5
var b: bool
init {
  pick v in 0..1
  x = v
  b = false
}
action Inc {
  require x < 4
  x' = x + 1
}
action Flip {
  require x == 2
  b' = not b
}
invariant T [typing]: true
"""


def test_deadlock(tmp_path):
    c = on_c(load(write(tmp_path, DEADLOCKING)).model, Options())
    assert c.verdict is Verdict.DEADLOCK
    (v,) = c.violations
    # the shortest path to x == 4 starts at x == 1
    assert [s[0] for s in v.trace.states] == [1, 2, 3, 4]


# ------------------------------------------------------------------ runtime errors

DIVIDING = """\
module Dividing
var x: 0..5
var y: int
init {
  x = 3
  y = 0
}
action Dec {
  require x > 0
  x' = x - 1
}
action Div { y' = 6 / x }
invariant T [typing]: true
"""

OUT_OF_RANGE = """\
module OutOfRange
var x: 0..3
init { x = 0 }
action Inc { x' = x + 1 }
invariant T [typing]: true
"""


@pytest.mark.parametrize("text,why", [(DIVIDING, "division by zero"), (OUT_OF_RANGE, "outside its type 0..3")],
                         ids=["division-by-zero", "out-of-range"])
def test_runtime_error_is_reported_by_python(tmp_path, text, why):
    c = repeated_on_python(load(write(tmp_path, text)).model, Options())
    assert c.verdict is Verdict.ERROR
    assert "MC300" in c.error and why in c.error


# x: 1, 10^3, ..., 10^18 stay inside the constraint; 10^21 is past it, and past 64
# bits: the C search stops on the overflow, Python discards the state
OVERFLOWING = """\
module Overflowing
var x: int
init { x = 1 }
action Grow { x' = x * 1000 }
constraint Bounded: x <= 1000000000000000000
invariant T [typing]: true
"""


def test_64_bit_overflow_is_repeated_on_python(tmp_path):
    c = repeated_on_python(load(write(tmp_path, OVERFLOWING)).model, Options())
    assert (c.verdict, c.distinct_states) == (Verdict.HOLDS, 7)


# ------------------------------------------------------------------ build and compiler

def test_a_second_build_is_found_in_the_cache(tmp_path, monkeypatch):
    source = engine_for(load_spec(TWOPHASE).model).source
    monkeypatch.setenv("MODELCHECK_CACHE", str(tmp_path / "one"))
    first = native_build.build(source)
    assert not first.cached and first.path.parent == tmp_path / "one" / "native"
    again = native_build.build(source)
    assert again.cached and again.path == first.path
    monkeypatch.setenv("MODELCHECK_CACHE", str(tmp_path / "two"))
    assert not native_build.build(source).cached


@pytest.fixture
def no_compiler(monkeypatch):
    monkeypatch.setenv("CC", "/nonexistent/cc")
    native_build.compiler.cache_clear()
    yield
    monkeypatch.undo()
    native_build.compiler.cache_clear()


def test_missing_compiler(tmp_path, no_compiler):
    assert native_build.compiler() is None
    model = load(write(tmp_path, ASSERTING)).model    # fresh: no engine built for it yet
    with pytest.raises(BackendUnsupported) as refused:
        explore(model, Options(backend="c"))
    assert "compiler" in refused.value.message
    auto = explore(model, Options(backend="auto"))
    assert (auto.backend, auto.backend_note) == ("python", refused.value.message)
    assert_same(explore(model, Options()), auto)


# ------------------------------------------------------------------ command line

# a bag: not compiled by the C backend
BAG_SPEC = """\
module Unsupported
var m: bag[0..2]
var x: 0..2
init {
  m = bag()
  x = 0
}
action Take(v in 0..2) {
  require count(m, v) < 2
  x' = v
  m' = m.add(v)
}
action Idle { x' = x }
invariant T [typing]: true
"""


def test_cli_backend_c_on_an_unsupported_spec(tmp_path, capsys):
    spec = write(tmp_path, BAG_SPEC)
    code, out, err = run(capsys, "check", spec, "--backend", "c")
    assert code == 2 and out == ""
    # bags are not compiled yet: the refusal points at the variable's declaration
    line = BAG_SPEC.splitlines().index("var m: bag[0..2]") + 1
    first, source, caret = err.splitlines()[:3]
    assert re.fullmatch(rf"{re.escape(spec)}:{line}:1: MC600 .+", first), first
    assert source.endswith("| var m: bag[0..2]")
    assert caret.split("|", 1)[1].startswith(" ^^^")        # under the declaration, from column 1
    code, out, _ = run(capsys, "check", spec, "--json")       # auto: Python, and why
    data = json.loads(out)
    assert code == 0 and (data["backend"], data["verdict"]) == ("python", "holds")
    assert data["backend_note"]


def test_cli_backend_c_json_and_summary(capsys):
    code, out, _ = run(capsys, "check", TWOPHASE, "--backend", "c", "--json")
    data = json.loads(out)
    assert code == 0 and data["backend"] == "c" and "backend_note" not in data
    assert (data["distinct_states"], data["depth"]) == (288, 11)
    code, out, _ = run(capsys, "check", TWOPHASE, "--backend", "c")
    summary = next(l for l in out.splitlines() if "distinct states" in l)
    assert code == 0 and summary.endswith("(bfs, C backend)")


# ------------------------------------------------------------------ temporal properties

def test_termination_holds_on_twophase():
    c = on_c(load_spec(TWOPHASE).model, Options(symmetry=False))
    verdicts = {p.name: p.verdict for p in c.properties}
    assert verdicts["Termination"] is Verdict.HOLDS and c.verdict is Verdict.HOLDS


def test_termination_violated_on_crash_with_the_same_lasso():
    # symmetry is on as asked, and given up because Termination is checked
    c = on_c(load_spec(CRASH).model, Options(check_deadlock=False))
    (v,) = c.violations
    assert (v.property, v.kind) == ("Termination", PropertyKind.TEMPORAL)
    assert v.trace.loop is not None        # a lasso (assert_same compared it state for state)
