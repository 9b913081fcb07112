"""Trace files that used to end in a Python traceback (issue 14, section 3): a line with
100,000 nested brackets (RecursionError) and an integer of 5,000 digits (Python refuses
to convert more than 4,300) are reported at their line, exit 2."""

from __future__ import annotations

from tests.helpers import ROOT, TRACES, TWOPHASE, run


def validate(capsys, trace, fmt="auto"):
    return run(capsys, "trace", "validate", TWOPHASE, trace, "--const", "RM=3", "--format", fmt)


def test_deeply_nested_json_lines(capsys, tmp_path):
    trace = tmp_path / "deep.jsonl"
    trace.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    code, out, err = validate(capsys, trace)
    assert (code, out) == (2, "") and "Traceback" not in err
    assert f"{trace}:1: the JSON is nested too deeply to read" in err
    itf = tmp_path / "deep.itf.json"
    itf.write_text('{"states": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code, _, err = validate(capsys, itf, "itf")
    assert code == 2 and "the JSON is nested too deeply to read" in err and "Traceback" not in err


def test_an_integer_too_large_to_read(capsys, tmp_path):
    lines = (TRACES / "tp_commit.jsonl").read_text().splitlines()
    lines[3] = lines[3].replace('"lc": 2', '"lc": ' + "9" * 5000)
    trace = tmp_path / "big.jsonl"
    trace.write_text("\n".join(lines) + "\n")
    code, _, err = validate(capsys, trace)
    assert code == 2 and "Traceback" not in err
    assert f"{trace}:4: not readable JSON: an integer is too large" in err


def test_a_merged_file_out_of_lc_order_is_said_at_the_line(capsys, tmp_path):
    # issue 14, section 3: a receive at lc 2 after the commit at lc 5 was "explained" as
    # one file but diverges as per-process files; now it is said, at the line
    import json as _json
    lines = (ROOT / "traces" / "tp_commit.jsonl").read_text().splitlines()
    bad = [line.replace('"proc": "rm1", "lc": 6', '"proc": "rm1", "lc": 2') for line in lines]
    trace = tmp_path / "bad.jsonl"
    trace.write_text("\n".join(bad) + "\n")
    code, out, err = run(capsys, "trace", "validate", TWOPHASE, trace, "--const", "RM=3", "--json")
    note = f"{trace}:8: not in (lc, process) order: lc 2 of rm1 comes after lc 5 of tm (line 7)"
    assert err.startswith("note: " + note)
    assert _json.loads(out)["notes"][0].startswith(note)
    code, out, err = run(capsys, "trace", "validate", TWOPHASE, ROOT / "traces" / "tp_commit.jsonl", "--const", "RM=3")
    assert code == 0 and "not in (lc, process) order" not in err
