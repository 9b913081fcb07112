"""``import`` and ``extends``: one spec made of several files.

``import "common.mc"`` brings in the other file's definitions (model-value sets,
constants, enums, type aliases, defs); ``extends "base.mc"`` brings in all of it
(variables, init, actions, properties, fairness, configs too), and the extending spec
adds declarations of its own. Names are shared, as if every declaration were written in
the one file: a name declared twice is a duplicate (MC101), whichever files the two come
from. There is no overriding: a spec that must change an action of another extends a
common base instead (the TLA+ way: ACP_NB extends ACP_SB's definitions, not its Next).

The result is one :class:`~modelcheck.ir.Module` with the main file's name, the
included declarations first (in include order, each file once), then the main file's;
every node keeps the span of the file it was written in, and ``Module.sources`` holds
every file's text for carets. Paths are relative to the including file; a missing file or
a cycle is an MC110 error at the ``import`` / ``extends``.

Depends on :mod:`modelcheck.ir`, :mod:`modelcheck.dsl.parse` and the diagnostics only.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import ir
from ..diagnostics import Code, Diagnostic, SpecError
from .parse import parse

#: what ``import`` takes from a file: its definitions, not its behaviour
DEFINITIONS = (ir.ModelsDecl, ir.ConstDecl, ir.EnumDecl, ir.TypeDecl, ir.DefDecl)

#: node ids of each included file start this far apart (a file has far fewer nodes)
ID_STRIDE = 10**7

#: a spec made of more files than this is refused (an include chain gone wrong)
MAX_FILES = 100


def resolve(module: ir.Module, read=None) -> ir.Module:
    """``module`` with its ``import`` / ``extends`` declarations replaced by what they
    bring in (the module itself when it has none). ``read(path) -> str`` reads a file
    (default: UTF-8 from disk)."""
    if not any(isinstance(d, ir.IncludeDecl) for d in module.decls):
        return module
    read = read or (lambda p: Path(p).read_text(encoding="utf-8").removeprefix("\ufeff"))
    r = _Resolver(module, read)
    decls = r.expand(module, (os.path.abspath(module.file),))
    if r.errors:
        raise SpecError(r.errors, source=r.sources_map())
    return ir.Module(module.id, module.name, tuple(decls), source=module.source, file=module.file,
                     spans=r.spans, sources={f: t for f, t in r.sources.items() if f != module.file})


class _Resolver:
    def __init__(self, main: ir.Module, read):
        self.main = main
        self.read = read
        self.spans = dict(main.spans)
        self.sources: dict[str, str] = {main.file: main.source}
        self.done: dict[str, tuple[tuple, tuple]] = {}     # absolute path -> (all decls, definitions)
        self.errors: list[Diagnostic] = []
        self.next_id = ID_STRIDE

    def sources_map(self) -> dict:
        return dict(self.sources)

    def expand(self, module: ir.Module, stack: tuple[str, ...]) -> list:
        out: list = []
        for d in module.decls:
            if not isinstance(d, ir.IncludeDecl):
                out.append(d)
                continue
            got = self.include(module, d, stack)
            if got is None:
                continue
            everything, definitions = got
            for x in (everything if d.kind == "extends" else definitions):
                if not any(x is y for y in out):
                    out.append(x)
        # included declarations first: a file reads as its bases, then itself
        inc = [x for x in out if self.spans.get(x.id) is not None and self.spans[x.id].file != module.file]
        own = [x for x in out if not any(x is y for y in inc)]
        return inc + own

    def include(self, module: ir.Module, d: ir.IncludeDecl, stack: tuple[str, ...]):
        sp = module.spans.get(d.id) or self.spans.get(d.id)
        base = os.path.dirname(module.file) if module.file not in ("", "<spec>") else "."
        path = os.path.normpath(os.path.join(base, d.path))
        key = os.path.abspath(path)
        if key in stack:
            chain = " -> ".join(os.path.basename(p) for p in stack + (key,))
            self.errors.append(Diagnostic(Code.BAD_INCLUDE, f"`{d.kind} \"{d.path}\"` makes a cycle: {chain}", sp,
                                          hint="move what both files need into a third file that both import"))
            return None
        if key in self.done:
            return self.done[key]
        if len(self.done) >= MAX_FILES:
            self.errors.append(Diagnostic(Code.BAD_INCLUDE, f"a spec may be made of at most {MAX_FILES} files", sp))
            return None
        try:
            text = self.read(path)
        except (OSError, UnicodeDecodeError) as e:
            why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            self.errors.append(Diagnostic(Code.BAD_INCLUDE, f"cannot {d.kind} \"{d.path}\": {path}: {why}", sp))
            return None
        try:
            sub = parse(text, path, first_id=self.next_id)
        except SpecError as e:
            self.sources[path] = text
            self.errors.extend(e.diagnostics)
            return None
        self.next_id += ID_STRIDE
        self.sources[path] = text
        self.spans.update(sub.spans)
        everything = tuple(self.expand(sub, stack + (key,)))
        definitions = tuple(x for x in everything if isinstance(x, DEFINITIONS))
        self.done[key] = (everything, definitions)
        return self.done[key]
