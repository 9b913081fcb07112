"""The suite: check every spec configuration a manifest lists, and say which runs gave
the verdict they must. This module reads the manifest and returns data (a
:class:`RunOutcome` per run, the records of ``summary.json``); the command line
(``modelcheck suite``, :mod:`modelcheck.cli.suite`) prints the summary table and writes
the report (``summary.txt``, ``summary.json`` and the HTML report of
:mod:`modelcheck.render.html`).

The manifest (``specs/suite.toml``) lists runs::

    [[run]]
    spec = "twophase/twophase.mc"     # relative to the manifest
    consts = { RM = "3" }             # optional, as --const (or RM = 3, Bug = true, RM = ["a", "b"])
    config = "rm5"                    # optional, as --config
    symmetry = true                   # optional, false as --no-symmetry
    deadlock = false                  # optional, as --no-deadlock (true: --deadlock; absent: the spec says)
    temporal = true                   # optional, false as --no-temporal
    strategy = "bfs"                  # optional, "dfs" as --dfs
    expect = "holds"                  # the verdict the run must give
    slow = false                      # skipped by --quick

A run whose verdict differs from ``expect`` makes the suite fail (exit 1), so the
seeded-bug runs prove the checker still finds the bugs. A spec that does not load is
reported with its diagnostics and also fails the suite.

Constants reach :func:`check_run` as real values: the text in ``consts`` is read by the
command line (``modelcheck.cli.common.manifest_consts``), the one place that parses
constants written as text. Depends on the API, the search and the JSON form of results.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from .diagnostics import SpecError
from .native import explore
from .search import Options
from .report import result_to_dict
from .result import CheckResult

RUN_KEYS = {"spec", "consts", "config", "symmetry", "deadlock", "temporal", "strategy", "expect", "slow", "backend"}
VERDICTS = {"holds", "violated", "deadlock", "undetermined", "error"}


class ManifestError(Exception):
    pass


def read_manifest(manifest: str | Path) -> list[dict]:
    mpath = Path(manifest)
    try:
        data = tomllib.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"no such manifest: {mpath}") from None
    except tomllib.TOMLDecodeError as e:
        raise ManifestError(f"{mpath}: {e}") from None
    runs = data.get("run")
    if not isinstance(runs, list) or not runs:
        raise ManifestError(f"{mpath}: no [[run]] entries")
    for i, run in enumerate(runs, 1):
        unknown = set(run) - RUN_KEYS
        if unknown:
            raise ManifestError(f"{mpath}: run {i}: unknown key(s) {', '.join(sorted(unknown))}")
        if "spec" not in run:
            raise ManifestError(f"{mpath}: run {i}: missing 'spec'")
        if run.get("expect", "holds") not in VERDICTS:
            raise ManifestError(f"{mpath}: run {i}: expect must be one of {', '.join(sorted(VERDICTS))}")
        if run.get("strategy", "bfs") not in ("bfs", "dfs"):
            raise ManifestError(f"{mpath}: run {i}: strategy must be bfs or dfs")
        if run.get("backend", "auto") not in ("auto", "c", "python"):
            raise ManifestError(f"{mpath}: run {i}: backend must be auto, c or python")
        run["_spec_path"] = mpath.parent / run["spec"]
    return runs


def run_options(run: dict) -> Options:
    """The search options a manifest run asks for (defaults as ``modelcheck check``)."""
    return Options(
        symmetry=run.get("symmetry", True),
        check_deadlock=run.get("deadlock"),        # absent: as the spec's options say
        check_temporal=run.get("temporal", True),
        strategy=run.get("strategy", "bfs"),
        # auto: the C backend where it compiles the spec (identical results), else Python
        backend=run.get("backend", "auto"),
    )


def run_label(run: dict) -> str:
    parts = []
    if run.get("config"):
        parts.append(run["config"])
    parts += [f"{k}={v}" for k, v in (run.get("consts") or {}).items()]
    if run.get("symmetry") is False:
        parts.append("no-symmetry")
    if run.get("deadlock") is False:
        parts.append("no-deadlock")
    if run.get("temporal") is False:
        parts.append("no-temporal")
    if run.get("strategy") == "dfs":
        parts.append("dfs")
    return " ".join(parts) or "default"


@dataclass(frozen=True)
class RunOutcome:
    """One manifest run, checked: the spec and its result, or the :class:`SpecError` of a
    spec that did not load (then ``spec`` and ``result`` are ``None``)."""

    run: dict
    label: str
    expect: str
    spec: Any = None
    result: CheckResult | None = None
    error: SpecError | None = None
    #: peak resident memory of the process that checked the run, in bytes, when it ran
    #: in a worker process of its own (``check_runs`` with ``jobs`` > 1), else ``None``
    peak_memory: int | None = None

    @property
    def verdict(self) -> str:
        return "error" if self.result is None else self.result.verdict.value

    @property
    def as_expected(self) -> bool:
        return self.result is not None and self.verdict == self.expect

    @property
    def failure(self) -> str | None:
        """Why the run fails the suite, or ``None``."""
        if self.result is None:
            return f"{self.run['spec']} [{self.label}]: the spec does not load"
        if not self.as_expected:
            return f"{self.run['spec']} [{self.label}]: expected {self.expect}, got {self.verdict}"
        return None

    def rows(self) -> list[tuple]:
        """Rows of the summary table, one per property: (spec, configuration, property,
        class, verdict, distinct states, depth, seconds, as expected)."""
        if self.result is None:
            return [(self.run["spec"], self.label, "-", "-", "error", 0, 0, 0.0, False)]
        r = self.result
        return [(self.spec.name, self.label, p.name, p.cls, p.verdict.value, r.distinct_states, r.depth,
                 r.seconds, self.as_expected) for p in r.properties]

    def record(self) -> dict:
        """The run in ``summary.json``."""
        spec_path = self.run["_spec_path"]
        if self.result is None:
            return {"source": str(spec_path), "run": self.label, "verdict": "error",
                    "expect": self.expect, "as_expected": False}
        rec = result_to_dict(self.result, self.spec.model, source=str(spec_path),
                             consts=self.spec.describe_consts())
        rec["run"] = self.label
        if self.peak_memory is not None:
            rec["peak_memory_mb"] = round(self.peak_memory / 2**20)
        rec["expect"] = self.expect
        rec["as_expected"] = self.as_expected
        return rec


def check_run(run: dict, consts: Mapping[str, Any]) -> RunOutcome:
    """Load and check one manifest run with ``consts`` (real values: the face reads the
    manifest's text; see ``modelcheck.cli.common.manifest_consts``)."""
    from .api import load

    label = run_label(run)
    expect = run.get("expect", "holds")
    try:
        spec = load(run["_spec_path"], consts=consts, config=run.get("config"))
    except SpecError as e:
        return RunOutcome(run, label, expect, error=e)
    return RunOutcome(run, label, expect, spec, explore(spec.model, run_options(run)))


def _check_result(run: dict, consts: Mapping[str, Any]) -> tuple[CheckResult | None, int]:
    """In a worker process (a fresh one per run): the run's result (picklable plain
    data), or ``None`` when the spec does not load (the parent loads it again to get its
    diagnostics), the process's peak resident memory in bytes, and the labels the
    search numbered (``CompiledModel.dynamic_labels``)."""
    import resource

    outcome = check_run(run, consts)
    # labels numbered during the search (state-dependent parameter sets) travel with the
    # result: the parent, loading the spec afresh, numbers them the same way
    labels = getattr(outcome.spec.model, "dynamic_labels", list)() if outcome.spec is not None else []
    return outcome.result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, labels  # Linux: KiB


def check_runs(runs: list[dict], consts: list[Mapping[str, Any]], jobs: int = 1,
               on_start: Callable[[int], None] | None = None,
               on_done: Callable[[int, RunOutcome], None] | None = None) -> list[RunOutcome]:
    """Check every run, ``jobs`` at a time, and return the outcomes in the manifest's
    order (whatever order they finish in).

    With ``jobs`` > 1 the runs go to worker processes, the ones marked ``slow`` first (so
    that the longest runs do not start last and leave the other cores idle); a worker
    returns the :class:`CheckResult`, and this process loads the spec again for the
    renderers (a spec's compiled model does not cross processes; loading is a small part
    of a run). Verdicts, counts and traces are the same as with ``jobs=1``: each run is
    the same deterministic search. ``on_start(i)`` and ``on_done(i, outcome)`` (``i``
    the run's index) let the caller show progress; this module prints nothing."""
    from .api import load

    outcomes: list[RunOutcome | None] = [None] * len(runs)
    if jobs <= 1 or len(runs) <= 1:
        for i, (r, c) in enumerate(zip(runs, consts)):
            if on_start:
                on_start(i)
            outcomes[i] = check_run(r, c)
            if on_done:
                on_done(i, outcomes[i])
        return outcomes  # type: ignore[return-value]

    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    order = sorted(range(len(runs)), key=lambda i: (not runs[i].get("slow"), i))
    # a fresh process per run: memory is given back between runs, and each run's peak
    # resident memory is its own (``RunOutcome.peak_memory``)
    with ProcessPoolExecutor(max_workers=jobs, max_tasks_per_child=1) as pool:
        try:
            pending = {}
            queue = list(order)

            def submit():
                i = queue.pop(0)
                pending[pool.submit(_check_result, runs[i], dict(consts[i]))] = i
                if on_start:
                    on_start(i)

            # no more in flight than workers, so that on_start means "started"
            while queue and len(pending) < jobs:
                submit()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    i = pending.pop(f)
                    result, peak, labels = f.result()
                    r = runs[i]
                    label, expect = run_label(r), r.get("expect", "holds")
                    try:
                        spec = load(r["_spec_path"], consts=consts[i], config=r.get("config"))
                    except SpecError as e:
                        outcome = RunOutcome(r, label, expect, error=e)
                    else:
                        if labels:
                            spec.model.adopt_dynamic_labels(labels)
                        outcome = RunOutcome(r, label, expect, spec, result, peak_memory=peak) \
                            if result is not None else check_run(r, consts[i])
                    outcomes[i] = outcome
                    if on_done:
                        on_done(i, outcome)
                    if queue:
                        submit()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return outcomes  # type: ignore[return-value]


def summary(outcomes: list[RunOutcome]) -> dict:
    """The content of ``summary.json``: every run's record and every failure."""
    return {"runs": [o.record() for o in outcomes], "failures": failures(outcomes)}


def failures(outcomes: list[RunOutcome]) -> list[str]:
    return [o.failure for o in outcomes if o.failure is not None]
