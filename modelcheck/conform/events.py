"""Reading traces: implementation event logs (JSON lines) and ITF, decoded against a spec.

Two inputs, one result: a list of :class:`Behaviour` objects, each a sequence of
:class:`Event` objects whose action, parameters and observed variables are already
decoded into the spec's value representation (model values as ints, sets as
frozensets, ...), so validation never touches JSON again.

* **JSON lines** (the contract in docs/conformance.md): one object per step, ``v``,
  ``proc``, ``lc``, ``txn``, ``action``, ``params``, ``state``, ``participants``,
  ``meta`` (free-form, never read). Events are grouped into one behaviour per
  transaction (``txn``); an event with ``"txn": null`` is process-level (a crash, a
  restart) and joins every transaction that began before it in the file and that its
  process takes part in (see :func:`group`). A file in which no event names a
  transaction is one behaviour. A directory holding ``*.trace.jsonl`` files (one per
  process) is merged first, ordered by ``(lc, proc)``.
* **ITF** (Apalache's Informal Trace Format, as :mod:`modelcheck.itf` writes it):
  ``states[0]`` is the initial state, each later state one step; its
  ``mbt::actionTaken`` and ``mbt::nondetPicks`` (Quint's names) give the action and its
  parameters when present, otherwise any action may explain the step. A variable left
  out of a state is not observed. The output of ``modelcheck check --json`` is accepted
  too: each violation's and witness's ``trace`` is one behaviour.

Observations. A variable's whole value is observed, except that a ``#map`` for a total
function (``K -> V``) observes only the keys it lists: ``{"#map": [["rm1", "prepared"]]}``
says ``rmState[rm1] == prepared`` and nothing about the other keys. (For a ``map[K, V]``
a ``#map`` is the whole map: a key left out is a key absent.) An observation is kept as
a *shape*, a tuple of ``(variable index, key ordinal or -1)``, and a tuple of values; the
validator compiles one filter per shape.

Every problem with the input is a :class:`TraceError` naming the file, the line (or the
ITF state) and what is wrong, with a did-you-mean for a misspelt action, parameter or
variable; all of them are gathered (up to :data:`MAX_ERRORS`) before giving up.

Depends on the model protocol's compiled-model extras (variable and parameter types),
:mod:`modelcheck.itf` and :mod:`modelcheck.types`.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Code, Diagnostic
from ..ir import Span
from ..itf import ITFDecodeError
from ..model import Traceable
from ..itf import decode as _itf_decode
from ..types import EnumT, FunT, Type, domain_values

MAX_ERRORS = 20
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a trace: ``where`` is ``file:line`` or ``file: states[3]``;
    ``code`` is its error code (``Code.TRACE_UNREADABLE``, ``TRACE_MALFORMED`` or
    ``TRACE_MISFIT``: a step that does not fit the spec). The printed text and the JSON
    are as they were before codes (the code is for programs: :meth:`diagnostic`)."""

    file: str
    line: int | None
    message: str
    where: str = ""
    hint: str = ""
    code: Code = Code.TRACE_MISFIT

    def diagnostic(self) -> Diagnostic:
        """This problem as a coded :class:`Diagnostic` (a line, when known, as its span)."""
        span = Span(self.file, self.line, 1, self.line, 1) if self.line is not None else None
        where = f"{self.where}: " if self.where else ""
        return Diagnostic(self.code, where + self.message, span, hint=self.hint or None)

    def render(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line is not None else self.file
        if self.where:
            loc += f": {self.where}"
        out = f"{loc}: {self.message}"
        if self.hint:
            out += f"\n   = hint: {self.hint}"
        return out

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"file": self.file, "line": self.line, "message": self.message}
        if self.where:
            d["where"] = self.where
        if self.hint:
            d["hint"] = self.hint
        return d


class TraceError(Exception):
    """A trace that cannot be read: one or more :class:`Problem` objects."""

    def __init__(self, problems: list[Problem], more: int = 0):
        self.problems = list(problems)
        self.more = more
        super().__init__(self.render())

    def render(self) -> str:
        out = "\n".join(p.render() for p in self.problems)
        if self.more:
            out += f"\n... and {self.more} more problems"
        return out


