"""Command line: python -m reference.twophase COMMAND ... (see README, "Reference two-phase commit").

Exit codes: 0 success; 1 a check failed (workload --verify, inspect-log of a damaged log,
sim finding a violation); 2 bad usage or an error (message on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys

from . import client, cluster
from .protocol import BUG_NAMES, Bugs, transfer_ops


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", required=True, help="the cluster directory (logs, traces, addresses)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: chosen by the OS)")
    p.add_argument("--lifetime", type=float, default=1800.0, help="exit after this many seconds (default 1800)")
    p.add_argument("--no-fsync", action="store_true", help="do not fsync the log (benchmark comparison only)")
    p.add_argument("--no-trace", action="store_true", help="do not write trace events")
    p.add_argument("--bug", action="append", default=[], choices=sorted(BUG_NAMES), help="enable a seeded bug")


def _cluster_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument("--participants", type=int, default=3)
    p.add_argument("--accounts", type=int, default=100, help="accounts per participant (a0, a1, ...)")
    p.add_argument("--balance", type=int, default=100, help="initial balance of every account")
    p.add_argument("--lifetime", type=float, default=1800.0, help="each process exits after this many seconds")
    p.add_argument("--vote-timeout", type=float, default=1.0)
    p.add_argument("--ask-interval", type=float, default=0.2)
    p.add_argument("--no-fsync", action="store_true")
    p.add_argument("--no-trace", action="store_true")
    p.add_argument("--bug", action="append", default=[], choices=sorted(BUG_NAMES))


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m reference.twophase",
                                 description="Reference two-phase commit: processes, logs, traces, and a deterministic scheduler.")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    p = sub.add_parser("coordinator", help="run the coordinator in this process")
    _common(p)
    p.add_argument("--participants", required=True, help="participant names, comma-separated (rm1,rm2,rm3)")
    p.add_argument("--vote-timeout", type=float, default=1.0, help="abort a transaction whose votes take longer")

    p = sub.add_parser("participant", help="run a participant in this process")
    _common(p)
    p.add_argument("--name", required=True, help="its name, the spec's model value (rm1, rm2, ...)")
    p.add_argument("--accounts", type=int, default=10, help="accounts a0..aN-1, created on the first start")
    p.add_argument("--balance", type=int, default=100)
    p.add_argument("--ask-interval", type=float, default=0.2, help="how often an in-doubt participant asks")
    p.add_argument("--coordinator", default="tm")

    p = sub.add_parser("cluster", help="start, stop or show the status of the processes of a cluster directory")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = csub.add_parser("start", help="start every process that is not running (creating the cluster if new)")
    c.add_argument("dir")
    _cluster_opts(c)
    c = csub.add_parser("stop", help="stop every running process (SIGTERM)")
    c.add_argument("dir")
    c = csub.add_parser("status", help="which processes run, and what each reports")
    c.add_argument("dir")

    p = sub.add_parser("kill", help="kill a process (SIGKILL by default), optionally restart it")
    p.add_argument("dir")
    p.add_argument("name")
    p.add_argument("--signal", choices=["KILL", "TERM"], default="KILL")
    p.add_argument("--restart", action="store_true", help="start it again right away")

    p = sub.add_parser("restart", help="start a process of the cluster that is not running")
    p.add_argument("dir")
    p.add_argument("name")

    p = sub.add_parser("workload", help="run transfers against a running cluster")
    p.add_argument("dir")
    p.add_argument("--transfers", type=int, default=100)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--verify", action="store_true",
                   help="then wait until nothing is in doubt and check money, atomicity and the logs")
    p.add_argument("--settle-timeout", type=float, default=30.0, metavar="S",
                   help="with --verify: how long to wait for every participant to answer with "
                        "nothing in doubt (default 30)")

    p = sub.add_parser("status", help="ask one process for its status")
    p.add_argument("dir")
    p.add_argument("name")

    p = sub.add_parser("heuristic", help="operator: force the outcome of an in-doubt transaction at a participant")
    p.add_argument("dir")
    p.add_argument("name")
    p.add_argument("txn")
    p.add_argument("outcome", choices=["commit", "abort"])

    p = sub.add_parser("inspect-log", help="print the records of a write-ahead log and check it")
    p.add_argument("path")
    p.add_argument("--json", action="store_true", help="one JSON object per record, then a summary object")

    p = sub.add_parser("repair-log", help="operator: cut the unreadable bytes out of a damaged log (process stopped)",
                       description="A log damaged in the middle (valid records after the damage) stops its "
                                   "process from starting. This cuts out the unreadable bytes, keeps every valid "
                                   "record around them and saves the cut bytes next to the log. The damaged record "
                                   "is lost: see docs/reference-twophase.md, 'Damaged logs'.")
    p.add_argument("path")

    p = sub.add_parser("merge-traces", help="merge the per-process traces of a directory by (lc, proc)")
    p.add_argument("dir")
    p.add_argument("-o", "--out", required=True)
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")

    p = sub.add_parser("sim", help="run the deterministic scheduler on random transfers")
    # The run's set-up options default to None so that a replay can tell an option given
    # on the command line from one left out: left out, it is read from the schedule file.
    p.add_argument("--participants", type=int, default=None, help="default 3")
    p.add_argument("--accounts", type=int, default=None, help="per participant; default 4")
    p.add_argument("--transfers", type=int, default=None, help="default 10")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--seed", type=int, default=None, help="default 0")
    p.add_argument("--crash-weight", type=float, default=0.02)
    p.add_argument("--bug", action="append", default=None, choices=sorted(BUG_NAMES))
    p.add_argument("--replay", metavar="FILE",
                   help="take the steps listed in FILE instead (a --schedule-out file: its header "
                        "carries the set-up, so no other option is needed)")
    p.add_argument("--schedule-out", metavar="FILE",
                   help="write the schedule taken: a header with the set-up (participants, accounts, "
                        "transfers, seed, bugs), then one step label a line")
    p.add_argument("--trace-dir", metavar="DIR", help="write per-process traces (DIR/<proc>.trace.jsonl)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    return ap


def _fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return _dispatch(args)
    except (cluster.ClusterError, client.Unreachable, OSError, ValueError, TimeoutError) as e:
        return _fail(str(e))
    except KeyboardInterrupt:
        return 130


def _dispatch(a) -> int:
    if a.cmd in ("coordinator", "participant"):
        from .coordinator import Coordinator
        from .participant import Participant
        from .runtime import serve
        if not os.path.isdir(a.dir):
            return _fail(f"{a.dir}: no such directory")
        bugs = Bugs.from_names(a.bug)
        tracing = not a.no_trace
        if a.cmd == "coordinator":
            parts = [p for p in a.participants.split(",") if p]
            m = Coordinator(parts, vote_timeout=a.vote_timeout, bugs=bugs, tracing=tracing)
        else:
            m = Participant(a.name, {f"a{i}": a.balance for i in range(a.accounts)}, coordinator=a.coordinator,
                            ask_interval=a.ask_interval, bugs=bugs, tracing=tracing)
        return serve(m, a.dir, fsync=not a.no_fsync, tracing=tracing, lifetime=a.lifetime, port=a.port)

    if a.cmd == "cluster":
        if a.action == "start":
            if not os.path.exists(os.path.join(a.dir, cluster.CLUSTER)):
                cluster.create(a.dir, participants=a.participants, accounts=a.accounts, balance=a.balance,
                               lifetime=a.lifetime, fsync=not a.no_fsync, trace=not a.no_trace, bugs=a.bug,
                               vote_timeout=a.vote_timeout, ask_interval=a.ask_interval)
                print(f"created {os.path.join(a.dir, cluster.CLUSTER)}")
            else:
                print(f"using the existing {os.path.join(a.dir, cluster.CLUSTER)} (its options, not these)")
            started = cluster.start_all(a.dir)
            for name, proc in started.items():
                print(f"started {name} (pid {proc.pid})")
            if not started:
                print("every process is already running")
            return 0
        if a.action == "stop":
            stopped = cluster.stop_all(a.dir)
            print(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")
            return 0
        conf = cluster.load(a.dir)
        for name in conf["roles"]:
            pid = cluster.pid_of(a.dir, name)
            if pid is None:
                print(f"{name:5} not running")
                continue
            try:
                st = client.request_sync(a.dir, name, {"op": "status"})
            except client.Unreachable as e:
                print(f"{name:5} pid {pid}, not answering ({e})")
                continue
            if name == "tm":
                print(f"{name:5} pid {pid}, lc {st['lc']}: {st['committed']} committed, {st['aborted']} aborted, "
                      f"{st['active']} active")
            else:
                print(f"{name:5} pid {pid}, lc {st['lc']}: total {st['total']}, {len(st['txns'])} transactions, "
                      f"in doubt: {', '.join(st['in_doubt']) or 'none'}"
                      + (f", HEURISTIC: {', '.join(st['heuristic'])}" if st["heuristic"] else ""))
        return 0

    if a.cmd == "kill":
        if a.name not in cluster.load(a.dir)["roles"]:
            return _fail(f"no process {a.name!r} in this cluster")
        pid = cluster.kill(a.dir, a.name, signal.SIGKILL if a.signal == "KILL" else signal.SIGTERM)
        print(f"killed {a.name} (pid {pid}) with SIG{a.signal}")
        if a.restart:
            proc = cluster.start_role(a.dir, a.name)
            print(f"restarted {a.name} (pid {proc.pid})")
        return 0

    if a.cmd == "restart":
        proc = cluster.start_role(a.dir, a.name)
        print(f"started {a.name} (pid {proc.pid})")
        return 0

    if a.cmd == "workload":
        if not a.settle_timeout >= 0:
            return _fail(f"--settle-timeout must be a number of seconds >= 0, not {a.settle_timeout}")
        res = asyncio.run(client.run_workload(a.dir, a.transfers, concurrency=a.concurrency, seed=a.seed))
        print(res.summary())
        for txn, err in list(res.errors.items())[:10]:
            print(f"  {txn}: {err}")
        if not a.verify:
            return 0
        def waiting(down, in_doubt):
            who = [f"{p} (down or not answering)" for p in sorted(down)]
            who += [f"{p} (in doubt on {len(t)} transaction(s))" for p, t in sorted(in_doubt.items())]
            print(f"verify: waiting up to {a.settle_timeout:g} s for {', '.join(who)} ...",
                  file=sys.stderr, flush=True)

        status = asyncio.run(client.wait_quiet(a.dir, a.settle_timeout, on_wait=waiting))
        problems = client.verify(a.dir, status, res)
        total = sum(s["total"] for s in status.values())
        print(f"verify: total money {total}; {'no problem found' if not problems else f'{len(problems)} problem(s):'}")
        for p in problems:
            print(f"  {p}")
        return 1 if problems else 0

    if a.cmd == "status":
        print(json.dumps(client.request_sync(a.dir, a.name, {"op": "status"}), indent=1))
        return 0

    if a.cmd == "heuristic":
        r = client.request_sync(a.dir, a.name, {"op": "heuristic", "txn": a.txn, "outcome": a.outcome})
        if "error" in r:
            return _fail(r["error"])
        print(f"{a.name}: {a.txn} {a.outcome} (HEURISTIC, logged)")
        return 0

    if a.cmd == "inspect-log":
        return _inspect(a.path, a.json)

    if a.cmd == "repair-log":
        from ..wal import NotALog, repair
        try:
            print(repair(a.path))
        except NotALog as e:
            return _fail(str(e))
        except OSError as e:
            return _fail(f"{a.path}: {e.strerror or e}")
        return 0

    if a.cmd == "merge-traces":
        from .trace import TraceError, merge_dir, write_events
        try:
            m = merge_dir(a.dir)
            write_events(a.out, m.lines(), force=a.force)
        except TraceError as e:
            return _fail(str(e))
        except FileExistsError:
            return _fail(f"{a.out} exists (use --force to overwrite it)")
        notes = f" and {len(m.notes)} note(s)" if m.notes else ""
        print(f"merged {len(m.events)} events{notes} from {len(m.files)} file(s) into {a.out}")
        return 0

    if a.cmd == "sim":
        return _sim(a)
    return _fail(f"unknown command {a.cmd}")


def _inspect(path: str, as_json: bool) -> int:
    from ..wal import NotALog, records_after_damage, scan
    try:
        with open(path, "rb") as f:
            data = f.read()
        sc = scan(data, path)
    except NotALog as e:
        return _fail(str(e))
    except OSError as e:
        return _fail(f"{path}: {e.strerror or e}")
    shown = list(zip(sc.offsets, sc.records))
    after = records_after_damage(data, sc) if sc.problem == "damaged" else []
    for off, rec in shown:
        if as_json:
            print(json.dumps({"offset": off, "record": rec}))
        else:
            print(f"{off:8d}  {json.dumps(rec, sort_keys=True)}")
    if after and not as_json:
        print(f"{sc.good_end:8d}  DAMAGED: {sc.resume - sc.good_end} bytes unreadable ({sc.detail})")
    for off, rec in after:
        if as_json:
            print(json.dumps({"offset": off, "record": rec, "after_damage": True}))
        else:
            print(f"{off:8d}  {json.dumps(rec, sort_keys=True)}")
    if as_json:
        print(json.dumps({"records": len(sc.records), "bytes": sc.size, "good_end": sc.good_end,
                          "problem": sc.problem, "detail": sc.detail, "resume": sc.resume,
                          "following": sc.following}))
    else:
        print(f"{path}: {sc.summary() if sc.problem else sc.summary() + '; intact'}")
        if sc.problem == "damaged":
            print(f"the process will not start with this log; `python -m reference.twophase repair-log {path}` "
                  f"cuts the unreadable bytes out (docs/reference-twophase.md, 'Damaged logs')")
    return 1 if sc.problem else 0


# The set-up a schedule depends on: the steps of a schedule name transactions and timers
# that exist only with the same participants, accounts and transfers (drawn from the seed).
_SIM_SETUP = {"participants": 3, "accounts": 4, "transfers": 10, "seed": 0, "bug": []}


def _schedule_header(a) -> str:
    return ("# reference.twophase sim schedule\n"
            f"# participants={a.participants} accounts={a.accounts} transfers={a.transfers} "
            f"seed={a.seed} bug={','.join(a.bug)}\n")


def _read_schedule(path: str) -> tuple[dict, list[str]]:
    """The set-up recorded in a schedule file's header (empty for a file without one:
    a hand-written list of labels), and its step labels."""
    setup: dict = {}
    steps: list[str] = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("#"):
                for word in line[1:].split():
                    key, eq, value = word.partition("=")
                    if not eq or key not in _SIM_SETUP:
                        continue
                    if key == "bug":
                        setup[key] = [b for b in value.split(",") if b]
                    else:
                        try:
                            setup[key] = int(value)
                        except ValueError:
                            raise ValueError(f"{path}: header {word!r}: not an integer") from None
            elif line:
                steps.append(line)
    return setup, steps


def _sim(a) -> int:
    from .sim import Sim, StepError
    from .trace import dumps
    steps = None
    if a.replay:
        try:
            recorded, steps = _read_schedule(a.replay)
        except OSError as e:
            return _fail(f"cannot read {a.replay}: {e.strerror}")
        except ValueError as e:
            return _fail(str(e))
        for key, value in recorded.items():
            given = getattr(a, key)
            if key == "bug":
                given, value = (None if given is None else sorted(given)), sorted(value)
            if given is not None and given != value:
                shown = (",".join(value) or "(none)") if key == "bug" else value
                return _fail(f"{a.replay} was recorded with --{key} {shown}; "
                             f"leave --{key} out to replay it")
            setattr(a, key, value)
        unknown = [b for b in a.bug or [] if b not in BUG_NAMES]
        if unknown:
            return _fail(f"{a.replay}: unknown bug {unknown[0]!r} in the header")
    for key, value in _SIM_SETUP.items():
        if getattr(a, key) is None:
            setattr(a, key, list(value) if isinstance(value, list) else value)
    s = Sim(a.participants, accounts=a.accounts, bugs=Bugs.from_names(a.bug))
    rng = random.Random(a.seed)
    for i in range(a.transfers):
        s.submit(f"t{i}", transfer_ops(rng, s.rms, a.accounts))
    outputs = []
    if a.schedule_out:
        outputs.append(a.schedule_out)
    if a.trace_dir:
        outputs += [os.path.join(a.trace_dir, f"{n}.trace.jsonl") for n in s.names]
    existing = [p for p in outputs if os.path.exists(p)]
    if existing and not a.force:
        return _fail(f"{existing[0]} exists (use --force to overwrite)")
    try:
        if steps is not None:
            s.replay(steps)
        else:
            s.run_random(a.steps, seed=a.seed, crash_weight=a.crash_weight)
            s.settle()
    except StepError as e:
        return _fail(f"step {len(s.history) + 1}: {e}")
    if a.schedule_out:
        with open(a.schedule_out, "w") as f:
            f.write(_schedule_header(a) + "\n".join(s.history) + "\n")
    if a.trace_dir:
        os.makedirs(a.trace_dir, exist_ok=True)
        for n, evs in s.traces_by_proc().items():
            with open(os.path.join(a.trace_dir, f"{n}.trace.jsonl"), "w") as f:
                f.writelines(dumps(e) + "\n" for e in evs)
    outcomes = s.outcomes()
    broken = {t: o for t, o in outcomes.items() if "committed" in o.values() and set(o.values()) != {"committed"}}
    committed = sum(1 for o in outcomes.values() if set(o.values()) == {"committed"})
    expected = a.participants * a.accounts * 100
    total = s.balances_total()
    crashes = sum(1 for h in s.history if h.startswith("crash"))
    print(f"{len(s.history)} steps ({crashes} crashes), {len(s.trace)} trace events; {committed} of {a.transfers} "
          f"transfers committed; total money {total} (expected {expected})")
    for t, o in broken.items():
        print(f"  NOT ATOMIC: {t} {o}")
    return 1 if broken or total != expected else 0
