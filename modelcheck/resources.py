"""The machine's memory, as the limits see it: this process's resident memory now
(:func:`rss_mb`, read by ``--max-memory`` in the searches and the history checker) and
the machine's physical memory (:func:`physical_mb`, for a default limit).

Depends on nothing in the package.
"""

from __future__ import annotations

import os

_PAGE_MB = (os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096) / 1e6


def rss_mb() -> float:
    """The process's resident memory in MB now (Linux: /proc/self/statm; elsewhere the
    peak so far, from getrusage)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE_MB
    except (OSError, ValueError, IndexError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def physical_mb() -> float | None:
    """The machine's physical memory in MB, or None where it cannot be read."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * _PAGE_MB
    except (AttributeError, ValueError, OSError):
        return None