@dataclass(frozen=True, slots=True)
class Event:
    """One step of a trace, decoded.

    ``action`` is the action's index in the spec (``None``: any action, an ITF state
    without ``mbt::actionTaken``); ``params`` holds every parameter's value when all
    are given, else None, and then ``known`` lists the ``(position, value)`` of those
    given. ``shape``/``values`` are the observation (see the module docstring)."""

    index: int  # position in the input (0-based; for ITF the state index)
    line: int | None
    proc: str | None
    txn: str | None
    lc: int | None
    action: int | None
    params: tuple | None
    known: tuple[tuple[int, Any], ...]
    shape: tuple[tuple[int, int], ...]
    values: tuple
    #: the observed state as written (ITF JSON), for reports
    observed: dict = field(default_factory=dict, compare=False)
    #: the parameters as written
    raw_params: dict = field(default_factory=dict, compare=False)
    #: the event's ``participants`` field: who takes part in its transaction (see group())
    participants: tuple = ()
    #: the file the event was read from (a directory of per-process traces has several)
    file: str = ""


@dataclass(frozen=True)
class Behaviour:
    """The events of one transaction (or of the whole trace), in order. ``initial`` is
    the observation of the initial state (ITF's ``states[0]``), or None (JSON lines:
    any initial state of the spec). ``loop`` is an ITF lasso's loop index."""

    name: str | None
    events: tuple[Event, ...]
    initial: Event | None = None
    loop: int | None = None
    loop_action: str | None = None
    source: str = ""
    #: "jsonl" | "itf"
    format: str = "jsonl"


def did_you_mean(name: str, options) -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


class Decoder:
    """Decodes actions, parameters and observations against one compiled model."""

    def __init__(self, model):
        if not isinstance(model, Traceable):
            raise TypeError(f"reading a trace needs a model compiled from a spec, not {type(model).__name__}")
        self.model = model
        self.signature = model.signature
        self.var_index = {n: i for i, n in enumerate(model.variables)}
        self.var_types: tuple[Type, ...] = tuple(model.var_types)
        self.actions = {a.name: i for i, a in enumerate(self.signature.actions)}
        self.param_names = [a.params for a in self.signature.actions]
        self.param_types = [tuple(model.param_types(a.name)) for a in self.signature.actions]

    def action(self, name: Any) -> int:
        if not isinstance(name, str):
            raise ValueError(f"`action` must be a string naming an action of the spec, found {json.dumps(name)}")
        ai = self.actions.get(name)
        if ai is None:
            raise ValueError(f"unknown action `{name}`: the spec {self.model.name} has no such action"
                             + did_you_mean(name, self.actions))
        return ai

    def params(self, ai: int, raw: Any, what: str = "params") -> tuple[tuple | None, tuple]:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ValueError(f"`{what}` must be an object mapping parameter names to ITF values")
        names, types = self.param_names[ai], self.param_types[ai]
        known = []
        picks = self.signature.actions[ai].picks
        for k, j in raw.items():
            if k not in names and (k in picks or k.startswith("either (line ")):
                continue                    # a choice inside the action, not a parameter
            if k not in names:
                action = self.signature.actions[ai].name
                have = ", ".join(names) if names else "none"
                raise ValueError(f"action `{action}` has no parameter `{k}` (its parameters: {have})"
                                 + did_you_mean(k, names))
            pos = names.index(k)
            t = types[pos]
            j = _unwrap_option(j, t)
            if j is _NONE:
                continue
            try:
                known.append((pos, decode(j, t)))
            except ITFDecodeError as e:
                raise ValueError(f"{what}.{k}: {e}") from None
        known.sort()
        if len(known) == len(names):
            return tuple(v for _, v in known), tuple(known)
        return None, tuple(known)

    def observation(self, raw: Any, what: str = "state", skip_meta: bool = False) -> tuple[tuple, tuple]:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ValueError(f"`{what}` must be an object mapping variable names to ITF values")
        shape: list[tuple[int, int]] = []
        values: list = []
        for name, j in raw.items():
            if skip_meta and (name.startswith("#") or name.startswith("mbt::")):
                continue
            i = self.var_index.get(name)
            if i is None:
                raise ValueError(f"unknown variable `{name}`: the spec {self.model.name} has no such variable"
                                 + did_you_mean(name, self.var_index))
            t = self.var_types[i]
            try:
                if isinstance(t, FunT) and isinstance(j, dict) and "#map" in j:
                    keys = domain_values(t.dom)
                    seen = set()
                    pairs = j["#map"]
                    if not isinstance(pairs, list):
                        raise ITFDecodeError("`#map` must be a list of [key, value] pairs")
                    for pair in pairs:
                        if not (isinstance(pair, list) and len(pair) == 2):
                            raise ITFDecodeError(f"`#map` entries must be [key, value] pairs, found {json.dumps(pair)}")
                        k = decode(pair[0], t.dom)
                        if k in seen:
                            raise ITFDecodeError(f"key {json.dumps(pair[0])} given twice")
                        seen.add(k)
                        shape.append((i, keys.index(k)))
                        values.append(decode(pair[1], t.cod))
                else:
                    v = decode(j, t)
                    shape.append((i, -1))
                    values.append(v)
            except ITFDecodeError as e:
                raise ValueError(f"{what}.{name}: {e}") from None
        return tuple(shape), tuple(values)


