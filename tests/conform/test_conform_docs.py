"""The README's conformance walk-through and docs/conformance.md must stay true."""

from __future__ import annotations

import json
import re

from modelcheck.cli import main
from tests.helpers import ROOT, TWOPHASE

README = (ROOT / "README.md").read_text()
DOC = (ROOT / "docs" / "conformance.md").read_text()


def fenced(text):
    out, cur = [], None
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if cur is None:
                cur = []
            else:
                out.append("".join(cur))
                cur = None
        elif cur is not None:
            cur.append(line)
    return out


def normalize(text):
    return re.sub(r"\d+\.\d\d s \([\d,]+ events/s\)", "T s (R events/s)", text).strip()


def test_readme_validate_example(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    cmd = "$ modelcheck trace validate specs/twophase/twophase.mc traces/tp_early_commit.jsonl --const RM=3\n"
    shown = next(b for b in fenced(README) if b.startswith(cmd))
    assert main(cmd[2:].split()[1:]) == 1
    assert normalize(capsys.readouterr().out) == normalize(shown[len(cmd):])


def test_readme_replay_example(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main(["check", TWOPHASE, "--const", "BugCommitOnAny=true", "--json"])
    (tmp_path / "cx.json").write_text(capsys.readouterr().out)
    cmd = "$ modelcheck replay specs/twophase/twophase.mc cx.json --const BugCommitOnAny=true\n"
    shown = next(b for b in fenced(README) if b.startswith(cmd))
    assert main(["replay", TWOPHASE, "cx.json", "--const", "BugCommitOnAny=true"]) == 0
    out = capsys.readouterr().out.splitlines()
    pos = 0
    for line in shown[len(cmd):].splitlines():
        if line == "...":
            continue
        pos = out.index(line, pos) + 1  # every line shown is printed, in order


def test_readme_trace_lines_are_valid_events(tmp_path, capsys):
    block = next(b for b in fenced(README) if b.startswith('{"v": 1, "proc": "rm1"'))
    f = tmp_path / "t.jsonl"
    f.write_text(block)
    assert all(json.loads(line) for line in block.splitlines())
    assert main(["trace", "validate", TWOPHASE, str(f), "--const", "RM=3"]) == 0


def test_doc_report_examples_are_what_the_validator_prints(capsys, monkeypatch):
    """The three report excerpts of docs/conformance.md appear verbatim in the output."""
    monkeypatch.chdir(ROOT)
    blocks = [b for b in fenced(DOC) if b.startswith(("Divergence in", "  RMPrepare(rm=rm2) fires", "  in every candidate"))]
    assert len(blocks) == 3
    outs = []
    for trace, extra in (("tp_early_commit", []), ("tp_wrong_state", []), ("tp_incomplete", ["--complete"])):
        main(["trace", "validate", "specs/twophase/twophase.mc", f"traces/{trace}.jsonl",
              "--const", "RM=3", *extra])
        outs.append(capsys.readouterr().out)
    for b, out in zip(blocks, outs):
        assert b in out
