"""Generated tests: `modelcheck trace generate` on specs/twophase/durable.mc, every trace
driven through the reference implementation by the harness (harness_twophase.py), and
the seeded bugs caught by the same traces.

The traces are generated with the command line, as a user would, into a temporary
directory; the harness replays each one through the deterministic scheduler, compares
states after every step and validates what the implementation emitted.

Figures, and why:

- `--cover actions`, default configuration (RM = 3, MaxCrashes = 1): 41 action instances:
  TMBegin, TMCommit, TMAbort, TMCrash, TMRecover, and 12 actions with an RM parameter times
  3 RMs (TMRcvPrepared, TMSendCommit, TMSendAbort, RMPrepare, RMChooseToAbort,
  RMRcvCommitMsg, RMRcvAbortMsg, RMAskOutcome, RMHeuristicCommit, RMHeuristicAbort,
  RMCrash, RMRecover). The 6 heuristic instances are never enabled (AllowHeuristic is
  false): 35 of 41, and the harness takes exactly those 35 through the implementation.
- `--cover transitions`, `tiny` without crashes (RM = 2, MaxCrashes = 0): every action of
  durable.mc is deterministic (no pick or either outside init), so the edges of the
  state graph are the successors generated minus the initial states: 2,124 - 4 = 2,120
  (test_durable_spec.py pins 2,124 for RM = 2, MaxCrashes = 0, with its independent
  transcription). The harness replays 2,120 distinct (state, action instance) pairs.
  Slow: `tiny` itself (one crash): 13,716 - 4 = 13,712 edges.
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from modelcheck.cli import main
from modelcheck.conform.validate import INCORRECT, UNEXPECTED
from reference.twophase import Bugs
from reference.twophase.trace import merge_events
from tests.conform.harness_twophase import (DURABLE, MAPPING, TXN, Replay, SpecModel, divergence_reasons,
                                            generated_traces, replay_itf)


def generate(out, *args) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["trace", "generate", DURABLE, "--out", str(out), *args]) == 0
    return buf.getvalue()


@pytest.fixture(scope="module")
def actions(tmp_path_factory):
    d = tmp_path_factory.mktemp("gen") / "actions"
    out = generate(d, "--cover", "actions")
    return d, out


@pytest.fixture(scope="module")
def transitions(tmp_path_factory):
    d = tmp_path_factory.mktemp("gen") / "transitions"
    out = generate(d, "--cover", "transitions", "--config", "tiny", "--const", "MaxCrashes=0")
    return d, out


def replay_all(spec, directory, bugs=Bugs()):
    results = []
    taken = set()
    for path in generated_traces(directory):
        r = replay_itf(spec, path, bugs)
        init, steps = spec.read_itf(path)
        s = init
        for lab, t in steps:
            taken.add((s, lab))
            s = t
        results.append((path, r))
    return results, taken


def test_every_spec_action_has_a_scheduler_step():
    """The mapping covers durable.mc's actions exactly: a new action fails here first."""
    spec = SpecModel()
    assert set(MAPPING) == {a.name for a in spec.model.checked.actions}


def test_action_traces_pass_on_the_correct_implementation(actions):
    d, out = actions
    assert "cover actions: 35 of 41 action instances covered (101,302 states explored, exhaustive)" in out
    (cov,) = json.loads((d / "manifest.json").read_text())["coverage"]
    assert sorted(cov["missing"]) == sorted(f"RMHeuristic{k}(rm=rm{i})" for k in ("Commit", "Abort") for i in (1, 2, 3))
    spec = SpecModel()
    results, taken = replay_all(spec, d)
    bad = [(p.name, str(r.failure), r.validation.verdict) for p, r in results if not r.ok]
    assert bad == []
    assert len({lab for _, lab in taken}) == 35
    # every trace emitted events, and each was validated against the spec
    assert all(r.validation is not None and r.validation.behaviours[0].name == TXN for _, r in results)


