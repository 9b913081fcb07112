"""Compiling the generated C and loading it (ctypes, from the standard library).

The shared library is cached by the SHA-256 of the generated source, the compiler's
version and the flags, in ``$MODELCHECK_CACHE`` (default ``$XDG_CACHE_HOME/modelcheck``,
else ``~/.cache/modelcheck``) under ``native/``: a second run of the same spec starts at
once. The compiler is ``$CC`` or the first of ``cc``, ``gcc``, ``clang`` on the PATH
(``make install`` installs Debian's gcc when none is there: scripts/install-cc.sh).
A library is written under a temporary name and renamed into place, so two processes
building the same spec at once do not see a half-written file.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from .layout import Unsupported

#: -O1, not -O2: as fast on the bundled specs (TwoPhase RM = 8: 1.92 s against 1.88 s;
#: ZAB default 5.8 s both; MCLamportMutex 2.2 s against 2.1 s) and half the compile time
#: (ZAB's 395 KB of C: 4.2 s against 8.6 s; each ZAB configuration is a new source)
FLAGS = ("-O1", "-fno-strict-aliasing", "-shared", "-fPIC", "-std=gnu11", "-w")
RUNTIME = (Path(__file__).with_name("runtime.c")).read_text()


class CompilerMissing(Unsupported):
    """No C compiler on this machine."""


class BuildFailed(Unsupported):
    """The C compiler refused the generated code: a bug of ours, never of the spec. The
    source is kept (``kept``) for the report; ``auto`` runs Python meanwhile."""

    def __init__(self, message: str, kept: Path | None):
        super().__init__(message)
        self.kept = kept


@lru_cache(maxsize=1)
def compiler() -> tuple[str, str] | None:
    """(path, version line) of the C compiler, or None."""
    names = [os.environ["CC"]] if os.environ.get("CC") else ["cc", "gcc", "clang"]
    for name in names:
        path = shutil.which(name)
        if path is None:
            continue
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue
        if out.returncode == 0:
            return path, (out.stdout.splitlines() or ["?"])[0]
    return None


def cache_dir() -> Path:
    base = os.environ.get("MODELCHECK_CACHE")
    if base:
        return Path(base) / "native"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg or Path.home() / ".cache") / "modelcheck" / "native"


class BuildTimeUp(Exception):
    """The time left to the run (``--time-limit``) ran out while the C compiler worked:
    it was stopped, and nothing is cached (the next run compiles again)."""


class Built:
    """A loaded library and the facts about its build."""

    def __init__(self, lib: ctypes.CDLL, path: Path, cached: bool, seconds: float):
        self.lib = lib
        self.path = path
        self.cached = cached
        self.seconds = seconds


_loaded: dict[str, ctypes.CDLL] = {}


def build(source: str, timeout: float | None = None) -> Built:
    """Compile ``source`` (or find it in the cache) and load it; the compiler gets
    ``timeout`` seconds (the time left to the run) at most, else :class:`BuildTimeUp`."""
    import time

    cc = compiler()
    if cc is None:
        raise CompilerMissing("no C compiler found (cc, gcc or clang; `make install` installs gcc)")
    key = hashlib.sha256("\0".join((source, cc[1], " ".join(FLAGS))).encode()).hexdigest()[:32]
    d = cache_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        if not os.access(d, os.W_OK):
            raise PermissionError(str(d))
    except OSError:
        # a cache that cannot be written (a read-only home): this process's own
        d = Path(tempfile.gettempdir()) / f"modelcheck-native-{os.getuid() if hasattr(os, 'getuid') else 0}"
        d.mkdir(parents=True, exist_ok=True)
    lib_path = d / f"mc_{key}.so"
    t0 = time.monotonic()
    cached = lib_path.exists()
    if not cached:
        with tempfile.TemporaryDirectory(dir=d) as tmp:
            c_path = Path(tmp) / "model.c"
            c_path.write_text(source)
            out_path = Path(tmp) / "model.so"
            try:
                proc = subprocess.run([cc[0], *FLAGS, "-o", str(out_path), str(c_path)], capture_output=True,
                                      text=True, timeout=600 if timeout is None else max(0.01, min(600, timeout)))
            except subprocess.TimeoutExpired:
                if timeout is not None and timeout < 600:
                    raise BuildTimeUp() from None
                raise
            if proc.returncode != 0:
                # our generator's fault, never the user's: keep the source for the report
                keep = d / f"mc_{key}.failed.c"
                keep.write_text(source)
                first = next((line for line in proc.stderr.splitlines() if "error" in line), proc.stderr[:200])
                raise BuildFailed(f"internal: the C compiler refused the generated code ({first.strip()}); "
                                  f"this is a bug in modelcheck: please report it with {keep}", keep)
            os.replace(out_path, lib_path)
    lib = _loaded.get(str(lib_path))
    if lib is None:
        lib = ctypes.CDLL(str(lib_path))
        _declare(lib)
        _loaded[str(lib_path)] = lib
    return Built(lib, lib_path, cached, time.monotonic() - t0)


def _declare(lib: ctypes.CDLL) -> None:
    P, I64, I = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int
    VP = ctypes.POINTER(ctypes.c_int64)
    sigs = {
        "mc_new": (P, [I64, I64, I, I]),
        "mc_set_dfs": (None, [P]),
        "mc_free": (None, [P]),
        "mc_nlabels": (I, []),
        "mc_add_initial": (I, [P, VP]),
        "mc_find": (I64, [P, VP]),
        "mc_get": (None, [P, I64, VP]),
        "mc_parent": (I64, [P, I64]),
        "mc_count": (I64, [P]),
        "mc_generated": (I64, [P]),
        "mc_depth": (I64, [P]),
        "mc_queue": (I64, [P]),
        "mc_max_frontier": (I64, [P]),
        "mc_info": (VP, [P]),
        "mc_next": (VP, [P]),
        "mc_coverage": (None, [P, VP, VP]),
        "mc_mark_violated": (None, [P, I]),
        "mc_run": (I, [P, I64]),
        "mc_canon_state": (None, [VP]),
        "mc_record": (None, [P]),
        "mc_ndyn": (I64, [P]),
        "mc_dyn": (I, [P, I64, VP]),
        "mc_graph": (VP, [P, ctypes.POINTER(VP), ctypes.POINTER(VP), VP]),
        "mc_states": (None, [P, I64, I64, VP]),
        "mc_ncomp": (I, []),
        "mc_cw": (I64, []),
        # partition mode (a parallel worker)
        "mc_part_set": (I, [P, I, I]),
        "mc_part_owner": (I, [P, VP]),
        "mc_part_words": (I, [P, ctypes.POINTER(I), I, I64]),
        "mc_part_sample": (I64, [P, ctypes.POINTER(I), I, VP]),
        "mc_sample_on": (None, [P]),
        "mc_part_balance": (I64, [P, ctypes.POINTER(I), I, I, I, I, VP, VP]),
        "mc_part_box": (P, [P, I, VP]),
        "mc_part_clear": (None, [P]),
        "mc_part_level": (I64, [P]),
        "mc_part_cov_from": (None, [P, I, VP, I64]),
        "mc_part_nlabels_from": (I64, [P, I]),
        "mc_part_admit": (I, [P, P, I64, I, VP]),
    }
    for name, (res, args) in sigs.items():
        f = getattr(lib, name)
        f.restype = res
        f.argtypes = args
