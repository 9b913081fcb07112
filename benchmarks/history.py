"""History checking speed: seconds and peak memory of ``check_history`` on generated
histories whose answer is known.

    python benchmarks/history.py               # every row
    python benchmarks/history.py --quick       # rows up to 10,000 operations
    python benchmarks/history.py --no-memory   # skip the second (traced) run per row

The generator simulates a linearizable object: N clients, each issuing one operation at
a time (read or write, a key drawn uniformly), each with a random duration and a
linearization point drawn uniformly inside it; results are computed by applying the
operations in the order of their linearization points. Written values are unique per
key. With ``--pending`` a fraction of the writes never respond (the client's process is
then retired, as Jepsen does): half of them took effect, half did not. The
non-linearizable variant injects one stale read: a read of key k is made to return the
value of a write w1 although another write w2 to k began after w1 returned and returned
before the read began; since values are unique, no order explains it.

The rows with pending writes measure what Jepsen's timeouts cost: a pending operation may
be placed anywhere after its call, or never. The models drop those whose effect nothing
observes (``prune``); the others stay in the search.

Each row is timed once without tracing, then run again under tracemalloc for the peak
memory of the check (the history itself excluded). The verdict is compared with the
known answer; a mismatch is printed and makes the exit status 1.

Goals (issue 19): 10,000 operations over 10 keys under 1 s; one key with 1,000
operations and 5 concurrent clients under 10 s. docs/histories.md has this machine's
figures.
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelcheck.history.check import check_history  # noqa: E402
from modelcheck.history.core import HistoryVerdict, Op  # noqa: E402
from modelcheck.history.models import KvModel, RegisterModel  # noqa: E402

#: (operations, keys, clients, fraction of writes without a response)
ROWS = [
    (100, 1, 5, 0.0),
    (1_000, 1, 5, 0.0),
    (1_000, 1, 5, 0.05),
    (1_000, 10, 10, 0.0),
    (10_000, 1, 5, 0.0),
    (10_000, 10, 10, 0.0),
    (10_000, 10, 10, 0.05),
    (10_000, 100, 20, 0.0),
    (100_000, 10, 20, 0.0),
    (100_000, 100, 50, 0.0),
    (100_000, 100, 50, 0.05),
]


def generate(n: int, keys: int, clients: int, seed: int = 0, stale: bool = False,
             pending: float = 0.0) -> list[Op]:
    """A history of ``n`` operations (see the module docstring). With one key the
    operations are the register's (``read``, ``write(v)``), else the key-value map's
    (``read(k)``, ``write(k, v)``). With ``stale``, one read is made stale (raises
    ``ValueError`` if the history has no read that can be)."""
    rng = random.Random(seed)
    # (next call time, client, process id)
    ready = [(rng.random(), c, c) for c in range(clients)]
    heapq.heapify(ready)
    next_process = clients
    raw = []            # [call, ret, lin point, process, f, key, took effect]
    for _ in range(n):
        call, c, proc = heapq.heappop(ready)
        dur = rng.uniform(0.05, 1.0)
        ret = call + dur
        f = "read" if rng.random() < 0.5 else "write"
        key = rng.randrange(keys)
        lin = rng.uniform(call, ret)
        if f == "write" and pending and rng.random() < pending:
            effect = rng.random() < 0.5
            raw.append([call, None, lin, proc, f, key, effect])
            proc, next_process = next_process, next_process + 1     # a crashed client comes back as a new process
        else:
            raw.append([call, ret, lin, proc, f, key, True])
        heapq.heappush(ready, (ret + rng.uniform(0.0, 0.3), c, proc))
    values = [None] * keys
    counter = [0] * keys
    results = [None] * n
    args = [None] * n
    for i in sorted(range(n), key=lambda i: raw[i][2]):
        _, _, _, _, f, key, effect = raw[i]
        if f == "write":
            counter[key] += 1
            args[i] = counter[key]
            if effect:
                values[key] = counter[key]
        else:
            results[i] = values[key]
    if stale:
        _inject_stale(raw, args, results, rng)
    ops = []
    for i, (call, ret, _, proc, f, key, _) in enumerate(raw):
        if keys == 1:
            a = (args[i],) if f == "write" else ()
        else:
            a = (key, args[i]) if f == "write" else (key,)
        ops.append(Op(i, proc, call, ret, f, a, results[i] if ret is not None else None))
    return ops


def _inject_stale(raw, args, results, rng) -> None:
    n = len(raw)
    reads = [i for i in range(n) if raw[i][4] == "read"]
    rng.shuffle(reads)
    for r in reads[:200]:
        call, key = raw[r][0], raw[r][5]
        before = [i for i in range(n) if raw[i][4] == "write" and raw[i][5] == key and raw[i][1] is not None
                  and raw[i][1] < call]
        for w2 in before:
            w1s = [i for i in before if raw[i][1] < raw[w2][0]]
            if w1s:
                results[r] = args[rng.choice(w1s)]
                return
    raise ValueError("no read can be made stale in this history")


def model_for(keys: int):
    return RegisterModel() if keys == 1 else KvModel()


def run_row(n, keys, clients, stale, seed, memory, pending):
    ops = generate(n, keys, clients, seed, stale, pending)
    model = model_for(keys)
    t0 = time.perf_counter()
    result = check_history(ops, model)
    secs = time.perf_counter() - t0
    peak = None
    if memory:
        tracemalloc.start()
        check_history(ops, model)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    want = HistoryVerdict.VIOLATED if stale else HistoryVerdict.OK
    return result, secs, peak, result.verdict is want


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="rows up to 10,000 operations")
    p.add_argument("--no-memory", action="store_true", help="time only (no tracemalloc run)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--pending", type=float, default=None, metavar="P",
                   help="fraction of writes without a response in every row (default: the row's)")
    args = p.parse_args(argv)
    rows = [r for r in ROWS if not args.quick or r[0] <= 10_000]
    print(f"{'ops':>8} {'keys':>5} {'clients':>7} {'pending':>7} {'history':>15} {'verdict':>9} {'seconds':>8} "
          f"{'peak MB':>8} {'explored':>9}  known answer")
    bad = 0
    for n, keys, clients, pending in rows:
        if args.pending is not None:
            pending = args.pending
        for stale in (False, True):
            result, secs, peak, right = run_row(n, keys, clients, stale, args.seed, not args.no_memory, pending)
            bad += not right
            mem = "-" if peak is None else f"{peak / 1e6:.1f}"
            print(f"{n:>8,} {keys:>5} {clients:>7} {pending:>7.0%} {'one stale read' if stale else 'linearizable':>15} "
                  f"{result.verdict.value:>9} {secs:>8.3f} {mem:>8} {result.explored:>9,}  "
                  f"{'agrees' if right else 'MISMATCH'}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
