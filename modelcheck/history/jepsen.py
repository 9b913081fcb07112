"""Importers for Jepsen's histories: EDN history files and the operation lines of test logs.

Two inputs, one result (``(ops, notes)``, as :func:`modelcheck.history.formats.read_history`
returns it):

* :func:`read_edn`: a Jepsen / Knossos history in EDN, either one vector (or list) of
  operation maps (Knossos's ``data/`` files) or one map per line (Jepsen's
  ``history.edn``; a map may carry a tag, ``#jepsen.history.Op{...}``, which is ignored).
  Each map has ``:type`` (``:invoke``, ``:ok``, ``:fail``, ``:info``), ``:process``,
  ``:f`` and ``:value``, and may have ``:time`` (nanoseconds) and ``:index``.
* :func:`read_jepsen_log`: the lines Jepsen's ``jepsen.util`` logger writes for every
  operation, as published with Jepsen's etcd analyses (and in Porcupine's test data)::

      INFO  jepsen.util - 3	:invoke	:cas	[1 4]
      INFO  jepsen.util - 3	:ok	:read	nil
      INFO  jepsen.util - 3	:fail	:read	:timed-out

  The order of the lines is the real-time order: an operation's times are line numbers.
  Every other line is ignored.

Pairing. An ``:invoke`` is paired with the next completion of the same process: ``:ok``
gives the operation its response time and result; ``:info`` (the outcome is unknown) or
no completion at all leaves it pending (``ret`` None: it may take effect at any time
after its invocation, or never); ``:fail`` means it certainly did not happen, and the
operation is dropped (counted in the notes as ``failed``). Operations of the nemesis
(a process that is a keyword, ``:nemesis``) are skipped (``skipped``). A second
``:invoke`` by a process before the first completed, a completion with no invocation,
or one whose ``:f`` differs from its invocation's is an error: Jepsen never writes them,
so such a file was damaged or hand-made wrong, and guessing would hide it.

Times. In an EDN history, ``:time`` when every event has one, else the event's position
among the events (Jepsen writes them in real-time order too); in a log, the line number.

Arguments and results (what the models in :mod:`.models` expect). The ``:value`` of the
invocation gives the arguments: ``nil`` none, ``[a b]`` of a ``:cas`` two (expected,
new), any other value one; a ``:read``'s invocation value is ignored (Knossos writes the
value read there in some files). The ``:value`` of the ``:ok`` gives the result: for
``:read`` the value read, for ``:write`` nothing (None: ok means it happened), for
``:cas`` True (ok means the compare succeeded: a failed compare is a ``:fail``), for
any other ``:f`` the value itself. Keywords become strings without the colon (``:timed-out``
-> ``"timed-out"``), vectors and lists tuples, sets frozensets.

jepsen.independent. A test that runs one register per key wraps every value as a pair
``[k v]`` (``[k nil]`` for a read, ``[k [a b]]`` for a cas). With ``independent=None``
(the default) a history is taken as independent when every client operation's
invocation and completion value is such a pair and at least one read's is ``[k nil]``
or one cas's is ``[k [a b]]`` (a plain register history never has those shapes); pass
True or False to decide. An independent operation gets the key as its first argument:
``read(k) -> v``, ``write(k, v)``, ``cas(k, a, b)``: the key-value model's operations,
which it partitions by key.

EDN. The reader is our own (:class:`EdnReader`, about 200 lines): it reads the subset
Jepsen writes (maps, vectors, lists, sets, keywords, symbols, strings, characters,
integers, floats, ratios, nil, true/false, comments ``;``, commas as whitespace, ``#_``
discard, tagged values whose tag is dropped) and knows the line of every map, so an
error names ``file:line``. ``edn_format`` on PyPI would read the same, but it pulls in
``ply`` and reports no positions; one small reader for this one job costs less than a
dependency.

Malformed input raises :class:`~.core.HistoryError` with ``where="file:line"``.

Depends on :mod:`.core` and the standard library only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .core import HistoryError, Op

__all__ = ["Keyword", "Symbol", "EdnReader", "parse_edn", "read_edn", "read_jepsen_log", "ops_from_events"]


# ----------------------------------------------------------------------------- EDN


class Keyword(str):
    """An EDN keyword, without its colon: ``:read`` is ``Keyword("read")``. A ``str``, so it
    compares equal to ``"read"``; ``repr`` shows the colon."""

    __slots__ = ()

    def __repr__(self) -> str:
        return ":" + str.__str__(self)


class Symbol(str):
    """An EDN symbol (``foo``, ``jepsen.history.Op``)."""

    __slots__ = ()


class EdnMap(dict):
    """An EDN map, with the line it starts on (1-based)."""

    __slots__ = ("line",)


class EdnError(ValueError):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


_DELIMS = set("()[]{}\";,") | set(" \t\r\n\f")
_INT = re.compile(r"[+-]?\d+N?\Z")
_FLOAT = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?\Z")
_RATIO = re.compile(r"[+-]?\d+/\d+\Z")
_CHARS = {"newline": "\n", "space": " ", "tab": "\t", "return": "\r", "backspace": "\b", "formfeed": "\f"}
_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "b": "\b", "f": "\f"}
_CLOSE = {"(": ")", "[": "]", "{": "}"}


class EdnReader:
    """Reads EDN values from a text, one after another, tracking lines."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.line = 1

    def _skip(self) -> None:
        t, n = self.text, len(self.text)
        while self.pos < n:
            c = t[self.pos]
            if c == "\n":
                self.line += 1
                self.pos += 1
            elif c in " \t\r\f,":
                self.pos += 1
            elif c == ";":
                end = t.find("\n", self.pos)
                self.pos = n if end < 0 else end
            else:
                return

    def at_end(self) -> bool:
        self._skip()
        return self.pos >= len(self.text)

    def read(self) -> Any:
        """The next value (call :meth:`at_end` first)."""
        self._skip()
        t = self.text
        if self.pos >= len(t):
            raise EdnError("unexpected end of input: a value was expected", self.line)
        c = t[self.pos]
        line = self.line
        if c in "([{":
            self.pos += 1
            items = self._seq(_CLOSE[c], line)
            if c == "{":
                return self._map(items, line)
            return tuple(items)
        if c in ")]}":
            raise EdnError(f"unmatched `{c}`", line)
        if c == '"':
            return self._string()
        if c == "#":
            nxt = t[self.pos + 1: self.pos + 2]
            if nxt == "{":
                self.pos += 2
                items = self._seq("}", line)
                try:
                    return frozenset(items)
                except TypeError:
                    raise EdnError("a set element is a map, which cannot be a set element here", line) from None
            if nxt == "_":
                self.pos += 2
                self.read()                  # discarded
                if self.at_end():
                    raise EdnError("`#_` discards nothing: end of input", line)
                return self.read()
            self.pos += 1
            tag = self._token()
            if not tag:
                raise EdnError("`#` must start a set `#{`, a discard `#_` or a tag", line)
            return self.read()               # a tagged value: the tag is dropped
        if c == "\\":
            self.pos += 1
            if self.pos >= len(t):
                raise EdnError("a character literal `\\` needs a character", line)
            # \( or \space: a delimiter is a character of its own; otherwise a name
            if t[self.pos] in _DELIMS:
                tok = t[self.pos]
                self.pos += 1
            else:
                tok = self._token()
            if len(tok) == 1:
                return tok
            if tok in _CHARS:
                return _CHARS[tok]
            if tok.startswith("u") and len(tok) == 5:
                try:
                    return chr(int(tok[1:], 16))
                except ValueError:
                    pass
            raise EdnError(f"unknown character literal `\\{tok}`", line)
        tok = self._token()
        if not tok:
            raise EdnError(f"unexpected `{c}`", line)
        return self._atom(tok, line)

    def _token_at(self, pos: int) -> bool:
        return pos < len(self.text) and self.text[pos] not in _DELIMS

    def _token(self) -> str:
        t, start = self.text, self.pos
        while self.pos < len(t) and t[self.pos] not in _DELIMS:
            self.pos += 1
        return t[start: self.pos]

    def _seq(self, close: str, line: int) -> list:
        out = []
        while True:
            self._skip()
            if self.pos >= len(self.text):
                raise EdnError(f"unclosed collection: `{close}` expected, end of input reached", line)
            c = self.text[self.pos]
            if c == close:
                self.pos += 1
                return out
            if c in ")]}":
                raise EdnError(f"`{close}` expected, found `{c}`", self.line)
            out.append(self.read())

    def _map(self, items: list, line: int) -> EdnMap:
        if len(items) % 2:
            raise EdnError("a map needs an even number of forms (key value pairs)", line)
        m = EdnMap()
        m.line = line
        for k, v in zip(items[::2], items[1::2]):
            try:
                m[k] = v
            except TypeError:
                raise EdnError("a map key is a map, which is not supported", line) from None
        return m

    def _string(self) -> str:
        t, line = self.text, self.line
        self.pos += 1
        out = []
        while True:
            if self.pos >= len(t):
                raise EdnError("unterminated string", line)
            c = t[self.pos]
            if c == '"':
                self.pos += 1
                return "".join(out)
            if c == "\\":
                e = t[self.pos + 1: self.pos + 2]
                if e in _ESC:
                    out.append(_ESC[e])
                    self.pos += 2
                    continue
                if e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", t[self.pos + 2: self.pos + 6]):
                    out.append(chr(int(t[self.pos + 2: self.pos + 6], 16)))
                    self.pos += 6
                    continue
                raise EdnError(f"unknown escape `\\{e}` in a string", self.line)
            if c == "\n":
                self.line += 1
            out.append(c)
            self.pos += 1

    @staticmethod
    def _atom(tok: str, line: int) -> Any:
        if tok == "nil":
            return None
        if tok == "true":
            return True
        if tok == "false":
            return False
        if tok.startswith(":"):
            if len(tok) == 1:
                raise EdnError("`:` alone is not a keyword", line)
            return Keyword(tok[1:])
        if tok[0].isdigit() or (tok[0] in "+-" and len(tok) > 1 and tok[1].isdigit()):
            if _INT.match(tok):
                return int(tok.rstrip("N"))
            if _FLOAT.match(tok):
                return float(tok.rstrip("M"))
            if _RATIO.match(tok):
                a, b = tok.split("/")
                if int(b) == 0:
                    raise EdnError(f"ratio `{tok}` divides by zero", line)
                return int(a) / int(b)
            raise EdnError(f"`{tok}` is not a number", line)
        return Symbol(tok)


