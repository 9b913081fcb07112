"""A .mc spec as a history's model: specs/objects/register.mc and cas-register.mc step as
a register does, agree with a register written in Python (here, by brute force over
every order of small histories), nondeterministic specs keep a set of states, and bad
specs, operations and values are errors in words."""

from __future__ import annotations

import itertools
import random

import pytest

from modelcheck.history.core import HistoryError, Op
from modelcheck.history.spec import Possible, spec_model, to_spec
from tests.helpers import ROOT
from tests.history.histories import op, run

REGISTER = ROOT / "specs" / "objects" / "register.mc"
CAS = ROOT / "specs" / "objects" / "cas-register.mc"




@pytest.fixture(scope="module")
def cas():
    return spec_model(CAS)


def test_register_spec_steps_as_a_register():
    m = spec_model(REGISTER)
    assert m.name == "Register"
    assert m.init() == ("Nil",)
    assert run(m, op("read", result=None)) == ("Nil",)                  # JSON null: the empty register
    assert run(m, op("read", result=0)) is None
    assert run(m, op("write", 3), op("read", result=3)) == (("V", 3),)
    assert run(m, op("write", 3), op("read", result=4)) is None
    assert run(m, op("write", 3), op("read", ret=None, result=4)) == (("V", 3),)   # pending: any result
    assert run(m, op("write", 9)) is None                                # outside 0..Max: no such step
    assert run(spec_model(REGISTER, Max=9), op("write", 9)) == (("V", 9),)


def test_cas_register_spec(cas):
    w = op("write", 1)
    assert run(cas, w, op("cas", 1, 2, result=True), op("read", result=2)) == (("V", 2),)
    assert run(cas, w, op("cas", 0, 2, result=True)) is None
    assert run(cas, w, op("cas", 0, 2, result=False), op("read", result=1)) == (("V", 1),)
    assert run(cas, w, op("cas", 1, 2, result=False)) is None
    assert run(cas, w, op("cas", 1, 2, ret=None)) == (("V", 2),)        # pending: it took effect...
    assert run(cas, w, op("cas", 0, 2, ret=None)) == (("V", 1),)        # ...or failed its compare
    assert cas.readonly == {"read"}                                    # the one action assigning nothing
    ops = [op("read", ret=None), op("write", 1, ret=None), op("cas", 1, 2, ret=None), op("read")]
    assert cas.prune(ops) == ops[1:]


def test_expected_and_describe(cas):
    s = run(cas, op("write", 3))
    assert cas.expected(s, op("read", result=1)) == "read() -> V(3)"
    assert cas.expected(s, op("cas", 2, 1, result=True)) == "cas(2, 1) -> false"
    assert cas.expected(s, op("write", 2)) == "write(2) is enabled"
    assert cas.describe(op("cas", 2, 1, result=True)) == "cas(2, 1) -> true"
    assert cas.describe(op("read", ret=None)) == "read() -> ?"
    assert cas.describe(op("write", 3)) == "write(3)"                   # no result parameter: none shown
    assert cas.partition([op("read")]) is None


# ----------------------------------------------------------------------------- agreement with Python

EMPTY = "empty"


def python_cas_register(state, o):
    """The register written directly (EMPTY at first, read as null), as an oracle
    independent of the spec; False: the operation does not fit."""
    if o.f == "write":
        return o.args[0]
    if o.f == "read":
        return state if o.ret is None or (EMPTY if o.result is None else o.result) == state else False
    if o.f == "cas":
        hit = state == o.args[0]
        if o.ret is None:
            return o.args[1] if hit else state
        if o.result != hit:
            return False
        return o.args[1] if hit else state
    raise AssertionError(o.f)


def linearizable(step, init, ops) -> bool:
    """Brute force: some order of the completed operations and of any subset of the
    pending ones, respecting real time, that the model accepts."""
    done = [o for o in ops if o.ret is not None]
    pending = [o for o in ops if o.ret is None]
    for k in range(len(pending) + 1):
        for chosen in itertools.combinations(pending, k):
            for order in itertools.permutations(done + list(chosen)):
                if any(b.ret is not None and b.ret < a.call for i, a in enumerate(order) for b in order[i + 1:]):
                    continue
                s, ok = init, True
                for o in order:
                    s = step(s, o)
                    if s is None or s is False:
                        ok = False
                        break
                if ok:
                    return True
    return False


