"""What the command line says to a newcomer (issue 20, section 3): a subcommand's own
usage for an unknown flag, `trace` alone, `--version`, `source --help`, the spec's
constants listed for an unknown one, a directory given as a spec, and articles."""

from __future__ import annotations

import pytest

from modelcheck.cli import main
from tests.helpers import SPECS, TWOPHASE, run


def usage_error(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as e:
        main([str(a) for a in argv])
    assert e.value.code == 2
    return capsys.readouterr().err


def test_unknown_flag_shows_the_subcommands_usage(capsys):
    err = usage_error(capsys, "check", TWOPHASE, "--bogus")
    assert err.startswith("usage: modelcheck check ") and err.endswith(
        "modelcheck: error: unrecognized arguments: --bogus\n")
    err = usage_error(capsys, "trace", "validate", TWOPHASE, "t.jsonl", "--zzz")
    assert err.startswith("usage: modelcheck trace validate ")


def test_trace_alone_says_what_to_do(capsys):
    code, out, err = run(capsys, "trace")
    assert code == 2 and out == ""
    assert "trace_command" not in err
    assert "modelcheck trace validate SPEC TRACE" in err and "modelcheck trace generate SPEC" in err


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    from importlib.metadata import version

    assert e.value.code == 0 and capsys.readouterr().out == f"modelcheck {version('modelcheck')}\n"


def test_source_help_describes_its_arguments(capsys):
    with pytest.raises(SystemExit):
        main(["source", "--help"])
    out = capsys.readouterr().out
    assert "a .mc spec file" in out and "bind a constant" in out and "--config" in out


def test_unknown_constant_lists_the_specs_constants(capsys):
    code, _, err = run(capsys, "check", TWOPHASE, "--const", "Q=3")
    assert code == 2
    assert "MC270 unknown constant `Q`; the spec's constants: `RM`, `BugCommitOnMajority`," in err


def test_a_directory_given_as_a_spec(capsys):
    code, _, err = run(capsys, "check", SPECS / "twophase")
    assert code == 2 and "Errno" not in err
    assert "is a directory; give a spec file (the .mc files in it: crash.mc, durable.mc, twophase.mc)" in err


def test_an_int_not_a_int(capsys, tmp_path):
    spec = tmp_path / "a.mc"
    spec.write_text("module A\nvar x: bool\ninit { x = false }\naction Go {\n  x' = 3\n}\n")
    code, _, err = run(capsys, "check", spec)
    assert code == 2 and "MC210 cannot assign an int to `x` of type bool" in err


INIT_OUT_OF_RANGE = "module I\nvar x: 0..3\ninit { x = 5 }\naction A {\n  require x < 3\n  x' = x + 1\n}\n"


@pytest.mark.parametrize("command", ["check", "simulate"])
def test_a_runtime_error_in_init_is_mc300_with_its_location(capsys, tmp_path, command):
    # before: a raw tuple "(0, 5, 5)" with no code or location, and "never enabled" warnings
    spec = tmp_path / "i.mc"
    spec.write_text(INIT_OUT_OF_RANGE)
    code, out, _ = run(capsys, command, spec)
    assert code == 2 and "verdict: error" in out
    assert f"MC300 runtime error in init: variable x would be 5, outside its type 0..3\n  at {spec}:3:8\n" in out
    assert "    3 | init { x = 5 }\n      |        ^^^^^" in out
    assert "(0, 5, 5)" not in out and "enabled" not in out
    import json

    report = json.loads(run(capsys, "check", spec, "--json")[1])
    assert report["error"].startswith("MC300 runtime error in init: variable x would be 5, outside its type 0..3")
