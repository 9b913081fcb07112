"""The reference two-phase commit under the deterministic scheduler.

Every recovery path is driven by an explicit schedule; after each one the money is
counted, every participant's state is compared, and the trace is checked against
specs/twophase/durable.mc (spec_check). The seeded bugs are each shown to produce a
real atomicity violation in some schedule, and a trace the spec does not explain, while
the correct implementation passes the same schedule.
"""

from __future__ import annotations

import random

import pytest

from reference.twophase import Bugs, Sim, Step
from reference.twophase.protocol import transfer_ops
from reference.twophase.sim import StepError
from reference.twophase.trace import merge_events
from tests.reference.spec_check import check_trace

# one transfer touching all three participants: 10 from rm1.a0 to rm2.a0 (4) and rm3.a0 (6)
T1 = {"rm1": [["a0", -10]], "rm2": [["a0", 4]], "rm3": [["a0", 6]]}
TOTAL = 3 * 4 * 100


def actions(sim, txn=None):
    return [(e["proc"], e["action"]) for e in sim.trace if txn is None or e["txn"] in (txn, None)]


def conforms(sim):
    """The trace, merged by (lc, proc) as the real runtime's files are, and in the
    scheduler's own order, both explained by the spec."""
    for events in (merge_events(sim.traces_by_proc()), sim.trace):
        d = check_trace(events)
        assert d == [], [str(x) for x in d]


def begin(sim, txn="t1", ops=T1):
    sim.submit(txn, ops)
    sim.step("request tm 0")


def all_vote(sim, txn="t1", rms=("rm1", "rm2", "rm3")):
    for rm in rms:
        sim.deliver(rm, "tm", "prepare", txn)
    for rm in rms:
        sim.deliver("tm", rm, "yes", txn)


def outcome(sim, txn="t1"):
    return sim.outcomes().get(txn, {})


# ---------------------------------------------------------------- the happy path

def test_one_transfer_commits_step_by_step():
    s = Sim(3)
    begin(s)
    assert s.observe("tm", "t1")["tmState"] == "init"
    all_vote(s)
    # all three votes are in: deciding to commit is an internal step the caller takes
    assert [str(x) for x in s.enabled(crashes=False) if x.kind == "internal"] == ["internal tm commit t1"]
    s.step("internal tm commit t1")
    assert s.replies == [{"txn": "t1", "outcome": "committed"}]
    assert s.observe("tm", "t1") == {"tmState": "tmCommitted", "tmPrepared": frozenset({"rm1", "rm2", "rm3"}),
                                     "tmPending": frozenset({"rm1", "rm2", "rm3"}), "tmLog": "logCommit"}
    for rm in ("rm1", "rm2", "rm3"):
        s.step(f"internal tm send t1 {rm}")
        s.deliver(rm, "tm", "commit", "t1")
    assert outcome(s) == {"rm1": "committed", "rm2": "committed", "rm3": "committed"}
    assert s.machine("rm1").balances["a0"] == 90 and s.machine("rm3").balances["a0"] == 106
    assert s.balances_total() == TOTAL
    # each step the implementation took is one spec action, in this order
    assert actions(s) == [("tm", "TMBegin"), ("rm1", "RMPrepare"), ("rm2", "RMPrepare"), ("rm3", "RMPrepare"),
                          ("tm", "TMRcvPrepared"), ("tm", "TMRcvPrepared"), ("tm", "TMRcvPrepared"),
                          ("tm", "TMCommit"), ("tm", "TMSendCommit"), ("rm1", "RMRcvCommitMsg"),
                          ("tm", "TMSendCommit"), ("rm2", "RMRcvCommitMsg"), ("tm", "TMSendCommit"),
                          ("rm3", "RMRcvCommitMsg")]
    assert s.spec_state("t1") == {
        "rmState": dict.fromkeys(("rm1", "rm2", "rm3"), "committed"),
        "rmLog": dict.fromkeys(("rm1", "rm2", "rm3"), "rmCommit"),
        "rmUp": dict.fromkeys(("rm1", "rm2", "rm3"), True),
        "tmState": "tmCommitted", "tmPrepared": frozenset({"rm1", "rm2", "rm3"}), "tmPending": frozenset(),
        "tmLog": "logCommit"}
    conforms(s)


