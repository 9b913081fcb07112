"""Properties of check_history on random small histories (Hypothesis, derandomized):
a history produced by a real linearizable register is linearizable, with a witness that
really is one; and on corrupted histories of at most 7 operations the checker agrees
with a brute-force oracle that tries every order, for linearizability and for
sequential consistency."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.history.check import check_history
from modelcheck.history.core import Consistency, HistoryVerdict, Op
from modelcheck.history.models import CasRegisterModel

MODEL = CasRegisterModel()
VALUES = st.integers(0, 2)            # few values: duplicates make the search work


@st.composite
def register_histories(draw, max_ops=7):
    """A history of a cas register run by up to 3 clients, each op with a random
    duration and a linearization point inside it; some ops never respond (their effect
    happened or not). Results are the register's own: the history is linearizable."""
    clients = draw(st.integers(1, 3))
    n = draw(st.integers(1, max_ops))
    clock = [0] * clients
    raw = []                                        # (process, call, ret, lin, f, args, effect)
    retired = set()
    for _ in range(n):
        live = [c for c in range(clients) if c not in retired]
        if not live:
            break
        c = draw(st.sampled_from(live))
        call = clock[c] + draw(st.integers(0, 3))
        ret = call + draw(st.integers(0, 6))
        lin = draw(st.integers(2 * call, 2 * ret)) / 2          # a point inside [call, ret]
        f = draw(st.sampled_from(["read", "write", "cas"]))
        args = () if f == "read" else (draw(VALUES),) if f == "write" else (draw(VALUES), draw(VALUES))
        pending = draw(st.integers(0, 5)) == 0
        effect = not pending or draw(st.booleans())
        if pending:
            retired.add(c)                          # a client that timed out issues nothing more
        raw.append((c, call, None if pending else ret, lin, f, args, effect))
        clock[c] = ret + 1
    state = None
    results = {}
    for i in sorted(range(len(raw)), key=lambda i: raw[i][3]):
        _, _, _, _, f, args, effect = raw[i]
        if f == "read":
            results[i] = state
        elif f == "write":
            state = args[0] if effect else state
        else:
            results[i] = state == args[0]
            if effect and state == args[0]:
                state = args[1]
    return [Op(i, c, call, ret, f, args, results.get(i) if ret is not None else None)
            for i, (c, call, ret, _, f, args, _) in enumerate(raw)]


@st.composite
def corrupted(draw):
    ops = draw(register_histories())
    done = [o for o in ops if o.ret is not None and o.f in ("read", "cas")]
    if done:
        o = draw(st.sampled_from(done))
        new = draw(VALUES) if o.f == "read" else not o.result
        ops[o.id] = Op(o.id, o.process, o.call, o.ret, o.f, o.args, new)
    return ops


def replays(order, ops) -> bool:
    state = MODEL.init()
    for i in order:
        state = MODEL.step(state, ops[i])
        if state is None:
            return False
    return True


def respects_real_time(order) -> bool:
    return not any(b.ret is not None and b.ret < a.call for a, b in itertools.combinations(order, 2))


def respects_processes(order) -> bool:
    return not any(a.process == b.process and b.call < a.call for a, b in itertools.combinations(order, 2))


def brute_force(ops, consistency) -> bool:
    """Some subset of the pending ops and some order of it with every completed op is
    legal: each order tried."""
    completed = [o for o in ops if o.ret is not None]
    pending = [o for o in ops if o.ret is None]
    keeps = respects_real_time if consistency is Consistency.LINEARIZABLE else respects_processes
    for k in range(len(pending) + 1):
        for extra in itertools.combinations(pending, k):
            for order in itertools.permutations(completed + list(extra)):
                if keeps(order) and replays([o.id for o in order], ops):
                    return True
    return False


@settings(max_examples=300, derandomize=True, deadline=None)
@given(register_histories(max_ops=12))
def test_histories_of_a_linearizable_register_are_linearizable(ops):
    r = check_history(ops, MODEL)
    assert r.verdict is HistoryVerdict.OK
    order = r.order[None]
    assert {o.id for o in ops if o.ret is not None} <= set(order)
    assert replays(order, ops) and respects_real_time([ops[i] for i in order])


@settings(max_examples=300, derandomize=True, deadline=None)
@given(corrupted())
def test_checker_agrees_with_brute_force(ops):
    for consistency in Consistency:
        r = check_history(ops, MODEL, consistency)
        assert (r.verdict is HistoryVerdict.OK) == brute_force(ops, consistency), consistency
        if r.verdict is HistoryVerdict.OK and consistency is Consistency.SEQUENTIAL:
            order = [ops[i] for i in r.order[None]]
            assert replays(r.order[None], ops) and respects_processes(order)
