"""``--itf PATH``: every counterexample and witness of a run, written as ITF JSON files.

Where the traces go (also in the README, "ITF traces"):

* ``PATH`` is a directory (it exists, or is written with a trailing ``/``): one file per
  trace, ``PATH/<Property>.itf.json`` (``Deadlock.itf.json`` for a deadlock); the
  directory is created if needed.
* otherwise, one trace goes to ``PATH`` itself; several go next to it, the property
  name inserted before the extension: ``cex.itf.json`` gives ``cex.Agreement.itf.json``
  and ``cex.Validity.itf.json`` (``PATH`` itself is then not written). Which files were
  written is printed on stderr.

Nothing is overwritten without ``--force``: an existing ``PATH`` file is refused before
the search starts, and a trace file that exists when the run ends is refused before
any file is written (all or nothing). A property with an empty trace (a ``reachable``
property found unreachable) has no trace to write.

Each file is :func:`modelcheck.itf.trace_to_itf`'s object (``vars``, ``states`` with
``mbt::actionTaken`` and ``mbt::nondetPicks``, ``loop`` for a lasso, ``#bigint`` for
integers beyond 2^53) with ``#meta`` also naming the property, its class, its kind and
whether the trace is a ``counterexample`` or a ``witness``.

Depends on :mod:`modelcheck.itf` and the result types.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .itf import trace_to_itf
from .result import CheckResult


class ITFOutputError(Exception):
    pass


def is_directory_target(path: str) -> bool:
    return path.endswith(("/", os.sep)) or os.path.isdir(path)


def check_target(path: str, force: bool = False) -> None:
    """Refuse, before a search, a ``PATH`` that exists as a file (unless ``force``)."""
    if not is_directory_target(path) and os.path.exists(path) and not force:
        raise ITFOutputError(f"--itf {path}: the file exists; use --force to overwrite it, or name "
                             "another file or a directory")


def violation_meta(v) -> dict:
    """The ``#meta`` fields that name a violation's property (added to the ITF object)."""
    meta = {"property": v.property, "class": v.cls, "kind": v.kind, "trace": "counterexample"}
    if v.message:
        meta["message"] = v.message
    return meta


def witness_meta(w) -> dict:
    meta = {"property": w.property, "class": w.cls, "kind": "reachable", "trace": "witness"}
    if w.message:
        meta["message"] = w.message
    return meta


def itf_object(model, meta: dict, trace, source: str = "") -> dict:
    """The one ITF object for a counterexample or witness: what an ``--itf`` file holds
    and what ``--json`` embeds (the README says they are the same object)."""
    obj = trace_to_itf(model, trace, source=source,
                       description=f"{meta['trace']} of {meta['kind']} {meta['property']}")
    obj["#meta"].update(meta)
    return obj


def traces_of(result: CheckResult) -> list[tuple[str, dict, object]]:
    """``(property, meta, trace)`` for each violation (then each witness) with states."""
    out = []
    for v in result.violations:
        if v.trace.states:
            out.append((v.property, violation_meta(v), v.trace))
    for w in result.witnesses:
        if w.trace.states:
            out.append((w.property, witness_meta(w), w.trace))
    return out


def target_paths(path: str, names: list[str]) -> list[Path]:
    """The file for each trace (see the module docstring)."""
    unique = []
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        unique.append(n if seen[n] == 1 else f"{n}-{seen[n]}")
    if is_directory_target(path):
        return [Path(path) / f"{n}.itf.json" for n in unique]
    if len(names) == 1:
        return [Path(path)]
    for ext in (".itf.json", ".json"):
        if path.endswith(ext):
            stem = path[: -len(ext)]
            return [Path(f"{stem}.{n}{ext}") for n in unique]
    return [Path(f"{path}.{n}.itf.json") for n in unique]


def write_traces(path: str, model, result: CheckResult, *, source: str = "",
                 force: bool = False) -> list[tuple[str, Path]]:
    """Write the run's traces; return ``(property, file)`` for each file written."""
    items = traces_of(result)
    if not items:
        return []
    files = target_paths(path, [name for name, _, _ in items])
    if not force:
        existing = [str(f) for f in files if f.exists()]
        if existing:
            raise ITFOutputError(f"--itf: {', '.join(existing)} exist{'s' if len(existing) == 1 else ''}; "
                                 "nothing written (use --force to overwrite)")
    if is_directory_target(path):
        Path(path).mkdir(parents=True, exist_ok=True)
    written = []
    for (name, meta, trace), f in zip(items, files):
        obj = itf_object(model, meta, trace, source)
        try:
            f.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")
        except OSError as e:
            raise ITFOutputError(f"--itf: cannot write {f}: {e.strerror or e}") from None
        written.append((name, f))
    return written
