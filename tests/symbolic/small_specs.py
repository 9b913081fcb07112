"""Small specs written for the symbolic tests, and loading one from its text."""

from modelcheck import load

#: an action that asserts (and fails when x is 2), beside one that counts up to 3
ASSERTING = """module A
var x: 0..3
init { x = 0 }
action Up { require x < 3  x' = x + 1 }
action Check { assert x != 2: "x reached two"  x' = x }
invariant Small [typing]: x <= 3
"""


def spec_of(tmp_path, text: str, name: str = "s.mc"):
    """Write ``text`` to ``tmp_path / name`` and load it; the path, for rewriting it."""
    p = tmp_path / name
    p.write_text(text)
    return load(p), p


#: a channel declared without a bound: Send appends while the channel holds fewer than
#: ``CAP`` messages; Inv is inductive for every CAP
CHANNEL = """module C
const CAP = 2
var q: seq[0..3]
var sent: 0..20
init { q = []  sent = 0 }
action Send { require len(q) < CAP and sent < 20  q' = append(q, 1)  sent' = sent + 1 }
action Recv { require len(q) > 0  q' = tail(q)  sent' = sent }
invariant Ones [integrity]: forall x in elems(q): x == 1
invariant Short [typing]: len(q) <= CAP
invariant Inv [integrity]: (forall x in elems(q): x == 1) and len(q) <= CAP
"""


#: a pool of records (an infinite element type: `size` of it needs `--set-bound`): Make
#: adds a fresh token while the pool holds fewer than ``CAP``, Take removes any; Inv is
#: inductive for every CAP
POOL = """module P
const CAP = 2
type Tok = { n: int, tag: (int, int) }
var pool: set[Tok]
var made: 0..4
init { pool = {}  made = 0 }
action Make {
  require made < 4 and size(pool) < CAP
  pool' = pool union {{ n: made, tag: (made, 2 * made) }}
  made' = made + 1
}
action Take { pick t in pool  pool' = pool diff {t} }
invariant Small [typing]: size(pool) <= CAP
invariant Inv [typing]: size(pool) <= CAP and (forall t in pool: t.n < made and t.tag == (t.n, 2 * t.n))
"""