def random_history(rng, n):
    ops = []
    for i in range(n):
        call = rng.randint(0, 10)
        ret = None if rng.random() < 0.15 else call + rng.randint(1, 4)
        f = rng.choice(["read", "write", "cas"])
        args = () if f == "read" else (rng.randint(0, 2),) if f == "write" else (rng.randint(0, 2), rng.randint(0, 2))
        result = {"read": rng.choice([None, 0, 1, 2]), "write": None, "cas": rng.random() < 0.5}[f]
        ops.append(Op(i, i, call, ret, f, args, result))
    return ops


def test_the_cas_register_spec_agrees_with_a_python_register_on_random_histories(cas):
    rng = random.Random(19)
    verdicts = []
    for _ in range(60):
        ops = random_history(rng, rng.randint(2, 5))
        want = linearizable(python_cas_register, EMPTY, ops)
        got = linearizable(lambda s, o: cas.step(s, o), cas.init(), ops)
        assert got == want, ops
        verdicts.append(want)
    assert 10 < sum(verdicts) < 50            # both answers occur: the comparison means something


# ----------------------------------------------------------------------------- nondeterminism and values

NONDET = """
module Coin
var side: 0..2
init { pick s in 0..1; side = s }
action flip { pick s in 0..1; side' = s }
action look(r in 0..2) { require r == side }
action hop { either { side' = 2 } or { require side == 0 } }
"""


def test_a_nondeterministic_spec_keeps_the_possible_states(tmp_path):
    p = tmp_path / "coin.mc"
    p.write_text(NONDET)
    m = spec_model(p)
    assert m.init() == Possible({(0,), (1,)})
    assert run(m, op("look", result=1)) == (1,)                     # the look settles it
    s = run(m, op("look", result=0), op("flip"))
    assert s == Possible({(0,), (1,)}) and hash(s) == hash(Possible({(1,), (0,)}))
    assert run(m, op("look", result=2)) is None
    assert run(m, op("hop"), op("look", result=2)) == (2,)
    assert run(m, op("look", result=0), op("hop")) == Possible({(0,), (2,)})
    assert m.expected(m.init(), op("look", result=2)) == "look() -> 0 or 1"


OPTION = """
module Opt
models Name = {alice, bob}
enum Who = Nil | Some(Name)
enum Colour = red | green
var x: int
init { x = 0 }
action put(k in Name, c in Colour, t in {(1, true), (2, false)}, s in {{1, 2}, {3}}, r in {{ a: 1, b: red }}) { x' = 1 }
action tell(w in {Nil, Some(alice)}) { x' = 2 }
"""


def test_json_values_read_as_the_parameters_types(tmp_path):
    p = tmp_path / "opt.mc"
    p.write_text(OPTION)
    m = spec_model(p)
    types = m._types["put"]
    assert to_spec("alice", types[0]) == 0
    assert to_spec("green", types[1]) == "green"
    assert to_spec((1, True), types[2]) == (1, True)
    assert to_spec((2, 1), types[3]) == frozenset({1, 2})
    assert to_spec({"a": 1, "b": "red"}, types[4]) == (1, "red")
    assert run(m, op("put", "bob", "red", (2, False), (3,), {"a": 1, "b": "red"})) == (1,)
    who = m._types["tell"][0]
    assert to_spec(None, who) == "Nil"                     # null: the option's Nil
    assert to_spec("bob", who) == ("Some", 1)              # a value: the one-argument constructor
    assert run(m, op("tell", None)) == (2,)
    assert run(m, op("tell", "alice")) == (2,)
    assert run(m, op("tell", "bob")) is None               # a value of the type, outside the domain
    with pytest.raises(HistoryError, match="'carol' is not a value of parameter w's type"):
        m.step(m.init(), op("tell", "carol"))
    with pytest.raises(HistoryError, match="expected a list of 2"):
        m.step(m.init(), op("put", "bob", "red", (2,), (3,), {"a": 1, "b": "red"}))
    with pytest.raises(HistoryError, match="expected an object with the fields a, b"):
        m.step(m.init(), op("put", "bob", "red", (2, False), (3,), {"a": 1}))


