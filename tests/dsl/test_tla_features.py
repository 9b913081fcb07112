"""The language features that porting TLA+ specs needs (issue 17, section 1): function
sets `[S -> T]`, `choose`, named model values, and the spec's `options` block. Each
feature through the parser, the checker, the compiler, the search and the command line;
expected values are worked out by hand in the comments."""

from __future__ import annotations

import pytest

from modelcheck import Verdict, check, load
from modelcheck.diagnostics import SpecError
from modelcheck.types import FunT, MapT, SetT
from tests.helpers import run


def spec(text: str, **kw):
    return load("t.mc", text=text, **kw)


def codes(text: str, **kw) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as ei:
        spec(text, **kw)
    return [(d.code, d.message) for d in ei.value.diagnostics]


def value_of(text: str, var: str = "out"):
    """The value of ``var`` in the single initial state of ``text``, as its model shows it."""
    m = spec(text).model
    (s,) = m.initial_states()
    i = m.variables.index(var)
    return m.show_value(i, s[i])


# ------------------------------------------------------------------ [S -> T]

VOTES = """module Votes
models P = {p1, p2, p3}
enum Vote = yes | no
var votes: P -> Vote
var m: map[P, bool]
init {
  pick f in [P -> {yes, no}]
  votes = f
  m = map()
}
action Sub {
  pick s in powerset(P)
  pick g in [s -> bool]
  require size(s) == 2
  m' = g
}
invariant Sizes [typing]: size([P -> {yes, no}]) == 8
options { deadlock = false }
"""


def test_a_function_set_picks_each_element_independently():
    r = check(spec(VOTES), symmetry=False)
    # 2^3 = 8 vote functions to start from. Sub: 3 two-element subsets of P, each with
    # 2^2 = 4 maps to bool: 12 values of m, and the empty map: 13 values of m for each of
    # the 8 votes (Sub never changes votes) = 104 states, all reached in one step.
    assert r.verdict is Verdict.HOLDS
    assert (r.distinct_states, r.depth) == (104, 2)


def test_a_function_set_over_a_whole_type_holds_total_functions():
    s = spec(VOTES)
    c = s.checked if hasattr(s, "checked") else s.model.checked
    picks = [t for t in c.types.values() if isinstance(t, SetT) and isinstance(t.elem, (FunT, MapT))]
    kinds = {type(t.elem) for t in picks}
    assert kinds == {FunT, MapT}          # [P -> ...] total, [s -> bool] a map over s


@pytest.mark.parametrize("expr,want", [
    ("size([1..2 -> 0..2])", "9"),                       # 3^2
    ("size([{1, 2, 3} -> bool])", "8"),                  # 2^3
    ("size([{ x for x in 1..3 if x > 5 } -> 0..5])", "1"),  # the one empty function
    ("size([bool -> { x for x in 1..3 if x > 5 }])", "0"),  # no value for either key
    ("size({ f[true] for f in [bool -> 0..3] })", "4"),  # every value is reached
])
def test_function_set_sizes(expr, want):
    assert value_of(f"module T\nvar out: int\ninit {{ out = {expr} }}\n") == want


def test_the_bracket_type_is_the_function_type():
    s = spec("module T\nmodels P = {a, b}\nvar f: [P -> bool]\ninit { f = { p: false for p in P } }\n"
             "action Flip(p in P) { f' = f.put(p, not f[p]) }\n")
    r = check(s, symmetry=False)
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 4)


def test_a_function_set_needs_sets():
    errs = codes("module T\nvar out: int\ninit { out = size([3 -> bool]) }\n")
    assert errs[0][0] == "MC210" and "argument 1 of `[S -> T]`: expected a set (the domain)" in errs[0][1]


# ------------------------------------------------------------------ choose