def test_transition_traces_pass_on_the_correct_implementation(transitions):
    d, out = transitions
    assert "cover transitions: 2,120 of 2,120 transitions (edges of the state graph) covered (680 states" in out
    spec = SpecModel("tiny", MaxCrashes=0)
    results, taken = replay_all(spec, d)
    bad = [(p.name, str(r.failure), r.validation.verdict) for p, r in results if not r.ok]
    assert bad == []
    assert len(taken) == 2120
    print(f"\n{len(results)} transition traces, {sum(r.steps for _, r in results)} spec steps replayed")


@pytest.mark.slow
def test_transition_traces_with_crashes_pass(tmp_path):
    """`tiny` (RM = 2, MaxCrashes = 1): every edge, crashes and recoveries included."""
    out = generate(tmp_path / "t", "--cover", "transitions", "--config", "tiny")
    assert "cover transitions: 13,712 of 13,712 transitions (edges of the state graph) covered (3,686 states" in out
    spec = SpecModel("tiny")
    results, taken = replay_all(spec, tmp_path / "t")
    bad = [(p.name, str(r.failure), r.validation.verdict) for p, r in results if not r.ok]
    assert bad == []
    assert len(taken) == 13712
    print(f"\n{len(results)} transition traces, {sum(r.steps for _, r in results)} spec steps replayed")


def test_a_spec_step_without_an_implementation_step_fails_loudly():
    """The vote plan says rm1 votes no (its share debits more than it holds); a spec step
    RMPrepare(rm=rm1) then has no scheduler step, and the harness says why."""
    spec = SpecModel()
    everyone_up = next(s for s in spec.model.initial_states() if all(spec.view(s)["rmUp"].values()))
    r = Replay(spec, everyone_up, no_voters={"rm1"})
    (begin,) = [(lab, t) for lab, t in spec.model.successors(r.state)]
    r.take(*begin)
    prepare = next((lab, t) for lab, t in spec.model.successors(r.state) if spec.show(lab) == "RMPrepare(rm=rm1)")
    from tests.conform.harness_twophase import HarnessFailure
    with pytest.raises(HarnessFailure) as e:
        r.take(*prepare)
    f = e.value.failure
    assert (f.kind, f.step, f.action) == ("no-implementation-step", 2, "RMPrepare(rm=rm1)")
    assert f.reason == "rm1's share of the transfer makes it vote no"


# ----------------------------------------------------------------------------- seeded bugs

def _steps(spec, path):
    init, steps = spec.read_itf(path)
    states = [init] + [t for _, t in steps]
    return [(k, spec.instance(lab), states[k - 1], states[k]) for k, (lab, _) in enumerate(steps, 1)]


def _first_vote(spec, path):
    return next(((k, rm) for k, (a, rm), _, _ in _steps(spec, path) if a == "RMPrepare"), None)


def _first_commit(spec, path):
    return next(((k, None) for k, (a, _), _, _ in _steps(spec, path) if a == "TMCommit"), None)


def _first_in_doubt_recovery(spec, path):
    for k, (a, rm), before, _ in _steps(spec, path):
        if a == "RMRecover" and spec.view(before)["rmState"][rm] == "prepared":
            return k, rm
    return None


def _first_majority(spec, path):
    for k, _, _, after in _steps(spec, path):
        v = spec.view(after)
        if v["tmState"] == "init" and 2 * len(v["tmPrepared"]) > len(spec.rms) and len(v["tmPrepared"]) < len(spec.rms):
            return k, None
    return None


