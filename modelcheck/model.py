"""The narrow interface between a specification and the search.

The explorer, the trace tools and the renderers see a spec only through :class:`Model`.
A compiled ``.mc`` spec is one implementation (``modelcheck.compile``); tests also feed
hand-written Python models (see :class:`SimpleModel`), so the search is tested apart
from the language.

A *state* is a flat tuple of immutable, hashable values, one per variable, in declared
order. A *label* is a small int naming an action instance (an action with concrete
parameter values); ``Model.describe(label)`` turns it back into words. ``successors``
must be deterministic: the same state gives the same list in the same order, because
counterexamples are rebuilt by replaying it.

Optional capabilities are :class:`typing.Protocol` classes, checkable at run time with
``isinstance`` (never probed with ``getattr``/``hasattr``): :class:`HasTemporal`,
:class:`HasVarTypes`, :class:`HasParamTypes`, :class:`HasStepRoles`, for the trace
tools (``modelcheck.conform``) :class:`HasStaticInstances` and :class:`Traceable`, which
hands over :class:`SpecSignature`, the typed artifact the front end builds for them (the
trace tools never read the checker's tables), and for the parallel search
:class:`HasDynamicLabels`. :func:`temporal_properties` and
:func:`fairness` read the optional liveness part of any model.

Depends on nothing else in the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

State = tuple
Label = int


class PropertyClass(StrEnum):
    """What a property is about (the tag after its name in a spec: ``invariant X [agreement]``).
    ``CONSTRAINT`` marks a state constraint and ``DEADLOCK`` the built-in deadlock check;
    neither is written in a spec. Str-valued: text and JSON show the value."""

    AGREEMENT = "agreement"
    INTEGRITY = "integrity"
    VALIDITY = "validity"
    TERMINATION = "termination"
    TYPING = "typing"
    CONSTRAINT = "constraint"
    DEADLOCK = "deadlock"


#: the classes a spec may write after a property's name, in the order docs list them
SPEC_CLASSES = (PropertyClass.AGREEMENT, PropertyClass.INTEGRITY, PropertyClass.VALIDITY,
                PropertyClass.TERMINATION, PropertyClass.TYPING)


class FairnessStrength(StrEnum):
    """``weak A`` (TLA+'s WF) or ``strong A`` (SF)."""

    WEAK = "weak"
    STRONG = "strong"


@dataclass(frozen=True, slots=True)
class StateProperty:
    """An invariant (or a state constraint): ``check(state) -> bool``.

    ``reads`` are the indices of the variables it depends on (``None``: unknown, all);
    the explorer may skip re-checking a state whose read variables are identical to its
    parent's, since the parent already passed."""

    name: str
    cls: str
    check: Callable[[State], bool]
    reads: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class StepProperty:
    """An action property: ``check(old, new) -> bool``, with TLA+'s ``[][P]_v`` meaning:
    a step that leaves every variable in ``reads`` unchanged satisfies it."""

    name: str
    cls: str
    check: Callable[[State, State], bool]
    reads: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class TemporalProperty:
    """A temporal property over state predicates ``p`` (and ``q``), decided on the whole
    state graph by :mod:`modelcheck.liveness`. ``kind`` is one of

    * ``"eventually"``          <>P
    * ``"always_eventually"``   []<>P
    * ``"eventually_always"``   <>[]P
    * ``"leadsto"``             P ~> Q, that is [](P => <>Q)
    * ``"always"``              []P (an invariant written as a temporal formula)
    * ``"reachable"``           some reachable state satisfies P (not LTL: a witness is
      printed when it holds)

    ``instance`` describes the binding of a ``forall`` the formula was expanded from
    (``"r=r1"``); a property with several instances holds when all of them hold."""

    name: str
    cls: str
    kind: str
    p: Callable[[State], bool]
    q: Callable[[State], bool] | None = None
    instance: str = ""


@dataclass(frozen=True, slots=True)
class Fairness:
    """``weak A`` / ``strong A``: TLA+'s WF_vars(A) / SF_vars(A), with A the disjunction of
    every instance of the action; ``per_instance`` (``A(*)``) makes one condition per
    parameter instance, as ``\\A p : WF_vars(A(p))``. Only steps that change the state
    count, as in TLA+'s ``<<A>>_vars``: an instance whose only step is a self-loop is not
    enabled."""

    strength: FairnessStrength
    action: str
    per_instance: bool = False
    #: a group (``weak (A(p) or B(p))``, TLA+'s WF over a disjunction): ``(action, key
    #: parameter positions)`` per member; ``action`` is then the group's text. Its steps
    #: are every member's; with keys, one condition per value of the keys
    #: (``\A p: WF(A(p) \/ B(p))``), without, one for the whole group
    group: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def show(self) -> str:
        if self.group:
            return f"{self.strength} {self.action}"
        return f"{self.strength} {self.action}{'(*)' if self.per_instance else ''}"

    def members(self) -> tuple[tuple[str, tuple[int, ...] | None], ...]:
        """``(action, key positions)`` for each action the condition covers; positions
        None: every parameter (``A(*)``), ``()``: none (one condition for all instances)."""
        if self.group:
            return self.group
        return ((self.action, None if self.per_instance else ()),)

    def key(self, action: str, values: tuple) -> tuple | None:
        """The instance of this condition a step of ``action`` with parameter ``values``
        belongs to (None: the condition does not cover the action)."""
        for name, pos in self.members():
            if name == action:
                return values if pos is None else tuple(values[i] for i in pos)
        return None


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """What a label means: the action's name and its parameters as (name, printed value)."""

    action: str
    params: tuple[tuple[str, str], ...] = ()
    #: the raw parameter values (for ITF ``mbt::nondetPicks`` and replay)
    values: tuple = ()

    def show(self) -> str:
        if not self.params:
            return self.action
        return f"{self.action}(" + ", ".join(f"{n}={v}" for n, v in self.params) + ")"


@dataclass(frozen=True, slots=True, order=True)
class Lane:
    """A process, as a sequence chart draws it: lanes sort by ``group`` (the order in
    which the spec's actions first name a process of that kind), then by ``order`` (the
    value's :func:`~modelcheck.values.vkey`); ``name`` is what the lane header says."""

    group: int
    order: Any
    name: str


@dataclass(frozen=True, slots=True)
class StepRoles:
    """Who acts in a step and what it communicates, from the action's ``process``,
    ``sends``, ``receives``, ``crashes`` and ``restarts`` clauses. Messages are
    ``(key, shown)``: equal keys are the same message (a receive is matched to a send
    of an equal key)."""

    process: Lane | None = None
    sends: tuple[tuple[Any, str], ...] = ()
    receives: tuple[tuple[Any, str], ...] = ()
    #: "crash" | "restart" | None
    event: str | None = None


class ActionAssertionFailed(Exception):
    """Raised by ``Model.successors`` when an in-action assertion fails.

    ``label`` is the action instance, ``prop`` a property name for the report."""

    def __init__(self, prop: str, label: Label, message: str):
        super().__init__(message)
        self.prop = prop
        self.label = label
        self.message = message


class BackendUnsupported(Exception):
    """A model the requested backend cannot run: ``message`` says what is missing,
    ``located`` is the full report (``file:line:col``, the line and a caret, MC600)
    when a construct of the spec is the reason."""

    def __init__(self, message: str, located: str | None = None):
        super().__init__(located or message)
        self.message = message
        self.located = located


class BackendFallback(Exception):
    """Raised by a native backend's strategy when it cannot finish a run that the
    Python backend can (a runtime error in the spec, to be reported with its source
    location; memory): the caller repeats the run on Python. ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Model(Protocol):
    """What the search needs to know about a specification."""

    name: str
    #: variable names in state-tuple order
    variables: tuple[str, ...]
    invariants: tuple[StateProperty, ...]
    step_properties: tuple[StepProperty, ...]
    constraints: tuple[StateProperty, ...]
    #: names of every action, for coverage ("never enabled" warnings)
    action_names: tuple[str, ...]
    # optional: temporal_properties and fairness (:class:`HasTemporal`; read them with
    # :func:`temporal_properties` / :func:`fairness`, empty when absent)

    def initial_states(self) -> Sequence[State]: ...

    def successors(self, state: State) -> Sequence[tuple[Label, State]]: ...

    def describe(self, label: Label) -> ActionInfo: ...

    def show_value(self, var: int, value: Any) -> str: ...

    def canonicalizer(self) -> Callable[[State], State] | None:
        """The symmetry representative function, or None when nothing is symmetric."""
        ...

    def explain(self, state: State, exc: BaseException) -> BaseException:
        """Turn an exception raised while evaluating ``state`` into a helpful error
        (re-evaluating with diagnostics on); may return ``exc`` unchanged."""
        ...

    # Optional capabilities: the Protocols below (isinstance(model, HasStepRoles), ...).


# ----------------------------------------------------------------------------- optional capabilities


@runtime_checkable
class HasTemporal(Protocol):
    """A model with liveness: temporal properties and the fairness they assume."""

    temporal_properties: tuple[TemporalProperty, ...]
    fairness: tuple[Fairness, ...]


def temporal_properties(model: Model) -> tuple[TemporalProperty, ...]:
    """The model's temporal properties (none for a model without :class:`HasTemporal`)."""
    return tuple(model.temporal_properties) if isinstance(model, HasTemporal) else ()


def fairness(model: Model) -> tuple[Fairness, ...]:
    """The model's fairness conditions (none for a model without :class:`HasTemporal`)."""
    return tuple(model.fairness) if isinstance(model, HasTemporal) else ()


def checks_deadlock(model: Model, asked: bool | None = None) -> bool:
    """Whether a search reports states without successors: ``asked`` when the run says
    (--deadlock / --no-deadlock), else the model's own default (a spec's ``options {
    deadlock = false }``; an optional ``check_deadlock`` attribute), else yes."""
    if asked is not None:
        return asked
    return bool(getattr(model, "check_deadlock", True))


@runtime_checkable
class HasVarTypes(Protocol):
    """The declared type of every variable, in state order (values print by their type)."""

    var_types: Sequence[Any]


@runtime_checkable
class HasParamTypes(Protocol):
    """The declared types of an action's parameters (ITF output, trace decoding)."""

    def param_types(self, action: str) -> Sequence[Any]: ...


@runtime_checkable
class HasStepRoles(Protocol):
    """Who acts in a step and what it sends: what sequence charts draw."""

    def step_roles(self, label: Label, state: State) -> StepRoles | None:
        """The roles of the step taking ``label`` from ``state``."""
        ...

    def lanes(self) -> list[Lane]:
        """Every process the spec can name (finite process types only)."""
        ...


@runtime_checkable
class HasStaticInstances(Protocol):
    """Labels ``0 .. static_instances()-1`` are every instance of the actions whose
    parameter domains are constant (test generation, trace validation)."""

    def static_instances(self) -> int: ...


@runtime_checkable
class HasDynamicLabels(Protocol):
    """Labels numbered during a search, on first sight (instances of actions whose
    parameters range over a state-dependent set), after the ``static_instances()``
    static ones: two processes searching the same model number them differently. A
    parallel search translates a worker's labels through their keys: ``dynamic_labels()``
    lists the keys (picklable) in label order, ``dynamic_label(*key)`` is the label of a
    key here (numbered now if new). A model that numbers labels as it goes and lacks
    this capability cannot be searched by parallel workers."""

    def static_instances(self) -> int: ...

    def dynamic_labels(self) -> list: ...

    def dynamic_label(self, *key) -> int: ...


@runtime_checkable
class Rebuildable(Protocol):
    """A model that another machine can build for itself: ``recipe`` is a picklable
    callable (no argument) that returns an equal model there (a spec's text, path,
    constants and configuration, compiled again). A search on a cluster
    (:mod:`modelcheck.search.cluster`) sends it instead of the model, whose compiled
    closures do not cross the network."""

    recipe: Any


@dataclass(frozen=True, slots=True)
class ActionSignature:
    """An action as traces name it: its name and its parameters' names, in order."""

    name: str
    params: tuple[str, ...] = ()
    #: the names its ``pick`` statements bind: a trace may record them beside the
    #: parameters (ITF ``mbt::nondetPicks``, as counterexamples are written)
    picks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SpecSignature:
    """What the trace tools need to know about a spec, built by the front end: the actions
    in spec order (an event's action index is its position here), and the model-value sets
    (``(name, value names)``, for hints about a trace from another configuration)."""

    actions: tuple[ActionSignature, ...]
    model_sets: tuple[tuple[str, tuple[str, ...]], ...] = ()


@runtime_checkable
class Traceable(Protocol):
    """A model the trace tools can validate traces against: a :class:`SpecSignature`, its
    actions compiled one by one, and an explainer that re-evaluates an action's guards
    with diagnostics on (``modelcheck.dsl.explain.Explainer`` for a compiled spec)."""

    signature: SpecSignature

    def param_types(self, action: str) -> Sequence[Any]: ...

    def static_instances(self) -> int: ...

    def action_function(self, ai: int) -> Callable[..., list]: ...

    def show_state(self, state: State) -> str: ...

    def explainer(self) -> Any: ...


@dataclass
class SimpleModel:
    """A hand-written model: plain Python functions, for tests and small experiments.

    ``next`` maps a state to a list of ``(action_name, params_tuple, next_state)``.
    Labels are assigned on first sight, in a deterministic order."""

    name: str
    variables: tuple[str, ...]
    init: Callable[[], Sequence[State]]
    next: Callable[[State], Sequence[tuple[str, tuple, State]]]
    invariants: tuple[StateProperty, ...] = ()
    step_properties: tuple[StepProperty, ...] = ()
    constraints: tuple[StateProperty, ...] = ()
    action_names: tuple[str, ...] = ()
    canon: Callable[[State], State] | None = None
    temporal_properties: tuple[TemporalProperty, ...] = ()
    fairness: tuple[Fairness, ...] = ()
    _labels: dict = field(default_factory=dict, repr=False)
    _infos: list = field(default_factory=list, repr=False)

    def initial_states(self) -> Sequence[State]:
        return list(self.init())

    def successors(self, state: State) -> list[tuple[Label, State]]:
        out = []
        labels = self._labels
        for action, params, t in self.next(state):
            label = labels.get((action, params))
            out.append((self.dynamic_label(action, params) if label is None else label, t))
        return out

    def describe(self, label: Label) -> ActionInfo:
        return self._infos[label]

    # labels are numbered on first sight: HasDynamicLabels, for a parallel search
    def static_instances(self) -> int:
        return 0

    def dynamic_labels(self) -> list:
        return [k for k, _ in sorted(self._labels.items(), key=lambda kv: kv[1])]

    def dynamic_label(self, action: str, params: tuple) -> int:
        key = (action, params)
        label = self._labels.get(key)
        if label is None:
            label = self._labels[key] = len(self._infos)
            self._infos.append(ActionInfo(action, tuple((f"p{i + 1}", repr(v)) for i, v in enumerate(params)), params))
        return label

    def show_value(self, var: int, value: Any) -> str:
        return repr(value)

    def canonicalizer(self):
        return self.canon

    def explain(self, state: State, exc: BaseException) -> BaseException:
        return exc
