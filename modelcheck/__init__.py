"""modelcheck: write a protocol as a small spec, check it exhaustively, read the counterexample.

The public API is :func:`load` and :func:`check` (see :mod:`modelcheck.api`)."""

from .api import Spec, check, load, simulate
from .search import Options
from .result import CheckResult, Verdict

__all__ = ["Spec", "check", "load", "simulate", "Options", "CheckResult", "Verdict"]
__version__ = "0.1.0"
