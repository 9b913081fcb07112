"""Specs that used to end in a Python traceback (issue 14, section 3) get a coded,
located error with exit 2: deep nesting, empty model-value sets, huge integers."""

from __future__ import annotations

import pytest

from tests.helpers import TWOPHASE, run

BASE = "module T\nvar x: 0..3\ninit {{ x = 0 }}\naction A {{\n  require {e}\n  x' = x\n}}\n"


def chain_of_lets(n):
    return ("module T\nvar x: 0..3\ninit { x = 0 }\naction A {\n  require "
            + "".join(f"let a{i} = x in " for i in range(n)) + f"a{n - 1} >= 0\n  x' = x\n}}\n")


@pytest.mark.parametrize("text", [
    BASE.format(e="not " * 250 + "true"),                       # RecursionError in the checker
    BASE.format(e="-" * 250 + "x > 0"),                         # "too many nested parentheses" from compile()
    BASE.format(e="size(" + "{" * 250 + "1" + "}" * 250 + ") > 0"),
    chain_of_lets(250),                                         # MemoryError from compile()
], ids=["not", "minus", "braces", "let"])
def test_deep_nesting_is_a_located_error(capsys, tmp_path, text):
    spec = tmp_path / "deep.mc"
    spec.write_text(text)
    code, out, err = run(capsys, "check", spec)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"{spec}:5:") and "MC100 the spec is nested too deeply" in err


def test_nesting_within_the_limit_still_checks(capsys, tmp_path):
    spec = tmp_path / "ok.mc"
    spec.write_text(BASE.format(e="not " * 100 + "true"))   # an even number of nots: true
    code, out, _ = run(capsys, "check", spec, "--no-deadlock")
    assert code == 0 and "verdict: holds" in out


@pytest.mark.parametrize("const", ["RM=0", "RM={}"])
def test_an_empty_model_value_set_on_the_command_line(capsys, const):
    code, _, err = run(capsys, "check", TWOPHASE, "--const", const)
    assert code == 2 and "Traceback" not in err
    assert "MC270 the model-value set `RM` is empty; it needs at least one value" in err


def test_an_empty_model_value_set_in_the_spec(capsys, tmp_path):
    spec = tmp_path / "e.mc"
    spec.write_text("module E\nmodels P = {}\nvar x: P -> bool\ninit { x = {p: false for p in P} }\n"
                    "action A(p in P) {\n  x' = x.put(p, true)\n}\n")
    code, _, err = run(capsys, "check", spec)
    assert code == 2 and err.startswith(f"{spec}:2:1: MC270 the model-value set `P` is empty")


def test_huge_integer_literals_in_a_spec_and_a_config(capsys, tmp_path):
    big = "9" * 5000
    spec = tmp_path / "b.mc"
    spec.write_text(BASE.format(e=f"x < {big}"))
    code, _, err = run(capsys, "check", spec)
    assert code == 2 and f"{spec}:5:15: MC100 an integer literal of 5,000 digits is too large" in err
    spec.write_text("module B\nconst N = 3\nvar x: 0..3\ninit { x = 0 }\naction A {\n  require x < N\n"
                    f"  x' = x + 1\n}}\nconfig big {{ N = {big} }}\n")
    code, _, err = run(capsys, "check", spec)
    assert code == 2 and f"{spec}:9:18: MC100 an integer literal of 5,000 digits is too large" in err


# ------------------------------------------------------------------ sizes (issue 14, section 3)
# size(0..99999999) used to build a set of 10^8 numbers (6.3 GB, whatever --time-limit
# said); a `0..10^8 -> bool` variable raised MemoryError.

def test_size_of_a_range_is_counted_not_built(capsys, tmp_path):
    spec = tmp_path / "r.mc"
    spec.write_text("module R\nvar x: 0..3\ninit { x = size(0..99999999) % 2 + size(5..4) }\naction A { x' = x }\n")
    code, out, _ = run(capsys, "check", spec, "--no-deadlock")
    assert code == 0 and "1 distinct states" in out


def test_a_range_too_large_for_a_set_is_a_located_runtime_error(capsys, tmp_path):
    spec = tmp_path / "big.mc"
    spec.write_text("module B\nvar s: set[int]\ninit { s = 0..99999999 }\naction A { s' = s }\n")
    code, out, err = run(capsys, "check", spec)
    assert code == 2 and "Traceback" not in err + out
    assert "MC300 runtime error in init: the range 0..99999999 has 100,000,000 values; a set may hold at most 1,000,000" in out
    assert f"at {spec}:3:12" in out


def test_quantifying_over_a_huge_range_does_not_build_it(capsys, tmp_path):
    spec = tmp_path / "q.mc"
    spec.write_text("module Q\nvar x: 0..3\ninit { x = 0 }\naction A { require exists i in 0..99999999: i == x\n"
                    "  x' = x }\n")
    code, out, _ = run(capsys, "check", spec, "--no-deadlock")
    assert code == 0 and "verdict: holds" in out


def test_a_function_type_too_large_to_hold_is_refused_before_the_search(capsys, tmp_path):
    spec = tmp_path / "g.mc"
    spec.write_text("module G\nconst N = 100000000\nvar f: (0..N) -> bool\ninit { f = { i: false for i in 0..N } }\n"
                    "action A { f' = f }\n")
    code, out, err = run(capsys, "check", spec)
    assert code == 2 and out == ""
    assert err.startswith(f"{spec}:3:9: MC212 the key type 0..100000000 of `K -> V` has 100,000,001 values")


def test_time_limit_holds_while_compiling(capsys, tmp_path):
    # a constant folded at compile time that takes long to build (a map of 900,000
    # entries built over and over): the limit counts from the command's start
    spec = tmp_path / "c.mc"
    spec.write_text("module C\nvar x: 0..3\n"
                    "init { x = size({ i: size({ j: 0 for j in 0..i }) for i in 0..900000 }) % 2 }\n"
                    "action A { x' = x }\n")
    code, out, err = run(capsys, "check", spec, "--time-limit", "0.5", "--json")
    assert code == 3 and "--time-limit was reached while compiling the spec" in err
    assert '"stop_reason": "time-limit"' in out
