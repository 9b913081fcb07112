"""Jepsen importers: the EDN reader, EDN histories, jepsen.util log lines, and the real
histories in tests/history/data (Knossos's and Porcupine's test data, see its README).

The operation counts of the real files are pinned from counting their lines with grep
(invocations of client processes minus ``:fail`` completions; pending: invocations with
no ``:ok``), not from the reader.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modelcheck.history.core import HistoryError
from modelcheck.history.jepsen import EdnError, Keyword, Symbol, parse_edn, read_edn, read_jepsen_log

DATA = Path(__file__).parent / "data"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ----------------------------------------------------------------------------- EDN


def test_edn_scalars_and_collections():
    [v] = parse_edn('{:a 1, :b [1 -2 "x\\ny"] :c #{1 2} :d nil :e (true false) :f 1.5 :g 12N :h 2.5M :i 1/4}')
    assert v == {"a": 1, "b": (1, -2, "x\ny"), "c": frozenset({1, 2}), "d": None, "e": (True, False),
                 "f": 1.5, "g": 12, "h": 2.5, "i": 0.25}
    assert all(isinstance(k, Keyword) for k in v)
    assert repr(Keyword("read")) == ":read"


def test_edn_comments_commas_discard_tags_symbols_chars():
    text = '; a comment\n[1,,2 #_ 99 3 ; another\n #inst "2020-01-01" #jepsen.history.Op{:f :read} foo/bar \\a \\newline \\( \\u0041]'
    [v] = parse_edn(text)
    assert v == (1, 2, 3, "2020-01-01", {"f": "read"}, "foo/bar", "a", "\n", "(", "A")
    assert isinstance(v[5], Symbol)


def test_edn_many_top_level_forms_and_lines():
    forms = parse_edn('{:x 1}\n\n{:x 2}\n  {:x\n 3}')
    assert [f["x"] for f in forms] == [1, 2, 3]
    assert [f.line for f in forms] == [1, 3, 4]


@pytest.mark.parametrize("text, message, line", [
    ("[1 2", "unclosed collection", 1),
    ("[1 2)", "`]` expected, found `)`", 1),
    ("\n\n)", "unmatched `)`", 3),
    ("{:a}", "even number of forms", 1),
    ('"abc', "unterminated string", 1),
    ('\n"a\\qb"', "unknown escape", 2),
    ("12abc", "is not a number", 1),
    ("\\nope", "unknown character literal", 1),
    ("1/0", "divides by zero", 1),
    ("#{{:a 1}}", "set element is a map", 1),
    ("#_", "end of input", 1),
    (":", "not a keyword", 1),
])
def test_edn_errors_name_the_line(text, message, line):
    with pytest.raises(EdnError) as e:
        parse_edn(text)
    assert message in e.value.message
    assert e.value.line == line


def test_edn_too_deep_is_an_error_not_a_crash():
    with pytest.raises(EdnError, match="nested too deeply"):
        parse_edn("[" * 100_000)


# ----------------------------------------------------------------------------- EDN histories

HISTORY = """\
[{:process 0, :type :invoke, :f :write, :value 3, :time 10}
 {:process 1, :type :invoke, :f :read, :value nil, :time 20}
 {:process 0, :type :ok, :f :write, :value 3, :time 30}
 {:process 1, :type :ok, :f :read, :value 3, :time 40}
 {:process :nemesis, :type :info, :f :start, :value nil, :time 45}
 {:process 2, :type :invoke, :f :cas, :value [3 4], :time 50}
 {:process 3, :type :invoke, :f :cas, :value [1 2], :time 55}
 {:process 2, :type :ok, :f :cas, :value [3 4], :time 60}
 {:process 3, :type :fail, :f :cas, :value [1 2], :time 65}
 {:process 4, :type :invoke, :f :write, :value 9, :time 70}
 {:process 4, :type :info, :f :write, :value :timed-out, :time 80}
 {:process 5, :type :invoke, :f :read, :value nil, :time 90}]
