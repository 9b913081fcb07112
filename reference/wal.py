"""The write-ahead log: an append-only file of length-prefixed, checksummed records.

Layout: the 8-byte header ``b"2PCWAL1\\n"``, then records, each

    u32 length (big-endian) | u32 crc32(payload) (big-endian) | payload

where the payload is a UTF-8 JSON object. Records are only ever appended; a record is
durable once ``sync`` (fsync) has returned, and the state machines never send a message
that depends on a record before that.

Recovery (:func:`scan`) reads records in order until the first one that is incomplete
or does not check (bad checksum, impossible length, payload that is not a JSON object).
What it does next depends on what follows the bad bytes:

- nothing valid (a *torn* or *corrupt* tail): the process died in the middle of a write,
  or the last record was damaged. :meth:`WAL.open` saves the dropped bytes next to the
  log (``<log>.dropped-<offset>``, never overwriting a file), truncates the log to its
  last good record and reports what happened in one line.
- a valid record (*damaged*: a flipped bit in the middle of the log). Dropping the rest
  would silently lose records that were durable and acted on (votes, decisions), so
  :meth:`WAL.open` raises :class:`LogDamaged`, naming the record and its offset, and
  changes nothing; ``inspect-log`` reports it. Repairing such a log is an operator's
  decision (``repair-log``, docs/reference-twophase.md, *Damaged logs*).

It raises :class:`NotALog` for a file that is not a log at all (wrong header), which it
leaves untouched.

A write that fails or is short (a full disk) never leaves a torn record in the middle:
:meth:`WAL.append` cuts the file back to its last whole record and raises
:class:`WriteFailed`, and the log refuses every later append; the caller must stop (the
runtime does: the step is not taken, as if the process had crashed before it). A failed
fsync is not retried either (after a failed fsync the kernel may have dropped the dirty
pages: retrying would report success for data that is gone).

Depends on nothing but the standard library.
"""

from __future__ import annotations

import errno
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


class LogDamaged(ValueError):
    """Damage followed by valid records: not a torn tail; refusing to guess."""


class WriteFailed(OSError):
    """An append or an fsync failed (or was short): the log takes no more records."""


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
    problem: str | None        # None, "torn", "corrupt" (a bad tail) or "damaged" (valid records follow)
    detail: str = ""
    resume: int | None = None  # "damaged": offset of the first valid record after the damage
    following: int = 0         # "damaged": how many valid records follow from there

    @property
    def damaged_record(self) -> int:
        """The index of the first record that does not check (counting from 0)."""
        return len(self.records)

    @property
    def dropped(self) -> int:
        return self.size - self.good_end

    def summary(self) -> str:
        s = f"{len(self.records)} records, {self.good_end} bytes"
        if self.problem == "damaged":
            s += (f"; DAMAGED at record {self.damaged_record} (offset {self.good_end}): {self.detail}, "
                  f"followed by {self.following} valid record(s) from offset {self.resume} "
                  f"({self.resume - self.good_end} bytes unreadable): not a torn tail")
        elif self.problem:
            s += f"; {self.problem} tail at offset {self.good_end}: {self.detail} ({self.dropped} bytes dropped)"
        return s


def _record_at(data: bytes, pos: int) -> int | None:
    """The end of a valid record starting at ``pos``, or None."""
    if len(data) - pos < HEADER.size:
        return None
    length, crc = HEADER.unpack_from(data, pos)
    end = pos + HEADER.size + length
    if length > MAX_RECORD or end > len(data):
        return None
    payload = data[pos + HEADER.size:end]
    if zlib.crc32(payload) != crc:
        return None
    try:
        rec = json.loads(payload)
    except ValueError:
        return None
    return end if isinstance(rec, dict) else None


def _resync(data: bytes, start: int) -> tuple[int, int] | None:
    """The first valid record at or after ``start`` and how many valid records follow in
    a row from it, or None. A record's length is below 2^24, so its first byte is 0;
    a JSON payload has no 0 byte: only the 0 bytes are candidates."""
    pos = data.find(b"\0", start)
    while pos != -1:
        end = _record_at(data, pos)
        if end is not None:
            count = 0
            q = pos
            while end is not None:
                count += 1
                q = end
                end = _record_at(data, q)
            return pos, count
        pos = data.find(b"\0", pos + 1)
    return None


