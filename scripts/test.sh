#!/usr/bin/env bash
# npm test, the whole suite CI runs: type checks, formatting and lint side by side, then every test file on SQLite and
# the database tests on PostgreSQL too (scripts/run-suite.ts), with one throwaway cluster (scripts/with-postgres.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf dist
checks=(
  "npx tsc -p tsconfig.build.json --noEmit"  # the app and scripts without DOM types
  "npx tsc -p tsconfig.json"                 # everything, emitted to dist/: the tests run the compiled build
  "npm run --silent format:check"
  "npm run --silent lint"
)
pids=()
for check in "${checks[@]}"; do
  bash -c "$check" &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "failed: ${checks[$i]}" >&2; failed=1; }
done
((failed == 0)) || exit 1

exec node dist/scripts/with-postgres.js node dist/scripts/run-suite.js
