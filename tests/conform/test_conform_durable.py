"""The trace contract between the reference two-phase commit and the validator, on
specs/twophase/durable.mc (docs/traces.md, docs/conformance.md):

- process-level events (``"txn": null``: crashes and restarts) observe only what is the
  same in every transaction they join, and an observation that is not (per-transaction
  state in a process-level event) makes the transactions it does not fit diverge;
- a transaction's participants are the first-class ``participants`` field of its events
  (TMBegin's); ``meta`` is never read;
- a message is stale exactly when its send sorts before the receiver's restart in
  ``(lc, proc)`` order, and every message lost to a receiver that was down sorts before
  its restart: the restart is stamped after the clocks of the processes that send to it,
  down ones too;
- ``--complete``: a correct run that ends settled validates, with crashes or without
  (the cases durable.mc and the restart's clock used to reject: an inquiry answered,
  then the RM crashed; a message lost to a process that was down, sorted after its
  restart), and a run that stops while an in-doubt RM is still owed the outcome is a
  missing action naming the steps still due.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from modelcheck.api import load
from modelcheck.cli import main
from modelcheck.conform import validate_trace
from modelcheck.conform.events import TraceError, read_jsonl
from modelcheck.conform.validate import INCORRECT, MISSING
from reference.twophase import Sim
from reference.twophase.protocol import Deliver, Msg, transfer_ops
from reference.twophase.trace import merge_events
from tests.helpers import DURABLE, load_spec

T1 = {"rm1": [["a0", -10]], "rm2": [["a0", 4]], "rm3": [["a0", 6]]}


@pytest.fixture(scope="module")
def model():
    return load_spec(DURABLE, config="validate").model


def write(path: Path, events) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def merged(sim) -> list[dict]:
    return merge_events(sim.traces_by_proc())


def random_run(seed: int, crashes: float, transfers: int = 4, sim=Sim) -> Sim:
    s = sim(3, accounts=8)
    rng = random.Random(seed)
    for i in range(transfers):
        s.submit(f"t{i}", transfer_ops(rng, s.rms, 8))
    s.run_random(400, seed=seed, crash_weight=crashes, timer_weight=0.05)
    s.settle()
    return s


# ----------------------------------------------------------------------------- process-level events

#: what the reference implementation's process-level events observe: constants, the same
#: for every transaction (docs/traces.md)
PROCESS_LEVEL = {
    "TMCrash": {"tmState": "tmDown", "tmPrepared": {"#set": []}, "tmPending": {"#set": []}},
    "TMRecover": {"tmPrepared": {"#set": []}},
    "RMCrash": {"rmUp": {"#map": [["RM", False]]}},
    "RMRecover": {"rmUp": {"#map": [["RM", True]]}},
}


def test_process_level_events_observe_only_constants():
    seen = set()
    for seed in range(8):
        for ev in random_run(seed, crashes=0.1).trace:
            if ev["txn"] is None:
                want = json.loads(json.dumps(PROCESS_LEVEL[ev["action"]]).replace('"RM"', json.dumps(ev["proc"])))
                assert ev["state"] == want, ev
                assert ev["params"] == ({"rm": ev["proc"]} if ev["action"].startswith("RM") else {})
                seen.add(ev["action"])
            else:
                assert ev["action"] not in PROCESS_LEVEL, ev   # a crash or restart is never per transaction
    assert seen == set(PROCESS_LEVEL)


def test_those_observations_are_the_same_in_every_spec_state():
    """Why these constants, and no more, may be observed: in every reachable state of the
    spec (config small) where the action is enabled, its step gives those values, so the
    observation fits every transaction the event joins. tmState after TMRecover, for
    instance, is not one of them: it depends on the transaction's log."""
    spec = load_spec(DURABLE, config="small").model
    idx = {n: i for i, n in enumerate(spec.variables)}
    seen, todo = set(spec.initial_states()), list(spec.initial_states())
    after: dict[str, set] = {a: set() for a in PROCESS_LEVEL}
    while todo:
        s = todo.pop()
        for lab, t in spec.successors(s):
            info = spec.describe(lab)
            if info.action in ("TMCrash", "TMRecover"):
                after[info.action].add((t[idx["tmState"]], t[idx["tmPrepared"]], t[idx["tmPending"]]))
            elif info.action in ("RMCrash", "RMRecover"):
                after[info.action].add(t[idx["rmUp"]][info.values[0]])
            if t not in seen:
                seen.add(t)
                todo.append(t)
    assert after["TMCrash"] == {("tmDown", frozenset(), frozenset())}
    assert {p for _, p, _ in after["TMRecover"]} == {frozenset()}
    assert {st for st, _, _ in after["TMRecover"]} == {"tmCommitted", "tmAborted"}  # per transaction: not logged
    assert after["RMCrash"] == {False} and after["RMRecover"] == {True}


