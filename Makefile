# The two commands of the README:
#   make check   install everything into .venv, check every bundled spec, write reports/
#   make test    install everything into .venv, run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: check test test-fast test-deep bench install cc browser zookeeper traces architecture clean

check: install cc
	$(BIN)/modelcheck suite specs/suite.toml --report reports

# the suite runs on every core (pytest-xdist; work stealing balances the long exhaustive runs)
test: install cc browser zookeeper
	$(BIN)/python -m pytest -q -n auto --dist worksteal

test-fast: install cc
	$(BIN)/python -m pytest -q -n auto -m "not slow"

# the searches too long for `make test` (docs/conformance.md: Hypothesis finding the two
# deepest seeded ZAB bugs, about 100 s; the ZAB seeded bugs of `faults` on the Python
# backend, minutes each; the C-against-Python comparisons run whole; a second seed of
# the reference ZooKeeper's kill-and-restart run; total order broadcast's slot-form
# cross-check, its two seeded bugs and its counterexamples without the ack conjunct,
# 15-30 s each; the longest C-against-Python comparisons whose Python run tests/specs
# also makes (abd2, paxos ballots3, tob.mc n3, zab_impl.mc order, ZAB's orbits); the
# fuzzer's seeds after the first and the ZAB simulator's 360 more seeds)
test-deep: install
	MODELCHECK_DEEP=1 $(BIN)/python -m pytest -q -n auto tests/conform/test_zab_harness.py tests/specs/test_zab_impl.py tests/specs/test_zab.py tests/native/test_differential.py tests/reference/zab/test_zab_faults.py tests/symbolic/test_tob_proof.py tests/test_fuzz.py::test_more_mutated_specs tests/test_fuzz.py::test_more_mutated_traces tests/reference/zab/test_zab_sim.py::test_many_more_seeds -m "slow or not slow"

bench: install
	$(BIN)/python benchmarks/twophase.py
	$(BIN)/python benchmarks/symmetry.py
	$(BIN)/python benchmarks/zab.py
	$(BIN)/python benchmarks/simulate.py
	$(BIN)/python benchmarks/validate.py
	$(BIN)/python benchmarks/render.py
	$(BIN)/python benchmarks/limits.py
	$(BIN)/python benchmarks/zab_ref.py
	$(BIN)/python benchmarks/symbolic.py
	$(BIN)/python benchmarks/backends.py --quick
	$(BIN)/python benchmarks/parallel.py

install: $(VENV)/.installed

# regenerate the generated traces under traces/ (traces/README.md)
traces: install
	PYTHON=$(BIN)/python bash scripts/make-traces.sh

# redraw docs/architecture.svg from docs/architecture.dot (tests/test_architecture.py checks it)
architecture: install
	$(BIN)/python -c "from modelcheck.render.svg import dot_to_svg; import pathlib; \
	pathlib.Path('docs/architecture.svg').write_text(dot_to_svg(pathlib.Path('docs/architecture.dot').read_text()))"

# a C compiler (Debian's gcc) for the C backend, modelcheck.native (docs/native.md):
# apt-get as root when missing; elsewhere install one or set MODELCHECK_SKIP_CC=1
cc:
	bash scripts/install-cc.sh

# Debian's chromium for tests/render/test_browser.py: apt-get as root when missing
# (CI); elsewhere install it yourself or set MODELCHECK_SKIP_BROWSER=1 (docs/rendering.md)
browser:
	bash scripts/install-browser.sh

# Debian's zookeeper (the real Apache ZooKeeper) for tests/reference/zab: apt-get as root
# when missing (CI); elsewhere install it or set MODELCHECK_SKIP_ZOOKEEPER=1
zookeeper:
	bash scripts/install-zookeeper.sh

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) reports build *.egg-info
