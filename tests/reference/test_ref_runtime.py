"""The real runtime's restart in one process (reference/twophase/runtime.py): the outbox
that keeps a step's messages across a kill, and the clock a restart starts from
(docs/traces.md, *Crashes and restarts*). The whole runtime under kills is in
test_ref_processes.py."""

from __future__ import annotations

import asyncio
import json
import os

from reference.twophase import auth
from reference.twophase.coordinator import Coordinator
from reference.twophase.protocol import Msg, event, tset
from reference.twophase.runtime import ClockFile, Node, Outbox, read_peer_clocks
from reference.twophase.trace import TraceFile, read_events


def _line(msg: Msg) -> bytes:
    return (json.dumps(msg.to_json(), separators=(",", ":")) + "\n").encode()


def test_outbox_round_trip_and_a_save_cut_short(tmp_path):
    """Saves alternate between the two files; a save cut short by a kill (here: its
    record damaged) leaves the previous state, which is what a later start loads."""
    path = str(tmp_path / "p.outbox")
    ob = Outbox(path)
    assert ob.load() == (None, [])                       # fresh files: nothing saved
    m1, m2 = _line(Msg("prepare", "t1", "tm", "rm1", 5)), _line(Msg("prepare", "t1", "tm", "rm2", 5))
    ev = {"v": 1, "proc": "tm", "lc": 5, "txn": "t1", "action": "TMBegin", "params": {}, "state": {}}
    ob.save(ev, [m1, m2])
    assert Outbox(path).load() == (ev, [m1, m2])
    ob.save(None, [m2])                                  # m1 reached the kernel
    assert Outbox(path).load() == (None, [m2])
    assert all(os.path.getsize(f"{path}.{i}") > 8 for i in (0, 1))
    ob.save(None, [])
    # damage the file the last save wrote (ob.cur): its crc no longer matches
    with open(f"{path}.{ob.cur}", "r+b") as f:
        f.seek(10)
        b = f.read(1)
        f.seek(10)
        f.write(bytes([b[0] ^ 1]))
    again = Outbox(path)
    assert again.load() == (None, [m2])                  # the state before the damaged save
    again.save(None, [])                                 # and saving goes on from there
    assert Outbox(path).load() == (None, [])


def test_read_peer_clocks(tmp_path):
    d = str(tmp_path)
    assert read_peer_clocks(d, ["rm1", "rm2"]) == 0      # no clock file yet
    for name, lc in (("rm1", 12), ("rm2", 40), ("rm3", 99)):
        c = ClockFile(os.path.join(d, f"{name}.clock"))
        c.write(lc)
        c.close()
    assert read_peer_clocks(d, ["rm1", "rm2"]) == 40     # rm3 is not asked about


def _restart_with_an_outbox(tmp_path, traced_lc: int):
    """A coordinator killed right after TMBegin(t1) at lc 5 had saved the step (its event,
    its Prepare to rm1) in the outbox: its clock file says 5, its trace ends at
    ``traced_lc``, rm1's clock file says 40. It restarts against a stand-in for rm1 that
    records what it receives; returns the coordinator's trace and rm1's lines."""
    d = str(tmp_path)
    begin = event("tm", 5, "t1", "TMBegin", {}, {"tmState": "init", "tmPrepared": tset([]), "tmPending": tset([]),
                                                 "tmLog": "none"}, participants=["rm1"])
    earlier = event("tm", 4, "t0", "TMBegin", {}, dict(begin["state"]), participants=["rm1"])
    tf = TraceFile(os.path.join(d, "tm.trace.jsonl"))
    tf.open()
    for ev in [earlier, begin][: 1 if traced_lc == 4 else 2]:
        tf.write(ev)
    tf.close()
    for name, lc in (("tm", 5), ("rm1", 40)):
        c = ClockFile(os.path.join(d, f"{name}.clock"))
        c.write(lc)
        c.close()
    prepare = _line(Msg("prepare", "t1", "tm", "rm1", 5, (("a0", -1),)))
    ob = Outbox(os.path.join(d, "tm.outbox"))
    ob.save(begin, [prepare])
    ob.close()
    got: list[bytes] = []

    async def main():
        arrived = asyncio.Event()

        async def rm1(reader, writer):
            writer.write(b'{"hello": "rm1", "lc": 40, "nonce": "n0"}\n')
            first = json.loads(await reader.readline())        # the coordinator authenticates (auth.py)
            assert auth.verify(auth.read_secret(d), "n0", "rm1", first, {"tm"}) == "tm"
            while line := await reader.readline():
                got.append(line)
                arrived.set()
            writer.close()

        server = await asyncio.start_server(rm1, "127.0.0.1", 0)
        with open(os.path.join(d, "rm1.addr"), "w") as f:
            f.write(f"127.0.0.1:{server.sockets[0].getsockname()[1]}\n")
        node = Node(Coordinator(["rm1"], vote_timeout=60.0), d, fsync=False, lifetime=30)
        task = asyncio.ensure_future(node.main())
        await asyncio.wait_for(arrived.wait(), 10)
        await asyncio.sleep(0.05)                        # the outbox is saved once the kernel has it
        node.stop.set()
        assert await task == 0
        server.close()

    asyncio.run(main())
    return read_events(os.path.join(d, "tm.trace.jsonl")), got, Outbox(os.path.join(d, "tm.outbox")).load(), prepare


def test_a_restart_traces_and_sends_the_step_its_outbox_holds(tmp_path):
    """Killed between saving TMBegin's messages and writing its event (trace at lc 4):
    the restart writes the event, marked retraced, then TMCrash at 6 (its own clock 5,
    plus one) and TMRecover at 41 (rm1's clock 40, plus one), and sends the Prepare,
    which rm1 receives with its original lc 5; afterwards the outbox is empty."""
    evs, got, left, prepare = _restart_with_an_outbox(tmp_path, traced_lc=4)
    assert [(e["lc"], e["action"], e.get("meta")) for e in evs] == [
        (4, "TMBegin", None), (5, "TMBegin", {"retraced": True}), (6, "TMCrash", None), (41, "TMRecover", None)]
    assert got == [prepare]
    assert left == (None, [])


def test_a_restart_sends_what_its_outbox_holds_once_traced(tmp_path):
    """Killed after writing TMBegin's event, before the Prepare reached the kernel: the
    event is not written again; the Prepare is sent."""
    evs, got, left, prepare = _restart_with_an_outbox(tmp_path, traced_lc=5)
    assert [(e["lc"], e["action"], e.get("meta")) for e in evs] == [
        (4, "TMBegin", None), (5, "TMBegin", None), (6, "TMCrash", None), (41, "TMRecover", None)]
    assert got == [prepare]
    assert left == (None, [])
