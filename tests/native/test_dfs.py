"""The C backend's depth-first search against the Python backend's (modelcheck/search/dfs.py):
the same stack discipline (successors pushed in reverse, the first explored first), so
the same distinct and generated states, depth, longest stack, coverage, verdicts and
counterexamples, state for state (tests/native/compare.py).

Every run of specs/suite.toml is compared, symmetry and temporal properties off, on its
first BOUND states (--max-states stops both searches at the same state): once stopping at
the first violation and once going on past it (--continue). Then a depth limit, a whole
search, and the refusal of temporal properties (the graph liveness needs is recorded in
breadth-first order only): --backend c refuses, auto runs Python and says why.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from modelcheck.model import BackendUnsupported
from modelcheck.native import engine_or_reason, explore
from modelcheck.native.build import compiler
from modelcheck.result import StopReason, Verdict
from modelcheck.search import Options, Strategy
from modelcheck.suite import run_options
from tests.helpers import TWOPHASE, load_spec
from tests.native.compare import assert_same
from tests.native.test_differential import RUNS, run_id, spec_of

pytestmark = pytest.mark.skipif(compiler() is None, reason="no C compiler (scripts/install-cc.sh)")

#: a few thousand states of each run: every spec's actions, its seeded bugs' violations
BOUND = 3000

DFS = Strategy.DFS


def compare(model, opts: Options):
    py = explore(model, replace(opts, backend="python"))
    c = explore(model, replace(opts, backend="c"))
    assert c.backend == "c", c.backend_note
    # a depth-first search reaches long sequences sooner: C may start again with larger
    # capacities (docs/native.md), and says so
    assert c.backend_note == "" or c.backend_note.startswith("the C search was started again with"), c.backend_note
    assert_same(py, c)
    return py


@pytest.mark.parametrize("run", [pytest.param(r, id=run_id(r)) for r in RUNS])
def test_c_depth_first_gives_the_python_result(run):
    model = spec_of(run).model
    opts = replace(run_options(run), strategy=DFS, symmetry=False, check_temporal=False, max_states=BOUND)
    _, why = engine_or_reason(model, opts)
    assert why is None, why.located      # every bundled spec runs in C
    first = compare(model, opts)
    going = compare(model, replace(opts, stop_at_first=False))
    if first.verdict is Verdict.VIOLATED:
        assert going.violations[0].trace == first.violations[0].trace


def test_a_whole_depth_first_search_and_its_longest_stack():
    # TLC's TwoPhase with RM = 3: 288 states whichever the order; depth and the longest
    # stack are the depth-first search's own (Python's, which C must equal)
    py = compare(load_spec(TWOPHASE).model, Options(strategy=DFS, symmetry=False, check_temporal=False))
    assert (py.verdict, py.stop_reason, py.distinct_states, py.generated_states) == \
        (Verdict.HOLDS, StopReason.EXHAUSTED, 288, 1146)
    assert py.max_frontier > 1


def test_a_depth_limit_cuts_the_same_states():
    py = compare(load_spec(TWOPHASE, "rm5").model,
                 Options(strategy=DFS, symmetry=False, check_temporal=False, max_depth=6))
    assert (py.stop_reason, py.depth) == (StopReason.MAX_DEPTH, 6)
    assert 0 < py.distinct_states < 8832


def test_temporal_properties_need_the_breadth_first_graph():
    model = load_spec(TWOPHASE).model
    opts = Options(strategy=DFS, symmetry=False, max_states=500)
    with pytest.raises(BackendUnsupported) as refused:
        explore(model, replace(opts, backend="c"))
    assert "depth-first search does not record the state graph" in refused.value.message
    auto = explore(model, replace(opts, backend="auto"))
    assert (auto.backend, auto.backend_note) == ("python", refused.value.message)
