"""Zab.tla (apache/zookeeper, zookeeper-specifications/protocol-spec) written directly in
Python, as an independent cross-check of state counts and BFS depths for the port of
the same spec into our language (TLC is not available here).

``zab(n, max_timeout, max_txn, max_epoch, max_restarts)`` is the spec with
``Server = {s1, ..., sn}`` and ``Parameters = [MaxTimeoutFailures |-> max_timeout,
MaxTransactionNum |-> max_txn, MaxEpoch |-> max_epoch, MaxRestarts |-> max_restarts]``
(a bound given as None is a field absent from the record: unbounded). The TLC model it
stands for is ``INIT Init``, ``NEXT Next``, ``CONSTRAINT CheckStateConstraints``, no
symmetry, every invariant below.

The bounds are strict (``CheckParameterLimit(n, p) == n < Parameters[p]``) and a state
that breaks the CONSTRAINT is discarded (neither counted nor explored), so:

* ``max_timeout = 0`` excludes even the initial state (0 states); ``1`` allows no
  Timeout and no Restart at all (each of them sets ``recorder.nTimeout`` to 1);
* ``max_restarts = 1`` allows no Restart (a Restart sets ``nRestart`` to 1);
* ``max_txn = 1`` allows no client request (``nTransaction`` becomes 1);
* ``max_epoch = 1`` allows no epoch to be established (a leader that gathers a quorum
  of CEPOCH sets its acceptedEpoch, hence ``maxEpoch``, to 1); ``2`` allows epoch 1.

Value layout (TLA+-equal values are Python-equal)
--------------------------------------------------
A state is an 18-tuple, one entry per VARIABLE in declaration order (``VARIABLES``).

* Servers are the ints ``0..n-1`` (server ``k`` is the model value ``s{k+1}``; TLC orders
  model values by name, so this is also TLC's order of Server for n <= 9).
  ``NullPoint`` is ``NULL = -1``.
* The enumerated CONSTANTS (LOOKING, ..., CEPOCH, ...) are the strings of their names.
* A function over Server (``state``, ``history``, ``learners``, ``msgs[i]``, ...) is a
  tuple indexed by server; ``msgs[i][j]`` is the channel from i to j.
* Sequences are tuples; sets are frozensets; a zxid ``<<e, c>>`` is the pair ``(e, c)``.
* Records are tuples with their fields in a fixed order, one layout per record kind:

  - transaction ``[zxid, value, ackSid, epoch]``: ``(zxid, value, ackSid, epoch)``
  - ``lastCommitted[i]`` ``[index, zxid]``: ``(index, zxid)``
  - cepochRecv element ``[sid, connected, epoch]``: ``(sid, connected, epoch)``
  - ackeRecv element ``[sid, connected, peerLastEpoch, peerHistory]``: same order
  - ackldRecv element ``[sid, connected]``: ``(sid, connected)``
  - proposalMsgsLog element ``[source, epoch, zxid, data]``: same order
  - a message is a tuple that starts with its mtype and has exactly that type's fields:
    ``(CEPOCH, mepoch)``, ``(NEWEPOCH, mepoch)``, ``(ACKEPOCH, mepoch, mhistory)``,
    ``(NEWLEADER, mepoch, mhistory)``, ``(ACKLD, mzxid)``, ``(COMMITLD, mzxid)``,
    ``(PROPOSE, mzxid, mdata)``, ``(ACK, mzxid)``, ``(COMMIT, mzxid)``
  - ``violatedInvariants``: five booleans ``(stateInconsistent, proposalInconsistent,
    commitInconsistent, ackInconsistent, messageIllegal)``
  - ``recorder``: ``(nTimeout, nTransaction, maxEpoch, nRestart, pc, nClientRequest)``
    with ``pc`` the tuple UpdateRecorder is given (``("Init",)``, ``("Timeout", i, j)``,
    ...). UpdateRecorder's ``@@`` chain yields a function with the same six keys, equal
    to a record with those fields, so one layout serves.

* ``epochLeader`` is a function over ``1..MAXEPOCH`` (MAXEPOCH = 10): a 10-tuple of
  frozensets, entry ``e - 1`` for epoch ``e``. ``[epochLeader EXCEPT ![e] = ...]`` with e
  outside 1..10 leaves it unchanged, as TLC does (it warns and skips the update).

Every CHOOSE of the spec
------------------------
TLC evaluates ``CHOOSE x \\in S : P`` by enumerating S in its normalized (sorted) order
and returning the first element satisfying P.

* ``NullPoint == CHOOSE p : p \\notin Server``: only its distinctness from every server
  matters; it is never compared by order. ``NULL = -1``.
* ``Maximum(S)`` / ``Minimum(S)`` over integers: the witness is unique.
* ``RecorderSetTransactionNum`` / ``RecorderSetMaxEpoch``: CHOOSE a server with the
  longest history' / largest acceptedEpoch'. Ties are frequent, but only the value
  (``Len(history'[s])``, ``acceptedEpoch'[s]``) is used, which is the same for every
  tied server: the maximum.
* ``RemoveCepochRecv`` / ``RemoveAckeRecv`` / ``RemoveAckldRecv`` and the Update*
  operators: ``CHOOSE s \\in set : s.sid = sid``. These sets never hold two records
  with the same sid (SwitchToLeader makes one per sid, Update/Remove replace the one
  record with that sid), so the witness is unique; ``_the_record`` raises if not.
* ``DetermineInitialHistory``: ``selected == CHOOSE ss \\in ss_set : \\A ss1 \\in ss_set
  \\ {ss} : MoreResentOrEqual(ss, ss1)``. MoreResentOrEqual is ``>=`` on
  ``(currentEpoch, lastZxid)`` (lexicographic), so the candidates are exactly the
  records with the greatest ``(currentEpoch, lastZxid)``, and TIES ARE POSSIBLE (from
  the start: the leader and a follower both at epoch 0 with empty histories; later
  any two servers with the same last zxid). The candidates differ only in ``sid``, so
  TLC's first candidate in sorted order is the one with the least sid (model values
  compare by name; sids order as our ints). We do the same: sort ss_set by
  ``(currentEpoch, lastZxid, sid)`` (TLC's record order: fields by name, then values)
  and take the first record satisfying the predicate. The tie matters: tied servers
  may hold different histories (different ``epoch`` fields of the transactions, say),
  and the chosen one becomes the leader's history. Then ``info == CHOOSE f \\in set :
  f.sid = selected.sid`` is unique.

Successors and "generated" counts
---------------------------------
One successor per (action instance, branch of a disjunction that holds), in TLC's way:
TLC enumerates a disjunction in an action by trying every disjunct, also when several
hold and give the same state. Three places of Zab.tla have a disjunction whose
disjuncts can hold together: ``\\/ ~outstanding \\/ hasCommitted`` and
``\\/ ~exist \\/ ~monotonicallyInc`` in LeaderProcessACK, ``\\/ ~allTxnsBeforeCommitted
\\/ ~hasAllQuorums`` in LeaderTryToCommit. There TLC generates the same successor once
per true disjunct, and so do we (it changes generated counts only, never distinct
states). FilterNonexistentMessage's ``\\E j`` gives one successor per j; its message-type
disjuncts exclude each other.

Everything that is a run-time error in TLC (``seq[k]`` with k outside ``1..Len(seq)``, a
CHOOSE with no witness) raises :class:`ZabEvalError` here.
"""

