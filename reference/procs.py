"""The processes of a cluster directory, for both reference implementations
(reference/twophase/cluster.py, reference/zab/ensemble.py): reading its configuration,
finding a running process from its pid file, signalling it and waiting for it to go.

A pid is only believed (and signalled) after checking in /proc that it is still a live
process (not a zombie) running ``python -m MODULE`` for this directory, with the given
arguments: a pid file left by a process that died may name a pid the kernel gave to
someone else since.

Depends on the standard library only.
"""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Callable


def load_config(path: str, error: type[Exception], create_hint: str) -> dict:
    """The JSON configuration at ``path``; ``error`` with a message when it is missing
    (saying ``create_hint``) or not JSON."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise error(f"{path}: {create_hint}") from None
    except ValueError as e:
        raise error(f"{path}: not valid JSON ({e})") from None


def live_pid(pid_file: str, module: str, directory: str, *args: str) -> int | None:
    """The pid in ``pid_file`` if that process is alive and runs ``module`` for
    ``directory`` with each of ``args`` among its arguments; else None."""
    try:
        with open(pid_file) as f:
            pid = int(f.read().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = [c.decode(errors="replace") for c in f.read().split(b"\0")]
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return None
    except (OSError, ValueError, IndexError):
        return None
    d = os.path.abspath(directory)
    if module in cmd and any(os.path.abspath(c) == d for c in cmd if c) and all(a in cmd for a in args):
        return pid
    return None


def kill(pid_of: Callable[[], int | None], what: str, error: type[Exception], sig: int = signal.SIGKILL,
         wait: float = 5.0) -> int:
    """Signal the process ``pid_of()`` names and wait until it is gone; its pid."""
    pid = pid_of()
    if pid is None:
        raise error(f"{what} is not running")
    os.kill(pid, sig)
    deadline = time.monotonic() + wait
    while pid_of() == pid:
        if time.monotonic() > deadline:
            raise error(f"{what} (pid {pid}) did not exit within {wait} s")
        time.sleep(0.005)
    return pid


def stop_all(names, pid_of: Callable[[object], int | None], kill_one: Callable[[object], object],
             wait: float = 5.0) -> list:
    """SIGTERM every running process of ``names``; kill (``kill_one``) those still there
    after ``wait`` seconds. The names that were running."""
    stopped = []
    for name in names:
        pid = pid_of(name)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            stopped.append(name)
    deadline = time.monotonic() + wait
    for name in stopped:
        while pid_of(name) is not None:
            if time.monotonic() > deadline:
                kill_one(name)
                break
            time.sleep(0.01)
    return stopped
