"""The C backend against the Python backend over every breadth-first run of
specs/suite.toml, symmetry off (the C backend has no symmetry reduction yet).

A run the C backend supports must give exactly the Python backend's result (figures,
verdicts, coverage, warnings, counterexamples state for state: tests/native/compare.py).
A run it refuses must be refused the documented way: ``backend="c"`` raises
BackendUnsupported (MC600) and ``backend="auto"`` runs Python and says why. Which runs
are refused is asked of the backend, so a run moves from the second kind to the first as
the backend grows; the floor below pins the runs that must never move back.

The pinned figures are TLC's for TwoPhase.tla (RM = 3: 288 distinct states, 1146
generated, depth 11) and the TwoPhase figures of tests/specs/test_specs.py (RM = 5:
8832 distinct, depth 17), not output of the code under test.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from modelcheck.cli.common import manifest_consts
from modelcheck.model import BackendUnsupported
from modelcheck.native import engine_or_reason, explore
from modelcheck.result import Verdict
from modelcheck.search import Options, Strategy
from modelcheck.suite import read_manifest, run_label, run_options
from tests.helpers import SPECS, TWOPHASE, load_spec
from tests.native.compare import assert_same

#: the breadth-first runs (depth-first ones are compared in tests/native/test_dfs.py)
RUNS = [r for r in read_manifest(SPECS / "suite.toml") if run_options(r).strategy is Strategy.BFS]

#: runs the manifest does not mark slow (they are quick in C) that take more than 5 s
#: here, Python's run included (measured on 2 cores): durable.mc default (101,302 states
#: with Termination, about 3 s), durable.mc crash2 (332,011 states, 11 s), TwoPhase
#: RM = 7 with symmetry (5 s), tob.mc n3 (9 s), MCLamportMutex (Python's 33 s),
#: zab_impl.mc order (52,660 states: Python's 4 s, and 3 s of gcc)
MEASURED_SLOW = {("twophase/durable.mc", "default"), ("twophase/durable.mc", "crash2"),
                 ("twophase/twophase.mc", "RM=7 no-temporal"), ("lamport/tob.mc", "n3"),
                 ("lamport/mutex.mc", "no-temporal"), ("zab/zab_impl.mc", "order")}

#: zab.mc's runs take 12 s to hours on Python without symmetry: `make test` compares
#: the first BOUNDED[spec] states of each (--max-states stops both backends at the same
#: state), `make test-deep` (MODELCHECK_DEEP=1) the whole of those the manifest does
#: not mark slow (tens of millions of states without symmetry) and a million of those
DEEP = os.environ.get("MODELCHECK_DEEP") == "1"
BOUNDED = {"zab/zab.mc": 30_000}
DEEP_BOUND = 1_000_000


def bound_of(run: dict) -> int | None:
    if run["spec"] not in BOUNDED:
        return None
    if DEEP:
        return DEEP_BOUND if run.get("slow") else None
    return BOUNDED[run["spec"]]

#: a refused run is checked with this bound: the refusal comes before any search, and
#: the full Python runs are tests/specs' and the suite's to do
REFUSED_BOUND = 500

#: specs whose every run the C backend must support (symmetry off)
FLOOR = ("twophase/twophase.mc", "twophase/crash.mc", "twophase/durable.mc", "tcommit/tcommit.mc",
         "threephase/threephase.mc", "lamport/mutex.mc", "lamport/clocks.mc", "lamport/tob.mc",
         "quorum/register.mc", "raft/election.mc", "consensus/duel.mc", "consensus/paxos.mc", "zab/zab.mc",
         "zab/zab_impl.mc")


#: long comparisons whose Python run tests/specs also makes, figures pinned, and whose
#: spec a cheaper run here compares on every run: `make test-deep` only, to keep `make
#: test` within its 15 minutes on 2 cores (measured on 2 cores, 2026-12-05: abd2 35 s,
#: paxos ballots3 35 s, tob.mc n3 9 s, zab_impl.mc order 7 s). MCLamportMutex (31 s)
#: and durable.mc crash2 (16 s) stay: nothing else runs them on the Python backend.
DEEP_ONLY = {("quorum/register.mc", "abd2"), ("consensus/paxos.mc", "ballots3 no-temporal"),
             ("lamport/tob.mc", "n3"), ("zab/zab_impl.mc", "order")}
IN_DEEP = pytest.mark.skipif(not DEEP, reason="deep: make test-deep")


def run_id(run: dict) -> str:
    return f"{run['spec']} [{run_label(run)}]"


def param(run: dict):
    slow = (run.get("slow") and bound_of(run) is None) or (run["spec"], run_label(run)) in MEASURED_SLOW \
        or (DEEP and run["spec"] in BOUNDED)
    marks = [pytest.mark.slow] if slow else []
    if (run["spec"], run_label(run)) in DEEP_ONLY:
        marks.append(IN_DEEP)
    return pytest.param(run, id=run_id(run), marks=marks)


def spec_of(run: dict):
    return load_spec(run["_spec_path"], run.get("config"), **manifest_consts(run.get("consts")))


def options_of(run: dict) -> Options:
    o = replace(run_options(run), symmetry=False)
    bound = bound_of(run)
    return o if bound is None else replace(o, max_states=bound)


@pytest.mark.parametrize("run", [param(r) for r in RUNS])
def test_c_backend_gives_the_python_result(run):
    model = spec_of(run).model
    opts = options_of(run)
    _, why = engine_or_reason(model, opts)
    if why is not None:
        assert_refused(model, opts, why)
        return
    py = explore(model, replace(opts, backend="python"))
    c = explore(model, replace(opts, backend="c"))
    # C searched it all: at most started again with more room (zab_impl.mc's zxids, 2^32
    # and more, outgrow the field a function of ints packs them in)
    assert c.backend == "c"
    assert c.backend_note == "" or c.backend_note.startswith("the C search was started again"), c.backend_note
    assert_same(py, c)
    # symmetry off changes no verdict: the comparison is of the run the suite means
    if py.verdict is not Verdict.UNDETERMINED or bound_of(run) is None:
        assert py.verdict.value == run.get("expect", "holds")


def assert_refused(model, opts: Options, why: BackendUnsupported) -> None:
    assert why.message
    with pytest.raises(BackendUnsupported) as refused:
        explore(model, replace(opts, backend="c"))
    assert refused.value.message == why.message
    assert "MC600" in refused.value.located and why.message in refused.value.located
    bounded = replace(opts, max_states=REFUSED_BOUND)
    auto = explore(model, replace(bounded, backend="auto"))
    assert (auto.backend, auto.backend_note) == ("python", why.message)
    assert_same(explore(model, replace(bounded, backend="python")), auto)


FLOOR_RUNS = [r for r in RUNS if r["spec"] in FLOOR]


def test_the_floor_covers_every_listed_spec():
    assert {r["spec"] for r in FLOOR_RUNS} == set(FLOOR)


@pytest.mark.parametrize("run", [pytest.param(r, id=run_id(r)) for r in FLOOR_RUNS])
def test_c_backend_supports_the_floor(run):
    engine, why = engine_or_reason(spec_of(run).model, options_of(run))
    assert why is None, why.located
    assert engine is not None


@pytest.mark.parametrize("config,distinct,generated,depth", [
    (None, 288, 1146, 11),      # TLC, TwoPhase.tla with RM = 3
    ("rm5", 8832, None, 17),
])
def test_twophase_published_figures_on_c(config, distinct, generated, depth):
    r = explore(load_spec(TWOPHASE, config).model, Options(backend="c", symmetry=False))
    assert r.backend == "c"
    assert (r.verdict, r.distinct_states, r.depth) == (Verdict.HOLDS, distinct, depth)
    if generated is not None:
        assert r.generated_states == generated


@pytest.mark.slow
@IN_DEEP    # 14 s: ZAB in C with symmetry is also tests/specs/test_zab.py's (backend "auto"), and
            # C's orbits against Python's tests/native/test_layouts.py's
def test_zab_orbits_on_c():
    # ZAB's default configuration with symmetry over its 3 servers (the suite's run, and
    # the README's figure: 49,364 orbits, depth 36): every permutation of states of
    # records, sequences, maps and sets of records, in C, counted as Python counts them
    model = load_spec(SPECS / "zab" / "zab.mc").model
    o = Options(check_temporal=False)
    py = explore(model, replace(o, backend="python"))
    c = explore(model, replace(o, backend="c"))
    assert (c.backend, c.symmetry, py.symmetry) == ("c", True, True)
    assert (c.verdict, c.distinct_states, c.depth) == (Verdict.HOLDS, 49_364, 36)
    assert (c.distinct_states, c.generated_states) == (py.distinct_states, py.generated_states)
