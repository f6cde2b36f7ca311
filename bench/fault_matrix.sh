#!/usr/bin/env bash
# The fault matrix's long run: tests/e2e/test_fault_matrix.py once per seed (20 by default), each seed shuffling
# the order of the faults and which children get a second return. Prints one line per seed; exit 1 if any failed.
#   bench/fault_matrix.sh [SEEDS]        with KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL set, as for ./dev test
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seeds="${1:-20}"
failed=0
for seed in $(seq 1 "$seeds"); do
  started=$(date +%s)
  if CME_FAULT_SEED="$seed" uv run pytest tests/e2e/test_fault_matrix.py -q -p no:cacheprovider >"/tmp/fault-matrix-$seed.log" 2>&1; then
    outcome=passed
  else
    outcome="FAILED (see /tmp/fault-matrix-$seed.log)"
    failed=1
  fi
  echo "seed $seed: $outcome in $(( $(date +%s) - started )) s"
done
exit "$failed"
