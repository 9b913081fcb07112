"""The write-ahead log: an append-only file of length-prefixed, checksummed records.

Layout: the 8-byte header ``b"2PCWAL1\\n"``, then records, each

    u32 length (big-endian) | u32 crc32(payload) (big-endian) | payload

where the payload is a UTF-8 JSON object. Records are only ever appended; a record is
durable once ``sync`` (fsync) has returned, and the state machines never send a message
that depends on a record before that.

Recovery (:func:`scan`) reads records in order and stops at the first one that is
incomplete (a *torn* tail: the process died in the middle of a write) or does not check
(a *corrupt* record: bad checksum, impossible length, payload that is not a JSON object).
Everything from there on is dropped; :meth:`WAL.open` saves the dropped bytes next to the
log (``<log>.dropped-<offset>``, never overwriting a file), truncates the log to its last
good record and reports what happened in one line. It never raises on a bad tail; it
raises :class:`NotALog` only for a file that is not a log at all (wrong header), which
it leaves untouched.

Depends on nothing but the standard library.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass

MAGIC = b"2PCWAL1\n"
HEADER = struct.Struct(">II")
#: a length field above this is taken as corruption, not as a huge record
MAX_RECORD = 1 << 24


class NotALog(ValueError):
    pass


def encode_record(rec: dict) -> bytes:
    payload = json.dumps(rec, separators=(",", ":"), sort_keys=True).encode()
    return HEADER.pack(len(payload), zlib.crc32(payload)) + payload


@dataclass(frozen=True)
class Scan:
    """The result of reading a log: its good records, and what (if anything) follows them."""
    records: list[dict]
    offsets: list[int]         # byte offset of each good record
    good_end: int              # offset just after the last good record
    size: int                  # bytes in the file
    problem: str | None        # None, "torn" or "corrupt"
    detail: str = ""

    @property
    def dropped(self) -> int:
        return self.size - self.good_end

    def summary(self) -> str:
        s = f"{len(self.records)} records, {self.good_end} bytes"
        if self.problem:
            s += f"; {self.problem} tail at offset {self.good_end}: {self.detail} ({self.dropped} bytes dropped)"
        return s


def scan(data: bytes, where: str = "log") -> Scan:
    """Read every good record of a log image ``data`` (header included)."""
    if len(data) < len(MAGIC):
        if MAGIC.startswith(data):
            # empty, or the header itself was torn: no record was ever durable
            problem = "torn" if data else None
            return Scan([], [], 0, len(data), problem, "incomplete file header" if data else "")
        raise NotALog(f"{where}: not a write-ahead log (bad header {data[:8]!r})")
    if not data.startswith(MAGIC):
        raise NotALog(f"{where}: not a write-ahead log (bad header {data[:8]!r})")
    records: list[dict] = []
    offsets: list[int] = []
    pos = len(MAGIC)
    n = len(data)
    while pos < n:
        if n - pos < HEADER.size:
            return Scan(records, offsets, pos, n, "torn", f"incomplete record header ({n - pos} of {HEADER.size} bytes)")
        length, crc = HEADER.unpack_from(data, pos)
        if length > MAX_RECORD:
            return Scan(records, offsets, pos, n, "corrupt", f"implausible record length {length}")
        end = pos + HEADER.size + length
        if end > n:
            return Scan(records, offsets, pos, n, "torn", f"incomplete record ({n - pos - HEADER.size} of {length} payload bytes)")
        payload = data[pos + HEADER.size:end]
        if zlib.crc32(payload) != crc:
            return Scan(records, offsets, pos, n, "corrupt", "checksum mismatch")
        try:
            rec = json.loads(payload)
        except ValueError:
            rec = None
        if not isinstance(rec, dict):
            return Scan(records, offsets, pos, n, "corrupt", "payload is not a JSON object")
        records.append(rec)
        offsets.append(pos)
        pos = end
    return Scan(records, offsets, pos, n, None)


def _fsync_dir(path: str) -> None:
    fd = os.open(os.path.dirname(os.path.abspath(path)) or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fresh_name(base: str) -> str:
    if not os.path.exists(base):
        return base
    i = 1
    while os.path.exists(f"{base}.{i}"):
        i += 1
    return f"{base}.{i}"


class WAL:
    """A log file on disk. ``open()`` recovers it; then ``append`` and ``sync``."""

    def __init__(self, path: str, *, fsync: bool = True):
        self.path = path
        self.fsync_enabled = fsync
        self.fd: int | None = None
        self.size = 0

    def open(self) -> tuple[Scan, str | None]:
        """Recover the log: returns its scan and, if a bad tail was dropped, a log line."""
        created = not os.path.exists(self.path)
        with open(self.path, "ab+") as f:
            f.seek(0)
            data = f.read()
        sc = scan(data, self.path)
        note = None
        self.fd = os.open(self.path, os.O_RDWR)
        if sc.problem or sc.size < len(MAGIC):
            if sc.problem and sc.dropped:
                side = _fresh_name(f"{self.path}.dropped-{sc.good_end}")
                with open(side, "xb") as f:
                    f.write(data[sc.good_end:])
                note = (f"{self.path}: {sc.problem} tail at offset {sc.good_end} dropped: {sc.detail}; "
                        f"{sc.dropped} bytes saved to {side}")
            end = max(sc.good_end, len(MAGIC))
            os.ftruncate(self.fd, sc.good_end)
            if sc.good_end < len(MAGIC):
                os.pwrite(self.fd, MAGIC, 0)
            os.fsync(self.fd)
            self.size = end
        else:
            self.size = sc.size
        if created:
            _fsync_dir(self.path)
        os.lseek(self.fd, self.size, os.SEEK_SET)
        return sc, note

    def append(self, rec: dict) -> None:
        b = encode_record(rec)
        os.write(self.fd, b)
        self.size += len(b)

    def sync(self) -> None:
        if self.fsync_enabled:
            os.fsync(self.fd)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def inspect(path: str) -> Scan:
    """Scan a log without changing it."""
    with open(path, "rb") as f:
        return scan(f.read(), path)