def test_lamport_clocks():
    s = Sim(3, eager=True)
    begin(s)
    s.settle()
    for proc, evs in s.traces_by_proc().items():
        lcs = [e["lc"] for e in evs]
        assert lcs == sorted(set(lcs)) and lcs[0] >= 1, proc
    # every receive is after its send: RMPrepare(rm1) after TMBegin, TMCommit after every vote
    lc = {(e["proc"], e["action"], e["params"].get("rm")): e["lc"] for e in s.trace}
    assert lc[("rm1", "RMPrepare", "rm1")] > lc[("tm", "TMBegin", None)]
    assert lc[("tm", "TMCommit", None)] > max(lc[(r, "RMPrepare", r)] for r in ("rm1", "rm2", "rm3"))


def test_no_vote_aborts_and_releases_nothing():
    s = Sim(3)
    # rm1.a0 has 100: a debit of 150 is refused, so rm1 votes no and the TM aborts
    begin(s, ops={"rm1": [["a0", -150]], "rm2": [["a0", 75]], "rm3": [["a0", 75]]})
    s.deliver("rm1", "tm", "prepare")
    s.deliver("rm2", "tm", "prepare")
    s.deliver("tm", "rm1", "no")
    assert s.replies == [{"txn": "t1", "outcome": "aborted"}]
    s.settle()
    assert outcome(s) == {"rm1": "aborted", "rm2": "aborted", "rm3": "aborted"}
    assert s.balances_total() == TOTAL and not s.machine("rm2").locks
    assert ("rm1", "RMChooseToAbort") in actions(s) and ("tm", "TMAbort") in actions(s)
    conforms(s)


def test_lock_conflict_votes_no():
    s = Sim(3)
    begin(s, "t1")
    s.deliver("rm1", "tm", "prepare", "t1")               # t1 holds rm1.a0
    begin(s, "t2", {"rm1": [["a0", -1]], "rm2": [["a1", 1]], "rm3": [["a1", 0]]})
    s.deliver("rm1", "tm", "prepare", "t2")
    assert s.observe("rm1", "t2")["rmState"] == "aborted"
    assert s.machine("rm1").locks == {"a0": "t1"}
    s.settle()
    assert outcome(s, "t2") == {"rm1": "aborted", "rm2": "aborted", "rm3": "aborted"}
    conforms(s)


# ---------------------------------------------------------------- coordinator recovery

def test_coordinator_crash_before_deciding_presumes_abort():
    s = Sim(3)
    begin(s)
    all_vote(s)                      # every participant in doubt, holding its locks
    s.crash("tm")
    assert s.observe("tm", "t1") == {"tmState": "tmDown", "tmPrepared": frozenset(), "tmPending": frozenset(),
                                     "tmLog": "none"}
    s.restart("tm")
    # nothing logged: the transaction is aborted, but the TM does not know whom to tell
    assert s.observe("tm", "t1")["tmState"] == "tmAborted" and s.machine("tm").internal() == []
    assert s.machine("rm2").locks == {"a0": "t1"}
    for rm in ("rm1", "rm2", "rm3"):             # the in-doubt participants ask
        s.step(f"timer {rm} ask t1")
        # the first inquiry is stamped before the TM's restart, always: TMRecover is
        # stamped after every participant's clock (lc B > the participant's), the
        # inquiry one tick after the participant's clock (at most B, and "rmN" sorts
        # before "tm"), and the participant learns B only in the hello of its new
        # connection. It is dropped, as the spec drops the messages to a crashed process
        s.deliver("tm", rm, "ask")
        assert s.deliveries(rm, "tm") == [] and "before this process restarted" in s.notes[-1][2]
        s.step(f"timer {rm} ask t1")
        s.deliver("tm", rm, "ask")
        s.deliver(rm, "tm", "abort")
    assert outcome(s) == {"rm1": "aborted", "rm2": "aborted", "rm3": "aborted"}
    assert not any(s.machine(rm).locks for rm in s.rms)
    assert s.balances_total() == TOTAL
    assert [a for p, a in actions(s) if p == "tm"][-5:] == ["TMCrash", "TMRecover", "TMSendAbort", "TMSendAbort",
                                                             "TMSendAbort"]
    conforms(s)


def test_coordinator_crash_after_logging_commit_resends_it():
    s = Sim(3)
    begin(s)
    all_vote(s)
    s.step("internal tm commit t1")
    s.crash("tm")                    # decided and logged, nothing sent
    assert s.observe("tm", "t1")["tmLog"] == "logCommit"
    s.restart("tm")
    assert s.observe("tm", "t1")["tmPending"] == frozenset({"rm1", "rm2", "rm3"})
    assert [st[2] for st in s.machine("tm").internal()] == ["rm1", "rm2", "rm3"]
    s.settle()
    assert outcome(s) == {"rm1": "committed", "rm2": "committed", "rm3": "committed"}
    assert s.balances_total() == TOTAL
    conforms(s)


