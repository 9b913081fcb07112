"""``python -m reference.zab``: the reference ZooKeeper's command line.

    ensemble start DIR [--servers 3] [--client-port 2181] [--peer-port 2881] [--tick-ms 500]
                       [--max-session-ms MS]
                       [--lifetime S] [--no-fsync] [--no-trace] [--snap-count N] [--bug NAME]
    ensemble status DIR [--json]
    ensemble stop DIR
    kill DIR ID [--signal TERM]
    power-fail DIR ID [ID ...]       (fault injection: unsynced log writes are lost)
    restart DIR ID
    server --dir DIR --id ID         (one server; what `ensemble start` runs)

Exit codes: 0 done, 2 a usage or state error (a clear message on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys

from . import ensemble
from .core import BUGS


def _status_table(st: list[dict]) -> str:
    rows = [("server", "role", "port", "epoch", "last zxid", "committed", "sessions", "znodes", "digest")]
    for s in st:
        epoch = f"{s.get('current_epoch', '-')}/{s.get('accepted_epoch', '-')}" if s["running"] else "-"
        rows.append((f"s{s['id']}", s["role"] if s["running"] else "down", str(s["client_port"]), epoch,
                     s.get("last_zxid", "-") if s["running"] else "-",
                     s.get("committed", "-") if s["running"] else "-",
                     str(s.get("sessions", "-")) if s["running"] else "-",
                     str(s.get("znodes", "-")) if s["running"] else "-",
                     (s.get("digest") or "-") if s["running"] else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["server"]:
        from .server import main as server_main
        return server_main(argv[1:])
    ap = argparse.ArgumentParser(prog="python -m reference.zab",
                                 description="The reference ZooKeeper: an ensemble replicated by ZAB that "
                                             "ZooKeeper clients (kazoo) talk to. docs/reference-zab.md")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ens = sub.add_parser("ensemble", help="start, inspect or stop an ensemble")
    esub = ens.add_subparsers(dest="what", required=True)
    st = esub.add_parser("start", help="create the ensemble (if DIR has none) and start every server")
    st.add_argument("dir")
    st.add_argument("--servers", type=int, default=3)
    st.add_argument("--client-port", type=int, default=2181, help="server N listens on this + N - 1")
    st.add_argument("--peer-port", type=int, default=2881, help="server N's peer port is this + N - 1")
    st.add_argument("--tick-ms", type=int, default=500,
                    help="the tick: sessions time out between 2 and 20 ticks; a follower gives its leader 4")
    st.add_argument("--max-session-ms", type=int, default=None,
                    help="the longest session timeout a client gets (ZooKeeper's maxSessionTimeout; 20 ticks)")
    st.add_argument("--lifetime", type=float, default=1800.0, help="seconds before each server exits by itself")
    st.add_argument("--snap-count", type=int, default=5000, help="a snapshot every this many transactions")
    st.add_argument("--no-fsync", action="store_true")
    st.add_argument("--no-trace", action="store_true")
    st.add_argument("--bug", action="append", default=[], choices=BUGS, help="a seeded implementation bug")
    st.add_argument("--no-wait", action="store_true", help="do not wait for a leader")
    s2 = esub.add_parser("status", help="each server's role, epochs, zxids, sessions and znodes")
    s2.add_argument("dir")
    s2.add_argument("--json", action="store_true")
    s3 = esub.add_parser("stop", help="stop every server (SIGTERM)")
    s3.add_argument("dir")
    k = sub.add_parser("kill", help="kill one server (SIGKILL unless --signal)")
    k.add_argument("dir")
    k.add_argument("id", type=int)
    k.add_argument("--signal", default="KILL")
    pf = sub.add_parser("power-fail", help="fail servers as a power failure would, all at once (each log loses "
                                           "what it had not synced): fault injection")
    pf.add_argument("dir")
    pf.add_argument("ids", type=int, nargs="+")
    r = sub.add_parser("restart", help="start one stopped server again")
    r.add_argument("dir")
    r.add_argument("id", type=int)
    args = ap.parse_args(argv)
    try:
        if args.cmd == "ensemble" and args.what == "start":
            if not os.path.exists(os.path.join(args.dir, ensemble.CONF)):
                ensemble.create(args.dir, servers=args.servers, client_port=args.client_port,
                                peer_port=args.peer_port, tick_ms=args.tick_ms, lifetime=args.lifetime,
                                fsync=not args.no_fsync, trace=not args.no_trace, snap_count=args.snap_count,
                                bugs=args.bug, max_session_ms=args.max_session_ms)
            started = ensemble.start_all(args.dir)
            print(f"started {', '.join(f's{i}' for i in started) or 'nothing (all running)'}")
            if not args.no_wait:
                print(_status_table(ensemble.wait_serving(args.dir)))
        elif args.cmd == "ensemble" and args.what == "status":
            st = ensemble.status(args.dir)
            print(json.dumps(st, indent=1) if args.json else _status_table(st))
        elif args.cmd == "ensemble" and args.what == "stop":
            stopped = ensemble.stop_all(args.dir)
            print(f"stopped {', '.join(f's{i}' for i in stopped) or 'nothing (none running)'}")
        elif args.cmd == "kill":
            sig = getattr(signal, "SIG" + args.signal.upper().removeprefix("SIG"), None)
            if sig is None:
                raise ensemble.EnsembleError(f"unknown signal {args.signal}")
            pid = ensemble.kill(args.dir, args.id, sig)
            print(f"s{args.id} (pid {pid}) killed with {sig.name}")
        elif args.cmd == "power-fail":
            for i in args.ids:
                if ensemble.pid_of(args.dir, i) is None:
                    raise ensemble.EnsembleError(f"server {i} is not running")
            ensemble.power_fail(args.dir, args.ids)
            print(f"{', '.join(f's{i}' for i in args.ids)} lost power")
        elif args.cmd == "restart":
            ensemble.start_server(args.dir, args.id)
            print(f"s{args.id} started")
    except ensemble.EnsembleError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
