"""The C search in Dask actors (``--cluster ADDRESS`` with the C backend,
modelcheck/search/cluster.py's ``PartitionActor`` holding a ``NativeWorkerCore``,
docs/parallel.md): on a LocalCluster of two processes on 127.0.0.1, started once for the
module, the same counts, depth, verdicts and coverage as the one-process search;
counterexamples as short, replayable; what the C actors cannot do falls back as forked C
workers do (capacity and width restarts; runtime errors and a worker that cannot run the
C search go to Python actors, with a note), never a wrong verdict; a worker killed
mid-run, the time limit and the memory limit stop the run ``undetermined``."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

distributed = pytest.importorskip("distributed")

from modelcheck import load  # noqa: E402
from modelcheck.model import BackendUnsupported  # noqa: E402
from modelcheck.native import explore  # noqa: E402
from modelcheck.native.engine import engine_for  # noqa: E402
from modelcheck.result import StopReason, Verdict  # noqa: E402
from modelcheck.search import Options  # noqa: E402
from tests.helpers import TWOPHASE, load_spec, replay, run  # noqa: E402
from tests.search.test_parallel import lost_worker_note  # noqa: E402
from tests.search.test_parallel_native import DIVIDE, GROW, figures, levels_searched, one_process  # noqa: E402

pytestmark = pytest.mark.timeout(120)   # a hang is a failure, not a stuck suite


def c_actors(model, address, **kw):
    """The run on 2 C actors of the cluster; it must have run there, in C."""
    r = explore(model, Options(workers=2, cluster=address, backend="c", **kw))
    assert r.backend == "c" and (r.extra.get("workers"), r.extra.get("cluster")) == (2, address), \
        (r.backend, r.backend_note, r.warnings)
    # the actors' own answers say which search they ran (absent when stopped mid-level)
    assert r.extra.get("worker_backends", ["c", "c"]) == ["c", "c"]
    return r


def spec_file(tmp_path, text: str):
    path = tmp_path / "spec.mc"
    path.write_text(text)
    return load(str(path))


@pytest.mark.parametrize("rm,symmetry,pinned", [
    (3, False, (288, 1146, 11)),        # TLC's figures for 3 RMs
    (5, False, (8832, 58146, 17)),      # TLC's 8,832 for 5 RMs
    (5, True, (314, 2048, 17)),         # orbits: the C representative in the actors
])
def test_twophase_counts_depth_verdicts_and_coverage_equal_the_one_process_search(address, rm, symmetry, pinned):
    model = load_spec(TWOPHASE, RM=rm).model
    kw = dict(symmetry=symmetry, check_temporal=False)
    two = c_actors(model, address, **kw)
    one = one_process(model, **kw)
    assert (one.distinct_states, one.generated_states, one.depth) == pinned
    assert two.verdict is Verdict.HOLDS and two.stop_reason is StopReason.EXHAUSTED
    assert figures(two) == figures(one)
    assert two.extra["worker_backends"] == ["c", "c"] and two.backend_note == ""


@pytest.mark.parametrize("symmetry", [False, True])
def test_the_actors_hash_the_words_the_coordinator_chose(address, monkeypatch, symmetry):
    """The owner's words and seed (native/partition.py) travel with the actors' core
    maker; the coordinator's choice is forced here (RM=5 is smaller than its sample). The
    actors' shares of the states are the forked workers' with the same choice."""
    from modelcheck.native import partition

    monkeypatch.setattr(partition, "choose", lambda *a, **k: partition.Partition((2, 3), "forced", seed=5))
    model = load_spec(TWOPHASE, RM=5).model
    kw = dict(symmetry=symmetry, check_temporal=False)
    two = c_actors(model, address, **kw)
    assert two.extra["partition"].startswith("2 of the state's")
    assert figures(two) == figures(one_process(model, **kw))
    forked = explore(model, Options(workers=2, backend="c", **kw))
    assert two.extra["worker_states"] == forked.extra["worker_states"]
    monkeypatch.setattr(partition, "choose", lambda *a, **k: partition.Partition((2, 3), "forced"))
    assert explore(model, Options(workers=2, backend="c", **kw)).extra["worker_states"] != forked.extra["worker_states"]


def test_three_partitions_on_two_workers(address):
    # partition 3 shares a worker process (and its loaded C library) with partition 1
    model = load_spec(TWOPHASE, RM=4).model
    kw = dict(symmetry=False, check_temporal=False)
    three = explore(model, Options(workers=3, cluster=address, backend="c", **kw))
    assert three.backend == "c" and three.extra["worker_backends"] == ["c", "c", "c"]
    assert figures(three) == figures(one_process(model, **kw)) and three.distinct_states == 1568


@pytest.mark.parametrize("bug,symmetry", [("BugCommitOnAny", False), ("BugAbortAfterCommit", False),
                                          ("BugCommitOnAny", True)])
def test_a_seeded_bug_has_a_counterexample_as_short_as_the_one_process_search(address, bug, symmetry):
    spec = load_spec(TWOPHASE, RM=4, **{bug: True})
    kw = dict(symmetry=symmetry, check_temporal=False)
    two, one = c_actors(spec.model, address, **kw), one_process(spec.model, **kw)
    assert two.verdict is one.verdict is Verdict.VIOLATED
    assert len(two.violations[0].trace.states) == len(one.violations[0].trace.states)
    replay(spec, two.violations[0].trace)


def test_a_seeded_bug_under_continue_gives_the_whole_search_and_every_violation(address):
    spec = load_spec(TWOPHASE, RM=4, BugCommitOnAny=True)
    kw = dict(check_temporal=False, stop_at_first=False)     # with symmetry: 301 orbits (test_cluster.py)
    two, one = c_actors(spec.model, address, **kw), one_process(spec.model, **kw)
    assert figures(two) == figures(one) and one.distinct_states == 301
    assert sorted((v.property, len(v.trace.states)) for v in two.violations) == \
        sorted((v.property, len(v.trace.states)) for v in one.violations)
    for v in two.violations:
        replay(spec, v.trace)


# ------------------------------------------------------------------ fallbacks

def test_a_capacity_outgrown_starts_the_c_actors_again(tmp_path, address):
    spec = spec_file(tmp_path, GROW)
    two, one = c_actors(spec.model, address, check_deadlock=False), one_process(spec.model, check_deadlock=False)
    assert two.backend_note.startswith("the C search was started again with 2 times the capacities"), \
        two.backend_note
    assert figures(two) == figures(one) and one.distinct_states == 7


def test_an_integer_outgrowing_its_field_starts_the_c_actors_again_with_a_word_per_key(tmp_path, address):
    from tests.native.test_layouts import INT_KEYS

    spec = spec_file(tmp_path, INT_KEYS)
    kw = dict(check_deadlock=False, stop_at_first=False)
    two, one = c_actors(spec.model, address, **kw), one_process(spec.model, **kw)
    assert two.backend_note.startswith("the C search was started again with a word for each integer a function "
                                       "holds (an integer wider than the field"), two.backend_note
    assert figures(two) == figures(one) and one.distinct_states == 13_737


@pytest.mark.parametrize("backend", ["auto", "c"])
def test_a_runtime_error_is_repeated_on_python_actors_which_explain_it(tmp_path, address, backend):
    spec = spec_file(tmp_path, DIVIDE)
    two = explore(spec.model, Options(workers=2, cluster=address, backend=backend, check_deadlock=False))
    one = one_process(spec.model, check_deadlock=False)
    assert two.backend == "python" and (two.extra.get("workers"), two.extra.get("cluster")) == (2, address)
    assert two.extra["worker_backends"] == ["python", "python"]
    assert two.backend_note.startswith("the C search stopped (a division by zero at ")
    assert two.backend_note.endswith("the run was repeated on Python workers")
    assert two.stop_reason is StopReason.ERROR and two.error == one.error and two.verdict is one.verdict


def test_a_worker_without_a_c_compiler_gives_python_actors_or_an_error(dask_cluster, address):
    """A Dask worker that cannot build the C engine (here: ``CC`` names no compiler on
    the workers) refuses in its probe: ``auto`` searches on Python actors and says why,
    ``c`` is an error of the setup."""
    _, client = dask_cluster
    model = load_spec(TWOPHASE, RM=4).model

    def no_compiler(on):    # nested: sent to the workers by value
        import os as os_

        from modelcheck.native import build as build_

        if on:
            os_.environ["CC"] = "/nonexistent/cc"
        else:
            os_.environ.pop("CC", None)
        build_.compiler.cache_clear()
        return os_.environ.get("CC")

    assert set(client.run(no_compiler, True).values()) == {"/nonexistent/cc"}
    try:
        r = explore(model, Options(workers=2, cluster=address, backend="auto", symmetry=False, check_temporal=False))
        with pytest.raises(BackendUnsupported,
                           match="the Dask worker tcp://127.0.0.1:[0-9]+: the C search cannot run there: no C compiler"):
            explore(model, Options(workers=2, cluster=address, backend="c", symmetry=False, check_temporal=False))
    finally:
        client.run(no_compiler, False)
    assert r.backend == "python" and r.extra.get("cluster") == address
    assert r.extra["worker_backends"] == ["python", "python"]
    assert r.backend_note.startswith("the Dask worker tcp://127.0.0.1:")
    assert ": the C search cannot run there: no C compiler found" in r.backend_note
    assert r.backend_note.endswith("; the Python workers searched")
    assert figures(r) == figures(one_process(model, symmetry=False, check_temporal=False))
    assert r.distinct_states == 1568
    # the workers build again once they have a compiler
    assert c_actors(model, address, symmetry=False, check_temporal=False).distinct_states == 1568


def test_an_actor_that_generates_other_c_code_refuses(monkeypatch, address):
    """The actors compare the digest of the C source they generate with the
    coordinator's: another layout (another version of modelcheck on a worker) would place
    and pack states differently. Here the coordinator's digest is altered before it is sent."""
    from modelcheck.native import parallel as native_parallel

    made = native_parallel.ActorCores.__init__

    def other_digest(self, engine, *args):
        made(self, engine, *args)
        self.digest = "0" * 32

    monkeypatch.setattr(native_parallel.ActorCores, "__init__", other_digest)
    model = load_spec(TWOPHASE, RM=3).model
    kw = dict(symmetry=False, check_temporal=False)
    r = explore(model, Options(workers=2, cluster=address, backend="auto", **kw))
    assert r.backend == "python" and r.extra["worker_backends"] == ["python", "python"]
    assert "it generated other C code for the spec than the coordinator" in r.backend_note
    assert "the coordinator's 00000000000000000000000000000000): is the same version of modelcheck installed there?" \
        in r.backend_note
    assert figures(r) == figures(one_process(model, **kw))
    with pytest.raises(BackendUnsupported, match="it generated other C code for the spec than the coordinator"):
        explore(model, Options(workers=2, cluster=address, backend="c", **kw))