"""


def test_edn_history_pairs_invocations_with_completions(tmp_path):
    ops, notes = read_edn(write(tmp_path, "h.edn", HISTORY))
    got = [(o.id, o.process, o.call, o.ret, o.f, o.args, o.result, o.line) for o in ops]
    assert got == [
        (0, 0, 10, 30, "write", (3,), None, 1),
        (1, 1, 20, 40, "read", (), 3, 2),
        (2, 2, 50, 60, "cas", (3, 4), True, 6),
        (3, 4, 70, None, "write", (9,), None, 10),      # :info: pending
        (4, 5, 90, None, "read", (), None, 12),          # never completed: pending
    ]
    assert notes["failed"] == 1 and notes["pending"] == 2 and notes["skipped"] == 1
    assert notes["times"] == "time" and notes["independent"] is False


def test_edn_history_one_map_per_line_and_positions_without_time(tmp_path):
    text = ("{:process 0, :type :invoke, :f :read}\n"
            "#jepsen.history.Op{:process 0, :type :ok, :f :read, :value 2}\n"
            "{:process 1, :type :invoke, :f :write, :value 2}\n")
    ops, notes = read_edn(write(tmp_path, "h.edn", text))
    assert [(o.call, o.ret, o.f, o.result) for o in ops] == [(0, 1, "read", 2), (2, None, "write", None)]
    assert notes["times"] == "position"


def test_edn_independent_keys_become_the_first_argument(tmp_path):
    text = """[{:process 0, :type :invoke, :f :read, :value [7 nil]}
               {:process 0, :type :ok, :f :read, :value [7 2]}
               {:process 1, :type :invoke, :f :cas, :value [8 [1 2]]}
               {:process 1, :type :ok, :f :cas, :value [8 [1 2]]}
               {:process 2, :type :invoke, :f :write, :value [7 5]}
               {:process 2, :type :ok, :f :write, :value [7 5]}]"""
    ops, notes = read_edn(write(tmp_path, "h.edn", text))
    assert notes["independent"] is True
    assert [(o.f, o.args, o.result) for o in ops] == [("read", (7,), 2), ("cas", (8, 1, 2), True), ("write", (7, 5), None)]
    # the same file, told it is a plain register history: values are kept whole
    ops, notes = read_edn(write(tmp_path, "h.edn", text), independent=False)
    assert [(o.f, o.args) for o in ops] == [("read", ()), ("cas", (8, (1, 2))), ("write", ((7, 5),))]


def test_a_plain_cas_history_is_not_taken_for_independent(tmp_path):
    text = """[{:process 0, :type :invoke, :f :cas, :value [1 2]}
               {:process 0, :type :ok, :f :cas, :value [1 2]}]"""
    ops, notes = read_edn(write(tmp_path, "h.edn", text))
    assert notes["independent"] is False and ops[0].args == (1, 2)


@pytest.mark.parametrize("text, message, line", [
    ("[{:process 0, :type :invoke, :f :read}\n {:process 0, :type :invoke, :f :read}]",
     "process 0 invokes :read before its :read (line 1) completed", 2),
    ("[{:process 0, :type :ok, :f :read, :value 1}]", "without an :invoke", 1),
    ("[{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok, :f :write}]",
     "its open invocation (line 1) is :read", 2),
    ("[{:process 0, :type :done, :f :read}]", ":type must be one of", 1),
    ("[{:type :invoke, :f :read}]", "no :process", 1),
    ("[{:process 0.5, :type :invoke, :f :read}]", ":process must be an integer", 1),
    ("[{:process 0, :type :invoke, :f 3}]", ":f must be a keyword", 1),
    ("[{:process 0, :type :invoke, :f :read, :time \"x\"}]", ":time must be a number", 1),
    ("\n[{:process 0, :type :invoke, :f :read]", "not readable EDN", 2),
])
def test_edn_history_errors_name_file_and_line(tmp_path, text, message, line):
    p = write(tmp_path, "bad.edn", text)
    with pytest.raises(HistoryError) as e:
        read_edn(p)
    assert message in e.value.message
    assert e.value.where == f"{p}:{line}"


def test_edn_history_told_independent_needs_pairs(tmp_path):
    p = write(tmp_path, "h.edn", "[{:process 0, :type :invoke, :f :read, :value [1 nil]}\n"
                                 " {:process 1, :type :invoke, :f :write, :value 3}]")
    assert read_edn(p)[1]["independent"] is False        # not every value a pair: a plain history
    with pytest.raises(HistoryError) as e:
        read_edn(p, independent=True)
    assert "not a [key value] pair" in e.value.message and e.value.where == f"{p}:2"


def test_edn_history_not_a_map_and_missing_file(tmp_path):
    with pytest.raises(HistoryError, match="operation 2 is not a map"):
        read_edn(write(tmp_path, "h.edn", "[{:process 0, :type :invoke, :f :read} 3]"))
    with pytest.raises(HistoryError, match="no such history file"):
        read_edn(tmp_path / "missing.edn")
    (tmp_path / "bin.edn").write_bytes(b"\xff\xfe[")
    with pytest.raises(HistoryError, match="not UTF-8"):
        read_edn(tmp_path / "bin.edn")


# ----------------------------------------------------------------------------- logs

LOG = """\
2017-01-01 12:00:00,000{GMT}	INFO	[jepsen worker 0] jepsen.core: Worker 0 starting
INFO  jepsen.util - 0	:invoke	:read	nil
INFO  jepsen.util - 1	:invoke	:write	3
some unrelated log line
INFO  jepsen.util - 0	:ok	:read	nil
INFO  jepsen.util - :nemesis	:info	:start	{:n1 :isolated}
INFO  jepsen.util - 1	:ok	:write	3
INFO  jepsen.util - 2	:invoke	:cas	[3 4]
INFO  jepsen.util - 3	:invoke	:cas	[1 2]
INFO  jepsen.util - 2	:ok	:cas	[3 4]
INFO  jepsen.util - 3	:fail	:cas	[1 2]
INFO  jepsen.util - 4	:invoke	:write	9
INFO  jepsen.util - 4	:info	:write	:timed-out
INFO  jepsen.util - 5	:invoke	:read	nil
INFO  jepsen.util - 5	:fail	:read	:timed-out
INFO  jepsen.util - 6	:invoke	:read	nil
INFO  jepsen.util - 6	:ok	:read	4
INFO  jepsen.util - 7	:invoke	:write	1
"""


def test_log_lines_in_order_with_line_numbers_as_times(tmp_path):
    ops, notes = read_jepsen_log(write(tmp_path, "jepsen.log", LOG))
    got = [(o.process, o.call, o.ret, o.f, o.args, o.result) for o in ops]
    assert got == [
        (0, 2, 5, "read", (), None),
        (1, 3, 7, "write", (3,), None),
        (2, 8, 10, "cas", (3, 4), True),
        (4, 12, None, "write", (9,), None),
        (6, 16, 17, "read", (), 4),
        (7, 18, None, "write", (1,), None),
    ]
    assert notes == {"format": "jepsen-log", "failed": 2, "pending": 2, "independent": False,
                     "times": "line", "skipped": 1}


@pytest.mark.parametrize("line, message", [
    ("INFO  jepsen.util - x\t:invoke\t:read\tnil", "process must be an integer"),
    ("INFO  jepsen.util - 1\t:begin\t:read\tnil", "type must be one of"),
    ("INFO  jepsen.util - 1\t:invoke\tread\tnil", "must be a keyword"),
    ("INFO  jepsen.util - 1\t:invoke\t:write\t[1 2", "not readable EDN"),
    ("INFO  jepsen.util - 1\t:invoke\t:write\t1 2", "one EDN value"),
    ("INFO  jepsen.util - 1\t:ok\t:write\t1", "without an :invoke"),
])
def test_log_errors_name_file_and_line(tmp_path, line, message):
    p = write(tmp_path, "bad.log", "INFO  jepsen.core - hello\n" + line + "\n")
    with pytest.raises(HistoryError) as e:
        read_jepsen_log(p)
    assert message in e.value.message
    assert e.value.where == f"{p}:2"


# ----------------------------------------------------------------------------- the real histories

@pytest.mark.parametrize("name, ops, failed, pending, skipped", [
    ("knossos-cas-register-bug.edn", 6, 0, 1, 0),
    ("knossos-rethink-fail-minimal.edn", 4, 0, 0, 0),
    ("knossos-immediate-failure.edn", 1, 1, 0, 0),
    ("knossos-cas-failure.edn", 206, 85, 1, 8),
    ("etcd_000.log", 65, 20, 16, 0),
    ("etcd_002.log", 64, 13, 19, 0),
])
def test_real_histories_read_with_the_counts_of_their_lines(name, ops, failed, pending, skipped):
    reader = read_edn if name.endswith(".edn") else read_jepsen_log
    got, notes = reader(DATA / name)
    assert (len(got), notes["failed"], notes["pending"], notes["skipped"]) == (ops, failed, pending, skipped)
    assert [o.id for o in got] == list(range(len(got)))
    assert all(o.ret is None or o.ret > o.call for o in got)
    assert {o.f for o in got} <= {"read", "write", "cas"}
