"""Fixtures shared by every test directory (none yet). Plain helpers and constants live
in tests/helpers.py and are imported from there (``from tests.helpers import SPECS``);
this file is never imported as a module."""