# bug -> (where the spec trace first exercises it, the harness's failure, the validator's divergence)
BUGS = {
    "commit_before_log": (_first_commit, "state-mismatch", lambda rm: "TMCommit",
                          lambda rm: "tmLog: the spec gives logCommit, the implementation has none",
                          INCORRECT, "tm", "TMCommit", lambda rm: "TMCommit: tmLog: the spec gives logCommit, observed none"),
    "vote_before_log": (_first_vote, "state-mismatch", lambda rm: f"RMPrepare(rm={rm})",
                        lambda rm: f"rmLog[{rm}]: the spec gives rmYes, the implementation has rmNone",
                        INCORRECT, None, "RMPrepare",
                        lambda rm: f"RMPrepare(rm={rm}): rmLog[{rm}]: the spec gives rmYes, observed rmNone"),
    "forget_in_doubt": (_first_in_doubt_recovery, "unexpected-step",
                        lambda rm: f"internal {rm} forget t1 (RMChooseToAbort(rm={rm}))",
                        lambda rm: "the spec does not enable it: require rmState[rm] == working is false "
                                   f"(rmState[rm] = prepared, ",
                        UNEXPECTED, None, "RMChooseToAbort",
                        lambda rm: f"RMChooseToAbort(rm={rm}): require rmState[rm] == working is false"),
    "commit_on_majority": (_first_majority, "unexpected-step", lambda rm: "internal tm commit t1 (TMCommit)",
                           lambda rm: "the spec does not enable it: require tmPrepared == RM is false",
                           UNEXPECTED, "tm", "TMCommit", lambda rm: "TMCommit: require tmPrepared == RM is false"),
}


@pytest.mark.parametrize("bug", list(BUGS))
def test_seeded_bug_is_caught_by_the_generated_traces(actions, bug):
    """The first action trace that exercises the bug (read off the spec trace alone: its
    first TMCommit, its first yes vote, the first recovery of an in-doubt RM, the first
    state where the TM holds a strict majority but not all of the votes) is the first
    one that fails, at that step, with the reason stated; the validator, given the events
    the buggy implementation emitted, reports the step that event is (number, process,
    action) and why; the correct implementation passes the same trace."""
    d, _ = actions
    where, kind, action, reason, vkind, vproc, vaction, vreason = BUGS[bug]
    spec = SpecModel()
    bugs = Bugs(**{bug: True})
    paths = generated_traces(d)
    first = next(p for p in paths if where(spec, p) is not None)
    step, rm = where(spec, first)
    for p in paths[: paths.index(first)]:
        assert replay_itf(spec, p, bugs).ok, p.name       # traces that do not exercise it pass
    r = replay_itf(spec, first, bugs)
    f = r.failure
    assert (f.kind, f.step, f.action) == (kind, step, action(rm))
    assert f.reason.startswith(reason(rm)), f.reason
    # (b) the validator, on the implementation's own trace
    d_ = r.divergence
    assert d_ is not None and d_.kind == vkind
    bad = _bad_event(r, bug, rm)
    assert d_.event == bad[0] and d_.proc == bad[1]["proc"] and d_.action.split("(")[0] == vaction
    assert vproc is None or d_.proc == vproc
    assert any(x.startswith(vreason(rm)) for x in divergence_reasons(d_)), divergence_reasons(d_)
    assert replay_itf(spec, first).ok                       # the correct implementation passes it


def _bad_event(r, bug, rm):
    """(number, event) of the buggy step's event in t1's behaviour: the merged events from
    TMBegin on (process-level events before it belong to no transaction)."""
    per: dict = {}
    for e in r.events:
        per.setdefault(e["proc"], []).append(e)
    merged = merge_events(per)
    begin = next(i for i, e in enumerate(merged) if e["action"] == "TMBegin")
    beh = [e for e in merged[begin:] if e["txn"] in (TXN, None)]
    action = {"commit_before_log": "TMCommit", "commit_on_majority": "TMCommit", "vote_before_log": "RMPrepare",
              "forget_in_doubt": "RMChooseToAbort"}[bug]
    k = next(i for i, e in enumerate(beh) if e["action"] == action and (rm is None or e["params"].get("rm") == rm))
    return k + 1, beh[k]
