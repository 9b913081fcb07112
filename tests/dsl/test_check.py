"""Checker tests: the example specs, constant binding, every error code, golden diagnostics, fuzzing."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelcheck import ir
from modelcheck.diagnostics import SpecError
from modelcheck.dsl.check import check
from modelcheck.dsl.checked import Checked
from modelcheck.dsl.parse import parse
from modelcheck.types import BOOL, INT, BagT, FunT, IntT, MapT, ModelT, SeqT, SetT, TVar
from tests.helpers import TCOMMIT, TWOPHASE


def load_file(path) -> Checked:
    """Read, parse and check the spec at ``path`` (named as given in diagnostics)."""
    return check(parse(Path(path).read_text(encoding="utf-8"), str(path)))


def load_text(text: str, file: str = "<spec>") -> Checked:
    return check(parse(text, file))


HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
FEATURES = GOLDEN / "ok_features.mc"

EXPR_TYPES = (ir.Lit, ir.Name, ir.Primed, ir.Unary, ir.Binary, ir.If, ir.Let, ir.Quant, ir.SetLit,
              ir.SeqLit, ir.TupleLit, ir.RecordLit, ir.RecordUpdate, ir.SetComp, ir.FunComp, ir.Call,
              ir.Index, ir.Field, ir.Temporal)


def nodes(n):
    seen: dict[int, ir.Node] = {}
    stack = [n]
    while stack:
        x = stack.pop()
        if isinstance(x, (tuple, list)):
            stack.extend(x)
        elif isinstance(x, ir.Node) and id(x) not in seen:
            seen[id(x)] = x
            stack.extend(getattr(x, f) for f in type(x).__slots__)
    return list(seen.values())


def has_tvar(t) -> bool:
    if isinstance(t, TVar):
        return True
    for v in getattr(t, "__dataclass_fields__", {}):
        x = getattr(t, v)
        items = x if isinstance(x, tuple) else (x,)
        for i in items:
            if isinstance(i, tuple):
                if any(has_tvar(j) for j in i):
                    return True
            elif has_tvar(i):
                return True
    return False


def errors(src: str, **kw) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as ei:
        check(parse(src, "t.mc"), **kw)
    return [(d.code, d.message) for d in ei.value.diagnostics]


HEAD = """module T
models RM = {r1, r2}
enum S = a | b
enum Msg = M(RM) | Stop
const N = 2
var x: int
var s: set[RM]
var f: RM -> S
init { x = 0; s = {}; f = { r: a for r in RM } }
action Touch { x' = x; s' = s; f' = f }
"""


def ok(extra: str = "", **kw):
    return check(parse(HEAD + extra, "t.mc"), **kw)


# --------------------------------------------------------------------------- example specs


@pytest.mark.parametrize("path", [Path(TWOPHASE), Path(TCOMMIT), FEATURES], ids=lambda p: p.name)
def test_examples_check_with_complete_side_tables(path):
    c = load_file(path)
    assert c.warnings == ()
    all_nodes = nodes(c.module)
    exprs = [n for n in all_nodes if isinstance(n, EXPR_TYPES)]
    assert exprs
    for e in exprs:
        assert e.id in c.types, e
        assert not has_tvar(c.types[e.id]), (e, c.types[e.id])
        if isinstance(e, (ir.Name, ir.Call)):
            assert e.id in c.refs, e


def test_twophase_tables():
    c = load_file(TWOPHASE)
    rm = ModelT("RM", ("r1", "r2", "r3"))
    assert c.models == {"RM": rm}
    assert c.consts == {"RM": frozenset({0, 1, 2}), "BugCommitOnMajority": False,
                        "BugCommitOnAny": False, "BugAbortAfterPrepare": False,
                        "BugAbortAfterCommit": False}
    assert [n for n, _ in c.variables] == ["rmState", "tmState", "tmPrepared", "msgs"]
    assert c.variables[0][1] == FunT(rm, c.enums["RMState"])
    assert c.variables[2][1] == SetT(rm)
    assert c.symmetric == ("RM",)
    assert [a.name for a in c.actions][:2] == ["TMRcvPrepared", "TMCommit"]
    assert [p.name for p in c.properties] == ["TypeOK", "Agreement", "Validity", "Integrity", "Termination"]
    assert c.var_index("msgs") == 3
    refs = {}
    for n in nodes(c.module):
        if isinstance(n, (ir.Name, ir.Call)):
            refs.setdefault((type(n).__name__, n.func if isinstance(n, ir.Call) else n.name),
                            c.refs[n.id])
    assert refs[("Name", "init")].kind == "ctor" and refs[("Name", "init")].type.name == "TMState"
    assert refs[("Name", "RM")].kind == "const"
    assert refs[("Name", "tmState")].kind == "var" and refs[("Name", "tmState")].index == 1
    assert refs[("Name", "rm")].kind == "local"
    assert refs[("Call", "Prepared")].kind == "ctor"
    assert refs[("Call", "size")].kind == "builtin"
    assert refs[("Call", "put")].kind == "builtin"
    assert refs[("Call", "decided")].kind == "def"
    assert refs[("Name", "canCommit")].kind == "def"
    assert refs[("Name", "BugCommitOnAny")].kind == "const"
    init = c.init.body.stmts[0].value
    assert c.types[init.id] == FunT(rm, c.enums["RMState"])


def test_tcommit_typeset_ref():
    c = load_file(TCOMMIT)
    n = next(n for n in nodes(c.module) if isinstance(n, ir.Name) and n.name == "RMState")
    assert c.refs[n.id].kind == "typeset" and c.refs[n.id].type == c.enums["RMState"]
    assert c.types[n.id] == SetT(c.enums["RMState"])


def test_expression_types():
    c = ok("""def fs = { i: i * 2 for i in 0..N }
def mp = { i: true for i in 0..x }
def sq = [1, 2]
def em = map().put(1, true)
def bg = bag().add(a)
def tp = (1, a)[2]
def rc = { u: 1, v: s }.v
""")
    t = {d.name: c.types[d.body.id] for d in c.defs}
    assert t["fs"] == FunT(IntT(0, 2), INT)
    assert t["mp"] == MapT(INT, BOOL)
    assert t["sq"] == SeqT(INT)
    assert t["em"] == MapT(INT, BOOL)
    assert t["bg"] == BagT(c.enums["S"])
    assert t["tp"] == c.enums["S"]
    assert t["rc"] == SetT(c.models["RM"])


def test_bounded_ints_and_sequences_are_compatible():
    """A bounded int goes where an int is expected and back (append, ++, comparisons):
    the spec checks, with the declared types and no warning."""
    c = check(parse("""module B
var n: 0..3
var q: seq[int, 2]
init { n = 0; q = [] }
action A { n' = n + 1; q' = append(q, n) }
action C { n' = 7; q' = [1, 2, 3] ++ q }
invariant I [typing]: n <= size(elems(q)) or q[1] < n
"""))
    assert c.variables == (("n", IntT(0, 3)), ("q", SeqT(INT, 2)))
    assert c.warnings == ()
    (inv,) = c.properties
    assert c.types[inv.body.id] == BOOL
    assert c.types[inv.body.right.left.id] == INT  # q[1]: an element of seq[int, 2]


# --------------------------------------------------------------------------- constants


def test_overrides_and_configs():
    spec = HEAD + "const Bug = false\nconst K = N + 1\nconfig big { RM = 4; N = 5 }\nconfig named {\n RM = {p, q}\n Bug = true\n}\n"
    m = parse(spec)
    c = check(m)
    assert c.models["RM"].names == ("r1", "r2") and c.consts["N"] == 2 and c.consts["K"] == 3
    c = check(m, config="big")
    assert c.models["RM"].names == ("rm1", "rm2", "rm3", "rm4") and c.consts["K"] == 6
    assert c.consts["RM"] == frozenset(range(4)) and c.config == "big"
    c = check(m, config="named")
    assert c.models["RM"].names == ("p", "q") and c.consts["Bug"] is True
    c = check(m, consts={"RM": 4})
    assert c.models["RM"].names == ("rm1", "rm2", "rm3", "rm4")
    c = check(m, consts={"RM": ("a", "b", "c"), "N": 7, "Bug": True}, config="big")
    assert check(m, consts={"RM": ["p", "q"]}).models["RM"].names == ("p", "q")  # a list will do
    # an empty model-value set is refused (it used to reach the compiler and fail there)
    with pytest.raises(SpecError) as e:
        check(m, consts={"RM": 0})
    assert [d.code for d in e.value.diagnostics] == ["MC270"] and "`RM` is empty" in str(e.value)
    assert c.models["RM"].names == ("a", "b", "c") and c.consts["N"] == 7 and c.consts["K"] == 8
    assert c.consts["Bug"] is True
    assert c.types  # the var types follow the new model set
    assert c.variables[1][1] == SetT(ModelT("RM", ("a", "b", "c")))


@pytest.mark.parametrize("kw, needle", [
    ({"consts": {"Nope": 3}}, "unknown constant `Nope`"),
    ({"consts": {"n": 3}}, "did you mean `N`?"),
    ({"consts": {"N": True}}, "constant `N` is an int; expected an int, got True"),
    ({"consts": {"N": ("x",)}}, "constant `N` is an int; expected an int, got ('x',)"),
    ({"consts": {"N": "3"}}, "constant `N`: got the text '3'; a constant takes a value"),
    ({"consts": {"Bug": 1}}, "constant `Bug` is a bool; expected True or False, got 1"),
    ({"consts": {"RM": True}}, "constant `RM` is a model-value set; expected a count (an int >= 0) or a "
                               "tuple of names such as ('a', 'b'), got True"),
    ({"consts": {"RM": -1}}, "`RM` is a model-value set"),
    ({"consts": {"RM": "{a, b}"}}, "constant `RM`: got the text '{a, b}'"),
    ({"consts": {"RM": ("a", "a")}}, "repeated"),
    ({"consts": {"RM": ["a", "1b"]}}, "constant `RM`: '1b' is not a valid model-value name"),
    ({"consts": {"x": 1}}, "`x` is a state variable, not a constant"),
    ({"config": "nope"}, "unknown config `nope`; this spec declares no configs"),
])
def test_bad_overrides(kw, needle):
    errs = errors(HEAD + "const Bug = false\n", **kw)
    assert [c for c, _ in errs] == ["MC270"]
    assert needle in errs[0][1], errs


def test_unknown_config_lists_available():
    errs = errors(HEAD + "config small { N = 1 }\nconfig large { N = 9 }\n", config="smal")
    assert errs == [("MC270", "unknown config `smal`; did you mean `small`?; available: `large`, `small`")]


def test_bad_config_blocks():
    errs = errors(HEAD + "config c { Q = 1; N = {a}; RM = true; N = 3; N = 4 }\n")
    codes = [c for c, _ in errs]
    assert codes == ["MC270", "MC270", "MC270", "MC101", "MC101"], errs
    errs = errors(HEAD + "const B = true\nconfig c { B = 3 }\n", config="c")
    assert errs == [("MC270", "config `c`: `B` is a bool constant; expected `true` or `false`, got `3`")]
    errs = errors(HEAD + "const B = true\nconfig c { B = 3 }\n")  # checked even when not selected
    assert errs == [("MC270", "config `c`: `B` is a bool constant; expected `true` or `false`, got `3`")]


def test_const_expressions():
    c = ok("const A = 7 / 2 + 7 % 2 - -1\nconst B = A > 3 and not (A == 4) or false\n"
           "const C = if B then A * 2 else 0\n")
    assert (c.consts["A"], c.consts["B"], c.consts["C"]) == (5, True, 10)
    errs = errors(HEAD + "const A = x + 1\n")
    assert errs[0][0] == "MC210" and "must be a constant expression" in errs[0][1]
    assert errors(HEAD + "const A = B\nconst B = A\n")[0][0] == "MC231"
    assert errors(HEAD + "const A = 1 / 0\n")[0] == ("MC210", "division by zero in a constant expression")


# --------------------------------------------------------------------------- error codes


@pytest.mark.parametrize("extra, code, needle", [
    # MC101: duplicates and shadowing
    ("var x: bool", "MC101", "`x` is already declared (line 6)"),
    ("enum E = a | c", "MC101", "`a` is already declared"),
    ("action Touch { x' = 1 }", "MC101", "action `Touch` is already declared"),
    ("invariant I [typing]: true\ninvariant I [typing]: true", "MC101", "property `I`"),
    ("def size(q: int) = q", "MC101", "built-in operator"),
    ("def g(q: int) = q\ndef h(q: bool) = q", "", ""),
    ("invariant I [typing]: forall x in RM: true", "MC101", "`x` shadows a state variable"),
    ("invariant I [typing]: forall r in RM: exists r in RM: true", "MC101", "`r` is already bound"),
    ("def g(N: int) = N", "MC101", "`N` shadows a constant"),
    ("symmetry RM\nsymmetry RM", "MC101", "symmetry `RM` is already declared"),
    ("init { x = 1; s = {}; f = f }", "MC101", "`init` is already declared"),
    # MC201: unknown names
    ("invariant I [typing]: xx > 0", "MC201", "unknown name `xx`; did you mean `x`?"),
    ("invariant I [typing]: foo(1)", "MC201", "unknown operator `foo`"),
    ("invariant I [typing]: sise(s) > 0", "MC201", "did you mean `size`?"),
    ("def g(y: Sett) = true", "MC201", "unknown type `Sett`"),
    ("fairness weak Touh", "MC201", "unknown action `Touh`; did you mean `Touch`?"),
    ("action A { xx' = 1 }", "MC201", "unknown variable `xx`"),
    # MC202: arity
    ("def g(p: int, q: int) = p\ninvariant I [typing]: g(1) > 0", "MC202", "`g` takes 2 arguments, got 1"),
    ("invariant I [typing]: exists r in RM: M(r, r) == Stop", "MC202", "constructor `M` takes 1 argument, got 2"),
    ("invariant I [typing]: Stop(1) == Stop", "MC202", "constructor `Stop` takes no arguments"),
    ("invariant I [typing]: M == Stop", "MC202", "constructor `M` takes 1 argument"),
    ("invariant I [typing]: size(s, s) > 0", "MC202", "`size` takes 1 argument, got 2"),
    ("def g(p: int) = p\ninvariant I [typing]: g > 0", "MC202", "call it as `g(...)`"),
    # MC210: types
    ("invariant I [typing]: x == a", "MC210", "`==` compares int with S"),
    ("invariant I [typing]: x", "MC210", "invariant `I`: expected bool, found int"),
    ("invariant I [typing]: exists r in RM: r < 3", "MC210", "`<` compares integers, found RM"),
    ("invariant I [typing]: exists r in RM: r + 1 > 0", "MC210", "`+` needs int operands, found RM"),
    ("action A { x' = s }", "MC210", "cannot assign a set[RM] to `x` of type int"),
    ("action A { require x }", "MC210", "`require` condition: expected bool, found int"),
    ("invariant I [typing]: f[a] == a", "MC210", "function key: expected RM, found S"),
    ("invariant I [typing]: (1, 2)[3] == 1", "MC210", "tuple index 3 is out of range"),
    ("invariant I [typing]: (1, 2)[x] == 1", "MC210", "literal integer"),
    ("invariant I [typing]: { u: 1 }.v == 1", "MC210", "has no field `v`"),
    ("invariant I [typing]: x.v == 1", "MC210", "`.v` needs a record, found int"),
    ("invariant I [typing]: a in s", "MC210", "`in` tests a S against a set of RM"),
    ("invariant I [typing]: {1, true} == {}", "MC210", "set elements have different types"),
    ("invariant I [typing]: (if x > 0 then 1 else a) == 1", "MC210", "`if` branches"),
    ("invariant I [typing]: M(a) == Stop", "MC210", "argument 1 of `M`: expected RM, found S"),
    ("action A(r in RM) { f' = f.put(r, 1) }", "MC210", "argument 3 of `put` (value): expected S, found int"),
    ("invariant I [typing]: keys(s) == s", "MC210", "argument 1 of `keys`"),
    ("fairness weak Touch(*)", "MC210", "has no parameters"),
    ("invariant I [typing]: x(1)", "MC210", "`x` is a state variable, not an operator"),
    ("invariant I [typing]: s ++ s == s", "MC210", "`++` concatenates sequences, found set[RM]"),
    # MC211: inference
    ("invariant I [typing]: size({}) == 0", "MC211", "cannot infer the element type of `{}`"),
    ("invariant I [typing]: [] == []", "MC211", "cannot infer the element type of `[]`"),
    ("invariant I [typing]: isEmpty(map())", "MC211", "key and value types of `map()`"),
    # MC212: invalid types
    ("def g(y: int -> bool) = true", "MC212", "must be finite and indexable"),
    ("def g(y: 3..1) = true", "MC212", "empty range 3..1"),
    ("def g(y: 0..x) = true", "MC212", "must be a constant expression"),
    ("def g(y: seq[int, -1]) = true", "MC212", "must be >= 0"),
    ("def g(y: N) = true", "MC212", "`N` is a constant, not a type"),
    ("type A = set[A]\ndef g(y: A) = true", "MC212", "recursive type alias `A`"),
    ("enum L = Nil | Cons(int, L)", "MC212", "recursive type `L`"),
    # MC220: primes
    ("action A { x' = x' + 1 }", "MC220", "`x'` cannot be read in an action"),
    ("action A { require x' > 0 }", "MC220", "`x'` cannot be read in an action"),
    ("invariant I [typing]: x' > 0", "MC220", "cannot appear in an invariant"),
    ("constraint C: x' > 0", "MC220", "cannot appear in a constraint"),
    ("def g = x' + 1", "MC220", "cannot appear in an operator"),
    ("temporal T [validity]: always (x' > 0)", "MC220", "cannot appear in a temporal property"),
    ("step St [integrity]: N' == 1", "MC220", "only state variables can be primed"),
    # MC221: twice on a path
    ("action A { x' = 1; x' = 2 }", "MC221", "`x` is assigned twice on one path"),
    ("action A { either { x' = 1 } or { s' = {} }\n x' = 2 }", "MC221", "assigned twice"),
    # MC223: not a variable
    ("action A { N' = 1 }", "MC223", "`N` is a constant, not a state variable"),
    ("action A(p in RM) { p' = p }", "MC223", "`p` is a local name"),
    ("action A { x = 1 }", "MC223", "write `x' = ...`"),
    # MC230: domains
    ("invariant I [typing]: forall i in int: i > 0", "MC230", "`int` is infinite"),
    ("invariant I [typing]: forall i in f: true", "MC230", "`i` must range over a set, found RM -> S"),
    ("invariant I [typing]: forall m in Msg: true", "MC230", "only a plain enum"),
    ("action A(i in x) { x' = i }", "MC230", "`i` must range over a set, found int"),
    ("invariant I [typing]: len([ r for r in s ]) >= 0", "MC230",
     "`r` in a sequence comprehension must range over a sequence or a set of integers, found set[RM]"),
    ("action A { pick i in [1]\n x' = i }", "MC230", "`i` must range over a set, found seq[int]"),
    # MC231: recursion
    ("def g(n: int) = g(n - 1)", "MC231", "`g` calls itself"),
    ("def g = h\ndef h = k\ndef k = g", "MC231", "`g` calls `h`, which calls `k`, which calls `g`"),
    # MC240: classes
    ("invariant I: true", "MC240", "invariant `I` has no class"),
    ("step St [safety]: true", "MC240", "unknown property class `safety`"),
    ("invariant I [agrement]: true", "MC240", "did you mean `agreement`?"),
    ("constraint C [typing]: true", "MC240", "a constraint takes no class"),
    # MC260: symmetry
    ("symmetry N", "MC260", "`N` is a constant"),
    ("symmetry S", "MC260", "`S` is an enum type"),
    ("symmetry Rm", "MC260", "`Rm` is not declared; did you mean `RM`?"),
    # MC280: temporal
    ("invariant I [validity]: always (x > 0)", "MC280", "`always` is a temporal operator"),
    ("def g = eventually (x > 0)", "MC280", "`eventually`"),
    ("action A { require x > 0 ~> x > 1 }", "MC280", "`~>`"),
    ("temporal T [validity]: x > 0", "MC280", "uses no temporal operator"),
])
def test_error_codes(extra, code, needle):
    if not code:
        ok(extra + "\n")  # parameters are local to their operator: no clash
        return
    errs = errors(HEAD + extra + "\n")
    assert [c for c, _ in errs] == [code], errs
    assert needle in errs[0][1], errs


def test_init_must_assign_every_variable():
    src = HEAD.replace("init { x = 0; s = {}; f = { r: a for r in RM } }",
                       "init { x = 0\n if x > 0 { s = {} } }")
    errs = errors(src)
    assert errs == [("MC222", "`init` must assign every variable: `f` is never assigned; "
                              "`s` is not assigned on every path")]
    errs = errors(HEAD.replace("init { x = 0; s = {}; f = { r: a for r in RM } }", ""))
    assert errs == [("MC222", "the spec has no `init` block")]
    errs = errors(HEAD.replace("init { x = 0;", "init { x' = 0;"))
    assert errs[0][0] == "MC220" and "without a prime" in errs[0][1]


def test_pick_let_either_scopes():
    ok("""action A(p in RM) {
  pick q in RM
  let y = q
  either { require y == p } or { let z = p
    require z == q }
  if p == q { x' = 1 } else { x' = 2 }
}
""")
    errs = errors(HEAD + "action A { either { let z = 1 } or { require true }\n x' = z }\n")
    assert errs[0][0] == "MC201"


def test_unused_variable_warning():
    src = HEAD.replace("var f: RM -> S", "var f: RM -> S\nvar ghost: bool").replace(
        "init { x = 0;", "init { ghost = false; x = 0;")
    c = check(parse(src, "t.mc"))
    assert [(w.code, w.severity, w.message) for w in c.warnings] == [
        ("MC250", "warning", "variable `ghost` is never read nor assigned by any action")]
    assert "MC250 warning:" in c.warnings[0].render(src)


def test_three_independent_errors_are_all_reported():
    errs = errors(HEAD + """action A {
  require xx > 0
  x' = s
}
invariant I: x > 0
symmetry S
""")
    assert [c for c, _ in errs] == ["MC201", "MC210", "MC240", "MC260"]


def test_errors_do_not_cascade():
    errs = errors(HEAD + "action A { x' = size(undefined union {}) + size(y.put(1, {})) }\n")
    assert [c for c, _ in errs] == ["MC201", "MC201"], errs


def test_parse_error_is_mc100():
    with pytest.raises(SpecError) as ei:
        load_text("module M\nvar x int\n")
    assert [d.code for d in ei.value.diagnostics] == ["MC100"]


# --------------------------------------------------------------------------- golden diagnostics


GOLDEN_CASES = sorted(p.stem for p in GOLDEN.glob("*.mc"))


def render(path: Path) -> str:
    """What a user sees: every error, or the warnings of a spec that checks."""
    import os
    old = os.getcwd()
    os.chdir(path.parent)  # diagnostics name the file as given: keep it short
    try:
        src = path.read_text()
        try:
            c = load_file(path.name)
        except SpecError as e:
            return e.render()
        return "\n".join(w.render(src) for w in c.warnings)
    finally:
        os.chdir(old)


def test_golden_cover_at_least_ten_codes():
    codes = {re.match(r"mc(\d+)", n).group(1) for n in GOLDEN_CASES if n.startswith("mc")}
    assert len(codes) >= 10


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden(name):
    expected = (GOLDEN / f"{name}.expected").read_text().rstrip("\n")
    assert render(GOLDEN / f"{name}.mc") == expected


# --------------------------------------------------------------------------- fuzzing

_TEXT = Path(TWOPHASE).read_text()
_TOKENS = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\d+|==|!=|<=|>=|\.\.|~>|\+\+|\S", _TEXT)
_INSERTS = sorted(set(_TOKENS)) + ["'", "\"", "/*", "*/", "//", "(", ")", "{", "}", "[", "]",
                                   "...", "#", "$", "\t", "\n", "0", "-", "seq[", "->", "forall"]


@st.composite
def mutated(draw):
    text = _TEXT
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["del_char", "ins_char", "del_token", "ins_token", "swap"]))
        i = draw(st.integers(0, len(text)))
        if kind == "del_char":
            text = text[:i] + text[i + 1:]
        elif kind == "ins_char":
            text = text[:i] + draw(st.characters(codec="utf-8")) + text[i:]
        elif kind == "del_token":
            m = re.compile(r"\S+").search(text, i)
            if m:
                text = text[:m.start()] + text[m.end():]
        elif kind == "ins_token":
            text = text[:i] + " " + draw(st.sampled_from(_INSERTS)) + " " + text[i:]
        else:
            j = draw(st.integers(0, len(text)))
            a, b = sorted((i, j))
            text = text[:a] + text[b:b + 20] + text[a:b] + text[b + 20:]
    return text


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_never_crash(text):
    try:
        c = check(parse(text, "f.mc"))
    except SpecError as e:
        assert e.diagnostics
        for d in e.diagnostics:
            assert re.fullmatch(r"MC\d{3}", d.code)
        e.render()
    else:
        assert c.init is not None


def test_random_token_soup_never_crashes():
    rng = random.Random(7)
    for _ in range(150):
        text = "module M\n" + " ".join(rng.choice(_INSERTS) for _ in range(rng.randint(1, 40)))
        try:
            c = check(parse(text))
        except SpecError as e:
            # a spec error, never another exception: every problem coded, and renderable
            assert e.diagnostics
            assert all(re.fullmatch(r"MC\d{3}", d.code) for d in e.diagnostics)
            e.render()
        else:
            assert c.init is not None
