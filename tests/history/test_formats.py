"""The JSON-lines reader and writer: fields, defaults, dropped failures, and the
errors for bad input (each naming file:line)."""

from __future__ import annotations

import pytest

from modelcheck.history.core import HistoryError, Op
from modelcheck.history.formats import format_of, read_history, write_jsonl


def write(tmp_path, text, name="h.jsonl"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_reads_the_agreed_format(tmp_path):
    p = write(tmp_path, '{"process": 0, "call": 1.0, "ret": 2.5, "f": "write", "args": [3], "result": null}\n'
                        '\n# a comment\n'
                        '{"process": "c1", "call": 2, "f": "read", "result": [1, [2]]}\n'
                        '{"process": 1, "call": 3, "ret": 4, "f": "write", "args": [5], "type": "fail"}\n'
                        '{"process": 2, "call": 3, "ret": 4, "f": "write", "args": [6], "type": "info"}\n')
    ops, notes = read_history(p)
    assert ops == [Op(0, 0, 1.0, 2.5, "write", (3,), None, 1),
                   Op(1, "c1", 2, None, "read", (), (1, (2,)), 4),
                   Op(2, 2, 3, None, "write", (6,), None, 6)]
    assert notes == {"format": "jsonl", "operations": 3, "dropped_failed": 1, "pending": 2}


def test_write_then_read_gives_the_same_operations(tmp_path):
    ops = [Op(0, 0, 0, 1, "write", ("x", (1, 2)), None), Op(1, "p", 0.5, None, "cas", ("x", 1, 2), True)]
    write_jsonl(ops, tmp_path / "out.jsonl")
    back, _ = read_history(tmp_path / "out.jsonl")
    assert [(o.id, o.process, o.call, o.ret, o.f, o.args, o.result) for o in back] == \
        [(o.id, o.process, o.call, o.ret, o.f, o.args, o.result) for o in ops]
    assert [o.line for o in back] == [1, 2]


def test_overlapping_operations_of_one_process_are_noted(tmp_path):
    p = write(tmp_path, '{"process": 0, "call": 0, "ret": 5, "f": "write", "args": [1]}\n'
                        '{"process": 0, "call": 1, "ret": 2, "f": "read", "result": 1}\n')
    _, notes = read_history(p)
    assert notes["overlapping"] == ["process 0: operation 1 (line 2) starts before operation 0 (line 1) returned"]


@pytest.mark.parametrize("line, message", [
    ('{"process": 0, "call": 1', "not JSON: Expecting ',' delimiter (column 25)"),
    ('[1, 2]', "expected an object, one operation per line, not list"),
    ('{"process": 0, "call": 1, "f": "read", "value": 3}',
     "unknown field 'value' (the fields are args, call, f, process, result, ret, type)"),
    ('{"process": 0, "f": "read"}', "missing field 'call'"),
    ('{"process": 0, "call": 5, "ret": 4, "f": "read"}', '"ret" (4) is before "call" (5)'),
    ('{"process": 0, "call": "5", "f": "read"}', '"call" must be a finite number, not "5"'),
    ('{"process": 0, "call": true, "f": "read"}', '"call" must be a finite number, not true'),
    ('{"process": 1.5, "call": 0, "f": "read"}', '"process" must be an integer or a string, not 1.5'),
    ('{"process": 0, "call": 0, "f": ""}', '"f" must be the operation\'s name, not ""'),
    ('{"process": 0, "call": 0, "f": "write", "args": 3}', '"args" must be a list, not 3'),
    ('{"process": 0, "call": 0, "f": "write", "args": [{"a": 1}]}',
     "arguments and results must be JSON scalars or lists, not objects"),
    ('{"process": 0, "call": 0, "f": "read", "type": "invoke"}', '"type" must be "ok", "info" or "fail", not "invoke"'),
])
def test_malformed_line_is_named(tmp_path, line, message):
    p = write(tmp_path, '{"process": 0, "call": 0, "ret": 1, "f": "write", "args": [1]}\n' + line + "\n")
    with pytest.raises(HistoryError) as e:
        read_history(p)
    assert str(e.value) == f"{p}:2: {message}"


def test_unreadable_files(tmp_path):
    with pytest.raises(HistoryError, match="no such file"):
        read_history(tmp_path / "missing.jsonl")
    with pytest.raises(HistoryError, match="is a directory"):
        read_history(tmp_path, "jsonl")
    p = tmp_path / "bin.jsonl"
    p.write_bytes(b"\xff\xfe{")
    with pytest.raises(HistoryError, match="is not UTF-8 text"):
        read_history(p)


def test_format_by_extension():
    assert [format_of(n) for n in ("a.jsonl", "a.json", "a.edn", "a.log", "a.TXT")] == \
        ["jsonl", "jsonl", "edn", "jepsen-log", "jepsen-log"]
    assert format_of("a.csv", "jsonl") == "jsonl"
    with pytest.raises(HistoryError, match="cannot tell the format of a.csv from its extension"):
        format_of("a.csv")
    with pytest.raises(HistoryError, match="unknown history format 'csv'"):
        format_of("a.jsonl", "csv")
