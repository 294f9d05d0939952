#!/usr/bin/env bash
# The README's second command: install what is missing, build with warnings
# as errors, and run the whole test suite (unit, fakes, end to end) under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DGDSWEEP_WERROR=ON
ctest --test-dir build --output-on-failure -j4 --resource-spec-file "$PWD/tests/ctest-resources.json" \
  --timeout 600
