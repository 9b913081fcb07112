"""Conformance: implementation traces checked against a spec, and traces generated from it.

* :mod:`.events`   reading traces (implementation JSON lines, ITF) into decoded events
* :mod:`.validate` the candidate-set validator (``modelcheck trace validate``)
* :mod:`.explain`  why a step cannot be explained: the spec's guards re-evaluated
* :mod:`.replay`   an ITF trace replayed with every variable observed (``modelcheck replay``)
* :mod:`.generate` covering traces and seeded random walks (``modelcheck trace generate``)
* :mod:`.render`   text for all of the above

These modules see a spec only through the compiled model (:class:`modelcheck.dsl.compile.
CompiledModel`): the model protocol plus its trace functions (``action_function``,
``expr_function``, ``type_check_function``, ``static_instances``). docs/conformance.md is
the user documentation.
"""