def test_per_transaction_state_in_a_process_level_event_diverges(model, tmp_path):
    """t1 commits, t2 is aborted by the vote timeout; the coordinator restarts. A TMRecover
    that logged tmState (tmCommitted is what t1 recovers into) fits t1 and not t2, whose
    log has no decision: t2 diverges there, with the variable, expected vs observed."""
    s = Sim(3)
    s.submit("t1", T1)
    s.step("request tm 0")
    s.settle()
    s.submit("t2", {"rm1": [["a1", -1]], "rm2": [["a1", 1]], "rm3": [["a1", 0]]})
    s.step("request tm 0")
    s.step("timer tm vote t2")
    s.settle()
    s.crash("tm")
    s.restart("tm")
    s.settle()
    evs = merged(s)
    assert validate_trace(model, write(tmp_path / "ok.jsonl", evs)).verdict == "explained"
    rec = next(e for e in evs if e["action"] == "TMRecover")
    rec["state"]["tmState"] = "tmCommitted"
    r = validate_trace(model, write(tmp_path / "bad.jsonl", evs))
    verdicts = {b.name: b.verdict for b in r.behaviours}
    assert verdicts == {"t1": "explained", "t2": "divergence"}
    d = next(b.divergence for b in r.behaviours if b.name == "t2")
    assert (d.kind, d.action, d.proc) == (INCORRECT, "TMRecover", "tm")
    diffs = {(x.var, x.expected, x.observed) for i in d.instances for g in i.groups for m in g.mismatches for x in m}
    assert diffs == {("tmState", "tmAborted", "tmCommitted")}


# ----------------------------------------------------------------------------- participants

def _ev(proc, lc, txn, action, params=None, state=None, **extra):
    return {"v": 1, "proc": proc, "lc": lc, "txn": txn, "action": action, "params": params or {},
            "state": state or {}, **extra}


def test_participants_field_decides_who_joins_a_process_level_event(model, tmp_path):
    """t1 lists rm1 and rm2 as participants, t2 lists rm1 only (in `participants`; t2's
    `meta.participants` naming rm2 is not read). rm2's crash and restart join t1 only,
    the coordinator's join both, and nothing joins a transaction begun after it."""
    evs = [
        _ev("tm", 1, "t1", "TMBegin", participants=["rm1", "rm2"]),
        _ev("tm", 2, "t2", "TMBegin", participants=["rm1"], meta={"participants": ["rm2"]}),
        _ev("rm2", 3, None, "RMCrash", {"rm": "rm2"}, {"rmUp": {"#map": [["rm2", False]]}}),
        _ev("rm2", 4, None, "RMRecover", {"rm": "rm2"}, {"rmUp": {"#map": [["rm2", True]]}}),
        _ev("tm", 5, None, "TMCrash"),
        _ev("tm", 6, None, "TMRecover"),
        _ev("tm", 7, "t3", "TMBegin", participants=["rm1", "rm2"]),
    ]
    bs = {b.name: [e.action for e in b.events] for b in read_jsonl(write(tmp_path / "p.jsonl", evs), model)}
    names = {i: a.name for i, a in enumerate(model.checked.actions)}
    got = {t: [names[a] for a in acts] for t, acts in bs.items()}
    assert got == {"t1": ["TMBegin", "RMCrash", "RMRecover", "TMCrash", "TMRecover"],
                   "t2": ["TMBegin", "TMCrash", "TMRecover"],
                   "t3": ["TMBegin"]}


