"""The C backend on the layouts and features beyond one-word scalars, each against the
Python backend on a small spec written for it: negative bounds, sets of more than 64
possible elements (several words), sets inside other values, powerset, actions whose
parameters range over a state-dependent set (labels numbered at run time), records and
tuples of several words, sequences of them, sets of them (kept in the value order), and
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


WIDE_VALUES = """
module WideValues
type Id = (int, int)
type Ev = { c: int, past: set[Id] }
type Note = { who: 1..2, evs: seq[Ev] }
var log: seq[Ev]
var notes: set[Note]
var first: seq[Note]
init { log = []  notes = {}  first = [] }
action Add(p in 1..2) {
  require len(log) < 3
  let past = if len(log) == 0 then {} else last(log).past union {(p, len(log))}
  log' = append(log, { c: 3 - len(log) * p, past: past })
}
action Take(p in 1..2) {
  require len(log) > 0 and size(notes) < 3
  notes' = notes union { { who: p, evs: subseq(log, 1, len(log) - p + 1) ++ [head(log)] } }
}
action Choose {
  require size(notes) > 0 and len(first) < 2
  first' = append(first, choose n in notes: n.who == 2 or len(n.evs) > 1)
}
action Pick {
  require len(first) < 2
  pick n in notes
  first' = append(first, { ...n, evs: tail(n.evs) })
}
action Bump {
  require len(log) > 0 and log[1].c < 4
  log' = log.put(1, { ...log[1], c: log[1].c + 1 })
}
action Drop {
  require len(first) > 0
  first' = tail(first)
  notes' = notes diff { n for n in notes if n in elems(first) }
}
invariant Distinct [validity]: len(first) < 2 or first[1] != first[2] or len(first[1].evs) < 3
invariant Ordered [validity]: forall n, m in notes: n == m or n.evs != m.evs or n.who != m.who
"""


def test_records_of_several_words_sequences_and_sets_of_them(tmp_path):
    # Ev holds a set[(int, int)] (a sparse set of 9 words), Note a sequence of Evs: each
    # a record of several words; notes is a set of them, which `pick` and `choose` walk
    # in the value order
    spec, py, c = both(tmp_path, WIDE_VALUES, check_deadlock=False, stop_at_first=False)
    assert (py.verdict.value, py.distinct_states) == ("violated", 45_616)
    assert any(cov.action == "Pick" and cov.generated for cov in py.coverage)
    assert_same(py, c)
    for v in c.violations:
        replay(spec, v.trace)


MAPS = """
module Maps
models S = {s1, s2, s3}
type Vote = { who: S, round: 0..3 }
var votes: map[S, Vote]
var tally: map[0..3, set[S]]
init { votes = map()  tally = { k: {} for k in 0..3 if k < 2 } }
action Cast(p in S, q in S) {
  require not votes.has(p) or votes[p].round < 2
  let r = if votes.has(p) then votes[p].round + 1 else 0
  votes' = votes.put(p, { who: q, round: r })
}
action Retract(p in S) {
  require votes.has(p)
  votes' = votes.remove(p)
}
action Count {
  // keys computed from the values, a condition, values of several words read back
  tally' = { votes[p].round: { q for q in keys(votes) if votes[q].round == votes[p].round }
             for p in keys(votes) if votes[p].who != p }
}
action Shift {
  require size(votes) > 0
  votes' = { p: { ...votes[p], round: (votes[p].round + 1) % 3 } for p in keys(votes) if p != s3 }
}
invariant Small [validity]: size(tally) < 3 or size(votes) < 3
invariant Rounds [validity]: forall k in keys(tally): tally[k] subseteq keys(votes) or size(tally[k]) > 1
"""


def test_maps_built_by_comprehensions(tmp_path):
    # map[S, Vote] (a mask and three slots of two words) and map[0..3, set[S]], built
    # by comprehensions whose keys are computed, with conditions
    spec, py, c = both(tmp_path, MAPS, check_deadlock=False, stop_at_first=False)
    assert (py.verdict.value, py.distinct_states, py.depth) == ("violated", 65_000, 16)
    assert all(cov.generated for cov in py.coverage), py.coverage
    assert_same(py, c)
    for v in c.violations:
        replay(spec, v.trace)


SORT = """
module Sort
type T = { k: int, s: set[(int, int)], q: seq[0..3], f: 1..2 -> set[1..3], w: set[0..99], b: set[1..3] }
var src: seq[T, 8]
var pool: set[T]
var out: seq[T, 8]
init { src = [SRC]  pool = {}  out = [] }
action Fill {
  require len(src) > 0
  pool' = pool union {head(src)}
  src' = tail(src)
}
action Next {
  require len(src) == 0 and size(pool) > 0
  let m = choose x in pool: true
  out' = append(out, m)
  pool' = pool diff {m}
}
invariant NotAll [validity]: len(out) < 8
"""

#: a record of type T; each pool below lists, in the value order, records that differ
#: from this one (or from their neighbour) in one field, by its elements or its size
BASE = {"k": "-2", "s": "{(1, 1)}", "q": "[0]", "f": "{ i: (if i == 1 then {1} else {}) for i in 1..2 }",
        "w": "{5, 70}", "b": "{1, 3}"}
POOLS = {
    "ints and masks": [{"k": "-3", "s": "{(9, 9)}"}, {}, {"b": "{2, 3}"}, {"b": "{1, 2, 3}"}, {"w": "{6, 64}"},
                       {"w": "{1, 2, 3}"}, {"f": "{ i: (if i == 1 then {2} else {}) for i in 1..2 }"},
                       {"f": "{ i: (if i == 1 then {1, 2} else {}) for i in 1..2 }"}],
    "sequences and sparse sets": [{}, {"f": "{ i: {1} for i in 1..2 }"}, {"q": "[1]"}, {"q": "[0, 0]"},
                                  {"s": "{(1, 2)}"}, {"s": "{(0, 0), (0, 1)}"}, {"k": "-1"}, {"k": "5"}],
}


def record(**fields) -> str:
    return "{ " + ", ".join(f"{k}: {v}" for k, v in {**BASE, **fields}.items()) + " }"


@pytest.mark.parametrize("pool", list(POOLS))
def test_a_set_of_records_is_walked_in_the_value_order(tmp_path, pool):
    # the records are added to pool one by one, in a scrambled order, and `choose x in
    # pool: true` takes the least one: the C comparator of every layout in T (an int, a
    # sparse set, a sequence, a function of masks, a mask of two words, a mask) must
    # order them, and place each one added, as the checker's value order does
    from modelcheck.values import sort_values

    ordered = [record(**f) for f in POOLS[pool]]
    scrambled = [ordered[i] for i in (3, 7, 0, 5, 2, 6, 1, 4)]
    spec, py, c = both(tmp_path, SORT.replace("SRC", ", ".join(scrambled)), check_deadlock=False)
    assert_same(py, c)
    (v,) = c.violations
    src, out = v.trace.states[0][0], v.trace.states[-1][2]
    assert list(out) == sort_values(src) and len(out) == 8
    # and that is the order the pool is written in above
    assert list(out) == load_values(tmp_path, ordered)


def load_values(tmp_path, records: list[str]) -> list:
    """The values of the record literals, as the Python backend builds them."""
    path = tmp_path / "v.mc"
    path.write_text(SORT.replace("SRC", ", ".join(records)))
    spec = load(str(path))
    (s0,) = spec.model.initial_states()
    return list(s0[0])


def test_codecs_of_several_words_round_trip():
    from modelcheck.native.layout import RecordCodec, RecSetCodec, SeqCodec, codec
    from modelcheck.types import FunT, IntT, RecordT, SeqT, SetT, TupleT

    unbounded = IntT()
    ident = TupleT((unbounded, unbounded))
    ev = RecordT((("c", unbounded), ("past", SetT(ident))))
    cases = [
        (ev, (-7, frozenset({(1, 2), (0, 9)}))),
        (SeqT(ev), ((1, frozenset()), (2, frozenset({(1, 1)})))),
        (SetT(ev), frozenset({(1, frozenset()), (-1, frozenset({(2, 2)}))})),
        (RecordT((("f", FunT(IntT(1, 2), unbounded)),)), ((5, -5),)),
    ]
    kinds = []
    for t, v in cases:
        c = codec(t)
        kinds.append(type(c))
        w = c.encode(v)
        assert (len(w) if c.words > 1 else 1) == c.words
        assert c.decode(tuple(w) if c.words > 1 else w) == v
    assert kinds == [RecordCodec, SeqCodec, RecSetCodec, RecordCodec]
    assert codec(SeqT(ev)).ew == codec(ev).words == 10


SYM_WIDE = """
module SymWide
models S = {a, b, c}
symmetry S
type Msg = { from: S, to: S, hist: seq[S] }
var inbox: S -> seq[Msg]
var seen: map[S, set[S]]
var log: set[Msg]
init { inbox = { s: [] for s in S }  seen = map()  log = {} }
action Send(x in S, y in S) {
  require x != y and len(inbox[y]) < 2 and size(log) < 4
  let m = { from: x, to: y, hist: (if seen.has(x) then [x, y] else [y]) }
  inbox' = inbox.put(y, append(inbox[y], m))
  log' = log union {m}
}
action Recv(y in S) {
  require len(inbox[y]) > 0
  let m = head(inbox[y])
  inbox' = inbox.put(y, tail(inbox[y]))
  seen' = seen.put(y, (if seen.has(y) then seen[y] else {}) union {m.from})
}
invariant Few [validity]: size(log) < 4 or not (exists y in S: seen.has(y) and size(seen[y]) == 2)
"""


def test_symmetry_over_values_of_several_words(tmp_path):
    # a function over S of sequences of records naming two values of S, a map keyed by
    # S, a set of records: every permutation is applied, sets re-sorted, map keys and
    # function slots moved, and the least image kept; the orbits are Python's. A run
    # that stops at its first violation may meet it after another number of states
    # (the representatives differ), so the whole space is compared
    spec, py, c = both(tmp_path, SYM_WIDE, check_deadlock=False, stop_at_first=False)
    assert py.symmetry and c.symmetry
    assert (py.distinct_states, py.generated_states) == (5_348, 15_800)
    assert_same(py, c, exact_traces=False)
    for v in c.violations:
        replay(spec, v.trace)
    unreduced = explore(spec.model, Options(backend="c", symmetry=False, check_deadlock=False,
                                            stop_at_first=False))
    assert unreduced.distinct_states > py.distinct_states


GROWING = """
module Growing
var q: seq[1..3]
var s: set[int]
init { q = []  s = {} }
action Push(v in 1..3) { require len(q) < 11  q' = append(q, v)  s' = s union {len(q) * 10 + v} }
action Pop { require len(q) > 0  q' = tail(q) }
invariant Short [validity]: len(q) < 11 or size(s) < 5
"""


def test_a_search_that_outgrows_its_capacities_starts_again_in_c(tmp_path):
    # seq[1..3] holds 4 elements and set[int] 8 in the first layout: the search stops,
    # starts again with room for 8 and 16, again with 16 and 32, and ends in C with
    # Python's results
    spec, py, c = both(tmp_path, GROWING, check_deadlock=False)
    assert py.verdict.value == "violated" and max(len(s[0]) for s in py.violations[0].trace.states) == 11
    assert c.backend_note.startswith("the C search was started again with 2 times the capacities")
    assert ", and again with 4 times the capacities" in c.backend_note
    assert_same(py, c)


# maps over int keys (kept as sorted (key, value) pairs), keyed by zxid-like numbers
# past 2^32: a function of ints packs them in 32-bit fields at first, so the search
# starts again with a word per key (a spec that writes such a number, 4294967296, has
# a word per key from the start); a set of such maps is kept in the value order
INT_KEYS = """
module IntKeys
models S = {a, b}
def Big = 65536 * 65536
var acks: map[int, set[S]]
var last: S -> int
var seen: set[int]
var shapes: set[map[int, int]]
init { acks = map()  last = { s: 0 for s in S }  seen = {}  shapes = {} }
action Propose(s in S, k in 1..2) {
  let z = k * Big + (if s == a then 1 else 2)
  require not acks.has(z) and size(acks) < 2
  acks' = acks.put(z, {s})
  last' = last.put(s, z)
  seen' = seen union {z}
}
action Ack(s in S, z in keys(acks)) { require not (s in acks[z])  acks' = acks.put(z, acks[z] union {s}) }
action Commit(top in keys(acks)) {
  require size(acks[top]) == 2
  acks' = { z: acks[z] for z in keys(acks) if z > top }
  shapes' = if size(shapes) < 3 then shapes union { { z: size(acks[z]) for z in keys(acks) } } else shapes
}
action Drop(z in keys(acks)) { require acks[z] == {a}  acks' = acks.remove(z) }
action Look(m in shapes) { require size(m) > 0 and not (last[a] in keys(m))  seen' = seen diff keys(m) }
invariant Acked [validity]: forall z in keys(acks): z in seen
invariant FewShapes [validity]: size(shapes) < 2
constraint Bounded: size(seen) <= 2 and size(shapes) <= 2
"""


def test_maps_over_int_keys_are_sorted_pairs(tmp_path):
    # put, has, remove, indexing, keys, values, size, a comprehension over the keys, a
    # set of maps (its order: size, then the pairs) picked by an action's parameter
    spec, py, c = both(tmp_path, INT_KEYS, check_deadlock=False, stop_at_first=False)
    assert (py.verdict.value, py.distinct_states, py.generated_states, py.depth) == ("violated", 13_737, 64_235, 27)
    assert c.backend_note == ("the C search was started again with a word for each integer a function holds (an "
                              f"integer wider than the field a function packs it in at {tmp_path / 's.mc'}:14:11)")
    assert_same(py, c)
    for v in c.violations:
        replay(spec, v.trace)
    # the count is the reachable states' (tests/helpers.py enumerates them apart from
    # the explorer); the keys are zxid-like, past 2^32
    states = reachable(spec.model)
    assert len(states) == 13_737
    keys = {z for st in states for z in st[0].keys()}
    assert keys == {(1 << 32) + 1, (1 << 32) + 2, (2 << 32) + 1, (2 << 32) + 2}


def test_a_spec_that_writes_a_wide_integer_has_a_word_per_key_from_the_start(tmp_path):
    _, py, c = both(tmp_path, INT_KEYS.replace("65536 * 65536", "4294967296"), check_deadlock=False,
                    stop_at_first=False)
    assert (c.backend, c.backend_note) == ("c", "")
    assert_same(py, c)


def test_a_map_over_int_keys_that_outgrows_its_room_starts_again(tmp_path):
    # a map[int, ...] holds 8 pairs in the first layout: 11 keys start the search again
    text = """
module ManyKeys
var m: map[int, 0..1]
init { m = map() }
action Put(k in 1..11) { require not m.has(k * 1000) and size(m) == k - 1  m' = m.put(k * 1000, k % 2) }
invariant Few [validity]: size(m) < 11
"""
    spec, py, c = both(tmp_path, text, check_deadlock=False)
    assert py.verdict.value == "violated" and py.distinct_states == 12
    assert c.backend_note.startswith("the C search was started again with 2 times the capacities")
    assert_same(py, c)


def test_a_missing_int_key_is_reported_by_python(tmp_path):
    path = tmp_path / "s.mc"
    path.write_text("""
module Missing
var m: map[int, int]
var x: int
init { m = map().put(5, 1)  x = 0 }
action Read { x' = m[x + 6] }
invariant T [typing]: true
""")
    c = explore(load(str(path)).model, Options(backend="auto"))
    assert c.backend == "python" and c.verdict.value == "error"
    assert "MC300" in c.error and "the C search stopped (an index outside its range" in c.backend_note


def test_symmetry_over_the_values_of_a_map_over_int_keys(tmp_path):
    # map[int, set[S]] with S symmetric: every permutation maps the values in place (the
    # int keys keep their order); the orbits are Python's
    text = INT_KEYS.replace("models S = {a, b}", "models S = {a, b}\nsymmetry S").replace(
        "require acks[z] == {a}", "require size(acks[z]) == 1").replace(
        "not (last[a] in keys(m))", "true").replace("(if s == a then 1 else 2)", "1")
    spec, py, c = both(tmp_path, text, check_deadlock=False, stop_at_first=False)
    assert py.symmetry and c.symmetry
    assert (py.distinct_states, py.generated_states) == (2_662, 13_499)
    assert_same(py, c, exact_traces=False)
    for v in c.violations:
        replay(spec, v.trace)


# maps kept as pairs whose keys are tuples, sets of ints and sequences, whose values are
# sequences and maps (a map of maps, rebuilt by nested comprehensions), and a parameter
# over the values of a map of maps (a label of several words)
PAIR_KEYS = """
module Edge
models S = {a, b}
var byPair: map[(int, S), int]
var bySet: map[set[int], S]
var bySeq: map[seq[S], 0..3]
var nested: map[int, map[int, S]]
var hist: map[int, seq[S]]
var n: 0..3
init { byPair = map()  bySet = map()  bySeq = map()  nested = map()  hist = map()  n = 0 }
action Step(s in S) {
  require n < 3
  n' = n + 1
  byPair' = byPair.put((n * 700, s), n)
  bySet' = bySet.put({n, n * 100000}, s)
  bySeq' = (if bySeq.has([s]) then bySeq.put([s, s], n) else bySeq.put([s], n))
  nested' = nested.put(n % 2, (if nested.has(n % 2) then nested[n % 2] else map()).put(n, s))
  hist' = hist.put(n % 2, append(if hist.has(n % 2) then hist[n % 2] else [], s))
}
action Drop(k in keys(byPair)) {
  byPair' = byPair.remove(k)
  nested' = { z: { y: nested[z][y] for y in keys(nested[z]) if y != k[1] / 700 } for z in keys(nested) }
}
action Look(m in values(nested)) {
  require size(m) > 1 and n < 3
  n' = n + 1
}
invariant Sane [validity]: forall k in keys(byPair): byPair[k] * 700 == k[1]
invariant Small [validity]: size(bySeq) < 4
"""


def test_maps_kept_as_pairs_with_keys_and_values_of_several_kinds(tmp_path):
    spec, py, c = both(tmp_path, PAIR_KEYS, check_deadlock=False, stop_at_first=False)
    assert (py.verdict.value, py.distinct_states, py.generated_states) == ("holds", 85, 157)
    assert c.backend_note == ""
    assert_same(py, c)
    assert len(reachable(spec.model)) == 85
