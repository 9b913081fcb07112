"""The history checker: is a concurrent history linearizable (or sequentially consistent)
with respect to a sequential model?

Linearizability is decided by Wing and Gong's search (1993) with Lowe's memoisation
(2017), as Porcupine does it: the operations' call and return events form one list in
time order; the search repeatedly takes a call whose operation the model accepts in the
current state, removes the call and its return from the list ("lift"), and starts again
from the head; reaching a return means its operation should have been placed already,
so the search undoes the last choice ("unlift") and tries the next call. A configuration
``(set of placed operations, model state)`` seen once is never explored again: the set is
kept as small ints used as bit sets (see ``_linearize``). An operation without a response has no return event: it may be
placed any time after its call, or never, and the search succeeds once every completed
operation is placed. The model's ``partition`` splits the history into parts checked
independently (P-compositionality, Horn and Kroening 2015), smallest first, so the first
part that fails is the smallest failing one. A model may also ``prune`` a part: drop
pending operations whose effect no response can observe (a pending read, a pending write
of a value nobody read), since each pending operation left in multiplies the
configurations.

Sequential consistency asks only for an order that keeps each process's own order: the
search state is one position per process plus the model state, memoised the same way.
It is not a local property (Herlihy and Wing 1990), so the history is not split. A
linearizable history is sequentially consistent (when its processes' operations do not
overlap), so the linearizability search runs first and its witness is taken if it keeps
each process's order. A history with stale reads (a replica behind: DDIA ch. 9) is not
linearizable, and after a stale read the sequential search can backtrack over every
interleaving of what follows; so next, for a model that names its read-only operations,
the reads that stop the linearizability search are set aside and put back into the
order where their values were current (``_reads_placed``). The sequential search runs
only when that finds no witness too.

Both searches are iterative (a history of 100,000 operations does not meet Python's
recursion limit) and keep the undo stack as a linked chain of tuples, so that the
longest prefix found is kept by reference, never copied in the loop. The clock, and the
process's memory when there is a memory limit, are read every few thousand steps: both
searches are exponential in the worst case (the sequential one on a long violated history
filled 24 GB once), and a limit reached gives ``unknown``, never a killed process.

Depends on :mod:`.core` and :mod:`modelcheck.resources`; models come from the caller.
"""

from __future__ import annotations

import gc
import heapq
import time
from dataclasses import replace
from typing import Any, Sequence

from ..resources import rss_mb
from .core import Consistency, HistoryError, HistoryResult, HistoryVerdict, Model, Op, PartFailure

__all__ = ["check_history"]

#: the clock is read once per this many search steps (a power of two, for the mask)
_CLOCK_EVERY = 4096


class _Expired(Exception):
    """A limit ran out: ``args`` are the steps taken and what ran out."""


class _Limits:
    """The time limit and the memory limit, looked at every ``_CLOCK_EVERY`` steps."""

    def __init__(self, started: float, time_limit: float | None, max_memory_mb: float | None):
        self.time_limit = time_limit
        self.deadline = None if time_limit is None else started + time_limit
        self.max_memory_mb = max_memory_mb

    def check(self, steps: int) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise _Expired(steps, f"the time limit ({self.time_limit:g} s) ran out")
        if self.max_memory_mb is not None and rss_mb() > self.max_memory_mb:
            raise _Expired(steps, f"the memory limit ({self.max_memory_mb:,.0f} MB) was reached")


