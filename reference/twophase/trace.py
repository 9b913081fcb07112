"""Trace files: one JSON-lines file per process, merged into one order by (lc, proc).

The event format is documented in docs/traces.md (and decided in the trace contract):
``{"v": 1, "proc", "lc", "txn", "action", "params", "state", "participants"?, "meta"?}``.

A process appends to ``<dir>/<proc>.trace.jsonl`` with one ``write`` per event on an
O_APPEND descriptor (no fsync: a killed process loses nothing that was written; the
Lamport clock of a step whose log record is durable but whose event was not written is
re-traced at restart, see ``start`` in the state machines). A restarted process reads
the lc of its last complete event, and drops an incomplete last line.

Depends on nothing but the standard library.
"""

from __future__ import annotations

import errno
import json
import os
from dataclasses import dataclass

REQUIRED = ("v", "proc", "lc", "txn", "action", "params", "state")


class TraceError(ValueError):
    """A trace file that does not follow the format; the message says where and why."""


class TraceFile:
    def __init__(self, path: str):
        self.path = path
        self.fd: int | None = None
        self.last_lc = 0
        self.size = 0           # bytes of whole events in the file
        self.note: str | None = None

    def open(self) -> int:
        """Open for appending; return the lc of the last complete event (0 if none)."""
        data = b""
        if os.path.exists(self.path):
            with open(self.path, "rb") as f:
                data = f.read()
        keep = len(data)
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            self.note = f"{self.path}: incomplete last line ({len(data) - keep} bytes) dropped"
        last = 0
        lines = data[:keep].splitlines()
        for line in reversed(lines):
            if line.strip():
                try:
                    last = int(json.loads(line)["lc"])
                except (ValueError, KeyError, TypeError):
                    raise TraceError(f"{self.path}:{len(lines)}: last event is not a trace event") from None
                break
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if keep != len(data):
            os.ftruncate(self.fd, keep)
        self.size = keep
        self.last_lc = last
        return last

    def write(self, ev: dict, note: bool = False) -> None:
        """Append one event, whole or not at all: a short or failed write (a full disk)
        is cut off again and raised, so a trace never has a torn line in the middle."""
        line = (json.dumps(ev, separators=(",", ":")) + "\n").encode()
        try:
            n = os.write(self.fd, line)
            if n != len(line):
                raise OSError(errno.ENOSPC, f"{self.path}: short write ({n} of {len(line)} bytes)")
        except OSError:
            try:
                os.ftruncate(self.fd, self.size)
            except OSError:
                pass
            raise
        self.size += len(line)
        if not note:
            self.last_lc = ev["lc"]

    def write_note(self, proc: str, kind: str, **fields) -> None:
        """Append a note: not a protocol step but what the process did about one (the
        delivery of messages to a peer that stalled: docs/traces.md, *Notes*). It takes
        the lc of the last event, which it follows; the validator skips it."""
        self.write({"v": 1, "proc": proc, "lc": max(1, self.last_lc), "note": kind, **fields}, note=True)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def dumps(ev: dict) -> str:
    return json.dumps(ev, separators=(",", ":"))


def is_note(ev) -> bool:
    """A note line (docs/traces.md, *Notes*): ``"note"`` in place of ``"action"``."""
    return isinstance(ev, dict) and "note" in ev and "action" not in ev


def read_events(path: str, notes: list | None = None) -> list[dict]:
    """Read one trace file's events, checking each line's shape; TraceError names
    file:line. Its notes go to ``notes`` when given, else are skipped."""
    out = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                ev = json.loads(line)
            except ValueError as e:
                raise TraceError(f"{path}:{i}: not JSON ({e.msg} at column {e.colno})") from None
            check_event(ev, f"{path}:{i}")
            if is_note(ev):
                if notes is not None:
                    notes.append(ev)
                continue
            out.append(ev)
    return out


