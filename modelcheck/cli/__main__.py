"""``python -m modelcheck.cli ...``: the same as the ``modelcheck`` console script."""

from . import entry

if __name__ == "__main__":   # not again in a process that re-imports the main module (Dask's spawned workers)
    entry()