def test_what_the_cluster_cannot_do_runs_in_one_process_in_c_with_a_warning(address):
    model = load_spec(TWOPHASE, RM=3).model
    r = explore(model, Options(workers=2, cluster=address, backend="c", symmetry=False))
    assert r.backend == "c" and "workers" not in r.extra and "cluster" not in r.extra
    (note,) = [w for w in r.warnings if w.startswith(f"--cluster {address} not applied")]
    assert "temporal properties are decided on the whole state graph in one process" in note
    assert figures(r) == figures(one_process(model, symmetry=False))


# ------------------------------------------------------------------ faults and limits

def test_a_lost_c_actor_ends_the_run_undetermined_with_a_clear_message(dask_cluster, address):
    _, client = dask_cluster
    pids = client.run(os.getpid)                         # Dask worker address -> pid
    victim = pids[sorted(pids)[1]]                       # the worker of partition 2 of 2
    killed = []
    model = load_spec(TWOPHASE, RM=7).model              # 296,448 states, 23 levels

    def kill_one(p):    # the progress callback runs in the coordinator while the actors search
        if p.depth >= 4 and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    t0 = time.monotonic()
    r = explore(model, Options(symmetry=False, check_temporal=False, workers=2, cluster=address, backend="c",
                               progress=kill_one, progress_every=0.001))
    assert killed and time.monotonic() - t0 < 30
    assert r.backend == "c"
    note = lost_worker_note(r, 296_448)
    assert f"worker 2 of 2 (a Dask actor on {sorted(pids)[1]}, pid {victim}) was lost" in note


