"""python -m reference.twophase: the commands that need no running cluster (inspect-log,
merge-traces, sim), run in-process; and one subprocess run for exit codes and the
absence of tracebacks. The cluster commands are exercised in test_ref_processes.py."""

from __future__ import annotations

import json
import subprocess
import sys


from reference import wal
from reference.twophase.cli import main
from tests import helpers


def run(capsys, *argv):
    return helpers.run(capsys, *argv, main=main)


def make_log(path, recs=({"t": "init", "balances": {"a0": 1}}, {"t": "no", "txn": "t1", "lc": 2})):
    w = wal.WAL(str(path))
    w.open()
    for r in recs:
        w.append(r)
    w.sync()
    w.close()


def test_inspect_log(tmp_path, capsys):
    p = tmp_path / "rm1.wal"
    make_log(p)
    code, out, _ = run(capsys, "inspect-log", str(p))
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == '       8  {"balances": {"a0": 1}, "t": "init"}'
    assert lines[-1] == f"{p}: 2 records, {p.stat().st_size} bytes; intact"
    code, out, _ = run(capsys, "inspect-log", str(p), "--json")
    objs = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and objs[1]["record"]["txn"] == "t1" and objs[-1]["problem"] is None
    size = p.stat().st_size
    with open(p, "ab") as f:
        f.write(b"\x00\x00\x00\x09ab")
    code, out, _ = run(capsys, "inspect-log", str(p))
    assert code == 1
    assert out.splitlines()[-1] == (f"{p}: 2 records, {size} bytes; torn tail at offset {size}: incomplete "
                                    f"record header (6 of 8 bytes) (6 bytes dropped)")
    assert p.stat().st_size == size + 6                    # inspecting changes nothing


def test_inspect_errors(tmp_path, capsys):
    p = tmp_path / "x.txt"
    p.write_text("hello, not a log\n")
    code, _, err = run(capsys, "inspect-log", str(p))
    assert code == 2 and "not a write-ahead log" in err and "Traceback" not in err
    code, _, err = run(capsys, "inspect-log", str(tmp_path / "missing.wal"))
    assert code == 2 and "No such file" in err


def test_sim_merge_and_replay(tmp_path, capsys):
    tr = tmp_path / "traces"
    sched = tmp_path / "schedule.txt"
    code, out, _ = run(capsys, "sim", "--seed", "3", "--trace-dir", str(tr), "--schedule-out", str(sched))
    assert code == 0 and "total money 1200 (expected 1200)" in out
    assert sorted(f.name for f in tr.iterdir()) == ["rm1.trace.jsonl", "rm2.trace.jsonl", "rm3.trace.jsonl",
                                                    "tm.trace.jsonl"]
    merged = tmp_path / "merged.jsonl"
    code, out, _ = run(capsys, "merge-traces", str(tr), "-o", str(merged))
    n = sum(1 for _ in merged.open())
    assert code == 0 and out == f"merged {n} events from 4 file(s) into {merged}\n" and n > 20
    evs = [json.loads(x) for x in merged.open()]
    assert [(e["lc"], e["proc"]) for e in evs] == sorted((e["lc"], e["proc"]) for e in evs)
    # nothing is overwritten without --force
    code, _, err = run(capsys, "merge-traces", str(tr), "-o", str(merged))
    assert code == 2 and "exists (use --force" in err
    code, _, _ = run(capsys, "merge-traces", str(tr), "-o", str(merged), "--force")
    assert code == 0
    code, _, err = run(capsys, "sim", "--seed", "3", "--schedule-out", str(sched))
    assert code == 2 and "exists" in err
    # the schedule replays to the same run
    first = out
    code, out2, _ = run(capsys, "sim", "--seed", "3", "--replay", str(sched), "--trace-dir", str(tmp_path / "t2"))
    assert code == 0
    for f in ("tm", "rm1", "rm2", "rm3"):
        assert (tmp_path / "t2" / f"{f}.trace.jsonl").read_text() == (tr / f"{f}.trace.jsonl").read_text()
    # a bad schedule is reported, not raised
    bad = tmp_path / "bad.txt"
    bad.write_text("request tm 0\ndeliver rm9->tm 0\n")
    code, _, err = run(capsys, "sim", "--replay", str(bad))
    assert code == 2 and err.startswith("error: step 2:")


def test_sim_schedule_carries_its_setup(tmp_path, capsys):
    # the README's two commands, as written: the replay needs no option but --replay
    # (before, it failed with "step 54: timer rm3 ask t1: no such timer" without --seed 3)
    sched = tmp_path / "s.txt"
    argv = ["sim", "--seed", "3", "--transfers", "7", "--crash-weight", "0.05", "--bug", "forget-in-doubt"]
    code, out, _ = run(capsys, *argv, "--schedule-out", sched)
    header = sched.read_text().splitlines()[:2]
    assert header == ["# reference.twophase sim schedule",
                      "# participants=3 accounts=4 transfers=7 seed=3 bug=forget-in-doubt"]
    code2, out2, err2 = run(capsys, "sim", "--replay", sched)
    assert (code2, out2, err2) == (code, out, "")
    # an option that agrees with the header is accepted; one that contradicts it is refused
    assert run(capsys, "sim", "--seed", "3", "--replay", sched)[1] == out
    code, _, err = run(capsys, "sim", "--seed", "4", "--replay", sched)
    assert code == 2 and err == f"error: {sched} was recorded with --seed 3; leave --seed out to replay it\n"
    code, _, err = run(capsys, "sim", "--bug", "commit-on-majority", "--replay", sched)
    assert code == 2 and "recorded with --bug forget-in-doubt" in err
    # a header that cannot be read is an error, not a traceback
    bad = tmp_path / "bad.txt"
    bad.write_text("# participants=three\n")
    code, _, err = run(capsys, "sim", "--replay", bad)
    assert code == 2 and "participants=three" in err and "not an integer" in err
    code, _, err = run(capsys, "sim", "--replay", tmp_path / "missing.txt")
    assert code == 2 and "cannot read" in err


def test_sim_finds_a_seeded_bug(capsys):
    # the seeded bug breaks atomicity in this random run (and the correct code does not)
    argv = ["sim", "--seed", "3", "--crash-weight", "0.05", "--transfers", "12"]
    code, out, _ = run(capsys, *argv)
    assert code == 0, out
    code, out, _ = run(capsys, *argv, "--bug", "forget-in-doubt")
    assert code == 1 and "NOT ATOMIC" in out


def test_merge_errors_are_located(tmp_path, capsys):
    (tmp_path / "tm.trace.jsonl").write_text('{"v": 1}\n')
    code, _, err = run(capsys, "merge-traces", str(tmp_path), "-o", str(tmp_path / "m.jsonl"))
    assert code == 2 and "tm.trace.jsonl:1: missing field(s)" in err
    code, _, err = run(capsys, "merge-traces", str(tmp_path / "empty"), "-o", str(tmp_path / "m.jsonl"))
    assert code == 2


def test_subprocess_exit_codes_without_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "reference.twophase", "status", str(tmp_path), "rm1"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "rm1 is not listening" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "reference.twophase", "kill", str(tmp_path), "rm1"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "no cluster here" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "reference.twophase", "participant", "--dir", str(tmp_path / "no"),
                        "--name", "rm1"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "no such directory" in r.stderr
