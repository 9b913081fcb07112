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
