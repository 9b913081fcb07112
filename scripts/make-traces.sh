#!/usr/bin/env bash
# Regenerate the generated traces under traces/ (traces/README.md says what each is).
# Deterministic: the same code gives the same files byte for byte (tests/specs/test_traces.py
# regenerates them into a temporary directory and compares). Usage: make traces, or
#   bash scripts/make-traces.sh [OUT_DIR]        (default: traces/)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-traces}"
PY="${PYTHON:-.venv/bin/python}"
MC=("$PY" -m modelcheck.cli)
REF=("$PY" -m reference.twophase)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. tests from the spec: a covering set of every action instance of durable.mc
rm -rf "$OUT/generated/durable-actions"
"${MC[@]}" trace generate specs/twophase/durable.mc --cover actions --out "$OUT/generated/durable-actions" >/dev/null

# 2. traces of the reference implementation under the deterministic scheduler (five
#    transfers, random deliveries, timers, crashes and restarts), merged in (lc, proc)
#    order: the correct implementation, and each seeded bug on a seed where it shows
mkdir -p "$OUT/reference"
sim() {  # name, then sim options
  local name="$1"; shift
  # exit 1 is the scheduler saying money or atomicity broke: what a seeded bug is for
  "${REF[@]}" sim --transfers 5 --trace-dir "$work/$name" --schedule-out "$OUT/reference/$name.schedule" --force "$@" >/dev/null || [ $? = 1 ]
  "${REF[@]}" merge-traces "$work/$name" -o "$OUT/reference/$name.jsonl" --force >/dev/null
}
sim correct-seed3 --seed 3
sim commit-before-log --seed 1 --bug commit-before-log
sim commit-on-majority --seed 1 --bug commit-on-majority
sim forget-in-doubt --seed 6 --bug forget-in-doubt
sim vote-before-log --seed 1 --bug vote-before-log