def parse_edn(text: str) -> list:
    """Every top-level value of an EDN text. Raises :class:`EdnError` (with a line)."""
    r = EdnReader(text)
    out = []
    try:
        while not r.at_end():
            out.append(r.read())
    except RecursionError:
        raise EdnError("the EDN is nested too deeply to read", r.line) from None
    return out


# ----------------------------------------------------------------------------- events -> ops

_TYPES = ("invoke", "ok", "fail", "info")


def _plain(v: Any) -> Any:
    """An EDN value as a JSON-like value of an Op: keywords and symbols plain strings,
    vectors and lists tuples (as the JSON reader makes lists), sets frozensets."""
    if isinstance(v, (Keyword, Symbol)):
        return str.__str__(v)
    if isinstance(v, tuple):
        return tuple(_plain(x) for x in v)
    if isinstance(v, frozenset):
        return frozenset(_plain(x) for x in v)
    if isinstance(v, dict):
        return {_plain(k): _plain(x) for k, x in v.items()}
    return v


def _is_pair(v: Any) -> bool:
    return isinstance(v, tuple) and len(v) == 2


def _looks_independent(events: list[tuple]) -> bool:
    """Every client event's value a pair [k v], and some read ``[k nil]`` or cas
    ``[k [a b]]``: shapes a plain register history never has (see the module docstring)."""
    telling = False
    for _, _, typ, f, value, _ in events:
        if typ == "fail" or (typ == "info" and value is None):
            continue
        if not _is_pair(value):
            return False
        if (f == "read" and typ == "invoke" and value[1] is None) or (f == "cas" and _is_pair(value[1])):
            telling = True
    return telling


