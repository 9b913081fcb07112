"""Disagreements between the C and the Python backend, each as a minimal spec: three
found by random specs (tests/native/test_random_specs.py and a wider variant of it),
the 64-bit literal while writing tests/native/test_native_behaviour.py, the two
invariants at once while fixing the third. The facts asserted besides the comparison
are argued next to each spec."""

from __future__ import annotations

import pytest

from modelcheck import load
from modelcheck.model import BackendUnsupported
from modelcheck.native import explore
from modelcheck.result import Verdict
from modelcheck.search import Options
from tests.native.compare import assert_same


def compare(tmp_path, text: str, **opts):
    """(Python result, ``auto`` result) of ``text`` with ``opts``."""
    p = tmp_path / "spec.mc"
    p.write_text(text)
    model = load(p).model
    return explore(model, Options(**opts)), explore(model, Options(backend="auto", **opts))


# The invariant fails in the first initial state: the run stops before any successor
# is generated. C used to report what its own (empty) counters said: 0 generated states
# where Python counts the initial state it generated, and another depth.
INITIAL_VIOLATION = """\
module InitialViolation
var n: 0..1
init { n = 0 }
action Flip { n' = 1 - n }
invariant Positive [validity]: n > 0
"""


def test_violation_in_an_initial_state(tmp_path):
    py, c = compare(tmp_path, INITIAL_VIOLATION)
    assert c.backend == "c"
    (v,) = py.violations
    assert len(v.trace) == 1 and py.generated_states == 1
    assert_same(py, c)


# A function's values are bounded (0..1) and read back as unsigned C words: compared
# with a negative number, 0 > -1 was false, and the invariant reported violated.
UNSIGNED_FIELD = """\
module UnsignedField
models M = {m1, m2}
var f: M -> 0..1
init { f = { m: 0 for m in M } }
action Set { f' = f.put(m1, 1) }
invariant NotNegative [typing]: f[m1] > -1
"""


def test_function_value_compared_with_a_negative_number(tmp_path):
    py, c = compare(tmp_path, UNSIGNED_FIELD)
    assert c.backend == "c"
    assert py.verdict is Verdict.HOLDS
    assert_same(py, c)


# 2^64 + 1 does not fit a C integer: it was written into the C source as it is, and
# the compiler kept its low 64 bits (1), so x < 2^64 + 1 failed for x = 1.
BIG_LITERAL = """\
module BigLiteral
var x: 0..1
init { x = 0 }
action Flip { x' = 1 - x }
invariant Small [validity]: x < 18446744073709551617
"""


def test_integer_literal_beyond_64_bits(tmp_path):
    py, c = compare(tmp_path, BIG_LITERAL)
    assert py.verdict is Verdict.HOLDS
    assert_same(py, c)
    # the C backend does not compile it: auto says so, and where
    assert c.backend == "python" and "64 bits" in c.backend_note
    line = BIG_LITERAL.splitlines().index("invariant Small [validity]: x < 18446744073709551617") + 1
    with pytest.raises(BackendUnsupported) as refused:
        explore(load(tmp_path / "spec.mc").model, Options(backend="c"))
    assert f"spec.mc:{line}:" in refused.value.located


# With --continue a violated property is still evaluated on every later state (or
# step), as the Python backend's pipeline does: one that cannot be evaluated is a
# runtime error. Here Inv is violated in the initial state (min({m1, m2}) is m1) and
# cannot be evaluated once s is empty; C used to skip a violated property and report
# "violated" where Python reports the error.
VIOLATED_THEN_ERROR = """\
module ViolatedThenError
models M = {m1, m2}
var s: set[M]
init { s = {m1, m2} }
action Drop(x in M) {
  require x in s
  s' = s diff {x}
}
"""


@pytest.mark.parametrize("prop", ["invariant Inv [validity]: min(s) == m2",
                                  "step Inv [integrity]: min(s') == m2"], ids=["invariant", "step"])
def test_a_violated_property_is_still_evaluated_with_continue(tmp_path, prop):
    py, c = compare(tmp_path, VIOLATED_THEN_ERROR + prop + "\n", stop_at_first=False)
    assert py.verdict is Verdict.ERROR and "min of the empty set" in py.error
    assert_same(py, c)


# With --continue, every invariant a new state violates for the first time is recorded
# at that state: A and B both fail first at x = 2 (a trace of three states). C reported
# the first one there and went on with the next successor, so B was recorded at x = 3.
TWO_AT_ONCE = """\
module TwoAtOnce
var x: 0..3
init { x = 0 }
action Inc {
  require x < 3
  x' = x + 1
}
invariant A [validity]: x < 2
invariant B [validity]: x < 2
"""


def test_two_invariants_violated_by_one_state_with_continue(tmp_path):
    py, c = compare(tmp_path, TWO_AT_ONCE, stop_at_first=False)
    assert [(v.property, len(v.trace)) for v in py.violations[:2]] == [("A", 3), ("B", 3)]
    assert_same(py, c)
