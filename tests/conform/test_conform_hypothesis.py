"""Property-based conformance: Hypothesis drives the reference two-phase commit with the
steps specs/twophase/durable.mc enables, and shrinks a failure to a minimal schedule.

The state machine (harness_twophase.state_machine) draws the RMs that are down when the
transaction begins and those that will vote no, then, at every step, one of the spec's
successors of the current state (through the compiled model), takes it through the
implementation's deterministic scheduler and checks what the harness checks (the
scheduler step, its events, every variable but msgs and crashes, the internal steps the
implementation has pending); each run's emitted trace is validated at the end.

Quality tests, in Hypothesis's style: each seeded bug must be found within a small fixed
budget (derandomized, so deterministic), and the failure must shrink to the shortest
schedule that shows it, argued per bug:

- vote-before-log: TMBegin, then any yes vote: RMPrepare logs nothing (2 steps; the
  vote needs the Prepare TMBegin sends);
- commit-on-majority: the TM commits on its own once it holds 2 of 3 votes: TMBegin, two
  yes votes and their receipt (5 steps; with one vote, 2 * 1 > 3 is false);
- forget-in-doubt: an RM must be in doubt and recover: TMBegin, RMPrepare, RMCrash,
  RMRecover (4 steps);
- commit-before-log: the TM must commit: TMBegin, three votes, their receipt, TMCommit
  (8 steps; TMCommit needs tmPrepared == RM).

A draw names an action instance (declaration order of the spec), so the shrinker ends
on the lowest-numbered RMs and the schedules are asserted exactly. Derandomized examples
depend on the state machine's code: a change to it may change which example finds a bug
first and what the shrinker reaches (with random seeds, forget-in-doubt shrinks to the
4-step schedule in about two runs of three, and to one of 7 to 10 steps otherwise), so a
failure here after such a change asks for a look at the budget, not only at the code.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from reference.twophase import Bugs
from tests.conform.harness_twophase import HarnessFailure, state_machine

# the explain phase (which parts of a failing example matter) re-runs the example many
# times and is not what these tests are about: off
PHASES = [p for p in Phase if p is not Phase.explain]


def budget(examples: int, steps: int) -> settings:
    return settings(max_examples=examples, stateful_step_count=steps, derandomize=True, deadline=None,
                    phases=PHASES, print_blob=False)


def test_correct_implementation_follows_the_spec():
    run_state_machine_as_test(state_machine(), settings=budget(60, 25))


@pytest.mark.slow
def test_correct_implementation_follows_the_spec_deeper():
    run_state_machine_as_test(state_machine(), settings=budget(800, 40))


QUALITY = {
    "vote_before_log": ("state-mismatch", "RMPrepare(rm=rm1)",
                        "rmLog[rm1]: the spec gives rmYes, the implementation has rmNone",
                        ["TMBegin", "RMPrepare(rm=rm1)"]),
    "commit_on_majority": ("unexpected-step", "internal tm commit t1 (TMCommit)",
                           "the spec does not enable it: require tmPrepared == RM is false "
                           "(tmPrepared = {rm1, rm2}, RM = {rm1, rm2, rm3})",
                           ["TMBegin", "RMPrepare(rm=rm1)", "TMRcvPrepared(rm=rm1)", "RMPrepare(rm=rm2)",
                            "TMRcvPrepared(rm=rm2)"]),
    "forget_in_doubt": ("unexpected-step", "internal rm1 forget t1 (RMChooseToAbort(rm=rm1))",
                        "the spec does not enable it: require rmState[rm] == working is false (rmState[rm] = prepared",
                        ["TMBegin", "RMPrepare(rm=rm1)", "RMCrash(rm=rm1)", "RMRecover(rm=rm1)"]),
    "commit_before_log": ("state-mismatch", "TMCommit", "tmLog: the spec gives logCommit, the implementation has none",
                          ["TMBegin", "RMPrepare(rm=rm1)", "TMRcvPrepared(rm=rm1)", "RMPrepare(rm=rm2)",
                           "TMRcvPrepared(rm=rm2)", "RMPrepare(rm=rm3)", "TMRcvPrepared(rm=rm3)", "TMCommit"]),
}


@pytest.mark.parametrize("bug", list(QUALITY))
def test_hypothesis_finds_and_shrinks_each_seeded_bug(bug):
    kind, action, reason, schedule = QUALITY[bug]
    machine = state_machine(Bugs(**{bug: True}))
    with pytest.raises(HarnessFailure) as e:
        run_state_machine_as_test(machine, settings=budget(100, 20))
    f = e.value.failure
    assert (f.kind, f.action, f.step) == (kind, action, len(schedule))
    assert f.reason.startswith(reason), f.reason
    # the last run is the shrunk example, replayed: the minimal schedule
    assert machine.last.spec_steps == schedule
    # and the emitted trace of that schedule diverges at the same step for the validator
    r = e.value.result
    assert r.divergence is not None and r.divergence.action.split("(")[0] in action