def test_coordinator_crash_after_some_participants_received_commit():
    s = Sim(3)
    begin(s)
    all_vote(s)
    s.step("internal tm commit t1")
    s.step("internal tm send t1 rm1")
    s.deliver("rm1", "tm", "commit")
    s.step("internal tm send t1 rm2")            # sent to rm2, not yet received
    s.crash("tm")
    assert outcome(s) == {"rm1": "committed", "rm2": "prepared", "rm3": "prepared"}
    assert s.machine("rm1").balances["a0"] == 90
    # rm2's Commit, sent before the crash, is still in flight: a message from a crashed
    # process may arrive; rm3 never got one
    s.deliver("rm2", "tm", "commit")
    s.restart("tm")
    # the logged decision is re-sent to every participant
    assert sorted(st[2] for st in s.machine("tm").internal()) == ["rm1", "rm2", "rm3"]
    s.settle()
    assert outcome(s) == {"rm1": "committed", "rm2": "committed", "rm3": "committed"}
    assert s.balances_total() == TOTAL
    assert s.machine("rm1").balances["a0"] == 90          # the re-sent commit is not applied twice
    conforms(s)


def test_coordinator_crash_while_participants_are_asking():
    s = Sim(3)
    begin(s)
    all_vote(s)
    s.crash("tm")
    for rm in ("rm1", "rm2", "rm3"):
        s.step(f"timer {rm} ask t1")             # lost: the TM is down
    assert s.lost[-3:] and all(m.kind == "ask" for m in s.lost[-3:])
    assert all(s.observe(rm, "t1")["rmState"] == "prepared" for rm in s.rms)
    s.restart("tm")
    s.settle()
    assert outcome(s) == {"rm1": "aborted", "rm2": "aborted", "rm3": "aborted"}
    conforms(s)


def test_coordinator_crash_twice():
    s = Sim(3)
    begin(s)
    all_vote(s)
    s.step("internal tm commit t1")
    s.crash("tm")
    s.restart("tm")
    s.step("internal tm send t1 rm3")
    s.crash("tm")
    s.restart("tm")
    s.settle()
    assert outcome(s) == {"rm1": "committed", "rm2": "committed", "rm3": "committed"}
    assert [a for p, a in actions(s) if p == "tm"].count("TMCrash") == 2
    conforms(s)


# ---------------------------------------------------------------- participant recovery

def test_participant_down_when_prepare_is_sent():
    s = Sim(3)
    s.crash("rm3")
    begin(s)
    assert s.lost and s.lost[-1].kind == "prepare" and s.lost[-1].dst == "rm3"
    s.deliver("rm1", "tm", "prepare")
    s.deliver("rm2", "tm", "prepare")
    s.restart("rm3")
    s.step("timer tm vote t1")                   # rm3 never votes: timeout, abort
    s.settle()
    assert outcome(s) == {"rm1": "aborted", "rm2": "aborted", "rm3": "aborted"}
    conforms(s)


def test_participant_crash_before_voting_loses_the_prepare():
    s = Sim(3)
    begin(s)
    s.crash("rm2")                               # its Prepare is lost with it
    s.restart("rm2")
    assert s.deliveries("rm2") == []
    assert s.observe("rm2", "t1") == {"rmState": "working", "rmLog": "rmNone", "rmUp": True}
    s.step("timer tm vote t1")
    s.settle()
    assert outcome(s) == {"rm1": "aborted", "rm2": "aborted", "rm3": "aborted"}
    conforms(s)


def test_participant_in_doubt_recovers_keeps_locks_and_asks():
    s = Sim(3)
    begin(s)
    all_vote(s)
    s.crash("rm2")
    assert s.observe("rm2", "t1") == {"rmState": "prepared", "rmLog": "rmYes", "rmUp": False}
    s.step("internal tm commit t1")
    for rm in ("rm1", "rm2", "rm3"):
        s.step(f"internal tm send t1 {rm}")     # the Commit to rm2 is lost: it is down
    s.deliver("rm1", "tm", "commit")
    s.deliver("rm3", "tm", "commit")
    s.restart("rm2")
    # in doubt again, with its lock, and it asks at once
    assert s.observe("rm2", "t1")["rmState"] == "prepared"
    assert s.machine("rm2").locks == {"a0": "t1"}
    assert s.machine("rm2").internal() == [("ask", "t1")]
    # a transfer touching the locked account is refused meanwhile
    begin(s, "t2", {"rm1": [["a1", -1]], "rm2": [["a0", 1]], "rm3": [["a1", 0]]})
    s.deliver("rm2", "tm", "prepare", "t2")
    assert s.observe("rm2", "t2")["rmState"] == "aborted"
    s.step("internal rm2 ask t1")
    s.deliver("tm", "rm2", "ask", "t1")
    s.deliver("rm2", "tm", "commit", "t1")
    assert outcome(s) == {"rm1": "committed", "rm2": "committed", "rm3": "committed"}
    assert s.machine("rm2").balances["a0"] == 104 and s.machine("rm2").locks == {}
    s.settle()
    assert s.balances_total() == TOTAL
    conforms(s)


