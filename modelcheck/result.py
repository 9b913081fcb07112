"""Frozen results of a check: verdicts, traces, statistics, coverage.

A check returns a :class:`CheckResult`; the CLI is the only place that prints it or
turns it into an exit code. Depends on :mod:`modelcheck.model` only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .model import Label, State


class Verdict(str, enum.Enum):
    HOLDS = "holds"
    VIOLATED = "violated"
    DEADLOCK = "deadlock"
    UNDETERMINED = "undetermined"
    ERROR = "error"
    #: a random simulation (``modelcheck simulate``) found no violation: not a proof,
    #: only "not violated in the traces run" (never given by the exhaustive search)
    NOT_VIOLATED = "not-violated"

    def __str__(self) -> str:
        return self.value


#: process exit status for each overall verdict (documented in the README)
EXIT_CODES = {
    Verdict.HOLDS: 0,
    Verdict.NOT_VIOLATED: 0,
    Verdict.VIOLATED: 1,
    Verdict.DEADLOCK: 1,
    Verdict.ERROR: 2,
    Verdict.UNDETERMINED: 3,
}


class PropertyKind(str, enum.Enum):
    """What kind of property a verdict or a violation is about."""

    INVARIANT = "invariant"  # a state predicate, checked on every reachable state
    STEP = "step"  # an action property, TLA+'s [][P]_vars
    TEMPORAL = "temporal"  # decided on the whole state graph under fairness
    DEADLOCK = "deadlock"  # a reachable state with no successor at all
    ASSERTION = "assertion"  # an `assert` inside an action

    def __str__(self) -> str:
        return self.value


class StopReason(str, enum.Enum):
    """Why a search ended."""

    EXHAUSTED = "exhausted"  # every reachable state was explored
    VIOLATION = "violation"  # stopped at the first violation
    MAX_STATES = "max-states"
    MAX_DEPTH = "max-depth"
    TIME_LIMIT = "time-limit"
    MAX_MEMORY = "max-memory"
    ERROR = "error"
    TRACES = "traces"  # a simulation ran every trace it was asked for
    INTERRUPTED = "interrupted"  # Ctrl-C (SIGINT): the partial result is reported
    WORKER_LOST = "worker-lost"  # a worker process of a parallel search died (docs/parallel.md)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Trace:
    """A behaviour: ``states[0]`` is initial; ``labels[i]`` is the action instance taking
    ``states[i-1]`` to ``states[i]`` (``labels[0]`` is None).

    A lasso (an infinite behaviour) has ``loop`` set: after the last state the behaviour
    goes back to ``states[loop]`` by ``loop_label`` and repeats the cycle forever. A
    ``loop_label`` of None means stuttering: the last state is ``states[loop]`` itself
    (``loop == len(states) - 1``) and the system stays there forever."""

    states: tuple[State, ...]
    labels: tuple[Label | None, ...]
    loop: int | None = None
    loop_label: Label | None = None

    def __len__(self) -> int:
        return len(self.states)


@dataclass(frozen=True, slots=True)
class Violation:
    """A property found false. ``kind`` is ``invariant``, ``step``, ``deadlock``,
    ``assertion`` or ``temporal``; for an assertion, ``failed_label`` is the action that
    failed in the last state of ``trace``. A temporal violation's trace is a lasso
    (``trace.loop`` set), except for ``always P`` (a finite path to a bad state) and an
    unreachable ``reachable P`` (an empty trace). ``message`` says which instance of a
    ``forall`` failed, or why."""

    property: str
    cls: str
    kind: PropertyKind
    trace: Trace
    message: str = ""
    failed_label: Label | None = None


@dataclass(frozen=True, slots=True)
class Witness:
    """A ``reachable`` property that holds, with the shortest path to a state satisfying it."""

    property: str
    cls: str
    trace: Trace
    message: str = ""


@dataclass(frozen=True, slots=True)
class PropertyResult:
    name: str
    cls: str
    kind: PropertyKind
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class ActionCoverage:
    """Per action instance: transitions generated and new distinct states produced."""

    label: Label
    action: str
    instance: str
    generated: int
    distinct: int


@dataclass(frozen=True, slots=True)
class ShrinkInfo:
    """How a simulation's counterexample was shrunk: the random walk that found the
    violation (``trace``, numbered from 1) reached it in ``original_length`` states; the
    reported trace has ``length`` states, found in ``replays`` replays of shorter
    action sequences."""

    property: str
    trace: int
    original_length: int
    length: int
    replays: int
    seconds: float


@dataclass(frozen=True)
class SimulationStats:
    """Figures of a random simulation (``modelcheck simulate``). ``distinct_states``
    counts distinct state hashes (a collision may merge two states: an estimate)."""

    seed: int
    max_traces: int
    max_depth: int
    traces: int
    steps: int
    distinct_states: int
    seconds: float
    #: time spent shrinking counterexamples (included in ``seconds``)
    shrink_seconds: float = 0.0
    #: how the traces ended: ``depth`` (the bound), ``deadlock`` (no successor),
    #: ``constraint`` (a step left the state constraints), ``violation``, ``assertion``
    ends: dict = field(default_factory=dict)
    shrinks: tuple[ShrinkInfo, ...] = ()

    @property
    def walk_seconds(self) -> float:
        """Time spent walking (shrinking excluded): the rates below are per walk second."""
        return max(self.seconds - self.shrink_seconds, 0.0)

    @property
    def traces_per_second(self) -> float:
        return self.traces / self.walk_seconds if self.walk_seconds > 0 else 0.0

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.walk_seconds if self.walk_seconds > 0 else 0.0


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    stop_reason: StopReason
    properties: tuple[PropertyResult, ...]
    violations: tuple[Violation, ...]
    distinct_states: int
    generated_states: int
    #: TLC's meaning under BFS: states on the longest shortest path (initial = 1);
    #: under DFS, the deepest search stack reached.
    depth: int
    seconds: float
    #: "bfs" | "dfs" | "simulate" (a :class:`modelcheck.search.Strategy`)
    strategy: str
    symmetry: bool
    coverage: tuple[ActionCoverage, ...] = ()
    #: actions that produced no transition in the states explored: "never enabled" only
    #: when the search was exhaustive (:attr:`exhaustive`)
    never_enabled: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None
    #: witnesses of ``reachable`` properties that hold
    witnesses: tuple[Witness, ...] = ()
    #: peak size of the frontier (BFS queue or DFS stack)
    max_frontier: int = 0
    extra: dict = field(default_factory=dict)
    #: set by a random simulation (``strategy == "simulate"``), None for a search
    simulation: SimulationStats | None = None
    #: which backend searched: "python" or "c" (``--backend``); ``backend_note`` says
    #: why ``auto`` (or a failed C run) used Python
    backend: str = "python"
    backend_note: str = ""

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    @property
    def exhaustive(self) -> bool:
        """Every reachable state was explored (``--continue`` included); a search stopped
        by a violation, a deadlock, a limit or an error was not."""
        return self.stop_reason == StopReason.EXHAUSTED
