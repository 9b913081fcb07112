"""Random small specs, checked on both backends: the C backend must give exactly the
Python backend's result (tests/native/compare.py) on every spec Hypothesis draws.

The specs stay inside what the C backend compiles: two or three variables among a
bounded integer ``0..K``, a bool, an enum, a ``set[M]`` over a model set of three
values (not symmetric), a function ``M -> 0..K``, and the layouts of several words: a
sequence of records ``seq[R, 2]`` (appended, cut, updated in place with ``{...r, k: }``),
a set of tuples with an unbounded int ``set[(int, M)]`` (kept in value order, mapped by
a comprehension), a map ``map[M, int]`` (``put``, ``remove``, a comprehension over
its keys) and a map over ints ``map[int, M]`` (kept as sorted pairs; keys from 0 to past
2^32, ``put``, ``remove``, ``has``, ``keys``, ``values``, comprehensions with computed
keys); picks over these bind records and tuples whose fields the expressions read; one to four actions with an
optional parameter ``(p in M)``, ``require``s, ``pick``s (over ``0..K``, ``M`` or the
set variable), ``either`` and ``if`` statements and assignments; expressions built from
``+ - %``, comparisons, ``and or not``, ``if then else``, ``union``/``diff``/``intersect``
with singletons, ``in``/``notin``, ``size``, ``isEmpty``, ``subseteq``, ``forall``/
``exists`` over ``M``; an invariant and sometimes a step property, which may or may not
hold. So a spec the C backend refuses is a failure too (of the generator or of the
backend).

Assignments to a bounded integer are mostly guarded by a ``require`` keeping the value
in range; an unguarded one may leave it, and then both backends must report the same
runtime error (the C search stops and the run is repeated on Python). At most
4 * 4^3 * 8 states among (n, f, s); the integers inside records, tuples and maps stay
in 0..1, and both searches stop at the same state past ``MAX_STATES`` (600 specs drawn
outside Hypothesis on 2026-12-05 reached at most 493 states). Most
runs go on past violations (``stop_at_first=False``), so the whole state space is
compared; the generator's weights (a step up or down, assignments that cycle through a
variable's values, one variable per action more often than all) are there so that the
state spaces are not mostly of one or two states: over the 40 examples, from 1 to a few
hundred states.

Hypothesis runs derandomized (the same examples on every run and machine). The specs
are built in a temporary cache directory, not the user's.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from modelcheck import load
from modelcheck.native import engine_or_reason, explore
from modelcheck.result import Verdict
from modelcheck.search import Options
from tests.native.compare import assert_same

MODELS = ("m1", "m2", "m3")
ENUM = ("ea", "eb", "ec")
VARS = ("n", "b", "e", "s", "f", "q", "t", "g", "h")


class Gen:
    """Draws one spec's text. ``rng`` is the :class:`random.Random` of
    ``st.randoms()``: its draws are Hypothesis's, so a failing spec shrinks."""

    def __init__(self, rng):
        self.rng = rng
        self.fresh = 0

    def pick(self, options):
        return self.rng.choice(list(options))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def name(self, base: str) -> str:
        self.fresh += 1
        return f"{base}{self.fresh}"

    # ---------------------------------------------------------------- expressions
    # env: the locals in scope, name -> "int" or "M"

    def int_(self, d: int, env: dict) -> str:
        leaves = [str(self.integer(0, self.K))]
        if "n" in self.vars:
            leaves.append("n")
        if "f" in self.vars:
            leaves.append(f"f[{self.m(env)}]")
        if "s" in self.vars:
            leaves.append(f"size({self.set_(0, env)})")
        if "q" in self.vars:
            leaves += ["len(q)", "(if len(q) > 0 then q[1].k else 0)"]
        if "t" in self.vars:
            leaves.append("size(t)")
        if "g" in self.vars:
            m = self.m(env)
            leaves += ["size(g)", f"(if g.has({m}) then g[{m}] else 0)"]
        if "h" in self.vars:
            leaves += ["size(h)", "(if isEmpty(h) then 0 else min(keys(h)) % 5)"]
        leaves += [x for x, t in env.items() if t == "int"]
        leaves += [f"{x}[1]" for x, t in env.items() if t == "T"]
        leaves += [f"{x}.k" for x, t in env.items() if t == "R"]
        if d <= 0 or self.chance(0.4):
            return self.pick(leaves)
        k = self.pick(["+", "-", "if"])
        if k == "if":
            return f"(if {self.bool_(d - 1, env)} then {self.int_(d - 1, env)} else {self.int_(d - 1, env)})"
        return f"({self.int_(d - 1, env)} {k} {self.int_(d - 1, env)})"

    def m(self, env: dict) -> str:
        """A model value: a local one (a parameter, a pick, a bound name) more often
        than a constant, so that actions differ by their parameters."""
        local = [x for x, t in env.items() if t == "M"]
        local += [f"{x}[2]" for x, t in env.items() if t == "T"]
        local += [f"{x}.who" for x, t in env.items() if t == "R"]
        return self.pick(local if local and self.chance(0.6) else MODELS)

    def enum(self, d: int, env: dict) -> str:
        leaves = list(ENUM) + (["e"] if "e" in self.vars else [])
        if d <= 0 or self.chance(0.7):
            return self.pick(leaves)
        return f"(if {self.bool_(d - 1, env)} then {self.enum(d - 1, env)} else {self.enum(d - 1, env)})"

    def set_(self, d: int, env: dict) -> str:
        leaves = [f"{{{self.m(env)}}}"] + (["s"] * 2 if "s" in self.vars else [])
        if d <= 0 or self.chance(0.4):
            return self.pick(leaves)
        op = self.pick(["union", "diff", "intersect", "if"])
        if op == "if":
            return f"(if {self.bool_(d - 1, env)} then {self.set_(d - 1, env)} else {self.set_(d - 1, env)})"
        return f"({self.set_(d - 1, env)} {op} {{{self.m(env)}}})"

    def small(self, env: dict) -> str:
        """An integer in 0..1 (a record's or a tuple's int, kept small so that the
        sequences, sets of tuples and maps stay few)."""
        return self.pick(["0", "1", f"({self.int_(1, env)} % 2)"])

    def rec(self, env: dict) -> str:
        return f"{{ who: {self.m(env)}, k: {self.small(env)} }}"

    def tup(self, env: dict) -> str:
        return f"({self.small(env)}, {self.m(env)})"

    def key(self, env: dict) -> str:
        """A key of the map over ints: small, or past 2^32 (a zxid's size)."""
        return self.pick(["0", "7", "4294967297", f"({self.small(env)} * 3)"])

    def atom(self, env: dict) -> str:
        kinds = ["cmp", "const", "meq"]
        kinds += ["b"] * 2 if "b" in self.vars else []
        kinds += ["in", "empty", "subset"] if "s" in self.vars else []
        kinds += ["eeq"] if "e" in self.vars else []
        kinds += ["q"] if "q" in self.vars else []
        kinds += ["t"] if "t" in self.vars else []
        kinds += ["g"] if "g" in self.vars else []
        kinds += ["h"] if "h" in self.vars else []
        k = self.pick(kinds)
        if k == "h":
            return self.pick([f"h.has({self.key(env)})", f"({self.m(env)} in values(h))", "(h == map())",
                              f"(forall z in keys(h): h[z] != {self.m(env)} or z > 3)"])
        if k == "q":
            return self.pick(["(len(q) < 2)", f"(exists r in elems(q): r.who == {self.m(env)})",
                              f"(len(q) > 0 and q[1] == {self.rec(env)})"])
        if k == "t":
            return self.pick([f"({self.tup(env)} in t)", f"(forall x in t: x[2] != {self.m(env)})", "isEmpty(t)"])
        if k == "g":
            return self.pick([f"g.has({self.m(env)})", f"({self.m(env)} in keys(g))", "(g == map())"])
        if k == "cmp":
            return f"({self.int_(1, env)} {self.pick(['<', '<=', '>', '>=', '==', '!='])} {self.int_(1, env)})"
        if k == "const":
            return self.pick(["true", "false"])
        if k == "meq":
            return f"({self.m(env)} {self.pick(['==', '!=', '<'])} {self.m(env)})"
        if k == "b":
            return "b"
        if k == "in":
            return f"({self.m(env)} {self.pick(['in', 'notin'])} {self.set_(1, env)})"
        if k == "empty":
            return self.pick(["isEmpty(s)", "(s == {})", f"(s == {self.set_(1, env)})"])
        if k == "subset":
            return f"({self.set_(1, env)} subseteq {self.set_(1, env)})"
        return f"({self.enum(1, env)} {self.pick(['==', '!='])} {self.enum(1, env)})"

    def bool_(self, d: int, env: dict) -> str:
        if d <= 0 or self.chance(0.35):
            return self.atom(env)
        k = self.pick(["and", "or", "not", "forall", "exists"])
        if k == "not":
            return f"(not {self.bool_(d - 1, env)})"
        if k in ("forall", "exists"):
            q = self.name("q")
            return f"({k} {q} in M: {self.bool_(d - 1, {**env, q: 'M'})})"
        return f"({self.bool_(d - 1, env)} {k} {self.bool_(d - 1, env)})"

    # ---------------------------------------------------------------- statements

    def guarded_int(self, old: str, env: dict) -> tuple[list[str], str]:
        """``let`` of an integer value, guarded (mostly) to stay in 0..K: mostly a step
        up or down from ``old`` (so that the state space is not trivial), else any."""
        v = self.name("v")
        value = self.pick([f"{old} + 1", f"{old} - 1", f"({old} + 1) % {self.K + 1}", self.int_(2, env)])
        out = [f"let {v} = {value}"]
        if self.chance(0.85):
            out.append(f"require {v} >= 0 and {v} <= {self.K}")
        env[v] = "int"
        return out, v

    def cycle(self, var: str, env: dict) -> str:
        """An assignment that is always defined and walks through all of ``var``'s
        values when repeated (so that some specs have hundreds of states)."""
        m = self.m(env)
        return {
            "n": f"n' = (n + 1) % {self.K + 1}",
            "b": "b' = not b",
            "e": "e' = (if e == ea then eb else if e == eb then ec else ea)",
            "s": f"s' = (if {m} in s then s diff {{{m}}} else s union {{{m}}})",
            "f": f"f' = f.put({m}, (f[{m}] + 1) % {self.K + 1})",
            "q": f"q' = (if len(q) < 2 then append(q, {self.rec(env)}) else tail(q))",
            "t": f"t' = (if (1, {m}) in t then t diff {{(1, {m})}} else t union {{(1, {m})}})",
            "g": f"g' = (if g.has({m}) then (if g[{m}] >= 1 then g.remove({m}) else g.put({m}, g[{m}] + 1)) "
                 f"else g.put({m}, 0))",
            "h": (lambda k: f"h' = (if h.has({k}) then h.remove({k}) else h.put({k}, {m}))")(self.key(env)),
        }[var]

    def assign(self, var: str, env: dict) -> list[str]:
        if self.chance(0.4):
            return [self.cycle(var, env)]
        if var == "n":
            out, v = self.guarded_int("n", env)
            return out + [f"n' = {v}"]
        if var == "f":
            key = self.m(env)
            out, v = self.guarded_int(f"f[{key}]", env)
            return out + [self.pick([f"f' = f.put({key}, {v})", f"f[{key}]' = {v}"])]
        if var == "b":
            return [f"b' = {self.pick(['not b', 'not b', self.bool_(2, env)])}"]
        if var == "e":
            return [f"e' = {self.pick(['(if e == ea then eb else if e == eb then ec else ea)', self.enum(2, env)])}"]
        if var == "q":
            k = self.pick(["append", "tail", "head", "empty"])
            if k == "append":
                return ["require len(q) < 2", f"q' = append(q, {self.rec(env)})"]
            if k == "tail":
                return ["require len(q) > 0", "q' = tail(q)"]
            if k == "head":
                return ["require len(q) > 0", "q' = q.put(1, { ...q[1], k: (q[1].k + 1) % 2 })"]
            return ["q' = []"]
        if var == "t":
            tup = self.tup(env)
            return [f"t' = {self.pick([f't union {{{tup}}}', f't diff {{{tup}}}', '{}', '{ ((x[1] + 1) % 2, x[2]) for x in t }'])}"]
        if var == "g":
            m = self.m(env)
            return [f"g' = {self.pick([f'g.put({m}, {self.small(env)})', f'g.remove({m})', 'map()', '{ r: 1 for r in keys(g) }'])}"]
        if var == "h":
            k, m = self.key(env), self.m(env)
            return [f"h' = {self.pick([f'h.put({k}, {m})', f'h.remove({k})', 'map()', f'{{ z + 1: h[z] for z in keys(h) if z < 5 }}', f'{{ z: {m} for z in keys(h) }}'])}"]
        m = self.m(env)
        return [f"s' = {self.pick([f's union {{{m}}}', f's diff {{{m}}}', '{}', self.set_(2, env)])}"]

    def assigns(self, vs: list[str], env: dict) -> list[str]:
        out = []
        for var in vs:
            out += self.assign(var, env)
        return out

    def subset(self, vs: list[str], at_least: int) -> list[str]:
        """Some of ``vs``: often one (actions that change one variable each make
        larger state spaces than actions that change all of them together)."""
        if not vs:
            return []
        k = 1 if self.chance(0.6) else self.integer(at_least, len(vs))
        return self.rng.sample(vs, max(k, at_least))

    def action(self, k: int) -> str:
        env: dict = {}
        head = f"action A{k}"
        if self.chance(0.5):
            head += "(p in M)"
            env["p"] = "M"
        body = [f"require {self.bool_(2, env)}"] if self.chance(0.3) else []
        what = self.pick(["none", "int", "M"] + [v for v in ("s", "t", "q") if v in self.vars])
        if what != "none":
            x = self.name("x")
            body.append(f"pick {x} in {dict(int=f'0..{self.K}', M='M', s='s', t='t', q='elems(q)')[what]}")
            env[x] = {"M": "M", "s": "M", "t": "T", "q": "R"}.get(what, "int")
            if self.chance(0.5):
                body.append(f"require {self.bool_(1, env)}")
        vs = list(self.vars)
        main = self.subset(vs, 1)
        rest = [v for v in vs if v not in main]
        body += self.assigns(main, env)
        branch = self.pick(["none", "either", "if"]) if rest else "none"
        if branch != "none":
            sides = []
            for _ in range(2):
                side = [f"require {self.bool_(1, env)}"] if branch == "either" and self.chance(0.4) else []
                sides.append(side + self.assigns(self.subset(rest, 0), dict(env)))
            one, two = ("\n    ".join(s) for s in sides)
            if branch == "either":
                body.append(f"either {{\n    {one}\n  }} or {{\n    {two}\n  }}")
            else:
                body.append(f"if {self.bool_(1, env)} {{\n    {one}\n  }} else {{\n    {two}\n  }}")
        return head + " {\n  " + "\n  ".join(body) + "\n}\n"

    def invariant(self) -> str:
        """Half the time a bound on an integer made of the variables, which the
        initial state more often meets than a random formula does (a run that stops in
        its initial state compares little)."""
        if self.chance(0.5):
            return self.bool_(2, {})
        return f"({self.int_(2, {})} {self.pick(['<', '<=', '!='])} {self.integer(1, 2 * self.K)})"

    def step(self) -> str:
        var = self.pick(self.vars)
        return {
            "n": "n' <= n + 1",
            "b": "b implies b'",
            "e": "e' == e or e == ea",
            "s": "s subseteq s'",
            "f": "f'[m1] >= f[m1]",
            "q": "len(q') <= len(q) + 1",
            "t": "size(t') <= size(t) + 1",
            "g": "size(g') >= size(g) or not g'.has(m1)",
            "h": "size(h') <= size(h) + 1",
        }[var]

    # ---------------------------------------------------------------- the spec

    def spec(self) -> str:
        self.K = self.integer(1, 3)
        self.vars = self.rng.sample(VARS, self.integer(2, 3))
        types = {"n": f"0..{self.K}", "b": "bool", "e": "E", "s": "set[M]", "f": f"M -> 0..{self.K}",
                 "q": "seq[R, 2]", "t": "set[(int, M)]", "g": "map[M, int]",
                 "h": "map[int, M]"}
        lines = ["module Random", "models M = {m1, m2, m3}", "enum E = ea | eb | ec",
                 "type R = { who: M, k: int }"]
        lines += [f"var {v}: {types[v]}" for v in self.vars]
        init = []
        for v in self.vars:
            if v == "n" and self.chance(0.3):
                init += [f"pick n0 in 0..{self.K}", "n = n0"]
            else:
                init.append(f"{v} = " + {
                    "n": str(self.integer(0, self.K)),
                    "b": self.pick(["false", "true"]),
                    "e": self.pick(ENUM),
                    "s": self.pick(["{}", "{m2}", "{m1, m3}"]),
                    "f": f"{{ r: {self.integer(0, self.K)} for r in M }}",
                    "q": self.pick(["[]", "[{ who: m1, k: 0 }]"]),
                    "t": self.pick(["{}", "{(0, m2)}"]),
                    "g": self.pick(["map()", "{ r: 0 for r in M if r != m1 }"]),
                    "h": self.pick(["map()", "map().put(7, m2)", "map().put(4294967297, m1).put(0, m3)"]),
                }[v])
        lines.append("init {\n  " + "\n  ".join(init) + "\n}")
        lines += [self.action(k) for k in range(1, self.integer(1, 4) + 1)]
        lines.append(f"invariant Inv [validity]: {self.invariant()}")
        if self.chance(0.3):
            lines.append(f"step Step [integrity]: {self.step()}")
        return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A directory for the specs; the C libraries are built in a cache under it."""
    d = tmp_path_factory.mktemp("random")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MODELCHECK_CACHE", str(d / "cache"))
        yield d


def check_both(workdir, rng) -> None:
    gen = Gen(rng)
    text = gen.spec()
    # mostly --continue: the whole state space is compared, not only up to a violation
    opts = Options(check_deadlock=gen.chance(0.5), stop_at_first=not gen.chance(0.7), symmetry=False,
                   max_states=MAX_STATES)
    note(text)
    note(repr(opts))
    path = workdir / "random.mc"
    path.write_text(text)
    model = load(path).model
    _, why = engine_or_reason(model, opts)
    assert why is None, why.located
    py = explore(model, replace(opts, backend="python"))
    c = explore(model, replace(opts, backend="c"))
    if c.backend == "python":           # a runtime error: the C search stopped, Python reported it
        assert py.verdict is Verdict.ERROR, c.backend_note
    else:       # at most started again with more room (a map over ints of more than 8 keys)
        assert c.backend_note == "" or c.backend_note.startswith("the C search was started again"), c.backend_note
    assert_same(py, c)


#: both searches stop at the same state past this many (the spaces of three variables
#: among a sequence, a set of tuples and a map can reach tens of thousands)
MAX_STATES = 5000

# derandomized: the same examples on every run and machine (a CI failure reproduces)
COMMON = dict(deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])


# 8 specs, about 3 s (each spec is built by the C compiler)
@settings(max_examples=8, **COMMON)
@given(rng=st.randoms())
def test_random_specs_quick(workdir, rng):
    check_both(workdir, rng)


# 40 specs, about 9 s
@pytest.mark.slow
@settings(max_examples=40, **COMMON)
@given(rng=st.randoms())
def test_random_specs(workdir, rng):
    check_both(workdir, rng)