def test_participant_crash_after_commit_restores_balances_from_log():
    s = Sim(3, eager=True)
    begin(s)
    s.settle()
    s.crash("rm3")
    s.restart("rm3")
    assert s.machine("rm3").balances["a0"] == 106
    assert s.observe("rm3", "t1") == {"rmState": "committed", "rmLog": "rmCommit", "rmUp": True}
    assert s.machine("rm3").internal() == []                  # nothing in doubt
    conforms(s)


def test_in_doubt_participant_waits_for_a_coordinator_that_is_down():
    s = Sim(3)
    begin(s)
    all_vote(s)
    s.crash("tm")
    s.crash("rm1")
    s.restart("rm1")
    s.step("internal rm1 ask t1")                            # asks at once: lost
    for _ in range(5):
        s.step("timer rm1 ask t1")                           # and keeps asking: lost
    assert s.observe("rm1", "t1")["rmState"] == "prepared" and s.machine("rm1").locks
    asks = [e for e in s.trace if e["proc"] == "rm1" and e["action"] == "RMAskOutcome"]
    assert len(asks) == 6
    s.restart("tm")
    s.settle()
    assert outcome(s) == {"rm1": "aborted", "rm2": "aborted", "rm3": "aborted"}
    conforms(s)


def test_message_from_before_a_restart_is_dropped():
    s = Sim(3)
    begin(s)
    all_vote(s)
    s.step("internal tm commit t1")
    s.step("internal tm send t1 rm1")
    s.crash("rm1")
    s.restart("rm1")
    # the scheduler lost it with the crash; had a copy survived, its clock would mark it
    # as sent before the restart, and the participant would drop it
    from reference.twophase.protocol import Deliver, Msg
    stale = Msg("commit", "t1", "tm", "rm1", 1)
    eff = s.machine("rm1").handle(Deliver(stale))
    assert [type(e).__name__ for e in eff] == ["Note"] and "before this process restarted" in eff[0].text
    assert s.observe("rm1", "t1")["rmState"] == "prepared"
    s.settle()
    assert outcome(s)["rm1"] == "committed"
    conforms(s)


def test_abort_before_prepare_arrives():
    s = Sim(3)
    begin(s)
    s.step("timer tm vote t1")
    s.step("internal tm send t1 rm1")
    s.deliver("rm1", "tm", "abort")              # overtakes the Prepare
    s.deliver("rm1", "tm", "prepare")            # which is then not voted on
    assert s.observe("rm1", "t1") == {"rmState": "aborted", "rmLog": "rmAbort", "rmUp": True}
    s.settle()
    assert outcome(s) == {"rm1": "aborted", "rm2": "aborted", "rm3": "aborted"}
    conforms(s)


# ---------------------------------------------------------------- heuristic decisions

def test_heuristic_on_a_transaction_not_in_doubt_is_refused_in_words():
    s = Sim(3)
    begin(s)
    s.step("operator rm2 heuristic nosuchtxn commit")
    assert s.replies[-1] == {"error": "nosuchtxn is not in doubt here: rm2 has no record of it "
                                      "(an unknown transaction, or one it never voted on)"}
    all_vote(s)
    s.settle()
    state = s.machine("rm2").status()["txns"]["t1"]
    s.step("operator rm2 heuristic t1 abort")
    assert s.replies[-1] == {"error": f"t1 is not in doubt here: it is {state} at rm2"}