def _args(f: str, value: Any, independent: bool) -> tuple:
    key: tuple = ()
    if independent:
        key, value = (value[0],), value[1]
    if f == "read" or value is None:
        return key
    if f == "cas" and _is_pair(value):
        return key + tuple(value)
    return key + (value,)


def _result(f: str, value: Any, independent: bool) -> Any:
    if independent and _is_pair(value):
        value = value[1]
    if f == "write":
        return None
    if f == "cas":
        return True
    return value


def ops_from_events(events: list[tuple], source: str, independent: bool | None = None,
                    fmt: str = "jepsen") -> tuple[list[Op], dict]:
    """Pair invocations with completions (see the module docstring). ``events`` are
    ``(line, process, type, f, value, time)`` with plain values (keywords as strings),
    in file order; nemesis events already removed."""
    if independent is None:
        independent = _looks_independent(events)
    open_: dict[Any, tuple] = {}        # process -> its invoke event
    done: list[tuple] = []              # (invoke event, completion event or None)
    failed = 0
    for ev in events:
        line, proc, typ, f, value, _ = ev
        where = f"{source}:{line}"
        if typ == "invoke":
            if proc in open_:
                prev = open_[proc]
                raise HistoryError(f"process {proc} invokes :{f} before its :{prev[3]} (line {prev[0]}) "
                                   f"completed; a Jepsen process runs one operation at a time", where)
            if independent and not _is_pair(value):
                raise HistoryError(f"the history is read as jepsen.independent, but this :{f}'s value "
                                   f"is not a [key value] pair", where)
            open_[proc] = ev
            continue
        inv = open_.pop(proc, None)
        if inv is None:
            raise HistoryError(f"process {proc} completes :{f} (:{typ}) without an :invoke before it", where)
        if inv[3] != f:
            raise HistoryError(f"process {proc} completes :{f}, but its open invocation (line {inv[0]}) "
                               f"is :{inv[3]}", where)
        if typ == "fail":
            failed += 1
        elif typ == "info":
            done.append((inv, None))
        else:
            done.append((inv, ev))
    for inv in open_.values():
        done.append((inv, None))
    use_time = bool(events) and all(ev[5] is not None for ev in events)
    pos = {id(ev): k for k, ev in enumerate(events)}
    done.sort(key=lambda p: pos[id(p[0])])

    def at(ev):
        return ev[5] if use_time else pos[id(ev)]

    ops = []
    for inv, comp in done:
        line, proc, _, f, value, _ = inv
        result = None if comp is None else _result(f, comp[4], independent)
        ops.append(Op(len(ops), proc, at(inv), None if comp is None else at(comp), f,
                      _args(f, value, independent), result, line))
    notes = {"format": fmt, "failed": failed, "pending": sum(1 for o in ops if o.ret is None),
             "independent": independent, "times": "time" if use_time else "position"}
    return ops, notes


