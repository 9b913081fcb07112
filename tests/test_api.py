"""The Python API: load, bind, check, a frozen result; the same search on hand-written models."""

import dataclasses

import pytest

from modelcheck import CheckResult, Options, Verdict, check, load
from modelcheck.diagnostics import SpecError
from tests.helpers import TWOPHASE
from tests.models.handwritten import twophase


def test_load_bind_check():
    spec = load(TWOPHASE)
    assert spec.name == "TwoPhase"
    assert spec.describe_consts().startswith("RM={r1, r2, r3}")
    bigger = spec.bind({"RM": 4})
    assert bigger.describe_consts().startswith("RM={rm1, rm2, rm3, rm4}, ")
    r = check(bigger, symmetry=False)
    assert isinstance(r, CheckResult)
    assert (r.verdict, r.distinct_states, r.depth) == (Verdict.HOLDS, 1568, 14)
    buggy = spec.bind({"BugCommitOnAny": True})
    assert check(buggy).verdict is Verdict.VIOLATED
    assert check(spec.bind(config="rm2"), Options(symmetry=False)).distinct_states == 56


def test_result_is_frozen():
    r = check(load(TWOPHASE))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.distinct_states = 0


def test_load_errors_are_spec_errors(tmp_path):
    bad = tmp_path / "bad.mc"
    bad.write_text("module M\nvar x: 0..3\ninit { x = 0 }\naction A { x' = y }\n")
    with pytest.raises(SpecError) as e:
        load(bad)
    assert [d.code for d in e.value.diagnostics] == ["MC201"]
    with pytest.raises(SpecError) as e:
        load(TWOPHASE, consts={"RM": "zero"})  # text is the command line's to parse, not the API's
    assert [d.code for d in e.value.diagnostics] == ["MC270"]
    assert "constant `RM`: got the text 'zero'" in e.value.diagnostics[0].message


def test_check_accepts_a_hand_written_model():
    r = check(twophase(3), strategy="dfs")
    assert (r.verdict, r.distinct_states) == (Verdict.HOLDS, 288)