def test_heuristic_decision_is_logged_and_reported():
    s = Sim(3)
    begin(s)
    all_vote(s)                                  # rm2 in doubt; the TM has not decided
    s.step("operator rm2 heuristic t1 commit")
    assert s.replies[-1] == {"txn": "t1", "outcome": "commit", "heuristic": True}
    assert s.observe("rm2", "t1") == {"rmState": "committed", "rmLog": "rmHeurCommit", "rmUp": True}
    assert s.machine("rm2").locks == {} and s.machine("rm2").balances["a0"] == 104
    assert any(lvl == "warning" and "HEURISTIC decision" in text for _, lvl, text in s.notes)
    s.crash("rm2")
    s.restart("rm2")                             # the heuristic decision is durable
    assert s.machine("rm2").status()["heuristic"] == ["t1"]
    assert s.machine("rm2").internal() == []     # and no longer in doubt: it does not ask
    s.step("timer tm vote t1")                   # the TM aborts and tells everyone
    s.settle()
    st = s.machine("rm2").status()
    assert [(d["txn"], d["heuristic"], d["outcome"]) for d in st["damage"]] == [("t1", "committed", "aborted")]
    assert any(lvl == "error" and "HEURISTIC DAMAGE" in text for _, lvl, text in s.notes)
    assert outcome(s) == {"rm1": "aborted", "rm2": "committed", "rm3": "aborted"}
    assert s.balances_total() == TOTAL + 4
    s.crash("rm2")
    s.restart("rm2")                             # the damage report is logged too
    assert len(s.machine("rm2").status()["damage"]) == 1
    # the trace is a behaviour of the spec with AllowHeuristic (whose Agreement fails
    # there too: that is what a heuristic decision risks)
    conforms(s)


def test_heuristic_refused_when_not_in_doubt():
    s = Sim(3)
    s.step("operator rm1 heuristic t9 abort")
    assert "error" in s.replies[-1]
    with pytest.raises(StepError):
        s.step("operator rm1 reboot")


# ---------------------------------------------------------------- torn and corrupt log tails

def test_torn_tail_is_dropped_on_recovery():
    s = Sim(3)
    begin(s)
    all_vote(s)
    disk = s.procs["rm1"].disk
    good = bytes(disk.data)
    s.crash("rm1")
    disk.data += b"\x00\x00\x00\x40\x12\x34"          # a record header cut short by the crash
    disk.fsync()
    s.restart("rm1")
    assert bytes(disk.data) == good
    assert any("torn tail" in text for p, _, text in s.notes if p == "rm1")
    assert s.observe("rm1", "t1")["rmState"] == "prepared"
    s.settle()
    conforms(s)


def test_corrupt_record_is_dropped_with_what_follows():
    s = Sim(3)
    begin(s)
    all_vote(s)
    s.step("internal tm commit t1")
    disk = s.procs["tm"].disk
    s.crash("tm")
    disk.data[-3] ^= 0xFF                             # flip a byte of the commit record
    s.restart("tm")
    assert any("corrupt tail" in text and "checksum" in text for p, _, text in s.notes if p == "tm")
    # the decision is gone with the record: presumed abort
    assert s.observe("tm", "t1")["tmState"] == "tmAborted"
    s.settle()
    assert outcome(s) == {"rm1": "aborted", "rm2": "aborted", "rm3": "aborted"}


def test_unsynced_records_are_lost_in_a_crash():
    s = Sim(3)
    disk = s.procs["rm1"].disk
    n = disk.durable
    disk.append({"t": "yes", "txn": "tx", "ops": [["a0", 1]], "lc": 99})
    s.crash("rm1")
    assert len(disk.data) == n
    s.restart("rm1")
    assert "tx" not in s.machine("rm1").txns


def test_step_lost_between_fsync_and_trace_is_retraced():
    """A process killed after fsyncing a record but before writing the step's trace
    event traces the step when it restarts, with the step's own clock."""
    from reference.twophase.participant import Participant
    from reference.twophase.protocol import Deliver, Emit, Log, Msg
    p = Participant("rm1", {"a0": 100})
    eff = p.start([], clock=0)
    init = [e.record for e in eff if isinstance(e, Log)]
    eff = p.handle(Deliver(Msg("prepare", "t1", "tm", "rm1", 5, (("a0", -1),))))
    rec = [e.record for e in eff if isinstance(e, Log)]
    ev = [e.event for e in eff if isinstance(e, Emit)][0]
    assert ev["lc"] == 6 and rec[0]["lc"] == 6
    # the trace file ended before that event (lc 5 at most); the clock file says 6
    q = Participant("rm1", {"a0": 100})
    eff = q.start(init + rec, clock=6, traced_lc=0)
    evs = [e.event for e in eff if isinstance(e, Emit)]
    assert [(e["action"], e["lc"], e["txn"]) for e in evs] == [("RMPrepare", 6, "t1"), ("RMCrash", 7, None),
                                                               ("RMRecover", 8, None)]
    assert evs[0]["state"] == ev["state"] and evs[0]["meta"] == {"retraced": True}
    # a clock file behind the trace (the process was killed before persisting it):
    # the restart continues after the trace's last lc, never reusing one
    q = Participant("rm1", {"a0": 100})
    evs = [e.event for e in q.start(init + rec, clock=4, traced_lc=9) if isinstance(e, Emit)]
    assert [(e["action"], e["lc"]) for e in evs] == [("RMCrash", 10), ("RMRecover", 11)]
    # with the event in the trace, nothing is retraced
    q = Participant("rm1", {"a0": 100})
    evs = [e.event for e in q.start(init + rec, clock=6, traced_lc=6) if isinstance(e, Emit)]
    assert [e["action"] for e in evs] == ["RMCrash", "RMRecover"]