from __future__ import annotations

from modelcheck.model import SimpleModel, StateProperty

LOOKING, FOLLOWING, LEADING = "LOOKING", "FOLLOWING", "LEADING"
ELECTION, DISCOVERY, SYNCHRONIZATION, BROADCAST = "ELECTION", "DISCOVERY", "SYNCHRONIZATION", "BROADCAST"
CEPOCH, NEWEPOCH, ACKEPOCH, NEWLEADER, ACKLD = "CEPOCH", "NEWEPOCH", "ACKEPOCH", "NEWLEADER", "ACKLD"
COMMITLD, PROPOSE, ACK, COMMIT = "COMMITLD", "PROPOSE", "ACK", "COMMIT"

NULL = -1  # NullPoint
MAXEPOCH = 10
ZXID0 = (0, 0)
LC0 = (0, ZXID0)  # [index |-> 0, zxid |-> <<0, 0>>]

VARIABLES = (
    "state", "zabState", "acceptedEpoch", "currentEpoch", "history", "lastCommitted",
    "learners", "cepochRecv", "ackeRecv", "ackldRecv", "sendCounter",
    "connectInfo", "leaderOracle", "msgs",
    "epochLeader", "proposalMsgsLog", "violatedInvariants", "recorder",
)
(STATE, ZABSTATE, ACCEPTED, CURRENT, HISTORY, LASTCOMMITTED,
 LEARNERS, CEPOCHRECV, ACKERECV, ACKLDRECV, SENDCOUNTER,
 CONNECTINFO, ORACLE, MSGS,
 EPOCHLEADER, PROPOSALS, VIOLATED, RECORDER) = range(18)

# violatedInvariants fields
VI_STATE, VI_PROPOSAL, VI_COMMIT, VI_ACK, VI_MESSAGE = range(5)
# recorder fields
R_TIMEOUT, R_TXN, R_MAXEPOCH, R_RESTART, R_PC, R_REQUESTS = range(6)

ACTIONS = (
    "UpdateLeader", "FollowLeader", "Timeout", "Restart",
    "ConnectAndFollowerSendCEPOCH", "LeaderProcessCEPOCH", "FollowerProcessNEWEPOCH",
    "LeaderProcessACKEPOCH", "FollowerProcessNEWLEADER", "LeaderProcessACKLD",
    "FollowerProcessCOMMITLD", "LeaderProcessRequest", "LeaderBroadcastPROPOSE",
    "FollowerProcessPROPOSE", "LeaderProcessACK", "FollowerProcessCOMMIT",
    "FilterNonexistentMessage",
)

# messages a leader sends / a follower sends (FilterNonexistentMessage)
FROM_LEADER = frozenset({NEWEPOCH, NEWLEADER, COMMITLD, PROPOSE, COMMIT})
FROM_FOLLOWER = frozenset({CEPOCH, ACKEPOCH, ACKLD, ACK})


class ZabEvalError(Exception):
    """What TLC would report as an evaluation error."""


# ---------------------------------------------------------------------------- values


def _put(t: tuple, i: int, v) -> tuple:
    """[t EXCEPT ![i] = v] for a tuple indexed from 0."""
    return t[:i] + (v,) + t[i + 1:]


def seq_at(seq: tuple, k: int):
    """TLA+ ``seq[k]`` (1-based); an error outside 1..Len(seq), as in TLC."""
    if 1 <= k <= len(seq):
        return seq[k - 1]
    raise ZabEvalError(f"sequence index {k} outside 1..{len(seq)}")


def zxid_gt(z1, z2) -> bool:
    """ZxidCompare(z1, z2): z1 > z2."""
    return z1[0] > z2[0] or (z1[0] == z2[0] and z1[1] > z2[1])


def last_zxid(his: tuple):
    """LastZxidOfHistory."""
    return his[-1][0] if his else ZXID0


def zxid_to_index(his: tuple, zxid) -> int:
    """ZxidToIndex: 0 for <<0, 0>>, 1 for an empty history, the index of the only
    transaction with that zxid, -1 when several have it, Len + 1 when none has."""
    if zxid == ZXID0:
        return 0
    if not his:
        return 1
    hits = [k for k, txn in enumerate(his, 1) if txn[0] == zxid]
    if not hits:
        return len(his) + 1
    # ZxidToIndexHelper: Minimum({first, helper(rest, appeared = TRUE)}), the helper
    # giving -1 at a second occurrence and Len + 1 when there is none
    return hits[0] if len(hits) == 1 else -1


