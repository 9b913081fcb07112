"""Independent Python transcriptions of specs/lamport/clocks.mc and specs/lamport/tob.mc.

Written from the protocol descriptions, not from the compiled specs: states are plain
Python tuples, the search is a brute-force breadth-first search, and nothing of
``modelcheck`` is imported. They give the figures tests/specs/test_lamport_clocks.py pins:
distinct states and depth (states on the longest shortest path, the initial state
counted, as TLC counts), and for each property the length of the shortest trace to a
state violating it (the initial state counted).

Processes are 1..n; per-pair data is indexed by ``(p - 1) * n + (q - 1)``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class Search:
    distinct: int = 0
    depth: int = 0
    #: property name -> length of the shortest trace to a state violating it
    violations: dict = field(default_factory=dict)
    #: length of the shortest trace to a state with no successor at all
    deadlock: int | None = None
    #: (tob only) length of the shortest trace to a state where a broadcast message is
    #: not delivered everywhere and neither Receive nor Deliver is enabled
    stuck: int | None = None


def bfs(init, successors, invariants, admit=lambda s: True, stuck=None, max_depth=None) -> Search:
    """Every state reachable through admitted states; a state outside ``admit`` is
    dropped (not counted, not checked, not expanded), as a TLC state constraint. With
    ``max_depth``, only the states on paths of at most that many states: the shortest
    counterexamples up to that length are still exact (breadth-first), the counts are
    not the whole graph's."""
    res = Search()
    level = {s: 1 for s in init if admit(s)}
    todo = deque(level)
    while todo:
        s = todo.popleft()
        d = level[s]
        res.depth = max(res.depth, d)
        for name, ok in invariants.items():
            if name not in res.violations and not ok(s):
                res.violations[name] = d
        succ = successors(s)
        if not succ and res.deadlock is None:
            res.deadlock = d
        if stuck is not None and res.stuck is None and stuck(s):
            res.stuck = d
        if max_depth is not None and d >= max_depth:
            continue
        for t in succ:
            if t not in level and admit(t):
                level[t] = d + 1
                todo.append(t)
    res.distinct = len(level)
    return res


# ---------------------------------------------------------------- Lamport clocks
#
# state = (clock, chan, log)
#   clock: tuple of n ints
#   chan:  tuple of n*n tuples of messages (ts, src, hist), oldest first
#   log:   tuple of n tuples of events (c, past); event i of p is (p, i), i from 1


def clocks(n: int, max_events: int, no_max=False, max_no_increment=False, no_tie_break=False) -> Search:
    def ch(p, q):
        return (p - 1) * n + (q - 1)

    def history(log, p):
        ev = log[p - 1]
        return ev[-1][1] | {(p, len(ev))} if ev else frozenset()

    def new_event(s, p, c, past, chan):
        clock, _, log = s
        clock = clock[:p - 1] + (c,) + clock[p:]
        log = log[:p - 1] + (log[p - 1] + ((c, past),),) + log[p:]
        return (clock, chan, log)

    def successors(s):
        clock, chan, log = s
        out = []
        for p in range(1, n + 1):
            c = clock[p - 1] + 1
            h = history(log, p)
            out.append(new_event(s, p, c, h, chan))                       # local event
            for q in range(1, n + 1):
                if q == p:
                    continue
                m = (c, (p, len(log[p - 1]) + 1), h)                       # send to q
                k = ch(p, q)
                out.append(new_event(s, p, c, h, chan[:k] + (chan[k] + (m,),) + chan[k + 1:]))
                k = ch(q, p)                                               # receive from q
                if chan[k]:
                    ts, src, hist = chan[k][0]
                    mine = clock[p - 1]
                    if no_max:
                        c2 = mine + 1
                    elif max_no_increment:
                        c2 = max(mine, ts)
                    else:
                        c2 = max(mine, ts) + 1
                    rest = chan[:k] + (chan[k][1:],) + chan[k + 1:]
                    out.append(new_event(s, p, c2, h | hist | {src}, rest))
        return out

    def clock_of(log, e):
        return log[e[0] - 1][e[1] - 1][0]

    def events(log):
        return [(p, i) for p in range(1, n + 1) for i in range(1, len(log[p - 1]) + 1)]

    def clock_condition(s):
        log = s[2]
        return all(clock_of(log, a) < clock_of(log, b)
                   for b in events(log) for a in log[b[0] - 1][b[1] - 1][1])

    def total_order(s):
        log = s[2]

        def key(e):
            return (clock_of(log, e),) if no_tie_break else (clock_of(log, e), e[0])

        evs = events(log)
        keys = [key(e) for e in evs]
        if len(set(keys)) != len(keys):  # two distinct events tied
            return False
        return all(key(a) < key(b) for b in evs for a in log[b[0] - 1][b[1] - 1][1])

    init = [((0,) * n, ((),) * (n * n), ((),) * n)]
    return bfs(init, successors,
               {"ClockCondition": clock_condition, "TotalOrder": total_order},
               admit=lambda s: all(len(ev) <= max_events for ev in s[2]))


# ---------------------------------------------------------------- total order broadcast
#
# state = (clock, chan, heard, queue, delivered, sent, past)
#   clock:     tuple of n ints
#   chan:      tuple of n*n tuples of messages (kind, ts, id, past), oldest first;
#              kind "bcast" or "ack"; id = (sender, k) of the broadcast (acked)
#   heard:     tuple of n*n ints: heard[p][q], the latest timestamp p received from q
#   queue:     tuple of n frozensets of (ts, id)
#   delivered: tuple of n tuples of ids
#   sent:      frozenset of (ts, id, past): every broadcast
#   past:      tuple of n frozensets of ids: broadcasts in p's causal past