def test_restart_is_stamped_after_the_peers_clock():
    """start(peer_clock=P): the crash event is stamped from the process's own clock, the
    recovery after P as well (docs/traces.md, *Crashes and restarts*), so that what a
    peer sent before the restart sorts before it. A first start writes no event and
    ignores P: there is no restart to order."""
    from reference.twophase.coordinator import Coordinator
    from reference.twophase.participant import Participant
    from reference.twophase.protocol import Emit
    init = [{"t": "init", "balances": {"a0": 100}}]
    rec = [{"t": "yes", "txn": "t1", "ops": [["a0", -1]], "lc": 6}]
    for peer, want in ((20, [("RMCrash", 7), ("RMRecover", 21)]),     # own clock 6: crash 7; then after 20
                       (3, [("RMCrash", 7), ("RMRecover", 8)])):      # a peer behind: the next two values
        q = Participant("rm1", {"a0": 100})
        evs = [e.event for e in q.start(init + rec, clock=6, traced_lc=6, peer_clock=peer) if isinstance(e, Emit)]
        assert [(e["action"], e["lc"]) for e in evs] == want and q.boot_lc == want[-1][1]
    q = Participant("rm1", {"a0": 100})
    assert not [e for e in q.start([], clock=0, peer_clock=20) if isinstance(e, Emit)] and q.lc == 0
    tm = Coordinator(["rm1"])
    evs = [e.event for e in tm.start([{"t": "commit", "txn": "t1", "parts": ["rm1"], "lc": 4}], clock=5, traced_lc=5,
                                     peer_clock=9) if isinstance(e, Emit)]
    assert [(e["action"], e["lc"]) for e in evs] == [("TMCrash", 6), ("TMRecover", 10)] and tm.boot_lc == 10


# ---------------------------------------------------------------- seeded bugs

def _commit_then_tm_crash(s):
    """The TM decides, sends Commit to rm1 only (received), then crashes and restarts."""
    begin(s)
    all_vote(s)
    s.step("internal tm commit t1")
    s.step("internal tm send t1 rm1")
    s.deliver("rm1", "tm", "commit")
    s.crash("tm")
    s.restart("tm")
    s.settle()


def test_bug_commit_before_log():
    good = Sim(3)
    _commit_then_tm_crash(good)
    assert set(outcome(good).values()) == {"committed"} and good.balances_total() == TOTAL
    conforms(good)
    s = Sim(3, bugs=Bugs(commit_before_log=True))
    _commit_then_tm_crash(s)
    # the decision never reached the log: the restarted TM presumes abort, after rm1
    # had committed
    assert outcome(s) == {"rm1": "committed", "rm2": "aborted", "rm3": "aborted"}
    assert s.balances_total() == TOTAL - 10
    d = check_trace(s.trace)
    assert d and d[0].event["action"] == "TMCommit"           # committed, yet tmLog is none


def _vote_then_rm_crash(s):
    begin(s)
    all_vote(s)
    s.crash("rm3")               # right after sending its yes vote
    s.restart("rm3")
    s.step("internal tm commit t1")
    s.settle()


def test_bug_vote_before_log():
    good = Sim(3)
    _vote_then_rm_crash(good)
    assert set(outcome(good).values()) == {"committed"} and good.balances_total() == TOTAL
    conforms(good)
    s = Sim(3, bugs=Bugs(vote_before_log=True))
    # the vote is logged by a later internal step; the crash comes before it
    begin(s)
    for rm in ("rm1", "rm2", "rm3"):
        s.deliver(rm, "tm", "prepare")
    for rm in ("rm1", "rm2"):
        s.step(f"internal {rm} log t1")
    for rm in ("rm1", "rm2", "rm3"):
        s.deliver("tm", rm, "yes")
    s.crash("rm3")
    s.restart("rm3")
    s.step("internal tm commit t1")
    s.settle()
    # rm3 forgot its vote, and ignores the Commit: the credit of 6 is lost
    assert outcome(s) == {"rm1": "committed", "rm2": "committed"}
    assert s.balances_total() == TOTAL - 6
    d = check_trace(s.trace)
    assert d and d[0].event["action"] == "RMPrepare"           # prepared, yet rmLog is rmNone


