"""Fixtures shared by every test directory (none yet), and the slow marker on the tests
measured too slow for the quick run (tests/measured_slow.txt). Plain helpers and constants live
in tests/helpers.py and are imported from there (``from tests.helpers import SPECS``);
this file is never imported as a module."""

from pathlib import Path

import pytest

#: tests/measured_slow.txt: tests measured too slow for the quick run (`-m "not slow"`)
_MEASURED_SLOW = frozenset(
    line.strip() for line in (Path(__file__).with_name("measured_slow.txt")).read_text().splitlines()
    if line.strip() and not line.startswith("#"))


def pytest_collection_modifyitems(config, items):
    """Marks the tests of tests/measured_slow.txt slow, as if each carried the marker."""
    for item in items:
        if item.nodeid in _MEASURED_SLOW:
            item.add_marker(pytest.mark.slow)
