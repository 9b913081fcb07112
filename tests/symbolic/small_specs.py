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
