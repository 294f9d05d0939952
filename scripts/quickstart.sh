#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the
# quickstart study end to end, then show its trials and the best one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd examples/quickstart
rm -f quickstart.db
../../build/sweeper/gdsweep run study.yaml --db quickstart.db
../../build/sweeper/gdsweep trials --db quickstart.db
../../build/sweeper/gdsweep best --db quickstart.db
