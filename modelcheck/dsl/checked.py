"""What the static checker hands to the compiler: the module plus typed side tables.

The checker (``check.py``) fills a :class:`Checked` for a parsed :class:`~modelcheck.ir.Module`
after binding its constants. The compiler (``compile.py``) reads only this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import ir
from ..types import EnumT, ModelT, Type


@dataclass(frozen=True, slots=True)
class Ref:
    """What a ``Name`` or ``Call`` node refers to.

    ``kind`` is one of:

    * ``"var"``: state variable; ``index`` is its position in the state tuple.
    * ``"const"``: a constant (including a model set used as a value); ``name``.
    * ``"local"``: an action parameter, bound variable, ``let`` or ``pick`` name, operator
      parameter; ``name``.
    * ``"def"``: a user operator; ``name`` (a ``Name`` refers to a 0-ary one).
    * ``"ctor"``: an enum constructor; ``name`` is the constructor, ``type`` its EnumT.
    * ``"typeset"``: a type name used as the set of all its values (a plain enum,
      ``bool``); ``type`` is that type.
    * ``"builtin"``: a built-in operator of ``docs/language.md``; ``name``.
    * ``"modelvalue"``: one model value named in an expression (``r1``); ``index`` its
      position in its set, ``type`` the set's ModelT.
    """

    kind: str
    name: str
    index: int = -1
    type: Type | None = None


@dataclass(frozen=True)
class Checked:
    module: ir.Module
    #: type of every expression node (by node id), after inference (no TVar left)
    types: dict[int, Type]
    #: resolution of every Name / Call node id
    refs: dict[int, Ref]
    #: constant values after overrides: ints, bools, frozenset of model-value indices
    consts: dict[str, Any]
    #: state variables in declaration order with their types
    variables: tuple[tuple[str, Type], ...]
    #: model-value sets by name
    models: dict[str, ModelT]
    #: enum types by name
    enums: dict[str, EnumT]
    #: model sets declared symmetric (in declaration order)
    symmetric: tuple[str, ...]
    #: declarations by kind, in source order
    defs: tuple[ir.DefDecl, ...]
    init: ir.InitDecl
    actions: tuple[ir.ActionDecl, ...]
    properties: tuple[ir.PropertyDecl, ...]
    fairness: tuple[ir.FairnessItem, ...]
    #: names of the configuration applied (or None)
    config: str | None = None
    #: the spec's `options { ... }`: whether a state without successors is reported
    #: (TLC's CHECK_DEADLOCK; a run's --deadlock / --no-deadlock overrides it)
    check_deadlock: bool = True
    #: non-fatal diagnostics (warnings)
    warnings: tuple = field(default=())

    def type_of(self, node: ir.Node) -> Type:
        return self.types[node.id]

    def var_index(self, name: str) -> int:
        for i, (n, _) in enumerate(self.variables):
            if n == name:
                return i
        raise KeyError(name)