def tob(n: int, max_bcast: int, senders: int | None = None, no_tie_break=False, non_fifo=False,
        no_max=False, deliver_early=False, max_depth=None) -> Search:
    senders = n if senders is None else senders

    def ix(p, q):
        return (p - 1) * n + (q - 1)

    def nsent(sent, p):
        return sum(1 for (_, i, _) in sent if i[0] == p)

    def earlier(e, f):  # e before f in the delivery order
        if no_tie_break:
            return e[0] < f[0]
        return (e[0], e[1][0]) < (f[0], f[1][0])

    def heard_up_to(heard, p, q, e):  # p heard from q something stamped no earlier than e
        h = heard[ix(p, q)]
        if no_tie_break:
            return h >= e[0]
        return (h, q) >= (e[0], e[1][0])

    def put(t, i, v):
        return t[:i] + (v,) + t[i + 1:]

    def all_done(s):
        clock, chan, heard, queue, delivered, sent, past = s
        return (all(nsent(sent, p) == (max_bcast if p <= senders else 0) for p in range(1, n + 1))
                and all(len(d) == senders * max_bcast for d in delivered)
                and not any(chan))

    def receives_and_deliveries(s):
        clock, chan, heard, queue, delivered, sent, past = s
        out = []
        for p in range(1, n + 1):
            for q in range(1, n + 1):
                if q == p:
                    continue
                s_ = chan[ix(q, p)]
                for i in (range(len(s_)) if non_fifo else range(min(1, len(s_)))):
                    kind, ts, mid, mpast = s_[i]
                    c = clock[p - 1] + 1 if no_max else max(clock[p - 1], ts) + 1
                    chan2 = put(chan, ix(q, p), s_[:i] + s_[i + 1:])
                    heard2 = put(heard, ix(p, q), max(heard[ix(p, q)], ts))
                    newpast = past[p - 1] | mpast
                    queue2 = queue
                    if kind == "bcast":
                        queue2 = put(queue, p - 1, queue[p - 1] | {(ts, mid)})
                        ack = ("ack", c, mid, newpast)
                        for r in range(1, n + 1):
                            if r != p:
                                chan2 = put(chan2, ix(p, r), chan2[ix(p, r)] + (ack,))
                    out.append((put(clock, p - 1, c), chan2, heard2, queue2, delivered, sent,
                                put(past, p - 1, newpast)))
            for e in queue[p - 1]:
                if any(earlier(f, e) for f in queue[p - 1] if f != e):
                    continue
                if not deliver_early and not all(heard_up_to(heard, p, q, e)
                                                 for q in range(1, n + 1) if q != p):
                    continue
                out.append((clock, chan, heard, put(queue, p - 1, queue[p - 1] - {e}),
                            put(delivered, p - 1, delivered[p - 1] + (e[1],)), sent, past))
        return out

    def successors(s):
        clock, chan, heard, queue, delivered, sent, past = s
        out = receives_and_deliveries(s)
        for p in range(1, senders + 1):
            k = nsent(sent, p)
            if k < max_bcast:
                c = clock[p - 1] + 1
                mid = (p, k + 1)
                m = ("bcast", c, mid, past[p - 1] | {mid})  # its history, itself included
                chan2 = chan
                for q in range(1, n + 1):
                    if q != p:
                        chan2 = put(chan2, ix(p, q), chan2[ix(p, q)] + (m,))
                out.append((put(clock, p - 1, c), chan2, heard, put(queue, p - 1, queue[p - 1] | {(c, mid)}),
                            delivered, sent | {(c, mid, past[p - 1])}, put(past, p - 1, past[p - 1] | {mid})))
        if all_done(s):
            out.append(s)  # Terminated: idles
        return out

    def agreement(s):
        d = s[4]
        return all(a == b[:len(a)] or b == a[:len(b)] for a in d for b in d)

    def no_duplicate(s):
        return all(len(set(d)) == len(d) for d in s[4])

    def validity(s):
        ids = {i for (_, i, _) in s[5]}
        return all(set(d) <= ids for d in s[4])

    def causal_order(s):
        before = {i: p for (_, i, p) in s[5]}
        return all(before[d[j]] <= set(d[:j]) for d in s[4] for j in range(len(d)))

    def stuck(s):
        # Receive and Deliver are the weakly fair actions; the state graph has no cycle
        # but the Terminated self-loop (every step adds a broadcast, consumes a message
        # or delivers one), so Termination fails exactly when a reachable state has a
        # broadcast message not delivered everywhere and neither action enabled.
        ids = {i for (_, i, _) in s[5]}
        return not receives_and_deliveries(s) and any(ids - set(d) for d in s[4])

    init = [((0,) * n, ((),) * (n * n), (0,) * (n * n), (frozenset(),) * n, ((),) * n,
             frozenset(), (frozenset(),) * n)]
    return bfs(init, successors,
               {"Agreement": agreement, "NoDuplicate": no_duplicate, "Validity": validity,
                "CausalOrder": causal_order},
               stuck=stuck, max_depth=max_depth)


if __name__ == "__main__":
    import sys
    import time

    t = time.time()
    print("clocks 2/3", clocks(2, 3), time.time() - t)
    print("tob 2/1", tob(2, 1))
    print("tob 2/2", tob(2, 2))
    if "--big" in sys.argv:
        print("tob 3/1/2", tob(3, 1, 2))