def test_the_implementation_writes_participants_on_tmbegin():
    s = Sim(3)
    s.submit("t1", T1)
    (ev,) = s.step("request tm 0")
    assert ev["action"] == "TMBegin" and ev["participants"] == ["rm1", "rm2", "rm3"]
    assert "participants" not in ev.get("meta", {})


def test_malformed_participants_is_bad_input(model, tmp_path):
    f = write(tmp_path / "bad.jsonl", [_ev("tm", 1, "t1", "TMBegin", participants="rm1")])
    with pytest.raises(TraceError) as e:
        read_jsonl(f, model)
    assert e.value.render() == f'{f}:1: `participants` must be a list of process names, found "rm1"'


# ----------------------------------------------------------------------------- stale messages

def test_a_message_is_stale_when_its_send_sorts_before_the_restart():
    """rm1 restarts with RMRecover at lc b. Merged by (lc, proc), a send by tm at lc b
    sorts after ("rm1" < "tm"), so rm1 takes it; at lc b - 1 it sorts before: dropped.
    The coordinator, restarted at lc c, drops rm1's message at lc c (it sorts first)."""
    s = Sim(3)
    s.submit("t1", T1)
    s.step("request tm 0")
    s.deliver("rm1", "tm", "prepare")
    s.crash("rm1")
    s.restart("rm1")
    rm1 = s.machine("rm1")
    b = rm1.boot_lc
    assert [e["lc"] for e in s.trace if e["action"] == "RMRecover"] == [b]
    assert rm1.handle(Deliver(Msg("abort", "t1", "tm", "rm1", b - 1)))[0].text.startswith("dropped abort(t1)")
    (ev,) = [e.event for e in rm1.handle(Deliver(Msg("abort", "t1", "tm", "rm1", b))) if hasattr(e, "event")]
    assert ev["action"] == "RMRcvAbortMsg"
    s.crash("tm")
    s.restart("tm")
    tm = s.machine("tm")
    eff = tm.handle(Deliver(Msg("ask", "t1", "rm1", "tm", tm.boot_lc)))
    assert [type(e).__name__ for e in eff] == ["Note"] and eff[0].text.startswith("dropped ask(t1)")


# ----------------------------------------------------------------------------- --complete

def _inquiry_then_crash() -> Sim:
    """Every RM votes yes; the coordinator crashes before deciding and restarts (presumed
    abort: it knows nobody to tell). rm1 asks, is answered abort, aborts, then crashes and
    restarts. Then everything settles (rm2 and rm3 ask and abort). rm1's first inquiry
    is stamped before the coordinator's restart (it learns the new clock from the hello
    of that connection) and is dropped as stale; the second is answered."""
    s = Sim(3)
    s.submit("t1", T1)
    s.step("request tm 0")
    for rm in ("rm1", "rm2", "rm3"):
        s.deliver(rm, "tm", "prepare")
    s.crash("tm")
    s.restart("tm")
    for _ in range(2):
        s.step("timer rm1 ask t1")
        s.deliver("tm", "rm1", "ask")
    s.deliver("rm1", "tm", "abort")
    s.crash("rm1")
    s.restart("rm1")
    s.settle()
    return s


def test_complete_run_after_an_inquiry_validates(model, tmp_path):
    """The case --complete used to reject: after rm1's inquiry was answered, Ask(rm1)
    stayed in msgs and rm1's crash dropped Abort(rm1), so weak fairness obliged the TM to
    send it again, which the implementation rightly does not do (rm1 has decided). With
    the decision to a decided RM not kept (sendDecision), the run validates; with the
    old definition of the send, the same trace is a missing action naming that resend."""
    s = _inquiry_then_crash()
    assert s.outcomes()["t1"] == dict.fromkeys(("rm1", "rm2", "rm3"), "aborted")
    f = write(tmp_path / "run.jsonl", merged(s))
    assert validate_trace(model, f, complete=True).verdict == "explained"
    text = Path(DURABLE).read_text()
    old = text.replace("if rmUp[r] and not decided(rmState[r]) then msgs union {m} else msgs",
                       "if rmUp[r] then msgs union {m} else msgs")
    assert old != text
    old_model = load(DURABLE, config="validate", text=old).model
    (b,) = validate_trace(old_model, f, complete=True).behaviours
    assert b.divergence.kind == MISSING
    assert {x for o in b.divergence.obligations for x in o} == {"TMSendAbort(rm=rm1) (weak TMSendAbort(*))"}


