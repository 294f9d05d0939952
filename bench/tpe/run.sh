#!/usr/bin/env bash
# TPE benchmark: gdsweep's TPE against Optuna's (Debian's python3-optuna 3.1).
#  1. quality: best value found after 25/50/100 trials on Branin, Hartmann-6,
#     Rosenbrock-4, Ackley-5 and a mixed space (log float, stepped int,
#     categorical, stepped float, log int), SEEDS seeds each, TPE and random
#     search, both implementations;
#  2. speed: time per ask+tell with 2 and 10 float parameters on a history of
#     100, 1,000 and 10,000 random COMPLETE trials, both in memory (Optuna: an
#     in-memory study pre-filled with study.add_trials, a few timed asks).
# Then prints the tables (report.py). About 4 minutes on 2 cores, most of it
# Optuna; --quick: 5 seeds and no 10,000-trial rows (~1 minute).
#
#   usage: bench/tpe/run.sh [--quick] [--multivariate]
#   build first: ninja -C build tpe_bench (bench/CMakeLists.txt: add_subdirectory(tpe))
#   env: TPE_BENCH (the binary; default build/bench/tpe/tpe_bench),
#        GDSWEEP_PYTHON (default /usr/bin/python3), OUT (JSON dir; default a temp dir)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=${TPE_BENCH:-$root/build/bench/tpe/tpe_bench}
python=${GDSWEEP_PYTHON:-/usr/bin/python3}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"

seeds=20
sizes=100,1000,10000
flags=()
for arg in "$@"; do
  case $arg in
    --quick) seeds=5; sizes=100,1000 ;;
    --multivariate) flags+=(--multivariate) ;;
    *) echo "usage: $0 [--quick] [--multivariate]" >&2; exit 2 ;;
  esac
done
if [[ ! -x $bench ]]; then
  echo "no $bench: build it first (ninja -C build tpe_bench) or set TPE_BENCH" >&2
  exit 1
fi
"$python" -c 'import optuna' 2>/dev/null || { echo "$python has no optuna" >&2; exit 1; }

echo "quality: gdsweep ($seeds seeds)..." >&2
"$bench" quality --seeds "$seeds" "${flags[@]}" > "$out/ours_quality.json"
echo "quality: Optuna ($seeds seeds, ~5 s per seed)..." >&2
"$python" "$here/optuna_reference.py" quality --seeds "$seeds" "${flags[@]}" \
  > "$out/optuna_quality.json"
echo "speed: gdsweep..." >&2
"$bench" speed --sizes "$sizes" --dims 2,10 --asks 30 "${flags[@]}" > "$out/ours_speed.json"
echo "speed: Optuna (10,000 trials x 10 params: ~1.5 s per ask)..." >&2
"$python" "$here/optuna_reference.py" speed --sizes "$sizes" --dims 2,10 \
  --asks 100:20,1000:5,10000:2 "${flags[@]}" > "$out/optuna_speed.json"

# TODO(engine ask/tell): time ask+tell through the engine's C++ API on a
# SQLite study (Study::ask / Study::tell: history read + sample + insert, then
# the result, each one transaction) beside Optuna's RDBStorage on the same
# file, at the same history sizes, once that API is callable from a bench
# binary; write engine_speed.json / optuna_rdb_speed.json and teach report.py
# a third table.

"$python" "$here/report.py" "$out"
echo "JSON in $out" >&2
