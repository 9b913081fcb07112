"""The conformance harness of the reference ZooKeeper: the ZAB core (reference/zab/core.py)
under its deterministic scheduler (reference/zab/sim.py), checked step by step against
specs/zab/zab_impl.mc (configuration ``validate``), and driven by the spec.

:class:`Driver` takes scheduler steps and, after every one, checks

1. the trace events the step emitted: from the spec states still possible, the events
   must be spec steps, in order (``unexpected-event``, with the validator's divergence:
   the first false guard and its values). A step that emits nothing is a stutter of the
   spec (an election's vote, a ping, a crash: the spec does not see them);
2. the implementation's state against the spec state reached: for every server that is
   up, ``role``, ``acceptedEpoch``, ``currentEpoch`` and its history (the zxids the core
   holds must end the spec's ``history[i]``, and the last zxids must agree: after a SNAP
   the core holds only what came after the snapshot) (``state-mismatch``: ``history[2]:
   the spec has ..., the implementation ...``). A crashed server is skipped: a crash is not
   a spec step, the spec keeps its state until ``Restart``;
3. with ``reads`` (clients that read, for the client-facing bug ``stale-own-read``, which
   leaves the protocol trace as it is): the scheduler also offers sync-reads (a ``sync``
   and, behind it on the same connection, an ``exists`` of the path of the last write
   answered), and
   each time one is answered the clients' history so far (:meth:`Sim.history`) is
   checked to be linearizable against the ZooKeeper tree (``not-linearizable``, naming
   the read and what the checker says it should have seen).

Two ways to drive it:

- :func:`follow_itf` replays a behaviour of the spec, an ITF trace written by
  ``modelcheck trace generate``: each server must take its steps of the behaviour in
  order (see the function for what may differ), found by a breadth-first search bounded
  by :data:`SEARCH_NODES` scheduler states over the scheduler's steps and the oracle's
  (:meth:`Driver.oracle_steps`: the spec's election is an oracle, so the harness decides
  elections, timeouts and broken connections). The spec is more permissive than the
  implementation on purpose (any server may lead; channels lose messages; a follower may
  send CEPOCH again): a spec step the implementation does not reach within the bound
  ends the replay with ``stuck`` saying which, and that is no conformance failure
  (refinement asks that every implementation behaviour be a spec behaviour, not the
  converse). The tests pin how many spec steps of the covering set the implementation
  takes.
- :func:`state_machine` is a Hypothesis ``RuleBasedStateMachine``: after a first election
  it draws one of the scheduler steps enabled (seven in ten a delivery, log sync or
  client write, two a timer, one a crash or a restart), takes it through the driver, and
  so every step it takes is a spec successor of the current state or a failure. A
  failure shrinks to a short schedule, which the tests pin for each seeded bug.

Depends on modelcheck (the compiled spec, ITF, the validator) and reference.zab; the
reference implementation imports nothing from here or from modelcheck.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from modelcheck.conform.events import Behaviour, Decoder, Event, read_itf
from modelcheck.conform.validate import ConformanceVerdict, Validator
from modelcheck.history.check import check_history
from modelcheck.history.core import HistoryVerdict, Op
from modelcheck.history.zktree import ZkTreeModel
from reference.zab.sim import Sim
from tests.conform.conform_helpers import ZAB_IMPL
from tests.conform.harness_twophase import divergence_reasons
from tests.helpers import load_spec

SPEC = ZAB_IMPL

#: scheduler states a search for one spec step may visit before it gives up
SEARCH_NODES = 400


@dataclass(frozen=True)
class Failure:
    """Where and why the implementation left the spec. ``step`` is the scheduler step
    (1-based) that did; ``event`` the trace event it emitted that the spec rejects (or
    after which the states differ)."""

    kind: str                        # unexpected-event | state-mismatch | not-linearizable
    step: int
    schedule_step: tuple
    event: str
    reason: str
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        out = f"{self.kind} at scheduler step {self.step} {self.schedule_step}, {self.event}: {self.reason}"
        return out + "".join(f"\n    {d}" for d in self.details)


class HarnessFailure(AssertionError):
    def __init__(self, failure: Failure, schedule: list):
        super().__init__(f"{failure}\n  schedule: {schedule}")
        self.failure = failure
        self.schedule = schedule


class SpecSide:
    """zab_impl.mc compiled once (configuration ``validate``, N servers), with the
    validator and the decoder of events."""

    def __init__(self, n: int = 3):
        self.spec = load_spec(SPEC, config="validate", N=n)
        self.model = self.spec.model
        self.validator = Validator(self.model)
        self.decoder = Decoder(self.model)
        self.var = {name: k for k, name in enumerate(self.model.variables)}

    def event(self, k: int, server: int, action: str, params: dict) -> Event:
        ai = self.decoder.action(action)
        values, known = self.decoder.params(ai, params)
        return Event(k, None, f"s{server}", None, k + 1, ai, values, known, (), ())


def show_event(action: str, params: dict) -> str:
    return f"{action}(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"


class Driver:
    """The scheduler and the spec states still possible, checked after every step."""

    def __init__(self, side: SpecSide, n: int = 3, bugs=(), seed: int = 0, oracle: bool = False,
                 reads: bool = False):
        self.side = side
        self.oracle = oracle
        self.reads = reads
        self.answered = 0               # sync-reads answered and checked
        self.sim = Sim(n, seed=seed, bugs=bugs, trace=True)
        if oracle:
            self._quiet()
        self.schedule: list = []
        self.elected = 0                # scheduler steps of the first election (elect())
        self.seen = 0                   # sim events already checked
        self.cands = list(side.validator.initial(Behaviour(None, ())))
        self._absorb(None)

    def clone(self) -> "Driver":
        d = copy.copy(self)
        d.sim = copy.deepcopy(self.sim)
        d.schedule = list(self.schedule)
        return d

    def enabled(self, faults: bool = True) -> list:
        en = self.sim.enabled(faults, reads=self.reads)
        if self.oracle:
            en = [st for st in en if st[0] != "timer"]
        return en

    def _quiet(self) -> None:
        """With the oracle, the implementation's own election and failure detection are
        switched off: its votes (NOTIFY) are dropped and its timers (vote rounds, ticks:
        PING, the timeouts that the oracle's ``timeout`` step stands for) never fire."""
        for q in self.sim.chan.values():
            if any(m.get("m") == "NOTIFY" for m in q):
                kept = [m for m in q if m.get("m") != "NOTIFY"]
                q.clear()
                q.extend(kept)

    def oracle_steps(self) -> list:
        """The spec's oracle choices, as steps of the harness: ``("elect", i, j)`` decides
        the election of a LOOKING server i for leader j (i itself: it leads), as
        zab_impl.mc's election does (fast leader election is not part of the spec: its
        votes are not traced); ``("timeout", i)`` sends a server that is not LOOKING back
        to election, as a missed tick would; ``("cut", i, j)``: the connection between i
        and j breaks, the messages in flight both ways are lost, and i hears of it (j
        hears of it by a ``cut`` of its own, or not: a half-open connection)."""
        out = []
        for i, c in self.sim.cores.items():
            if c is None:
                continue
            if c.role == "LOOKING":
                out += [("elect", i, j) for j in self.sim.ids]
            else:
                out.append(("timeout", i))
            out += [("cut", i, j) for j in self.sim.ids if j != i]
        return out

    def take(self, st: tuple) -> None:
        """Take one scheduler step (or oracle step) and check it; raises
        :class:`HarnessFailure`."""
        if st[0] in ("elect", "timeout", "cut"):
            sim, i = self.sim, st[1]
            c = sim.cores[i]
            sim.steps.append(st)
            if st[0] == "elect":
                c._decide(st[2], sim.t)
            elif st[0] == "cut":
                j = st[2]
                sim.chan[(i, j)].clear()
                sim.chan[(j, i)].clear()
                sim._perform(i, c.on_disconnect(j, sim.t))
            else:
                c._look(sim.t, "the harness: the spec's Timeout")
            sim._perform(i, c._flush())
        elif self.oracle and st[0] == "crash":
            # the peers are not told: they hear of it by a ``cut`` or a ``timeout`` of their
            # own, later (the spec's servers never learn of a crash but by a lost message);
            # the messages it sent are in flight (in the peer's socket buffer)
            self.sim.steps.append(st)
            self.sim.crash(st[1], announce=False)
        else:
            self.sim.step(st)
        if self.oracle:
            self._quiet()
        self.schedule.append(st)
        self._absorb(st)
        if self.reads:
            self.check_reads(st)

    def check_reads(self, st) -> None:
        """When a sync-read was answered since the last look: the history so far is
        linearizable, or ``not-linearizable`` naming the read."""
        answered = [op for op in self.sim.ops if op["process"].startswith("q") and op["ret"] is not None]
        if len(answered) == self.answered:
            return
        self.answered = len(answered)
        ops = [Op(k, o["process"], o["call"], o["ret"], o["f"], tuple(o["args"]), o["result"])
               for k, o in enumerate(self.sim.history(read_every_server=False))]
        r = check_history(ops, ZkTreeModel(), time_limit=30)
        assert r.verdict is not HistoryVerdict.UNKNOWN, f"the history check did not end: {r.reason}"
        if r.verdict is HistoryVerdict.OK:
            return
        f = r.failure
        bad = [ops[i] for i, _ in f.stuck] or [ops[f.ops[-1].id]]
        read = next((o for o in bad if o.process.startswith("q")), bad[0])
        expected = dict(f.stuck).get(read.id, "")
        server = self.sim.read_at.get(read.process)
        raise HarnessFailure(Failure("not-linearizable", len(self.schedule), st,
                                     f"{read.process} at s{server}: exists({read.args[0]}) -> {read.result}",
                                     f"part {f.key!r} of the clients' history is not linearizable: {expected}",
                                     tuple(f"{o.process} {o.f}{o.args} -> {o.result} [{o.call:g}, {o.ret}]"
                                           for o in f.ops)[:6]), self.schedule)

    def new_events(self) -> list:
        return self.sim.events[self.seen:]

    def _absorb(self, st) -> None:
        evs = self.sim.events[self.seen:]
        if evs:
            side = self.side
            events = tuple(side.event(self.seen + k, i, a, p) for k, (i, a, p) in enumerate(evs))
            last = {}

            def keep(k, cands):
                last["c"] = cands
            r = side.validator.validate(Behaviour(None, events), start=self.cands, on_step=keep)
            if r.verdict != ConformanceVerdict.EXPLAINED:
                d = r.divergence
                i, a, p = evs[d.event - 1] if d is not None and d.event >= 1 else evs[0]
                reasons = divergence_reasons(d) if d is not None else [r.reason or r.verdict]
                raise HarnessFailure(Failure("unexpected-event", len(self.schedule), st, f"s{i} " + show_event(a, p),
                                             reasons[0] if reasons else "the spec has no such step",
                                             tuple(reasons[1:4])), self.schedule)
            self.cands = list(last["c"])
            self.seen = len(self.sim.events)
        self._check_state(st)

    def _check_state(self, st) -> None:
        """Some spec state still possible agrees with every running server."""
        if not self.sim.events:
            return                      # nothing traced yet: the initial states
        problems = None
        for s in self.cands:
            p = self.mismatches(s)
            if not p:
                return
            problems = problems or p
        ev = self.sim.events[self.seen - 1]
        raise HarnessFailure(Failure("state-mismatch", len(self.schedule), st, f"s{ev[0]} " + show_event(*ev[1:]),
                                     problems[0], tuple(problems[1:4])), self.schedule)

    def mismatches(self, s: tuple) -> list[str]:
        v = self.side.var
        out = []
        for i, c in self.sim.cores.items():
            if c is None:
                continue
            k = i - 1
            for name, mine in (("role", c.role), ("acceptedEpoch", c.accepted), ("currentEpoch", c.current)):
                theirs = s[v[name]][k]
                if theirs != mine:
                    out.append(f"{name}[{i}]: the spec has {theirs}, the implementation {mine}")
            h = s[v["history"]][k]
            last = h[-1] if h else 0
            if last != c.last_zxid() or (c.zxids and tuple(h[-len(c.zxids):]) != tuple(c.zxids)):
                out.append(f"history[{i}]: the spec's ends {list(h[-3:])}, the implementation's "
                           f"{c.zxids[-3:]} (last zxid {c.last_zxid()})")
        return out


# ----------------------------------------------------------------------------- spec-driven replay


@dataclass
class FollowResult:
    spec_steps: int                  # steps of the ITF behaviour (but the LOOKING timeouts)
    followed: int                    # of them the implementation took
    schedule: list                   # the scheduler steps taken
    failure: Failure | None = None   # a conformance failure (the implementation left the spec)
    stuck: str | None = None         # the spec steps the search did not reach (no failure)
    searched: list[int] = field(default_factory=list)   # scheduler states visited per spec step
    driver: "Driver | None" = None   # where the replay ended (no failure)


def spec_steps(side: SpecSide, path) -> list[tuple[str, dict]]:
    """The (action, parameters) of each step of an ITF behaviour of zab_impl.mc."""
    (beh,) = read_itf(Path(path), side.model)
    acts = side.model.signature.actions
    out = []
    for ev in beh.events:
        a = acts[ev.action]
        out.append((a.name, {n: v for n, v in zip(a.params, ev.params)}))
    return out


def _heads(proj: dict) -> dict:
    return {i: q[0] for i, q in proj.items() if q}


#: spec steps the implementation takes together with the step before them (a follower's
#: CEPOCH with its FollowLeader, the PROPOSEs with the request) or on its own (the leader's
#: log sync): when the behaviour followed has another step of that server next, the
#: implementation's is an extra step, which the driver has checked to be a spec step
COMPANIONS = frozenset({"ConnectAndFollowerSendCEPOCH", "LeaderBroadcastPROPOSE", "LeaderSyncLog"})


#: steps after which a server's companion steps belong to a new role
ROLE_CHANGES = frozenset({"Timeout", "Restart", "FollowLeader", "UpdateLeader"})


def _consume(proj: dict, events: list) -> tuple[dict, bool] | None:
    """The per-server queues after the implementation's events, and whether they took a
    step of the behaviour; None when an event is not the next spec step of its server."""
    out = {i: list(q) for i, q in proj.items()}
    took = False
    for i, a, p in events:
        q = out.get(i)
        if a == "Timeout" and p["was"] == "LOOKING":
            continue                    # a new election round (after a Restart): left out
        if not q:
            continue                    # the server is past the end of the behaviour
        if q[0] != (a, p):
            if a in ROLE_CHANGES:
                return None
            # a step the behaviour does not have here: an extra (the spec's channels lose
            # messages, the implementation's receive them all; a companion step is taken
            # with the step before it), checked by the driver to be a spec step. If the
            # behaviour has the same step later in the same role, this is that one, early.
            for k, x in enumerate(q):
                if x[0] in ROLE_CHANGES:
                    break
                if x == (a, p):
                    if a not in COMPANIONS:
                        return None     # out of the server's order
                    del q[k]
                    took = True
                    break
            continue
        q.pop(0)
        took = True
    return out, took


def _relevant(st: tuple, heads: dict) -> bool:
    """Steps a search may take: a client write only towards a LeaderProcessRequest, a
    crash and a restart only towards a Restart, an oracle step only towards the election
    or Timeout it decides (at that server)."""
    kind = st[0]
    if kind in ("deliver", "fsync", "timer"):
        return True
    h = heads.get(st[1])
    if h is None:
        return False
    a, p = h
    if kind == "write":
        return a == "LeaderProcessRequest"
    if kind in ("crash", "restart"):
        return a == "Restart"
    if kind == "elect":
        return (a == "UpdateLeader" and st[2] == st[1]) or (a == "FollowLeader" and p["leader"] == st[2])
    if kind == "timeout":
        return a == "Timeout"
    if kind == "cut":
        return (a == "LeaderRemoveLearner" and p["follower"] == st[2]) or (a == "Timeout" and p["was"] == "FOLLOWING")
    return False


def follow_itf(side: SpecSide, path, n: int, bugs=(), nodes: int = SEARCH_NODES, reads: bool = False) -> FollowResult:
    """Drive the implementation through the ITF behaviour at ``path``.

    The implementation must take every server's spec steps in the behaviour's order for
    that server; the interleaving of different servers' steps may differ where the
    implementation takes two steps at once (``FollowLeader`` and its CEPOCH, a request and
    its PROPOSE): the driver checks that the order it took is a spec behaviour too. A
    ``Timeout`` of a LOOKING server (a new election round) is not traced by the
    implementation and is left out. Each step towards the next spec steps is searched
    breadth first over the scheduler's steps and the oracle's (:meth:`Driver.oracle_steps`);
    a conformance failure on the way ends the replay with ``failure``.

    With ``reads``, where the replay ends (whole or stuck) every server that serves reads
    every path whose write was acknowledged, each a sync-read (:func:`final_reads`), and
    the history is checked (``not-linearizable``)."""
    res = _follow(side, path, n, bugs, nodes)
    if reads and res.failure is None:
        try:
            final_reads(res.driver)
        except HarnessFailure as exc:
            res.failure, res.schedule = exc.failure, exc.schedule
    return res


def final_reads(drv: "Driver", limit: int = 2000) -> None:
    """Every serving server sync-reads every path whose write was acknowledged; then the
    messages and log syncs are taken (first enabled first) until none is left, each step
    checked, the history at each answer (raises :class:`HarnessFailure`)."""
    sim = drv.sim
    drv.reads = True
    paths = [op["args"][0] for op in sim.ops if op["f"] == "create" and op["ret"] is not None]
    for i in sim.ids:
        c = sim.cores.get(i)
        if c is not None and c.serving:
            for p in paths:
                drv.take(("syncread", i, p))
    for _ in range(limit):
        en = [st for st in drv.enabled(False) if st[0] in ("deliver", "fsync")]
        if not en:
            return
        drv.take(en[0])


def _follow(side: SpecSide, path, n: int, bugs, nodes: int) -> FollowResult:
    want = [(a, dict(p)) for a, p in spec_steps(side, path)]
    todo = [(a, p) for a, p in want if not (a == "Timeout" and p["was"] == "LOOKING")]
    proj = {i: [] for i in range(1, n + 1)}
    for a, p in todo:
        proj[p["i"]].append((a, p))
    drv = Driver(side, n, bugs, oracle=True)
    res = FollowResult(len(todo), 0, drv.schedule)
    while any(proj.values()):
        heads = _heads(proj)
        queue = deque([drv])
        visited = 0
        found = None
        while queue and found is None and visited < nodes:
            d = queue.popleft()
            for st in d.enabled() + d.oracle_steps():
                if not _relevant(st, heads):
                    continue
                visited += 1
                e = d.clone()
                try:
                    e.take(st)
                except HarnessFailure as exc:
                    res.failure, res.schedule = exc.failure, exc.schedule
                    res.searched.append(visited)
                    return res
                got = _consume(proj, e.sim.events[d.seen:])
                if got is None:
                    continue                    # a step of a server other than the behaviour's
                if not got[1]:
                    queue.append(e)             # no step of the behaviour yet: search on from it
                    continue
                found = (e, got[0])
                break
        res.searched.append(visited)
        if found is None:
            res.stuck = ("no scheduler steps reach any of the next spec steps within "
                         f"{visited:,} states: " + "; ".join(f"s{i} {show_event(*h)}" for i, h in heads.items()))
            res.schedule, res.driver = drv.schedule, drv
            return res
        drv, proj = found
        res.followed = len(todo) - sum(len(q) for q in proj.values())
        res.schedule = drv.schedule
    res.driver = drv
    return res


# ----------------------------------------------------------------------------- Hypothesis

FAULTS = ("crash", "restart")
CLIENT = ("write", "syncread")


def _group(st: tuple) -> int:
    return 2 if st[0] in FAULTS else 1 if st[0] == "timer" else 0


def elect(driver: Driver, limit: int = 2000) -> None:
    """The first election, through the driver (so checked), by the scheduler's own seeded
    choices among the steps that are not faults or writes, until a leader is established
    and every server serves: a Hypothesis run starts from there and spends its steps on
    the broadcast phase, crashes and the elections after them."""
    sim = driver.sim
    for _ in range(limit):
        if sim.leader() is not None and all(c is not None and c.serving for c in sim.cores.values()) \
                and not any(sim.chan.values()):
            driver.elected = len(driver.schedule)
            return
        en = [s for s in driver.enabled(False) if s[0] != "write"]
        driver.take(sim.rng.choice(en))
    raise AssertionError(f"no leader after {limit} scheduler steps")
ORDER = {"deliver": 0, "fsync": 1, "timer": 2, "write": 3, "syncread": 3, "crash": 4, "restart": 5}


def state_machine(bugs=(), n: int = 3, side: SpecSide | None = None, reads: bool = False):
    """A Hypothesis ``RuleBasedStateMachine`` over the scheduler (see the module
    docstring). Each rule draws a scheduler step: the kind (see the rule) and an index
    among the enabled steps of that kind, in a stable order (deliveries, log syncs,
    timers, writes; shrinking goes towards the first). ``last`` is the driver of the last run (the minimal one after shrinking).

    With ``reads``, a subclass with clients that read (its own rule). The base class's
    source is left as it is on purpose: with ``derandomize`` Hypothesis seeds a run from a
    digest of the machine's source, and the pinned schedules of the protocol bugs are
    what that seed shrinks to."""
    from hypothesis import note
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

    side = side or SpecSide(n)

    class ZabConformance(RuleBasedStateMachine):
        last: Driver | None = None

        def __init__(self):
            super().__init__()
            self.driver: Driver | None = None

        @initialize()
        def begin(self):
            self.driver = Driver(side, n, bugs)
            type(self).last = self.driver
            elect(self.driver)

        @rule(data=st.data())
        def step(self, data):
            en = sorted(self.driver.enabled(), key=lambda s: (ORDER[s[0]], s[1:]))
            if not en:
                return
            # seven in ten a message, log sync or write; two a timer (ticks, election
            # rounds); one a crash or restart: uniform choices spend most steps on ticks
            k = data.draw(st.integers(0, 9), label="7, 8: a timer, 9: a fault")
            kind = 2 if k == 9 else 1 if k >= 7 else 0
            pool = [s for s in en if _group(s) == kind] or en
            k = data.draw(st.integers(0, len(pool) - 1), label="which step")
            note(f"scheduler step {len(self.driver.schedule) + 1}: {pool[k]}")
            self.driver.take(pool[k])

    if not reads:
        return ZabConformance

    class ZabClients(ZabConformance):
        @initialize()
        def begin(self):
            self.driver = Driver(side, n, bugs, reads=True)
            type(self).last = self.driver
            elect(self.driver)

        @rule(data=st.data())
        def step(self, data):
            en = sorted(self.driver.enabled(), key=lambda s: (ORDER[s[0]], s[1:]))
            if not en:
                return
            # clients that read (stale-own-read, a client-facing bug): no faults, one in
            # ten a timer, one in ten a client's write or sync-read (half each), else a
            # message or a log sync: writes do not pile up ahead of the reads, and a read
            # may come while a COMMIT is still on its way
            k = data.draw(st.integers(0, 9), label="6: a client, 8: a timer")
            kind = 1 if k == 8 else 0
            pool = [s for s in en if _group(s) == kind and (s[0] in CLIENT) == (k == 6)] or \
                [s for s in en if _group(s) == kind] or en
            if k == 6:
                w = data.draw(st.booleans(), label="a sync-read, not a write")
                pool = [s for s in pool if (s[0] == "syncread") == w] or pool
            k = data.draw(st.integers(0, len(pool) - 1), label="which step")
            note(f"scheduler step {len(self.driver.schedule) + 1}: {pool[k]}")
            self.driver.take(pool[k])

    return ZabClients