def test_complete_runs_without_crashes_validate(model, tmp_path):
    """Random schedules with vote timeouts and inquiries but no crash, run until nothing
    is in doubt: every transaction validates with --complete."""
    for seed in range(12):
        s = random_run(seed, crashes=0.0)
        r = validate_trace(model, write(tmp_path / f"r{seed}.jsonl", merged(s)), complete=True)
        assert r.verdict == "explained", (seed, [b.divergence for b in r.behaviours if b.divergence][:1])
        assert len(r.behaviours) == 4


def test_complete_reports_an_in_doubt_participant_still_owed_the_outcome(model, tmp_path, capsys):
    """The coordinator crashed before deciding and restarted; every RM voted yes and is in
    doubt, and the trace stops before any of them asks: a missing action, at the end of
    the trace, naming the inquiry each RM still has to make and the property it leaves
    pending. Once they have asked and learnt the outcome, the same run validates."""
    s = Sim(3)
    s.submit("t1", T1)
    s.step("request tm 0")
    for rm in ("rm1", "rm2", "rm3"):
        s.deliver(rm, "tm", "prepare")
    s.crash("tm")
    s.restart("tm")
    f = write(tmp_path / "stopped.jsonl", merged(s))
    assert validate_trace(model, f).verdict == "explained"          # as a prefix it is fine
    (b,) = validate_trace(model, f, complete=True).behaviours
    d = b.divergence
    assert (d.kind, d.event, d.action) == (MISSING, b.events + 1, "end of trace")
    assert d.obligations == (tuple(f"RMAskOutcome(rm={r}) (weak RMAskOutcome(*))" for r in ("rm1", "rm2", "rm3")),)
    assert d.pending == (("Termination [termination]",),)
    # the command line says the same to a user
    assert main(["trace", "validate", DURABLE, str(f), "--config", "validate", "--complete"]) == 1
    out = capsys.readouterr().out
    assert "DIVERGENCE at the end: missing-action" in out
    assert "      enabled: RMAskOutcome(rm=rm1) (weak RMAskOutcome(*))\n" in out
    assert "      pending: Termination [termination]" in out
    s.settle()
    assert validate_trace(model, write(tmp_path / "settled.jsonl", merged(s)), complete=True).verdict == "explained"


# ----------------------------------------------------------------------------- restarts and lost messages

class OwnClockSim(Sim):
    """The scheduler with the restart stamped from the restarting process's own clock
    only (``peer_clock`` ignored): the rule before the restart learnt its peers' clocks."""

    def _machine(self, name, tracing=None):
        m = super()._machine(name, tracing)
        start = m.start
        m.start = lambda records, clock=0, traced_lc=0, peer_clock=0: start(records, clock, traced_lc)
        return m


#: the runs of the tests below: 60 seeds, crash weight 0.03 (the figures quoted in
#: docs/conformance.md come from these)
SEEDS = range(60)