def test_choose_is_the_first_element_that_satisfies():
    assert value_of("module T\nvar out: int\ninit { out = choose x in 0..9: x * x > 10 }\n") == "4"
    # model values in declaration order (not by name): c is declared first
    assert value_of("module T\nmodels P = {c, a, b}\nvar out: P\ninit { out = choose p in P: true }\n") == "c"
    # on a state-dependent set, in an action
    s = spec("module T\nvar s: set[0..9]\nvar out: 0..9\ninit { s = {7, 3, 5}; out = 0 }\n"
             "action A { require out == 0; out' = choose x in s: x > 3 }\noptions { deadlock = false }\n")
    m = s.model
    (s0,) = m.initial_states()
    ((_, s1),) = m.successors(s0)
    assert m.show_value(1, s1[1]) == "5"


def test_choose_with_no_witness_is_a_located_runtime_error():
    s = spec("module T\nvar n: 0..3\ninit { n = 0 }\naction A { require n < 3; n' = choose x in 0..3: x > n + 1 }\n"
             "options { deadlock = false }\n")
    r = check(s)
    assert r.verdict is Verdict.ERROR
    # n: 0 -> 2, then choose x > 3 in 0..3 has no witness
    assert "choose: no element of the set satisfies the condition" in r.error
    assert "t.mc:4:" in r.error and "n = 2" in r.error


def test_choose_body_must_be_boolean_and_binds_its_name():
    errs = codes("module T\nvar out: int\ninit { out = choose x in 0..3: x + 1 }\n")
    assert errs[0][0] == "MC210" and "the body of `choose`" in errs[0][1]
    errs = codes("module T\nvar out: int\ninit { out = (choose x in 0..3: x > 1) + x }\n")
    assert errs[0][0] == "MC201" and "unknown name `x`" in errs[0][1]


def test_choose_is_a_keyword():
    errs = codes("module T\nvar choose: int\ninit { choose = 1 }\n")
    assert errs[0][0] == "MC100"


# ------------------------------------------------------------------ named model values

NAMED = """module T
models Acceptor = {a1, a2, a3}
var leader: Acceptor
var voted: set[Acceptor]
init { leader = a1; voted = {} }
action Vote(a in Acceptor) {
  require a notin voted and (a != a3 or a1 in voted)
  voted' = voted union {a}
}
invariant LeaderFixed [integrity]: leader == a1
invariant A3Last [validity]: a3 in voted implies a1 in voted
options { deadlock = false }
"""


def test_model_values_can_be_named():
    r = check(spec(NAMED), symmetry=False)
    # subsets of {a1, a2, a3} in which a3 only comes with a1: 8 - |{a3}, {a2, a3}| = 6
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 6)


def test_a_configuration_that_renames_the_set_says_what_happened():
    errs = codes(NAMED, consts={"Acceptor": 2})
    assert errs[0][0] == "MC201"
    assert "`a1` is declared in `Acceptor`, but this configuration has Acceptor = {acceptor1, acceptor2}" in errs[0][1]
    # by name, the values are there
    assert check(spec(NAMED, consts={"Acceptor": ("a1", "a2", "a3", "a4")}), symmetry=False).verdict is Verdict.HOLDS


def test_a_symmetric_value_cannot_be_named():
    errs = codes(NAMED.replace("var leader", "symmetry Acceptor\nvar leader"))
    assert errs[0][0] == "MC260"
    assert "`a1` names one value of `Acceptor`, which is declared symmetric" in errs[0][1]


def test_a_value_of_two_sets_is_ambiguous_and_declarations_win():
    errs = codes("module T\nmodels A = {x, y}\nmodels B = {x}\nvar v: A\ninit { v = x }\n")
    assert errs[0][0] == "MC201" and "`x` is a value of both `A` and `B`" in errs[0][1]
    # a constant named like a model value is the constant
    assert value_of("module T\nmodels A = {k, j}\nconst k = 5\nvar out: int\ninit { out = k }\n") == "5"


def test_named_values_in_symbolic_checks(tmp_path):
    from modelcheck.symbolic.prove import prove
    # (A3Last alone: it does not imply LeaderFixed, which is not about voting)
    text = NAMED.replace("invariant LeaderFixed [integrity]: leader == a1\n", "")
    assert prove(spec(text), "A3Last", k=1).verdict == "holds"
    # and a named value that breaks an invariant is found
    assert prove(spec(text.replace("a != a3 or a1 in voted", "true")), "A3Last", k=1).verdict == "violated"


