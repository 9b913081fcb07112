"""The README's tour must stay true: its spec, its output, its fix and its error example."""

import re

from modelcheck.cli import main
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text()


def blocks(lang):
    """The fenced code blocks of the README whose info string is ``lang``."""
    out, current, info = [], None, None
    for line in README.splitlines(keepends=True):
        if line.startswith("```"):
            if current is None:
                current, info = [], line[3:].strip()
            else:
                if info == lang:
                    out.append("".join(current))
                current = None
        elif current is not None:
            current.append(line)
    return out


def tour_spec():
    (spec,) = blocks("mc")
    return spec


def normalize(text):
    return re.sub(r"\d+\.\d\d s", "T s", text).strip()


def test_readme_opens_with_exactly_two_commands():
    first = blocks("sh")[0]
    commands = [l.split("#")[0].strip() for l in first.splitlines() if l.strip()]
    assert commands == ["make check", "make test"]
    assert README.index("```sh") < README.index("## ")


def test_tour_output_is_what_the_checker_prints(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lock.mc").write_text(tour_spec())
    code = main(["check", "lock.mc"])
    out = capsys.readouterr().out
    shown = next(b for b in blocks("") if b.startswith("$ modelcheck check lock.mc\n"))
    assert code == 1
    assert normalize(out) == normalize(shown.split("\n", 1)[1])


def test_tour_fix_holds(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = tour_spec()
    fix = next(b for b in blocks("") if b.startswith("action Acquire"))
    start = spec.index("// test the lock")
    end = spec.index("action Release")
    (tmp_path / "lock.mc").write_text(spec[:start] + fix + "\n" + spec[end:])
    assert main(["check", "lock.mc", "--json"]) == 0
    assert '"distinct_states": 2,' in capsys.readouterr().out
    assert main(["check", "lock.mc", "--json", "--no-symmetry", "--const", "P=5"]) == 0
    assert '"distinct_states": 6,' in capsys.readouterr().out


def test_error_example(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lock.mc").write_text(tour_spec().replace("and not locked\n", "and not lockd\n", 1))
    assert main(["check", "lock.mc"]) == 2
    err = capsys.readouterr().err
    shown = next(b for b in blocks("") if b.startswith("lock.mc:"))
    assert err.strip() == shown.strip()


def test_crash_tour_output(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    shown = next(b for b in blocks("") if b.startswith("$ modelcheck check specs/twophase/crash.mc"))
    assert main(["check", "specs/twophase/crash.mc", "--no-deadlock"]) == 1
    out = capsys.readouterr().out
    # the elided parts ("...") aside, every line shown is printed, in order
    lines = [normalize(x) for x in out.splitlines()]
    pos = 0
    for line in shown.splitlines()[1:]:
        if line == "...":
            continue
        pos = lines.index(normalize(line), pos) + 1


def _shown_in_order(shown, out):
    """Every line shown is printed, in order; the values z3 chose for the counterexample
    (state lines, the action's parameters, the instance) may differ from run to run of
    the suite (z3's choices follow the names of the sorts a process has made), so only
    its structure is compared."""
    lines = [normalize(x) for x in out.splitlines()]
    pos = 0
    for line in shown.splitlines()[1:]:
        if line == "..." or line.startswith("       ") or "(rm=" in line or line.strip().startswith("for "):
            continue
        pos = lines.index(normalize(line), pos) + 1


def test_prove_tour_output(capsys, monkeypatch):
    """The README's counterexample to induction, and its fix, are what `prove` prints."""
    monkeypatch.chdir(ROOT)
    for command, code in ((["prove", "specs/twophase/twophase.mc", "--invariant", "Agreement"], 1),
                          (["prove", "specs/twophase/twophase.mc", "--invariant", "Inductive", "--for-all-sizes",
                            "RM"], 0)):
        shown = next(b for b in blocks("") if b.startswith("$ modelcheck " + " ".join(command) + "\n"))
        assert main(command) == code
        _shown_in_order(shown, capsys.readouterr().out)