def test_a_lost_c_actor_of_a_local_cluster_of_its_own_ends_the_run_and_the_cluster(monkeypatch):
    """``--cluster local``: the coordinator's own LocalCluster, one of whose worker
    processes is killed mid-run; the run ends ``undetermined`` and the cluster's
    processes are gone."""
    from modelcheck.search import cluster as cluster_module

    coordinators = []
    connect = cluster_module.ClusterCoordinator.connect

    def connect_and_keep(self, model):
        connect(self, model)
        coordinators.append(self)

    monkeypatch.setattr(cluster_module.ClusterCoordinator, "connect", connect_and_keep)
    killed = []

    def kill_one(p):    # the actors' pids are those their probes gave the coordinator
        if p.depth >= 4 and not killed:
            victim = coordinators[0].pids[1]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    model = load_spec(TWOPHASE, RM=7).model
    t0 = time.monotonic()
    r = explore(model, Options(symmetry=False, check_temporal=False, workers=2, cluster="local", backend="c",
                               progress=kill_one, progress_every=0.001))
    assert killed and time.monotonic() - t0 < 30
    note = lost_worker_note(r, 296_448)
    assert f"worker 2 of 2 (a Dask actor on tcp://127.0.0.1:" in note and f"pid {killed[0]}) was lost" in note
    # the cluster's worker processes (started by the coordinator) are gone, not left running
    import psutil

    for pid in coordinators[0].pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, pid