@pytest.mark.parametrize("o, message", [
    (op("read", result="three"), "'three' is not a value of parameter r's type Val"),
    (op("write", "x"), "'x' is not a value of parameter v's type"),
    (op("swap", 1), "has no action `swap` (its actions: write, read, cas)"),
    (op("write", 1, 2), "`write` has 2 arguments, but the action write(v) takes 1 parameters"),
    (op("cas", 1, 2, result=1), "1 is not a value of parameter ok's type bool"),
])
def test_operations_that_do_not_fit_the_spec_are_errors(cas, o, message):
    with pytest.raises(HistoryError) as e:
        cas.step(cas.init(), o)
    assert message in e.value.message


def test_specs_that_do_not_load_are_errors(tmp_path):
    with pytest.raises(HistoryError, match="no such spec file"):
        spec_model(tmp_path / "none.mc")
    bad = tmp_path / "bad.mc"
    bad.write_text("module Bad\nvar x: int\ninit { x = }\n")
    with pytest.raises(HistoryError) as e:
        spec_model(bad)
    assert "the spec does not load" in e.value.message and "MC100" in e.value.message
    with pytest.raises(HistoryError, match="Nope"):
        spec_model(REGISTER, Nope=3)


def test_a_runtime_error_of_the_spec_is_an_error_in_words(tmp_path):
    p = tmp_path / "div.mc"
    p.write_text("module Div\nvar x: int\ninit { x = 0 }\naction d(k in 0..3) { x' = 10 / k }\n")
    m = spec_model(p)
    assert run(m, op("d", 2)) == (5,)
    with pytest.raises(HistoryError, match="failed in action d"):
        m.step(m.init(), op("d", 0))


# ----------------------------------------------------------------------------- through the checker

@pytest.mark.parametrize("name", ["knossos-cas-register-bug.edn", "knossos-rethink-fail-minimal.edn",
                                  "knossos-cas-failure.edn", "etcd_000.log", "etcd_002.log"])
def test_the_spec_and_the_python_cas_register_give_the_same_answers(cas, name):
    """The checker's result with specs/objects/cas-register.mc is the one it gives with
    the Python cas-register model: the verdict and, with the same pruning, the operations
    that cannot be placed, the longest prefix and the number of configurations explored
    (the same search, the same states up to renaming)."""
    from modelcheck.history.check import check_history
    from modelcheck.history.jepsen import read_edn, read_jepsen_log
    from modelcheck.history.models import get_model

    class ReadsPruned:
        """The Python model, pruning only what the spec model prunes (pending reads):
        the Python one also drops pending writes nobody read, which changes the count."""

        def __init__(self, m):
            self.m, self.name = m, m.name

        def __getattr__(self, name):
            return getattr(self.m, name)

        def prune(self, ops):
            return [o for o in ops if not (o.ret is None and o.f == "read")]

    data = ROOT / "tests" / "history" / "data" / name
    ops, _ = (read_edn if name.endswith(".edn") else read_jepsen_log)(data)
    want = check_history(ops, ReadsPruned(get_model("cas-register")))
    got = check_history(ops, get_model(str(CAS)))
    assert got.verdict is check_history(ops, get_model("cas-register")).verdict
    assert got.verdict is want.verdict
    assert got.explored == want.explored
    if want.failure is not None:
        assert [i for i, _ in got.failure.stuck] == [i for i, _ in want.failure.stuck]
        assert got.failure.prefix == want.failure.prefix


def test_a_spec_without_initial_states_is_an_error(tmp_path):
    p = tmp_path / "none.mc"
    p.write_text("module NoInit\nvar x: int\ninit { pick v in {} ; x = v }\naction a { x' = 1 }\n")
    with pytest.raises(HistoryError, match="has no initial state"):
        spec_model(p)


def test_the_object_specs_check_clean_with_the_counts_worked_out_by_hand():
    """Six states (Nil and V(0..4)). Generated: one initial state, then from each state
    register.mc has 5 writes and the one read that matches (6); cas-register.mc adds 25
    cas instances whose guard holds (from V(x): 5 with ok and old = x, 20 without; from
    Nil: 25 without), 31 per state."""
    from modelcheck import Verdict, check, load

    for spec, generated in ((REGISTER, 1 + 6 * 6), (CAS, 1 + 6 * 31)):
        r = check(load(spec))
        assert (r.verdict, r.distinct_states, r.generated_states) == (Verdict.HOLDS, 6, generated)
