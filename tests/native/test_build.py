"""Building the generated C: a compiler that refuses it (a bug of ours) and a cache that
cannot be written never stop a check: ``auto`` runs Python and says why, ``c`` says so."""

from __future__ import annotations

import pytest

from modelcheck.api import load
from modelcheck.model import BackendUnsupported
from modelcheck.native import build as native_build
from modelcheck.native import explore
from modelcheck.search import Options
from tests.helpers import TWOPHASE

pytestmark = pytest.mark.skipif(native_build.compiler() is None, reason="no C compiler (scripts/install-cc.sh)")


def test_a_refused_build_falls_back_to_python_and_keeps_the_source(monkeypatch, tmp_path):
    monkeypatch.setenv("MODELCHECK_CACHE", str(tmp_path))
    monkeypatch.setattr(native_build, "FLAGS", native_build.FLAGS + ("-DMC_BROKEN=1", "-include", "/nonexistent.h"))
    spec = load(TWOPHASE)          # a fresh model: no engine cached on it
    r = explore(spec.model, Options(backend="auto"))
    assert r.backend == "python" and r.distinct_states == 288
    assert "bug in modelcheck" in r.backend_note
    kept = list((tmp_path / "native").glob("*.failed.c"))
    assert len(kept) == 1 and "mc_succ" in kept[0].read_text()
    with pytest.raises(BackendUnsupported, match="refused the generated code"):
        explore(spec.model, Options(backend="c"))


def test_an_unwritable_cache_builds_elsewhere(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"          # a cache under a file cannot be made, even by root
    blocker.write_text("")
    monkeypatch.setenv("MODELCHECK_CACHE", str(blocker / "cache"))
    spec = load(TWOPHASE)
    r = explore(spec.model, Options(backend="c"))
    assert r.backend == "c" and r.distinct_states == 288