def decode(j: Any, t: Type) -> Any:
    """:func:`modelcheck.itf.decode`, with a clearer message for a misspelt enum value."""
    try:
        return _itf_decode(j, t)
    except ITFDecodeError:
        if isinstance(t, EnumT) and isinstance(j, str):
            names = [c.name for c in t.constructors]
            if j not in names:
                raise ITFDecodeError(f"{json.dumps(j)} is not a value of {t.name} ({', '.join(names)})"
                                     + did_you_mean(j, names)) from None
        raise


class _NoneT:
    pass


_NONE = _NoneT()


def _unwrap_option(j: Any, t: Type) -> Any:
    """Quint writes ``mbt::nondetPicks`` values as options: ``{"tag": "Some", "value": v}``
    or ``{"tag": "None", ...}`` (not picked). Unwrap them unless the parameter's own type
    is an enum with such constructors."""
    if isinstance(j, dict) and j.get("tag") in ("Some", "None") and "value" in j:
        if isinstance(t, EnumT) and any(c.name in ("Some", "None") for c in t.constructors):
            return j
        return _NONE if j["tag"] == "None" else j["value"]
    return j


def _model_hint(message: str, model) -> str:
    """When a model value is unknown, the trace probably comes from another configuration."""
    if "is not a model value of" in message:
        sets = model.signature.model_sets
        if sets:
            name, names = sets[0]
            return (f"the spec runs with {name}={{{', '.join(names)}}}; a trace from another "
                    f"configuration needs --const {name}={{...}} naming its values")
    return ""


# ----------------------------------------------------------------------------- JSON lines


def read_jsonl(path: str | Path, model, coordinator: str = "tm") -> list[Behaviour]:
    """The behaviours of an implementation trace (a ``.jsonl`` file, or a directory of
    per-process ``*.trace.jsonl`` files, merged by ``(lc, proc)``)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob("*.trace.jsonl"))
        if not files:
            raise TraceError([Problem(str(p), None, "the directory holds no *.trace.jsonl file", code=Code.TRACE_UNREADABLE)])
        raw: list[tuple[str, int, dict]] = []
        problems: list[Problem] = []
        for f in files:
            r, pr = _read_lines(f)
            raw.extend(r)
            problems.extend(pr)
        events = _decode_lines(raw, model, sort=True, problems=problems)
    else:
        raw, problems = _read_lines(p)
        events = _decode_lines(raw, model, sort=False, problems=problems)
    return group(events, coordinator, source=str(p))


def _read_lines(p: Path) -> tuple[list[tuple[str, int, Any]], list[Problem]]:
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceError([Problem(str(p), None, "no such trace file", code=Code.TRACE_UNREADABLE)]) from None
    except UnicodeDecodeError:
        raise TraceError([Problem(str(p), None, "the trace is not UTF-8 text", code=Code.TRACE_UNREADABLE)]) from None
    except OSError as e:
        raise TraceError([Problem(str(p), None, f"cannot read the trace: {e.strerror or e}", code=Code.TRACE_UNREADABLE)]) from None
    out = []
    problems = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = _json(line)
        except ValueError as e:
            problems.append(Problem(str(p), n, str(e), code=Code.TRACE_MALFORMED))
            continue
        if isinstance(obj, dict) and "note" in obj and "action" not in obj:
            continue            # a note (docs/traces.md, *Notes*): not a step, never read
        out.append((str(p), n, obj))
    return out, problems


def _json(text: str):
    """``json.loads``, with every way it fails as a ``ValueError`` that says why in words:
    invalid JSON (its line and column), nesting too deep for Python's decoder, an integer
    of more digits than Python converts (4,300)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        err = ValueError(f"not valid JSON: {e.msg} (column {e.colno})")
        err.lineno = e.lineno  # type: ignore[attr-defined]
        raise err from None
    except RecursionError:
        raise ValueError("the JSON is nested too deeply to read") from None
    except ValueError as e:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise ValueError(f"not readable JSON: an integer is too large ({e})".split(";")[0]) from None


