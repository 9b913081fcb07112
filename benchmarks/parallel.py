"""Benchmark: the breadth-first search in worker processes (``--workers``, docs/parallel.md).

    python benchmarks/parallel.py              # TwoPhase RM = 6 and 7, 1 and 2 workers
    python benchmarks/parallel.py --big        # and RM = 8 (about a minute per run in Python)
    python benchmarks/parallel.py --workers 1 2 4 --rm 6
    python benchmarks/parallel.py --no-dask    # without the LocalCluster row
    python benchmarks/parallel.py --zab default txn2   # ZAB's configurations instead
    python benchmarks/parallel.py --zab faults # ZAB's faults: about 10 minutes per run
    python benchmarks/parallel.py --backend c --rm 8 9     # the C search in the workers and actors
    python benchmarks/parallel.py --backend c --zab default
    python benchmarks/parallel.py --backend c --rm 9 --repeat 3 --whole   # the fastest of 3, whole-state owners

TwoPhase without symmetry, safety only (``check_temporal=False``), on the Python backend,
or the C backend with ``--backend c`` (1 worker: the one-process C search; N: the C
search in each worker, docs/parallel.md; ``dask 2``: in each actor); ZAB (``--zab CONFIG``) with symmetry
over its servers, as ``modelcheck check specs/zab/zab.mc --config CONFIG --no-temporal``
runs it (ZAB's ``faults`` is 3.5 million orbits). One row per (configuration, workers):

* ``s``: wall seconds of the search (loading the spec not counted; starting the
  workers counted);
* ``states/s/worker``: distinct states per second of search per worker;
* ``speed-up``: the one-process search's seconds over these (1 worker is the ordinary
  one-process search, not the parallel code with one worker);
* ``cpu s``: the processor seconds of the run, every process counted (the workers and
  the coordinator): unlike wall seconds, it does not move with the machine's other work,
  so ``cpu s`` over the one-process run's is the cost of the partition and exchange;
* ``idle-machine speed-up``: the one-process run's ``cpu s`` over the largest processor
  time of one worker: the speed-up the same work would give on cores with nothing else
  to run (an estimate: it leaves out the memory bandwidth the workers share);
* ``exchange``: the share of the workers' time not spent admitting and expanding
  states: pickling and unpickling the batches, handing them over through the
  coordinator, and waiting at the end of a level for the slowest worker (the mean over
  the workers of 1 - busy / rounds); ``codec`` is the pickling and unpickling alone;
* ``busiest``: the share of the distinct states the busiest worker stores (50 % is a
  perfect balance of 2 workers; the levels' own balance can only be worse);
* ``owner``: what decides a state's worker in the C workers (docs/parallel.md: the
  partition): ``whole`` (a hash of the whole state) or ``K/N words`` (of the K words
  chosen on a sample, of the state's N); ``--whole`` makes every run hash the whole
  state, to compare.

``--repeat K`` runs every row K times and prints the fastest (the least wall seconds):
on a shared machine the other work only ever slows a run down.

A row ``2 apart`` per configuration (with ``--apart``) runs two one-process searches at
once, each in its own process, sharing nothing: its ``speed-up`` is the most two workers
could gain on this machine if partitioning and exchanging cost nothing (2 x the
one-process seconds over the slower of the two): the two searches still share the
memory bandwidth and caches, and, on a virtual machine, whatever the host's cores share.

A last row per configuration, ``dask 2``, runs the same search on a Dask ``LocalCluster``
of 2 processes (``--cluster local``, docs/parallel.md: a cluster on Dask); its ``s``
counts starting the cluster and compiling the spec in each worker (with ``--backend c``,
each actor also loads the C library from the build cache the run's first build filled),
``rounds s`` the search alone (the same columns otherwise).

Each run goes in its own subprocess (this script with ``--child``), so that runs do
not share a heap. The counts of every run must equal the one-process run's: a MISMATCH
line says otherwise and the script exits 1. The machine is printed first: on a shared
machine the figures move with the other work (``load``: the one-minute load average when
the run ended, this benchmark's own processes included).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TWOPHASE = ROOT / "specs" / "twophase" / "twophase.mc"
ZAB = ROOT / "specs" / "zab" / "zab.mc"


def cpu() -> float:
    """Processor seconds of this process and of its children that have ended."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def child(what: str, workers: int, dask: int = 0, backend: str = "python", whole: bool = False) -> dict:
    """One run: ``what`` is a TwoPhase size (``"7"``) or ``"zab:CONFIG"``."""
    from modelcheck import load
    from modelcheck.native import explore, partition
    from modelcheck.search import Options

    if whole:
        partition.choose = lambda *a, **k: partition.Partition((), "--whole")

    if what.startswith("zab:"):
        model, symmetry = load(ZAB, config=None if what == "zab:default" else what[4:]).model, True
    else:
        model, symmetry = load(TWOPHASE, consts={"RM": int(what)}).model, False
    if backend == "c":      # the C build (about 0.3 s, ZAB 3-4 s; cached) is not timed
        from modelcheck.native.engine import engine_for

        engine_for(model)
    c0 = cpu()
    t0 = time.monotonic()
    r = explore(model, Options(symmetry=symmetry, check_temporal=False, workers=workers, backend=backend,
                               cluster="local" if dask else None))
    seconds = time.monotonic() - t0
    out = {"what": what, "workers": workers, "seconds": seconds, "cpu": cpu() - c0, "verdict": r.verdict.value,
           "distinct": r.distinct_states, "generated": r.generated_states, "depth": r.depth,
           "load": os.getloadavg()[0], "backend": r.backend}
    if r.backend != backend or set(r.extra.get("worker_backends", [backend])) != {backend}:
        raise SystemExit(f"asked for the {backend} backend, got {r.backend} "
                         f"(workers: {r.extra.get('worker_backends')}): {r.backend_note}")
    if workers > 1:
        rounds = r.extra["rounds_seconds"]
        out["exchange"] = sum(1 - b / rounds for b in r.extra["busy_seconds"]) / workers
        out["codec"] = sum(c / rounds for c in r.extra["codec_seconds"]) / workers
        out["worker_cpu"] = max(r.extra["cpu_seconds"])
        out["rounds"] = rounds
        shares = r.extra.get("worker_states")
        if shares and sum(shares):
            out["busiest"] = max(shares) / sum(shares)
    owner = r.extra.get("partition", "")
    part = re.match(r"(\d+) of the state's (\d+) words", owner)
    out["owner"] = "-" if not owner else f"{part[1]}/{part[2]} words" if part else "whole"
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--big", action="store_true", help="add TwoPhase RM=8")
    ap.add_argument("--rm", type=int, nargs="+", help="the RM sizes (default 6 7, with --big 6 7 8)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    ap.add_argument("--no-dask", action="store_true", help="leave out the LocalCluster row")
    ap.add_argument("--zab", nargs="+", metavar="CONFIG",
                    help="ZAB's configurations (default, txn2, faults, ...) instead of TwoPhase, with symmetry")
    ap.add_argument("--backend", choices=("python", "c"), default="python",
                    help="the workers' search (default python; c: the C search in each worker)")
    ap.add_argument("--apart", action="store_true",
                    help="add a row of two one-process searches run at once (the machine's ceiling)")
    ap.add_argument("--repeat", type=int, default=1, metavar="K", help="run every row K times, print the fastest")
    ap.add_argument("--whole", action="store_true", help="the C workers' owner hashes the whole state")
    ap.add_argument("--child", nargs=5, metavar=("WHAT", "WORKERS", "DASK", "BACKEND", "WHOLE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), int(args.child[2]), args.child[3],
                               args.child[4] == "1")))
        return 0
    if args.zab:
        runs_of = [f"zab:{c}" for c in args.zab]
    else:
        runs_of = [str(rm) for rm in (args.rm or ([6, 7, 8] if args.big else [6, 7]))]
    workers = sorted(set(args.workers) | {1})
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start; "
          f"{'C' if args.backend == 'c' else 'Python'} backend, "
          f"safety only; TwoPhase without symmetry, ZAB with")
    print(f"{'configuration':<18} {'workers':>7} {'distinct':>10} {'s':>8} {'states/s/worker':>16} "
          f"{'speed-up':>8} {'cpu s':>7} {'idle-machine speed-up':>21} {'exchange':>8} {'codec':>6} {'load':>5} "
          f"{'rounds s':>8} {'busiest':>7} {'owner':>12}")
    bad = 0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    for what in runs_of:
        name = f"ZAB {what[4:]}" if what.startswith("zab:") else f"TwoPhase RM={what}"
        base = None
        runs = [(w, 0) for w in workers] + ([(2, -1)] if args.apart else []) + ([] if args.no_dask else [(2, 1)])
        for w, dask in runs:
            if dask < 0:    # two one-process searches at once
                kids = [subprocess.Popen([sys.executable, __file__, "--child", what, "1", "0", args.backend, "0"],
                                         stdout=subprocess.PIPE, text=True, env=env) for _ in range(w)]
                both = [json.loads(k.communicate()[0].strip().splitlines()[-1]) for k in kids]
                if any(k.returncode for k in kids):
                    raise SystemExit(f"a search of {name} failed")
                r = max(both, key=lambda x: x["seconds"])
                print(f"{name:<18} {str(w) + ' apart':>7} {r['distinct']:>10,} {r['seconds']:>8.2f} "
                      f"{r['distinct'] / r['seconds']:>16,.0f} {w * base['seconds'] / r['seconds']:>7.2f}x "
                      f"{sum(x['cpu'] for x in both):>7.2f} {'-':>21} {'-':>8} {'-':>6} {r['load']:>5.2f} {'-':>8} "
                      f"{'-':>7} {'-':>12}",
                      flush=True)
                continue
            tries = []
            for _ in range(max(1, args.repeat)):
                out = subprocess.run([sys.executable, __file__, "--child", what, str(w), str(dask), args.backend,
                                      "1" if args.whole else "0"],
                                     capture_output=True, text=True, env=env, check=True).stdout
                tries.append(json.loads(out.strip().splitlines()[-1]))
            r = min(tries, key=lambda x: x["seconds"])
            if base is None:
                base = r
            elif (r["verdict"], r["distinct"], r["generated"], r["depth"]) != \
                    (base["verdict"], base["distinct"], base["generated"], base["depth"]):
                print(f"MISMATCH {name} workers={w}: {r} against {base}")
                bad = 1
            rate = r["distinct"] / r["seconds"] / w
            exchange = f"{r['exchange']:.0%}" if "exchange" in r else "-"
            idle = f"{base['cpu'] / r['worker_cpu']:.2f}x" if "worker_cpu" in r else "-"
            codec = f"{r['codec']:.0%}" if "codec" in r else "-"
            rounds = f"{r['rounds']:.2f}" if "rounds" in r else "-"
            busiest = f"{r['busiest']:.1%}" if "busiest" in r else "-"
            print(f"{name:<18} {('dask ' if dask else '') + str(w):>7} {r['distinct']:>10,} {r['seconds']:>8.2f} {rate:>16,.0f} "
                  f"{base['seconds'] / r['seconds']:>7.2f}x {r['cpu']:>7.2f} {idle:>21} {exchange:>8} {codec:>6} "
                  f"{r['load']:>5.2f} {rounds:>8} {busiest:>7} {r['owner']:>12}",
                  flush=True)
    return bad


if __name__ == "__main__":
    sys.exit(main())
