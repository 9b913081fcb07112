"""The README's "Reading findings" examples must stay true."""

import shlex

from modelcheck.cli import main
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text()


def shown(prefix):
    """The fenced block that starts with ``$ <prefix>``: (command line, printed lines)."""
    for block in README.split("```")[1::2]:
        body = block.split("\n", 1)[1] if not block.startswith("\n") else block[1:]
        if body.startswith("$ " + prefix):
            lines = body.rstrip("\n").splitlines()
            return lines[0][2:], lines[1:]
    raise AssertionError(f"no README block starts with $ {prefix}")


def run(cmd, tmp_path, capsys, monkeypatch):
    argv = shlex.split(cmd)[1:]
    monkeypatch.chdir(tmp_path)
    argv = [str(ROOT / a) if a.startswith("specs/") else a for a in argv]
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_graph_view_example(tmp_path, capsys, monkeypatch):
    cmd, lines = shown("modelcheck graph specs/twophase/twophase.mc --const BugCommitOnAny=true --view")
    code, out, _ = run(cmd, tmp_path, capsys, monkeypatch)
    assert code == 1  # the drawing holds a counterexample: graph exits with its verdict
    assert out == lines
    assert (tmp_path / "twophase-graph.dot").exists() and (tmp_path / "twophase-graph.svg").exists()


def test_graph_refusal_example(tmp_path, capsys, monkeypatch):
    cmd, lines = shown("modelcheck graph specs/twophase/twophase.mc\n")
    code, out, err = run(cmd, tmp_path, capsys, monkeypatch)
    assert code == 2
    assert err == lines
    assert not list(tmp_path.iterdir())