# ------------------------------------------------------------------ options

TERMINAL = """module T
var n: 0..2
init { n = 0 }
action Inc { require n < 2; n' = n + 1 }
invariant Small [typing]: n <= 2
"""


def test_the_spec_may_turn_deadlock_checking_off(tmp_path, capsys):
    assert check(spec(TERMINAL)).verdict is Verdict.DEADLOCK
    off = TERMINAL + "options { deadlock = false }\n"
    r = check(spec(off))
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 3)
    # the run's choice wins over the spec's
    assert check(spec(off), check_deadlock=True).verdict is Verdict.DEADLOCK
    f = tmp_path / "t.mc"
    f.write_text(off)
    assert run(capsys, "check", f)[0] == 0
    code, out, _ = run(capsys, "check", f, "--deadlock")
    assert code == 1 and "deadlock" in out
    assert run(capsys, "check", f, "--deadlock", "--no-deadlock")[0] == 2      # one or the other
    f2 = tmp_path / "t2.mc"
    f2.write_text(TERMINAL)
    assert run(capsys, "check", f2, "--no-deadlock")[0] == 0
    assert run(capsys, "simulate", f, "--traces", "3")[0] == 0


@pytest.mark.parametrize("block,code,words", [
    ("options { deadlok = false }", "MC271", "unknown option `deadlok`; did you mean `deadlock`?"),
    ("options { liveness = false }", "MC271", "unknown option `liveness`; the options are `deadlock`"),
    ("options { deadlock = 3 }", "MC271", "option `deadlock` is `true` or `false`"),
    ("options { deadlock = false; deadlock = true }", "MC101", "option `deadlock` is set twice"),
    ("options { deadlock = false }\noptions { }", "MC101", "a spec has one `options` block (the first is on line 6)"),
])
def test_bad_options(block, code, words):
    errs = codes(TERMINAL + block + "\n")
    assert (errs[0][0], words in errs[0][1]) == (code, True), errs


def test_options_is_still_a_name():
    r = check(spec("module T\nvar options: 0..1\ninit { options = 0 }\naction A { require options == 0; options' = 1 }\n"
                   "options { deadlock = false }\n"))
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 2)


# ------------------------------------------------------------------ min / max of model values

def test_min_and_max_of_model_values_follow_declaration_order():
    assert value_of("module T\nmodels P = {c, a, b}\nvar out: P\ninit { out = min({a, b}) }\n") == "a"
    assert value_of("module T\nmodels P = {c, a, b}\nvar out: P\ninit { out = max(P) }\n") == "b"
    errs = codes("module T\nmodels P = {c, a, b}\nsymmetry P\nvar out: P\ninit { out = min(P) }\n")
    assert errs[0][0] == "MC260" and "declared symmetric: its values have no order" in errs[0][1]


def test_min_of_an_empty_set_is_a_runtime_error_in_spec_words():
    r = check(spec("module T\nvar s: set[0..3]\ninit { s = {} }\ninvariant I [typing]: min(s) >= 0\n"))
    assert r.verdict is Verdict.ERROR and "min of the empty set" in r.error


# ------------------------------------------------------------------ primed definitions

PRIMED = """module T
models RM = {r1, r2}
var votes: RM -> 0..2
init { votes = { r: 0 for r in RM } }
action Up(r in RM) { require votes[r] < 2; votes' = votes.put(r, votes[r] + 1) }
action Reset { require votes[r1] == 2 and votes[r2] == 2; votes' = { r: 0 for r in RM } }
def v(a: RM) = votes[a]
def total = votes[r1] + votes[r2]
step Grows [integrity]: forall a in RM: v(a)' >= v(a)
step TotalGrows [integrity]: total' >= total
"""


