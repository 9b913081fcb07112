"""`modelcheck history report`: writes the page, exits as `history check` does, and
never overwrites a file it did not write unless told to (--force)."""

from __future__ import annotations

import json

from modelcheck.cli import main

GOOD = [{"process": 0, "call": 0, "ret": 2, "f": "write", "args": [1], "result": None},
        {"process": 1, "call": 1, "ret": 3, "f": "read", "args": [], "result": 1}]
BAD = GOOD + [{"process": 1, "call": 4, "ret": 5, "f": "read", "args": [], "result": 7}]


def write(path, lines):
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_writes_the_page_and_exits_with_the_verdict(tmp_path, capsys):
    good, bad = write(tmp_path / "good.jsonl", GOOD), write(tmp_path / "bad.jsonl", BAD)
    assert main(["history", "report", str(good), "--model", "register"]) == 0
    out = capsys.readouterr().out
    page = tmp_path / "good-report.html"                         # the default: beside the history
    assert out.splitlines()[-1] == f"report written to {page}"
    assert 'id="verdict">linearizable<' in page.read_text()
    target = tmp_path / "sub" / "b.html"
    assert main(["history", "report", str(bad), "--model", "register", "-o", str(target)]) == 1
    assert "read -&gt; 7" in target.read_text() and 'class="op stuck"' in target.read_text()
    assert "not linearizable" in capsys.readouterr().out


def test_replaces_its_own_page_but_not_another_file_without_force(tmp_path, capsys):
    good = write(tmp_path / "good.jsonl", GOOD)
    mine = tmp_path / "r.html"
    assert main(["history", "report", str(good), "--model", "register", "-o", str(mine)]) == 0
    write(good, BAD)
    assert main(["history", "report", str(good), "--model", "register", "-o", str(mine)]) == 1
    assert "not linearizable" in mine.read_text()                 # its own page: replaced
    other = tmp_path / "notes.html"
    other.write_text("<p>my notes</p>")
    assert main(["history", "report", str(good), "--model", "register", "-o", str(other)]) == 2
    err = capsys.readouterr().err
    assert f"{other} exists and was not written by `modelcheck history report`" in err and "--force" in err
    assert other.read_text() == "<p>my notes</p>"
    assert main(["history", "report", str(good), "--model", "register", "-o", str(other), "--force"]) == 1
    assert "not linearizable" in other.read_text()


def test_bad_input_is_an_error_in_words_and_writes_nothing(tmp_path, capsys):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"process": 0, "call": 0, "ret": 1, "f": "write", "args": [1]}\n{"process": \n')
    assert main(["history", "report", str(broken), "--model", "register"]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:2" in err and "Traceback" not in err
    assert not (tmp_path / "broken-report.html").exists()
    assert main(["history", "report", str(tmp_path / "none.jsonl"), "--model", "register"]) == 2
    assert "no such file" in capsys.readouterr().err
    good = write(tmp_path / "good.jsonl", GOOD)
    assert main(["history", "report", str(good), "--model", "nosuch"]) == 2
    assert "no model named 'nosuch'" in capsys.readouterr().err
    assert main(["history", "report", str(good), "--model", "register", "-o", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
