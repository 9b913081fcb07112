"""A cluster's secret and the handshake every connection of a reference implementation
starts with (reference/twophase, reference/zab): who may speak for the cluster.

**The secret.** The cluster's directory holds ``secret``: 32 random bytes in hex, created
once with mode 0600 (never replaced; a file readable by others is refused). Whoever can
read it may speak for the cluster, whoever cannot may not.

**The handshake.** The accepting side's first line carries a fresh random nonce and its
name; the connecting side answers ``{"auth": WHO, "proof": HMAC-SHA256(secret,
"N:WHO:NAME")}``. Nothing else is read from a connection before a valid proof (compared
in constant time) naming a WHO the acceptor knows; the proof binds the connection to WHO
for its lifetime. :func:`check_clock` refuses Lamport clocks that no run reaches.

Depends on the standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat

SECRET = "secret"
#: seconds a new connection has to authenticate
AUTH_TIMEOUT = 5.0
#: at most one log line per this many seconds for refused connections or messages
LOG_EVERY = 5.0
#: a clock above this cannot be stored (8-byte clock files, struct ">Q" signed range)
MAX_LC = (1 << 63) - 1
#: a message whose clock is this far ahead of the receiver's is refused: no run makes
#: 2^40 steps, so such a clock was forged or corrupted (it would wedge every clock it
#: reaches, surviving restarts through the clock files)
MAX_CLOCK_JUMP = 1 << 40


class AuthError(ValueError):
    pass


def secret_path(directory: str) -> str:
    return os.path.join(directory, SECRET)


def create_secret(directory: str) -> bytes:
    """Create the cluster's secret if there is none (mode 0600, atomically: a temporary
    file linked into place, so that a reader never sees it half-written); return it."""
    path = secret_path(directory)
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (secrets.token_hex(32) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)            # fails if another process made one first
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return read_secret(directory)


def read_secret(directory: str) -> bytes:
    path = secret_path(directory)
    try:
        st = os.stat(path)
        with open(path, "rb") as f:
            text = f.read(200).strip()
    except FileNotFoundError:
        raise AuthError(f"{path}: no secret (a cluster created by `cluster start` has one)") from None
    except OSError as e:
        raise AuthError(f"{path}: cannot read the secret: {e.strerror}") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuthError(f"{path}: the secret is readable by others (mode {stat.S_IMODE(st.st_mode):o}); "
                        f"`chmod 600 {path}`")
    try:
        key = bytes.fromhex(text.decode())
    except ValueError:
        key = b""
    if len(key) < 16:
        raise AuthError(f"{path}: not a secret (expected at least 32 hex digits)")
    return key


def new_nonce() -> str:
    return secrets.token_hex(16)


def proof(key: bytes, nonce: str, who: str, acceptor: str) -> str:
    return hmac.new(key, f"{nonce}:{who}:{acceptor}".encode(), hashlib.sha256).hexdigest()


def answer(key: bytes, hello: dict, who: str) -> dict:
    """The connecting side's authentication line for the acceptor's ``hello``."""
    nonce, acceptor = hello.get("nonce"), hello.get("hello")
    if not isinstance(nonce, str) or not isinstance(acceptor, str):
        raise AuthError("the peer's hello has no nonce: not a process of this cluster's version")
    return {"auth": who, "proof": proof(key, nonce, who, acceptor)}


def verify(key: bytes, nonce: str, acceptor: str, line: object, known: set[str]) -> str:
    """The WHO a first line authenticates (one of ``known``), or raise AuthError."""
    if not isinstance(line, dict) or set(line) != {"auth", "proof"}:
        raise AuthError("the first line is not an authentication")
    who, got = line["auth"], line["proof"]
    if not isinstance(who, str) or who not in known:
        raise AuthError(f"unknown name {str(who)[:40]!r}")
    if not isinstance(got, str) or not hmac.compare_digest(got, proof(key, nonce, who, acceptor)):
        raise AuthError(f"wrong proof for {who!r}")
    return who


def check_clock(lc: object, own: int) -> str | None:
    """Why a received Lamport clock is refused, or None."""
    if type(lc) is not int:
        return "the clock is not an integer"
    if lc < 0 or lc > MAX_LC:
        return f"the clock {lc} is outside 0..2^63-1"
    if lc > own + MAX_CLOCK_JUMP:
        return f"the clock {lc} is more than 2^40 ahead of this process's {own}"
    return None
