"""Plain helpers shared by the tests: paths, cached spec loading, one reachable-states
search, one command-line runner. Fixtures live in tests/conftest.py; this module has none.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