def test_bug_forget_in_doubt():
    good = Sim(3)
    _vote_then_rm_crash(good)
    s = Sim(3, bugs=Bugs(forget_in_doubt=True))
    _vote_then_rm_crash(s)
    assert outcome(s) == {"rm1": "committed", "rm2": "committed", "rm3": "aborted"}
    assert s.balances_total() == TOTAL - 6
    d = check_trace(s.trace)
    # a prepared participant may not abort on its own
    assert d and (d[0].event["proc"], d[0].event["action"]) == ("rm3", "RMChooseToAbort")


def test_bug_commit_on_majority():
    def run(bugs):
        s = Sim(3, bugs=bugs)
        # rm3 cannot pay 205 out of 100: it will vote no, but has not voted yet
        begin(s, ops={"rm1": [["a0", 105]], "rm2": [["a0", 100]], "rm3": [["a0", -205]]})
        all_vote(s, rms=("rm1", "rm2"))
        if s.machine("tm").internal() == [("commit", "t1")]:
            s.step("internal tm commit t1")
        s.deliver("rm3", "tm", "prepare")
        s.settle()
        return s
    good = run(Bugs())
    assert set(outcome(good).values()) == {"aborted"} and good.balances_total() == TOTAL
    conforms(good)
    s = run(Bugs(commit_on_majority=True))
    # two of three voted yes, and the TM committed: money was created
    assert outcome(s) == {"rm1": "committed", "rm2": "committed", "rm3": "aborted"}
    assert s.balances_total() == TOTAL + 205
    d = check_trace(s.trace)
    assert d and d[0].event["action"] == "TMCommit"


@pytest.mark.parametrize("bug", ["commit_before_log", "forget_in_doubt", "vote_before_log", "commit_on_majority"])
def test_every_bug_diverges_in_random_schedules(bug):
    """With crashes in the mix, random schedules run into each bug; the correct
    implementation never diverges on the same seeds (test_random_schedules_conform)."""
    hits = 0
    for seed in range(20):
        s = _random_run(seed, Bugs(**{bug: True}))
        hits += bool(check_trace(s.trace))
    assert hits >= 5, hits


# ---------------------------------------------------------------- reproducibility, tracing

def _random_run(seed, bugs=Bugs(), tracing=True, transfers=4, steps=400):
    s = Sim(3, accounts=8, bugs=bugs, tracing=tracing)
    rng = random.Random(seed)
    for i in range(transfers):
        s.submit(f"t{i}", transfer_ops(rng, s.rms, 8))
    s.run_random(steps, seed=seed, crash_weight=0.03, timer_weight=0.05)
    s.settle()
    return s


def test_random_schedules_conform():
    commits = crashes = 0
    for seed in range(20):
        s = _random_run(seed)
        assert s.balances_total() == 3 * 8 * 100
        for txn, o in s.outcomes().items():
            # committed everywhere, or nowhere (a participant that never heard of an
            # aborted transfer has no entry for it)
            assert set(o.values()) == {"aborted"} or (set(o.values()) == {"committed"} and len(o) == 3), (seed, o)
        conforms(s)
        commits += sum(1 for o in s.outcomes().values() if "committed" in o.values())
        crashes += sum(1 for h in s.history if h.startswith("crash"))
    # not vacuous: transfers commit and processes crash
    assert commits >= 10 and crashes >= 20, (commits, crashes)


def test_same_seed_same_run_and_replay():
    a, b = _random_run(3), _random_run(3)
    assert a.history == b.history and a.trace == b.trace
    c = Sim(3, accounts=8)
    rng = random.Random(3)
    for i in range(4):
        c.submit(f"t{i}", transfer_ops(rng, c.rms, 8))
    c.replay(a.history)
    assert c.trace == a.trace and c.outcomes() == a.outcomes()
    assert _random_run(4).history != a.history


def test_tracing_does_not_change_behaviour():
    for seed in range(10):
        on, off = _random_run(seed, tracing=True), _random_run(seed, tracing=False)
        assert off.trace == [] and on.trace
        assert on.history == off.history
        assert on.replies == off.replies and on.outcomes() == off.outcomes()
        for n in on.names:
            assert bytes(on.procs[n].disk.data) == bytes(off.procs[n].disk.data)
            assert on.procs[n].clock == off.procs[n].clock


def test_step_labels_round_trip_and_errors():
    s = Sim(3)
    begin(s)
    for st in s.enabled():
        assert Step.parse(str(st)) == st
    with pytest.raises(StepError):
        s.step("deliver rm1->tm 7")
    with pytest.raises(StepError):
        s.step("restart rm1")
    with pytest.raises(StepError):
        Step.parse("jump tm")
    s.crash("rm1")
    with pytest.raises(StepError):
        s.step("crash rm1")


