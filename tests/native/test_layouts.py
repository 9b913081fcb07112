"""The C backend on the layouts and features beyond one-word scalars, each against the
Python backend on a small spec written for it: negative bounds, sets of more than 64
possible elements (several words), sets inside other values, powerset, actions whose
parameters range over a state-dependent set (labels numbered at run time), and
symmetry (by signatures, and by every permutation where a part of a state names two
symmetric values). Skipped without a C compiler (MODELCHECK_SKIP_CC=1)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from modelcheck.api import load
from modelcheck.native import explore
from modelcheck.native.build import compiler
from modelcheck.search import Options
from tests.helpers import reachable, replay

pytestmark = pytest.mark.skipif(compiler() is None, reason="no C compiler (scripts/install-cc.sh)")


def both(tmp_path, text: str, **opts):
    path = tmp_path / "s.mc"
    path.write_text(text)
    spec = load(str(path))
    o = Options(**opts)
    py = explore(spec.model, replace(o, backend="python"))
    c = explore(spec.model, replace(o, backend="c"))
    return spec, py, c


def assert_same(py, c, exact_traces=True):
    assert c.backend == "c", c.backend_note
    assert (c.verdict, c.distinct_states, c.generated_states, c.depth) == \
        (py.verdict, py.distinct_states, py.generated_states, py.depth)
    assert c.properties == py.properties
    if exact_traces:
        assert c.coverage == py.coverage
        assert [(v.property, v.trace) for v in c.violations] == [(v.property, v.trace) for v in py.violations]
    else:
        def per_action(r):
            out: Counter = Counter()
            for x in r.coverage:
                out[x.action] += x.generated
            return out

        assert per_action(c) == per_action(py)
        assert [(v.property, len(v.trace)) for v in c.violations] == \
            [(v.property, len(v.trace)) for v in py.violations]


NEGATIVE = """
module Neg
models A = {a1, a2}
var x: -3..3
var f: A -> -2..1
init { x = -3  f = { a: -2 for a in A } }
action Up { require x < 3  x' = x + 1 }
action Bump(a in A) { require f[a] < x and f[a] < 1  f' = f.put(a, f[a] + 1) }
invariant Low [validity]: forall a in A: f[a] > -2 or x < 0
invariant Order [validity]: forall a in A: f[a] <= x or x < -1
"""


def test_negative_bounds_read_signed(tmp_path):
    # a field with a negative lower bound was once read as unsigned in C: every
    # comparison with it was false (Paxos's ballots, -1..1)
    spec, py, c = both(tmp_path, NEGATIVE, stop_at_first=False, check_deadlock=False)
    assert py.verdict.value == "violated" and py.exhaustive
    assert [v.property for v in py.violations] == ["Low"]
    assert py.distinct_states == len(reachable(spec.model)) > 20   # an independent search
    assert_same(py, c)
    replay(spec, c.violations[0].trace)


WIDE = """
module Wide
enum Msg = Big(0..9, 0..9) | Small(0..3)
var msgs: set[Msg]
var seen: set[Msg]
var n: 0..4
init { msgs = {}  seen = {}  n = 0 }
action Send(i in 0..3) { require n < 4  msgs' = msgs union {Small(i), Big(i, 9 - i)}  n' = n + 1 }
action Note { pick Small(i) in msgs  require Small(i) notin seen
              seen' = seen union { m for m in msgs if m == Small(i) or m == Big(i, 9 - i) } }
action Drop { require size(seen) >= 4  msgs' = msgs diff seen }
invariant Sub [integrity]: seen subseteq msgs or isEmpty(msgs)
invariant Few [validity]: size(msgs) < 8
"""


def test_sets_of_more_than_64_possible_elements(tmp_path):
    spec, py, c = both(tmp_path, WIDE, check_deadlock=False)
    assert py.verdict.value == "violated" and py.distinct_states > 20
    assert_same(py, c)
    replay(spec, c.violations[0].trace)


NESTED = """
module Nested
models R = {r1, r2, r3}
var groups: set[set[R]]
var pickd: set[R]
init { groups = {}  pickd = {} }
action Add(g in powerset(R)) { require size(g) == 2  groups' = groups union {g} }
action Pick(g in groups) { require pickd != g  pickd' = g }
invariant Small [validity]: size(groups) < 3
"""


def test_sets_inside_sets_and_dynamic_parameters(tmp_path):
    # Pick's parameter ranges over a state-dependent set: its labels are numbered as
    # first generated, in the same order by both backends
    spec, py, c = both(tmp_path, NESTED, check_deadlock=False)
    assert py.verdict.value == "violated"
    assert any(cov.action == "Pick" for cov in py.coverage)
    assert_same(py, c)


BINARY = """
module Binary
models P = {p1, p2, p3}
symmetry P
var knows: P -> set[P]
var leader: set[P]
init { knows = { p: {p} for p in P }  leader = {} }
action Tell(p in P, q in P) { require p != q and q notin knows[p]  knows' = knows.put(p, knows[p] union {q}) }
action Lead(p in P) { require size(knows[p]) == 3 and leader == {}  leader' = {p} }
invariant One [agreement]: size(leader) <= 1
invariant NotAll [validity]: exists p in P: size(knows[p]) < 3 or leader == {}
"""


def test_symmetry_when_a_part_names_two_symmetric_values(tmp_path):
    # knows: P -> set[P] names two values of P per entry: signatures are not exact, so
    # the least image under all 6 permutations is taken; the orbit counts must be Python's
    spec, py, c = both(tmp_path, BINARY, check_deadlock=False, check_temporal=False)
    assert py.symmetry and c.symmetry
    assert_same(py, c, exact_traces=False)
    for v in c.violations:
        replay(spec, v.trace)
    unreduced = explore(spec.model, Options(backend="python", symmetry=False, check_deadlock=False))
    assert unreduced.distinct_states > py.distinct_states


@pytest.mark.parametrize("consts", [{}, {"RM": 5}, {"BugCommitOnMajority": True}, {"BugAbortAfterPrepare": True}])
def test_twophase_with_symmetry_counts_orbits_as_python(consts):
    # signatures: rmState[r], r in tmPrepared, Prepared(r) in msgs name one RM each
    from tests.helpers import TWOPHASE, load_spec

    spec = load_spec(TWOPHASE, **consts)
    o = Options(check_temporal=False)
    py = explore(spec.model, replace(o, backend="python"))
    c = explore(spec.model, replace(o, backend="c"))
    assert py.symmetry and c.symmetry
    assert_same(py, c, exact_traces=False)
    for v in c.violations:
        replay(spec, v.trace)
    if not consts:
        assert c.distinct_states == 80   # TwoPhase RM = 3 with symmetry (tests/specs pin it too)