def _check_problems(problems: list[Problem]) -> None:
    if problems:
        raise TraceError(problems[:MAX_ERRORS], max(0, len(problems) - MAX_ERRORS))


_FIELDS = ("v", "proc", "lc", "txn", "action", "params", "state", "participants", "meta")


def _decode_lines(raw: list[tuple[str, int, Any]], model, sort: bool, problems: list[Problem]) -> list[Event]:
    dec = Decoder(model)
    decoded: list[tuple[tuple, Event]] = []
    last_lc: dict[tuple[str, str], tuple[int, str, int]] = {}
    for file, n, obj in raw:
        try:
            if not isinstance(obj, dict):
                raise ValueError("an event must be a JSON object")
            unknown = [k for k in obj if k not in _FIELDS]
            if unknown:
                k = unknown[0]
                raise ValueError(f"unknown field `{k}`" + did_you_mean(k, _FIELDS))
            if "v" in obj and obj["v"] != FORMAT_VERSION:
                raise ValueError(f"unsupported format version {json.dumps(obj['v'])} (this validator reads v = 1)")
            for k in ("action",):
                if k not in obj:
                    raise ValueError(f"missing field `{k}`")
            proc = obj.get("proc")
            if proc is not None and not isinstance(proc, str):
                raise ValueError(f"`proc` must be a string, found {json.dumps(proc)}")
            lc = obj.get("lc")
            if lc is not None and (isinstance(lc, bool) or not isinstance(lc, int) or lc < 1):
                raise ValueError(f"`lc` must be an integer >= 1, found {json.dumps(lc)}")
            parts = obj.get("participants", ())
            if not (isinstance(parts, (list, tuple)) and all(isinstance(x, str) for x in parts)):
                raise ValueError(f"`participants` must be a list of process names, found {json.dumps(parts)}")
            txn = obj.get("txn")
            if txn is not None:
                if isinstance(txn, bool) or not isinstance(txn, (str, int)):
                    raise ValueError(f"`txn` must be a string, an integer or null, found {json.dumps(txn)}")
                txn = str(txn)
            ai = dec.action(obj["action"])
            params, known = dec.params(ai, obj.get("params"))
            shape, values = dec.observation(obj.get("state"))
            if lc is not None and proc is not None:
                prev = last_lc.get((file, proc))
                if prev is not None and lc <= prev[0]:
                    raise ValueError(f"`lc` {lc} of process {proc} does not increase (line {prev[2]} has lc {prev[0]}): "
                                     f"a process's clock must grow strictly")
                last_lc[(file, proc)] = (lc, file, n)
        except ValueError as e:
            msg = str(e)
            problems.append(Problem(file, n, msg, hint=_model_hint(msg, model)))
            if len(problems) > 4 * MAX_ERRORS:
                break
            continue
        ev = Event(len(decoded), n, proc, txn, lc, ai, params, known, shape, values,
                   observed=obj.get("state") or {}, raw_params=obj.get("params") or {}, participants=tuple(parts),
                   file=file)
        key = (lc if lc is not None else 0, proc or "", file, n)
        decoded.append((key, ev))
    problems.sort(key=lambda p: (p.file, p.line or 0))
    _check_problems(problems)
    if sort:
        decoded.sort(key=lambda kv: kv[0])
        out = []
        for k, (_, ev) in enumerate(decoded):
            out.append(_reindex(ev, k))
        return out
    return [ev for _, ev in decoded]


def _reindex(ev: Event, k: int) -> Event:
    return Event(k, ev.line, ev.proc, ev.txn, ev.lc, ev.action, ev.params, ev.known, ev.shape, ev.values,
                 ev.observed, ev.raw_params, ev.participants, ev.file)


