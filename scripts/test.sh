#!/usr/bin/env bash
# npm test, the whole suite CI runs: type checks, formatting and lint, and every test file on SQLite and the database
# tests on PostgreSQL too (scripts/run-suite.ts), with one throwaway cluster (scripts/with-postgres.ts). The tests start
# as soon as the compile they run is done, the other checks running on beside them (waiting for lint, the slowest, held
# them back); the suite fails if any of them does.
set -euo pipefail
cd "$(dirname "$0")/.."

rm -rf dist
compile="npx tsc -p tsconfig.json" # everything, emitted to dist/: the tests run the compiled build
checks=(
  "npx tsc -p tsconfig.build.json --noEmit" # the app and scripts without DOM types
  "npm run --silent format:check"
  "npm run --silent lint"
)
bash -c "$compile" &
compiling=$!
pids=()
for check in "${checks[@]}"; do
  bash -c "$check" &
  pids+=($!)
done
failed=0
tests=0
if wait $compiling; then
  node dist/scripts/with-postgres.js node dist/scripts/run-suite.js || tests=$?
else
  echo "failed: $compile" >&2
  failed=1
fi
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "failed: ${checks[$i]}" >&2; failed=1; }
done
((tests == 0)) || exit "$tests"
((failed == 0)) || exit 1
