"""The command line alone reads constants written as text (`--const`, a suite manifest's
`consts`) and hands the API real values."""

import pytest

from modelcheck.cli import main
from modelcheck.cli.common import UsageError, manifest_consts, parse_const_value, parse_consts
from tests.helpers import TWOPHASE


@pytest.mark.parametrize("item, expected", [
    ("RM=4", {"RM": 4}),
    ("RM={a,b}", {"RM": ("a", "b")}),
    ("RM={ a , b,c }", {"RM": ("a", "b", "c")}),
    ("RM={}", {"RM": ()}),
    ("Bug=true", {"Bug": True}),
    ("Bug=false", {"Bug": False}),
    ("N=3", {"N": 3}),
    ("N=-1", {"N": -1}),
    (" N = 007 ", {"N": 7}),
])
def test_parse_consts_gives_real_values(item, expected):
    got = parse_consts([item])
    assert got == expected
    assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]  # True is not 1


def test_a_later_binding_wins():
    assert parse_consts(["RM=4", "Bug=true", "RM={x}"]) == {"RM": ("x",), "Bug": True}


@pytest.mark.parametrize("item, message", [
    ("RM", "--const expects NAME=VALUE, got 'RM'"),
    ("N=abc", "--const N=abc: expected an integer (N=3), true or false (Bug=true), or for a model-value set "
              "a count or names (RM=4, RM={a,b})"),
    ("Bug=True", "--const Bug=True: expected an integer"),
    ("N=1.5", "--const N=1.5: expected an integer"),
    ("RM={a,b", "--const RM={a,b: expected an integer"),
    # digits of other scripts are not integers here (Python's int() would take them)
    ("RM=٣", "--const RM=٣: expected an integer"),
    # beyond 4,300 digits Python's int() raises; far before that, a clear refusal
    ("N=" + "9" * 5000, "--const N=" + "9" * 40 + "...: an integer of 5,000 digits is too large (at most 100)"),
])
def test_text_that_is_no_value_is_a_usage_error(item, message):
    with pytest.raises(UsageError) as e:
        parse_consts([item])
    assert str(e.value).startswith(message)


def test_bad_const_text_on_the_command_line_exits_2(capsys):
    assert main(["check", TWOPHASE, "--const", "RM=three"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("modelcheck: error: --const RM=three: expected an integer")


def test_parse_const_value_refuses_what_it_cannot_read():
    assert parse_const_value("{r1, r2}") == ("r1", "r2")
    with pytest.raises(ValueError):
        parse_const_value("")


def test_manifest_consts_parse_strings_and_pass_toml_values():
    assert manifest_consts({"RM": "3", "S": "{a, b}", "Bug": "true", "N": 4, "B": False, "L": ["x", "y"]}) == {
        "RM": 3, "S": ("a", "b"), "Bug": True, "N": 4, "B": False, "L": ("x", "y")}
    assert manifest_consts(None) == {}
    with pytest.raises(ValueError, match=r"consts: RM = 'x y': expected an integer"):
        manifest_consts({"RM": "x y"})
    with pytest.raises(ValueError, match="consts: N: expected a string, an integer, a boolean or a list"):
        manifest_consts({"N": 1.5})


def test_set_valued_constant_reaches_the_spec_and_a_view(tmp_path, capsys, monkeypatch):
    """RM={a,b} arrives as the names a and b, in the check and in a --view expression
    (which is checked again with the same constants)."""
    assert main(["check", TWOPHASE, "--const", "RM={a,b}", "--no-temporal"]) == 0
    out, _ = capsys.readouterr()
    assert "with RM={a, b}," in out
    monkeypatch.chdir(tmp_path)
    assert main(["graph", TWOPHASE, "--const", "RM={a,b}", "--view", "tmState", "--format", "dot"]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines()[0] == "TwoPhase: 56 states, 153 transitions; view tmState: 3 nodes, 2 edges"