def check_event(ev, where: str) -> None:
    if not isinstance(ev, dict):
        raise TraceError(f"{where}: an event must be a JSON object")
    if is_note(ev):
        if ev.get("v") != 1 or not isinstance(ev.get("proc"), str) or not isinstance(ev.get("note"), str):
            raise TraceError(f"{where}: a note needs v 1, a proc and a note kind (strings)")
        if not isinstance(ev.get("lc"), int) or isinstance(ev["lc"], bool) or ev["lc"] < 1:
            raise TraceError(f"{where}: lc must be an integer >= 1, found {ev.get('lc')!r}")
        return
    missing = [k for k in REQUIRED if k not in ev]
    if missing:
        raise TraceError(f"{where}: missing field(s) {', '.join(missing)}")
    if ev["v"] != 1:
        raise TraceError(f"{where}: unsupported format version {ev['v']!r}")
    if not isinstance(ev["lc"], int) or isinstance(ev["lc"], bool) or ev["lc"] < 1:
        raise TraceError(f"{where}: lc must be an integer >= 1, found {ev['lc']!r}")
    if not isinstance(ev["proc"], str) or not isinstance(ev["action"], str):
        raise TraceError(f"{where}: proc and action must be strings")
    if ev["txn"] is not None and not isinstance(ev["txn"], str):
        raise TraceError(f"{where}: txn must be a string or null")
    if not isinstance(ev["params"], dict) or not isinstance(ev["state"], dict):
        raise TraceError(f"{where}: params and state must be objects")
    parts = ev.get("participants")
    if parts is not None and not (isinstance(parts, list) and all(isinstance(p, str) for p in parts)):
        raise TraceError(f"{where}: participants must be a list of process names")


@dataclass(frozen=True)
class Merged:
    events: list[dict]
    files: dict[str, int]        # file -> events read
    notes: tuple = ()            # the files' notes, in (lc, proc) order

    def lines(self) -> list[dict]:
        """Events and notes in one (lc, proc) order, each note after the events of its
        lc (what ``merge-traces`` writes)."""
        return sorted(self.events + list(self.notes), key=lambda e: (e["lc"], e["proc"], is_note(e)))


def merge_events(per_proc: dict[str, list[dict]], where: dict[str, str] | None = None) -> list[dict]:
    """Merge per-process event lists into one list ordered by (lc, proc), checking
    that each process's clock strictly increases."""
    allev = []
    for proc, evs in per_proc.items():
        prev = 0
        for i, ev in enumerate(evs, 1):
            if ev["proc"] != proc:
                raise TraceError(f"{(where or {}).get(proc, proc)}: event {i} is from {ev['proc']!r}, not {proc!r}")
            if ev["lc"] <= prev:
                raise TraceError(f"{(where or {}).get(proc, proc)}: event {i}: lc {ev['lc']} does not increase "
                                 f"(previous {prev})")
            prev = ev["lc"]
            allev.append(ev)
    allev.sort(key=lambda e: (e["lc"], e["proc"]))
    return allev


def merge_dir(directory: str) -> Merged:
    files = sorted(f for f in os.listdir(directory) if f.endswith(".trace.jsonl"))
    if not files:
        raise TraceError(f"{directory}: no *.trace.jsonl files")
    per_proc: dict[str, list[dict]] = {}
    where: dict[str, str] = {}
    counts = {}
    notes: list[dict] = []
    for f in files:
        path = os.path.join(directory, f)
        evs = read_events(path, notes)
        proc = f[: -len(".trace.jsonl")]
        per_proc[proc] = evs
        where[proc] = path
        counts[path] = len(evs)
    notes.sort(key=lambda e: (e["lc"], e["proc"]))
    return Merged(merge_events(per_proc, where), counts, tuple(notes))


def write_events(path: str, events, *, force: bool = False) -> None:
    mode = "w" if force else "x"
    with open(path, mode, encoding="utf-8") as f:
        for ev in events:
            f.write(dumps(ev) + "\n")
