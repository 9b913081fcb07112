"""What is given as a spec file (issue 14, section 3): a FIFO used to hang, a symlink to
/dev/zero to read forever, a UTF-8 byte-order mark to be a syntax error."""

from __future__ import annotations

import os

from tests.helpers import TCOMMIT, run


def test_a_fifo_is_refused_without_reading(capsys, tmp_path):
    fifo = tmp_path / "spec.mc"
    os.mkfifo(fifo)
    code, out, err = run(capsys, "check", fifo)
    assert (code, out) == (2, "") and f"MC001 {fifo} is a FIFO, not a spec file: nothing was read" in err


def test_a_device_behind_a_symlink_is_refused(capsys, tmp_path):
    link = tmp_path / "zero.mc"
    link.symlink_to("/dev/zero")
    code, out, err = run(capsys, "check", link)
    assert (code, out) == (2, "") and f"MC001 {link} is a device, not a spec file" in err


def test_a_spec_too_large_is_refused_before_it_is_read(capsys, tmp_path):
    big = tmp_path / "big.mc"
    with big.open("wb") as f:
        f.truncate(11 * 2**20)  # sparse: no disk used
    code, _, err = run(capsys, "check", big)
    assert code == 2 and "11,534,336 bytes: too large for a spec" in err


def test_a_utf8_byte_order_mark_is_accepted(capsys, tmp_path):
    spec = tmp_path / "bom.mc"
    spec.write_bytes(b"\xef\xbb\xbf" + open(TCOMMIT, "rb").read())
    code, out, _ = run(capsys, "check", spec, "--no-deadlock")
    assert code == 0 and "13 distinct states" in out
