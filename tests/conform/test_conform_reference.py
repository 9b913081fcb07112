"""The validator on the reference implementation's own traces (reference/twophase,
specs/twophase/durable.mc). Not the harness of issue 7 (a later task): only that the
traces its deterministic simulator writes are read, grouped by transaction and
explained, and that three of its seeded bugs are reported with the right kind.

The simulator runs 30 transfers with random crashes (seeded); the trace has a few
hundred events over 30 transactions, with process-level crash and restart events.
commit_before_log is not here: it shows only with a crash between the send and the
log write, which a random schedule rarely gives (the harness drives that schedule).
"""

from __future__ import annotations

import random

import pytest

from modelcheck.conform.events import read_jsonl
from modelcheck.conform.validate import INCORRECT, UNEXPECTED, validate_behaviours
from tests.conform.conform_helpers import write_jsonl
from tests.helpers import DURABLE, load_spec

sim_mod = pytest.importorskip("reference.twophase.sim")
protocol = pytest.importorskip("reference.twophase.protocol")

@pytest.fixture(scope="module")
def model():
    return load_spec(DURABLE, config="validate").model


def run_sim(bug: str | None, seed: int):
    bugs = protocol.Bugs(**({bug: True} if bug else {}))
    sim = sim_mod.Sim(3, bugs=bugs)
    rng = random.Random(seed)
    for k in range(30):
        sim.submit(f"t{k}", sim_mod.transfer_ops(rng, sim.rms, 4, max_amount=1))
    sim.run_random(5000, seed=seed, crash_weight=0.2, max_crashes=10)
    sim.settle()
    return sim.trace


def validate(model, tmp_path, trace):
    f = write_jsonl(tmp_path / "merged.jsonl", trace)
    return validate_behaviours(model, read_jsonl(f, model))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_correct_implementation_is_explained(model, tmp_path, seed):
    trace = run_sim(None, seed)
    assert any(e["txn"] is None for e in trace)  # crashes and restarts happened
    r = validate(model, tmp_path, trace)
    assert r.verdict == "explained", [b.divergence for b in r.behaviours if b.divergence][:1]
    assert len(r.behaviours) == 30


def _kinds(r):
    return {(b.divergence.kind, b.divergence.action.split("(")[0]) for b in r.behaviours if b.divergence}


def test_vote_before_log_is_an_incorrect_state(model, tmp_path):
    """The yes vote goes out before it is logged: the RMPrepare event shows rmLog still
    rmNone where the spec's RMPrepare writes rmYes."""
    r = validate(model, tmp_path, run_sim("vote_before_log", 1))
    assert _kinds(r) == {(INCORRECT, "RMPrepare")}
    d = next(b.divergence for b in r.behaviours if b.divergence)
    diffs = {x.var.split("[")[0]: (x.expected, x.observed)
             for inst in d.instances for g in inst.groups for m in g.mismatches for x in m}
    assert diffs["rmLog"] == ("rmYes", "rmNone")


def test_forget_in_doubt_is_an_unexpected_action(model, tmp_path):
    """A recovered participant aborts a transaction it had voted yes for: RMChooseToAbort
    needs rmState == working, and the participant is prepared."""
    r = validate(model, tmp_path, run_sim("forget_in_doubt", 1))
    assert _kinds(r) == {(UNEXPECTED, "RMChooseToAbort")}
    d = next(b.divergence for b in r.behaviours if b.divergence)
    texts = {f.where.text for inst in d.instances for g in inst.groups for f in g.failures}
    assert "rmState[rm] == working" in texts


def test_commit_on_majority_is_an_unexpected_action(model, tmp_path):
    """With seed 2 some transaction has a no vote or a missing vote when the TM commits."""
    r = validate(model, tmp_path, run_sim("commit_on_majority", 2))
    assert (UNEXPECTED, "TMCommit") in _kinds(r)
