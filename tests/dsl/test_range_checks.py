"""Range checks on assignments are left out only where the value's shape proves them
(Compiler.within), and index bounds checks only where the key's values are known to be
in the domain (binders over constant integers). Every assignment that could leave its
type must still be checked: each case below would pass silently if the elision were too
eager, and fails with MC300 as it should."""

from __future__ import annotations

import pytest

from modelcheck import Verdict, check, load

HEADER = """\
module R
var f: 1..3 -> 0..3
var s: set[1..3]
var n: 0..2
init {
  f = { p: 0 for p in 1..3 }
  s = {}
  n = 0
}
"""


def _spec(tmp_path, body: str):
    p = tmp_path / "r.mc"
    p.write_text(HEADER + body + "invariant T [typing]: true\n")
    return load(p)


# each action reaches a value outside the variable's type in one step
OUT_OF_RANGE = [
    # a literal outside the codomain, through put (p = 1 comes first)
    ("action A(p in 1..3) { require f[p] == 0\n f' = f.put(p, 5) }\n", "f",
     "variable f would be { 1: 5, 2: 0, 3: 0 }, which does not fit its type 1..3 -> 0..3: f[1] is 5, outside 0..3"),
    # arithmetic on a binder: its range is known, the sum's is not (p = 3 gives 4)
    ("action A(p in 1..3) { s' = s union {p + 1} }\n", "s",
     "variable s would be {4}, which does not fit its type set[1..3]: s has the element 4, outside 1..3"),
    # a binder whose values lie partly outside the element type (p = 0 first)
    ("action A(p in 0..3) { s' = s union {p} }\n", "s",
     "variable s would be {0}, which does not fit its type set[1..3]: s has the element 0, outside 1..3"),
    # an integer variable stepping past its bound
    ("action A { n' = n + 3 }\n", "n", "variable n would be 3, outside its type 0..2"),
    # a value read from elsewhere of a wider type
    ("action A(p in 1..3) { require f[p] == 0\n n' = f[p] + 3 }\n", "n", "variable n would be 3, outside its type 0..2"),
]


@pytest.mark.parametrize("body,var,why", OUT_OF_RANGE, ids=[v + str(i) for i, (_, v, _) in enumerate(OUT_OF_RANGE)])
def test_assignment_leaving_its_type_is_still_an_error(tmp_path, body, var, why):
    r = check(_spec(tmp_path, body))
    assert r.verdict is Verdict.ERROR
    assert "MC300" in r.error and why in r.error, r.error


def test_provable_assignments_are_not_checked_and_stay_correct(tmp_path):
    # put of a binder over the domain, union / diff with binders in range: no check in the
    # generated code, and the search is the one expected (s ranges over every subset of
    # 1..3, f over its reachable values: f[p] in 0..1 for each p, so 8 * 8 states)
    spec = _spec(tmp_path, """\
action Add(p in 1..3) { s' = s union {p} }
action Drop(p in 1..3) { s' = s diff {p} }
action Set(p in 1..3) { require f[p] == 0
  f' = f.put(p, 1) }
action Reset(p in 1..3) { require f[p] == 1
  f' = f.put(p, 0) }
""")
    r = check(spec, check_deadlock=False)
    assert r.verdict is Verdict.HOLDS
    assert r.distinct_states == 8 * 8
    succ_src = spec.model.generated_source.split("def _init")[0]
    assert "_RangeError" not in succ_src
    assert "_seqput" not in succ_src  # f.put(p, ..) with p in 1..3 needs no bounds check


def test_unprovable_assignments_keep_their_check(tmp_path):
    spec = _spec(tmp_path, "action A(p in 1..3) { s' = s union {p + 1} }\n")
    assert "_RangeError" in spec.model.generated_source.split("def _init")[0]
