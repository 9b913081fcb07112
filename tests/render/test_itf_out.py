"""``--itf``: counterexamples and witnesses written as ITF files, read back with
modelcheck.itf.decode and compared with the traces the checker found."""

import json

import pytest

from modelcheck.api import load
from modelcheck.cli import main
from modelcheck.search import Options, explore
from modelcheck.itf import decode
from modelcheck.itfout import target_paths
from tests.helpers import CRASH, TWOPHASE, load_spec



def states_of(itf, model):
    """The states of an ITF trace, decoded with the model's variable types."""
    assert itf["vars"] == list(model.variables)
    return [tuple(decode(st[n], t) for n, t in zip(model.variables, model.var_types)) for st in itf["states"]]


def test_one_counterexample_round_trips(tmp_path, capsys):
    out = tmp_path / "cex.itf.json"
    assert main(["check", TWOPHASE, "--const", "BugCommitOnAny=true", "--itf", str(out)]) == 1
    assert f"ITF trace of Validity written to {out}" in capsys.readouterr().err
    itf = json.loads(out.read_text())
    spec = load_spec(TWOPHASE, BugCommitOnAny=True)
    (v,) = explore(spec.model, Options()).violations
    assert states_of(itf, spec.model) == list(v.trace.states)
    # the action taken and its parameters, as Quint writes them
    assert [s["mbt::actionTaken"] for s in itf["states"]] == \
        ["init", "RMPrepare", "TMRcvPrepared", "TMCommit", "RMRcvCommitMsg"]
    assert itf["states"][1]["mbt::nondetPicks"] == {"rm": "r1"}
    assert itf["states"][3]["mbt::nondetPicks"] == {}
    assert itf["#meta"]["property"] == "Validity" and itf["#meta"]["trace"] == "counterexample"
    assert "loop" not in itf


def test_several_traces_get_one_file_each(tmp_path, capsys):
    out = tmp_path / "cex.itf.json"
    code = main(["check", TWOPHASE, "--const", "BugCommitOnAny=true", "--continue", "--no-temporal",
                 "--itf", str(out)])
    assert code == 1
    # three properties fail (Validity, Agreement, Integrity): three files, none named cex.itf.json
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["cex.Agreement.itf.json", "cex.Integrity.itf.json", "cex.Validity.itf.json"]
    spec = load_spec(TWOPHASE, BugCommitOnAny=True)
    r = explore(spec.model, Options(stop_at_first=False, check_temporal=False))
    for v in r.violations:
        itf = json.loads((tmp_path / f"cex.{v.property}.itf.json").read_text())
        assert states_of(itf, spec.model) == list(v.trace.states)


def test_a_lasso_keeps_its_loop(tmp_path):
    d = tmp_path / "traces"
    assert main(["check", CRASH, "--no-deadlock", "--itf", str(d) + "/"]) == 1
    itf = json.loads((d / "Termination.itf.json").read_text())
    spec = load_spec(CRASH)
    (v,) = [v for v in explore(spec.model, Options(check_deadlock=False)).violations]
    assert states_of(itf, spec.model) == list(v.trace.states)
    # the README's lasso: 5 states, the last one stutters (loop = its index, 4)
    assert itf["loop"] == v.trace.loop == 4
    assert itf["#meta"]["loop-action"] == "stutter"


def test_big_integers_are_bigint(tmp_path):
    spec_file = tmp_path / "big.mc"
    spec_file.write_text("module Big\nvar big: int\nvar n: 0..2\ninit { big = 9007199254740993  n = 0 }\n"
                         "action Grow { require n < 2  big' = big * 1000  n' = n + 1 }\n"
                         "invariant Small [validity]: n < 2\n")
    out = tmp_path / "big.itf.json"
    assert main(["check", str(spec_file), "--itf", str(out)]) == 1
    itf = json.loads(out.read_text())
    # 2^53 + 1 cannot be a JSON number exactly: ITF's {"#bigint": "..."}
    assert itf["states"][0]["big"] == {"#bigint": "9007199254740993"}
    assert itf["states"][2]["big"] == {"#bigint": "9007199254740993000000"}
    assert itf["states"][0]["n"] == 0
    spec = load(str(spec_file))
    assert [s[0] for s in states_of(itf, spec.model)] == [9007199254740993, 9007199254740993000,
                                                          9007199254740993000000]


