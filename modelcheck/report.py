"""Results as data: the ``--json`` object and the suite summary.

The JSON object has the fields documented in the README: ``verdict``,
``distinct_states``, ``generated_states``, ``depth`` (TLC's meaning under BFS),
``seconds``, ``violations`` (each ``{property, class, kind, trace}`` with an ITF trace),
``properties``, ``coverage`` and the search settings.
"""

from __future__ import annotations

from typing import Any

from .itfout import itf_object, violation_meta, witness_meta
from .model import HasVarTypes
from .result import CheckResult


def result_to_dict(result: CheckResult, model=None, source: str = "", consts: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "spec": model.name if model is not None else "",
        "file": source,
        "constants": consts,
        "verdict": result.verdict.value,
        "stop_reason": result.stop_reason.value,
        "distinct_states": result.distinct_states,
        "generated_states": result.generated_states,
        "depth": result.depth,
        "seconds": round(result.seconds, 4),
        "strategy": result.strategy,
        "symmetry": result.symmetry,
        "backend": result.backend,
        "properties": [
            {"property": p.name, "class": p.cls, "kind": p.kind, "verdict": p.verdict.value}
            for p in result.properties
        ],
        "violations": [],
        "coverage": [
            {"action": c.action, "instance": c.instance, "generated": c.generated, "distinct": c.distinct}
            for c in result.coverage
        ],
        "never_enabled": list(result.never_enabled),
        "exhaustive": result.exhaustive,
        "warnings": list(result.warnings),
    }
    if result.backend_note:
        out["backend_note"] = result.backend_note
    if result.error:
        out["error"] = result.error
    for v in result.violations:
        entry: dict[str, Any] = {"property": v.property, "class": v.cls, "kind": v.kind, "length": len(v.trace)}
        if v.message:
            entry["message"] = v.message
        if isinstance(model, HasVarTypes):
            entry["trace"] = itf_object(model, violation_meta(v), v.trace, source)
        out["violations"].append(entry)
    out["witnesses"] = []
    for w in result.witnesses:
        entry = {"property": w.property, "class": w.cls, "length": len(w.trace)}
        if w.message:
            entry["message"] = w.message
        if isinstance(model, HasVarTypes):
            entry["trace"] = itf_object(model, witness_meta(w), w.trace, source)
        out["witnesses"].append(entry)
    if "workers" in result.extra:
        out["workers"] = result.extra["workers"]
    if "alone_seconds" in result.extra:     # the default --workers: the start in one process
        out["alone_seconds"] = round(result.extra["alone_seconds"], 4)
    if "cluster" in result.extra:
        out["cluster"] = result.extra["cluster"]
    if "liveness_seconds" in result.extra:
        out["liveness_seconds"] = round(result.extra["liveness_seconds"], 4)
    if result.simulation is not None:
        _add_simulation(out, result)
    return out


def _add_simulation(out: dict[str, Any], result: CheckResult) -> None:
    """``modelcheck simulate --json``: the figures of the run, and for each violation
    the random trace that found it and its length before shrinking."""
    sim = result.simulation
    out["simulation"] = {
        "seed": sim.seed,
        "max_traces": sim.max_traces,
        "max_depth": sim.max_depth,
        "traces": sim.traces,
        "steps": sim.steps,
        "distinct_states": sim.distinct_states,
        "seconds": round(sim.seconds, 4),
        "shrink_seconds": round(sim.shrink_seconds, 4),
        "traces_per_second": round(sim.traces_per_second, 1),
        "steps_per_second": round(sim.steps_per_second, 1),
        "ends": dict(sim.ends),
        "exhaustive": False,
    }
    shrinks = {s.property: s for s in sim.shrinks}
    for entry in out["violations"]:
        info = shrinks.get(entry["property"])
        if info is not None:
            entry["found_by_trace"] = info.trace
            entry["original_length"] = info.original_length
            entry["shrink_replays"] = info.replays
