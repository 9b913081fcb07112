"""The write-ahead log file (reference/wal.py) and the trace files (trace.py)."""

from __future__ import annotations

import json
import os
import struct
import zlib

import pytest

from reference import wal
from reference.twophase.trace import TraceError, TraceFile, merge_dir, merge_events, read_events

RECS = [{"t": "init", "balances": {"a0": 100}}, {"t": "yes", "txn": "t1", "ops": [["a0", -5]], "lc": 3},
        {"t": "commit", "txn": "t1", "ops": [["a0", -5]], "lc": 9}]


def write_log(path, recs=RECS, extra=b""):
    w = wal.WAL(str(path))
    w.open()
    for r in recs:
        w.append(r)
    w.sync()
    w.close()
    size = os.path.getsize(path)
    if extra:
        with open(path, "ab") as f:
            f.write(extra)
    return size


def test_record_layout():
    b = wal.encode_record({"t": "x"})
    payload = b'{"t":"x"}'
    assert b == struct.pack(">II", len(payload), zlib.crc32(payload)) + payload


def test_round_trip(tmp_path):
    p = tmp_path / "a.wal"
    size = write_log(p)
    sc = wal.inspect(str(p))
    assert sc.records == RECS and sc.problem is None and sc.good_end == size
    assert sc.offsets[0] == len(wal.MAGIC)
    w = wal.WAL(str(p))
    sc2, note = w.open()
    assert sc2.records == RECS and note is None
    w.close()


def _recover(p):
    w = wal.WAL(str(p))
    sc, note = w.open()
    w.append({"t": "after"})
    w.sync()
    w.close()
    return sc, note


@pytest.mark.parametrize("tail,problem,detail", [
    (b"\x00\x00", "torn", "incomplete record header (2 of 8 bytes)"),
    (struct.pack(">II", 50, 0) + b'{"t":', "torn", "incomplete record (5 of 50 payload bytes)"),
    (struct.pack(">II", 4, 1234) + b"abcd", "corrupt", "checksum mismatch"),
    (struct.pack(">II", 2, zlib.crc32(b"[]")) + b"[]", "corrupt", "payload is not a JSON object"),
    (struct.pack(">II", 1 << 30, 0), "corrupt", "implausible record length 1073741824"),
])
def test_bad_tail_is_dropped_saved_and_reported(tmp_path, tail, problem, detail):
    p = tmp_path / "a.wal"
    good = write_log(p)
    with open(p, "ab") as f:
        f.write(tail)
    sc = wal.inspect(str(p))                         # inspect does not change the file
    assert (sc.problem, sc.detail, sc.good_end, sc.dropped) == (problem, detail, good, len(tail))
    assert os.path.getsize(p) == good + len(tail)
    sc, note = _recover(p)
    assert sc.records == RECS
    assert note.startswith(f"{p}: {problem} tail at offset {good} dropped: {detail}")
    side = tmp_path / f"a.wal.dropped-{good}"
    assert side.read_bytes() == tail                 # the dropped bytes are kept
    after = wal.inspect(str(p))
    assert after.problem is None and after.records == RECS + [{"t": "after"}]


def test_dropped_bytes_never_overwrite(tmp_path):
    p = tmp_path / "a.wal"
    good = write_log(p, extra=b"\x01")
    (tmp_path / f"a.wal.dropped-{good}").write_bytes(b"someone's file")
    w = wal.WAL(str(p))
    _, note = w.open()
    w.close()
    assert (tmp_path / f"a.wal.dropped-{good}").read_bytes() == b"someone's file"
    assert (tmp_path / f"a.wal.dropped-{good}.1").read_bytes() == b"\x01"
    assert f"a.wal.dropped-{good}.1" in note


def _log_of(tmp_path, n):
    """A log of ``n`` records like a participant's: init, then yes/commit pairs."""
    recs = [{"t": "init", "balances": {f"a{i}": 100 for i in range(4)}}]
    for i in range(1, n):
        kind = "yes" if i % 2 else "commit"
        recs.append({"t": kind, "txn": f"t{(i + 1) // 2}", "ops": [["a1", -i], ["a2", i]], "lc": 3 * i})
    p = tmp_path / "rm1.wal"
    write_log(p, recs)
    return p, recs


def _flip(p, offset, bit=0x20):
    data = bytearray(p.read_bytes())
    data[offset] ^= bit
    p.write_bytes(bytes(data))