def test_a_def_can_be_primed_in_a_step_property():
    s = spec(PRIMED)
    # without Reset, both hold: every step adds one vote
    no_reset = PRIMED.replace("action Reset { require votes[r1] == 2 and votes[r2] == 2; votes' = { r: 0 for r in RM } }\n",
                              "options { deadlock = false }\n")
    r = check(spec(no_reset))
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 9), r
    r = check(s)
    # 9 states; the first violation is Reset from the all-2 state, reached after 4 steps
    assert r.verdict is Verdict.VIOLATED and r.violations[0].property in ("Grows", "TotalGrows")
    assert len(r.violations[0].trace.states) == 6


def test_a_primed_def_where_primes_are_not_allowed():
    errs = codes(PRIMED + "invariant I [typing]: total' >= 0\n")
    assert errs[0][0] == "MC220" and "`total'` cannot appear in an invariant" in errs[0][1]
    errs = codes(PRIMED + "step S [integrity]: size(keys(votes))' >= 0\n")
    assert errs[0][0] == "MC220" and "`size` is a built-in operator" in errs[0][1]
    errs = codes(PRIMED + "step S [integrity]: v' >= 0\n")
    assert errs[0][0] == "MC202" and "prime the call: `v(...)'`" in errs[0][1]


# ------------------------------------------------------------------ what a porting user meets first

BASE = """module E
models RM = {r1, r2}
enum Msg = P1a(RM, 1..2) | Stop
var votes: RM -> 0..2
var msgs: set[Msg]
init { votes = { r: 0 for r in RM }; msgs = {} }
action A(r in RM) { votes' = votes.put(r, 1); msgs' = msgs }
"""


def hint_of(extra: str):
    with pytest.raises(SpecError) as ei:
        spec(BASE + extra)
    d = ei.value.diagnostics[0]
    return d.code, d.message, d.hint or ""


def test_a_nested_assignment_updates_one_part():
    text = """module NA
models A = {a1, a2}
var aState: A -> A -> { mbal: 0..2, bal: 0..2 }
var m: map[A, seq[0..3]]
init { aState = { i: { j: { mbal: 0, bal: 0 } for j in A } for i in A }; m = { a: [0, 0] for a in A if true } }
action Up(i in A, j in A) {
  require aState[i][j].mbal < 2
  aState[i][j].mbal' = aState[i][j].mbal + 1
  m[i][2]' = 3
}
invariant BalUntouched [typing]: forall i, j in A: aState[i][j].bal == 0
options { deadlock = false }
"""
    r = check(spec(text))
    # mbal of each of the 4 (i, j) pairs takes 0..2 independently: 3^4 = 81 states;
    # m[i][2] is 3 exactly when some Up(i, _) ran, so m adds none; bal never changes
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 81)
    m = spec(text).model
    (s0,) = m.initial_states()
    after = dict(m.successors(s0))
    shown = sorted(m.show_value(0, s[0]) for s in after.values())
    assert shown[0] == ("{ a1: { a1: { mbal: 0, bal: 0 }, a2: { mbal: 0, bal: 0 } }, "
                        "a2: { a1: { mbal: 0, bal: 0 }, a2: { mbal: 1, bal: 0 } } }")
    code, msg, hint = hint_of("action B(r in RM) { votes[r] = 2 }\n")
    assert code == "MC100" and "`f[k]' = e`" in hint


def test_a_field_of_a_constructor_value_says_how_to_take_it_apart():
    code, msg, hint = hint_of("invariant I [typing]: forall m in msgs: m.bal > 0\n")
    assert code == "MC210" and "`pick P1a(x1, x2) in S` or `exists P1a(x1, x2) in S: ...`" in hint


def test_a_set_constant_suggests_a_def():
    code, msg, hint = hint_of("const Q = {{1, 2}, {2, 3}}\n")
    assert code == "MC210" and "write a def: `def Q = ...`" in hint


def test_a_let_that_swallowed_an_in_says_to_parenthesise():
    code, msg, hint = hint_of("invariant I [typing]: let b = r1 in {r1} in b\n")
    assert code == "MC210" and "`let x = (a in S) in ...`" in hint


