"""The symbolic backend: a spec's typed IR translated to z3 (docs/symbolic.md).

* :mod:`.sorts`: types as z3 sorts; Python values to terms and back.
* :mod:`.encode`: expressions, ``init`` and actions as formulas (MC500 / MC501 for what
  it does not translate).
* :mod:`.problem`: a spec ready for z3; counterexamples decoded and replayed through the
  explicit successor function.
* :mod:`.bmc`: ``modelcheck bmc`` (bounded model checking, shortest counterexample first).
* :mod:`.prove`: ``modelcheck prove`` (inductive invariants, k-induction, every size).
* :mod:`.crosscheck`: the explicit and the symbolic backends compared on a spec.

Depends on the IR, the checker's tables (:mod:`modelcheck.dsl.checked`), the types and
values, and the result types; never on the explicit explorer (:mod:`modelcheck.search`).
"""

from .bmc import bmc
from .prove import ProofResult, prove

__all__ = ["bmc", "prove", "ProofResult"]
