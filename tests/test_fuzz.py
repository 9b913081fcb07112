"""Keep it found (issue 14, section 4): a seeded mutator over the bundled specs and
traces. Every mutated input must end in a coded diagnostic or a result (exit 0, 1, 2
or 3), never a traceback (exit 70, "internal error") and never a hang (each run is
bounded by --max-states, --time-limit and pytest-timeout).

The mutations are the ones that found the issue's tracebacks: deleting or duplicating
a span, swapping lines, inserting a token from the language's vocabulary, replacing a
number by an extreme one (0, -1, 10^40, 5,000 digits), nesting deeply, truncating.
They are drawn from a fixed seed, so a failure is reproducible: the message shows the
seed and the mutated text is written next to the test's temporary directory.
"""

from __future__ import annotations

import json
import os
import random
import re

import pytest

from tests.helpers import ROOT, run

SPECS = [ROOT / "specs" / p for p in ("twophase/twophase.mc", "twophase/crash.mc", "tcommit/tcommit.mc",
                                       "lamport/clocks.mc", "lamport/mutex.mc", "lamport/tob.mc")]
TRACES = [(ROOT / "traces" / t, ROOT / "specs" / "twophase" / s) for t, s in
          (("tp_commit.jsonl", "twophase.mc"), ("tp_early_commit.jsonl", "twophase.mc"),
           ("crash_two_txns.jsonl", "crash.mc"))]

TOKENS = ["(", ")", "{", "}", "[", "]", ",", ":", "'", "==", "!=", "..", "->", "in", "not", "and", "or", "implies",
          "forall", "exists", "let", "if", "then", "else", "var", "init", "action", "require", "invariant",
          "step", "models", "symmetry", "enum", "def", "const", "x'", "size(", "{}", "0", "-1", "\n", "/*", "*/",
          "\u00e9", "\ufeff", "9" * 120, "eventually", "always", "~>", "|->", "process(", "sends(", "either"]
NUMBERS = ["0", "-1", "1" + "0" * 40, "9" * 5000, "2147483648", "00"]


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        n = len(text)
        k = rng.randrange(9)
        i = rng.randrange(n) if n else 0
        j = min(n, i + rng.randint(1, 40))
        if k == 0:
            text = text[:i] + text[j:]                                      # delete a span
        elif k == 1:
            text = text[:j] + text[i:j] + text[j:]                          # duplicate it
        elif k == 2:
            text = text[:i] + " " + rng.choice(TOKENS) + " " + text[i:]     # insert a token
        elif k == 3:
            nums = [m.span() for m in re.finditer(r"\b\d+\b", text)]
            if nums:
                a, b = rng.choice(nums)
                text = text[:a] + rng.choice(NUMBERS) + text[b:]             # an extreme number
        elif k == 4:
            lines = text.split("\n")
            if len(lines) > 2:
                x, y = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[x], lines[y] = lines[y], lines[x]
                text = "\n".join(lines)                                     # swap two lines
        elif k == 5:
            text = text[:i]                                                 # truncate
        elif k == 6:
            depth = rng.choice([50, 300])
            text = text[:i] + "(" * depth + "1" + ")" * depth + text[i:]    # nest deeply
        elif k == 7:
            text = text[:i] + chr(rng.choice([0, 7, 0x202e, 0xd7ff, 0x1f600])) + text[i:]
        else:
            text = text[:i] + text[i:j][::-1] + text[j:]                    # reverse a span
    return text


def _check(capsys, tmp_path, argv, text, seed, what):
    code, out, err = run(capsys, *argv)
    if code not in (0, 1, 2, 3) or "Traceback" in err or "internal error" in err:
        keep = tmp_path.parent / f"fuzz-{what}-{seed}.txt"
        keep.write_text(text)
        pytest.fail(f"seed {seed}: exit {code}; the input is in {keep}\n{err[-3000:]}")
    return code


#: the seeds after the first (10 to 30 s a spec, 18 s a trace): `make test-deep` only, to
#: keep `make test` within its 15 minutes on 2 cores
DEEP = pytest.mark.skipif(os.environ.get("MODELCHECK_DEEP") != "1", reason="deep: make test-deep")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_mutated_specs_end_in_a_diagnostic_or_a_result(capsys, tmp_path, spec):
    _fuzz_spec(capsys, tmp_path, spec, range(40))


@pytest.mark.slow
@DEEP
@pytest.mark.timeout(900)
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_more_mutated_specs(capsys, tmp_path, spec):
    _fuzz_spec(capsys, tmp_path, spec, range(40, 400))


def _fuzz_spec(capsys, tmp_path, spec, seeds):
    source = spec.read_text()
    codes: dict[int, int] = {}
    for seed in seeds:
        rng = random.Random(f"{spec.name}-{seed}")
        text = mutate(source, rng)
        path = tmp_path / "m.mc"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        code = _check(capsys, tmp_path, ["check", str(path), "--max-states", "2000", "--time-limit", "5",
                                         "--no-temporal"], text, seed, spec.stem)
        codes[code] = codes.get(code, 0) + 1
    # not vacuous: most mutants are errors, and the mutator does not only break the syntax
    assert codes.get(2, 0) >= len(seeds) // 4, codes


@pytest.mark.timeout(300)
@pytest.mark.parametrize("trace,spec", TRACES, ids=lambda p: getattr(p, "stem", str(p)))
def test_mutated_traces_end_in_a_diagnostic_or_a_verdict(capsys, tmp_path, trace, spec):
    _fuzz_trace(capsys, tmp_path, trace, spec, range(60))


@pytest.mark.slow
@DEEP
@pytest.mark.timeout(900)
@pytest.mark.parametrize("trace,spec", TRACES, ids=lambda p: getattr(p, "stem", str(p)))
def test_more_mutated_traces(capsys, tmp_path, trace, spec):
    _fuzz_trace(capsys, tmp_path, trace, spec, range(60, 600))


def _fuzz_trace(capsys, tmp_path, trace, spec, seeds):
    lines = trace.read_text().splitlines()
    codes: dict[int, int] = {}
    for seed in seeds:
        rng = random.Random(f"{trace.name}-{seed}")
        mutated = list(lines)
        for _ in range(rng.randint(1, 3)):
            x = rng.randrange(len(mutated))
            k = rng.randrange(5)
            if k == 0:
                mutated[x] = mutate(mutated[x], rng)                       # damage a line's text
            elif k == 1:
                del mutated[x]                                             # lose an event
            elif k == 2:
                mutated.insert(x, mutated[rng.randrange(len(mutated))])    # repeat one
            elif k == 3:
                ev = json.loads(lines[x % len(lines)])
                key = rng.choice(sorted(ev))
                ev[key] = rng.choice([None, -1, 10 ** 30, "", [], {}, "rm9", True, 1.5, "x" * 10000])
                mutated[x] = json.dumps(ev)                                # a field of the wrong kind
            else:
                mutated[x] = "[" * rng.choice([10, 10000]) + "]" * 10         # nested, unbalanced
        text = "\n".join(mutated) + "\n"
        path = tmp_path / "t.jsonl"
        path.write_text(text)
        code = _check(capsys, tmp_path, ["trace", "validate", str(spec), str(path), "--const", "RM=3"],
                      text, seed, trace.stem)
        codes[code] = codes.get(code, 0) + 1
    assert codes.get(2, 0) + codes.get(1, 0) >= len(seeds) // 3, codes
