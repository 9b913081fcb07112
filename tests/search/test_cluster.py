"""The breadth-first search on a Dask cluster (``--cluster``, modelcheck/search/cluster.py,
docs/parallel.md): on a LocalCluster of two processes on 127.0.0.1, started once for the
module, the same counts, depth, verdicts and counterexample lengths as the one-process
search; a worker killed mid-run ends the run ``undetermined``, within seconds; a cluster
that cannot run the search is an error, never a verdict."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

distributed = pytest.importorskip("distributed")

from modelcheck.model import BackendUnsupported  # noqa: E402
from modelcheck.result import StopReason, Verdict  # noqa: E402
from modelcheck.search import Options, explore  # noqa: E402
from modelcheck.search import cluster as cluster_module  # noqa: E402
from tests.helpers import ROOT, SPECS, TWOPHASE, load_spec, replay, run  # noqa: E402
from tests.search.test_parallel import figures, lost_worker_note  # noqa: E402

QUORUM = (SPECS / "quorum" / "register.mc").as_posix()

pytestmark = pytest.mark.timeout(120)   # a hang is a failure, not a stuck suite


@pytest.fixture(scope="module")
def specs():
    return {
        "twophase4": load_spec(TWOPHASE, RM=4),
        "twophase5": load_spec(TWOPHASE, RM=5),
        "bug": load_spec(TWOPHASE, RM=4, BugCommitOnAny=True),
        "quorum": load_spec(QUORUM),
    }


# one-process figures pinned: (distinct, generated, depth)
SAME = [
    ("twophase4", dict(symmetry=False), (1568, 8258, 14)),           # TLC's 1568 for 4 RMs
    ("twophase5", dict(), (314, 2048, 17)),                          # with symmetry
    ("bug", dict(stop_at_first=False), (301, 1556, 14)),             # a seeded bug, --continue
]


@pytest.mark.parametrize("name,kw,pinned", SAME, ids=[s[0] for s in SAME])
def test_counts_depth_verdicts_and_coverage_equal_the_one_process_search(specs, address, name, kw, pinned):
    model = specs[name].model
    one = explore(model, Options(check_temporal=False, **kw))
    many = explore(model, Options(check_temporal=False, workers=2, cluster=address, **kw))
    assert (one.distinct_states, one.generated_states, one.depth) == pinned
    assert figures(many) == figures(one)
    assert (many.extra["workers"], many.extra["cluster"]) == (2, address)
    assert sorted((v.property, len(v.trace)) for v in many.violations) == \
        sorted((v.property, len(v.trace)) for v in one.violations)
    for v in many.violations:
        replay(specs[name], v.trace)


def test_three_partitions_on_two_workers(specs, address):
    model = specs["twophase4"].model
    one = explore(model, Options(check_temporal=False, symmetry=False))
    many = explore(model, Options(check_temporal=False, symmetry=False, workers=3, cluster=address))
    assert figures(many) == figures(one)


@pytest.mark.parametrize("name,length", [("bug", 5), ("quorum", 11)])
def test_a_violation_has_a_counterexample_as_short_as_the_one_process_search(specs, address, name, length):
    spec = specs[name]
    one = explore(spec.model, Options(check_temporal=False))
    many = explore(spec.model, Options(check_temporal=False, workers=2, cluster=address))
    assert many.verdict is one.verdict is Verdict.VIOLATED
    assert [len(v.trace) for v in many.violations] == [len(v.trace) for v in one.violations] == [length]
    replay(spec, many.violations[0].trace)


def test_a_lost_worker_ends_the_run_undetermined_with_a_clear_message(specs, dask_cluster, address):
    _, client = dask_cluster
    pids = client.run(os.getpid)                         # Dask worker address -> pid
    victim = pids[sorted(pids)[1]]                       # the worker of partition 2 of 2
    killed = []

    def kill_one(p):    # the progress callback runs in the coordinator while the actors search
        if p.depth >= 4 and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    t0 = time.monotonic()
    r = explore(specs["twophase5"].model, Options(symmetry=False, check_temporal=False, workers=2, cluster=address,
                                                  progress=kill_one, progress_every=0.001))
    assert killed and time.monotonic() - t0 < 30
    note = lost_worker_note(r, 8832)
    assert f"worker 2 of 2 (a Dask actor on {sorted(pids)[1]}, pid {victim}) was lost during level" in note


def test_workers_that_hash_strings_differently_are_refused():
    probes = [(1, (2, 3), "6640", 10), (1, (2, 3), "6640", 11)]
    assert cluster_module.disagreement(probes, ["tcp://a:1", "tcp://b:1"]) is None
    probes[1] = (7, (8, 9), None, 11)
    why = cluster_module.disagreement(probes, ["tcp://a:1", "tcp://b:1"])
    assert "the Dask workers hash strings differently (PYTHONHASHSEED tcp://a:1: 6640, tcp://b:1: not set)" in why
    assert "start every worker with the same PYTHONHASHSEED" in why


def test_an_unreachable_scheduler_is_an_error_not_a_verdict(specs, monkeypatch):
    monkeypatch.setattr(cluster_module, "START_TIMEOUT", 1.0)
    with pytest.raises(BackendUnsupported, match="the Dask cluster at tcp://127.0.0.1:9 could not run the search"):
        explore(specs["twophase4"].model, Options(check_temporal=False, workers=2, cluster="tcp://127.0.0.1:9"))


def test_what_the_cluster_cannot_do_runs_in_one_process_with_a_warning(specs, address):
    r = explore(specs["twophase4"].model, Options(check_temporal=True, workers=2, cluster=address))
    assert "workers" not in r.extra
    (note,) = [w for w in r.warnings if w.startswith(f"--cluster {address} not applied")]
    assert "temporal properties are decided on the whole state graph in one process" in note


# ------------------------------------------------------------------ the command line

def test_the_command_line_gives_the_same_json(capsys, address):
    argv = ["check", TWOPHASE, "--const", "RM=4", "--no-temporal", "--json", "--backend", "python"]
    code1, out1, _ = run(capsys, *argv)
    code2, out2, _ = run(capsys, *argv, "--cluster", address)
    one, two = json.loads(out1), json.loads(out2)
    assert code1 == code2 == 0 and (two["workers"], two["cluster"]) == (2, address)    # 2 partitions by default
    for key in ("verdict", "stop_reason", "distinct_states", "generated_states", "depth", "properties"):
        assert one[key] == two[key], key


def test_the_text_summary_names_the_cluster(capsys, address):
    code, out, _ = run(capsys, "check", TWOPHASE, "--no-temporal", "--cluster", address, "--workers", "3")
    assert code == 0 and "80 distinct states, 318 generated, depth 11" in out
    assert f"3 workers on the Dask cluster {address}" in out


def test_an_unreachable_cluster_on_the_command_line(capsys, monkeypatch):
    monkeypatch.setattr(cluster_module, "START_TIMEOUT", 1.0)
    code, _, err = run(capsys, "check", TWOPHASE, "--no-temporal", "--cluster", "tcp://127.0.0.1:9")
    assert code == 2 and "the Dask cluster at tcp://127.0.0.1:9 could not run the search" in err


def test_check_does_not_import_dask_without_cluster():
    code = ("import sys; from modelcheck.cli import main; "
            f"main(['check', {TWOPHASE!r}, '--no-temporal', '--quiet', '--backend', 'python']); "
            "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_a_local_cluster_of_its_own(capsys):
    """``--cluster local`` starts (and ends) a LocalCluster of --workers processes here."""
    code, out, _ = run(capsys, "check", TWOPHASE, "--const", "RM=4", "--no-symmetry", "--no-temporal", "--json",
                       "--cluster", "local")
    report = json.loads(out)
    assert code == 0 and (report["distinct_states"], report["generated_states"], report["depth"]) == (1568, 8258, 14)
    assert (report["workers"], report["cluster"]) == (2, "local")


def test_the_time_limit_stops_the_actors(address):
    model = load_spec(TWOPHASE, RM=7).model      # far more than a second in Python
    t0 = time.monotonic()
    r = explore(model, Options(symmetry=False, check_temporal=False, workers=2, cluster=address, time_limit=1.0))
    assert time.monotonic() - t0 < 15
    assert (r.verdict, r.stop_reason) == (Verdict.UNDETERMINED, StopReason.TIME_LIMIT)
    assert 0 < r.distinct_states < 296448


@pytest.mark.slow
def test_ctrl_c_ends_a_local_cluster_at_once():
    p = subprocess.Popen([sys.executable, "-m", "modelcheck.cli", "check", TWOPHASE, "--const", "RM=8", "--no-symmetry",
                          "--no-temporal", "--cluster", "local", "--progress", "--json",
                          "--backend", "python"],      # Python actors: a minute's search, never done before the signal
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = p.stderr.readline()            # the first progress line: the actors are searching
        assert "distinct" in line, line
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        t0 = time.monotonic()
        out, _ = p.communicate(timeout=60)
        ended = time.monotonic() - t0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    report = json.loads(out)
    assert p.returncode == 3 and (report["verdict"], report["stop_reason"]) == ("undetermined", "interrupted")
    assert ended < 10      # the cluster's workers are killed, not waited for to the end of their level


def test_an_actor_started_again_refuses_a_later_round(specs):
    """What Dask does with the actor of a lost worker: a new one elsewhere, empty. Asked
    for round k > 1 (or a chain, or to finish), it says so instead of answering."""
    from modelcheck.search.parallel import WorkerCore, WorkerReset

    core = WorkerCore(specs["twophase4"].model, Options(check_temporal=False), 0, 2)
    with pytest.raises(WorkerReset, match="asked for round 3 after 0"):
        core.round(3, [], None)
    with pytest.raises(WorkerReset):
        core.finish(2)
    with pytest.raises(WorkerReset):
        core.chain(2, 0)


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use")
def test_workers_with_different_hash_seeds_are_refused(specs):
    """A worker started without a nanny and with another PYTHONHASHSEED joins a local
    cluster (whose nanny-started worker has 6640): the probe tells them apart."""
    dask_cli = os.path.join(os.path.dirname(sys.executable), "dask")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as c, \
            distributed.Client(c, set_as_default=False) as client:
        stray = subprocess.Popen([dask_cli, "worker", c.scheduler_address, "--no-nanny", "--nthreads", "1",
                                  "--host", "127.0.0.1", "--no-dashboard"], cwd=ROOT,
                                 env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "2"},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            client.wait_for_workers(2, timeout=60)
            with pytest.raises(BackendUnsupported, match="the Dask workers hash strings differently") as refused:
                explore(specs["twophase4"].model, Options(check_temporal=False, workers=2,
                                                          cluster=c.scheduler_address))
            seeds = str(refused.value).split("(PYTHONHASHSEED ")[1].split(")")[0]
            assert sorted(x.rsplit(": ", 1)[1] for x in seeds.split(", ")) == ["2", "6640"]
        finally:
            stray.kill()
            stray.wait()

