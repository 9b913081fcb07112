"""``modelcheck history check``: the verdicts as text and JSON, and every exit code
(0 linearizable, 1 not, 2 bad input, 3 unknown)."""

from __future__ import annotations

import json

import pytest

from modelcheck.history.formats import write_jsonl
from tests.helpers import run
from tests.history.histories import hard_register_history

STALE = ('{"process": 0, "call": 0, "ret": 1, "f": "write", "args": [1]}\n'
         '{"process": 1, "call": 2, "ret": 3, "f": "write", "args": [2]}\n'
         '{"process": 0, "call": 4, "ret": 5, "f": "read", "result": 1}\n')


def history(tmp_path, text, name="h.jsonl"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_linearizable_exit_0(tmp_path, capsys):
    p = history(tmp_path, '{"process": 0, "call": 0, "ret": 1, "f": "write", "args": ["x", 1]}\n'
                          '{"process": 1, "call": 0, "ret": 1, "f": "write", "args": ["y", 1]}\n'
                          '{"process": 1, "call": 2, "ret": 3, "f": "write", "args": ["y", 2], "type": "fail"}\n'
                          '{"process": 0, "call": 2, "ret": 3, "f": "read", "args": ["x"], "result": 1}\n')
    code, out, err = run(capsys, "history", "check", p, "--model", "kv")
    assert code == 0, err
    assert out.startswith("linearizable: 3 operations in 2 parts, ")
    assert out.rstrip().endswith(" s (1 failed operation dropped)")


def test_stale_read_exit_1_with_the_prefix_and_the_stuck_operation(tmp_path, capsys):
    code, out, err = run(capsys, "history", "check", history(tmp_path, STALE), "--model", "register")
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0].startswith("not linearizable: 3 operations, ")
    assert lines[1:] == ["  the longest prefix that can be ordered (2 of 3):",
                         "      1. write(1)   [process 0, line 1]",
                         "      2. write(2)   [process 1, line 2]",
                         "  the operation that cannot be placed next:",
                         "    read -> 1   [process 0, line 3]",
                         "      after the prefix: read -> 2: the register held 2"]


def test_sequential_consistency_accepts_the_stale_read_of_another_process(tmp_path, capsys):
    p = history(tmp_path, '{"process": 0, "call": 0, "ret": 1, "f": "write", "args": [1]}\n'
                          '{"process": 1, "call": 2, "ret": 3, "f": "read", "result": null}\n')
    assert run(capsys, "history", "check", p, "--model", "register")[0] == 1
    code, out, _ = run(capsys, "history", "check", p, "--model", "register", "--consistency", "sequential")
    assert code == 0 and out.startswith("sequentially consistent: 2 operations in 1 part")


def test_json_output(tmp_path, capsys):
    code, out, _ = run(capsys, "history", "check", history(tmp_path, STALE), "--model", "register", "--json")
    assert code == 1
    obj = json.loads(out)
    assert obj["verdict"] == "violated" and obj["consistency"] == "linearizable"
    assert obj["operations"] == 3 and obj["parts"] == 1
    assert obj["failure"] == {"key": None, "operations": [0, 1, 2], "prefix": [0, 1],
                              "stuck": [{"id": 2, "line": 3, "op": "read -> 1",
                                         "expected": "read -> 2: the register held 2"}]}


@pytest.mark.parametrize("limit,said", [
    (("--time-limit", "0.05"), "the time limit (0.05 s) ran out while checking the history"),
    (("--max-memory", "1"), "the memory limit (1 MB) was reached while checking the history"),
])
def test_a_limit_exits_3(tmp_path, capsys, limit, said):
    p = tmp_path / "hard.jsonl"
    write_jsonl(hard_register_history(), p)
    code, out, err = run(capsys, "history", "check", p, "--model", "register", *limit)
    assert code == 3, (out, err)
    assert out.startswith(f"unknown (linearizability): {said}")


def test_the_default_memory_limit_is_three_quarters_of_the_machine():
    import argparse

    from modelcheck.cli.history import memory_limit
    from modelcheck.resources import physical_mb

    assert memory_limit(argparse.Namespace(max_memory=500)) == 500
    assert memory_limit(argparse.Namespace(max_memory=None)) == 0.75 * physical_mb() > 1000