def test_a_duplicate_constructor_says_names_are_global():
    code, msg, hint = hint_of("enum Other = Stop | Go\n")
    assert code == "MC101" and "constructor names are global" in hint


def test_a_failed_min_does_not_cascade():
    with pytest.raises(SpecError) as ei:
        spec(BASE + "action C { let m = min(msgs)\n votes' = votes.put(m, 2); msgs' = msgs }\n")
    assert [d.code for d in ei.value.diagnostics] == ["MC210"]      # nothing about put's key


@pytest.mark.parametrize("assign,why", [
    # the two examples: a constructor argument out of range in a set, and one
    # field of a record inside a function
    ("msgs' = msgs union {P1a(r, 0)}",
     "variable msgs would be {P1a(r1, 0)}, which does not fit its type set[Msg]: "
     "argument 2 of the element P1a(r1, 0) of msgs is 0, outside 1..2"),
    ("votes' = votes.put(r, 3)",
     "variable votes would be { r1: 3, r2: 0 }, which does not fit its type RM -> 0..2: votes[r1] is 3, outside 0..2"),
])
def test_a_value_that_does_not_fit_is_shown_in_spec_syntax(assign, why):
    other = "votes' = votes" if assign.startswith("msgs") else "msgs' = msgs"
    r = check(spec(BASE + f"action B(r in RM) {{ {assign}; {other} }}\n"))
    assert r.verdict is Verdict.ERROR and why in r.error, r.error


# ------------------------------------------------------------------ fairness on a group of actions

TOGGLE = """module FG
models P = {p1, p2}
var turn: P -> bool
var done: P -> bool
init { turn = { p: false for p in P }; done = { p: false for p in P } }
action Flip(p in P) { turn' = turn.put(p, not turn[p]) }
action A(p in P) { require turn[p] and not done[p]; done' = done.put(p, true) }
action B(p in P) { require not turn[p] and not done[p]; done' = done.put(p, true) }
temporal Done [termination]: eventually (forall p in P: done[p])
options { deadlock = false }
"""


def test_fairness_of_a_group_is_fairness_of_the_disjunction():
    # A(p) and B(p) take turns being enabled as Flip(p) toggles: neither is enabled
    # continuously, so weak fairness of each allows flipping forever (TLA+'s WF(A) /\\
    # WF(B) is weaker than WF(A \\/ B)); their disjunction is enabled until p is done
    separate = check(spec(TOGGLE + "fairness weak A(*), weak B(*)\n"))
    assert separate.verdict is Verdict.VIOLATED
    assert check(spec(TOGGLE + "fairness weak (A(p) or B(p))\n")).verdict is Verdict.HOLDS
    assert check(spec(TOGGLE + "fairness weak (A or B)\n")).verdict is Verdict.HOLDS
    # 2 x 2 x 2 x 2 (turn and done per process) = 16 states either way
    assert separate.distinct_states == 16


def test_replay_names_the_group_a_lasso_breaks(tmp_path, capsys):
    from modelcheck.itf import trace_to_itf
    import json
    s = spec(TOGGLE + "fairness weak A(*), weak B(*)\n")
    lasso = check(s).violations[0].trace
    (tmp_path / "g.mc").write_text(TOGGLE + "fairness weak (A(p) or B(p))\n")
    (tmp_path / "l.itf.json").write_text(json.dumps(trace_to_itf(s.model, lasso)))
    _, out, _ = run(capsys, "replay", tmp_path / "g.mc", tmp_path / "l.itf.json")
    assert "the lasso is NOT fair" in out
    assert "weak (A(p) or B(p)): (A(p) or B(p)) for p=p" in out and "is enabled on every state of the cycle" in out


