#!/usr/bin/env bash
# The suite's database tests again on PostgreSQL (test/helper/postgres.ts starts a throwaway cluster, or uses
# TEST_DATABASE_URL): every test file that builds the app or opens the suite's store (openTestStore), but for those
# test/sqlite-only.txt lists with their reason.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t excluded < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' test/sqlite-only.txt)
files=()
while IFS= read -r file; do
  keep=1
  for prefix in "${excluded[@]}"; do [[ "$file" == "$prefix"* ]] && keep=0; done
  ((keep)) && files+=("$file")
done < <(grep -rlE 'buildTestApp\(|openTestStore\(' test --include='*.test.ts' | sort)
echo "PostgreSQL pass: ${#files[@]} test files"
TEST_DATABASE=postgres exec npx tap --disable-coverage "$@" "${files[@]}"
