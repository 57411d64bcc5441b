#!/usr/bin/env bash
# The suite's database tests again on PostgreSQL, run from the compiled build in dist/ (npm test compiles it first):
# every test file that builds the app or opens the suite's store (openTestStore), but for those test/sqlite-only.txt
# lists with their reason. The server is TEST_DATABASE_URL when set, else one throwaway cluster (scripts/with-postgres.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t excluded < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' test/sqlite-only.txt)
files=()
while IFS= read -r file; do
  keep=1
  for prefix in "${excluded[@]}"; do [[ "$file" == "$prefix"* ]] && keep=0; done
  ((keep)) && files+=("dist/${file%.ts}.js")
done < <(grep -rlE 'buildTestApp\(|openTestStore\(' test --include='*.test.ts' | sort)
echo "PostgreSQL pass: ${#files[@]} test files"
TEST_DATABASE=postgres exec node dist/scripts/with-postgres.js npx tap --disable-coverage "$@" "${files[@]}"
