"""Creating, starting, killing and restarting the servers of an ensemble directory.

``DIR/ensemble.json`` holds the configuration every server reads: the servers with their
peer and client ports, the tick, the snapshot interval, fsync, tracing and seeded bugs;
``DIR/secret`` the ensemble's secret (mode 0600). Server N keeps its files in ``DIR/sN``
(server.py). Processes run in their own session with stderr appended to
``DIR/sN/server.log``, and exit by themselves after their lifetime. A pid is only
signalled after checking (in /proc) that it is one of this ensemble's servers.

Depends on server.py (file names), reference/secret.py (the secret) and reference/procs.py
(finding, signalling and stopping processes, shared with reference/twophase).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from reference import procs, secret

CONF = "ensemble.json"


class EnsembleError(RuntimeError):
    pass


def create(directory: str, *, servers: int = 3, client_port: int = 2181, peer_port: int = 2881,
           tick_ms: int = 500, lifetime: float = 1800.0, fsync: bool = True, trace: bool = True,
           snap_count: int = 5000, bugs=(), via: dict[str, int] | None = None,
           max_session_ms: int | None = None) -> dict:
    """Write a new ensemble.json (refusing to replace one) and the secret.
    ``max_session_ms`` is the longest session timeout a client may ask for (ZooKeeper's
    ``maxSessionTimeout``; 20 ticks when None). ``via`` maps a
    directed link ``"I>J"`` to the port server I dials to reach server J in place of J's
    peer port (a proxy that delays or cuts that link: tests/reference/zab/proxy.py)."""
    if servers < 1 or servers > 9:
        raise EnsembleError(f"--servers {servers}: between 1 and 9")
    os.makedirs(directory, exist_ok=True)
    conf = {"servers": {str(i): {"client": client_port + i - 1, "peer": peer_port + i - 1}
                        for i in range(1, servers + 1)},
            "tick_ms": tick_ms, "lifetime": lifetime, "fsync": fsync, "trace": trace,
            "snap_count": snap_count, "bugs": list(bugs)}
    if max_session_ms is not None:
        if max_session_ms < 2 * tick_ms:
            raise EnsembleError(f"--max-session-ms {max_session_ms}: at least two ticks ({2 * tick_ms})")
        conf["max_session_ms"] = int(max_session_ms)
    if via:
        conf["via"] = {str(k): int(v) for k, v in via.items()}
    try:
        with open(os.path.join(directory, CONF), "x") as f:
            json.dump(conf, f, indent=1)
    except FileExistsError:
        raise EnsembleError(f"{directory}/{CONF} exists: this directory already holds an ensemble "
                            f"(start it with `ensemble start {directory}`, or use a new directory)") from None
    secret.create_secret(directory)
    return conf


def load(directory: str) -> dict:
    return procs.load_config(os.path.join(directory, CONF), EnsembleError,
                             f"no ensemble here (create one with `ensemble start {directory}`)")


def ids(conf: dict) -> list[int]:
    return sorted(int(k) for k in conf["servers"])


def pid_of(directory: str, sid: int) -> int | None:
    """The pid of server ``sid`` of this ensemble if it runs, else None."""
    return procs.live_pid(os.path.join(directory, f"s{sid}", "pid"), "reference.zab", directory, str(sid))


def start_server(directory: str, sid: int, conf: dict | None = None, *, wait: float = 10.0,
                 bugs=()) -> subprocess.Popen:
    conf = conf or load(directory)
    if str(sid) not in conf["servers"]:
        raise EnsembleError(f"no server {sid} in this ensemble (servers {', '.join(conf['servers'])})")
    if pid_of(directory, sid) is not None:
        raise EnsembleError(f"server {sid} is already running (pid {pid_of(directory, sid)})")
    home = os.path.join(directory, f"s{sid}")
    os.makedirs(home, exist_ok=True)
    try:
        os.unlink(os.path.join(home, "pid"))
    except OSError:
        pass
    argv = [sys.executable, "-m", "reference.zab", "server", "--dir", os.path.abspath(directory), "--id", str(sid),
            "--lifetime", str(conf.get("lifetime", 1800.0))]
    for b in bugs:
        argv += ["--bug", b]
    with open(os.path.join(home, "server.log"), "ab") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
    deadline = time.monotonic() + wait
    while not os.path.exists(os.path.join(home, "pid")):
        if proc.poll() is not None:
            tail = open(os.path.join(home, "server.log"), errors="replace").read()[-600:]
            raise EnsembleError(f"server {sid} exited with code {proc.returncode}:\n{tail}")
        if time.monotonic() > deadline:
            raise EnsembleError(f"server {sid} did not start within {wait} s (see {home}/server.log)")
        time.sleep(0.01)
    return proc


def start_all(directory: str) -> list[int]:
    conf = load(directory)
    started = []
    for sid in ids(conf):
        if pid_of(directory, sid) is None:
            start_server(directory, sid, conf)
            started.append(sid)
    return started


def status(directory: str) -> list[dict]:
    conf = load(directory)
    out = []
    for sid in ids(conf):
        st = {"id": sid, "client_port": conf["servers"][str(sid)]["client"]}
        pid = pid_of(directory, sid)
        try:
            with open(os.path.join(directory, f"s{sid}", "status.json")) as f:
                st.update(json.load(f))
        except (OSError, ValueError):
            pass
        st["running"] = pid is not None
        if pid is None:
            st["role"] = "down"
        out.append(st)
    return out


def wait_serving(directory: str, timeout: float = 20.0, servers=None) -> list[dict]:
    """Wait until every running server (or those given) serves clients and agrees on one
    leader; return the status. Raises EnsembleError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        st = status(directory)
        want = [s for s in st if s["running"] and (servers is None or s["id"] in servers)]
        leaders = {s.get("leader") for s in want}
        running = {s["id"]: s for s in st if s["running"]}
        leader = next(iter(leaders)) if len(leaders) == 1 else None
        if want and all(s.get("serving") for s in want) and leader in running \
                and running[leader].get("role") == "LEADING" and running[leader].get("serving") \
                and all(time.time() - s.get("time", 0) < 2 for s in want):
            return st
        if time.monotonic() > deadline:
            raise EnsembleError("the ensemble did not start serving within "
                                f"{timeout} s: " + ", ".join(f"s{s['id']} {s.get('role')}" for s in st))
        time.sleep(0.05)


def kill(directory: str, sid: int, sig: int = signal.SIGKILL, wait: float = 5.0) -> int:
    return procs.kill(lambda: pid_of(directory, sid), f"server {sid}", EnsembleError, sig, wait)


def power_fail(directory: str, sids) -> None:
    """Fail the given servers as a power failure would, all at once: each drops what its
    log has not synced and dies (SIGUSR1; server.py)."""
    pids = {sid: pid_of(directory, sid) for sid in sids}
    for sid, pid in pids.items():
        if pid is not None:
            os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 5
    for sid, pid in pids.items():
        while pid is not None and pid_of(directory, sid) == pid:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)


def stop_all(directory: str, wait: float = 5.0) -> list[int]:
    def kill_quietly(sid):
        try:
            kill(directory, sid)
        except EnsembleError:           # gone in between, or stuck: nothing more to do
            pass
    return procs.stop_all(ids(load(directory)), lambda sid: pid_of(directory, sid), kill_quietly, wait)
