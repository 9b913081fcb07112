"""Shared helpers for the conformance tests: random walks, and encoding
a behaviour of the spec as an implementation trace (JSON lines), the way the
reference implementation logs it."""

from __future__ import annotations

import json
import random

from modelcheck.itf import encode
from modelcheck.types import FunT, ModelT, domain_values

def walk(model, n: int, seed: int):
    """A random walk of at most ``n`` steps: (states, labels)."""
    rng = random.Random(seed)
    s = model.initial_states()[0]
    states, labels = [s], [None]
    for _ in range(n):
        succ = model.successors(s)
        if not succ:
            break
        lab, s = succ[rng.randrange(len(succ))]
        states.append(s)
        labels.append(lab)
    return states, labels


def proc_of(model, label) -> str:
    """TM actions belong to the coordinator `tm`, an RM action to the RM it names."""
    info = model.describe(label)
    if info.action.startswith("TM"):
        return "tm"
    return info.params[0][1] if info.params else "env"


def owned(model, proc: str, state) -> dict:
    """What a process logs: an RM its own key of each RM-indexed function; the TM the
    TM variables (everything that is not indexed by RM and not the network)."""
    out = {}
    for i, (name, t) in enumerate(zip(model.variables, model.var_types)):
        if name == "msgs":
            continue
        if isinstance(t, FunT) and isinstance(t.dom, ModelT):
            if proc != "tm":
                k = t.dom.names.index(proc)
                out[name] = {"#map": [[proc, encode(state[i][k], t.cod)]]}
        elif proc == "tm":
            out[name] = encode(state[i], t)
    return out


def event(model, label, state, observe="owner", txn=None, lc=1, params=True) -> dict:
    info = model.describe(label)
    proc = proc_of(model, label)
    ptypes = model.param_types(info.action)
    ev = {"v": 1, "proc": proc, "lc": lc, "txn": txn, "action": info.action}
    if params:
        ev["params"] = {n: encode(v, t) for (n, _), v, t in zip(info.params, info.values, ptypes)}
    if observe == "full":
        ev["state"] = {n: encode(v, t) for n, t, v in zip(model.variables, model.var_types, state)}
    elif observe == "owner":
        ev["state"] = owned(model, proc, state)
    elif observe == "rmState":
        t = model.var_types[model.variables.index("rmState")]
        i = model.variables.index("rmState")
        ev["state"] = {"rmState": {"#map": [[encode(k, t.dom), encode(v, t.cod)]
                                            for k, v in zip(domain_values(t.dom), state[i])]}}
    else:
        ev["state"] = {}
    return ev


def encode_walk(model, states, labels, observe="owner", txn=None, params=True) -> list[dict]:
    clocks: dict[str, int] = {}
    out = []
    for s, lab in zip(states[1:], labels[1:]):
        p = proc_of(model, lab)
        clocks[p] = clocks.get(p, 0) + 1
        out.append(event(model, lab, s, observe, txn, clocks[p], params))
    return out


def write_jsonl(path: Path, events: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


ZAB_IMPL = "specs/zab/zab_impl.mc"


def validate_zab(trace, *extra) -> tuple[int, dict]:
    """``trace validate specs/zab/zab_impl.mc TRACE --config validate --json`` (exit
    code, JSON; ``"--complete"`` in ``extra`` for --complete), on the spec loaded once."""
    from modelcheck.conform import validate_trace
    from modelcheck.conform.render import validation_to_dict
    from tests.helpers import load_spec

    spec = load_spec(ZAB_IMPL, config="validate")
    result = validate_trace(spec.model, trace, complete="--complete" in extra)
    return result.exit_code, validation_to_dict(result, spec.name, ZAB_IMPL, str(trace), spec.describe_consts())
