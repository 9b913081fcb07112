"""The trace contract between the reference two-phase commit and the validator, on
specs/twophase/durable.mc (docs/traces.md, docs/conformance.md):

- process-level events (``"txn": null``: crashes and restarts) observe only what is the
  same in every transaction they join, and an observation that is not (per-transaction
  state in a process-level event) makes the transactions it does not fit diverge;
- a transaction's participants are the first-class ``participants`` field of its events
  (TMBegin's); ``meta`` is never read;
- a message is stale exactly when its send sorts before the receiver's restart in
  ``(lc, proc)`` order;
- ``--complete``: a correct run that ends settled validates (the case durable.mc used to
  reject: an inquiry answered, then the RM crashed), and a run that stops while an
  in-doubt RM is still owed the outcome is a missing action naming the steps still due.
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

DURABLE = Path(__file__).resolve().parents[2] / "specs" / "twophase" / "durable.mc"
T1 = {"rm1": [["a0", -10]], "rm2": [["a0", 4]], "rm3": [["a0", 6]]}


@pytest.fixture(scope="module")
def model():
    return load(DURABLE, config="validate").model


def write(path: Path, events) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def merged(sim) -> list[dict]:
    return merge_events(sim.traces_by_proc())


def random_run(seed: int, crashes: float, transfers: int = 4) -> Sim:
    s = Sim(3, accounts=8)
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
    spec = load(DURABLE, config="small").model
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
    text = DURABLE.read_text()
    old = text.replace("if rmUp[r] and not decided(rmState[r]) then msgs union {m} else msgs",
                       "if rmUp[r] then msgs union {m} else msgs")
    assert old != text
    old_model = load(DURABLE, config="validate", text=old).model
    (b,) = validate_trace(old_model, f, complete=True).behaviours
    assert b.divergence.kind == MISSING
    assert {x for o in b.divergence.obligations for x in o} == {"TMSendAbort(rm=rm1) (weak TMSendAbort(*))"}


def test_complete_runs_without_crashes_validate(model, tmp_path):
    """Random schedules with vote timeouts and inquiries but no crash, run until nothing
    is in doubt: every transaction validates with --complete. (With crashes the merged
    order can still place a restart before a message that found the process down, and
    then --complete reports that message as due: docs/conformance.md says when.)"""
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
    assert main(["trace", "validate", str(DURABLE), str(f), "--config", "validate", "--complete"]) == 1
    out = capsys.readouterr().out
    assert "DIVERGENCE at the end: missing-action" in out
    assert "      enabled: RMAskOutcome(rm=rm1) (weak RMAskOutcome(*))\n" in out
    assert "      pending: Termination [termination]" in out
    s.settle()
    assert validate_trace(model, write(tmp_path / "settled.jsonl", merged(s)), complete=True).verdict == "explained"
