"""The conformance harness of the reference two-phase commit: spec steps driven through
the implementation (specs/twophase/durable.mc -> reference/twophase).

A behaviour of the spec (an ITF trace written by ``modelcheck trace generate``, or steps
a Hypothesis test picks among the spec's successors) is replayed through the reference
implementation's deterministic scheduler (:class:`reference.twophase.Sim`), for one
transaction, ``t1``. For every spec step the harness

1. maps it to the one scheduler step that performs it (:data:`MAPPING`); a spec step for
   which the implementation has no such step enabled fails at once
   (``no-implementation-step``, saying what is missing);
2. takes that step and checks that it emits the events the spec step names: the action
   and its parameters, ``txn`` ``t1``, or ``null`` for a crash and restart
   (``wrong-events``);
3. compares the implementation's observable state, ``Sim.spec_state("t1")`` (every
   variable of the spec but ``msgs`` and ``crashes``), with the spec state after the step,
   variable by variable (``state-mismatch``: ``rmLog[rm1]: the spec gives rmYes, the
   implementation has rmNone``);
4. checks every internal step the implementation now has pending (what the real runtime
   takes at once: decide, send a decision, ask after a restart) against the spec: it
   must be a step the spec enables in the current state (``unexpected-step``, with the
   spec's first false guard). Such a step is then taken, as the real runtime would, so
   that the emitted trace shows it;

and at the end, or at the first failure, validates the events the implementation emitted
(per-process files merged by ``(lc, proc)``, as ``merge-traces`` and the validator do) with
:func:`modelcheck.conform.validate_trace` (configuration ``validate``, RM bound to the
trace's RMs). The result says both: the harness's first failure and the validator's
verdict, each naming the step and the reason.

How the spec's free choices become implementation choices:

- which RMs are up when the transaction begins (the initial state): the others are
  crashed before the client's request (a crash before a transaction begins is not part
  of it: the events of their restart come later);
- each RM's vote (RMPrepare or RMChooseToAbort on the same Prepare): the transfer's share
  of an RM that votes no debits more than its account holds, so the participant refuses
  it; every other share can be honoured. For an ITF trace the votes are read from the
  whole trace before TMBegin; a Hypothesis test draws them first and then offers only the
  spec steps that agree;
- the network: the scheduler keeps delivered messages deliverable (``duplicate=True``), as
  the spec's set of messages does. Before every step every process is connected to every
  live peer (:meth:`HarnessSim.connect_all`: the connection's hello, in which the
  connector learns the peer's clock). The real runtime connects when it first sends, so
  its first message after a peer's restart may be stamped before that restart and is then
  dropped as stale; with another transaction's traffic the connection may just as well be
  up already, which is the schedule the harness picks: otherwise the implementation could
  not take the spec's steps that receive such a message.

Depends on modelcheck (the compiled spec, ITF, the validator) and reference.twophase; the
reference implementation imports nothing from here or from modelcheck.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from modelcheck.conform import validate_trace
from modelcheck.dsl.explain import Explainer
from modelcheck.itf import decode
from modelcheck.types import FunT, ModelT, SetT
from reference.twophase import Bugs, Sim
from reference.twophase.trace import merge_events
from tests.helpers import DURABLE, load_spec

TXN = "t1"

#: spec action -> the scheduler step that performs it (the harness's contract, docs/conformance.md)
MAPPING = {
    "TMBegin": "request tm 0: the client's transfer request (submitted beforehand)",
    "TMRcvPrepared": "deliver rm->tm: the RM's yes vote, while the TM collects votes",
    "TMCommit": "internal tm commit t1: the decision, once every vote is in",
    "TMAbort": "timer tm vote t1: the vote timeout (a no vote would do the same)",
    "TMSendCommit": "internal tm send t1 rm when rm is owed the decision, else deliver rm->tm of its inquiry "
                    "(or late yes vote)",
    "TMSendAbort": "the same as TMSendCommit, for an aborted (or, after a restart, unknown) transaction",
    "TMCrash": "crash tm (traced as TMCrash when it restarts)",
    "TMRecover": "restart tm (traces TMCrash, TMRecover)",
    "RMPrepare": "deliver tm->rm: the Prepare, the RM's share one it can honour",
    "RMChooseToAbort": "deliver tm->rm: the Prepare, the RM's share one it must refuse",
    "RMRcvCommitMsg": "deliver tm->rm: the Commit",
    "RMRcvAbortMsg": "deliver tm->rm: the Abort",
    "RMAskOutcome": "internal rm ask t1 right after a restart, else timer rm ask t1",
    "RMHeuristicCommit": "operator rm heuristic t1 commit",
    "RMHeuristicAbort": "operator rm heuristic t1 abort",
    "RMCrash": "crash rm (traced as RMCrash when it restarts)",
    "RMRecover": "restart rm (traces RMCrash, RMRecover)",
}

#: the kinds of Failure, in the order the checks of a step run (see the module docstring)
KINDS = ("no-implementation-step", "wrong-events", "state-mismatch", "unexpected-step")


@dataclass(frozen=True)
class Failure:
    """Where and why the implementation left the spec behaviour it was driven through.

    ``step`` is the spec step (1 for the first step after the initial state, the ITF
    state's index); ``action`` the spec action instance (``RMPrepare(rm=rm1)``) or, for
    ``unexpected-step``, the step the implementation would take on its own."""

    kind: str
    step: int
    action: str
    reason: str
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        out = f"{self.kind} at spec step {self.step}, {self.action}: {self.reason}"
        return out + "".join(f"\n    {d}" for d in self.details)


class HarnessFailure(AssertionError):
    """The first failure of a replay. ``result`` (the emitted trace validated) is computed
    on first use: a Hypothesis run that shrinks a failure raises thousands of these."""

    def __init__(self, failure: Failure, replay: "Replay | None" = None):
        super().__init__(failure)
        self.failure = failure
        self._replay = replay
        self._result = None

    @property
    def result(self) -> "Result | None":
        if self._result is None and self._replay is not None:
            self._result = self._replay.finish()
        return self._result

    def __str__(self) -> str:
        text = str(self.failure)
        r = self.result
        if r is not None:
            text += f"\n  scheduler steps: {r.schedule}"
            if r.validation is not None:
                text += f"\n  the emitted trace: {describe_divergence(r)}"
        return text


@dataclass
class Result:
    steps: int                       # spec steps replayed
    schedule: list[str]              # the scheduler steps taken (Sim.history)
    events: list[dict]               # the trace events the implementation emitted
    failure: Failure | None = None
    validation: object | None = None  # modelcheck.conform.validate.ValidationResult
    spec_steps: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None and self.validation is not None and self.validation.verdict == "explained"

    @property
    def divergence(self):
        """The validator's divergence of transaction t1, if any."""
        if self.validation is None:
            return None
        for b in self.validation.behaviours:
            if b.divergence is not None:
                return b.divergence
        return None


def describe_divergence(result: Result) -> str:
    d = result.divergence
    if d is None:
        return "explained"
    return f"{d.kind} at event {d.event} ({d.proc} {d.action}): " + "; ".join(divergence_reasons(d))


def divergence_reasons(d) -> list[str]:
    """The validator's reasons, one line each: a false guard with its values, or a
    variable with the spec's and the observed value."""
    out = []
    for inst in d.instances:
        for g in inst.groups:
            for f in g.failures:
                if f.where is not None:
                    vals = ", ".join(f"{k} = {v}" for k, v in f.values[:4])
                    out.append(f"{inst.instance}: require {f.where.text} is false" + (f" ({vals})" if vals else ""))
                else:
                    out.append(f"{inst.instance}: {f.kind} {f.message}")
            for m in g.mismatches:
                for x in m:
                    out.append(f"{inst.instance}: {x.var}: the spec gives {x.expected}, observed {x.observed}")
    for o in d.obligations[:1]:
        out.extend(f"enabled: {x}" for x in o)
    for p in d.pending[:1]:
        out.extend(f"pending: {x}" for x in p)
    return out


# ----------------------------------------------------------------------------- the spec side


class SpecModel:
    """durable.mc compiled for one configuration, with what the harness needs: the RM
    names, the spec state as the scheduler's ``spec_state`` shows it, ITF decoding, the
    model used to validate the emitted trace."""

    _cache: dict = {}

    def __new__(cls, config: str | None = None, **consts):
        key = (config, tuple(sorted(consts.items())))
        obj = cls._cache.get(key)
        if obj is None:
            obj = cls._cache[key] = super().__new__(cls)
            obj._init(config, consts)
        return obj

    def _init(self, config, consts):
        self.config = config
        self.consts = dict(consts)
        self.spec = load_spec(DURABLE, config, **consts)
        self.model = self.spec.model
        m = self.model
        self.var_index = {n: i for i, n in enumerate(m.variables)}
        self.rms = list(m.var_types[self.var_index["rmState"]].dom.names)
        rm_set = tuple(self.rms)
        # implementation traces are validated as a user validates them: `--config validate`
        # (crashes unbounded, heuristic decisions allowed), RM bound to the same RMs
        self.validation_model = load_spec(DURABLE, config="validate", RM=rm_set).model
        self.explainer = Explainer(m)
        self.action_index = {a.name: i for i, a in enumerate(m.checked.actions)}

    def view(self, state: tuple) -> dict:
        """The spec state as the scheduler shows an implementation's: model values by
        name, functions over RM as dicts, msgs and crashes left out."""
        out = {}
        for name, t, v in zip(self.model.variables, self.model.var_types, state):
            if name in ("msgs", "crashes"):
                continue
            if isinstance(t, FunT) and isinstance(t.dom, ModelT):
                out[name] = {self.rms[k]: x for k, x in enumerate(v)}
            elif isinstance(t, SetT) and isinstance(t.elem, ModelT):
                out[name] = frozenset(self.rms[k] for k in v)
            else:
                out[name] = v
        return out

    def instance(self, label: int) -> tuple[str, str | None]:
        info = self.model.describe(label)
        rm = self.rms[info.values[0]] if info.values else None
        return info.action, rm

    def show(self, label: int) -> str:
        return self.model.describe(label).show()

    def enabled(self, state: tuple, action: str, rm: str | None) -> bool:
        return any(self.instance(lab) == (action, rm) for lab, _ in self.model.successors(state))

    def why_not(self, state: tuple, action: str, rm: str | None) -> str:
        """The spec's first false guard for the instance, with the values of its parts."""
        ai = self.action_index[action]
        vals = (self.rms.index(rm),) if rm is not None else ()
        for o in self.explainer.run(state, ai, vals):
            f = o.failure
            if f is not None and f.where is not None:
                values = ", ".join(f"{k} = {v}" for k, v in f.values[:4])
                return f"the spec does not enable it: require {f.where.text} is false" + (f" ({values})" if values else "")
        return "the spec does not enable it"

    def read_itf(self, path) -> tuple[tuple, list[tuple[int, tuple]]]:
        """An ITF trace of this configuration as (initial state, [(label, next state)]),
        every step checked to be a transition of the spec."""
        obj = json.loads(Path(path).read_text())
        m = self.model
        states = [tuple(decode(st[n], t) for n, t in zip(m.variables, m.var_types)) for st in obj["states"]]
        if states[0] not in set(m.initial_states()):
            raise ValueError(f"{path}: states[0] is not an initial state of the spec")
        steps = []
        for k, st in enumerate(obj["states"][1:], 1):
            action = st["mbt::actionTaken"]
            picks = st.get("mbt::nondetPicks") or {}
            want = (action, picks.get("rm"))
            for lab, t in m.successors(states[k - 1]):
                if self.instance(lab) == want and t == states[k]:
                    steps.append((lab, t))
                    break
            else:
                raise ValueError(f"{path}: states[{k}] is not a step {action}{picks} of the spec")
        return states[0], steps


# ----------------------------------------------------------------------------- the implementation side


class HarnessSim(Sim):
    """The scheduler, plus the connection hello at a moment the harness chooses."""

    def connect_all(self) -> None:
        """Every process that is up connects to every live peer it is not yet connected
        to since that peer last started: it learns the peer's clock (the hello), and its
        persisted clock follows. No protocol step, no event."""
        for a in self.names:
            pa = self.procs[a]
            if not pa.up:
                continue
            for b in self.names:
                pb = self.procs[b]
                if b != a and pb.up and self._conn.get((a, b)) != pb.incarnation:
                    self._conn[(a, b)] = pb.incarnation
                    pa.machine.observe_clock(pb.machine.lc)
                    pa.clock = pa.machine.lc


def shares(rms: list[str], no_voters: set[str]) -> dict:
    """A transfer touching every RM: a no-voter's share debits a0 by more than it holds
    (balance 100) and credits a1 as much, so it is refused; the others move 10 from the
    first yes-voter's a0 to the others' (or, alone, to its own a1)."""
    ops: dict[str, list] = {}
    yes = [r for r in rms if r not in no_voters]
    for r in rms:
        if r in no_voters:
            ops[r] = [["a0", -1000], ["a1", 1000]]
    if len(yes) == 1:
        ops[yes[0]] = [["a0", -10], ["a1", 10]]
    elif yes:
        ops[yes[0]] = [["a0", -10]]
        rest = yes[1:]
        for i, r in enumerate(rest):
            ops[r] = [["a0", 10 // len(rest) + (1 if i < 10 % len(rest) else 0)]]
    return ops


class Replay:
    """One spec behaviour driven through the implementation, step by step (see the
    module docstring). ``take(label, next_state)`` raises :class:`HarnessFailure`."""

    def __init__(self, spec: SpecModel, initial: tuple, no_voters=(), bugs: Bugs = Bugs()):
        self.spec = spec
        self.state = initial
        self.no_voters = set(no_voters)
        self.sim = HarnessSim(len(spec.rms), accounts=2, bugs=bugs, duplicate=True)
        if self.sim.rms != spec.rms:
            raise ValueError(f"the scheduler's participants {self.sim.rms} are not the spec's RMs {spec.rms}")
        self.k = 0
        self.spec_steps: list[str] = []
        self.failure: Failure | None = None
        self.begun = False
        up = spec.view(initial)["rmUp"]
        for r in spec.rms:
            if not up[r]:
                self.sim.step(f"crash {r}")
        self.sim.submit(TXN, shares(spec.rms, self.no_voters))
        self._check_state("init")

    # ------------------------------------------------------------------ the spec's choices

    def successors(self) -> list[tuple[int, tuple]]:
        """The spec's steps from the current state that agree with the vote plan."""
        out = []
        for lab, t in self.spec.model.successors(self.state):
            action, rm = self.spec.instance(lab)
            if action == "RMPrepare" and rm in self.no_voters:
                continue
            if action == "RMChooseToAbort" and rm not in self.no_voters:
                continue
            out.append((lab, t))
        return out

    # ------------------------------------------------------------------ one step

    def take(self, label: int, nxt: tuple) -> None:
        if self.failure is not None:
            raise HarnessFailure(self.failure)
        self.k += 1
        action, rm = self.spec.instance(label)
        shown = self.spec.show(label)
        self.spec_steps.append(shown)
        sim = self.sim
        sim.connect_all()
        try:
            step = self._plan(action, rm)
        except _NoStep as e:
            self._fail("no-implementation-step", shown, str(e), e.details)
        events = sim.step(step)
        if action == "TMBegin":
            self.begun = True
        got = [(e["action"], e["params"], e["txn"]) for e in events]
        want = self._expected(action, rm)
        if got != want:
            self._fail("wrong-events", shown, f"the scheduler step `{step}` emitted {_events(got)}, the spec step "
                                              f"names {_events(want)}")
        self.state = nxt
        self._check_state(shown)
        self._check_internal()

    def _fail(self, kind: str, action: str, reason: str, details=()) -> None:
        self.failure = Failure(kind, self.k, action, reason, tuple(details))
        raise HarnessFailure(self.failure, self)

    # ------------------------------------------------------------------ spec step -> scheduler step

    def _plan(self, action: str, rm: str | None) -> str:
        sim = self.sim
        tm = sim.procs["tm"]
        if action == "TMBegin":
            if not sim.requests:
                raise _NoStep("no client request is queued")
            return "request tm 0"
        if action in ("TMCrash", "RMCrash", "TMRecover", "RMRecover"):
            p = sim.procs["tm" if action.startswith("TM") else rm]
            if action.endswith("Crash"):
                if not p.up:
                    raise _NoStep(f"{p.name} is already down")
                return f"crash {p.name}"
            if p.up:
                raise _NoStep(f"{p.name} is up")
            return f"restart {p.name}"
        if action == "RMHeuristicCommit" or action == "RMHeuristicAbort":
            return f"operator {rm} heuristic {TXN} {'commit' if action.endswith('Commit') else 'abort'}"
        if action in ("TMRcvPrepared", "TMCommit", "TMAbort", "TMSendCommit", "TMSendAbort") and not tm.up:
            raise _NoStep("the coordinator is down")
        if rm is not None and action.startswith("RM") and not sim.procs[rm].up:
            raise _NoStep(f"{rm} is down")
        if action == "TMRcvPrepared":
            return self._delivery("tm", rm, "yes")
        if action == "TMCommit":
            if ("commit", TXN) in tm.machine.internal():
                return f"internal tm commit {TXN}"
            raise _NoStep("the coordinator has no pending decision to commit",
                          [f"its pending internal steps: {tm.machine.internal()}"])
        if action == "TMAbort":
            if ("vote", TXN) in tm.timers:
                return f"timer tm vote {TXN}"
            raise _NoStep("the coordinator's vote timer is not armed")
        if action in ("TMSendCommit", "TMSendAbort"):
            if ("send", TXN, rm) in tm.machine.internal():
                return f"internal tm send {TXN} {rm}"
            for kind in ("ask", "yes"):
                try:
                    return self._delivery("tm", rm, kind)
                except _NoStep:
                    pass
            raise _NoStep(f"the coordinator owes {rm} no decision and has no inquiry or vote from {rm} to answer",
                          [f"its pending internal steps: {tm.machine.internal()}"])
        if action in ("RMPrepare", "RMChooseToAbort"):
            if (action == "RMChooseToAbort") != (rm in self.no_voters):
                raise _NoStep(f"{rm}'s share of the transfer makes it vote "
                              f"{'no' if rm in self.no_voters else 'yes'}")
            return self._delivery(rm, "tm", "prepare")
        if action == "RMRcvCommitMsg":
            return self._delivery(rm, "tm", "commit")
        if action == "RMRcvAbortMsg":
            return self._delivery(rm, "tm", "abort")
        if action == "RMAskOutcome":
            p = sim.procs[rm]
            if ("ask", TXN) in p.machine.internal():
                return f"internal {rm} ask {TXN}"
            if ("ask", TXN) in p.timers:
                return f"timer {rm} ask {TXN}"
            raise _NoStep(f"{rm} has no pending inquiry and no inquiry timer armed",
                          [f"its pending internal steps: {p.machine.internal()}", f"its timers: {sorted(p.timers)}"])
        raise _NoStep(f"the harness has no mapping for the action {action}")

    def _delivery(self, dst: str, src: str, kind: str) -> str:
        sim = self.sim
        stale = []
        for s in sim.deliveries(dst, src, kind, TXN):
            msg = sim.message(s)
            if sim.machine(dst)._stale(msg):
                stale.append(f"{msg.short()} lc {msg.lc}")
                continue
            return str(s)
        why = f"no {kind} message for {TXN} from {src} to {dst} in flight"
        if stale:
            why += f" that {dst} accepts (stale, sent before its restart: {', '.join(stale)})"
        raise _NoStep(why)

    def _expected(self, action: str, rm: str | None) -> list[tuple]:
        if action in ("TMCrash", "RMCrash"):
            return []  # a killed process writes nothing: its restart traces the crash
        p = {"rm": rm} if rm is not None else {}
        if action == "TMRecover":
            return [("TMCrash", {}, None), ("TMRecover", {}, None)]
        if action == "RMRecover":
            return [("RMCrash", p, None), ("RMRecover", p, None)]
        return [(action, p, TXN)]

    # ------------------------------------------------------------------ the checks after a step

    def implementation_state(self) -> dict:
        st = self.sim.spec_state(TXN)
        if not self.begun:
            # before the request is delivered the coordinator does not know t1 (it shows
            # a transaction it does not know as presumed aborted): that is the spec's idle
            st["tmState"] = "idle" if TXN not in self.sim.machine("tm").txns else st["tmState"]
        return st

    def _check_state(self, shown: str) -> None:
        want = self.spec.view(self.state)
        got = self.implementation_state()
        diffs = []
        for var, w in want.items():
            g = got.get(var)
            if isinstance(w, dict):
                diffs.extend(f"{var}[{k}]: the spec gives {_show(w[k])}, the implementation has {_show(g.get(k))}"
                             for k in w if g.get(k) != w[k])
            elif g != w:
                diffs.append(f"{var}: the spec gives {_show(w)}, the implementation has {_show(g)}")
        if diffs:
            self._fail("state-mismatch", shown, diffs[0], diffs[1:])

    def _check_internal(self) -> None:
        """Every internal step the implementation has pending must be a spec step enabled
        now; one that is not is taken (the real runtime would) and reported."""
        sim = self.sim
        for name in sim.names:
            p = sim.procs[name]
            if not p.up:
                continue
            for st in p.machine.internal():
                inst = self._internal_instance(name, st)
                label = f"internal {name} {' '.join(map(str, st))}"
                if inst is None:
                    sim.step(label)
                    self._fail("unexpected-step", label, "an internal step of the implementation that is no action "
                                                        "of the spec (it emits no event but changes what the process "
                                                        "recovers)")
                action, rm = inst
                if not self.spec.enabled(self.state, action, rm):
                    shown = action + (f"(rm={rm})" if rm else "")
                    sim.step(label)
                    self._fail("unexpected-step", f"{label} ({shown})", self.spec.why_not(self.state, action, rm))

    def _internal_instance(self, proc: str, st: tuple) -> tuple[str, str | None] | None:
        kind = st[0]
        if proc == "tm":
            if kind == "commit":
                return "TMCommit", None
            if kind == "send":
                t = self.sim.machine("tm").txns[st[1]]
                return ("TMSendCommit" if t.state == "tmCommitted" else "TMSendAbort"), st[2]
            return None
        if kind == "ask":
            return "RMAskOutcome", proc
        if kind == "forget":
            return "RMChooseToAbort", proc  # the event it emits
        return None

    # ------------------------------------------------------------------ the end

    def finish(self, trace_file: str | Path | None = None) -> Result:
        """Validate what the implementation emitted so far and return the result. The
        per-process traces are merged by ``(lc, proc)`` (``merge_events``, what
        ``merge-traces`` writes) into ``trace_file`` (default: a scratch file, rewritten
        by every replay), which is validated as a user validates it."""
        events = list(self.sim.trace)
        validation = None
        if events:
            path = Path(trace_file) if trace_file is not None else _scratch()
            merged = merge_events(self.sim.traces_by_proc())
            path.write_text("".join(json.dumps(e) + "\n" for e in merged))
            validation = validate_trace(self.spec.validation_model, path)
        return Result(self.k, list(self.sim.history), events, self.failure, validation, list(self.spec_steps))


_SCRATCH: list[Path] = []


def _scratch() -> Path:
    if not _SCRATCH:
        d = Path(tempfile.mkdtemp(prefix="harness-twophase-"))
        atexit.register(shutil.rmtree, d, True)
        _SCRATCH.append(d / "emitted.jsonl")
    return _SCRATCH[0]


class _NoStep(Exception):
    def __init__(self, why: str, details=()):
        super().__init__(why)
        self.details = tuple(details)


def _show(v) -> str:
    if isinstance(v, frozenset):
        return "{" + ", ".join(sorted(v)) + "}"
    return str(v)


def _events(evs: list[tuple]) -> str:
    if not evs:
        return "no event"
    return ", ".join(f"{a}{'(' + ', '.join(f'{k}={v}' for k, v in p.items()) + ')' if p else ''}"
                     f"{' [txn null]' if t is None else ''}" for a, p, t in evs)


# ----------------------------------------------------------------------------- generated traces


def replay_itf(spec: SpecModel, path, bugs: Bugs = Bugs()) -> Result:
    """Drive the implementation through one ITF trace of ``spec``'s configuration. The
    result's ``failure`` is the harness's first failure (None when every step matched)
    and ``validation`` the validator's verdict on what the implementation emitted."""
    init, steps = spec.read_itf(path)
    no_voters = {spec.instance(lab)[1] for lab, _ in steps if spec.instance(lab)[0] == "RMChooseToAbort"}
    r = Replay(spec, init, no_voters, bugs)
    try:
        for lab, t in steps:
            r.take(lab, t)
    except HarnessFailure as e:
        return e.result
    return r.finish()


def generated_traces(directory) -> list[Path]:
    """The traces a ``modelcheck trace generate`` manifest lists, in its order."""
    m = json.loads(Path(directory, "manifest.json").read_text())
    return [Path(directory, t["file"]) for t in m["traces"]]


# ----------------------------------------------------------------------------- Hypothesis


#: spec actions a Hypothesis run takes as faults: one step in ten, when enabled
FAULTS = frozenset({"TMAbort", "TMCrash", "RMCrash", "RMHeuristicCommit", "RMHeuristicAbort"})


def state_machine(bugs: Bugs = Bugs(), spec: SpecModel | None = None):
    """A Hypothesis ``RuleBasedStateMachine`` that drives the implementation with the
    steps the spec enables: it draws the RMs that are down when the transaction begins
    and those that will vote no, then at every step one of the spec's successors of the
    current state (those that agree with the votes), takes it through :class:`Replay`
    (every check of the module docstring) and, at the end of each run, validates what
    the implementation emitted. A failure shrinks to a minimal schedule; the class
    attribute ``last`` is the replay of the last run, the minimal one after shrinking."""
    from hypothesis import note
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

    spec = spec or SpecModel()
    inits = list(spec.model.initial_states())
    n_labels = spec.model.static_instances()  # every action of durable.mc has constant parameter domains

    class TwoPhaseConformance(RuleBasedStateMachine):
        last: Replay | None = None

        def __init__(self):
            super().__init__()
            self.replay: Replay | None = None

        @initialize(down=st.sets(st.sampled_from(spec.rms)), no_voters=st.sets(st.sampled_from(spec.rms)))
        def begin(self, down, no_voters):
            init = next(s for s in inits if {r for r, up in spec.view(s)["rmUp"].items() if not up} == down)
            note(f"down when t1 begins: {sorted(down)}; voting no: {sorted(no_voters)}")
            self.replay = Replay(spec, init, sorted(no_voters), bugs)
            type(self).last = self.replay

        @rule(data=st.data())
        def spec_step(self, data):
            succ = self.replay.successors()
            if not succ:
                return  # the spec has nothing left to do: stuttering
            # Three kinds of step, drawn 8 : 1 : 1 (shrinking goes towards the first): the
            # protocol's own steps that change the state, those that change nothing (a
            # message received again, an inquiry already in flight), and faults (a
            # crash, the vote timeout, a heuristic decision). Uniform choices would
            # abort, crash or repeat a step almost every run before it commits.
            kinds = ([], [], [])
            for x in succ:
                kinds[2 if spec.instance(x[0])[0] in FAULTS else 1 if x[1] == self.replay.state else 0].append(x)
            # the draw names an action instance (its label, in declaration order), and the
            # step taken is the first enabled one from there on (cyclically): a draw keeps
            # its meaning when earlier steps change, which lets the shrinker delete steps
            x = data.draw(st.integers(0, n_labels - 1), label="action instance")
            k = data.draw(st.integers(0, 9), label="8: a step that changes nothing, 9: a fault")
            k = 0 if k < 8 else k - 7
            steps = kinds[k] or kinds[0] or kinds[1] or kinds[2]
            lab, t = min(steps, key=lambda s: (s[0] < x, s[0]))
            note(f"spec step {self.replay.k + 1}: {spec.show(lab)}")
            self.replay.take(lab, t)

        def teardown(self):
            if self.replay is not None and self.replay.failure is None:
                r = self.replay.finish()
                assert r.validation is None or r.validation.verdict == "explained", describe_divergence(r)

    return TwoPhaseConformance