def group(events: list[Event], coordinator: str = "tm", source: str = "") -> list[Behaviour]:
    """One behaviour per transaction, in order of first appearance.

    An event with a ``txn`` belongs to that transaction. A process-level event (``txn``
    null) of process P belongs to every transaction T whose first event comes before it
    and that P takes part in: the coordinator (``coordinator``) takes part in every
    transaction; another process takes part in T when one of T's events lists it in its
    ``participants`` field (the reference implementation's TMBegin does), is the ``proc``
    of one of T's events, or names it in a string parameter. It is then a step of each
    of those transactions with the same observation, so it may only observe what is the
    same in all of them (docs/conformance.md). ``meta`` is never read. When no event
    names a transaction, the whole trace is one behaviour."""
    if not any(ev.txn is not None for ev in events):
        return [Behaviour(None, tuple(events), source=source)]
    first: dict[str, int] = {}
    members: dict[str, set[str]] = {}
    for ev in events:
        if ev.txn is None:
            continue
        first.setdefault(ev.txn, ev.index)
        m = members.setdefault(ev.txn, set())
        if ev.proc is not None:
            m.add(ev.proc)
        for v in ev.raw_params.values():
            if isinstance(v, str):
                m.add(v)
        m.update(ev.participants)
    lists: dict[str, list[Event]] = {t: [] for t in first}
    for ev in events:
        if ev.txn is not None:
            lists[ev.txn].append(ev)
            continue
        for t, k in first.items():
            if k < ev.index and (ev.proc == coordinator or ev.proc in members[t]):
                lists[t].append(ev)
    return [Behaviour(t, tuple(evs), source=source) for t, evs in lists.items()]


# ----------------------------------------------------------------------------- ITF


_STATES_RE = re.compile(r'"states"\s*:\s*\[')


