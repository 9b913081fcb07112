"""Starting, killing and restarting the processes of a cluster directory.

``cluster.json`` in the directory records each role's command line, so that a process
can be restarted exactly as it was started. Processes are started in their own session
with stderr appended to ``NAME.log``; each one exits by itself after its lifetime.
A pid is only signalled after checking (in /proc) that it is still one of our processes.

Depends on runtime (file names) and reference/procs.py (what it shares with reference/zab).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from .. import procs
from . import auth
from .runtime import read_addr

CLUSTER = "cluster.json"


class ClusterError(RuntimeError):
    pass


def role_argv(role: str, name: str, directory: str, opts: dict) -> list[str]:
    argv = [sys.executable, "-m", "reference.twophase", role, "--dir", os.path.abspath(directory)]
    if role == "participant":
        argv += ["--name", name, "--accounts", str(opts["accounts"]), "--balance", str(opts["balance"]),
                 "--ask-interval", str(opts["ask_interval"])]
    else:
        argv += ["--participants", ",".join(opts["participants"]), "--vote-timeout", str(opts["vote_timeout"])]
    argv += ["--lifetime", str(opts["lifetime"])]
    if not opts.get("fsync", True):
        argv.append("--no-fsync")
    if not opts.get("trace", True):
        argv.append("--no-trace")
    for b in opts.get("bugs", ()):
        argv += ["--bug", b]
    return argv


def create(directory: str, *, participants: int = 3, accounts: int = 10, balance: int = 100,
           lifetime: float = 1800.0, fsync: bool = True, trace: bool = True, bugs=(),
           vote_timeout: float = 1.0, ask_interval: float = 0.2) -> dict:
    """Write a new cluster.json (refusing to replace one) and return it."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, CLUSTER)
    names = [f"rm{i}" for i in range(1, participants + 1)]
    opts = {"participants": names, "accounts": accounts, "balance": balance, "lifetime": lifetime,
            "fsync": fsync, "trace": trace, "bugs": list(bugs), "vote_timeout": vote_timeout,
            "ask_interval": ask_interval}
    conf = {"participants": names, "accounts": accounts, "balance": balance,
            "roles": {"tm": role_argv("coordinator", "tm", directory, opts)}}
    for n in names:
        conf["roles"][n] = role_argv("participant", n, directory, opts)
    try:
        with open(path, "x") as f:
            json.dump(conf, f, indent=1)
    except FileExistsError:
        raise ClusterError(f"{path} exists: this directory already holds a cluster "
                           f"(start it with `cluster start {directory}`, or use a new directory)") from None
    auth.create_secret(directory)       # DIR/secret, mode 0600: who may speak for the cluster
    return conf


def load(directory: str) -> dict:
    return procs.load_config(os.path.join(directory, CLUSTER), ClusterError,
                             f"no cluster here (create one with `cluster start {directory} ...`)")


def pid_of(directory: str, name: str) -> int | None:
    """The pid of the running process ``name`` of this cluster, or None."""
    return procs.live_pid(os.path.join(directory, f"{name}.pid"), "reference.twophase", directory)


def start_role(directory: str, name: str, conf: dict | None = None, *, wait: float = 10.0) -> subprocess.Popen:
    conf = conf or load(directory)
    if name not in conf["roles"]:
        raise ClusterError(f"no role {name!r} in this cluster ({', '.join(conf['roles'])})")
    if pid_of(directory, name) is not None:
        raise ClusterError(f"{name} is already running (pid {pid_of(directory, name)})")
    try:
        os.unlink(os.path.join(directory, f"{name}.addr"))
    except OSError:
        pass
    with open(os.path.join(directory, f"{name}.log"), "ab") as err:
        proc = subprocess.Popen(conf["roles"][name], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True, cwd=os.getcwd())
    deadline = time.monotonic() + wait
    while read_addr(directory, name) is None:
        if proc.poll() is not None:
            raise ClusterError(f"{name} exited with code {proc.returncode} (see {directory}/{name}.log)")
        if time.monotonic() > deadline:
            raise ClusterError(f"{name} did not start listening within {wait} s (see {directory}/{name}.log)")
        time.sleep(0.01)
    return proc


def start_all(directory: str) -> dict[str, subprocess.Popen]:
    conf = load(directory)
    out = {}
    for name in conf["roles"]:
        if pid_of(directory, name) is None:
            out[name] = start_role(directory, name, conf)
    return out


def kill(directory: str, name: str, sig: int = signal.SIGKILL, wait: float = 5.0) -> int:
    return procs.kill(lambda: pid_of(directory, name), name, ClusterError, sig, wait)


def stop_all(directory: str, wait: float = 5.0) -> list[str]:
    return procs.stop_all(load(directory)["roles"], lambda n: pid_of(directory, n), lambda n: kill(directory, n),
                          wait)
