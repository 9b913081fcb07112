"""specs/twophase/durable.mc written again, directly in Python, for cross-checking.

An independent transcription (not generated from the spec, and sharing no code with the
compiler): states use the compiled layout (functions as tuples indexed by RM, model
values as ints, sets as frozensets, messages as (name, rm) tuples) so that the sets of
reachable states, not only their sizes, can be compared. ``explore`` is a plain BFS that
counts what modelcheck counts: distinct states, generated states (initial states plus one
successor per enabled action instance, stuttering ones included) and the depth (states
on the longest shortest path, the initial state counted as 1).
"""

from __future__ import annotations

from collections import deque
from itertools import combinations

W, P, C, A = "working", "prepared", "committed", "aborted"
RESTORED = {"rmNone": W, "rmYes": P, "rmCommit": C, "rmHeurCommit": C,
            "rmNo": A, "rmAbort": A, "rmHeurAbort": A}
VOTED_YES = {"rmYes", "rmCommit", "rmHeurCommit", "rmHeurAbort"}


def _put(t, i, v):
    return t[:i] + (v,) + t[i + 1:]


def model(n: int, max_crashes: int, heuristic: bool = False):
    rms = range(n)
    every = frozenset(rms)
    tm_inbox = frozenset([("Prepared", r) for r in rms] + [("Ask", r) for r in rms])

    def init():
        out = []
        for k in range(n + 1):
            for up in combinations(rms, k):
                out.append(((W,) * n, ("rmNone",) * n, tuple(r in up for r in rms), "idle",
                            frozenset(), frozenset(), "none", frozenset(), 0))
        return out

    def nxt(s):
        rs, rl, ru, ts, tp, tpend, tl, ms, cr = s
        out = []

        def decision_to(r, m):
            # lost when r is down, and not kept when r has already decided (it ignores it)
            return ms | {m} if ru[r] and rs[r] not in (C, A) else ms

        def to_tm(m):
            return ms | {m} if ts != "tmDown" else ms

        if ts == "idle":
            out.append(("TMBegin", None, (rs, rl, ru, "init", tp, tpend, tl,
                                          ms | {("Prepare", r) for r in rms if ru[r]}, cr)))
        if ts == "init" and tp == every:
            out.append(("TMCommit", None, (rs, rl, ru, "tmCommitted", tp, every, "logCommit", ms, cr)))
        if ts == "init":
            out.append(("TMAbort", None, (rs, rl, ru, "tmAborted", tp, every, tl, ms, cr)))
        if ts not in ("idle", "tmDown") and cr < max_crashes:
            out.append(("TMCrash", None, (rs, rl, ru, "tmDown", frozenset(), frozenset(), tl, ms - tm_inbox, cr + 1)))
        if ts == "tmDown":
            if tl == "logCommit":
                out.append(("TMRecover", None, (rs, rl, ru, "tmCommitted", tp, every, tl, ms, cr)))
            else:
                out.append(("TMRecover", None, (rs, rl, ru, "tmAborted", tp, tpend, tl, ms, cr)))
        for r in rms:
            may_send = r in tpend or ("Ask", r) in ms or ("Prepared", r) in ms
            if ts == "init" and ("Prepared", r) in ms:
                out.append(("TMRcvPrepared", r, (rs, rl, ru, ts, tp | {r}, tpend, tl, ms, cr)))
            if ts == "tmCommitted" and may_send:
                out.append(("TMSendCommit", r, (rs, rl, ru, ts, tp, tpend - {r}, tl, decision_to(r, ("Commit", r)), cr)))
            if ts == "tmAborted" and may_send:
                out.append(("TMSendAbort", r, (rs, rl, ru, ts, tp, tpend - {r}, tl, decision_to(r, ("Abort", r)), cr)))
            up = ru[r]
            if up and rs[r] == W and ("Prepare", r) in ms:
                out.append(("RMPrepare", r, (_put(rs, r, P), _put(rl, r, "rmYes"), ru, ts, tp, tpend, tl,
                                             to_tm(("Prepared", r)), cr)))
                out.append(("RMChooseToAbort", r, (_put(rs, r, A), _put(rl, r, "rmNo"), ru, ts, tp, tpend, tl, ms, cr)))
            if up and rs[r] == P and ("Commit", r) in ms:
                out.append(("RMRcvCommitMsg", r, (_put(rs, r, C), _put(rl, r, "rmCommit"), ru, ts, tp, tpend, tl, ms, cr)))
            if up and rs[r] in (W, P) and ("Abort", r) in ms:
                out.append(("RMRcvAbortMsg", r, (_put(rs, r, A), _put(rl, r, "rmAbort"), ru, ts, tp, tpend, tl, ms, cr)))
            if up and rs[r] == P:
                out.append(("RMAskOutcome", r, (rs, rl, ru, ts, tp, tpend, tl, to_tm(("Ask", r)), cr)))
                if heuristic:
                    out.append(("RMHeuristicCommit", r, (_put(rs, r, C), _put(rl, r, "rmHeurCommit"), ru, ts, tp,
                                                         tpend, tl, ms, cr)))
                    out.append(("RMHeuristicAbort", r, (_put(rs, r, A), _put(rl, r, "rmHeurAbort"), ru, ts, tp,
                                                        tpend, tl, ms, cr)))
            if up and ts != "idle" and cr < max_crashes:
                lost = {("Prepare", r), ("Commit", r), ("Abort", r)}
                out.append(("RMCrash", r, (rs, rl, _put(ru, r, False), ts, tp, tpend, tl, ms - lost, cr + 1)))
            if not up and ts != "idle":
                out.append(("RMRecover", r, (_put(rs, r, RESTORED[rl[r]]), rl, _put(ru, r, True), ts, tp, tpend,
                                             tl, ms, cr)))
        return out

    return init, nxt


def safety_ok(s) -> bool:
    rs, rl, ru, ts, tp, tpend, tl, ms, cr = s
    agreement = not (A in rs and C in rs)
    validity = C not in rs or all(x in VOTED_YES for x in rl)
    durable = all(rs[r] == RESTORED[rl[r]] for r in range(len(rs)))
    logged = not (ts == "tmCommitted" or any(m[0] == "Commit" for m in ms)) or tl == "logCommit"
    return agreement and validity and durable and logged


def settled(s) -> bool:
    """Termination's state predicate: the TM has decided and no RM is in doubt."""
    return s[3] in ("tmCommitted", "tmAborted") and P not in s[0]


def explore(n: int, max_crashes: int, heuristic: bool = False):
    """(distinct, generated, depth, states, graph) by breadth-first search."""
    init, nxt = model(n, max_crashes, heuristic)
    seen = {}
    graph = {}
    q = deque()
    for s in init():
        if s not in seen:
            seen[s] = 1
            q.append(s)
    generated = len(init())
    while q:
        s = q.popleft()
        succ = nxt(s)
        generated += len(succ)
        graph[s] = [t for _, _, t in succ]
        for _, _, t in succ:
            if t not in seen:
                seen[t] = seen[s] + 1
                q.append(t)
    return len(seen), generated, max(seen.values()), set(seen), graph
