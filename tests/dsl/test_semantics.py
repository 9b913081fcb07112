"""Runtime semantics of compiled expressions, on both code paths: constant-folded (the
expression is built from literals in `init`) and dynamic (the same operands come from
state variables and the expression is evaluated in an action). Expected values are
written by hand from docs/language.md."""

import pytest

from modelcheck import load
from modelcheck.itf import encode


def both_paths(expr, rtype, inputs=()):
    """``inputs``: (name, type, literal) triples; returns (folded, dynamic) ITF values."""
    folded_expr = expr
    for name, _, lit in inputs:
        folded_expr = folded_expr.replace(f"${name}", f"({lit})")
    dyn_expr = expr.replace("$", "")
    decls = "\n".join(f"var {n}: {t}" for n, t, _ in inputs)
    inits = "\n".join(f"  {n} = {lit}" for n, _, lit in inputs)
    text = f"""module Sem
{decls}
var out: {rtype}
var go: bool
init {{
{inits}
  out = {folded_expr}
  go = false
}}
action Go {{
  require not go
  out' = {dyn_expr}
  go' = true
}}
"""
    model = load("sem.mc", text=text).model
    (s0,) = model.initial_states()
    ((_, s1),) = model.successors(s0)
    t = model.var_types[-2]
    return encode(s0[-2], t), encode(s1[-2], t)


CASES = [
    # arithmetic and precedence
    ("$a + $b * 2", "int", [("a", "0..9", "1"), ("b", "0..9", "3")], 7),
    ("$a - $b - 1", "int", [("a", "0..9", "9"), ("b", "0..9", "3")], 5),
    ("-$a + 2", "int", [("a", "0..9", "5")], -3),
    ("min($a, $b) + max($a, $b) + abs(0 - $a)", "int", [("a", "0..9", "2"), ("b", "0..9", "7")], 11),
    # logic
    ("$p implies $q", "bool", [("p", "bool", "true"), ("q", "bool", "false")], False),
    ("$p iff $q", "bool", [("p", "bool", "false"), ("q", "bool", "false")], True),
    ("if $a > 2 then $a else 0 - $a", "int", [("a", "0..9", "1")], -1),
    ("let y = $a * 2 in y + y", "int", [("a", "0..9", "3")], 12),
    # sets
    ("union($s, {4}) == {1, 2, 4}", "bool", [("s", "set[0..9]", "{1, 2}")], True),
    ("size(diff($s, {2}))", "int", [("s", "set[0..9]", "{1, 2, 3}")], 2),
    ("intersect($s, {2, 3, 5})", "set[0..9]", [("s", "set[0..9]", "{1, 2, 3}")], {"#set": [2, 3]}),
    ("subseteq($s, 0..3)", "bool", [("s", "set[0..9]", "{1, 2, 3}")], True),
    ("{ x * 2 for x in $s if x > 1 }", "set[0..20]", [("s", "set[0..9]", "{1, 2, 3}")], {"#set": [4, 6]}),
    ("size(powerset($s))", "int", [("s", "set[0..9]", "{1, 2, 3}")], 8),
    ("min($s) + max($s)", "int", [("s", "set[0..9]", "{4, 2, 9}")], 11),
    ("forall x in $s: x > 0", "bool", [("s", "set[0..9]", "{}")], True),
    ("exists x in $s: x > 0", "bool", [("s", "set[0..9]", "{}")], False),
    ("exists x, y in $s: x + y == 7", "bool", [("s", "set[0..9]", "{1, 3, 4}")], True),
    ("3 notin $s", "bool", [("s", "set[0..9]", "{1, 3, 4}")], False),
    # sequences (index from 1)
    ("append($q, 5)", "seq[0..9, 4]", [("q", "seq[0..9, 4]", "[1, 2]")], [1, 2, 5]),
    ("head($q) + last($q) + len($q)", "int", [("q", "seq[0..9, 4]", "[1, 2, 7]")], 11),
    ("tail($q) ++ [9]", "seq[0..9, 4]", [("q", "seq[0..9, 4]", "[1, 2, 7]")], [2, 7, 9]),
    ("$q[2]", "int", [("q", "seq[0..9, 4]", "[1, 2, 7]")], 2),
    ("subseq($q, 2, 3)", "seq[0..9, 4]", [("q", "seq[0..9, 4]", "[1, 2, 7, 8]")], [2, 7]),
    # sequence comprehensions keep order: a sequence in order, a set of integers ascending
    ("[ x * 2 for x in $q if x != 2 ]", "seq[0..20]", [("q", "seq[0..9, 4]", "[7, 2, 1]")], [14, 2]),
    ("[ $q[k] for k in 1..len($q) if k != 1 ]", "seq[0..9]", [("q", "seq[0..9, 4]", "[7, 2, 1]")], [2, 1]),
    ("[ k for k in $s ]", "seq[0..9]", [("s", "set[0..9]", "{9, 3, 5}")], [3, 5, 9]),
    ("[ a * 10 + b for a in $q, b in 1..2 ]", "seq[0..99]", [("q", "seq[0..9, 4]", "[3, 1]")], [31, 32, 11, 12]),
    ("[ x for x in $q if x > 5 ]", "seq[0..9]", [("q", "seq[0..9, 4]", "[1, 2]")], []),
    # records and tuples
    ("{ ...$r, f: $r.g + 1 }.f", "int", [("r", "{ f: 0..9, g: 0..9 }", "{ f: 0, g: 4 }")], 5),
    ("$t[2]", "bool", [("t", "(0..3, bool)", "(1, true)")], True),
    # bags
    ("count($b.add(3).add(3), 3)", "int", [("b", "bag[0..9]", "bag()")], 2),
    ("size($b.add(1).add(2).remove(1))", "int", [("b", "bag[0..9]", "bag()")], 1),
]


