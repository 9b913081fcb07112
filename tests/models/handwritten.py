"""Hand-written Python models, used to test the search apart from the spec language.

``twophase(n)`` is TwoPhase.tla written directly in Python with the same value layout a
compiled spec uses (rmState a tuple indexed by RM, enum values as strings, messages as
strings or tuples), so its state counts must equal both TLC's and the compiled spec's.
"""

from __future__ import annotations

from modelcheck.model import SimpleModel, StateProperty, StepProperty

WORKING, PREPARED, COMMITTED, ABORTED = "working", "prepared", "committed", "aborted"


def twophase(n: int, bug_abort_after_commit: bool = False) -> SimpleModel:
    rms = tuple(range(n))
    all_rms = frozenset(rms)

    def init():
        return [((WORKING,) * n, "init", frozenset(), frozenset())]

    def nxt(s):
        rm_state, tm_state, tm_prepared, msgs = s
        out = []
        if tm_state == "init" and tm_prepared == all_rms:
            out.append(("TMCommit", (), (rm_state, "tmCommitted", tm_prepared, msgs | {"Commit"})))
        if tm_state == "init" or (bug_abort_after_commit and tm_state == "tmCommitted"):
            out.append(("TMAbort", (), (rm_state, "tmAborted", tm_prepared, msgs | {"Abort"})))
        for rm in rms:
            if tm_state == "init" and ("Prepared", rm) in msgs:
                out.append(("TMRcvPrepared", (rm,), (rm_state, tm_state, tm_prepared | {rm}, msgs)))
            if rm_state[rm] == WORKING:
                prepared = rm_state[:rm] + (PREPARED,) + rm_state[rm + 1:]
                out.append(("RMPrepare", (rm,), (prepared, tm_state, tm_prepared, msgs | {("Prepared", rm)})))
                aborted = rm_state[:rm] + (ABORTED,) + rm_state[rm + 1:]
                out.append(("RMChooseToAbort", (rm,), (aborted, tm_state, tm_prepared, msgs)))
            if "Commit" in msgs:
                out.append(("RMRcvCommitMsg", (rm,), (rm_state[:rm] + (COMMITTED,) + rm_state[rm + 1:], tm_state, tm_prepared, msgs)))
            if "Abort" in msgs:
                out.append(("RMRcvAbortMsg", (rm,), (rm_state[:rm] + (ABORTED,) + rm_state[rm + 1:], tm_state, tm_prepared, msgs)))
        return out

    def agreement(s):
        return not (ABORTED in s[0] and COMMITTED in s[0])

    def integrity(s, t):
        return all(t[0][r] == s[0][r] for r in rms if s[0][r] in (COMMITTED, ABORTED))

    return SimpleModel(
        name=f"TwoPhase-handwritten-{n}",
        variables=("rmState", "tmState", "tmPrepared", "msgs"),
        init=init,
        next=nxt,
        invariants=(StateProperty("Agreement", "agreement", agreement, (0,)),),
        step_properties=(StepProperty("Integrity", "integrity", integrity, (0,)),),
        action_names=("TMRcvPrepared", "TMCommit", "TMAbort", "RMPrepare", "RMChooseToAbort",
                      "RMRcvCommitMsg", "RMRcvAbortMsg"),
    )


def counter(limit: int, deadlock: bool = True) -> SimpleModel:
    """x counts up to ``limit``; with ``deadlock`` it stops there (a deadlock)."""

    def nxt(s):
        (x,) = s
        if x < limit:
            return [("Inc", (), (x + 1,))]
        return [] if deadlock else [("Stay", (), (x,))]

    return SimpleModel(
        name="counter",
        variables=("x",),
        init=lambda: [(0,)],
        next=nxt,
        invariants=(StateProperty("Small", "validity", lambda s: s[0] <= limit, (0,)),),
        action_names=("Inc", "Stay", "Never"),
    )