@pytest.mark.parametrize("where", ["payload", "length", "crc"])
def test_damage_in_the_middle_is_not_a_torn_tail(tmp_path, where):
    # issue 14, section 2: one bit flipped in record 20 of 182 used to drop the 161
    # good records after it (and the truncated log then inspected as "intact")
    p, recs = _log_of(tmp_path, 182)
    sc0 = wal.inspect(str(p))
    at = sc0.offsets[20]
    _flip(p, at + {"payload": 8 + 10, "length": 1, "crc": 5}[where], 0x01 if where == "length" else 0x20)
    before = p.read_bytes()
    sc = wal.inspect(str(p))
    assert sc.problem == "damaged" and sc.damaged_record == 20 and sc.good_end == at
    assert sc.resume == sc0.offsets[21] and sc.following == 161
    assert "DAMAGED at record 20" in sc.summary() and "followed by 161 valid record(s)" in sc.summary()
    w = wal.WAL(str(p))
    with pytest.raises(wal.LogDamaged, match=f"damaged at record 20 \\(offset {at}\\)"):
        w.open()
    assert p.read_bytes() == before                  # nothing dropped, nothing saved aside
    assert sorted(os.listdir(tmp_path)) == ["rm1.wal"]


def test_damage_in_the_first_record_does_not_reset_the_participant(tmp_path):
    # a bit flipped in record 0 (the balances) used to give fresh balances
    p, _ = _log_of(tmp_path, 10)
    _flip(p, len(wal.MAGIC) + 8 + 3)
    with pytest.raises(wal.LogDamaged, match="record 0"):
        wal.WAL(str(p)).open()


def test_a_damaged_last_record_is_still_a_tail(tmp_path):
    p, recs = _log_of(tmp_path, 10)
    last = wal.inspect(str(p)).offsets[-1]
    _flip(p, last + 12)
    sc, note = _recover(p)
    assert sc.problem == "corrupt" and sc.records == recs[:-1] and "dropped" in note


def test_repair_cuts_out_only_the_damage(tmp_path):
    p, recs = _log_of(tmp_path, 40)
    sc0 = wal.inspect(str(p))
    _flip(p, sc0.offsets[7] + 20)
    damaged = p.read_bytes()[sc0.offsets[7]:sc0.offsets[8]]
    msg = wal.repair(str(p))
    assert "cut out" in msg and "record 7" in msg
    sc = wal.inspect(str(p))
    assert sc.problem is None and sc.records == recs[:7] + recs[8:]
    assert (tmp_path / f"rm1.wal.damaged-{sc0.offsets[7]}").read_bytes() == damaged
    assert "nothing to repair" in wal.repair(str(p))