def test_every_lost_message_sorts_before_the_receivers_restart():
    """The invariant the restart's clock is chosen for. A message sent to a process that
    is down, or on its way when it crashes, is lost; in the merged order its send must
    come before the receiver's next restart (RMRecover / TMRecover), where the spec loses
    it too. The restart is stamped after the clocks of the processes that send to it, and
    a send carries at most its sender's clock, so it does. Not vacuous: most of these
    messages carry an lc at or above the receiver's crash event plus one, where the
    restart stamped from the receiver's own clock (crash + 1) was put, after them."""
    lost = after_old_rule = 0
    for seed in SEEDS:
        s = random_run(seed, crashes=0.03)
        at = {(e["proc"], e["lc"]): i for i, e in enumerate(s.trace)}
        for m in s.lost:
            i = at[(m.src, m.lc)]          # the send's event: same process, same lc
            rec = next(j for j in range(i + 1, len(s.trace))
                       if s.trace[j]["proc"] == m.dst and s.trace[j]["action"] in ("RMRecover", "TMRecover"))
            crash = s.trace[rec - 1]
            assert crash["proc"] == m.dst and crash["action"] in ("RMCrash", "TMCrash")
            assert (m.lc, m.src) < (s.trace[rec]["lc"], m.dst), (seed, m, s.trace[rec])
            lost += 1
            after_old_rule += (m.lc, m.src) > (crash["lc"] + 1, m.dst)
    assert lost >= 100 and after_old_rule >= lost // 4, (lost, after_old_rule)


def test_complete_runs_with_crashes_validate(model, tmp_path):
    """60 random schedules with crashes, settled at the end: every transaction validates
    with --complete. The same schedules with restarts stamped from the process's own
    clock (OwnClockSim) do not all: a message that found its receiver down sorts after
    the receiver's restart, and the spec, with that process up, owes its receipt (6 of
    these 60 runs when this was written; RMPrepare or RMRcvAbortMsg of the RM that was
    down is what is due)."""
    crashes = begun = 0
    for seed in SEEDS:
        s = random_run(seed, crashes=0.03)
        r = validate_trace(model, write(tmp_path / f"r{seed}.jsonl", merged(s)), complete=True)
        assert r.verdict == "explained", (seed, [b.divergence for b in r.behaviours if b.divergence][:1])
        crashes += sum(e["action"] in ("TMCrash", "RMCrash") for e in s.trace)
        begun += len(r.behaviours)
    assert crashes >= 100 and begun == 4 * len(SEEDS), (crashes, begun)
    old = []
    for seed in SEEDS:
        r = validate_trace(model, write(tmp_path / f"o{seed}.jsonl", merged(random_run(seed, 0.03, sim=OwnClockSim))),
                           complete=True)
        old.extend(b.divergence for b in r.behaviours if b.divergence)
    assert old and all(d.kind == MISSING for d in old)
    due = {x.split("(")[0] for d in old for o in d.obligations for x in o}
    assert due & {"RMPrepare", "RMRcvAbortMsg"}, due


def test_truncated_runs_with_crashes_report_the_in_doubt_participant(model, tmp_path):
    """The same runs, stopped at the first step after a crash where every process is up
    and a participant is in doubt: each transaction with an in-doubt participant is a
    missing action at the end of the trace, with Termination pending in every candidate
    state, however the crashes fell; the settled run of the same seed validates (above)."""
    stopped = 0
    for seed in SEEDS:
        full = random_run(seed, crashes=0.03)
        s = Sim(3, accounts=8)
        rng = random.Random(seed)
        for i in range(4):
            s.submit(f"t{i}", transfer_ops(rng, s.rms, 8))
        crashed = False
        for label in full.history:
            s.step(label)
            crashed |= label.startswith("crash")
            if crashed and s.in_doubt() and all(p.up for p in s.procs.values()):
                break
        else:
            continue
        stopped += 1
        r = validate_trace(model, write(tmp_path / f"t{seed}.jsonl", merged(s)), complete=True)
        ds = {b.name: b.divergence for b in r.behaviours}
        for rm, txn in s.in_doubt():
            d = ds[txn]
            assert d is not None and (d.kind, d.action) == (MISSING, "end of trace"), (seed, rm, txn, d)
            assert all("Termination [termination]" in p for p in d.pending), (seed, txn, d.pending)
    assert stopped >= 30, stopped