@pytest.mark.parametrize("decl,code,words", [
    ("fairness weak (A(p) or C(p))", "MC201", "unknown action `C` in `weak (A(p) or C(p))`"),
    ("fairness weak (A(p) or B(q))", "MC201", "`q` is not a parameter of `B` (its parameters: `p`)"),
    ("fairness weak (A(p) or B)", "MC210", "name different numbers of parameters"),
    ("fairness weak (A(p) or A(p))", "MC101", "`A` is named twice"),
])
def test_bad_fairness_groups(decl, code, words):
    errs = codes(TOGGLE + decl + "\n")
    assert (errs[0][0], words in errs[0][1]) == (code, True), errs


def test_group_keys_must_have_one_type():
    text = TOGGLE.replace("models P = {p1, p2}", "models P = {p1, p2}\nmodels Q = {q1}") + \
        "action C(q in Q) { require false; done' = done }\nfairness weak (A(p) or C(q))\n"
    errs = codes(text)
    assert errs[0][0] == "MC210" and "`C`'s keys are (Q), the first member's (P)" in errs[0][1]


# ------------------------------------------------------------------ taking messages apart

PATTERNS = """module Pat
models A = {a1, a2}
enum Msg = M1a(0..1) | M1b(A, 0..1, -1..1) | Stop
var msgs: set[Msg]
var seen: set[0..1]
init { msgs = {M1a(0), M1a(1), M1b(a1, 1, -1), M1b(a2, 0, 0), Stop}; seen = {} }
action Recv {
  pick M1b(a, b, _) in msgs
  require b notin seen and a != a2
  seen' = seen union {b}
}
invariant Some [typing]: exists M1a(b) in msgs: b == 0
invariant Bals [typing]: { b for M1b(_, b, mb) in msgs if mb < 0 } == {1}
invariant AllM1bFrom [typing]: forall M1b(x, _, _) in msgs: x in A
options { deadlock = false }
"""


def test_patterns_take_constructor_values_apart():
    r = check(spec(PATTERNS))
    # Recv can take only M1b(a1, 1, -1) (a2's is excluded), once: 2 states
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 2)
    # the pick shows the value it took, named by its pattern
    never = check(spec(PATTERNS + "invariant Never [typing]: seen == {}\n"))
    from modelcheck.render.text import render_trace
    text = render_trace(spec(PATTERNS).model, never.violations[0].trace)
    assert "  2. Recv with M1b(a, b, _) = M1b(a1, 1, -1)\n" in text + "\n"


def test_patterns_in_symbolic_checks():
    from modelcheck.symbolic.bmc import bmc
    # (the comprehension invariants left out: z3's array theory does not decide them)
    text = "\n".join(line for line in PATTERNS.splitlines() if not line.startswith(("invariant Bals", "invariant All")))
    r = bmc(spec(text + "\ninvariant Never [typing]: seen == {}\n"), depth=2)
    assert r.verdict is Verdict.VIOLATED and len(r.violations[0].trace.states) == 2
    assert r.violations[0].property == "Never"


@pytest.mark.parametrize("inv,code,words", [
    ("exists M1a(a, b) in msgs: true", "MC202", "constructor `M1a` has 1 argument; the pattern names 2"),
    ("exists M2(a) in msgs: true", "MC201", "unknown constructor `M2` in a pattern"),
    ("exists M1a(b) in A: true", "MC210", "takes apart values of Msg, but the set's elements are A"),
    ("exists M1b(a, a, _) in msgs: true", "MC101", "`a` is named twice in the pattern `M1b(a, a, _)`"),
])
def test_bad_patterns(inv, code, words):
    errs = codes(PATTERNS + f"invariant Bad [typing]: {inv}\n")
    assert (errs[0][0], words in errs[0][1]) == (code, True), errs


def test_patterns_where_they_are_not_supported():
    errs = codes(PATTERNS + "action C(M1a(b) in msgs) { seen' = seen }\n")
    assert errs[0][0] == "MC100" and "not supported in an action's parameters" in errs[0][1]


def test_choose_over_a_symmetric_set_warns():
    s = spec("module T\nmodels P = {a, b}\nsymmetry P\nvar x: P\ninit { x = choose p in P: true }\n"
             "action A { x' = x }\noptions { deadlock = false }\n")
    (w,) = [w for w in s.checked.warnings if w.code == "MC260"]
    assert w.severity == "warning" and "exactly one witness" in w.message