def check_history(ops: Sequence[Op], model: Model, consistency: Consistency = Consistency.LINEARIZABLE,
                  time_limit: float | None = None, max_memory_mb: float | None = None) -> HistoryResult:
    """Check ``ops`` against ``model``. OK comes with a witness order per part
    (``order[key]``, op ids); VIOLATED with the smallest failing part (its longest
    ordered prefix and the operations that cannot come next); UNKNOWN when
    ``time_limit`` (seconds) ran out first, or the process's resident memory passed
    ``max_memory_mb``. Raises :class:`HistoryError` for an operation the model does
    not know."""
    started = time.monotonic()
    limits = _Limits(started, time_limit, max_memory_mb)
    ops = list(ops)
    validate = getattr(model, "validate", None)
    if validate is not None:
        for op in ops:
            validate(op)
    # The searches allocate many small acyclic tuples and keep them (the memo): the cyclic
    # garbage collector would scan the growing memo again and again for nothing (a third
    # of the time on 100,000 operations), so it is paused while they run.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        parts = model.partition(ops) or {None: ops}
        # smallest first; equal sizes by first operation, so the order is the same every run
        ordered = sorted(parts.items(), key=lambda kv: (len(kv[1]), kv[1][0].id if kv[1] else -1))
        lin = _check_parts(ops, model, Consistency.LINEARIZABLE, ordered, started, limits)
        if consistency is Consistency.LINEARIZABLE:
            return lin
        # Sequential consistency is not local (Herlihy and Wing 1990): one search over the
        # whole history. But a linearizable history whose linearization keeps each
        # process's order is sequentially consistent, and the linearizability search,
        # split by key, finds that witness much faster: it goes first.
        if lin.verdict is HistoryVerdict.UNKNOWN:
            return replace(lin, consistency=consistency)
        if lin.verdict is HistoryVerdict.OK:
            order = _merge(lin.order, ops)
            if _keeps_process_order(order, ops):
                return HistoryResult(HistoryVerdict.OK, consistency, model.name, len(ops), 1, order={None: order},
                                     reason="a linearization keeps each process's order",
                                     elapsed=time.monotonic() - started, explored=lin.explored)
        explored = lin.explored
        readonly = getattr(model, "readonly", None)
        if readonly:
            try:
                found, n, aside = _reads_placed(ops, model, readonly, limits)
            except _Expired as e:
                return HistoryResult(HistoryVerdict.UNKNOWN, consistency, model.name, len(ops), 1,
                                     reason=f"{e.args[1]} while checking the history ({len(ops)} operations) "
                                            "with its stale reads set aside",
                                     elapsed=time.monotonic() - started, explored=explored + e.args[0])
            explored += n
            if found is not None:
                return HistoryResult(HistoryVerdict.OK, consistency, model.name, len(ops), 1, order={None: found},
                                     reason=f"a linearization with {aside} read{'s' if aside != 1 else ''} set aside, each "
                                            "placed where its value was current", elapsed=time.monotonic() - started, explored=explored)
        seq = _check_parts(ops, model, consistency, [(None, ops)], started, limits)
        return replace(seq, explored=seq.explored + explored)
    finally:
        if was_enabled:
            gc.enable()


def _check_parts(ops, model, consistency, ordered, started, limits: _Limits) -> HistoryResult:
    """Check the parts ``ordered`` (``(key, ops)`` pairs) one by one, stopping at the
    first that fails or at the deadline."""
    search = _linearize if consistency is Consistency.LINEARIZABLE else _sequential
    prune = getattr(model, "prune", None)
    nparts = len(ordered)
    orders: dict = {}
    explored = 0
    for key, part in ordered:
        part = sorted(part, key=lambda o: o.id)
        # pending operations whose effect nothing observes: dropping them keeps the answer
        todo = prune(part) if prune is not None else part
        try:
            ok, info, n = search(todo, model, limits)
        except _Expired as e:
            explored += e.args[0]
            return HistoryResult(HistoryVerdict.UNKNOWN, consistency, model.name, len(ops), nparts,
                                 reason=f"{e.args[1]} while checking {_part_name(key)} ({len(part)} "
                                        f"operations); {len(orders)} of {nparts} parts checked",
                                 elapsed=time.monotonic() - started, explored=explored)
        explored += n
        if not ok:
            prefix, stuck = info
            failure = PartFailure(key, tuple(part), tuple(prefix), tuple(stuck))
            return HistoryResult(HistoryVerdict.VIOLATED, consistency, model.name, len(ops), nparts,
                                 failure=failure, order=orders, elapsed=time.monotonic() - started,
                                 explored=explored)
        orders[key] = info
    return HistoryResult(HistoryVerdict.OK, consistency, model.name, len(ops), nparts, order=orders,
                         elapsed=time.monotonic() - started, explored=explored)