def scan(data: bytes, where: str = "log") -> Scan:
    """Read every good record of a log image ``data`` (header included)."""
    sc = _scan(data, where)
    if sc.problem:
        found = _resync(data, sc.good_end + 1)
        if found is not None:
            return Scan(sc.records, sc.offsets, sc.good_end, sc.size, "damaged", sc.detail, *found)
    return sc


def _scan(data: bytes, where: str) -> Scan:
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
        self.broken: str | None = None   # why the log takes no more records (a failed write or fsync)

    def open(self) -> tuple[Scan, str | None]:
        """Recover the log: returns its scan and, if a bad tail was dropped, a log line."""
        created = not os.path.exists(self.path)
        with open(self.path, "ab+") as f:
            f.seek(0)
            data = f.read()
        sc = scan(data, self.path)
        if sc.problem == "damaged":
            raise LogDamaged(
                f"{self.path}: damaged at record {sc.damaged_record} (offset {sc.good_end}): {sc.detail}, "
                f"followed by {sc.following} valid record(s) from offset {sc.resume}. This is not a torn "
                f"tail: dropping the rest could lose records that were acted on, so the log is left as "
                f"it is. See what it holds with `python -m reference.twophase inspect-log {self.path}`; "
                f"repairing it is an operator's decision (`repair-log`, docs/reference-twophase.md, "
                f"*Damaged logs*)")
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
        if self.broken:
            raise WriteFailed(errno.EIO, f"{self.path}: no more records after an earlier failure ({self.broken})")
        b = encode_record(rec)
        try:
            n = os.write(self.fd, b)
            if n != len(b):
                raise OSError(errno.ENOSPC, f"short write ({n} of {len(b)} bytes)")
        except OSError as e:
            self._fail(f"cannot append a record at offset {self.size}: {e.strerror or e}", e)
        self.size += len(b)

    def sync(self) -> None:
        if self.broken:
            raise WriteFailed(errno.EIO, f"{self.path}: no more records after an earlier failure ({self.broken})")
        if self.fsync_enabled:
            try:
                os.fsync(self.fd)
            except OSError as e:
                self._fail(f"fsync failed: {e.strerror or e}", e)

    def _fail(self, why: str, exc: OSError):
        """Cut a partial record off (best effort) and refuse everything after."""
        self.broken = why
        try:
            os.ftruncate(self.fd, self.size)
            os.lseek(self.fd, self.size, os.SEEK_SET)
        except OSError:
            pass                 # the next start drops a torn tail: nothing valid follows it
        raise WriteFailed(exc.errno or errno.EIO, f"{self.path}: {why}") from exc

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def inspect(path: str) -> Scan:
    """Scan a log without changing it."""
    with open(path, "rb") as f:
        return scan(f.read(), path)


def repair(path: str) -> str:
    """The operator's repair of a damaged log (``repair-log``): cut out the unreadable
    bytes between the last good record before the damage and the first valid record
    after it, keeping every valid record on both sides; the cut bytes are saved to
    ``<log>.damaged-<offset>`` (never overwriting a file). The damaged record itself is
    lost. The new log replaces the old one atomically (a temporary file, fsync, rename,
    fsync of the directory). Run it with the process stopped. Returns what it did; a log
    that is not damaged is left alone."""
    with open(path, "rb") as f:
        data = f.read()
    sc = scan(data, path)
    if sc.problem != "damaged":
        return f"{path}: {sc.summary()}; nothing to repair (a bad tail is dropped by the process when it starts)"
    side = _fresh_name(f"{path}.damaged-{sc.good_end}")
    with open(side, "xb") as f:
        f.write(data[sc.good_end:sc.resume])
        f.flush()
        os.fsync(f.fileno())
    tmp = _fresh_name(f"{path}.repair-tmp")
    with open(tmp, "xb") as f:
        f.write(data[:sc.good_end] + data[sc.resume:])
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path)
    return (f"{path}: cut out {sc.resume - sc.good_end} unreadable bytes at offset {sc.good_end} "
            f"(record {sc.damaged_record}; saved to {side}), kept {len(sc.records)} record(s) before and "
            f"{sc.following} after. The damaged record is lost: after a restart, run `workload --verify` "
            f"(or compare balances) to see what it held")


def records_after_damage(data: bytes, sc: Scan) -> list[tuple[int, dict]]:
    """The valid records that follow the damage of a damaged log, with their offsets."""
    out: list[tuple[int, dict]] = []
    pos = sc.resume
    while pos is not None and len(out) < sc.following:
        end = _record_at(data, pos)
        if end is None:
            break
        out.append((pos, json.loads(data[pos + HEADER.size:end])))
        pos = end
    return out
