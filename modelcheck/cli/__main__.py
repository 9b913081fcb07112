"""``python -m modelcheck.cli ...``: the same as the ``modelcheck`` console script."""

from . import entry

entry()
