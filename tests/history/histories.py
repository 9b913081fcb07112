"""Small histories built in code, shared by the history tests: ``op(...)`` makes an
:class:`~modelcheck.history.core.Op` with ids in call order."""

from __future__ import annotations

from modelcheck.history.core import Op


def ops(*rows) -> list[Op]:
    """``rows``: ``(process, call, ret, f, args, result)``; ids in the order given."""
    return [Op(i, p, c, r, f, tuple(a), res) for i, (p, c, r, f, a, res) in enumerate(rows)]


def op(f, *args, result=None, ret=1.0, id=0, process=0, call=0.0) -> Op:
    """One operation for a model's step function: ``op("write", 3)``."""
    return Op(id, process, call, ret, f, args, result)


def run(model, *ops):
    """The state after ``ops`` one after another, or None at the first that does not fit."""
    s = model.init()
    for o in ops:
        s = model.step(s, o)
        if s is None:
            return None
    return s


def hard_register_history(writers: int = 18) -> list[Op]:
    """``writers`` concurrent writes of distinct values, then a read of a value nobody
    wrote: not linearizable, and the search must try every subset of the writes before
    it can say so (about 2**writers * writers configurations)."""
    rows = [(p, 0, 10, "write", [p], None) for p in range(writers)]
    rows.append((writers, 11, 12, "read", [], 999))
    return ops(*rows)
