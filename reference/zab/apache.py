"""The real Apache ZooKeeper (Debian's ``zookeeper`` package), started on 127.0.0.1 as the
reference the kazoo-level tests and the benchmark compare our ensemble against.

:func:`start` writes a zoo.cfg into a directory and runs QuorumPeerMain with one server
(``servers=1``, standalone) or an ensemble of several processes on consecutive ports;
:func:`stop` kills them. ``scripts/install-zookeeper.sh`` installs the package (make test
runs it). Depends on the standard library only.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

JAR = "/usr/share/java/zookeeper.jar"
CLASSPATH = f"/etc/zookeeper/conf:{JAR}"


def available() -> str | None:
    """None when the real ZooKeeper can run here, else why not."""
    if not os.path.exists(JAR):
        return f"{JAR} is missing: install Debian's zookeeper package (scripts/install-zookeeper.sh)"
    if shutil.which("java") is None:
        return "java is missing (Debian's zookeeper package depends on it)"
    return None


def _ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            # a ConnectRequest: a server that serves answers it
            s.sendall(bytes.fromhex("0000002c" + "00" * 4 + "00" * 8 + "00002710" + "00" * 8 + "00000010")
                      + b"\0" * 16 + b"\0")
            return len(s.recv(64)) > 0
    except OSError:
        return False


def start(directory: str, *, servers: int = 1, client_port: int, peer_port: int = 0, fsync: bool = True,
          wait: float = 60.0, lifetime: float = 1800.0, via: dict[tuple[int, int], int] | None = None
          ) -> list[subprocess.Popen]:
    """Start the servers (each exits by itself after ``lifetime`` seconds, under
    coreutils' timeout, should whoever started it die without calling stop). ``via``
    maps ``(i, j)`` to the quorum port server i's zoo.cfg gives server j (a proxy in front
    of j's real one), so that the link a follower i opens to its leader j can be delayed
    or cut alone."""
    via = via or {}
    procs = []
    for i in range(1, servers + 1):
        home = os.path.join(directory, f"zk{i}")
        os.makedirs(os.path.join(home, "data"), exist_ok=True)
        lines = ["tickTime=2000", "initLimit=10", "syncLimit=5", f"dataDir={home}/data",
                 f"clientPort={client_port + i - 1}", "clientPortAddress=127.0.0.1", "admin.enableServer=false",
                 f"forceSync={'yes' if fsync else 'no'}", "maxClientCnxns=0"]
        if servers > 1:
            with open(os.path.join(home, "data", "myid"), "w") as f:
                f.write(f"{i}\n")
            for j in range(1, servers + 1):
                quorum = via.get((i, j), peer_port + 2 * (j - 1))
                lines.append(f"server.{j}=127.0.0.1:{quorum}:{peer_port + 2 * (j - 1) + 1}")
        cfg = os.path.join(home, "zoo.cfg")
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        log = open(os.path.join(home, "zookeeper.out"), "ab")
        procs.append(subprocess.Popen(
            ["timeout", "-s", "KILL", str(int(lifetime)), "java", "-Xmx512m", "-cp", CLASSPATH, f"-Dzookeeper.log.dir={home}",
             "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True))
        log.close()
    deadline = time.monotonic() + wait
    while not all(_ready(client_port + i) for i in range(servers)):
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            stop(procs)
            raise RuntimeError(f"the real ZooKeeper did not start within {wait} s (see {directory}/zk*/zookeeper.out)")
        time.sleep(0.2)
    return procs


def stop(procs):
    for p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait(timeout=10)