def _reads_placed(ops: list[Op], model, readonly, limits: _Limits) -> tuple[list[int] | None, int, int]:
    """A sequentially consistent order found the cheap way, or ``None``; the search steps
    it took; and how many reads it set aside.

    It is made for the histories of a primary-backup system (one order of writes, reads
    served by replicas that may be behind), on which the general search backtracks over
    every interleaving of the processes after each stale read.

    1. Each part (the model's ``partition``) is linearized; a read-only operation (the
       model's ``readonly``) that stops it is set aside, until the rest is linearizable.
       A part stopped by an operation that changes the state gives up.
    2. The part orders and each process's order make a graph that must have no cycle
       (sequential consistency needs only these two; real time is dropped here).
    3. Process by process, each read set aside goes into its part's order at the earliest
       point whose state it fits and that closes no cycle: after every operation of the
       part that must precede its process's previous operation. A stale read goes back to
       where its value was current.
    4. A topological order of the graph is the witness; it is replayed on the model, and
       each process's order checked, before it is returned.

    When any step fails, the general search decides. Each step is linear in the size of
    the history, times the number of reads set aside for step 3."""
    by_id = {o.id: o for o in ops}
    parts = model.partition(ops) or {None: ops}
    prune = getattr(model, "prune", None)
    chains: dict[Any, list[int]] = {}
    aside: dict[int, Any] = {}                  # read set aside -> its part
    steps = 0
    for key, part in parts.items():
        todo = sorted(part, key=lambda o: o.id)
        todo = prune(todo) if prune is not None else todo
        while True:
            ok, info, n = _linearize(todo, model, limits)
            steps += n
            if ok:
                chains[key] = info
                break
            stuck = {oid for oid, _ in info[1]}
            if not stuck or any(by_id[oid].f not in readonly or by_id[oid].ret is None for oid in stuck):
                return None, steps, 0
            aside.update((oid, key) for oid in stuck)
            todo = [o for o in todo if o.id not in stuck]
    # the states along each part's order: states[key][g] is the state before chain[g]
    states: dict[Any, list] = {}
    for key, chain in chains.items():
        st = [model.init()]
        for oid in chain:
            st.append(model.step(st[-1], by_id[oid]))
        states[key] = st
    succ: dict[int, list[int]] = {}
    pred: dict[int, list[int]] = {}

    def edge(a: int, b: int) -> None:
        succ.setdefault(a, []).append(b)
        pred.setdefault(b, []).append(a)

    def reach(start: int, adj: dict[int, list[int]]) -> set[int]:
        seen, todo = {start}, [start]
        while todo:
            for m in adj.get(todo.pop(), ()):
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        return seen

    for chain in chains.values():
        for a, b in zip(chain, chain[1:]):
            edge(a, b)
    placed = {oid for chain in chains.values() for oid in chain}
    procs: dict[Any, list[int]] = {}
    for o in sorted(ops, key=lambda o: (o.call, o.id)):
        if o.id in placed or o.id in aside:
            procs.setdefault(o.process, []).append(o.id)
    for seq in procs.values():
        fixed = [oid for oid in seq if oid in placed]
        for a, b in zip(fixed, fixed[1:]):
            edge(a, b)
    for seq in procs.values():
        before = None                             # the process's previous operation in the graph
        for n, oid in enumerate(seq):
            if oid not in aside:
                before = oid
                continue
            after = next((x for x in seq[n + 1:] if x not in aside), None)
            key = aside[oid]
            chain, st = chains[key], states[key]
            must = reach(before, pred) if before is not None else set()
            g = 1 + max((i for i, x in enumerate(chain) if x in must), default=-1)
            later = reach(after, succ) if after is not None else set()
            while True:
                steps += 1
                if not (steps & (_CLOCK_EVERY - 1)):
                    limits.check(steps)
                if g > len(chain) or (g and chain[g - 1] in later):
                    return None, steps, 0
                s2 = model.step(st[g], by_id[oid])
                if s2 is not None:
                    if s2 != st[g]:                # not read-only after all
                        return None, steps, 0
                    break
                g += 1
            if g:
                edge(chain[g - 1], oid)
            if g < len(chain):
                edge(oid, chain[g])
            if before is not None:
                edge(before, oid)
            if after is not None:
                edge(oid, after)
            chain.insert(g, oid)
            st.insert(g, st[g])
            placed.add(oid)
            before = oid
    # a topological order, earliest invocation first among the ready
    indeg = {oid: len(pred.get(oid, ())) for oid in placed}
    ready = [(by_id[oid].call, oid) for oid, d in indeg.items() if d == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, oid = heapq.heappop(ready)
        order.append(oid)
        for m in succ.get(oid, ()):
            indeg[m] -= 1
            if indeg[m] == 0:
                heapq.heappush(ready, (by_id[m].call, m))
    if len(order) != len(placed) or not _keeps_process_order(order, ops):
        return None, steps, 0                   # a cycle, or an order the replay refuses
    state = model.init()
    for oid in order:
        state = model.step(state, by_id[oid])
        if state is None:
            return None, steps, 0
    return order, steps, len(aside)


def _keeps_process_order(order: list[int], ops: list[Op]) -> bool:
    """Whether the op ids ``order`` list each process's operations in invocation order."""
    by_id = {o.id: o for o in ops}
    last: dict = {}
    for oid in order:
        o = by_id[oid]
        prev = last.get(o.process)
        if prev is not None and (prev.call, prev.id) > (o.call, o.id):
            return False
        last[o.process] = o
    return True


def _merge(orders: dict, ops: list[Op]) -> list[int]:
    """One order of all the operations the part orders place, keeping each part's order
    and real time: it exists because linearizability is local (the union of the part
    orders and the real-time order has no cycle). Greedy: take the part head invoked
    first, which is never after a response still to come."""
    by_id = {o.id: o for o in ops}
    heads = []                                   # (call, id, part, index in part)
    for n, order in enumerate(orders.values()):
        if order:
            heads.append((by_id[order[0]].call, order[0], n, 0))
    heapq.heapify(heads)
    seqs = list(orders.values())
    out = []
    while heads:
        _, oid, n, k = heapq.heappop(heads)
        out.append(oid)
        if k + 1 < len(seqs[n]):
            nid = seqs[n][k + 1]
            heapq.heappush(heads, (by_id[nid].call, nid, n, k + 1))
    return out


def _part_name(key: Any) -> str:
    return "the history" if key is None else f"part {key!r}"


def _chain(node) -> list[int]:
    """The entries of an undo chain (tuples: entry first, parent last), oldest first."""
    out = []
    while node is not None:
        out.append(node[0])
        node = node[-1]
    out.reverse()
    return out


# ------------------------------------------------------------------ linearizability

def _linearize(ops: list[Op], model: Model, limits: _Limits):
    """Wing and Gong with Lowe's cache over one part. Returns ``(True, witness ids,
    steps)`` or ``(False, (prefix ids, stuck), steps)``."""
    n = len(ops)
    # events: (time, 0 call | 1 return, op index); calls before returns at equal times, so
    # that touching intervals count as concurrent (as Porcupine orders them)
    events = []
    for i, o in enumerate(ops):
        events.append((o.call, 0, i))
        if o.ret is not None:
            if o.ret < o.call:
                raise HistoryError(f"operation {o.id} returns ({o.ret}) before it is called ({o.call})",
                                   f"line {o.line}" if o.line else None)
            events.append((o.ret, 1, i))
    events.sort()
    m = len(events)
    head = m                                   # sentinel entry, before the first event
    nxt = list(range(1, m + 1)) + [0 if m else -1]      # entry -> next entry, -1 at the end
    if m:
        nxt[m - 1] = -1
    prv = [head] + list(range(m))                        # entry -> previous entry
    opix = [ev[2] for ev in events]             # entry -> op index
    iscall = [ev[1] == 0 for ev in events]
    match = [-1] * m                            # call entry -> its return entry (-1: pending)
    callof = [-1] * n
    for e, (_, kind, i) in enumerate(events):
        if kind == 0:
            callof[i] = e
        else:
            match[callof[i]] = e
    completed = [o.ret is not None for o in ops]
    remaining = sum(completed)
    # The placed set is two bit sets: completed operations numbered in call order, kept
    # relative to `base` (every completed operation numbered below it is placed: the
    # trailing ones are shifted out), and pending ones numbered apart. Both stay a few
    # words long however long the history, where one bit per operation would make each
    # step copy and hash the whole history's worth of bits.
    bit = [0] * n
    k = j = 0
    for i in sorted(range(n), key=lambda i: (ops[i].call, i)):
        if completed[i]:
            bit[i], k = k, k + 1
        else:
            bit[i], j = j, j + 1

    step = model.step
    state = model.init()
    base = lc = lp = 0                          # the placed set (see above)
    cache = set()
    calls = None                                # undo chain: (entry, state, base, lc, lp before, parent)
    depth = best = 0
    best_node, best_state = None, state
    steps = 0
    entry = nxt[head]
    while remaining:
        steps += 1
        if not (steps & (_CLOCK_EVERY - 1)):
            limits.check(steps)
        if entry != -1 and iscall[entry]:
            i = opix[entry]
            s2 = step(state, ops[i])
            if s2 is not None:
                if completed[i]:
                    c2 = lc | (1 << (bit[i] - base))
                    b2 = base
                    if c2 & 1:
                        t = (c2 ^ (c2 + 1)).bit_length() - 1     # trailing ones
                        c2 >>= t
                        b2 += t
                    p2 = lp
                else:
                    c2, b2, p2 = lc, base, lp | (1 << bit[i])
                key = (b2, c2, p2, s2)
                if key not in cache:
                    cache.add(key)
                    calls = (entry, state, base, lc, lp, calls)
                    state, base, lc, lp = s2, b2, c2, p2
                    # lift: take the call and its return out of the list
                    p, q = prv[entry], nxt[entry]
                    nxt[p] = q
                    if q != -1:
                        prv[q] = p
                    r = match[entry]
                    if r != -1:
                        p, q = prv[r], nxt[r]
                        nxt[p] = q
                        if q != -1:
                            prv[q] = p
                        remaining -= 1
                    depth += 1
                    if depth > best:
                        best, best_node, best_state = depth, calls, state
                    entry = nxt[head]
                    continue
            entry = nxt[entry]
        else:
            if calls is None:
                return False, _lin_failure(ops, model, opix, best_node, best_state), steps
            entry, state, base, lc, lp, calls = calls
            # unlift, in the reverse order of lift (dancing links)
            r = match[entry]
            if r != -1:
                nxt[prv[r]] = r
                if nxt[r] != -1:
                    prv[nxt[r]] = r
                remaining += 1
            nxt[prv[entry]] = entry
            if nxt[entry] != -1:
                prv[nxt[entry]] = entry
            depth -= 1
            entry = nxt[entry]
    return True, [ops[opix[e]].id for e in _chain(calls)], steps


def _lin_failure(ops, model, opix, node, state):
    """The longest prefix placed (op ids) and, after it, the operations that could come
    next in real time but that the model refuses, each with what it expected."""
    placed = [opix[e] for e in _chain(node)]
    prefix = [ops[i].id for i in placed]
    done = set(placed)
    open_ = [i for i in range(len(ops)) if i not in done]
    rets = [ops[i].ret for i in open_ if ops[i].ret is not None]
    horizon = min(rets) if rets else None
    nexts = [i for i in open_ if horizon is None or ops[i].call <= horizon]
    refused = [i for i in nexts if model.step(state, ops[i]) is None]
    # an operation the model accepts here but after which nothing fits is not the one
    # that cannot be placed; if every candidate is like that, report them all
    stuck = [(ops[i].id, model.expected(state, ops[i])) for i in (refused or nexts)]
    return prefix, stuck


# ------------------------------------------------------------------ sequential consistency

def _sequential(ops: list[Op], model: Model, limits: _Limits):
    """Depth-first search over (position per process, model state), memoised. A pending
    operation may take effect in its place or be skipped.

    Two things keep it small. An operation that leaves the state as it is (a read that
    fits) is taken at once, without trying the alternatives: in any order that places it
    later, it can be moved here (only other processes' operations lie between, and it
    changes nothing for them), so no answer is lost. And the other moves are tried in
    the order of their invocation times, so that the real-time order, a witness for any
    linearizable history, is the first one tried."""
    procs: dict[Any, list[int]] = {}
    for i in sorted(range(len(ops)), key=lambda i: (ops[i].call, ops[i].id)):
        procs.setdefault(ops[i].process, []).append(i)
    seqs = [tuple(v) for v in procs.values()]
    lens = tuple(len(s) for s in seqs)
    k = len(seqs)
    step = model.step
    start = (tuple([0] * k), model.init())
    seen = {start}

    def moves(pos, state):
        """This configuration's moves, in the order to try: ``(process, op index or -1
        for a skip, state after)``."""
        takes, skips = [], []
        for j in range(k):
            if pos[j] == lens[j]:
                continue
            i = seqs[j][pos[j]]
            o = ops[i]
            s2 = step(state, o)
            if s2 is not None:
                if s2 == state:
                    return [(j, i, s2)]
                takes.append((o.call, j, i, s2))
            if o.ret is None:
                skips.append((j, -1, state))
        takes.sort(key=lambda t: (t[0], t[1]))
        return [t[1:] for t in takes] + skips

    # frames: [positions, state, moves, next move, chain]; chain: (op index or -1, parent)
    stack = [[start[0], start[1], moves(*start), 0, None]]
    best, best_frame = -1, None
    steps = 0
    while stack:
        steps += 1
        if not (steps & (_CLOCK_EVERY - 1)):
            limits.check(steps)
        frame = stack[-1]
        pos, state, alts, m, chain = frame
        if pos == lens:
            return True, [ops[i].id for i in _seq_chain(chain) if i >= 0], steps
        if m == 0:
            depth = sum(pos)
            if depth > best:
                best, best_frame = depth, (pos, state, chain)
        while m < len(alts):
            j, i, s2 = alts[m]
            m += 1
            pos2 = pos[:j] + (pos[j] + 1,) + pos[j + 1:]
            key = (pos2, s2)
            if key in seen:
                continue
            seen.add(key)
            frame[3] = m
            stack.append([pos2, s2, moves(pos2, s2), 0, (i, chain)])
            break
        else:
            stack.pop()
    pos, state, chain = best_frame
    prefix = [ops[i].id for i in _seq_chain(chain) if i >= 0]
    nexts = [seqs[j][pos[j]] for j in range(k) if pos[j] < lens[j]]
    refused = [i for i in nexts if step(state, ops[i]) is None]
    stuck = [(ops[i].id, model.expected(state, ops[i])) for i in (refused or nexts)]
    return False, (prefix, stuck), steps


def _seq_chain(chain) -> list[int]:
    out = []
    while chain is not None:
        out.append(chain[0])
        chain = chain[1]
    out.reverse()
    return out
