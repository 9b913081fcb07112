"""One comparison shared by the C backend's tests: a C run must report exactly what the
Python backend reports for the same model and options (docs of modelcheck.native).

Only what cannot be equal is left out: the time taken (``seconds``, the ``*_seconds``
figures in ``extra``) and which backend ran (``backend``, ``backend_note``). Every other
field is compared, by name first so that a failure says which one differs, then as a
whole so that a field added to :class:`CheckResult` later is compared too."""

from __future__ import annotations

from dataclasses import replace

from modelcheck.result import CheckResult

#: compared one by one (the rest is compared by the final whole-result equality)
FIELDS = ("verdict", "stop_reason", "distinct_states", "generated_states", "depth", "max_frontier",
          "properties", "coverage", "never_enabled", "warnings", "error", "strategy", "symmetry")


def comparable(r: CheckResult) -> CheckResult:
    """``r`` without what two backends cannot share (time, the backend's name)."""
    extra = {k: v for k, v in r.extra.items() if not k.endswith("seconds")}
    return replace(r, seconds=0.0, extra=extra, backend="", backend_note="")


def assert_same(py: CheckResult, other: CheckResult) -> None:
    """``other`` (a C run, or a run repeated on Python) reports what ``py`` reports:
    figures, verdicts, coverage, warnings, error text, and every counterexample and
    witness state for state and label for label."""
    assert py.backend == "python"
    for name in FIELDS:
        assert getattr(other, name) == getattr(py, name), name
    assert len(other.violations) == len(py.violations), [v.property for v in other.violations]
    for v, w in zip(py.violations, other.violations):
        assert (w.property, w.cls, w.kind, w.message, w.failed_label) == \
               (v.property, v.cls, v.kind, v.message, v.failed_label)
        assert w.trace.states == v.trace.states, v.property
        assert w.trace.labels == v.trace.labels, v.property
        assert (w.trace.loop, w.trace.loop_label) == (v.trace.loop, v.trace.loop_label), v.property
    assert [(w.property, w.trace) for w in other.witnesses] == [(w.property, w.trace) for w in py.witnesses]
    assert comparable(other) == comparable(py)
