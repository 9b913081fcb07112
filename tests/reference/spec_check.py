"""A small per-transaction trace checker against specs/twophase/durable.mc, for the
reference implementation's own tests (the product feature is issue 7's validator).

For each transaction T, T's behaviour is its events plus the process-level events
(txn null) that come after T's first event in the merged order (every such event of
the coordinator, and of the participants T names). The checker keeps the set of spec
states consistent with the events so far (the network and the crash counter are not
observed) and reports the first event no spec step explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelcheck import load
from modelcheck.itf import decode
from modelcheck.types import FunT

DURABLE = Path(__file__).resolve().parents[2] / "specs" / "twophase" / "durable.mc"

_MODELS: dict = {}


def durable_model(rms=("rm1", "rm2", "rm3"), max_crashes: int = 1000, heuristic: bool = True):
    key = (tuple(rms), max_crashes, heuristic)
    if key not in _MODELS:
        spec = load(DURABLE, consts={"RM": tuple(rms), "MaxCrashes": max_crashes,
                                     "AllowHeuristic": heuristic})
        _MODELS[key] = spec.model
    return _MODELS[key]


@dataclass(frozen=True)
class Divergence:
    txn: str
    index: int          # position in T's behaviour
    event: dict
    candidates: int     # spec states possible just before it

    def __str__(self):
        e = self.event
        return (f"{self.txn}: event {self.index} ({e['proc']} lc {e['lc']} {e['action']} {e['params']}) "
                f"is not a step of the spec from any of {self.candidates} possible state(s)")


def behaviours(events: list[dict]) -> dict[str, list[dict]]:
    """Split a merged trace into per-transaction behaviours (see the module docstring)."""
    out: dict[str, list[dict]] = {}
    parts: dict[str, set] = {}
    for ev in events:
        txn = ev["txn"]
        if txn is not None:
            if txn not in out:
                out[txn] = []
                parts[txn] = set(ev.get("participants", ())) | {"tm"}
            out[txn].append(ev)
        else:
            for t, evs in out.items():
                if ev["proc"] in parts[t]:
                    evs.append(ev)
    return out


def _matches(model, state, observed: dict) -> bool:
    names = model.variables
    for var, j in observed.items():
        i = names.index(var)
        t = model.var_types[i]
        if isinstance(t, FunT) and isinstance(j, dict) and "#map" in j:
            dom = t.dom.names
            for k, v in j["#map"]:
                if state[i][dom.index(k)] != decode(v, t.cod):
                    return False
        elif state[i] != decode(j, t):
            return False
    return True


def _param_ok(model, info, params: dict) -> bool:
    if len(info.params) != len(params):
        return False
    for (name, _), v in zip(info.params, info.values):
        if name not in params:
            return False
        # parameters of durable.mc are RMs: model values, compiled to their index
        rm_names = model.var_types[0].dom.names
        if rm_names[v] != params[name]:
            return False
    return True


def check_behaviour(model, txn: str, evs: list[dict]) -> Divergence | None:
    states = set(model.initial_states())
    for i, ev in enumerate(evs):
        nxt = set()
        for s in states:
            for lab, t in model.successors(s):
                info = model.describe(lab)
                if info.action == ev["action"] and _param_ok(model, info, ev["params"]) and _matches(model, t, ev["state"]):
                    nxt.add(t)
        if not nxt:
            return Divergence(txn, i, ev, len(states))
        states = nxt
    return None


def check_trace(events: list[dict], model=None) -> list[Divergence]:
    model = model or durable_model()
    out = []
    for txn, evs in behaviours(events).items():
        d = check_behaviour(model, txn, evs)
        if d is not None:
            out.append(d)
    return out