# ------------------------------------------------------------------ named constructor arguments

FIELDS = """module Fld
models A = {a1, a2}
enum Msg = M1a(bal: 0..1) | M1b(acc: A, bal: 0..1, mbal: -1..1) | Stop
var msgs: set[Msg]
var got: set[0..1]
init { msgs = {M1a(0), M1b(a1, 1, -1)}; got = {} }
action Recv {
  pick m in msgs
  require m != Stop
  got' = got union {m.bal}
}
action Halt { require size(got) == 2; msgs' = msgs union {Stop} }
invariant Bals [typing]: forall m in msgs: m == Stop or m.bal <= 1
options { deadlock = false }
"""


def test_a_named_argument_is_read_as_a_field():
    r = check(spec(FIELDS))
    # got grows by the bal of M1a(0) or M1b(a1, 1, -1): {}, {0}, {1}, {0, 1}, then Halt
    # adds Stop once got is full: 4 + 1 = 5 states
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 5)


def test_a_field_the_constructor_lacks_is_a_located_runtime_error():
    r = check(spec(FIELDS + "invariant Acc [typing]: forall m in msgs: m.acc == a1\n"))
    assert r.verdict is Verdict.ERROR
    assert "MC300 runtime error in invariant Acc: M1a has no argument named acc" in r.error
    assert "t.mc:15:43" in r.error


def test_fields_with_two_types_and_repeated_names_are_errors():
    errs = codes(FIELDS.replace("M1a(bal: 0..1)", "M1a(bal: bool)").replace("M1a(0)", "M1a(false)"))
    assert errs[0][0] == "MC210" and "`.bal` has two types in Msg: bool in `M1a`, 0..1 in `M1b`" in errs[0][1]
    errs = codes(FIELDS.replace("M1a(bal: 0..1)", "M1a(bal: 0..1, bal: 0..1)"))
    assert errs[0][0] == "MC101" and "constructor `M1a` names two arguments `bal`" in errs[0][1]


def test_fields_in_symbolic_checks():
    from modelcheck.symbolic.bmc import bmc
    every = FIELDS.replace("| Stop", "").replace("require m != Stop\n", "").replace(
        "action Halt { require size(got) == 2; msgs' = msgs union {Stop} }\n", "").replace("m == Stop or ", "")
    r = bmc(spec(every + "invariant One [typing]: size(got) <= 1\n"), depth=3)
    assert r.verdict is Verdict.VIOLATED and len(r.violations[0].trace.states) == 3
    # a field that some constructor lacks is refused, not guessed
    with pytest.raises(SpecError) as ei:
        bmc(spec(FIELDS), depth=1)
    assert ei.value.diagnostics[0].code == "MC500"


def test_a_runtime_error_in_an_invariant_of_an_initial_state_is_located():
    r = check(spec("module D\nvar x: 0..1\ninit { x = 0 }\naction A { x' = 1 - x }\n"
                   "invariant I [typing]: 1 / (x - x) == 0\n"))
    assert "MC300 runtime error in invariant I: division by zero" in r.error and "t.mc:5:23" in r.error


# ------------------------------------------------------------------ ordering model values

ORDER = """module Ord
models P = {c, a, b}
var x: P
init { x = c }
action Up { require x < b; x' = choose y in P: y > x }
invariant NotB [typing]: x <= a
options { deadlock = false }
"""


def test_model_values_are_ordered_as_declared():
    # c < a < b (declaration order, not by name): c -> a -> b, NotB fails in 3 states
    r = check(spec(ORDER))
    assert r.verdict is Verdict.VIOLATED and len(r.violations[0].trace.states) == 3
    errs = codes("module T\nmodels P = {c, a}\nsymmetry P\nvar x: P\ninit { x = choose y in P: true }\n"
                 "invariant I [typing]: forall y in P: x <= y\n")
    assert any(c == "MC260" and "`<=` on values of P, which is declared symmetric" in m for c, m in errs), errs