def test_a_witness_is_written(tmp_path):
    spec_file = tmp_path / "w.mc"
    spec_file.write_text("module W\nvar n: 0..3\ninit { n = 0 }\naction Inc { require n < 3  n' = n + 1 }\n"
                         "temporal Three [validity]: reachable n == 3\n")
    out = tmp_path / "w.itf.json"
    assert main(["check", str(spec_file), "--no-deadlock", "--itf", str(out)]) == 0
    itf = json.loads(out.read_text())
    assert [s["n"] for s in itf["states"]] == [0, 1, 2, 3]
    assert itf["#meta"]["trace"] == "witness"


def test_existing_files_are_never_overwritten_silently(tmp_path, capsys):
    out = tmp_path / "cex.itf.json"
    out.write_text("mine")
    # refused before the search: nothing is written, exit 2
    assert main(["check", TWOPHASE, "--const", "BugCommitOnAny=true", "--itf", str(out)]) == 2
    assert "the file exists; use --force" in capsys.readouterr().err
    assert out.read_text() == "mine"
    assert main(["check", TWOPHASE, "--const", "BugCommitOnAny=true", "--itf", str(out), "--force"]) == 1
    assert json.loads(out.read_text())["#meta"]["property"] == "Validity"
    # a directory that already holds the trace file: refused after the search, all or nothing
    d = tmp_path / "d"
    d.mkdir()
    (d / "Validity.itf.json").write_text("mine too")
    assert main(["check", TWOPHASE, "--const", "BugCommitOnAny=true", "--itf", str(d)]) == 2
    assert "nothing written" in capsys.readouterr().err
    assert (d / "Validity.itf.json").read_text() == "mine too"


def test_no_trace_no_file(tmp_path, capsys):
    out = tmp_path / "none.itf.json"
    assert main(["check", TWOPHASE, "--itf", str(out)]) == 0
    assert not out.exists()
    assert "no ITF trace written" in capsys.readouterr().err


def test_simulate_writes_its_shrunk_counterexample(tmp_path):
    out = tmp_path / "sim.itf.json"
    assert main(["simulate", TWOPHASE, "--const", "BugCommitOnAny=true", "--traces", "200", "--itf", str(out)]) == 1
    itf = json.loads(out.read_text())
    spec = load_spec(TWOPHASE, BugCommitOnAny=True)
    states = states_of(itf, spec.model)
    # a real behaviour: each state is a successor of the one before, by the action named
    assert states[0] in spec.model.initial_states()
    for a, b, st in zip(states, states[1:], itf["states"][1:]):
        assert any(t == b and spec.model.describe(lab).action == st["mbt::actionTaken"]
                   for lab, t in spec.model.successors(a))


@pytest.mark.parametrize("path,names,expect", [
    ("x.itf.json", ["A"], ["x.itf.json"]),
    ("x.itf.json", ["A", "B"], ["x.A.itf.json", "x.B.itf.json"]),
    ("x.json", ["A", "B"], ["x.A.json", "x.B.json"]),
    ("x", ["A", "B"], ["x.A.itf.json", "x.B.itf.json"]),
    ("out/", ["A"], ["out/A.itf.json"]),
])
def test_target_names(path, names, expect):
    assert [str(p) for p in target_paths(path, names)] == expect


def test_json_embeds_the_same_object_as_the_itf_file(tmp_path, capsys):
    # the README says the trace in `--json` is the `--itf` file's object: the same #meta
    # (property, class, kind, trace) included, and the same states
    out = tmp_path / "cex.itf.json"
    assert main(["check", TWOPHASE, "--const", "BugCommitOnAny=true", "--itf", str(out), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (entry,) = report["violations"]
    written = json.loads(out.read_text())
    assert entry["trace"] == written
    assert {k: written["#meta"][k] for k in ("property", "class", "kind", "trace")} == \
        {"property": "Validity", "class": entry["class"], "kind": entry["kind"], "trace": "counterexample"}
