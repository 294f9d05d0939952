#!/usr/bin/env bash
# TPE benchmark: gdsweep's TPE against Optuna's (Debian's python3-optuna 3.1).
#  1. quality: best value found after 25/50/100 trials on Branin, Hartmann-6,
#     Rosenbrock-4, Ackley-5 and a mixed space (log float, stepped int,
#     categorical, stepped float, log int), SEEDS seeds each, TPE and random
#     search, both implementations;
#  2. speed: time per ask+tell with 2 and 10 float parameters on a history of
#     100, 1,000 and 10,000 random COMPLETE trials,
#     a. in memory: the sampler alone (tpe_bench) against an in-memory Optuna
#        study pre-filled with study.add_trials, a few timed asks;
#     b. on SQLite: gdsweep::Study::Ask/Tell on a database file, every commit
#        fsync'd (tpe_study_bench), against optuna.create_study(storage=
#        "sqlite:///...") on a file of the same trials; and the `gdsweep ask`
#        + `gdsweep tell` command round trip at 1,000 trials x 10 parameters
#        beside the cost of spawning /bin/true.
# Then prints the tables (report.py). About 2 minutes on an idle 2-core
# machine, most of it Optuna; --quick: 5 seeds and no 10,000-trial rows.
#
#   usage: bench/tpe/run.sh [--quick] [--multivariate] [--quality-only | --speed-only]
#   build first: ninja -C build tpe_bench tpe_study_bench gdsweep
#   env: TPE_BENCH, TPE_STUDY_BENCH, GDSWEEP (the binaries; default under build/),
#        GDSWEEP_PYTHON (default /usr/bin/python3), OUT (JSON dir; default a temp dir)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=${TPE_BENCH:-$root/build/bench/tpe/tpe_bench}
study_bench=${TPE_STUDY_BENCH:-$root/build/bench/tpe/tpe_study_bench}
gdsweep=${GDSWEEP:-$root/build/sweeper/gdsweep}
python=${GDSWEEP_PYTHON:-/usr/bin/python3}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"

seeds=20
sizes=100,1000,10000
flags=()
quality=1
speed=1
for arg in "$@"; do
  case $arg in
    --quick) seeds=5; sizes=100,1000 ;;
    --multivariate) flags+=(--multivariate) ;;
    --quality-only) speed=0 ;;
    --speed-only) quality=0 ;;
    *) echo "usage: $0 [--quick] [--multivariate] [--quality-only | --speed-only]" >&2; exit 2 ;;
  esac
done
for binary in "$bench" "$study_bench" "$gdsweep"; do
  if [[ ! -x $binary ]]; then
    echo "no $binary: build first (ninja -C build tpe_bench tpe_study_bench gdsweep)" \
      "or set TPE_BENCH, TPE_STUDY_BENCH, GDSWEEP" >&2
    exit 1
  fi
done
"$python" -c 'import optuna' 2>/dev/null || { echo "$python has no optuna" >&2; exit 1; }

if ((quality)); then
  echo "quality: gdsweep ($seeds seeds)..." >&2
  "$bench" quality --seeds "$seeds" "${flags[@]}" > "$out/ours_quality.json"
  echo "quality: Optuna ($seeds seeds, ~4 s per seed)..." >&2
  "$python" "$here/optuna_reference.py" quality --seeds "$seeds" "${flags[@]}" \
    > "$out/optuna_quality.json"
fi
if ((speed)); then
  echo "speed, in memory: gdsweep..." >&2
  "$bench" speed --sizes "$sizes" --dims 2,10 --asks 30 "${flags[@]}" > "$out/ours_speed.json"
  echo "speed, in memory: Optuna (10,000 trials x 10 params: ~1.5 s per ask)..." >&2
  "$python" "$here/optuna_reference.py" speed --sizes "$sizes" --dims 2,10 \
    --asks 100:20,1000:5,10000:2 "${flags[@]}" > "$out/optuna_speed.json"
  echo "speed, SQLite: gdsweep (Study::Ask/Tell; gdsweep ask/tell commands)..." >&2
  "$study_bench" --sizes "$sizes" --dims 2,10 --asks 30 --gdsweep "$gdsweep" \
    --cli-size 1000 --cli-dims 10 --cli-trials 20 "${flags[@]}" > "$out/ours_sqlite_speed.json"
  echo "speed, SQLite: Optuna (10,000 trials x 10 params: ~1.5 s per ask)..." >&2
  "$python" "$here/optuna_reference.py" speed-sqlite --sizes "$sizes" --dims 2,10 \
    --asks 100:20,1000:5,10000:2 "${flags[@]}" > "$out/optuna_sqlite_speed.json"
fi

"$python" "$here/report.py" "$out"
echo "JSON in $out" >&2