def test_bad_input_exit_2_with_file_and_line(tmp_path, capsys):
    bad = history(tmp_path, '{"process": 0, "call": 0, "ret": 1, "f": "write", "args": [1]}\n{"process": 0}\n')
    code, out, err = run(capsys, "history", "check", bad, "--model", "register")
    assert (code, out) == (2, "")
    assert err == f"modelcheck: error: {bad}:2: missing fields 'call', 'f'\n"
    # an operation the model does not know: named by file and line too
    p = history(tmp_path, STALE, "kv.jsonl")
    code, _, err = run(capsys, "history", "check", p, "--model", "kv")
    assert code == 2 and err == f"modelcheck: error: {p}:1: write takes 2 arguments, this one has 1: [1]\n"
    code, _, err = run(capsys, "history", "check", p, "--model", "nope")
    assert code == 2 and "no model named 'nope'" in err and "Traceback" not in err
    code, _, err = run(capsys, "history", "check", tmp_path / "absent.jsonl", "--model", "register")
    assert code == 2 and "no such file" in err
    code, out, _ = run(capsys, "history", "check", bad, "--model", "register", "--json")
    assert code == 2 and json.loads(out)["verdict"] == "error"


def test_usage_errors_exit_2(tmp_path, capsys):
    assert run(capsys, "history")[0] == 2
    assert run(capsys, "history", "check", "h.jsonl")[0] == 2                 # --model is required
    code, _, err = run(capsys, "history", "check", "h.jsonl", "--model", "register", "--time-limit", "-1")
    assert code == 2 and "expected a number of seconds > 0" in err


def test_initial_value(tmp_path, capsys):
    p = history(tmp_path, '{"process": 0, "call": 0, "ret": 1, "f": "read", "result": 0}\n')
    assert run(capsys, "history", "check", p, "--model", "register")[0] == 1
    assert run(capsys, "history", "check", p, "--model", "register", "--initial", "0")[0] == 0
    code, _, err = run(capsys, "history", "check", p, "--model", "register", "--initial", "{")
    assert code == 2 and "expected a JSON value" in err


BANK = ('{"process": 0, "call": 0, "ret": 1, "f": "transfer", "args": ["a", "b", 30], "result": "ok"}\n'
        '{"process": 1, "call": 2, "ret": 3, "f": "read", "result": [70, 80]}\n')


def test_bank_balances_from_the_initial_option(tmp_path, capsys):
    p = history(tmp_path, BANK)
    code, out, err = run(capsys, "history", "check", p, "--model", "bank", "--initial", '{"a": 100, "b": 50}')
    assert code == 0, err
    # the same history against other opening balances: the read cannot be placed
    code, out, err = run(capsys, "history", "check", p, "--model", "bank",
                         "--initial", '{"accounts": ["a", "b"], "initial": 100}')
    assert code == 1, err
    assert "read" in out


def test_bank_balances_from_the_recorders_header_line(tmp_path, capsys):
    p = history(tmp_path, '# bank {"accounts": ["a", "b"], "initial": 75}\n' + BANK.replace("[70, 80]", "[45, 105]"))
    code, out, err = run(capsys, "history", "check", p, "--model", "bank")
    assert code == 0, err


def test_bank_without_balances_is_a_usage_error(tmp_path, capsys):
    code, out, err = run(capsys, "history", "check", history(tmp_path, BANK), "--model", "bank")
    assert code == 2
    assert "opening balances" in err and "Traceback" not in err


def test_a_spec_model_takes_constants(tmp_path, capsys):
    from tests.helpers import ROOT

    spec = str(ROOT / "specs" / "objects" / "register.mc")
    p = history(tmp_path, '{"process": 0, "call": 0, "ret": 1, "f": "write", "args": [7]}\n'
                          '{"process": 0, "call": 2, "ret": 3, "f": "read", "result": 7}\n')
    code, out, err = run(capsys, "history", "check", p, "--model", spec, "--const", "Max=7")
    assert code == 0, err
    # with the default Max = 4 the value 7 is outside the spec's domain: no write(7) exists
    code, out, err = run(capsys, "history", "check", p, "--model", spec)
    assert code != 0
    code, out, err = run(capsys, "history", "check", p, "--model", "register", "--const", "Max=7")
    assert code == 2 and "apply to a .mc spec" in err


def test_initial_does_not_apply_to_zk_nor_an_object_to_a_register(tmp_path, capsys):
    p = history(tmp_path, STALE)
    code, out, err = run(capsys, "history", "check", p, "--model", "zk", "--initial", "1")
    assert code == 2 and "--initial does not apply" in err
    code, out, err = run(capsys, "history", "check", p, "--model", "register", "--initial", '{"a": 1}')
    assert code == 2 and "not an object" in err