@pytest.mark.parametrize("expr,rtype,inputs,expected", CASES)
def test_expression_on_both_paths(expr, rtype, inputs, expected):
    folded, dynamic = both_paths(expr, rtype, inputs)
    assert folded == expected
    assert dynamic == expected


def test_simultaneous_update_reads_the_old_state():
    text = """module Swap
var x: 0..9
var y: 0..9
var z: 0..9
init { x = 1
  y = 2
  z = 7 }
action Swap {
  require x < y
  x' = y
  y' = x
}
"""
    m = load("swap.mc", text=text).model
    (s0,) = m.initial_states()
    assert [t for _, t in m.successors(s0)] == [(2, 1, 7)]  # z unchanged


def test_pick_and_either_give_one_successor_per_choice():
    text = """module Choice
var x: 0..9
init { x = 0 }
action A {
  require x == 0
  either {
    pick v in 1..3
    x' = v
  } or {
    x' = 9
  }
}
"""
    m = load("choice.mc", text=text).model
    (s0,) = m.initial_states()
    assert sorted(t for _, t in m.successors(s0)) == [(1,), (2,), (3,), (9,)]


# a map comprehension with computed keys: two values for one key are a located runtime
# error (which would win depends on the order the binders run in); one value given twice
# is one entry
DUP_KEYS = """module Dup
models S = {a, b, c}
var m: map[int, S]
var x: 0..2
init {
  m = map()
  x = 0
}
action Build {
  require x < 2
  x' = x + 1
  m' = { (if s == c then x else 1): (if s == a then a else SAME) for s in S }
}
options { deadlock = false }
"""


@pytest.mark.parametrize("backend", ["python", "auto"])
def test_two_values_for_one_key_of_a_map_comprehension_are_an_error(backend):
    from modelcheck import Verdict, check

    r = check(load("t.mc", text=DUP_KEYS.replace("SAME", "b")), backend=backend)
    assert r.verdict is Verdict.ERROR
    # x = 0: s = a gives key 1 the value a, s = b gives it b (C stops, Python reports)
    assert "MC300 runtime error in action Build: the map comprehension gives the key 1 two values: a and b" \
        in r.error
    assert "t.mc:12:8" in r.error and "x = 0" in r.error
    if backend == "auto":       # the C search saw it first
        assert "a map comprehension giving a key two values" in r.backend_note


@pytest.mark.parametrize("backend", ["python", "auto"])
def test_one_value_given_twice_is_one_entry(backend):
    from modelcheck import Verdict, check

    # every s gives the value a: key 1 from a and b, key x from c
    text = DUP_KEYS.replace("(if s == a then a else SAME)", "a")
    r = check(load("t.mc", text=text), backend=backend)
    assert r.verdict is Verdict.HOLDS and r.distinct_states == 3 and r.backend_note == ""
    m = load("t.mc", text=text).model
    (s0,) = m.initial_states()
    ((_, s1),) = m.successors(s0)
    assert m.show_value(0, s1[0]) == "map(0 -> a, 1 -> a)"


@pytest.mark.parametrize("backend", ["python", "auto"])
def test_two_values_for_one_key_of_a_map_over_model_values_are_an_error(backend):
    from modelcheck import Verdict, check

    text = """module Dup2
models S = {a, b, c}
var m: map[S, 0..2]
var n: 0..1
init {
  m = map()
  n = 0
}
action Build {
  require n == 0
  n' = 1
  m' = { (if s == c then a else s): (if s == c then 2 else 0) for s in S }
}
options { deadlock = false }
"""
    r = check(load("t.mc", text=text), backend=backend)
    assert r.verdict is Verdict.ERROR
    assert "the map comprehension gives the key a two values: 0 and 2" in r.error and "t.mc:12:8" in r.error
    if backend == "auto":       # the C search saw it first
        assert "a map comprehension giving a key two values" in r.backend_note
