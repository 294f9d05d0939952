#!/usr/bin/env bash
# Early-stopping benchmark (issue 12) on examples/pruning (an MLP on the digits
# data with four one-pixel-shifted copies, 81 epochs): 60 trials x 5 seeds for pruner none, median and hyperband,
# gdsweep (`gdsweep run` of the example's study with the pruner swapped) and
# Optuna 3.1 (Debian's python3-optuna: TPE, the same pruner and settings,
# in-memory storage) running the same script the same way, as a child process
# with argv and the prune file (bench.py says how). The runs are interleaved,
# seed by seed, so that both see the same machine load. Prints, per
# implementation and pruner: total trial-seconds (each trial's wall time from
# start to end as the implementation records it, summed), epochs trained,
# best accuracy, and compute and accuracy against no pruning.
# About 40 minutes a seed (both implementations) on an idle 2-core machine.
#
#   usage: bench/pruning/run.sh [--quick] [--optuna-only | --gdsweep-only]
#   build first: ninja -C build gdsweep
#   env: GDSWEEP (default build/sweeper/gdsweep), GDSWEEP_PYTHON (default
#        /usr/bin/python3), OUT (JSON dir, one file per run; default a temp dir;
#        an existing dir's runs are kept, so an interrupted bench resumes),
#        SEEDS (5), TRIALS (60), PARALLELISM (2)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
gdsweep=${GDSWEEP:-$root/build/sweeper/gdsweep}
python=${GDSWEEP_PYTHON:-/usr/bin/python3}
out=${OUT:-$(mktemp -d)}
seeds=${SEEDS:-5}
trials=${TRIALS:-60}
parallelism=${PARALLELISM:-2}
impl=gdsweep,optuna
for arg in "$@"; do
  case $arg in
    --quick) seeds=1; trials=20 ;;
    --optuna-only) impl=optuna ;;
    --gdsweep-only) impl=gdsweep ;;
    *) echo "usage: $0 [--quick] [--optuna-only | --gdsweep-only]" >&2; exit 2 ;;
  esac
done
if [[ $impl == *gdsweep* && ! -x $gdsweep ]]; then
  echo "no $gdsweep: build first (ninja -C build gdsweep) or set GDSWEEP" >&2
  exit 1
fi
"$python" -c 'import optuna, sklearn, yaml' 2>/dev/null \
  || { echo "$python lacks optuna, sklearn or yaml (python3-optuna python3-sklearn)" >&2; exit 1; }

mkdir -p "$out"
echo "runs in $out ($seeds seeds x $trials trials, parallelism $parallelism)" >&2
"$python" "$here/bench.py" run --out "$out" --impl "$impl" --seeds "$seeds" --trials "$trials" \
  --parallelism "$parallelism" --gdsweep "$gdsweep"
"$python" "$here/bench.py" report "$out"