def _read_text(path: str | Path) -> str:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HistoryError("no such history file", str(p)) from None
    except IsADirectoryError:
        raise HistoryError("is a directory, not a history file", str(p)) from None
    except UnicodeDecodeError as e:
        raise HistoryError(f"not UTF-8 text (byte {e.start})", str(p)) from None
    except OSError as e:
        raise HistoryError(f"cannot read: {e.strerror or e}", str(p)) from None


def _process(v: Any) -> Any:
    """A client process (an int, or a string), or None for the nemesis (a keyword)."""
    if isinstance(v, Keyword):
        return None
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise ValueError(f":process must be an integer, found {_show(v)}")
    return str(v) if isinstance(v, Symbol) else v


def _show(v: Any) -> str:
    if v is None:
        return "nil"
    return repr(v) if not isinstance(v, Symbol) else str(v)


# ----------------------------------------------------------------------------- EDN histories


def read_edn(path: str | Path, independent: bool | None = None) -> tuple[list[Op], dict]:
    """The operations of a Jepsen EDN history file, and notes (``failed``: ``:fail``
    operations dropped; ``pending``; ``skipped``: nemesis events; ``independent``)."""
    source = str(path)
    text = _read_text(path)
    try:
        forms = parse_edn(text)
    except EdnError as e:
        raise HistoryError(f"not readable EDN: {e.message}", f"{source}:{e.line}") from None
    if len(forms) == 1 and isinstance(forms[0], tuple):
        forms = list(forms[0])
    events = []
    skipped = 0
    for k, m in enumerate(forms):
        if not isinstance(m, EdnMap):
            raise HistoryError(f"operation {k + 1} is not a map: {_show(m)[:60]}", f"{source}")
        where = f"{source}:{m.line}"
        try:
            typ = m.get(Keyword("type"))
            if not isinstance(typ, Keyword) or typ not in _TYPES:
                raise ValueError(f":type must be one of :invoke, :ok, :fail, :info, found {_show(typ)}")
            if Keyword("process") not in m:
                raise ValueError("the operation has no :process")
            proc = _process(m[Keyword("process")])
            if proc is None:
                skipped += 1
                continue
            f = m.get(Keyword("f"))
            if not isinstance(f, (Keyword, Symbol, str)):
                raise ValueError(f":f must be a keyword naming the operation, found {_show(f)}")
            t = m.get(Keyword("time"))
            if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float))):
                raise ValueError(f":time must be a number, found {_show(t)}")
        except ValueError as e:
            raise HistoryError(str(e), where) from None
        events.append((m.line, proc, str(typ), str.__str__(f), _plain(m.get(Keyword("value"))), t))
    ops, notes = ops_from_events(events, source, independent, "jepsen-edn")
    notes["skipped"] = skipped
    return ops, notes


