"""Property tests: every behaviour of the spec, logged as an implementation would log it,
is explained; a mutated log diverges exactly where the arguments below say.

What can be asserted, and why. TwoPhase and TwoPhaseCrash have one initial state and
every action is a function of the state and its parameters (no pick, no either). So
when every event names its action and parameters, the validator's candidate set is
exactly one state after every event, the walk's own state, whatever is observed: the
observation only filters. Hence, with the parameters given:

* a walk validates, and the candidate set is {the walk's state} after every event;
* changing one observed value at event k to another value makes event k diverge, and
  as ``incorrect-state`` (the named instance fires from the true state, into the true
  state, which the mutated observation rejects); nothing before k diverges (the prefix
  is unchanged);
* replacing the action instance of event k by another one (full observation) diverges
  at k exactly when that instance does not take s[k-1] to s[k], checked here directly
  on the model's successors: as ``unexpected-action`` when it is not enabled in
  s[k-1], else ``incorrect-state``; when it does take s[k-1] to s[k] (RMChooseToAbort
  and RMRcvAbortMsg can both abort an RM) the whole trace is explained.

Without the parameters (the validator searches over every instance) the candidate set
may hold several states, and only weaker facts hold: the walk's state is always among
the candidates (soundness), and a mutated observation at event k never diverges before
k (it may diverge later, or not at all when another behaviour fits).
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.conform.events import read_jsonl
from modelcheck.conform.validate import INCORRECT, UNEXPECTED, Validator
from modelcheck.types import EnumT, FunT, IntT
from tests.conform.conform_helpers import encode_walk, write_jsonl
from tests.helpers import CRASH, TWOPHASE, load_spec

MODELS = {
    "twophase": load_spec(TWOPHASE).model,
    "crash": load_spec(CRASH, config="recovery", MaxCrashes=2).model,
}
OBSERVE = ("full", "owner", "rmState", "none")


@st.composite
def walks(draw):
    name = draw(st.sampled_from(sorted(MODELS)))
    model = MODELS[name]
    s = model.initial_states()[0]
    states, labels = [s], [None]
    for _ in range(draw(st.integers(1, 24))):
        succ = model.successors(s)
        if not succ:
            break
        lab, s = succ[draw(st.integers(0, len(succ) - 1))]
        states.append(s)
        labels.append(lab)
    return model, states, labels


def validate(model, events, tmp_path, name="w.jsonl", **kw):
    f = write_jsonl(tmp_path / name, events)
    (b,) = read_jsonl(f, model)
    seen = []
    r = Validator(model).validate(b, on_step=lambda k, c: seen.append(set(c)), **kw)
    return r, seen


@settings(max_examples=60, deadline=None)
@given(walks(), st.sampled_from(OBSERVE), st.booleans())
def test_every_walk_validates(tmp_path_factory, walk, observe, params):
    model, states, labels = walk
    tmp = tmp_path_factory.mktemp("w")
    events = encode_walk(model, states, labels, observe=observe, params=params)
    r, seen = validate(model, events, tmp)
    assert r.verdict == "explained", r
    assert len(seen) == len(states)
    for k, cands in enumerate(seen):
        assert states[k] in cands  # soundness: the true state is never lost
        if params:
            assert cands == {states[k]}  # deterministic actions, named instances


def _mutable(model, ev):
    """(variable, key or None, alternative values) for the enum / int observations of an event."""
    out = []
    for name, j in ev["state"].items():
        t = model.var_types[model.variables.index(name)]
        if isinstance(t, FunT) and isinstance(t.cod, EnumT):
            for k, (key, v) in enumerate(j["#map"]):
                out.append((name, k, [c.name for c in t.cod.constructors if c.name != v]))
        elif isinstance(t, EnumT) and t.is_plain:
            out.append((name, None, [c.name for c in t.constructors if c.name != j]))
        elif isinstance(t, IntT) and t.bounded:
            out.append((name, None, [x for x in range(t.lo, t.hi + 1) if x != j]))
    return [m for m in out if m[2]]


@settings(max_examples=60, deadline=None)
@given(walks(), st.sampled_from(("full", "owner")), st.booleans(), st.data())
def test_mutated_observation_diverges_at_that_event(tmp_path_factory, walk, observe, params, data):
    model, states, labels = walk
    events = encode_walk(model, states, labels, observe=observe, params=params)
    spots = [(k, m) for k, ev in enumerate(events) for m in _mutable(model, ev)]
    if not spots:
        return
    k, (name, key, alternatives) = data.draw(st.sampled_from(spots))
    new = data.draw(st.sampled_from(alternatives))
    mutated = json.loads(json.dumps(events))
    if key is None:
        mutated[k]["state"][name] = new
    else:
        mutated[k]["state"][name]["#map"][key][1] = new
    r, _ = validate(model, mutated, tmp_path_factory.mktemp("m"))
    if params:
        assert r.verdict == "divergence"
        assert (r.divergence.event, r.divergence.kind) == (k + 1, INCORRECT)
    else:
        assert r.verdict == "explained" or r.divergence.event >= k + 1


@settings(max_examples=60, deadline=None)
@given(walks(), st.data())
def test_mutated_action_diverges_exactly_when_it_cannot_take_the_step(tmp_path_factory, walk, data):
    model, states, labels = walk
    events = encode_walk(model, states, labels, observe="full")
    k = data.draw(st.integers(0, len(events) - 1))
    # another instance: any label of the model (static instances cover every action here)
    lab = data.draw(st.sampled_from(range(model.static_instances())))
    info = model.describe(lab)
    ptypes = model.param_types(info.action)
    from modelcheck.itf import encode

    mutated = json.loads(json.dumps(events))
    mutated[k]["action"] = info.action
    mutated[k]["params"] = {n: encode(v, t) for (n, _), v, t in zip(info.params, info.values, ptypes)}
    r, _ = validate(model, mutated, tmp_path_factory.mktemp("a"))
    succ = model.successors(states[k])  # the state before event k + 1
    takes_step = any(x == lab and t == states[k + 1] for x, t in succ)
    enabled = any(x == lab for x, _ in succ)
    if takes_step:
        assert r.verdict == "explained"
    else:
        assert r.verdict == "divergence" and r.divergence.event == k + 1
        assert r.divergence.kind == (INCORRECT if enabled else UNEXPECTED)