def test_duplicate_network_keeps_delivered_messages():
    s = Sim(3, duplicate=True)
    begin(s)
    s.deliver("rm1", "tm", "prepare")
    s.deliver("rm1", "tm", "prepare")            # the same message again: ignored
    assert len(s.deliveries("rm1", kind="prepare")) == 1
    assert actions(s).count(("rm1", "RMPrepare")) == 1
    conforms(s)


# ---------------------------------------------------------------- observation, step by step

def _compiled(model, st: dict, rms) -> dict:
    """spec_state(txn) in the compiled layout, variable index -> value."""
    idx = {r: i for i, r in enumerate(rms)}
    fn = lambda d: tuple(d[r] for r in rms)
    out = {0: fn(st["rmState"]), 1: fn(st["rmLog"]), 2: fn(st["rmUp"]), 3: st["tmState"],
           4: frozenset(idx[r] for r in st["tmPrepared"]), 5: frozenset(idx[r] for r in st["tmPending"]),
           6: st["tmLog"]}
    assert [model.variables[i] for i in out] == ["rmState", "rmLog", "rmUp", "tmState", "tmPrepared",
                                                 "tmPending", "tmLog"]
    return out


def test_observed_state_is_a_spec_state_after_every_step():
    """What a conformance harness does: after every step, the scheduler's spec_state(txn)
    (every variable of durable.mc but msgs and crashes) must be one of the spec states
    consistent with the events so far. A crash is traced when the process restarts, so
    the comparison is made whenever every process is up."""
    from tests.reference.spec_check import _matches, _param_ok, durable_model
    model = durable_model()
    rms = ("rm1", "rm2", "rm3")
    compared = 0
    for seed in range(6):
        s = Sim(3, accounts=8)
        rng = random.Random(seed)
        for i in range(3):
            s.submit(f"t{i}", transfer_ops(rng, s.rms, 8))
        cands: dict[str, set] = {}
        labels = s.run_random(300, seed=seed, crash_weight=0.03, timer_weight=0.05)
        # the same run again, step by step (replayed from its labels), watching each step
        s2 = Sim(3, accounts=8)
        rng = random.Random(seed)
        for i in range(3):
            s2.submit(f"t{i}", transfer_ops(rng, s2.rms, 8))
        for label in labels:
            for ev in s2.step(label):
                targets = [ev["txn"]] if ev["txn"] is not None else list(cands)
                if ev["txn"] is not None and ev["txn"] not in cands:
                    cands[ev["txn"]] = set(model.initial_states())
                for txn in targets:
                    nxt = {t for c in cands[txn] for lab, t in model.successors(c)
                           if model.describe(lab).action == ev["action"]
                           and _param_ok(model, model.describe(lab), ev["params"]) and _matches(model, t, ev["state"])}
                    assert nxt, (seed, label, ev)
                    cands[txn] = nxt
            if all(p.up for p in s2.procs.values()):
                for txn in cands:
                    obs = _compiled(model, s2.spec_state(txn), rms)
                    pinned = {c for c in cands[txn] if all(c[i] == v for i, v in obs.items())}
                    assert pinned, (seed, label, txn, s2.spec_state(txn))
                    cands[txn] = pinned
                    compared += 1
    assert compared > 500


def test_a_prepare_with_no_operation_gets_a_no_vote_and_holds_nothing():
    # issue 14, section 1: 3,000 forged prepares with empty operations were each logged
    # "yes" and held; a prepared transaction now always locks an account, so a
    # participant holds at most as many transactions in doubt as it has accounts
    from reference.twophase.coordinator import Coordinator
    from reference.twophase.participant import Participant
    from reference.twophase.protocol import Deliver, Log, Msg, Reply, Request
    p = Participant("rm1", {"a0": 10, "a1": 10})
    p.start([])
    out = p.handle(Deliver(Msg("prepare", "e1", "tm", "rm1", 5, ())))
    logged = [e.record for e in out if isinstance(e, Log)]
    assert [r["t"] for r in logged] == ["no"] and logged[0]["why"] == "no operation for this participant"
    assert p.txns["e1"].state == "aborted" and p.locks == {}
    c = Coordinator(["rm1", "rm2"])
    c.start([])
    out = c.handle(Request("client", {"op": "begin", "txn": "e2", "ops": {"rm1": [["a0", 0]], "rm2": []}}))
    assert [e.body["error"] for e in out if isinstance(e, Reply)] == [
        "every participant of a transfer needs at least one operation"]