def test_choose_and_ordering_in_symbolic_checks():
    from modelcheck.symbolic.bmc import bmc
    r = bmc(spec(ORDER), depth=3)
    assert r.verdict is Verdict.VIOLATED and len(r.violations[0].trace.states) == 3
    ints = spec("module T\nvar n: 0..3\ninit { n = 0 }\naction A { require n < 3; n' = choose k in 0..3: k > n }\n"
                "invariant Small [typing]: n < 2\noptions { deadlock = false }\n")
    r = bmc(ints, depth=3)
    assert r.verdict is Verdict.VIOLATED and len(r.violations[0].trace.states) == 3


def test_function_sets_in_symbolic_checks():
    from modelcheck.symbolic.bmc import bmc
    text = VOTES.replace("invariant Sizes [typing]: size([P -> {yes, no}]) == 8\n", "")
    r = bmc(spec(text + "invariant NoYes [typing]: forall p in P: votes[p] == no\n"), depth=1)
    assert r.verdict is Verdict.VIOLATED and len(r.violations[0].trace.states) == 1
    # the map set [s -> bool]: Sub gives m exactly the keys s (two of them)
    r = bmc(spec(text + "invariant NoPair [typing]: size(keys(m)) != 2\n"), depth=2)
    assert r.verdict is Verdict.VIOLATED and len(r.violations[0].trace.states) == 2
    m = r.violations[0].trace.states[-1][1]
    assert len(m) == 2


# ------------------------------------------------------------------ match

MATCH = """module Mt
models A = {a1, a2}
enum Msg = Ask(A, 0..2) | Tell(A, bool) | Stop
var msgs: set[Msg]
var score: 0..9
init { msgs = {Ask(a1, 2), Tell(a2, true), Stop}; score = 0 }
action Take {
  pick m in msgs
  score' = score + match m { Ask(_, b) => b, Tell(a, ok) => (if ok and a == a2 then 3 else 1), Stop => 0 }
  msgs' = msgs diff {m}
}
invariant Small [typing]: score <= 4
options { deadlock = false }
"""


def test_match_takes_the_arm_of_the_value_s_constructor():
    # Ask(a1, 2) scores 2, Tell(a2, true) 3, Stop 0: taking the first two breaks Small
    r = check(spec(MATCH))
    assert r.verdict is Verdict.VIOLATED and len(r.violations[0].trace.states) == 3
    # every order of taking the three: 2^3 = 8 subsets of msgs left, each with one score
    assert check(spec(MATCH), stop_at_first=False).distinct_states == 8
    from modelcheck.symbolic.bmc import bmc
    b = bmc(spec(MATCH), depth=2)
    assert b.verdict is Verdict.VIOLATED and len(b.violations[0].trace.states) == 3


@pytest.mark.parametrize("arms,code,words", [
    ("Ask(a, b) => b, Tell(_, _) => 1", "MC210", "this `match` does not cover `Stop`"),
    ("Ask(a) => 1, _ => 0", "MC202", "constructor `Ask` has 2 arguments; the arm names 1"),
    ("_ => 1, Stop => 0", "MC210", "`_ =>` must be the last arm"),
    ("Ask(_, b) => b, _ => false", "MC210", "the arms of this `match` have different types"),
    ("Ask(_, b) => b, Ask(_, c) => c, _ => 0", "MC101", "`Ask` has two arms in this `match`"),
    ("Ask(_, b) => b, Tel(_, _) => 1, _ => 0", "MC201", "`Tel` is not a constructor of Msg; did you mean `Tell`?"),
])
def test_bad_matches(arms, code, words):
    errs = codes(MATCH.replace("match m { Ask(_, b) => b, Tell(a, ok) => (if ok and a == a2 then 3 else 1), Stop => 0 }",
                               f"match m {{ {arms} }}"))
    assert (errs[0][0], words in errs[0][1]) == (code, True), errs
