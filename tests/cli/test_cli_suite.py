"""`modelcheck suite`: `modelcheck.suite` checks the runs and returns data; the command
line prints the table and writes the files. A manifest's constants are read by the
command line (strings as `--const`, TOML values as they are)."""

import json

from modelcheck.cli import main
from modelcheck.suite import check_run, read_manifest, summary
from tests.helpers import TWOPHASE


def test_check_run_returns_data_and_prints_nothing(tmp_path, capsys):
    manifest = tmp_path / "suite.toml"
    manifest.write_text(f'[[run]]\nspec = "{TWOPHASE}"\nconsts = {{ RM = 2, BugCommitOnAny = true }}\n'
                        f'expect = "violated"\n[[run]]\nspec = "nowhere.mc"\n')
    runs = read_manifest(manifest)
    first = check_run(runs[0], {"RM": 2, "BugCommitOnAny": True})
    missing = check_run(runs[1], {})
    assert capsys.readouterr() == ("", "")
    assert (first.verdict, first.as_expected, first.failure, first.label) == (
        "violated", True, None, "RM=2 BugCommitOnAny=True")
    assert first.result.violations[0].property == "Validity"
    assert missing.verdict == "error" and missing.error.diagnostics[0].code == "MC001"
    assert missing.failure == "nowhere.mc [default]: the spec does not load"
    s = summary([first, missing])
    assert [r["verdict"] for r in s["runs"]] == ["violated", "error"]
    assert s["failures"] == ["nowhere.mc [default]: the spec does not load"]


def test_manifest_constants_of_every_form(tmp_path, capsys):
    manifest = tmp_path / "suite.toml"
    manifest.write_text(f'[[run]]\nspec = "{TWOPHASE}"\nconsts = {{ RM = ["a", "b"] }}\ntemporal = false\n'
                        f'[[run]]\nspec = "{TWOPHASE}"\nconsts = {{ RM = "{{a,b}}" }}\ntemporal = false\n'
                        f'[[run]]\nspec = "{TWOPHASE}"\nconsts = {{ RM = 2 }}\ntemporal = false\n')
    assert main(["suite", str(manifest), "--report", str(tmp_path / "rep")]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "all 3 runs gave the expected verdict" in out
    runs = json.loads((tmp_path / "rep" / "summary.json").read_text())["runs"]
    assert [r["constants"].split(",")[0:2] for r in runs] == [["RM={a", " b}"], ["RM={a", " b}"],
                                                                ["RM={rm1", " rm2}"]]
    # 34 orbits of the 56 reachable states, brute-forced in tests/search/test_symmetry.py
    assert [r["distinct_states"] for r in runs] == [34, 34, 34]


def test_manifest_constant_that_is_no_value_is_a_manifest_error(tmp_path, capsys):
    manifest = tmp_path / "suite.toml"
    manifest.write_text(f'[[run]]\nspec = "{TWOPHASE}"\n[[run]]\nspec = "{TWOPHASE}"\nconsts = {{ RM = "two" }}\n')
    assert main(["suite", str(manifest), "--report", str(tmp_path / "rep")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"modelcheck: error: {manifest}: run 2: consts: RM = 'two': expected an integer")
    assert not (tmp_path / "rep").exists()  # nothing was run
