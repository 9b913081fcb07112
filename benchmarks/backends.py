"""Benchmark: the C backend (modelcheck.native) and the Python backend side by side.

    python benchmarks/backends.py --quick             # the configurations under ~30 s on Python
    python benchmarks/backends.py                     # every configuration (long: see below)
    python benchmarks/backends.py --only "RM=9" --backend c
    python benchmarks/backends.py --quick --markdown  # the table as Markdown, for the README

One row per configuration; for each backend the seconds of search, distinct states per
second of search, the peak resident memory of the run and which backend actually ran
("refused: <why>" when ``backend="c"`` raises BackendUnsupported: the script asks, it
never assumes what the C backend supports). The configurations:

    TwoPhase RM = 7, 8, 9 without symmetry, RM = 8, 10, 12 with symmetry (safety only);
                    "TwoPhase RM=8 dfs": RM = 8 without symmetry, depth-first (--dfs)
    MCLamportMutex (specs/lamport/mutex.mc, N = 3, maxClock = 6; safety only, as in
                    specs/suite.toml: RequestGranted fails there because of the clock bound)
    ZAB default configuration without symmetry; txn2, four, epoch3, faults with symmetry
                    (deadlock checking off, as benchmarks/zab.py and specs/suite.toml run it)

Temporal properties are off everywhere (``check_temporal=False``; ZAB has none).

Each (configuration, backend) runs in its own subprocess (this script with ``--child``),
so that ru_maxrss is that run's alone. Loading and compiling the spec is not timed; for
the C backend the child then builds the engine (``engine_for``: C emitted, compiled by
gcc or found in the build cache), timed apart in the "C build s" column ("cached" when
the cache had it; ``--cold`` gives every run a fresh, empty cache to show the compile
cost), and only then times the search. A run stopped by ``--time-limit`` (per run,
default 600 s; the search's own limit, with a hard stop a few minutes later) shows
"> N s" and the distinct states per second it reached; nothing is skipped by name, so the
long Python runs cost up to the whole limit each (measured on the machine below: TwoPhase
RM = 9 289 s and 2.3 GB, ZAB ``four`` 187 s and 3.3 GB, ``epoch3`` 221 s and 3.1 GB,
``faults`` 557 s and 11.5 GB; the whole table about 25 minutes with the default limit).
``--quick`` keeps the configurations Python searches in under ~30 s (there: about 30 s
for all of them; TwoPhase RM = 8 without symmetry, 42 s, and MCLamportMutex, 28 s, are
left out).
When both backends searched a configuration exhaustively, their verdict, distinct
states, generated states and depth must agree: a MISMATCH line says so and the script
exits 1.

Machine the figures here were measured on: 2 cores (``nproc``), 23 GB of memory
(``free -g``), no swap; the script prints the machine it runs on first.

Targets (the C backend's issue; evaluated per backend under the table):
    floor  TwoPhase RM = 8 without symmetry in < 10 s and < 300 MB
    floor  MCLamportMutex in < 5 s
    goal   within 2x of SPIN: TwoPhase RM = 8 without symmetry in < 7.4 s; RM = 9
           (10,340,352 states) in < 60 s and < 1 GB
    goal   ZAB ``faults`` in < 1 min
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

#: seconds past the time limit before a child is killed (loading, building, stopping)
GRACE = 300.0


@dataclass(frozen=True)
class Config:
    name: str
    spec: str                      # under specs/
    consts: dict = field(default_factory=dict)
    config: str | None = None      # a named `config` block of the spec
    symmetry: bool = False
    check_deadlock: bool | None = None
    quick: bool = False            # under ~30 s on the Python backend (measured)
    dfs: bool = False              # depth-first (--dfs) instead of breadth-first


CONFIGS = (
    Config("TwoPhase RM=7 no symmetry", "twophase/twophase.mc", {"RM": 7}, quick=True),
    Config("TwoPhase RM=8 no symmetry", "twophase/twophase.mc", {"RM": 8}),
    Config("TwoPhase RM=8 dfs", "twophase/twophase.mc", {"RM": 8}, dfs=True),
    Config("TwoPhase RM=9 no symmetry", "twophase/twophase.mc", {"RM": 9}),
    Config("TwoPhase RM=8 symmetry", "twophase/twophase.mc", {"RM": 8}, symmetry=True, quick=True),
    Config("TwoPhase RM=10 symmetry", "twophase/twophase.mc", {"RM": 10}, symmetry=True, quick=True),
    Config("TwoPhase RM=12 symmetry", "twophase/twophase.mc", {"RM": 12}, symmetry=True, quick=True),
    Config("MCLamportMutex", "lamport/mutex.mc"),
    Config("ZAB default no symmetry", "zab/zab.mc", check_deadlock=False, quick=True),
    Config("ZAB txn2 symmetry", "zab/zab.mc", config="txn2", symmetry=True, check_deadlock=False),
    Config("ZAB four symmetry", "zab/zab.mc", config="four", symmetry=True, check_deadlock=False),
    Config("ZAB epoch3 symmetry", "zab/zab.mc", config="epoch3", symmetry=True, check_deadlock=False),
    Config("ZAB faults symmetry", "zab/zab.mc", config="faults", symmetry=True, check_deadlock=False),
    # ZAB as the reference ZooKeeper runs it: maps over zxids (map[int, ...], kept as pairs in C)
    Config("ZAB impl order", "zab/zab_impl.mc", config="order", quick=True),
)
BY_NAME = {c.name: c for c in CONFIGS}
BACKENDS = ("c", "python")


@dataclass(frozen=True)
class Target:
    level: str                     # floor or goal
    text: str
    row: str                       # the configuration it is measured on
    seconds: float
    peak_mb: float | None = None
    distinct: int | None = None    # the state count the target names, when it names one


TARGETS = (
    Target("floor", "TwoPhase RM=8 no symmetry < 10 s, < 300 MB", "TwoPhase RM=8 no symmetry", 10, 300),
    Target("floor", "MCLamportMutex < 5 s", "MCLamportMutex", 5),
    Target("goal", "TwoPhase RM=8 no symmetry < 7.4 s (2x SPIN)", "TwoPhase RM=8 no symmetry", 7.4),
    Target("goal", "TwoPhase RM=9 no symmetry, 10,340,352 states < 60 s, < 1 GB",
           "TwoPhase RM=9 no symmetry", 60, 1024, 10_340_352),
    Target("goal", "ZAB faults < 1 min", "ZAB faults symmetry", 60),
)


# ---------------------------------------------------------------- one run (the child)

def child(name: str, backend: str, time_limit: float) -> dict:
    """Load, build (C), search; the figures of this process alone."""
    import resource
    import time

    from modelcheck.api import load
    from modelcheck.model import BackendUnsupported
    from modelcheck.native import engine_or_reason, explore
    from modelcheck.search import Options, Strategy

    cfg = BY_NAME[name]
    t0 = time.perf_counter()
    spec = load(SPECS / cfg.spec, consts=cfg.consts, config=cfg.config)
    out: dict = {"load": time.perf_counter() - t0}
    opts = Options(backend=backend, symmetry=cfg.symmetry, check_temporal=False,
                   check_deadlock=cfg.check_deadlock, time_limit=time_limit,
                   strategy=Strategy.DFS if cfg.dfs else Strategy.BFS)
    if backend == "c":
        t0 = time.perf_counter()
        engine, _why = engine_or_reason(spec.model, opts)   # built and kept for explore
        if engine is not None:
            out["build"] = time.perf_counter() - t0
            out["cached"] = engine.cached
    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = ru.ru_utime + ru.ru_stime
    t0 = time.perf_counter()
    try:
        r = explore(spec.model, opts)
    except BackendUnsupported as u:
        out["refused"] = u.message
        return out
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out.update(seconds=wall, cpu=ru.ru_utime + ru.ru_stime - cpu0, backend=r.backend, note=r.backend_note,
               verdict=r.verdict.value, stop=r.stop_reason.value, distinct=r.distinct_states,
               generated=r.generated_states, depth=r.depth,
               peak_mb=ru.ru_maxrss / 1024)
    return out


def run(name: str, backend: str, time_limit: float, cold: bool) -> dict:
    """One (configuration, backend) in a fresh process; ``{"error": ...}`` when it failed
    and ``{"killed": True}`` when the hard stop cut it."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory(prefix="mc-cold-") as tmp:
        if cold:
            env["MODELCHECK_CACHE"] = tmp
        try:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", name, backend, str(time_limit)],
                capture_output=True, text=True, env=env, timeout=time_limit + GRACE)
        except subprocess.TimeoutExpired:
            return {"killed": True}
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or f"exit status {proc.returncode}").splitlines()
        return {"error": lines[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the table

def short(reason: str, width: int = 61) -> str:
    """The gist of a refusal, one line: 'the C backend has no symmetry reduction yet (run
    with --no-symmetry ...)' -> 'no symmetry reduction yet'."""
    reason = reason.splitlines()[0].split(" (")[0]
    for words in ("does not support this yet: ", "the C backend has ", "the C backend "):
        reason = reason.replace(words, "")
    return reason if len(reason) <= width else reason[:width - 3] + "..."


def finished(r: dict | None) -> bool:
    """The run searched the whole space (its figures can be compared)."""
    return bool(r) and r.get("stop") == "exhausted"


def cut(r: dict) -> bool:
    return r.get("killed") or r.get("stop") == "time-limit"


def cells(r: dict | None, limit: float) -> dict:
    """The per-backend cells of one run."""
    if r is None:
        return {"build": "", "s": "", "cpu": "", "rate": "", "mb": "", "ran": "not run"}
    build = ""
    if "build" in r:
        build = f"{r['build']:.2f}" + (" cached" if r["cached"] else "")
    blank = {"build": build, "s": "", "cpu": "", "rate": "", "mb": ""}
    if "refused" in r:
        return {**blank, "ran": f"refused: {short(r['refused'])}"}
    if "error" in r:
        return {**blank, "ran": f"error: {r['error'][:60]}"}
    if r.get("killed"):
        return {**blank, "s": f"> {limit:g}", "ran": "killed"}
    ran = r["backend"]
    if r.get("note"):
        ran += f" ({short(r['note'])})"
    if r["stop"] not in ("exhausted", "time-limit"):
        ran += f", stopped: {r['stop']}"
    secs = max(r["seconds"], 1e-9)
    return {"build": build,
            "s": f"> {limit:g}" if r["stop"] == "time-limit" else f"{r['seconds']:.2f}",
            "cpu": f"{r['cpu']:.2f}",
            "rate": f"{r['distinct'] / secs:,.0f}", "mb": f"{r['peak_mb']:,.0f}", "ran": ran}


def shared(runs: dict) -> tuple[list[str], str | None]:
    """The verdict, distinct, generated and depth cells, and a mismatch message when two
    exhaustive runs disagree."""
    done = [r for r in runs.values() if finished(r)]
    if done:
        first = done[0]
        keys = ("verdict", "distinct", "generated", "depth")
        for other in done[1:]:
            if any(other[k] != first[k] for k in keys):
                got = "; ".join(f"{b}: " + ", ".join(f"{k} {r[k]}" for k in keys)
                                for b, r in runs.items() if finished(r))
                return [first["verdict"], "MISMATCH", "", ""], got
        return [first["verdict"], f"{first['distinct']:,}", f"{first['generated']:,}", str(first["depth"])], None
    partial = [r for r in runs.values() if r and "distinct" in r]
    if partial:
        best = max(partial, key=lambda r: r["distinct"])
        return [best["verdict"], f"> {best['distinct']:,}", f"> {best['generated']:,}", f">= {best['depth']}"], None
    return ["", "", "", ""], None


#: (heading, width, right-aligned)
Column = tuple[str, int, bool]


def columns(backends: list[str]) -> list[Column]:
    cols = [("configuration", 26, False), ("verdict", 12, False), ("distinct", 12, True),
            ("generated", 13, True), ("depth", 5, True)]
    for b in backends:
        tag = "C" if b == "c" else "Py"
        if b == "c":
            cols.append(("C build s", 11, True))
        cols += [(f"{tag} s", 8, True), (f"{tag} CPU s", 8, True), (f"{tag} states/s", 12, True), (f"{tag} MB", 7, True),
                 (f"{tag} ran", 70 if b == "c" else 20, False)]
    return cols


def line(values: list[str], cols: list[Column], markdown: bool) -> str:
    if markdown:
        return "| " + " | ".join(values) + " |"
    return "  ".join(f"{v:>{w}}" if right else f"{v:<{w}}" for v, (_, w, right) in zip(values, cols)).rstrip()


def rule(cols: list[Column], markdown: bool) -> str:
    if markdown:
        return "|" + "|".join("--:" if right else "---" for _, _, right in cols) + "|"
    return "  ".join("-" * w for _, w, _ in cols)


def judge(t: Target, r: dict | None, limit: float) -> str:
    if r is None:
        return "n/a (not run)"
    if "refused" in r:
        return "n/a (refused)"
    if "error" in r:
        return "n/a (error)"
    if cut(r):
        return f"not met (> {limit:g} s)"
    if r["stop"] != "exhausted":
        return f"n/a ({r['stop']})"
    why = [f"{r['seconds']:.2f} s"]
    ok = r["seconds"] < t.seconds
    if t.peak_mb is not None:
        why.append(f"{r['peak_mb']:,.0f} MB")
        ok = ok and r["peak_mb"] < t.peak_mb
    if t.distinct is not None and r["distinct"] != t.distinct:
        why.append(f"{r['distinct']:,} states")
        ok = False
    return ("met" if ok else "not met") + f" ({', '.join(why)})"


def machine() -> str:
    mem = "?"
    try:
        for ln in Path("/proc/meminfo").read_text().splitlines():
            if ln.startswith("MemTotal:"):
                mem = f"{int(ln.split()[1]) / 1024 ** 2:.1f} GiB"
    except OSError:
        pass
    sys.path.insert(0, str(ROOT))
    from modelcheck.native.build import compiler

    cc = compiler()
    return (f"{os.cpu_count()} cores, {mem} memory, Python {sys.version.split()[0]}, "
            f"C compiler: {cc[1] if cc else 'none'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only the configurations under ~30 s on Python")
    ap.add_argument("--backend", choices=("c", "python", "both"), default="both")
    ap.add_argument("--only", action="append", metavar="NAME",
                    help="configurations whose name contains NAME (case-insensitive; repeatable)")
    ap.add_argument("--time-limit", type=float, default=600.0, metavar="SECONDS",
                    help="per run (default 600); a run cut by it shows '> SECONDS'")
    ap.add_argument("--cold", action="store_true", help="a fresh, empty C build cache for every run")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--child", nargs=3, metavar=("NAME", "BACKEND", "LIMIT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(child(args.child[0], args.child[1], float(args.child[2]))))
        return 0

    configs = [c for c in CONFIGS if (c.quick or not args.quick) and
               (not args.only or any(o.lower() in c.name.lower() for o in args.only))]
    if not configs:
        ap.error("no configuration matches")
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    cols = columns(backends)
    limit = args.time_limit
    print(f"Machine: {machine()}; time limit {limit:g} s per run"
          f"{'; cold C build cache' if args.cold else ''}")
    print()
    print(line([n for n, _, _ in cols], cols, args.markdown))
    print(rule(cols, args.markdown), flush=True)
    results: dict[str, dict] = {}
    mismatches = []
    errors = False
    for cfg in configs:
        runs = {b: run(cfg.name, b, limit, args.cold) for b in backends}
        results[cfg.name] = runs
        row, bad = shared(runs)
        if bad:
            mismatches.append(f"{cfg.name}: {bad}")
        values = [cfg.name, *row]
        for b in backends:
            c = cells(runs[b], limit)
            errors = errors or "error" in runs[b] or runs[b].get("killed", False)
            values += ([c["build"]] if b == "c" else []) + [c["s"], c["cpu"], c["rate"], c["mb"], c["ran"]]
        print(line(values, cols, args.markdown), flush=True)
        if bad:
            print(f"!!! MISMATCH between the backends on {cfg.name}: {bad}", flush=True)

    both = len(backends) == 2
    compared = [n for n, runs in results.items() if both and all(finished(r) for r in runs.values())]
    print()
    if compared:
        print(f"Agreement: {len(compared) - sum(1 for m in mismatches)} of {len(compared)} configurations "
              f"run exhaustively by both backends give the same verdict, distinct, generated and depth.")
    for m in mismatches:
        print(f"!!! MISMATCH: {m}")

    targets = [t for t in TARGETS if t.row in results]
    if targets:
        print()
        tcols = [("target", 60, False), ("level", 5, False)] + \
            [("C" if b == "c" else "Python", 30, False) for b in backends]
        print(line([n for n, _, _ in tcols], tcols, args.markdown))
        print(rule(tcols, args.markdown))
        for t in targets:
            print(line([t.text, t.level, *(judge(t, results[t.row][b], limit) for b in backends)], tcols, args.markdown))
    return 1 if mismatches or errors else 0


if __name__ == "__main__":
    sys.exit(main())
