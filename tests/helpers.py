"""Plain helpers shared by the tests: the paths of the bundled specs, specs loaded once
per session, one reachable-states search, one command-line runner. Fixtures live in
tests/conftest.py (this module defines none, and conftest.py is never imported).

How the tests import each other (the decision, and why):

* ``tests/`` and each directory under it that holds tests is a package (it has an
  ``__init__.py``). Under pytest's default import mode ("prepend") a test module is
  then imported by its full dotted name (``tests.search.test_explore``), with the
  repository root put on ``sys.path``; helper modules are imported the same way, by full
  name: ``from tests.helpers import TWOPHASE, load_spec``,
  ``from tests.models.handwritten import twophase``,
  ``from tests.conform.conform_helpers import spec``.
* So ``pytest`` from the repository root, ``pytest tests/search/test_explore.py``, and
  pytest started from any other directory resolve the same modules, and two test files
  may share a basename in different directories.
* Rejected: bare-name imports (``from conftest import SPECS``, ``from handwritten
  import ...``), which worked only because conftest.py put ``tests/`` on ``sys.path`` and
  pytest put each test's own directory there ("rootdir-relative"): two helpers with the
  same name in two directories silently become one module, and conftest.py ran twice
  (once as a plugin, once as the module ``conftest``). ``--import-mode=importlib`` was
  rejected too: test modules could no longer import their sibling helpers by name.
* A new test directory: add an ``__init__.py`` (one line saying what it tests) and
  import helpers by full name. A directory without one still works (pytest imports its
  files by basename), but then its file names must be unique across all such
  directories.
"""

from __future__ import annotations

import functools
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
TRACES = ROOT / "traces"

# The bundled specs, as strings with forward slashes: a command line takes them as they
# are (``main(["check", TWOPHASE])``), so does a TOML manifest, and ``load`` accepts them;
# ``Path(TWOPHASE)`` to read one.
TWOPHASE = (SPECS / "twophase" / "twophase.mc").as_posix()
CRASH = (SPECS / "twophase" / "crash.mc").as_posix()
DURABLE = (SPECS / "twophase" / "durable.mc").as_posix()
TCOMMIT = (SPECS / "tcommit" / "tcommit.mc").as_posix()
ZAB = (SPECS / "zab" / "zab.mc").as_posix()
MUTEX = (SPECS / "lamport" / "mutex.mc").as_posix()
CLOCKS = (SPECS / "lamport" / "clocks.mc").as_posix()
TOB = (SPECS / "lamport" / "tob.mc").as_posix()


def load_spec(path, config=None, **consts):
    """``modelcheck.load(path, consts=consts, config=config)``, loaded once per test
    process and shared: the same arguments give the same :class:`Spec` object (zab.mc
    takes about 2 s to load, and dozens of tests load it).

    Constants are real values, as for ``load`` (``RM=4``, ``BugCommitOnAny=True``,
    ``RM=("a", "b")``); they must be hashable. Sharing is safe because a check never
    changes a spec's behaviour: the compiled model's only mutable parts are caches
    (label numbers of dynamic actions, the canonicalizer, the debug build), which change
    no count, verdict or trace. A test that edits the text or needs a fresh spec calls
    ``load`` itself."""
    return _load(str(path), config, tuple(sorted(consts.items())))


@functools.lru_cache(maxsize=None)
def _load(path, config, consts):
    from modelcheck import load

    return load(path, consts=dict(consts) or None, config=config)


def reachable(model) -> list:
    """Every reachable state of ``model``, in breadth-first discovery order (a list, so
    the order is the same on every run; ``set(reachable(m))`` to compare).

    The explorer's semantics for state constraints (TLC's CONSTRAINT): a state, initial
    or successor, that violates a constraint is discarded: not returned, not expanded.
    Nothing else of the explorer: no symmetry, no invariant or step property, no
    stopping at a violation. A state whose successors raise ``ActionAssertionFailed`` (a
    failing ``assert`` in an action) is returned but not expanded. Written here, apart
    from modelcheck.search, so that the explorer's counts can be checked against it."""
    from modelcheck.model import ActionAssertionFailed

    constraints = [c.check for c in model.constraints]
    seen: dict = {}
    queue: deque = deque()
    for s in model.initial_states():
        if s not in seen and all(c(s) for c in constraints):
            seen[s] = None
            queue.append(s)
    while queue:
        s = queue.popleft()
        try:
            successors = model.successors(s)
        except ActionAssertionFailed:
            continue
        for _, t in successors:
            if t not in seen and all(c(t) for c in constraints):
                seen[t] = None
                queue.append(t)
    return list(seen)



def bfs_depth(model) -> int:
    """States on the longest shortest path from an initial state (the initial state
    counted), by a plain level-by-level walk, apart from modelcheck.search (no state
    constraints: for specs without them)."""
    level = set(model.initial_states())
    seen, depth = set(level), 0
    while level:
        depth += 1
        nxt = set()
        for s in level:
            for _, t in model.successors(s):
                if t not in seen:
                    seen.add(t)
                    nxt.add(t)
        level = nxt
    return depth


def named(spec, state) -> dict:
    """A state as {variable: value}."""
    return dict(zip(spec.model.variables, state))


def replay(spec, trace) -> None:
    """Assert that ``trace`` is a real behaviour of ``spec``: an initial state, then
    steps each of which the model takes with its label."""
    m = spec.model
    assert trace.states[0] in m.initial_states()
    for s, label, t in zip(trace.states, trace.labels[1:], trace.states[1:]):
        assert (label, t) in m.successors(s)


def run(capsys, *argv, main=None):
    """Run a command line in-process: ``(exit code, stdout, stderr)``. Each argument is
    passed through ``str`` (paths welcome); argparse's own exits (usage errors,
    ``--help``) give their status as the exit code. ``main`` is ``modelcheck.cli.main`` unless
    another entry point is given (``reference.twophase.cli.main``)."""
    if main is None:
        from modelcheck.cli import main
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # argparse: --help, --version, a malformed command line
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err
