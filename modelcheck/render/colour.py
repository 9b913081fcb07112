"""Colour for the text output, on a terminal only.

:func:`use_colour` decides: never when ``NO_COLOR`` is set (https://no-color.org),
always when ``FORCE_COLOR`` is set (and ``NO_COLOR`` is not), otherwise only when the
stream is a terminal and ``TERM`` is not ``dumb``. So ``modelcheck check ... | less``,
a file, or a test's captured output get plain text, byte for byte what the README shows.

The text renderers (:mod:`modelcheck.render.text`) mark each piece with a role through
their ``paint(text, role)`` argument; :class:`Painter` turns a role into rich markup
(the text itself escaped) and prints through a rich console with :data:`THEME`. rich is
imported only when colour is on, so a piped run does not pay for it.
"""

from __future__ import annotations

import os

#: role -> rich style
THEME = {
    "title": "bold",
    "head": "bold red",
    "witness": "bold green",
    "step": "dim",
    "action": "bold cyan",
    "init": "italic",
    "var": "yellow",
    "old": "red",
    "new": "green",
    "arrow": "dim",
    "loop": "magenta",
    "dim": "dim",
    "warning": "yellow",
    "verdict.holds": "bold green",
    "verdict.violated": "bold red",
    "verdict.deadlock": "bold red",
    "verdict.error": "bold red",
    "verdict.undetermined": "yellow",
    "verdict.not-violated": "green",
}


def use_colour(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM") != "dumb"


_START, _MID, _END = "\x1e", "\x1f", "\x1d"


class Painter:
    """``paint`` for the renderers, and ``emit`` to print what they returned.

    ``paint`` wraps a piece in control characters (never in spec values or names)
    rather than in rich markup, so nothing else in the text needs escaping: values such
    as ``[r1, r2]`` would read as markup tags."""

    def __init__(self, stream=None):
        import re

        from rich.console import Console

        self._re = re.compile(f"{_START}([^{_MID}]*){_MID}(.*?){_END}", re.S)
        self.console = Console(file=stream, force_terminal=True, highlight=False, emoji=False,
                               markup=False, soft_wrap=True)

    @staticmethod
    def paint(text: str, role: str) -> str:
        return f"{_START}{role}{_MID}{text}{_END}"

    def text(self, painted: str):
        """The rich ``Text`` of a painted string."""
        from rich.text import Text

        out = Text()
        pos = 0
        for m in self._re.finditer(painted):
            out.append(painted[pos:m.start()])
            out.append(m.group(2), style=THEME.get(m.group(1), ""))
            pos = m.end()
        out.append(painted[pos:])
        return out

    def emit(self, painted: str) -> None:
        self.console.print(self.text(painted))