def test_a_restart_is_stamped_after_a_sender_that_is_down(model, tmp_path):
    """t0 commits (clocks: tm 9, rm1 8: TMBegin 1, votes 2, TMRcvPrepared 3-5, TMCommit 6,
    TMSendCommit 7-9, rm1 receives at 8). rm1 crashes; t1 begins (TMBegin 10: its
    Prepare to rm1 is lost), times out (TMAbort 11) and is aborted (TMSendAbort 12, 13,
    14: the Abort to rm1 is lost too); then the coordinator crashes, and rm1 restarts
    while it is down. RMCrash is stamped from rm1's own clock, 8 + 1 = 9; RMRecover after
    the coordinator's persisted clock, 14 + 1 = 15, although it is down (a probe of the
    live peers would not have learnt it). So the two lost messages sort between rm1's
    crash and restart, sent while it was down, and the settled run validates with
    --complete. With RMRecover at 10, as rm1's own clock gave it (RMCrash 9 + 1), the
    Prepare sorts after it and the spec owes its receipt."""
    s = Sim(3)
    s.submit("t0", T1)
    s.step("request tm 0")
    s.settle()
    assert {n: s.procs[n].clock for n in ("tm", "rm1")} == {"tm": 9, "rm1": 8}
    s.crash("rm1")
    s.submit("t1", T1)
    s.step("request tm 0")
    s.step("timer tm vote t1")
    for rm in ("rm1", "rm2", "rm3"):
        s.step(f"internal tm send t1 {rm}")
    assert [(m.kind, m.lc) for m in s.lost] == [("prepare", 10), ("abort", 12)]
    s.crash("tm")
    evs = s.step("restart rm1")
    assert [(e["action"], e["lc"]) for e in evs] == [("RMCrash", 9), ("RMRecover", 15)]
    s.settle()
    assert s.outcomes()["t1"] == {"rm2": "aborted", "rm3": "aborted"}   # rm1 never heard of t1
    evs = merged(s)
    assert validate_trace(model, write(tmp_path / "ok.jsonl", evs), complete=True).verdict == "explained"
    rm1 = [e["action"] for e in evs if e["proc"] == "rm1"]
    assert rm1[-2:] == ["RMCrash", "RMRecover"]          # rm1 takes no step after its restart
    for e in evs:
        if e["proc"] == "rm1" and e["action"] == "RMRecover":
            e["lc"] = 10
    old = merge_events({p: [e for e in evs if e["proc"] == p] for p in s.names})
    r = validate_trace(model, write(tmp_path / "old.jsonl", old), complete=True)
    d = {b.name: b.divergence for b in r.behaviours}["t1"]
    # (10, rm1) sorts before t1's TMBegin (10, tm): rm1's restart is not part of t1, so
    # either rm1 was down when t1 began and never recovers, or it was up and the Prepare
    # and the Abort were sent to it and never received
    assert d.kind == MISSING
    assert d.obligations == (("RMRecover(rm=rm1) (weak RMRecover(*))",),
                             ("RMPrepare(rm=rm1) (weak RMPrepare(*))", "RMRcvAbortMsg(rm=rm1) (weak RMRcvAbortMsg(*))"))


def test_notes_are_not_read_by_the_validator(model, tmp_path):
    """Notes (docs/traces.md, *Notes*: what became of messages to a peer that stalled)
    are not steps: a trace with them validates as without them, and as a directory of
    per-process files too; an event missing its action is still an error."""
    evs = merged(random_run(3, crashes=0.0))
    note = {"v": 1, "proc": "tm", "lc": evs[0]["lc"], "note": "peer-stalled", "peer": "rm2", "kept": 1,
            "why": "TimeoutError"}
    with_notes = evs[:1] + [note] + evs[1:] + [dict(note, note="peer-answers", attempts=3, sending=1)]
    r = validate_trace(model, write(tmp_path / "notes.jsonl", with_notes), complete=True)
    assert r.verdict == "explained" and len(r.behaviours) == 4
    d = tmp_path / "dir"
    d.mkdir()
    for proc in {e["proc"] for e in evs}:
        write(d / f"{proc}.trace.jsonl", [e for e in with_notes if e["proc"] == proc])
    assert validate_trace(model, d, complete=True).verdict == "explained"
    bad = dict(evs[1])
    del bad["action"]
    with pytest.raises(TraceError, match="missing field `action`"):
        read_jsonl(write(tmp_path / "bad.jsonl", evs[:1] + [bad]), model)
