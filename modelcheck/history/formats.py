"""Reading and writing histories: the JSON-lines format (docs/histories.md), and the
dispatch to Jepsen's formats (:mod:`.jepsen`, imported only when asked for).

One operation per line::

    {"process": 0, "call": 1.0, "ret": 2.5, "f": "write", "args": [3], "result": null}

``process`` an integer or a string; ``call`` and ``ret`` numbers on one clock (``ret``
``null`` or absent: no response); ``f`` the operation; ``args`` a list (default
``[]``); ``result`` any JSON value (default ``null``); ``type`` optional: ``"ok"``,
``"info"`` (the outcome is unknown: read as no response) or ``"fail"`` (known to have
failed without effect: dropped, and counted in the notes). Blank lines and lines that
start with ``#`` are skipped. Lists become tuples (so that values hash). Operations get
ids in line order.

Every reader returns ``(ops, notes)``: notes is a dict (``format``, ``operations``,
``dropped_failed``, ``pending``, and ``overlapping`` for a process that issued an
operation before its previous one returned). Bad input raises :class:`HistoryError`
naming ``file:line``.

Depends on :mod:`.core` only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable

from .core import HistoryError, Op

__all__ = ["read_history", "read_jsonl", "write_jsonl", "FORMATS", "format_of"]

FORMATS = ("auto", "jsonl", "edn", "jepsen-log")
_BY_SUFFIX = {".jsonl": "jsonl", ".json": "jsonl", ".edn": "edn", ".log": "jepsen-log", ".txt": "jepsen-log"}
_FIELDS = {"process", "call", "ret", "f", "args", "result", "type"}
_TYPES = {"ok", "info", "fail"}


def format_of(path: str | Path, fmt: str = "auto") -> str:
    """The format ``fmt`` names, or for ``auto`` the one ``path``'s extension says."""
    if fmt not in FORMATS:
        raise HistoryError(f"unknown history format {fmt!r} (the formats are {', '.join(FORMATS)})")
    if fmt != "auto":
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in _BY_SUFFIX:
        raise HistoryError(f"cannot tell the format of {path} from its extension: name it with --format "
                           f"(.jsonl/.json JSON lines, .edn Jepsen EDN, .log/.txt a Jepsen test log)")
    return _BY_SUFFIX[suffix]


def read_history(path: str | Path, fmt: str = "auto") -> tuple[list[Op], dict]:
    """Read the history in ``path`` (see the module docstring)."""
    fmt = format_of(path, fmt)
    if fmt == "jsonl":
        return read_jsonl(path)
    from .jepsen import read_edn, read_jepsen_log

    return read_edn(path) if fmt == "edn" else read_jepsen_log(path)


def _tuples(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_tuples(x) for x in v)
    if isinstance(v, dict):
        raise ValueError("an object")
    return v


def _time(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f'"{name}" must be a finite number, not {json.dumps(v)}')
    return v


def _read_lines(path: Path) -> Iterable[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as fh:
            yield from enumerate(fh, start=1)
    except FileNotFoundError:
        raise HistoryError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise HistoryError(f"{path} is a directory, not a history file") from None
    except UnicodeDecodeError as e:
        raise HistoryError(f"{path} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise HistoryError(f"cannot read {path}: {e.strerror or e}") from None


def read_jsonl(path: str | Path) -> tuple[list[Op], dict]:
    """Read a JSON-lines history (the module docstring gives the format)."""
    path = Path(path)
    ops: list[Op] = []
    dropped = 0
    for lineno, text in _read_lines(path):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise HistoryError(f"not JSON: {e.msg} (column {e.colno})", where) from None
        if not isinstance(obj, dict):
            raise HistoryError(f"expected an object, one operation per line, not {type(obj).__name__}", where)
        unknown = sorted(set(obj) - _FIELDS)
        if unknown:
            raise HistoryError(f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                               f"(the fields are {', '.join(sorted(_FIELDS))})", where)
        missing = [k for k in ("process", "call", "f") if k not in obj]
        if missing:
            raise HistoryError(f"missing field{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}", where)
        try:
            process = obj["process"]
            if isinstance(process, bool) or not isinstance(process, (int, str)):
                raise ValueError(f'"process" must be an integer or a string, not {json.dumps(process)}')
            call = _time(obj["call"], "call")
            ret = obj.get("ret")
            if ret is not None:
                ret = _time(ret, "ret")
                if ret < call:
                    raise ValueError(f'"ret" ({ret:g}) is before "call" ({call:g})')
            f = obj["f"]
            if not isinstance(f, str) or not f:
                raise ValueError(f'"f" must be the operation\'s name, not {json.dumps(f)}')
            args = obj.get("args", [])
            if not isinstance(args, list):
                raise ValueError(f'"args" must be a list, not {json.dumps(args)}')
            try:
                args = _tuples(args)
                result = _tuples(obj.get("result"))
            except ValueError:
                raise ValueError("arguments and results must be JSON scalars or lists, not objects") from None
            typ = obj.get("type", "ok")
            if typ not in _TYPES:
                raise ValueError(f'"type" must be "ok", "info" or "fail", not {json.dumps(typ)}')
        except ValueError as e:
            raise HistoryError(str(e), where) from None
        if typ == "fail":
            dropped += 1
            continue
        if typ == "info":
            ret = None
        ops.append(Op(len(ops), process, call, ret, f, args, result, lineno))
    return ops, notes(ops, "jsonl", dropped)


def notes(ops: list[Op], fmt: str, dropped: int) -> dict:
    """The notes every reader returns (see the module docstring)."""
    last: dict[Any, Op] = {}
    overlapping = []
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        prev = last.get(op.process)
        if prev is not None and (prev.ret is None or prev.ret > op.call) and len(overlapping) < 10:
            overlapping.append(f"process {prev.process}: operation {op.id} (line {op.line}) starts before "
                               f"operation {prev.id} (line {prev.line}) returned")
        last[op.process] = op
    out = {"format": fmt, "operations": len(ops), "dropped_failed": dropped,
           "pending": sum(1 for o in ops if o.ret is None)}
    if overlapping:
        out["overlapping"] = overlapping
    return out


def _jsonable(v: Any) -> Any:
    return [_jsonable(x) for x in v] if isinstance(v, tuple) else v


def write_jsonl(ops: Iterable[Op], path: str | Path) -> None:
    """Write ``ops`` as a JSON-lines history, in id order (read back, ids and fields are
    the same; lines are renumbered)."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for op in sorted(ops, key=lambda o: o.id):
            fh.write(json.dumps({"process": op.process, "call": op.call, "ret": op.ret, "f": op.f,
                                 "args": _jsonable(op.args), "result": _jsonable(op.result)}) + "\n")