def is_next_zxid(cur, nxt) -> bool:
    return (nxt[1] == 1 and cur[0] < nxt[0]) or (nxt[1] > 1 and cur[0] == nxt[0] and cur[1] + 1 == nxt[1])


def _the_record(records, sid):
    """CHOOSE r \\in records : r.sid = sid, which must be unique here (see the docstring)."""
    found = [r for r in records if r[0] == sid]
    if len(found) != 1:
        raise ZabEvalError(f"{len(found)} records with sid {sid} in {records!r}")
    return found[0]


def _sids(records) -> frozenset:
    return frozenset(r[0] for r in records)


def _connected_sids(records) -> frozenset:
    return frozenset(r[0] for r in records if r[1])


def update_cepoch_recv(old: frozenset, sid: int, epoch: int) -> frozenset:
    new = (sid, True, epoch)
    if sid in _sids(old):
        return (old - {_the_record(old, sid)}) | {new}
    return old | {new}


def update_ackeRecv(old: frozenset, sid: int, epoch: int, his: tuple) -> frozenset:
    new = (sid, True, epoch, his)
    if sid in _sids(old):
        return (old - {_the_record(old, sid)}) | {new}
    return old | {new}


def update_ackld_recv(old: frozenset, sid: int) -> frozenset:
    new = (sid, True)
    if sid in _sids(old):
        return (old - {_the_record(old, sid)}) | {new}
    return old | {new}


def remove_recv(records: frozenset, sid: int) -> frozenset:
    """RemoveCepochRecv / RemoveAckeRecv / RemoveAckldRecv: the record of sid, if any,
    is replaced by a copy with connected = FALSE (the other fields kept)."""
    if sid not in _sids(records):
        return records
    info = _the_record(records, sid)
    return (records - {info}) | {(sid, False) + info[2:]}


def update_acksid(his: tuple, target: int, end_zxid) -> tuple:
    """UpdateAcksid: add target to ackSid of every transaction up to the first one whose
    zxid is greater than end_zxid (that one and the rest are kept as they are)."""
    out = []
    for k, (zxid, value, ack, epoch) in enumerate(his):
        if zxid_gt(zxid, end_zxid):
            return tuple(out) + his[k:]
        out.append((zxid, value, ack if target in ack else ack | {target}, epoch))
    return tuple(out)


def packets_for_checking(src: int, epoch: int, his: tuple) -> frozenset:
    """SetPacketsForChecking({}, src, epoch, his, 1, Len(his))."""
    return frozenset((src, epoch, txn[0], txn[1]) for txn in his)


def determine_initial_history(acke: frozenset) -> tuple:
    """DetermineInitialHistory on ackeRecv'[i], with TLC's CHOOSE (see the docstring)."""
    ss_set = {(a[2], last_zxid(a[3]), a[0]) for a in acke}  # (currentEpoch, lastZxid, sid)

    def more_recent_or_equal(ss1, ss2):
        return ss1[0] > ss2[0] or (ss1[0] == ss2[0] and not zxid_gt(ss2[1], ss1[1]))

    for ss in sorted(ss_set):  # TLC's order of records: fields by name, then values
        if all(more_recent_or_equal(ss, other) for other in ss_set if other != ss):
            return _the_record(acke, ss[2])[3]
    raise ZabEvalError("CHOOSE in DetermineInitialHistory found no element")


# ---------------------------------------------------------------------------- model


