"""Tests of modelcheck.symmetry: exactness against brute-force orbits, determinism, speed.

Each hand-written transition system below is explored without reduction; its orbits are
computed by applying every permutation with an independent, type-walking reference
permuter (``ref_permute``), and the canonicaliser must agree: one canon value per orbit,
canon(s) in the orbit of s, canon constant on each orbit. Orbit counts are pinned.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.symmetry import _General, _SmallGroup, make_canonicalizer, make_permuter
from modelcheck.types import (
    BOOL,
    BagT,
    BoolT,
    Constructor,
    EnumT,
    FunT,
    IntT,
    MapT,
    ModelT,
    RecordT,
    SeqT,
    SetT,
    TupleT,
    Type,
    domain_values,
)
from modelcheck.values import FMap, vkey
from tests.helpers import ROOT


# -- reference permutation and brute-force orbits ---------------------------------------


def ref_permute(t: Type, x, pm: dict):
    """Apply ``pm`` (ModelT -> perm tuple) to a value of type ``t``, the slow obvious way."""
    if isinstance(t, ModelT):
        return pm[t][x] if t in pm else x
    if isinstance(t, (BoolT, IntT)):
        return x
    if isinstance(t, EnumT):
        if isinstance(x, str):
            return x
        c = t.constructor(x[0])
        return (x[0],) + tuple(ref_permute(a, v, pm) for a, v in zip(c.args, x[1:]))
    if isinstance(t, TupleT):
        return tuple(ref_permute(e, v, pm) for e, v in zip(t.elems, x))
    if isinstance(t, RecordT):
        return tuple(ref_permute(f, v, pm) for (_, f), v in zip(t.fields, x))
    if isinstance(t, SetT):
        return frozenset(ref_permute(t.elem, v, pm) for v in x)
    if isinstance(t, SeqT):
        return tuple(ref_permute(t.elem, v, pm) for v in x)
    if isinstance(t, FunT):
        keys = domain_values(t.dom)
        moved = {ref_permute(t.dom, k, pm): ref_permute(t.cod, v, pm) for k, v in zip(keys, x)}
        return tuple(moved[k] for k in keys)
    if isinstance(t, MapT):
        return FMap({ref_permute(t.key, k, pm): ref_permute(t.val, v, pm) for k, v in x.items()})
    if isinstance(t, BagT):
        return FMap({ref_permute(t.elem, k, pm): c for k, c in x.items()})
    raise TypeError(t)


def all_perms(sets):
    """Every ``{set: perm}`` of the product group."""
    for combo in itertools.product(*(itertools.permutations(range(len(m.names))) for m in sets)):
        yield dict(zip(sets, combo))


def ref_state(variables, s, pm):
    return tuple(ref_permute(t, v, pm) for (_, t), v in zip(variables, s))


def orbit(variables, sets, s) -> set:
    return {ref_state(variables, s, pm) for pm in all_perms(sets)}


def bfs(init, nxt, canon=None) -> list:
    """All reachable states (of representatives, when ``canon`` is given)."""
    f = canon or (lambda s: s)
    start = [f(s) for s in init]
    seen = dict.fromkeys(start)
    queue = deque(start)
    while queue:
        s = queue.popleft()
        for t in nxt(s):
            t = f(t)
            if t not in seen:
                seen[t] = None
                queue.append(t)
    return list(seen)


def check_system(variables, sets, init, nxt) -> tuple[int, int]:
    """Brute-force exactness of canon on a system; returns (reachable, orbits).

    Orbits are computed by applying every permutation; canon is then evaluated on every
    member of every reachable orbit, so invariance is checked for all permutations."""
    counts = {check_method(variables, sets, init, nxt, method) for method in ("auto", "small", "general")}
    assert len(counts) == 1
    return counts.pop()


def check_method(variables, sets, init, nxt, method) -> tuple[int, int]:
    canon = make_canonicalizer(variables, sets, method=method)
    states = bfs(init, nxt)
    perms = list(all_perms(sets))
    orbit_of: dict = {}
    orbits: list[set] = []
    for s in states:
        if s not in orbit_of:
            orb = {ref_state(variables, s, pm) for pm in perms}
            for x in orb:
                orbit_of[x] = len(orbits)
            orbits.append(orb)
    reached = {orbit_of[s] for s in states}
    for i in reached:
        reps = {canon(x) for x in orbits[i]}
        assert len(reps) == 1, orbits[i]  # canon is constant on the orbit
        assert orbit_of.get(reps.pop()) == i  # and picks a member of it
    assert len({canon(s) for s in states}) == len(reached)
    # a reduced search visits one representative per reachable orbit
    assert len(bfs(init, nxt, canon)) == len(reached)
    return len(states), len(reached)


def model(name: str, n: int) -> ModelT:
    return ModelT(name, tuple(f"{name.lower()}{i}" for i in range(n)))


# -- TwoPhase ---------------------------------------------------------------------------

RMSTATE = EnumT("RMState", tuple(Constructor(c) for c in ("working", "prepared", "committed", "aborted")))
TMSTATE = EnumT("TMState", tuple(Constructor(c) for c in ("init", "tmCommitted", "tmAborted")))


def twophase(n: int):
    rm = model("RM", n)
    msg = EnumT("Message", (Constructor("Prepared", (rm,)), Constructor("Commit"), Constructor("Abort")))
    variables = (("rmState", FunT(rm, RMSTATE)), ("tmState", TMSTATE), ("tmPrepared", SetT(rm)), ("msgs", SetT(msg)))
    init = [(("working",) * n, "init", frozenset(), frozenset())]

    def nxt(s):
        rms, tms, tmp, msgs = s
        out = []

        def put(r, v):
            return rms[:r] + (v,) + rms[r + 1 :]

        if tms == "init" and len(tmp) == n:
            out.append((rms, "tmCommitted", tmp, msgs | {"Commit"}))
        if tms == "init":
            out.append((rms, "tmAborted", tmp, msgs | {"Abort"}))
        for r in range(n):
            if tms == "init" and ("Prepared", r) in msgs:
                out.append((rms, tms, tmp | {r}, msgs))
            if rms[r] == "working":
                out.append((put(r, "prepared"), tms, tmp, msgs | {("Prepared", r)}))
                out.append((put(r, "aborted"), tms, tmp, msgs))
            if "Commit" in msgs:
                out.append((put(r, "committed"), tms, tmp, msgs))
            if "Abort" in msgs:
                out.append((put(r, "aborted"), tms, tmp, msgs))
        return out

    return variables, (rm,), init, nxt


@pytest.mark.parametrize("n, reachable, orbits", [(2, 56, 34), (3, 288, 80), (4, 1568, 166)])
def test_twophase_exact(n, reachable, orbits):
    variables, sets, init, nxt = twophase(n)
    assert not isinstance(make_canonicalizer(variables, sets), _General)  # the fast path
    got = check_system(variables, sets, init, nxt)
    assert got == (reachable, orbits)


# -- pointers between model values: RM -> RM ---------------------------------------------


def pointers(n: int):
    rm = model("RM", n)
    variables = (("next", FunT(rm, rm)), ("marked", SetT(rm)))
    init = [(tuple(range(n)), frozenset())]

    def nxt(s):
        f, marked = s
        out = []
        for i in range(n):
            for j in range(n):
                if f[i] != j and i not in marked:
                    out.append((f[:i] + (j,) + f[i + 1 :], marked))
            if f[f[i]] == i and f[i] != i:  # i is on a 2-cycle
                out.append((f, marked | {i}))
        return out

    return variables, (rm,), init, nxt


@pytest.mark.parametrize("n, reachable, orbits", [(2, 9, 6), (3, 123, 24), (4, 2339, 122)])
def test_pointers_exact(n, reachable, orbits):
    variables, sets, init, nxt = pointers(n)
    assert isinstance(make_canonicalizer(variables, sets, method="general"), _General)
    assert isinstance(make_canonicalizer(variables, sets), _SmallGroup if n <= 5 else _General)
    assert check_system(variables, sets, init, nxt) == (reachable, orbits)


def test_functional_graphs_up_to_isomorphism():
    """Every f: RM -> RM, 4 and 5 values: 19 and 47 classes (OEIS A001372). A 4-cycle and
    two 2-cycles tie under every signature, yet are not interchangeable."""
    for n, classes in ((4, 19), (5, 47)):
        rm = model("RM", n)
        variables = (("f", FunT(rm, rm)),)
        funs = list(itertools.product(range(n), repeat=n))
        for method in ("small", "general"):
            canon = make_canonicalizer(variables, (rm,), method=method)
            assert len({canon((f,)) for f in funs}) == classes
    rm = model("RM", 4)
    canon = make_canonicalizer((("f", FunT(rm, rm)),), (rm,))
    assert canon(((1, 2, 3, 0),)) != canon(((1, 0, 3, 2),))
    assert canon(((1, 2, 3, 0),)) == canon(((2, 3, 1, 0),))


# -- two independent symmetric sets -------------------------------------------------------


def clients_servers(nc: int, ns: int):
    c, s = model("C", nc), model("S", ns)
    opt = EnumT("OptS", (Constructor("none"), Constructor("some", (s,))))
    variables = (
        ("assign", FunT(c, opt)),
        ("reqs", SetT(TupleT((c, s)))),
        ("load", FunT(s, IntT(0, 2))),
    )
    init = [(("none",) * nc, frozenset(), (0,) * ns)]

    def nxt(st_):
        assign, reqs, load = st_
        out = []
        for i in range(nc):
            if assign[i] == "none":
                for j in range(ns):
                    if (i, j) not in reqs:
                        out.append((assign, reqs | {(i, j)}, load))
                    elif load[j] < 2:
                        a = assign[:i] + (("some", j),) + assign[i + 1 :]
                        l2 = load[:j] + (load[j] + 1,) + load[j + 1 :]
                        out.append((a, frozenset(r for r in reqs if r[0] != i), l2))
            else:
                j = assign[i][1]
                a = assign[:i] + ("none",) + assign[i + 1 :]
                out.append((a, reqs, load[:j] + (load[j] - 1,) + load[j + 1 :]))
        return out

    return variables, (c, s), init, nxt


@pytest.mark.parametrize("nc, ns, reachable, orbits", [(2, 2, 36, 13), (3, 2, 214, 31), (3, 3, 1328, 74)])
def test_two_symmetric_sets_exact(nc, ns, reachable, orbits):
    variables, sets, init, nxt = clients_servers(nc, ns)
    assert check_system(variables, sets, init, nxt) == (reachable, orbits)


def test_only_declared_sets_are_permuted():
    variables, (c, s), init, nxt = clients_servers(2, 2)
    states = bfs(init, nxt)
    canon = make_canonicalizer(variables, (c,))
    perms = list(all_perms((c,)))
    reps = {min(orbit(variables, (c,), x), key=vkey) for x in states}
    assert len({canon(x) for x in states}) == len(reps) == 21
    for x in states:
        assert canon(x) in {ref_state(variables, x, pm) for pm in perms}


# -- maps, bags and sequences -------------------------------------------------------------


def votes_system(n: int):
    """Map RM -> RM, a bag of Ping(from, to) | Tick, a log sequence: the general path."""
    rm = model("RM", n)
    msg = EnumT("Msg", (Constructor("Ping", (rm, rm)), Constructor("Tick")))
    variables = (("votes", MapT(rm, rm)), ("inbox", BagT(msg)), ("log", SeqT(rm, 2)), ("steps", IntT(0, 4)))
    init = [(FMap(), FMap(), (), 0)]

    def nxt(s):
        votes, inbox, log, steps = s
        if steps == 4:
            return []
        out = []
        total = sum(inbox.values())
        for i in range(n):
            for j in range(n):
                if i not in votes:
                    out.append((votes.put(i, j), inbox, log))
            if i in votes and total < 2:
                m = ("Ping", i, votes[i])
                out.append((votes, inbox.put(m, inbox.get(m, 0) + 1), log))
            if i in votes and len(log) < 2:
                out.append((votes, inbox, log + (i,)))
        if total < 2:
            out.append((votes, inbox.put("Tick", inbox.get("Tick", 0) + 1), log))
        for m, k in inbox.items():
            out.append((votes, inbox.without(m) if k == 1 else inbox.put(m, k - 1), log))
        return [t + (steps + 1,) for t in out]

    return variables, (rm,), init, nxt


def test_map_bag_seq_exact():
    variables, sets, init, nxt = votes_system(3)
    assert isinstance(make_canonicalizer(variables, sets), _SmallGroup)
    assert check_system(variables, sets, init, nxt) == (1015, 200)


def unary_collections(n: int):
    """Collections whose atoms each hold one RM (the fast path): a map RM -> int, a bag of
    RM, a sequence of RM, a set of records, a leader and an optional RM."""
    rm = model("RM", n)
    opt = EnumT("OptRM", (Constructor("nobody"), Constructor("just", (rm,))))
    rec = RecordT((("who", rm), ("tag", BOOL)))
    variables = (
        ("credit", MapT(rm, IntT(0, 1))),
        ("tokens", BagT(rm)),
        ("queue", SeqT(rm, 2)),
        ("seen", SetT(rec)),
        ("pair", TupleT((rm, opt))),
        ("steps", IntT(0, 4)),
    )
    init = [(FMap(), FMap(), (), frozenset(), (0, "nobody"), 0)]

    def nxt(s):
        credit, tokens, queue, seen, (leader, second), steps = s
        if steps == 4:
            return []
        out = []
        for i in range(n):
            if i not in credit:
                out.append((credit.put(i, 0), tokens, queue, seen, (leader, second)))
            elif credit[i] == 0:
                out.append((credit.put(i, 1), tokens, queue, seen, (leader, second)))
            if sum(tokens.values()) < 2:
                out.append((credit, tokens.put(i, tokens.get(i, 0) + 1), queue, seen, (leader, second)))
            if len(queue) < 2 and i in credit:
                out.append((credit, tokens, queue + (i,), seen, (leader, second)))
            for tag in (False, True):
                if (i, tag) not in seen and len(seen) < 2:
                    out.append((credit, tokens, queue, seen | {(i, tag)}, (leader, second)))
            if i != leader:
                out.append((credit, tokens, queue, seen, (i, ("just", leader))))
        if queue:
            out.append((credit, tokens, queue[1:], seen, (leader, second)))
        return [t + (steps + 1,) for t in out]

    return variables, (rm,), init, nxt


def test_unary_collections_exact():
    variables, sets, init, nxt = unary_collections(3)
    assert not isinstance(make_canonicalizer(variables, sets), _General)
    assert check_system(variables, sets, init, nxt) == (2524, 1195)


# -- random types and states (hypothesis) ---------------------------------------------------

A, B, N = model("A", 3), model("B", 2), model("N", 2)
COLOR = EnumT("Color", (Constructor("red"), Constructor("green")))
OPT = EnumT(
    "Opt",
    (
        Constructor("none"),
        Constructor("some", (A,)),
        Constructor("pair", (A, B)),
        Constructor("tag", (IntT(0, 1), COLOR)),
    ),
)

leaf_types = st.sampled_from([BOOL, IntT(0, 2), A, B, N, COLOR, OPT])


def _compound(ch):
    return st.one_of(
        st.lists(ch, min_size=1, max_size=3).map(lambda ts: TupleT(tuple(ts))),
        st.tuples(ch, ch).map(lambda p: RecordT((("x", p[0]), ("y", p[1])))),
        ch.map(SetT),
        ch.map(lambda t: SeqT(t, 3)),
        st.tuples(st.sampled_from([A, B, N, BOOL]), ch).map(lambda p: FunT(*p)),
        st.tuples(ch, ch).map(lambda p: MapT(*p)),
        ch.map(BagT),
        ch.map(lambda t: EnumT("Box", (Constructor("empty"), Constructor("box", (t,))))),
    )


types = st.recursive(leaf_types, _compound, max_leaves=4)


def values(t: Type):
    if isinstance(t, BoolT):
        return st.booleans()
    if isinstance(t, IntT):
        return st.integers(t.lo, t.hi)
    if isinstance(t, ModelT):
        return st.integers(0, len(t.names) - 1)
    if isinstance(t, EnumT):
        return st.one_of(
            *(
                st.tuples(st.just(c.name), *(values(a) for a in c.args)) if c.args else st.just(c.name)
                for c in t.constructors
            )
        )
    if isinstance(t, TupleT):
        return st.tuples(*(values(e) for e in t.elems))
    if isinstance(t, RecordT):
        return st.tuples(*(values(f) for _, f in t.fields))
    if isinstance(t, SetT):
        return st.frozensets(values(t.elem), max_size=4)
    if isinstance(t, SeqT):
        return st.lists(values(t.elem), max_size=3).map(tuple)
    if isinstance(t, FunT):
        return st.tuples(*(values(t.cod) for _ in domain_values(t.dom)))
    if isinstance(t, MapT):
        return st.dictionaries(values(t.key), values(t.val), max_size=3).map(FMap)
    if isinstance(t, BagT):
        return st.dictionaries(values(t.elem), st.integers(1, 2), max_size=3).map(FMap)
    raise TypeError(t)


@st.composite
def systems(draw):
    ts = draw(st.lists(types, min_size=1, max_size=3))
    variables = tuple((f"x{i}", t) for i, t in enumerate(ts))
    states = draw(st.lists(st.tuples(*(values(t) for t in ts)), min_size=1, max_size=3))
    sets = draw(st.sampled_from([(A, B), (A,), (B,), (B, A)]))
    return variables, sets, states


@pytest.mark.parametrize("method", ["auto", "small", "general"])
@settings(max_examples=100, deadline=None)
@given(system=systems())
def test_random_states_canon_is_invariant_and_in_orbit(system, method):
    variables, sets, states = system
    canon = make_canonicalizer(variables, sets, method=method)
    for s in states:
        c = canon(s)
        orb = orbit(variables, sets, s)
        assert c in orb
        for s2 in orb:
            assert canon(s2) == c


@settings(max_examples=80, deadline=None)
@given(systems(), st.permutations(range(3)), st.permutations(range(2)))
def test_random_states_permuter_matches_reference(system, pa, pb):
    variables, _, states = system
    pa, pb = tuple(pa), tuple(pb)
    perm_a, perm_b = make_permuter(variables, A), make_permuter(variables, B)
    for s in states:
        assert perm_a(s, pa) == ref_state(variables, s, {A: pa})
        assert perm_b(perm_a(s, pa), pb) == ref_state(variables, s, {A: pa, B: pb})


def test_permuter_rejects_non_permutations():
    permute = make_permuter((("x", SetT(A)),), A)
    assert permute((frozenset({0, 1}),), (2, 0, 1)) == (frozenset({2, 0}),)
    with pytest.raises(ValueError):
        permute((frozenset(),), (0, 0, 1))


def test_nothing_symmetric_is_identity():
    variables = (("x", SetT(N)), ("y", IntT(0, 3)))
    canon = make_canonicalizer(variables, (A,))  # A is not mentioned by any variable
    s = (frozenset({1}), 2)
    assert canon(s) is s
    assert make_canonicalizer(variables, ())(s) is s


# -- determinism across hash seeds -----------------------------------------------------------

DETERMINISM_SCRIPT = textwrap.dedent(
    """
    import random
    from modelcheck.symmetry import make_canonicalizer
    from modelcheck.types import ModelT, EnumT, Constructor, FunT, SetT, TupleT, MapT
    from modelcheck.values import FMap, vkey

    a = ModelT("A", ("a0", "a1", "a2", "a3"))
    words = ["alpha", "beta", "gamma", "delta", "eps"]
    w = EnumT("W", tuple(Constructor(x) for x in words))
    unary = (("f", FunT(a, SetT(w))), ("g", SetT(TupleT((a, w)))), ("h", MapT(w, a)))
    general = unary + (("e", SetT(TupleT((a, a, SetT(w))))),)
    rng = random.Random(2024)
    def sub(k):
        return frozenset(rng.sample(words, k))
    out = []
    for variables in (unary, general):
        canon = make_canonicalizer(variables, (a,))
        for _ in range(300):
            s = (
                tuple(sub(rng.randint(0, 2)) for _ in range(4)),
                frozenset((rng.randrange(4), rng.choice(words)) for _ in range(rng.randint(0, 4))),
                FMap({rng.choice(words): rng.randrange(4) for _ in range(rng.randint(0, 2))}),
                frozenset((rng.randrange(4), rng.randrange(4), sub(1)) for _ in range(rng.randint(0, 3))),
            )[: len(variables)]
            out.append(repr(vkey(canon(s))))
    print("\\n".join(out))
    """
)


def test_deterministic_across_hash_seeds():
    outs = []
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
        r = subprocess.run([sys.executable, "-c", DETERMINISM_SCRIPT], env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout)
    assert outs[0] == outs[1]
    assert len(outs[0].splitlines()) == 600
