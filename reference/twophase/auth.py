"""Who may say what: the cluster's secret, the handshake on every connection, and the
checks a message passes before a state machine sees it (issue 14, section 1).

**The secret.** Each cluster directory holds ``secret``: 32 random bytes in hex, created
once with mode 0600 (never replaced; a file readable by others is refused). Every
process, client and operator command of the cluster reads it there; whoever can read
it may speak for the cluster, whoever cannot may not.

**The handshake.** The accepting side's first line is
``{"hello": NAME, "lc": LC, "nonce": N}`` with a fresh random nonce. The connecting side
answers ``{"auth": WHO, "proof": HMAC-SHA256(secret, "N:WHO:NAME")}`` where WHO is its
process name, or ``client`` for clients and operator commands. Nothing else is read
from a connection before a valid proof (compared in constant time); a connection that
sends anything else, or nothing within :data:`AUTH_TIMEOUT`, is refused and closed,
and the refusal is logged (at most one line per :data:`LOG_EVERY` seconds, with a
count). The proof binds the connection to WHO for its lifetime.

**Messages.** Once authenticated, a protocol message is accepted only if its ``src``
is the connection's WHO, WHO is a process that sends to this one in the cluster's
configuration (the coordinator for a participant, the participants for the
coordinator; a client is none of them), the kind is one this role receives (votes and
inquiries at the coordinator; prepare, commit and abort at a participant), its
operations are well formed (:func:`check_ops`) and its Lamport clock is plausible
(:func:`check_clock`). Names are never used as paths unless they passed these checks.
Client and operator requests (``begin``, ``status``, ``shutdown``, ``heuristic``...)
need an authenticated connection too.

Depends on reference/secret.py (the generic half, re-exported here).
"""

from __future__ import annotations

# the secret, the handshake and the clock check are shared with reference/zab
from ..secret import (AUTH_TIMEOUT, LOG_EVERY, MAX_CLOCK_JUMP, MAX_LC, SECRET, AuthError,  # noqa: F401
                      answer, check_clock, create_secret, new_nonce, proof, read_secret, secret_path, verify)

#: the largest |delta| of an operation, and the longest account name
MAX_DELTA = 10 ** 15
MAX_ACCOUNT = 64
#: the name a client or operator command authenticates as
CLIENT = "client"


def check_ops(ops: object) -> tuple[tuple[str, int], ...]:
    """A transfer's operations, ``[[account, delta], ...]``, checked: account names are
    short strings, deltas are integers (not booleans, not floats, not Infinity) with
    |delta| <= MAX_DELTA. Raises ValueError saying what is wrong."""
    if not isinstance(ops, (list, tuple)):
        raise ValueError("operations must be a list of [account, delta]")
    out = []
    for op in ops:
        if not isinstance(op, (list, tuple)) or len(op) != 2:
            raise ValueError(f"an operation must be [account, delta], found {str(op)[:60]}")
        account, delta = op
        if not isinstance(account, str) or not 0 < len(account) <= MAX_ACCOUNT:
            raise ValueError(f"an account must be a name of 1 to {MAX_ACCOUNT} characters, found {str(account)[:60]!r}")
        if type(delta) is not int:
            raise ValueError(f"a delta must be an integer, found {str(delta)[:60]} ({type(delta).__name__})")
        if abs(delta) > MAX_DELTA:
            raise ValueError(f"a delta must be within ±10^15, found {str(delta)[:60]}")
        out.append((account, delta))
    return tuple(out)