def test_the_time_limit_stops_the_c_actors_with_the_counts_of_the_levels_searched(address):
    model = load_spec(TWOPHASE, RM=9).model     # 10,340,352 states: far more than a second in C workers
    engine_for(model)                           # the compile is not what the limit should stop
    kw = dict(symmetry=False, check_temporal=False)
    t0 = time.monotonic()
    # 2 s: the actors' setup (compiling the spec, loading the C library) counts too
    r = explore(model, Options(workers=2, cluster=address, backend="c", time_limit=2.0, **kw))
    assert time.monotonic() - t0 < 15
    assert r.backend == "c" and r.extra.get("cluster") == address, r.warnings
    assert (r.verdict, r.stop_reason) == (Verdict.UNDETERMINED, StopReason.TIME_LIMIT)
    assert all(p.verdict is not Verdict.HOLDS for p in r.properties)
    assert r.coverage == () and any("coverage is not reported" in w for w in r.warnings)
    assert levels_searched(model, r, **kw) and r.distinct_states < 10_340_352


def test_the_time_limit_reached_while_the_actors_compile_is_undetermined_not_an_error(tmp_path, dask_cluster,
                                                                                     address):
    """The workers' compiler (here a script that never finishes, and an empty build cache)
    is stopped at the time left to the run: ``--backend c`` ends ``undetermined`` with
    nothing checked, as in one process, not with an error of the setup."""
    _, client = dask_cluster
    slow = tmp_path / "slowcc"
    slow.write_text("#!/bin/sh\nif [ \"$1\" = --version ]; then echo slowcc 1; exit 0; fi\nexec sleep 60\n")
    slow.chmod(0o755)
    model = load_spec(TWOPHASE, RM=3).model
    engine_for(model)                           # the coordinator's engine is built (or cached) first

    def slow_compiler(cc, cache):    # nested: sent to the workers by value
        import os as os_

        from modelcheck.native import build as build_

        for name, value in (("CC", cc), ("MODELCHECK_CACHE", cache)):
            if value is None:
                os_.environ.pop(name, None)
            else:
                os_.environ[name] = value
        build_.compiler.cache_clear()

    before = os.environ.get("MODELCHECK_CACHE")
    client.run(slow_compiler, str(slow), str(tmp_path / "cache"))
    try:
        t0 = time.monotonic()
        r = explore(model, Options(workers=2, cluster=address, backend="c", time_limit=3.0, symmetry=False,
                                   check_temporal=False))
        seconds = time.monotonic() - t0
    finally:
        client.run(slow_compiler, os.environ.get("CC"), before)
    assert seconds < 15
    assert (r.verdict, r.stop_reason, r.backend) == (Verdict.UNDETERMINED, StopReason.TIME_LIMIT, "c")
    assert all(p.verdict is Verdict.UNDETERMINED for p in r.properties)
    (note,) = [w for w in r.warnings if w.startswith("--time-limit was reached while the C compiler compiled")]
    assert "(on a Dask worker: the Dask worker tcp://127.0.0.1:" in note and "nothing was checked" in note


def test_the_memory_limit_stops_the_c_actors(address):
    # a megabyte: every actor is past its share (a Dask worker process's hundred-odd) at its first look
    model = load_spec(TWOPHASE, RM=6).model
    kw = dict(symmetry=False, check_temporal=False)
    r = explore(model, Options(workers=2, cluster=address, backend="c", max_memory_mb=1, **kw))
    assert r.backend == "c" and r.extra.get("cluster") == address
    assert (r.verdict, r.stop_reason) == (Verdict.UNDETERMINED, StopReason.MAX_MEMORY)
    assert all(p.verdict is not Verdict.HOLDS for p in r.properties)
    assert levels_searched(model, r, **kw) and r.distinct_states < 50_816


# ------------------------------------------------------------------ the command line

def test_the_command_line_runs_the_c_actors(capsys, address):
    argv = ["check", TWOPHASE, "--const", "RM=4", "--no-temporal", "--json"]
    code1, out1, _ = run(capsys, *argv, "--backend", "python")
    code2, out2, _ = run(capsys, *argv, "--backend", "c", "--cluster", address)
    one, two = json.loads(out1), json.loads(out2)
    assert code1 == code2 == 0 and (two["backend"], two["workers"], two["cluster"]) == ("c", 2, address)
    for key in ("verdict", "stop_reason", "distinct_states", "generated_states", "depth", "properties"):
        assert one[key] == two[key], key


def test_auto_runs_c_actors_on_a_local_cluster_of_its_own(capsys):
    """``--cluster local`` with the default backend: a LocalCluster of 2 processes here,
    each actor loading the C engine from the build cache the coordinator filled."""
    code, out, _ = run(capsys, "check", TWOPHASE, "--const", "RM=4", "--no-symmetry", "--no-temporal", "--json",
                       "--cluster", "local")
    report = json.loads(out)
    assert code == 0 and (report["distinct_states"], report["generated_states"], report["depth"]) == (1568, 8258, 14)
    assert (report["backend"], report["workers"], report["cluster"]) == ("c", 2, "local")