# ----------------------------------------------------------------------------- test logs

#: ``... jepsen.util - PROCESS<tab>:TYPE<tab>:F<tab>VALUE``; any prefix (a timestamp, the
#: level) before ``jepsen.util``
_LOG_LINE = re.compile(r"\bjepsen\.util\s+-\s+(\S+)\t:(\S+)\t(\S+)(?:\t(.*))?$")


def read_jepsen_log(path: str | Path, independent: bool | None = None) -> tuple[list[Op], dict]:
    """The operations of a Jepsen test log (its ``jepsen.util`` operation lines; times
    are line numbers), and notes as for :func:`read_edn`."""
    source = str(path)
    text = _read_text(path)
    events = []
    skipped = 0
    for n, line in enumerate(text.splitlines(), 1):
        m = _LOG_LINE.search(line)
        if m is None:
            continue
        where = f"{source}:{n}"
        proc_s, typ, f_s, value_s = m.group(1), m.group(2), m.group(3), m.group(4)
        if proc_s.startswith(":"):
            skipped += 1                     # :nemesis
            continue
        try:
            proc: Any = int(proc_s)
        except ValueError:
            raise HistoryError(f"the process must be an integer (or :nemesis), found `{proc_s}`", where) from None
        if typ not in _TYPES:
            raise HistoryError(f"the type must be one of :invoke, :ok, :fail, :info, found `:{typ}`", where)
        if not f_s.startswith(":") or len(f_s) == 1:
            raise HistoryError(f"the operation must be a keyword such as :read, found `{f_s}`", where)
        try:
            forms = parse_edn(value_s or "nil")
        except EdnError as e:
            raise HistoryError(f"the value is not readable EDN: {e.message}", where) from None
        if len(forms) > 1 and typ in ("invoke", "ok"):
            raise HistoryError(f"the value must be one EDN value, found {len(forms)}", where)
        value = forms[0] if forms else None
        events.append((n, proc, typ, f_s[1:], _plain(value), n))   # time: the line number
    ops, notes = ops_from_events(events, source, independent, "jepsen-log")
    notes["times"] = "line"
    notes["skipped"] = skipped
    return ops, notes