def test_inspect_log_and_repair_log_commands(tmp_path, capsys):
    from reference.twophase.cli import main
    p, recs = _log_of(tmp_path, 30)
    _flip(p, wal.inspect(str(p)).offsets[5] + 15)
    assert main(["inspect-log", str(p)]) == 1
    out = capsys.readouterr().out
    assert "DAMAGED: " in out and "DAMAGED at record 5" in out and "intact" not in out
    assert out.count("\n") == 30 + 2                 # 29 records and the damage line, summary, advice
    assert main(["repair-log", str(p)]) == 0
    assert main(["inspect-log", str(p)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("; intact")


def test_a_failed_append_leaves_no_torn_record_and_refuses_more(tmp_path, monkeypatch):
    p = tmp_path / "a.wal"
    w = wal.WAL(str(p))
    w.open()
    w.append(RECS[0])
    real_write = os.write
    monkeypatch.setattr(wal.os, "write", lambda fd, b: real_write(fd, b[:5]))     # a disk that fills up
    with pytest.raises(wal.WriteFailed, match="short write"):
        w.append(RECS[1])
    monkeypatch.setattr(wal.os, "write", real_write)                          # room again
    with pytest.raises(wal.WriteFailed, match="no more records"):
        w.append(RECS[2])
    w.close()
    sc = wal.inspect(str(p))
    assert sc.problem is None and sc.records == RECS[:1]


def test_torn_header_and_empty_file(tmp_path):
    p = tmp_path / "a.wal"
    p.write_bytes(wal.MAGIC[:3])
    sc, note = _recover(p)
    assert sc.records == [] and "incomplete file header" in note
    assert wal.inspect(str(p)).records == [{"t": "after"}]
    q = tmp_path / "b.wal"
    q.write_bytes(b"")
    sc, note = _recover(q)
    assert sc.records == [] and note is None


def test_not_a_log_is_refused_and_left_alone(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_bytes(b"my precious notes\n")
    with pytest.raises(wal.NotALog, match="not a write-ahead log"):
        wal.WAL(str(p)).open()
    assert p.read_bytes() == b"my precious notes\n"


# ---------------------------------------------------------------- trace files

def ev(proc, lc, action="A", txn="t1"):
    return {"v": 1, "proc": proc, "lc": lc, "txn": txn, "action": action, "params": {}, "state": {}}


def test_trace_file_resumes_after_an_incomplete_line(tmp_path):
    p = tmp_path / "rm1.trace.jsonl"
    p.write_text(json.dumps(ev("rm1", 4)) + "\n" + json.dumps(ev("rm1", 7)) + "\n" + '{"v": 1, "pr')
    t = TraceFile(str(p))
    assert t.open() == 7 and "incomplete last line" in t.note
    t.write(ev("rm1", 8))
    t.close()
    assert [e["lc"] for e in read_events(str(p))] == [4, 7, 8]


def test_merge_orders_by_lc_then_proc(tmp_path):
    for proc, lcs in {"tm": [1, 3, 5], "rm1": [2, 3, 6], "rm2": [3, 4]}.items():
        (tmp_path / f"{proc}.trace.jsonl").write_text("".join(json.dumps(ev(proc, lc)) + "\n" for lc in lcs))
    m = merge_dir(str(tmp_path))
    assert [(e["lc"], e["proc"]) for e in m.events] == [(1, "tm"), (2, "rm1"), (3, "rm1"), (3, "rm2"), (3, "tm"),
                                                          (4, "rm2"), (5, "tm"), (6, "rm1")]


def test_notes_follow_their_event_and_are_kept_apart(tmp_path):
    """A note (docs/traces.md, *Notes*) takes the lc of the event before it, does not
    count as one (the next event still needs a larger lc, a restart resumes from the
    event's), and is read apart from the events; merge-traces' lines keep it after them."""
    p = tmp_path / "tm.trace.jsonl"
    t = TraceFile(str(p))
    t.open()
    t.write_note("tm", "peer-stalled", peer="rm2", kept=2, why="TimeoutError")   # before any event: lc 1
    t.write(ev("tm", 1))
    t.write(ev("tm", 3))
    t.write_note("tm", "peer-answers", peer="rm2", attempts=4, sending=2)
    t.close()
    assert TraceFile(str(p)).open() == 3
    notes: list = []
    assert [e["lc"] for e in read_events(str(p), notes)] == [1, 3]
    assert [(n["note"], n["lc"]) for n in notes] == [("peer-stalled", 1), ("peer-answers", 3)]
    (tmp_path / "rm1.trace.jsonl").write_text(json.dumps(ev("rm1", 3)) + "\n")
    m = merge_dir(str(tmp_path))
    assert len(m.events) == 3 and len(m.notes) == 2
    assert [(e["lc"], e["proc"], e.get("note")) for e in m.lines()] == [
        (1, "tm", None), (1, "tm", "peer-stalled"), (3, "rm1", None), (3, "tm", None), (3, "tm", "peer-answers")]
    p.write_text('{"v": 1, "proc": "tm", "lc": 0, "note": "peer-stalled"}\n')
    with pytest.raises(TraceError, match=r":1: lc must be an integer >= 1"):
        read_events(str(p))


def test_bad_traces_are_located(tmp_path):
    p = tmp_path / "rm1.trace.jsonl"
    p.write_text(json.dumps(ev("rm1", 1)) + "\n{oops\n")
    with pytest.raises(TraceError, match=r"rm1.trace.jsonl:2: not JSON"):
        read_events(str(p))
    bad = ev("rm1", 2)
    del bad["state"]
    p.write_text(json.dumps(bad) + "\n")
    with pytest.raises(TraceError, match=r":1: missing field\(s\) state"):
        read_events(str(p))
    with pytest.raises(TraceError, match="lc 2 does not increase"):
        merge_events({"rm1": [ev("rm1", 2), ev("rm1", 2)]})
    with pytest.raises(TraceError, match="is from 'tm'"):
        merge_events({"rm1": [ev("tm", 2)]})
