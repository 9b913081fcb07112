"""Conformance: implementation traces checked against a spec, and traces generated from it.

* :mod:`.events`   reading traces (implementation JSON lines, ITF) into decoded events
* :mod:`.validate` the candidate-set validator (``modelcheck trace validate``)
* :mod:`.replay`   an ITF trace replayed with every variable observed (``modelcheck replay``)
* :mod:`.generate` covering traces and seeded random walks (``modelcheck trace generate``)
* :mod:`.render`   text for all of the above

These modules see a spec only through the model protocol and its optional capabilities
(:mod:`modelcheck.model`): :class:`~modelcheck.model.Traceable` hands over the typed
artifact the front end builds for them (:class:`~modelcheck.model.SpecSignature`: actions
with their parameter names, model-value sets), the actions compiled one by one, and an
explainer, :class:`modelcheck.dsl.explain.Explainer`, which says why a step cannot be
explained by re-evaluating the spec's guards (it lives beside the compiler; its result
types are imported from there). They never read the checker's tables (``model.checked``).
docs/conformance.md is the user documentation.
"""

from __future__ import annotations


def validate_trace(model, path, *, complete: bool = False, coordinator: str = "tm", fmt: str = "auto",
                   max_candidates: int | None = None):
    """Validate the trace at ``path`` (JSON lines, a directory of ``*.trace.jsonl``, or
    ITF for a ``.json`` file) against a compiled model (``modelcheck.load(...).model``);
    returns a frozen :class:`~modelcheck.conform.validate.ValidationResult`. Raises
    :class:`~modelcheck.conform.events.TraceError` on bad input."""
    from pathlib import Path

    from .events import read_itf, read_jsonl
    from .validate import DEFAULT_MAX_CANDIDATES, validate_behaviours

    p = Path(path)
    itf = fmt == "itf" or (fmt == "auto" and p.is_file() and p.name.endswith(".json"))
    behaviours = read_itf(p, model) if itf else read_jsonl(p, model, coordinator=coordinator)
    return validate_behaviours(model, behaviours, complete=complete,
                               max_candidates=max_candidates or DEFAULT_MAX_CANDIDATES)


__all__ = ["validate_trace"]
