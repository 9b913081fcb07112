"""The sequence-chart clauses of an action header: process(...), sends(...), receives(...),
crashes, restarts (docs/language.md, "Processes and messages")."""

import pytest

from modelcheck.api import load
from modelcheck.diagnostics import SpecError
from modelcheck.search import Options, explore
from tests.helpers import TWOPHASE, load_spec

BASE = """\
module C
models P = {p1, p2}
enum Msg = Ping(P) | Pong
var sent: set[Msg]
var crashes: 0..3          // the clause words stay usable as names
var process: bool
init { sent = {}  crashes = 0  process = false }
"""


def _load(text):
    return load("c.mc", text=BASE + text)


def codes(text):
    with pytest.raises(SpecError) as e:
        _load(text)
    return [(d.code, d.span.line if d.span else None) for d in e.value.diagnostics]


def test_clauses_parse_and_evaluate_per_step():
    spec = _load("""\
action Send(p in P) process(p) sends(Ping(p), Pong) { sent' = sent union {Ping(p)} }
action Recv(p in P) process("server") receives(Ping(p)) { require Ping(p) in sent  process' = true }
action Crash process("server") crashes { crashes' = (crashes + 1) % 4 }
action Up process("server") restarts { process' = false }
""")
    m = spec.model
    # lanes: P's values (a finite type: all of them) in value order, then the string lane
    assert [l.name for l in m.lanes()] == ["p1", "p2", "server"]
    s0 = m.initial_states()[0]
    roles = {m.describe(lab).show(): m.step_roles(lab, s0) for lab, _ in m.successors(s0)}
    send = roles["Send(p=p2)"]
    assert send.process.name == "p2"
    assert [shown for _, shown in send.sends] == ["Ping(p2)", "Pong"]
    assert roles["Crash"].event == "crash" and roles["Crash"].process.name == "server"
    s1 = next(t for lab, t in m.successors(s0) if m.describe(lab).show() == "Send(p=p1)")
    recv = next(m.step_roles(lab, s1) for lab, _ in m.successors(s1) if m.describe(lab).show() == "Recv(p=p1)")
    # a receive's key equals the matching send's key: that is how arrows are drawn
    assert recv.receives[0][0] == roles["Send(p=p1)"].sends[0][0]
    assert recv.receives[0][0] != send.sends[0][0]


def test_a_set_of_messages_is_one_message_each():
    spec = _load("""\
action Bcast process("server") sends({ Ping(p) for p in P }) { sent' = { Ping(p) for p in P } }
""")
    m = spec.model
    s0 = m.initial_states()[0]
    ((lab, _),) = m.successors(s0)
    assert [shown for _, shown in m.step_roles(lab, s0).sends] == ["Ping(p1)", "Ping(p2)"]


def test_clause_errors_have_codes():
    got = codes("""\
action A(p in P) process(p) process(p) { sent' = {} }
action B process("s") crashes restarts { sent' = {} }
action C crashes { sent' = {} }
action D(p in P) process(p) receives(p) { sent' = {} }
action E(p in P) process(p) sends(sent') { sent' = {} }
""")
    assert ("MC290", 8) in got  # two process clauses
    assert ("MC290", 9) in got  # crashes and restarts
    assert ("MC291", 10) in got  # crashes without a process
    assert ("MC292", 11) in got  # receives a P, nothing sends one
    assert ("MC220", 12) in got  # primes: clauses read the current state


def test_annotated_specs_keep_their_state_counts():
    # the clauses change nothing the search sees: TwoPhase still has TLC's 288 states
    # (depth 11) with RM = 3 and no symmetry, and the crash spec still blocks
    spec = load_spec(TWOPHASE)
    r = explore(spec.model, Options(symmetry=False))
    assert (r.distinct_states, r.depth) == (288, 11)
    lanes = [l.name for l in spec.model.lanes()]
    assert lanes == ["TM", "r1", "r2", "r3"]