def read_itf(path: str | Path, model, require_all: bool = False) -> list[Behaviour]:
    """The behaviours of an ITF file: one trace, or every trace of a ``check --json``
    result. With ``require_all`` (replay) every variable must be given in every state."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceError([Problem(str(p), None, "no such trace file", code=Code.TRACE_UNREADABLE)]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise TraceError([Problem(str(p), None, f"cannot read the trace: {e}", code=Code.TRACE_UNREADABLE)]) from None
    try:
        obj = _json(text)
    except ValueError as e:
        raise TraceError([Problem(str(p), getattr(e, "lineno", None), str(e), code=Code.TRACE_MALFORMED)]) from None
    return itf_behaviours(obj, model, str(p), text=text, require_all=require_all)


def itf_behaviours(obj: Any, model, file: str = "<itf>", text: str = "", require_all: bool = False) -> list[Behaviour]:
    if isinstance(obj, dict) and "states" in obj:
        lines = _state_lines(text, len(obj.get("states") or []))
        return [_itf_behaviour(obj, model, file, None, lines, require_all)]
    if isinstance(obj, dict) and ("violations" in obj or "witnesses" in obj):
        out = []
        for kind in ("violations", "witnesses"):
            for k, entry in enumerate(obj.get(kind) or []):
                if isinstance(entry, dict) and isinstance(entry.get("trace"), dict):
                    name = f"{kind}[{k}] ({entry.get('property', '?')})"
                    out.append(_itf_behaviour(entry["trace"], model, file, name, None, require_all))
        if not out:
            raise TraceError([Problem(file, None, "the check result holds no trace (no violation or witness)", code=Code.TRACE_MALFORMED)])
        return out
    raise TraceError([Problem(file, None, "not an ITF trace: expected an object with `vars` and `states` "
                                        "(or a `modelcheck check --json` result)", code=Code.TRACE_MALFORMED)])


def _state_lines(text: str, n: int) -> list[int | None] | None:
    """The line on which each ITF state object begins (None when the layout is not the
    plain one: a top-level object whose ``states`` array can be scanned element by element)."""
    m = _STATES_RE.search(text) if text else None
    if m is None:
        return None
    dec = json.JSONDecoder()
    pos, lines = m.end(), []
    ws = " \t\r\n"
    line, counted = 1, 0  # newlines counted incrementally: one pass over the text
    try:
        while True:
            while text[pos] in ws:
                pos += 1
            if text[pos] == "]":
                break
            line += text.count("\n", counted, pos)
            counted = pos
            lines.append(line)
            _, pos = dec.raw_decode(text, pos)
            while text[pos] in ws:
                pos += 1
            if text[pos] == ",":
                pos += 1
    except (IndexError, ValueError):
        return None
    return lines if len(lines) == n else None


def _itf_behaviour(obj: dict, model, file: str, name: str | None, lines, require_all: bool) -> Behaviour:
    dec = Decoder(model)
    problems: list[Problem] = []
    states = obj.get("states")
    if not isinstance(states, list) or not states:
        raise TraceError([Problem(file, None, "`states` must be a non-empty list", where=name or "", code=Code.TRACE_MALFORMED)])
    vars_ = obj.get("vars")
    if vars_ is not None:
        if not isinstance(vars_, list) or not all(isinstance(v, str) for v in vars_):
            raise TraceError([Problem(file, None, "`vars` must be a list of variable names", where=name or "", code=Code.TRACE_MALFORMED)])
        for v in vars_:
            if v not in dec.var_index:
                problems.append(Problem(file, None, f"unknown variable `{v}` in `vars`: the spec {model.name} has "
                                                    f"no such variable" + did_you_mean(v, dec.var_index), where=name or ""))
    events: list[Event] = []
    initial = None
    for k, st in enumerate(states):
        line = lines[k] if lines else None
        where = (f"{name}: " if name else "") + f"states[{k}]"
        try:
            if not isinstance(st, dict):
                raise ValueError("a state must be a JSON object")
            shape, values = dec.observation(st, "state", skip_meta=True)
            if require_all:
                given = {i for i, _ in shape}
                missing = [n for i, n in enumerate(model.variables) if i not in given]
                if missing:
                    raise ValueError(f"variable `{missing[0]}` is missing (replay needs every variable in every state)")
            ai = None
            params, known = (), ()
            action = st.get("mbt::actionTaken")
            if k == 0:
                if action not in (None, "init", ""):
                    raise ValueError(f"the first state must be initial (mbt::actionTaken `init`), found {json.dumps(action)}")
            elif action is not None:
                ai = dec.action(action)
                params, known = dec.params(ai, st.get("mbt::nondetPicks"), "mbt::nondetPicks")
            else:
                params, known = None, ()
        except ValueError as e:
            msg = str(e)
            problems.append(Problem(file, line, msg, where=where, hint=_model_hint(msg, model)))
            continue
        ev = Event(k, line, None, None, None, ai, params, known, shape, values,
                   observed={n: j for n, j in st.items() if not n.startswith("#") and not n.startswith("mbt::")},
                   raw_params=st.get("mbt::nondetPicks") or {})
        if k == 0:
            initial = ev
        else:
            events.append(ev)
    _check_problems(problems)
    loop = obj.get("loop")
    if loop is not None and (isinstance(loop, bool) or not isinstance(loop, int) or not 0 <= loop < len(states)):
        raise TraceError([Problem(file, None, f"`loop` must be a state index in 0..{len(states) - 1}", where=name or "", code=Code.TRACE_MALFORMED)])
    meta = obj.get("#meta") if isinstance(obj.get("#meta"), dict) else {}
    return Behaviour(name, tuple(events), initial=initial, loop=loop, loop_action=meta.get("loop-action"),
                     source=file, format="itf")


def order_notes(path: str | Path) -> list[str]:
    """Where a single JSON-lines trace is not in ``(lc, proc)`` order, the order in which
    per-process files are merged (docs/traces.md). Such a file is validated in the order
    of its lines, which is right for a file written in execution order (the conformance
    harness writes those: concurrent steps of different processes may appear with
    decreasing clocks); but the same events as per-process files would be merged by
    ``(lc, proc)`` and may validate differently, and a receive that comes after its
    send in the file while carrying a smaller clock breaks Lamport's clock rule. So it
    is said, at the first such line, with how many there are; the verdict is not
    changed. Empty for a directory, an ITF file, or a file in order."""
    p = Path(path)
    if p.is_dir():
        return []
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    best: tuple[int, str, int] | None = None       # the largest (lc, proc) so far, and its line
    first = None
    count = 0
    for n, line in enumerate(lines, 1):
        try:
            obj = json.loads(line) if line.strip() else None
        except (ValueError, RecursionError):
            continue
        if not isinstance(obj, dict) or ("note" in obj and "action" not in obj):
            continue
        lc, proc = obj.get("lc"), obj.get("proc")
        if type(lc) is not int or not isinstance(proc, str):
            continue
        if best is not None and (lc, proc) < best[:2] and proc != best[1]:
            count += 1
            if first is None:
                first = (n, lc, proc, best)
        if best is None or (lc, proc) > best[:2]:
            best = (lc, proc, n)
    if first is None:
        return []
    n, lc, proc, (blc, bproc, bn) = first
    more = f" ({count} lines in all)" if count > 1 else ""
    return [f"{p}:{n}: not in (lc, process) order: lc {lc} of {proc} comes after lc {blc} of {bproc} "
            f"(line {bn}){more}. The file is validated in the order of its lines; per-process files "
            f"merged by (lc, process) would order these events differently"]
