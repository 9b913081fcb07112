"""Small histories built in code, shared by the history tests: ``op(...)`` makes an
:class:`~modelcheck.history.core.Op` with ids in call order."""

from __future__ import annotations

from modelcheck.history.core import Op


def ops(*rows) -> list[Op]:
    """``rows``: ``(process, call, ret, f, args, result)``; ids in the order given."""
    return [Op(i, p, c, r, f, tuple(a), res) for i, (p, c, r, f, a, res) in enumerate(rows)]


def hard_register_history(writers: int = 18) -> list[Op]:
    """``writers`` concurrent writes of distinct values, then a read of a value nobody
    wrote: not linearizable, and the search must try every subset of the writes before
    it can say so (about 2**writers * writers configurations)."""
    rows = [(p, 0, 10, "write", [p], None) for p in range(writers)]
    rows.append((writers, 11, 12, "read", [], 999))
    return ops(*rows)
