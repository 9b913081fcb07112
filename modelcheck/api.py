"""The Python API: load a spec, bind constants, check it.

    >>> from modelcheck import load, check
    >>> spec = load("specs/twophase/twophase.mc", consts={"RM": 4})
    >>> result = check(spec)                      # a frozen CheckResult
    >>> result.verdict, result.distinct_states

``check`` also accepts any object implementing :class:`modelcheck.model.Model` (a
hand-written Python model), so the same search serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .diagnostics import Code, Diagnostic, SpecError
from .dsl.checked import Checked
from .native import explore
from .search import Options, Strategy
from .search import simulate as search_simulate
from .model import Model
from .result import CheckResult


@dataclass(frozen=True)
class Spec:
    """A parsed, checked and compiled spec with its constants bound."""

    path: str
    checked: Checked
    model: Any  # CompiledModel

    @property
    def name(self) -> str:
        return self.checked.module.name

    @property
    def consts(self) -> dict[str, Any]:
        return dict(self.checked.consts)

    def describe_consts(self) -> str:
        """The constants as a reader would write them: ``RM={r1, r2, r3}, Bug=false``."""
        parts = []
        for name, value in self.checked.consts.items():
            if name in self.checked.models:
                m = self.checked.models[name]
                parts.append(f"{name}={{{', '.join(m.names)}}}")
            elif isinstance(value, bool):
                parts.append(f"{name}={'true' if value else 'false'}")
            else:
                parts.append(f"{name}={value}")
        return ", ".join(parts)

    def bind(self, consts: Mapping[str, Any] | None = None, config: str | None = None) -> "Spec":
        """The same spec with other constants (real values, as for :func:`load`)."""
        return load(self.path, consts=consts, config=config, text=self.checked.module.source)

    @property
    def warnings(self) -> tuple:
        return tuple(self.checked.warnings)

    @property
    def source(self) -> str:
        """The spec's text (for carets under warnings: ``w.render(spec.source)``)."""
        return self.checked.module.source


def load(
    path: str | Path,
    consts: Mapping[str, Any] | None = None,
    config: str | None = None,
    text: str | None = None,
) -> Spec:
    """Parse, check and compile a spec. Raises :class:`SpecError` with every problem found.

    ``consts`` maps constant names to real values: an ``int`` or a ``bool`` for a
    ``const``; for a ``models`` set an ``int`` n (n fresh values) or a tuple/list of ``str``
    names (``{"RM": 4}``, ``{"RM": ("a", "b")}``, ``{"Bug": True}``). Text such as ``"4"``
    is refused with an MC270 error: parsing command-line text is the command line's job."""
    from .dsl.check import check as check_module
    from .dsl.compile import compile_spec
    from .dsl.modules import resolve
    from .dsl.parse import parse

    path = str(path)
    if text is None:
        try:
            _check_spec_file(path)
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpecError([Diagnostic(Code.SPEC_UNREADABLE, f"no such spec file: {path}")]) from None
        except IsADirectoryError:
            found = sorted(p.name for p in Path(path).glob("*.mc"))
            hint = f" (the .mc files in it: {', '.join(found)})" if found else ""
            raise SpecError([Diagnostic(Code.SPEC_UNREADABLE,
                                        f"{path} is a directory; give a spec file{hint}")]) from None
        except UnicodeDecodeError as e:
            raise SpecError([Diagnostic(Code.SPEC_UNREADABLE,
                                        f"cannot read {path}: not UTF-8 text (byte {e.start})")]) from None
        except OSError as e:
            raise SpecError([Diagnostic(Code.SPEC_UNREADABLE,
                                        f"cannot read {path}: {e.strerror or e}")]) from None
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark, as some editors write
    module = resolve(parse(text, path))
    try:
        checked = check_module(module, consts=consts, config=config)
        model = compile_spec(checked)
        model.recipe = SpecRecipe(text, path, dict(consts or {}), config)   # model.Rebuildable
        return Spec(path, checked, model)
    except (RecursionError, MemoryError):
        # an expression nested so deeply that the checker's recursion, or Python's own
        # compiler (of the generated code), cannot follow it: about 150 levels
        from .dsl.parse import deepest_point

        raise SpecError([Diagnostic(Code.SYNTAX, "the spec is nested too deeply: an expression nests more "
                                    "levels than the checker supports (about 150); split it with `def` or `let`",
                                    deepest_point(text, path))], source=text) from None


@dataclass(frozen=True)
class SpecRecipe:
    """How to compile a spec again in another process (a Dask worker on another
    machine, :mod:`modelcheck.search.cluster`): its text, the path it was read from (for
    diagnostics and for the modules it imports, read there from that path), its constants
    and configuration. Calling it returns the compiled model."""

    text: str
    path: str
    consts: dict
    config: str | None

    def __call__(self) -> Model:
        return load(self.path, consts=self.consts, config=self.config, text=self.text).model


#: a spec file larger than this is refused before it is read (specs are a few KB)
MAX_SPEC_BYTES = 10 * 2**20


def _check_spec_file(path: str) -> None:
    """Refuse, before reading, what is not a spec file: a FIFO (reading would wait for a
    writer forever), a device such as /dev/zero (endless), or a file too large to be a
    spec. A missing path or a directory is left to the read, which says so."""
    import os
    import stat

    try:
        st = os.stat(path)
    except OSError:
        return
    if stat.S_ISDIR(st.st_mode):
        return
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if (
            stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)) else "not a regular file"
        raise SpecError([Diagnostic(Code.SPEC_UNREADABLE,
                                    f"{path} is {kind}, not a spec file: nothing was read")])
    if st.st_size > MAX_SPEC_BYTES:
        raise SpecError([Diagnostic(Code.SPEC_UNREADABLE,
                                    f"{path} is {st.st_size:,} bytes: too large for a spec "
                                    f"(at most {MAX_SPEC_BYTES:,})")])


def simulate(spec: Spec | Model, options: Options | None = None, **kw: Any) -> CheckResult:
    """Random simulation (:func:`modelcheck.search.simulate`): seeded random walks that
    prove nothing. Options as for :func:`check`, with ``traces``, ``seed``, ``shrink``, and
    ``depth`` (states per walk, the initial one included; ``max_depth`` by its other name)."""
    if "depth" in kw:
        kw["max_depth"] = kw.pop("depth")
    options = _options(options, kw, strategy=Strategy.SIMULATE)
    model = spec.model if isinstance(spec, Spec) else spec
    return search_simulate(model, options)


def _options(options: Options | None, kw: dict, **fixed: Any) -> Options:
    from dataclasses import replace

    kw = {**kw, **fixed}
    if options is None:
        return Options(**kw)
    return replace(options, **kw) if kw else options


def check(spec: Spec | Model, options: Options | None = None, **kw: Any) -> CheckResult:
    """Explore the state space. Options may be given as an :class:`Options` or keywords
    (``strategy="dfs"``, ``symmetry=False``, ``max_states=...``, ...)."""
    if options is None:
        options = Options(**kw)
    elif kw:
        from dataclasses import replace

        options = replace(options, **kw)
    model = spec.model if isinstance(spec, Spec) else spec
    return explore(model, options)
