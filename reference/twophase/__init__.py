"""Reference two-phase commit: sans-IO coordinator and participant state machines, a
real runtime (one OS process per role, asyncio TCP on 127.0.0.1, write-ahead logs) and a
deterministic in-process scheduler (``sim.Sim``). See docs/reference-twophase.md."""

from .coordinator import Coordinator
from .participant import Participant
from .protocol import Bugs
from .sim import Sim, Step

__all__ = ["Coordinator", "Participant", "Bugs", "Sim", "Step"]