def zab(n: int, max_timeout: int | None = None, max_txn: int | None = None,
        max_epoch: int | None = None, max_restarts: int | None = None) -> SimpleModel:
    servers = tuple(range(n))

    def is_quorum(s) -> bool:  # s \in Quorums (s is always a subset of Server here)
        return 2 * len(s) > n

    def below(value: int, bound: int | None) -> bool:  # CheckParameterLimit
        return bound is None or value < bound

    def check_timeout(rec) -> bool:
        return below(rec[R_TIMEOUT], max_timeout)

    def check_txn(rec) -> bool:
        return below(rec[R_TXN], max_txn)

    def check_epoch(rec) -> bool:
        return below(rec[R_MAXEPOCH], max_epoch)

    def check_restart(rec) -> bool:
        return check_timeout(rec) and below(rec[R_RESTART], max_restarts)

    def check_state_constraints(s) -> bool:
        rec = s[RECORDER]
        return check_timeout(rec) and check_txn(rec) and check_epoch(rec) and check_restart(rec)

    # ---- recorder

    def update_recorder(rec, pc, history2=None, accepted2=None):
        n_timeout, n_txn, max_ep, n_restart, _, n_req = rec
        kind = pc[0]
        if kind in ("Timeout", "LeaderTimeout", "FollowerTimeout"):
            n_timeout += 1
        elif kind == "Restart":
            n_timeout += 1
            n_restart += 1
        if kind == "LeaderProcessRequest":
            n_txn = max(len(h) for h in history2)  # Len(history'[CHOOSE longest])
            n_req += 1
        if kind == "LeaderProcessCEPOCH":
            max_ep = max(accepted2)  # acceptedEpoch'[CHOOSE largest]
        return (n_timeout, n_txn, max_ep, n_restart, pc, n_req)

    # ---- network

    def m_put(msgs, i, j, q):  # [msgs EXCEPT ![i][j] = q]
        return _put(msgs, i, _put(msgs[i], j, q))

    def send(msgs, i, j, m):
        return m_put(msgs, i, j, msgs[i][j] + (m,))

    def discard(msgs, i, j):
        return m_put(msgs, i, j, msgs[i][j][1:]) if msgs[i][j] else msgs

    def tail(q):
        if not q:
            raise ZabEvalError("Tail of the empty sequence")
        return q[1:]

    def reply(msgs, i, j, m):  # EXCEPT ![j][i] = Tail(msgs[j][i]), ![i][j] = Append(msgs[i][j], m)
        return m_put(m_put(msgs, j, i, tail(msgs[j][i])), i, j, msgs[i][j] + (m,))

    def clean(msgs, i, j):  # EXCEPT ![j][i] = << >>, ![i][j] = << >>
        return m_put(m_put(msgs, j, i, ()), i, j, ())

    def clean_input_buffer(msgs, s_set):
        return tuple(tuple(() if v in s_set else msgs[s][v] for v in servers) for s in servers)

    def broadcast_row(msgs, i, m, sids, learners_i):
        return tuple(msgs[i][v] + (m,) if (v in sids and v in learners_i and v != i) else msgs[i][v]
                     for v in servers)

    def broadcast(msgs, i, m, sids, learners_i):  # Broadcast(i, m)
        return _put(msgs, i, broadcast_row(msgs, i, m, sids, learners_i))

    def discard_and_broadcast(msgs, i, j, m, sids, learners_i):
        # EXCEPT ![j][i] = Tail(msgs[j][i]), ![i] = [v |-> ... msgs[i][v] ...]
        row = broadcast_row(msgs, i, m, sids, learners_i)
        return _put(m_put(msgs, j, i, tail(msgs[j][i])), i, row)

    # ---- state switching (each returns the new values of the variables it sets)

    def follower_shutdown(st, zs, conn, i):
        return _put(st, i, LOOKING), _put(zs, i, ELECTION), _put(conn, i, NULL)

    def leader_shutdown(st, zs, conn, msgs, learners, i):
        s_set = learners[i]
        st2 = tuple(LOOKING if s in s_set else st[s] for s in servers)
        zs2 = tuple(ELECTION if s in s_set else zs[s] for s in servers)
        conn2 = tuple(NULL if s in s_set else conn[s] for s in servers)
        return st2, zs2, conn2, clean_input_buffer(msgs, s_set), _put(learners, i, frozenset())

    def remove_learner(learners, cr, ar, alr, i, j):
        return (_put(learners, i, learners[i] - {j}), _put(cr, i, remove_recv(cr[i], j)),
                _put(ar, i, remove_recv(ar[i], j)), _put(alr, i, remove_recv(alr[i], j)))

    def switch_to_leader(t, i):
        t[STATE] = _put(t[STATE], i, LEADING)
        t[ZABSTATE] = _put(t[ZABSTATE], i, DISCOVERY)
        t[LEARNERS] = _put(t[LEARNERS], i, frozenset({i}))
        t[CEPOCHRECV] = _put(t[CEPOCHRECV], i, frozenset({(i, True, t[ACCEPTED][i])}))
        t[ACKERECV] = _put(t[ACKERECV], i, frozenset({(i, True, t[CURRENT][i], t[HISTORY][i])}))
        t[ACKLDRECV] = _put(t[ACKLDRECV], i, frozenset({(i, True)}))
        t[SENDCOUNTER] = _put(t[SENDCOUNTER], i, 0)

    def flag(vi, field):  # [violatedInvariants EXCEPT !.field = TRUE]
        return _put(vi, field, True)

    # ---- Init

    def init():
        empty = frozenset()
        return [(
            (LOOKING,) * n, (ELECTION,) * n, (0,) * n, (0,) * n, ((),) * n, (LC0,) * n,
            (empty,) * n, (empty,) * n, (empty,) * n, (empty,) * n, (0,) * n,
            (NULL,) * n, NULL, tuple(((),) * n for _ in servers),
            (empty,) * MAXEPOCH, empty, (False,) * 5,
            (0, 0, 0, 0, ("Init",), 0),
        )]

    # ---- Next

    def nxt(s):
        (st, zs, ae, ce, hist, lc, learners, crecv, arecv, alrecv, sc,
         conn, oracle, msgs, el, pml, vi, rec) = s
        out = []

        def emit(name, params, t, times=1):
            t = tuple(t)
            for _ in range(times):
                out.append((name, params, t))

        for i in servers:
            # UpdateLeader(i)
            if st[i] == LOOKING and oracle != i:
                pc = ("UpdateLeader", i)
                t = list(s)
                t[ORACLE] = i
                switch_to_leader(t, i)
                t[RECORDER] = update_recorder(rec, pc)
                emit("UpdateLeader", (i,), t)

            # FollowLeader(i)
            if st[i] == LOOKING and oracle != NULL:
                pc = ("FollowLeader", i)
                t = list(s)
                if oracle == i:
                    switch_to_leader(t, i)
                else:
                    t[STATE] = _put(st, i, FOLLOWING)
                    t[ZABSTATE] = _put(zs, i, DISCOVERY)
                t[RECORDER] = update_recorder(rec, pc)
                emit("FollowLeader", (i,), t)

            # Restart(i)
            if check_restart(rec):
                t = list(s)
                ok = True
                if st[i] == LOOKING:
                    pass
                elif st[i] == FOLLOWING:
                    if conn[i] != NULL:
                        leader = conn[i]
                        if is_quorum(learners[leader] - {i}):
                            (t[LEARNERS], t[CEPOCHRECV], t[ACKERECV],
                             t[ACKLDRECV]) = remove_learner(learners, crecv, arecv, alrecv, leader, i)
                            t[STATE], t[ZABSTATE], t[CONNECTINFO] = follower_shutdown(st, zs, conn, i)
                            t[MSGS] = clean(msgs, leader, i)
                        else:
                            (t[STATE], t[ZABSTATE], t[CONNECTINFO], t[MSGS],
                             t[LEARNERS]) = leader_shutdown(st, zs, conn, msgs, learners, leader)
                    else:
                        t[STATE], t[ZABSTATE], t[CONNECTINFO] = follower_shutdown(st, zs, conn, i)
                        t[MSGS] = clean_input_buffer(msgs, {i})
                elif st[i] == LEADING:
                    (t[STATE], t[ZABSTATE], t[CONNECTINFO], t[MSGS],
                     t[LEARNERS]) = leader_shutdown(st, zs, conn, msgs, learners, i)
                else:  # pragma: no cover - state is always one of the three
                    ok = False
                if ok:
                    t[LASTCOMMITTED] = _put(lc, i, LC0)
                    t[RECORDER] = update_recorder(rec, ("Restart", i))
                    emit("Restart", (i,), t)

            # LeaderProcessRequest(i)
            if check_txn(rec) and st[i] == LEADING and zs[i] == BROADCAST:
                lz = last_zxid(hist[i])
                zxid = (lz[0], lz[1] + 1) if ce[i] == lz[0] else (ce[i], 1)  # IncZxid
                new_txn = (zxid, rec[R_REQUESTS], frozenset({i}), ce[i])
                t = list(s)
                t[HISTORY] = _put(hist, i, hist[i] + (new_txn,))
                t[RECORDER] = update_recorder(rec, ("LeaderProcessRequest", i), history2=t[HISTORY])
                emit("LeaderProcessRequest", (i,), t)

            # LeaderBroadcastPROPOSE(i)
            if st[i] == LEADING and zs[i] == BROADCAST:
                lz = last_zxid(hist[i])
                current_counter = lz[1] if lz[0] == ce[i] else 0
                if sc[i] < current_counter:
                    to_send = sc[i] + 1
                    txn = seq_at(hist[i], zxid_to_index(hist[i], (ce[i], to_send)))
                    m = (PROPOSE, txn[0], txn[1])
                    t = list(s)
                    t[SENDCOUNTER] = _put(sc, i, to_send)
                    t[MSGS] = broadcast(msgs, i, m, _connected_sids(arecv[i]), learners[i])
                    t[PROPOSALS] = pml | {(i, ce[i], txn[0], txn[1])}
                    t[RECORDER] = update_recorder(rec, ("LeaderBroadcastPROPOSE", i))
                    emit("LeaderBroadcastPROPOSE", (i,), t)

            # FilterNonexistentMessage(i): one successor per j
            for j in servers:
                if j == i or not msgs[j][i]:
                    continue
                mtype = msgs[j][i][0][0]
                if st[i] == LEADING:
                    bad = mtype in FROM_LEADER or (j not in learners[i] and mtype in FROM_FOLLOWER)
                elif st[i] == FOLLOWING:
                    bad = mtype in FROM_FOLLOWER or (conn[i] != j and mtype in FROM_LEADER)
                else:
                    bad = st[i] == LOOKING
                if bad:
                    t = list(s)
                    t[MSGS] = discard(msgs, j, i)
                    t[VIOLATED] = flag(vi, VI_MESSAGE)
                    emit("FilterNonexistentMessage", (i,), t)  # recorder UNCHANGED

            for j in servers:
                pair = (i, j)
                head = msgs[j][i][0] if msgs[j][i] else None
                mtype = head[0] if head is not None else None

                # Timeout(i, j)
                if (check_timeout(rec) and st[i] == LEADING and j in learners[i]
                        and st[j] == FOLLOWING and conn[j] == i):
                    t = list(s)
                    if is_quorum(learners[i] - {j}):
                        (t[LEARNERS], t[CEPOCHRECV], t[ACKERECV],
                         t[ACKLDRECV]) = remove_learner(learners, crecv, arecv, alrecv, i, j)
                        t[STATE], t[ZABSTATE], t[CONNECTINFO] = follower_shutdown(st, zs, conn, j)
                        t[MSGS] = clean(msgs, i, j)
                    else:
                        (t[STATE], t[ZABSTATE], t[CONNECTINFO], t[MSGS],
                         t[LEARNERS]) = leader_shutdown(st, zs, conn, msgs, learners, i)
                    t[RECORDER] = update_recorder(rec, ("Timeout", i, j))
                    emit("Timeout", pair, t)

                # ConnectAndFollowerSendCEPOCH(i, j)
                if (st[i] == LEADING and j not in learners[i] and st[j] == FOLLOWING
                        and conn[j] == NULL and oracle == i):
                    t = list(s)
                    t[LEARNERS] = _put(learners, i, learners[i] | {j})
                    t[CONNECTINFO] = _put(conn, j, i)
                    t[MSGS] = send(msgs, j, i, (CEPOCH, ae[j]))
                    t[RECORDER] = update_recorder(rec, ("ConnectAndFollowerSendCEPOCH", i, j))
                    emit("ConnectAndFollowerSendCEPOCH", pair, t)

                if head is None:
                    continue

                # LeaderProcessCEPOCH(i, j)
                if check_epoch(rec) and st[i] == LEADING and mtype == CEPOCH and j in learners[i]:
                    t = list(s)
                    new_cr = update_cepoch_recv(crecv[i], j, head[1])
                    t[CEPOCHRECV] = _put(crecv, i, new_cr)
                    if not is_quorum(_sids(crecv[i])):
                        if zs[i] != DISCOVERY:
                            t[VIOLATED] = flag(vi, VI_STATE)
                        if is_quorum(_sids(new_cr)):
                            t[ACCEPTED] = _put(ae, i, max(c[2] for c in new_cr) + 1)  # DetermineNewEpoch
                            m = (NEWEPOCH, t[ACCEPTED][i])
                            t[MSGS] = discard_and_broadcast(msgs, i, j, m, _connected_sids(new_cr), learners[i])
                        else:
                            t[MSGS] = discard(msgs, j, i)
                    else:
                        t[MSGS] = reply(msgs, i, j, (NEWEPOCH, ae[i]))
                    t[RECORDER] = update_recorder(rec, ("LeaderProcessCEPOCH", i, j), accepted2=t[ACCEPTED])
                    emit("LeaderProcessCEPOCH", pair, t)

                # FollowerProcessNEWEPOCH(i, j)
                if st[i] == FOLLOWING and mtype == NEWEPOCH and conn[i] == j:
                    t = list(s)
                    if head[1] >= ae[i]:
                        if zs[i] == DISCOVERY:
                            t[ACCEPTED] = _put(ae, i, head[1])
                            t[MSGS] = reply(msgs, i, j, (ACKEPOCH, ce[i], hist[i]))
                            t[ZABSTATE] = _put(zs, i, SYNCHRONIZATION)
                        else:
                            t[VIOLATED] = flag(vi, VI_STATE)
                            t[MSGS] = discard(msgs, j, i)
                    else:
                        leader = conn[i]
                        t[STATE], t[ZABSTATE], t[CONNECTINFO] = follower_shutdown(st, zs, conn, i)
                        t[MSGS] = clean(msgs, i, leader)
                        (t[LEARNERS], t[CEPOCHRECV], t[ACKERECV],
                         t[ACKLDRECV]) = remove_learner(learners, crecv, arecv, alrecv, leader, i)
                    t[RECORDER] = update_recorder(rec, ("FollowerProcessNEWEPOCH", i, j))
                    emit("FollowerProcessNEWEPOCH", pair, t)

                # LeaderProcessACKEPOCH(i, j)
                if st[i] == LEADING and mtype == ACKEPOCH and j in learners[i]:
                    t = list(s)
                    new_ar = update_ackeRecv(arecv[i], j, head[1], head[2])
                    t[ACKERECV] = _put(arecv, i, new_ar)
                    if is_quorum(_sids(arecv[i])):
                        to_send = hist[i]
                        t[MSGS] = reply(msgs, i, j, (NEWLEADER, ae[i], to_send))
                        t[PROPOSALS] = pml | packets_for_checking(i, ae[i], to_send)
                    else:
                        if zs[i] != DISCOVERY:
                            t[VIOLATED] = flag(vi, VI_STATE)
                        if is_quorum(_sids(new_ar)):
                            e = ae[i]
                            t[CURRENT] = _put(ce, i, e)
                            if 1 <= e <= MAXEPOCH:  # EXCEPT outside the domain: no change
                                t[EPOCHLEADER] = _put(el, e - 1, el[e - 1] | {i})
                            initial = determine_initial_history(new_ar)
                            own = tuple((txn[0], txn[1], frozenset({i}), txn[3]) for txn in initial)  # InitAcksid
                            t[HISTORY] = _put(hist, i, own)
                            t[ZABSTATE] = _put(zs, i, SYNCHRONIZATION)
                            t[MSGS] = discard_and_broadcast(msgs, i, j, (NEWLEADER, e, own),
                                                            _connected_sids(new_ar), learners[i])
                            t[PROPOSALS] = pml | packets_for_checking(i, e, own)
                        else:
                            t[MSGS] = discard(msgs, j, i)
                    t[RECORDER] = update_recorder(rec, ("LeaderProcessACKEPOCH", i, j))
                    emit("LeaderProcessACKEPOCH", pair, t)

                # FollowerProcessNEWLEADER(i, j)
                if st[i] == FOLLOWING and mtype == NEWLEADER and conn[i] == j:
                    t = list(s)
                    if ae[i] != head[1]:
                        leader = conn[i]
                        t[STATE], t[ZABSTATE], t[CONNECTINFO] = follower_shutdown(st, zs, conn, i)
                        t[MSGS] = clean(msgs, i, leader)
                        (t[LEARNERS], t[CEPOCHRECV], t[ACKERECV],
                         t[ACKLDRECV]) = remove_learner(learners, crecv, arecv, alrecv, leader, i)
                    else:
                        if zs[i] != SYNCHRONIZATION:
                            t[VIOLATED] = flag(vi, VI_STATE)
                        t[CURRENT] = _put(ce, i, ae[i])
                        t[HISTORY] = _put(hist, i, head[2])
                        t[MSGS] = reply(msgs, i, j, (ACKLD, last_zxid(head[2])))
                    t[RECORDER] = update_recorder(rec, ("FollowerProcessNEWLEADER", i, j))
                    emit("FollowerProcessNEWLEADER", pair, t)

                # LeaderProcessACKLD(i, j)
                if st[i] == LEADING and mtype == ACKLD and j in learners[i]:
                    t = list(s)
                    new_alr = update_ackld_recv(alrecv[i], j)
                    t[ACKLDRECV] = _put(alrecv, i, new_alr)
                    t[HISTORY] = _put(hist, i, update_acksid(hist[i], j, head[1]))
                    if not is_quorum(_sids(alrecv[i])):
                        if zs[i] != SYNCHRONIZATION:
                            t[VIOLATED] = flag(vi, VI_STATE)
                        if is_quorum(_sids(new_alr)):
                            lz = last_zxid(hist[i])
                            t[LASTCOMMITTED] = _put(lc, i, (len(hist[i]), lz))
                            t[ZABSTATE] = _put(zs, i, BROADCAST)
                            t[MSGS] = discard_and_broadcast(msgs, i, j, (COMMITLD, lz),
                                                            _connected_sids(new_alr), learners[i])
                        else:
                            t[MSGS] = discard(msgs, j, i)
                    else:
                        if zs[i] != BROADCAST:
                            t[VIOLATED] = flag(vi, VI_STATE)
                        t[MSGS] = reply(msgs, i, j, (COMMITLD, lc[i][1]))
                    t[RECORDER] = update_recorder(rec, ("LeaderProcessACKLD", i, j))
                    emit("LeaderProcessACKLD", pair, t)

                # FollowerProcessCOMMITLD(i, j)
                if st[i] == FOLLOWING and mtype == COMMITLD and conn[i] == j:
                    zxid = head[1]
                    index = 0 if zxid == ZXID0 else zxid_to_index(hist[i], zxid)
                    t = list(s)
                    if not (0 <= index <= len(hist[i])):
                        t[VIOLATED] = flag(vi, VI_PROPOSAL)
                    t[LASTCOMMITTED] = _put(lc, i, (index, zxid))
                    t[ZABSTATE] = _put(zs, i, BROADCAST)
                    t[MSGS] = discard(msgs, j, i)
                    t[RECORDER] = update_recorder(rec, ("FollowerProcessCOMMITLD", i, j))
                    emit("FollowerProcessCOMMITLD", pair, t)

                # FollowerProcessPROPOSE(i, j)
                if st[i] == FOLLOWING and mtype == PROPOSE and conn[i] == j:
                    zxid, data = head[1], head[2]
                    t = list(s)
                    if is_next_zxid(last_zxid(hist[i]), zxid):
                        t[HISTORY] = _put(hist, i, hist[i] + ((zxid, data, frozenset(), ce[i]),))
                        t[MSGS] = reply(msgs, i, j, (ACK, zxid))
                    else:
                        index = zxid_to_index(hist[i], zxid)
                        if not (0 < index <= len(hist[i])):
                            t[VIOLATED] = flag(vi, VI_PROPOSAL)
                        t[MSGS] = discard(msgs, j, i)
                    t[RECORDER] = update_recorder(rec, ("FollowerProcessPROPOSE", i, j))
                    emit("FollowerProcessPROPOSE", pair, t)

                # LeaderProcessACK(i, j)
                if st[i] == LEADING and mtype == ACK and j in learners[i]:
                    zxid = head[1]
                    his = hist[i]
                    index = zxid_to_index(his, zxid)
                    exist = 1 <= index <= len(his)
                    outstanding = lc[i][0] < len(his)
                    has_committed = not zxid_gt(zxid, lc[i][1])
                    acked = [k for k, txn in enumerate(his, 1) if j in txn[2]]
                    ack_index = max(acked) if acked else -1  # LastAckIndexFromFollower
                    monotonic = ack_index == -1 or ack_index + 1 == index
                    recorder2 = update_recorder(rec, ("LeaderProcessACK", i, j))
                    if exist and monotonic:
                        txn = his[index - 1]
                        txn2 = (txn[0], txn[1], txn[2] | {j}, txn[3])
                        hist2 = _put(hist, i, _put(his, index - 1, txn2))
                        # \/ ~outstanding \/ hasCommitted: one successor per true disjunct
                        times = (not outstanding) + has_committed
                        if times:
                            t = list(s)
                            t[HISTORY] = hist2
                            t[MSGS] = discard(msgs, j, i)
                            t[RECORDER] = recorder2
                            emit("LeaderProcessACK", pair, t, times)
                        if outstanding and not has_committed:
                            # LeaderTryToCommit(i, index, zxid, txn2, j)
                            all_before = lc[i][0] >= index - 1
                            has_quorum = is_quorum(txn2[2])
                            times = (not all_before) + (not has_quorum)
                            if times:
                                t = list(s)
                                t[HISTORY] = hist2
                                t[MSGS] = discard(msgs, j, i)
                                t[RECORDER] = recorder2
                                emit("LeaderProcessACK", pair, t, times)
                            if all_before and has_quorum:
                                t = list(s)
                                t[HISTORY] = hist2
                                if lc[i][0] + 1 != index:
                                    t[VIOLATED] = flag(vi, VI_COMMIT)
                                t[LASTCOMMITTED] = _put(lc, i, (index, zxid))
                                t[MSGS] = discard_and_broadcast(msgs, i, j, (COMMIT, zxid),
                                                                _connected_sids(alrecv[i]), learners[i])
                                t[RECORDER] = recorder2
                                emit("LeaderProcessACK", pair, t)
                    # \/ ~exist \/ ~monotonicallyInc: one successor per true disjunct
                    times = (not exist) + (not monotonic)
                    if times:
                        t = list(s)
                        t[VIOLATED] = flag(vi, VI_ACK)
                        t[MSGS] = discard(msgs, j, i)
                        t[RECORDER] = recorder2
                        emit("LeaderProcessACK", pair, t, times)

                # FollowerProcessCOMMIT(i, j)
                if st[i] == FOLLOWING and mtype == COMMIT and conn[i] == j:
                    t = list(s)
                    if lc[i][0] < len(hist[i]):  # pending
                        first = seq_at(hist[i], lc[i][0] + 1)
                        if first[0] != head[1]:
                            t[VIOLATED] = flag(vi, VI_COMMIT)
                        else:
                            t[LASTCOMMITTED] = _put(lc, i, (lc[i][0] + 1, first[0]))
                    t[MSGS] = discard(msgs, j, i)
                    t[RECORDER] = update_recorder(rec, ("FollowerProcessCOMMIT", i, j))
                    emit("FollowerProcessCOMMIT", pair, t)
        return out

    # ---- invariants

    def txn_eq(a, b) -> bool:  # TxnEqual on anything with zxid at [0] and value at [1]
        return a[0] == b[0] and a[1] == b[1]

    def committed(s, i) -> int:
        return s[LASTCOMMITTED][i][0]

    def should_not_be_triggered(s):
        return not any(s[VIOLATED])

    def leadership1(s):
        st, zs, ce = s[STATE], s[ZABSTATE], s[CURRENT]
        est = [i for i in servers if st[i] == LEADING and zs[i] in (SYNCHRONIZATION, BROADCAST)]
        return all(i == j for i in est for j in est if ce[i] == ce[j])

    def leadership2(s):
        return all(len(leaders) <= 1 for leaders in s[EPOCHLEADER])

    def prefix_consistency(s):
        h = s[HISTORY]
        for i in servers:
            for j in servers:
                smaller = min(committed(s, i), committed(s, j))
                if smaller == 0:
                    continue
                if not (smaller > 0 and all(txn_eq(seq_at(h[i], k), seq_at(h[j], k))
                                            for k in range(1, smaller + 1))):
                    return False
        return True

    def integrity(s):
        h, pml = s[HISTORY], s[PROPOSALS]
        for i in servers:
            if s[STATE][i] == FOLLOWING and committed(s, i) > 0:
                for k in range(1, committed(s, i) + 1):
                    txn = seq_at(h[i], k)
                    if not any(txn_eq(txn, (p[2], p[3])) for p in pml):
                        return False
        return True

    def agreement(s):
        h, st = s[HISTORY], s[STATE]
        for i in servers:
            for j in servers:
                ci, cj = committed(s, i), committed(s, j)
                if not (st[i] == FOLLOWING and ci > 0 and st[j] == FOLLOWING and cj > 0):
                    continue
                for k1 in range(1, ci + 1):
                    for k2 in range(1, cj + 1):
                        if not (any(txn_eq(seq_at(h[j], kj), seq_at(h[i], k1)) for kj in range(1, cj + 1))
                                or any(txn_eq(seq_at(h[i], ki), seq_at(h[j], k2)) for ki in range(1, ci + 1))):
                            return False
        return True

    def total_order(s):
        h = s[HISTORY]
        for i in servers:
            for j in servers:
                c1, c2 = committed(s, i), committed(s, j)
                if not (c1 >= 2 and c2 >= 2):
                    continue
                for i1 in range(1, c1):
                    for i2 in range(i1 + 1, c1 + 1):
                        b = seq_at(h[i], i2)
                        log_ok = any(txn_eq(b, seq_at(h[j], k)) for k in range(1, c2 + 1))
                        if not log_ok:
                            continue
                        a = seq_at(h[i], i1)
                        if not any(txn_eq(b, seq_at(h[j], j2))
                                   and any(txn_eq(a, seq_at(h[j], j1)) for j1 in range(1, j2))
                                   for j2 in range(1, c2 + 1)):
                            return False
        return True

    def local_primary_order(s):
        # as written: with two or more transactions, \E txn1, txn2 : TxnEqual(txn1, txn2)
        # holds with txn1 = txn2, so each conjunct holds once it is evaluated
        h, pml = s[HISTORY], s[PROPOSALS]
        for i in servers:
            for e in range(1, s[CURRENT][i] + 1):
                txns = {(p[2], p[3]) for p in pml if p[0] == i and p[1] == e}
                if len(txns) < 2:
                    continue
                ok = False
                for t1 in sorted(txns):
                    for t2 in sorted(txns):
                        if txn_eq(t1, t2):
                            ok = True
                        else:
                            pre, nxt_ = (t2, t1) if zxid_gt(t1[0], t2[0]) else (t1, t2)
                            ok = True
                            for j in servers:
                                cj = committed(s, j)
                                if cj >= 2 and any(txn_eq(seq_at(h[j], k), nxt_) for k in range(1, cj + 1)):
                                    if not any(txn_eq(seq_at(h[j], k2), nxt_) and k2 > 1
                                               and any(txn_eq(seq_at(h[j], k1), pre) for k1 in range(1, k2))
                                               for k2 in range(1, cj + 1)):
                                        ok = False
                                        break
                        if ok:
                            break
                    if ok:
                        break
                if not ok:
                    return False
        return True

    def global_primary_order(s):
        h = s[HISTORY]
        for i in servers:
            c = committed(s, i)
            if c < 2:
                continue
            for k1 in range(1, c + 1):
                for k2 in range(1, c + 1):
                    if seq_at(h[i], k1)[0][0] < seq_at(h[i], k2)[0][0] and not k1 < k2:
                        return False
        return True

    def primary_integrity(s):
        st, zs, h, ce = s[STATE], s[ZABSTATE], s[HISTORY], s[CURRENT]
        for i in servers:
            for j in servers:
                if not (st[i] == LEADING and j in s[LEARNERS][i] and st[j] == FOLLOWING
                        and s[CONNECTINFO][j] == i and zs[i] == BROADCAST and zs[j] == BROADCAST
                        and committed(s, j) >= 1):
                    continue
                for kj in range(1, committed(s, j) + 1):
                    txn = seq_at(h[j], kj)
                    if txn[0][0] >= ce[i]:
                        continue
                    if not any(txn_eq(seq_at(h[i], ki), txn) for ki in range(1, committed(s, i) + 1)):
                        return False
        return True

    invariants = (
        StateProperty("ShouldNotBeTriggered", "integrity", should_not_be_triggered, (VIOLATED,)),
        StateProperty("Leadership1", "agreement", leadership1, (STATE, ZABSTATE, CURRENT)),
        StateProperty("Leadership2", "agreement", leadership2, (EPOCHLEADER,)),
        StateProperty("PrefixConsistency", "agreement", prefix_consistency, (LASTCOMMITTED, HISTORY)),
        StateProperty("Integrity", "integrity", integrity, (STATE, LASTCOMMITTED, HISTORY, PROPOSALS)),
        StateProperty("Agreement", "agreement", agreement, (STATE, LASTCOMMITTED, HISTORY)),
        StateProperty("TotalOrder", "agreement", total_order, (LASTCOMMITTED, HISTORY)),
        StateProperty("LocalPrimaryOrder", "validity", local_primary_order,
                      (CURRENT, PROPOSALS, LASTCOMMITTED, HISTORY)),
        StateProperty("GlobalPrimaryOrder", "validity", global_primary_order, (LASTCOMMITTED, HISTORY)),
        StateProperty("PrimaryIntegrity", "integrity", primary_integrity,
                      (STATE, ZABSTATE, LEARNERS, CONNECTINFO, LASTCOMMITTED, HISTORY, CURRENT)),
    )

    bounds = [f"{k}={v}" for k, v in (("MaxTimeoutFailures", max_timeout), ("MaxTransactionNum", max_txn),
                                      ("MaxEpoch", max_epoch), ("MaxRestarts", max_restarts)) if v is not None]
    return SimpleModel(
        name=f"Zab-handwritten-{n}[" + ",".join(bounds) + "]",
        variables=VARIABLES,
        init=init,
        next=nxt,
        invariants=invariants,
        constraints=(StateProperty("CheckStateConstraints", "validity", check_state_constraints, (RECORDER,)),),
        action_names=ACTIONS,
    )
