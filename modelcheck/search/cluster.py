"""Breadth-first search on a Dask cluster (``--cluster ADDRESS``, docs/parallel.md).

The same partitioned, level-synchronous search as :mod:`.parallel`, with Dask actors
for workers: partition ``w`` of ``n`` is a long-lived actor (:class:`PartitionActor`)
on a Dask worker, holding a :class:`~.parallel.WorkerCore` (its part of the seen map),
so the memory of the search is the sum of the machines'. The coordinator (this
process) is :class:`~.parallel.Coordinator`, the one the forked processes have; only
the transport differs: a round is a call of each actor's ``round`` method, whose
arguments (the batches other partitions sent it, pickled) and answer (its counts and
its batches) cross the network through this process.

Workers on other machines are not forked from this one: each actor builds the model
itself from its recipe (:class:`~modelcheck.model.Rebuildable`: a spec's text, path,
constants and configuration, compiled there); a model without one is sent pickled. The
C search's actors get their core from a picklable maker the caller passes
(``actor_core``: :class:`modelcheck.native.parallel.ActorCores`, which builds the
coordinator's engine layout on the actor's machine), so this module imports nothing of
the C backend.

**The Python actors' partition is Python's ``hash``**, as in :mod:`.parallel` (a C
actor's is a hash of the state's words, whatever the seed): the hot loop stays as
it is. String hashes are salted per process unless ``PYTHONHASHSEED`` is set, so every
Dask worker must run with the same ``PYTHONHASHSEED``. A Dask worker started by a
nanny (``dask worker``'s default, and :class:`LocalCluster`'s) gets ``PYTHONHASHSEED``
6640 unless told otherwise (distributed's own need of stable hashes); a worker started
with ``--no-nanny`` must be given it. At the start every actor hashes a probe (a string
and the spec's initial states), and the run is refused, with what to do, when two
actors disagree. The coordinator itself hashes nothing for the partition: the initial
states go to every actor, which keeps those it owns.

**Faults.** Every wait is bounded: the coordinator looks at its actors' answers a
hundred times a second and at the scheduler's list of workers twice a second; an actor
whose worker left the cluster, whose call failed, or that answers as a new actor (Dask
recreates the actor of a lost worker elsewhere: :class:`~.parallel.WorkerReset`) ends
the run ``undetermined`` (:attr:`~modelcheck.result.StopReason.WORKER_LOST`).

Dask is imported here, and this module only when a cluster is asked for. Depends on
this package and the foundation.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import warnings
from dataclasses import replace

from ..model import BackendUnsupported, Model, Rebuildable
from ..result import CheckResult
from .options import Options
from .parallel import Coordinator, WorkerCore, WorkerLost, WorkerReset, explore_parallel

#: a string every actor hashes at the start: equal hashes, equal string-hash secrets
PROBE = "modelcheck: the partition's probe"
#: how often the coordinator asks the scheduler which workers it has (seconds)
LOOK_AT_WORKERS = 0.5
#: the longest wait for the cluster to answer at the start (connecting, placing actors)
START_TIMEOUT = 60.0
#: the number of partitions (and of processes of a local cluster) when --workers is not given
DEFAULT_LOCAL_WORKERS = 2


class PartitionActor:
    """One partition of the search, on a Dask worker: a :class:`WorkerCore` over the
    model built from ``source`` (a recipe, called here, or the model itself), or the core
    ``make_core(model, opts, me, n)`` makes here (the C search's: it builds or loads the
    coordinator's engine on this machine, :class:`~modelcheck.native.parallel.ActorCores`).
    A ``make_core`` that raises :class:`BackendUnsupported` leaves the actor without a
    core, and :meth:`probe` tells the coordinator why."""

    def __init__(self, source, is_recipe: bool, opts: Options, me: int, n: int, make_core=None):
        self.model = source() if is_recipe else source
        #: why the core asked for cannot run here
        self.refused: str | None = None
        self.core = None
        if make_core is None:
            self.core = WorkerCore(self.model, opts, me, n)
            return
        try:
            self.core = make_core(self.model, opts, me, n)
        except BackendUnsupported as u:
            self.refused = u.message
        except Exception as e:  # noqa: BLE001 - a library that does not load here, say: this core cannot run here
            self.refused = f"{type(e).__name__}: {e}"

    def probe(self) -> tuple:
        """The hashes that must agree between partitions, this process's seed and pid,
        and why the core asked for cannot run here (None: it runs)."""
        try:
            states = tuple(hash(s) for s in list(self.model.initial_states())[:64])
        except Exception:  # noqa: BLE001 - a runtime error in init: the search reports it
            states = ()
        return hash(PROBE), states, os.environ.get("PYTHONHASHSEED"), os.getpid(), self.refused

    def round(self, k: int, blobs: list, initial):
        return self.core.round(k, blobs, initial)

    def chain(self, k: int, index: int):
        return self.core.chain(k, index)

    def finish(self, k: int) -> tuple:
        return self.core.finish(k)


class ActorRefused(BackendUnsupported):
    """A Dask worker cannot make the core the coordinator asked for (the C search's: no
    compiler there, another layout, a library that does not load): the caller decides
    (:func:`modelcheck.native.explore`: ``auto`` searches on Python actors, ``c`` reports it)."""


def disagreement(probes: list, places: list[str]) -> str | None:
    """Why the actors' probes (:meth:`PartitionActor.probe`, on the workers ``places``)
    say they would disagree on owners, or None."""
    if len({p[:2] for p in probes}) <= 1:
        return None
    seeds = ", ".join(f"{places[w]}: {p[2] or 'not set'}" for w, p in enumerate(probes))
    return (f"the Dask workers hash strings differently (PYTHONHASHSEED {seeds}), so they would disagree on "
            f"which partition owns a state: start every worker with the same PYTHONHASHSEED (a nanny, dask "
            f"worker's default, sets 6640; with --no-nanny set it yourself)")


class ClusterCoordinator(Coordinator):
    """The coordinator with Dask actors for workers. :meth:`connect` (before the run:
    what goes wrong there is an error of the setup, not a verdict) starts or reaches the
    cluster, places one actor per partition and checks their hashes agree."""

    kind = "Dask actors"

    def __init__(self, run, n: int, address: str, actor_core=None):
        super().__init__(run, n)
        self.address = address
        #: makes each actor's core on its worker (picklable; None: :class:`WorkerCore`)
        self.actor_core = actor_core
        self.extra = {"cluster": address}
        self.client = None
        self.cluster = None          # a LocalCluster we started
        self.futures: list = []      # the actors' futures (their status says a worker was lost)
        self.actors: list = []
        self.places: list[str] = []  # the Dask worker of each actor
        self.pids: list = []
        self.next_look = 0.0

    # ---- the cluster

    def connect(self, model: Model) -> None:
        try:
            import distributed
        except ImportError:     # pragma: no cover - a dependency of modelcheck
            raise BackendUnsupported("--cluster needs dask.distributed (pip install distributed)") from None
        n, run = self.n, self.run
        try:
            if self.address == "local":
                with warnings.catch_warnings():   # "port 8787 is in use" (the scheduler's HTTP routes) is not ours
                    warnings.simplefilter("ignore", UserWarning)
                    self.cluster = distributed.LocalCluster(
                        n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                        memory_limit=0,            # --max-memory is ours to hold, not the nanny's
                        silence_logs=logging.CRITICAL)
                self.client = distributed.Client(self.cluster, set_as_default=False, timeout=START_TIMEOUT,
                                                 direct_to_workers=True)
            else:
                self.client = distributed.Client(self.address, set_as_default=False, timeout=START_TIMEOUT,
                                                 direct_to_workers=True)
            workers = sorted(self.client.scheduler_info(n_workers=-1)["workers"])
            if not workers:
                raise BackendUnsupported(f"the Dask cluster at {self.address} has no workers")
            if isinstance(model, Rebuildable) and model.recipe is not None:
                source, is_recipe = model.recipe, True
            else:
                source, is_recipe = model, False
            # the actors' own clocks: the time limit is the coordinator's, progress too
            opts = replace(run.opts, progress=None, started=None)
            if opts.time_limit is not None:
                opts = replace(opts, time_limit=max(0.001, opts.time_limit - (time.monotonic() - run.limit_t0)))
            self.places = [workers[w % len(workers)] for w in range(n)]
            self.futures = [self.client.submit(PartitionActor, source, is_recipe, opts, w, n, self.actor_core,
                                               actor=True,
                                               workers=[self.places[w]], allow_other_workers=False, pure=False,
                                               key=f"modelcheck-partition-{w}-{time.time_ns()}")
                            for w in range(n)]
            with self.client.as_current():   # an actor's handle talks through the client current when it is made
                self.actors = [f.result(timeout=START_TIMEOUT) for f in self.futures]
            probes = [a.probe() for a in self.actors]
            probes = [p.result(timeout=START_TIMEOUT) for p in probes]
        except (BackendUnsupported, KeyboardInterrupt):
            self.stop_all()
            raise
        except Exception as e:  # noqa: BLE001 - whatever the cluster says: the run cannot start
            self.stop_all()
            raise BackendUnsupported(f"the Dask cluster at {self.address} could not run the search: "
                                     f"{type(e).__name__}: {e}") from None
        self.pids = [p[3] for p in probes]
        refused = [(w, p[4]) for w, p in enumerate(probes) if p[4] is not None]
        if refused:
            self.stop_all()
            w, why = refused[0]
            raise ActorRefused(f"the Dask worker {self.places[w]}: {why}")
        # only the Python pipeline's partition is Python's hash (a C actor's is a hash of the
        # state's words, the same whatever PYTHONHASHSEED)
        why = disagreement(probes, self.places) if self.actor_core is None else None
        if why is not None:
            self.stop_all()
            raise BackendUnsupported(why)

    def start(self) -> None:
        """The actors are in place already (:meth:`connect`)."""

    def stop_all(self, grace: float = 0.0) -> None:
        """Release the actors and leave the cluster. A local one is shut down; without
        ``grace`` (a lost worker, the time limit, Ctrl-C: maybe in the middle of a level)
        its worker processes, which this process started, are killed first: a Dask
        worker closing would otherwise wait for its actor to finish the level."""
        client, cluster = self.client, self.cluster
        self.client = self.cluster = None
        self.actors = []
        if cluster is not None and not grace:
            for pid in self.pids:
                try:
                    os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
                except OSError:     # gone already
                    pass
        if client is not None:
            try:
                client.cancel(self.futures)
            except Exception:  # noqa: BLE001 - a cluster gone already
                pass
            self.futures = []
            try:
                client.close(timeout=10)
            except Exception:  # noqa: BLE001
                pass
        if cluster is not None:
            try:
                cluster.close(timeout=10)
            except Exception:  # noqa: BLE001
                pass

    # ---- messages

    def lost(self, w: int, doing: str, how: str) -> WorkerLost:
        return WorkerLost(f"worker {w + 1} of {self.n} (a Dask actor on {self.places[w]}, pid {self.pids[w]}) was "
                          f"lost {doing} ({how}): the search stopped; the counts are those of the last completed "
                          f"level, and nothing is proven")

    def look(self, pending, doing: str) -> None:
        """Whether the workers of the actors in ``pending`` are still in the cluster."""
        for w in pending:
            status = self.futures[w].status
            if status != "finished":
                raise self.lost(w, doing, f"its actor's task is {status}: its worker left the cluster")
        now = time.monotonic()
        if now < self.next_look:
            return
        self.next_look = now + LOOK_AT_WORKERS
        try:
            workers = self.client.scheduler_info(n_workers=-1)["workers"]
        except Exception as e:  # noqa: BLE001 - the scheduler itself is gone
            raise self.lost(min(pending), doing, f"the scheduler does not answer: {type(e).__name__}") from None
        for w in sorted(pending):
            if self.places[w] not in workers:
                raise self.lost(w, doing, "its worker left the cluster")

    def ask(self, method: str, args: dict, doing: str) -> dict:
        if self.client is None:
            raise WorkerLost(f"the Dask cluster was closed {doing}")
        calls = {}
        for w, a in args.items():
            try:
                calls[w] = getattr(self.actors[w], method)(*a)
            except Exception as e:  # noqa: BLE001 - the actor's worker is known lost
                raise self.lost(w, doing, f"{type(e).__name__}: {e}") from None
        out = {}
        pending = set(calls)
        run = self.run
        pause = 0.001
        while pending:
            for w in sorted(pending):
                call = calls[w]
                if not call.done():
                    continue
                try:
                    out[w] = call.result()
                except WorkerReset as e:
                    raise self.lost(w, doing, f"its actor was started again elsewhere and has lost its states: "
                                              f"{e}") from None
                except Exception as e:  # noqa: BLE001 - a broken connection, a worker gone
                    raise self.lost(w, doing, f"{type(e).__name__}: {e}") from None
                pending.discard(w)
            if pending:
                self.look(pending, doing)
                time.sleep(pause)
                pause = min(0.01, pause * 2)
            run.beat()
        return out


def explore_cluster(model: Model, opts: Options, make_core=None, actor_core=None) -> CheckResult:
    """The breadth-first search of ``model`` on the Dask cluster ``opts.cluster``, in
    ``opts.workers`` partitions; the caller has made sure :func:`~.parallel.refusal`
    says None. With ``actor_core`` (picklable: it is sent to each actor, which calls it
    as :func:`~.parallel.explore_parallel` calls ``make_core``) the actors run the core it
    makes, the C search's; ``make_core`` is then the coordinator's side of the same core
    (its ``canon``, the representative the initial states and trace replay take). A
    cluster that cannot run the search (unreachable, no workers, workers that hash
    differently, a spec that does not compile there) raises
    :class:`~modelcheck.model.BackendUnsupported` (:class:`ActorRefused` when a worker
    cannot make the core asked for); an actor whose backend gives up mid-run,
    :class:`~.parallel.WorkerFallback`, as forked workers do."""
    holder = {}

    def transport(run, n):
        coordinator = ClusterCoordinator(run, n, opts.cluster, actor_core)
        coordinator.connect(model)
        holder["c"] = coordinator
        return coordinator

    try:
        return explore_parallel(model, opts, transport, make_core=make_core)
    finally:
        if "c" in holder:
            holder["c"].stop_all()
