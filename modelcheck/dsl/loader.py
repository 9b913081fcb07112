"""Read, parse and check a spec in one call.

``load_file(path)`` is what the CLI uses; ``load_text`` checks a spec held in a string;
``load`` accepts either (a ``Path``, or a string without a newline naming a file, is a
path; anything else is spec text).

Depends on :mod:`modelcheck.dsl.parse` and :mod:`modelcheck.dsl.check`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..diagnostics import Diagnostic, SpecError
from .check import check
from .checked import Checked
from .parse import parse

__all__ = ["load", "load_file", "load_text"]


def load_file(path: str | os.PathLike, overrides: dict[str, str] | None = None,
              config: str | None = None) -> Checked:
    """Read the spec at ``path``, parse and check it; a missing or unreadable file is MC001."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([Diagnostic("MC001", f"cannot read spec `{p}`: no such file")]) from None
    except IsADirectoryError:
        raise SpecError([Diagnostic("MC001", f"cannot read spec `{p}`: it is a directory")]) from None
    except UnicodeDecodeError:
        raise SpecError([Diagnostic("MC001", f"cannot read spec `{p}`: it is not UTF-8 text")]) from None
    except OSError as e:
        raise SpecError([Diagnostic("MC001", f"cannot read spec `{p}`: {e.strerror or e}")]) from None
    return load_text(text, str(path), overrides, config)


def load_text(text: str, file: str = "<spec>", overrides: dict[str, str] | None = None,
              config: str | None = None) -> Checked:
    """Parse and check spec ``text`` (``file`` names it in diagnostics)."""
    return check(parse(text, file), overrides, config)


def load(path_or_text: str | os.PathLike, overrides: dict[str, str] | None = None,
         config: str | None = None) -> Checked:
    """``load_file`` for a path, ``load_text`` for spec text."""
    if isinstance(path_or_text, os.PathLike):
        return load_file(path_or_text, overrides, config)
    if "\n" not in path_or_text and (path_or_text.endswith(".mc") or os.path.exists(path_or_text)):
        return load_file(path_or_text, overrides, config)
    return load_text(path_or_text, "<spec>", overrides, config)
