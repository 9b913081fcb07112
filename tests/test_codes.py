"""The registry of error codes (modelcheck.diagnostics.Code): every code the code base
emits is registered with a title, no code is written as a string literal outside the
registry, and docs/language.md lists exactly the registered codes."""

from __future__ import annotations

import re
from pathlib import Path

from modelcheck.diagnostics import TITLES, Code

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "modelcheck"


def test_every_code_has_a_title_and_a_distinct_value():
    assert set(TITLES) == set(Code)
    assert all(TITLES[c].strip() for c in Code)
    assert len({c.value for c in Code}) == len(Code)
    assert all(re.fullmatch(r"MC\d{3}", c.value) for c in Code)


def test_every_code_used_in_the_code_base_is_registered():
    registered = {c.value for c in Code}
    used_names, literals = set(), []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used_names |= set(re.findall(r"\bCode\.([A-Z_]+)\b", text))
        if path.name != "diagnostics.py":
            literals += [(path.name, m) for m in re.findall(r"[\"'](MC\d{3})[\"']", text)]
        for code in re.findall(r"\bMC\d{3}\b", text):
            assert code in registered, f"{path.relative_to(ROOT)} mentions unregistered {code}"
    assert used_names <= {c.name for c in Code}, used_names - {c.name for c in Code}
    assert literals == [], f"codes written as string literals: {literals}"
    # every registered code is emitted somewhere (by its member)
    assert {c.name for c in Code} <= used_names, {c.name for c in Code} - used_names


def test_the_language_docs_list_the_registry():
    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| (MC\d{3}) \|", text, re.M)
    assert len(listed) == len(set(listed)), "a code is listed twice"
    assert set(listed) == {c.value for c in Code}


def test_runtime_errors_and_trace_problems_carry_their_codes(tmp_path):
    from modelcheck import load
    from modelcheck.conform.events import TraceError, read_jsonl
    from modelcheck.diagnostics import Diagnostic

    spec = tmp_path / "div.mc"
    spec.write_text("module M\nvar x: 0..3\ninit { x = 0 }\naction A { x' = 1 / x }\n")
    model = load(spec).model
    s0 = model.initial_states()[0]
    try:
        model.successors(s0)
    except Exception as exc:  # noqa: BLE001 - the compiled model raises the plain Python error
        err = model.explain(s0, exc)
    else:
        raise AssertionError("1 / 0 did not fail")
    d = err.diagnostic
    assert isinstance(d, Diagnostic) and d.code is Code.RUNTIME
    assert d.message == "runtime error in action A: division by zero"
    assert (d.span.line, d.span.col) == (4, 17)
    assert str(err).startswith(f"MC300 {d.message}\n  at {spec}:4:17\n")  # the printed text

    twophase = load(ROOT / "specs" / "twophase" / "twophase.mc").model
    trace = tmp_path / "bad.jsonl"
    trace.write_text('{"action": "Nope"}\nnot json\n')
    try:
        read_jsonl(trace, twophase)
    except TraceError as e:
        problems = e.problems
    else:
        raise AssertionError("a bad trace was read")
    assert [p.code for p in problems] == [Code.TRACE_MISFIT, Code.TRACE_MALFORMED]
    assert problems[0].diagnostic().message.startswith("unknown action `Nope`")
    assert problems[1].diagnostic().span.line == 2
    try:
        read_jsonl(tmp_path / "missing.jsonl", twophase)
    except TraceError as e:
        assert [p.code for p in e.problems] == [Code.TRACE_UNREADABLE]
        assert e.render().endswith("missing.jsonl: no such trace file")
