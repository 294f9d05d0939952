#!/usr/bin/env bash
# Sampler benchmark: gdsweep's samplers against Optuna 3.1's (Debian's
# python3-optuna), measured in the same run; every figure of docs/benchmarks.md
# "Samplers" comes from this one command.
#  1. quality: final regret after TRIALS (100) trials on every problem of
#     bench/tpe/functions.h (Problems() and MoreProblems(): continuous 2-10
#     dimensions, integer, categorical, mixed, noisy), SEEDS (30) seeds each
#     (FIRST_SEED.. : a later run adds seeds to the same OUT), for each gdsweep
#     sampler in SAMPLERS (cmaes_margin and cmaes_ipop: CMA-ES variants) and
#     each Optuna sampler in OPTUNA (tpe, cmaes, nsga2, random, qmc); the two
#     sides run at the same time, so they share the machine's load;
#  2. latency: gdsweep gp's time per suggestion on histories of 200, 1,000
#     and 3,000 random trials x 10 parameters, and the peak memory.
# Then prints the tables (report.py: medians, quartiles, Mann-Whitney p).
#
#   usage: bench/samplers/run.sh [--seeds N] [--first-seed N] [--samplers LIST]
#                                [--optuna LIST] [--problems a,b] [--trials N]
#                                [--no-latency]
#   build first: ninja -C build sampler_bench
#   env: SAMPLER_BENCH (default build/bench/samplers/sampler_bench),
#        GDSWEEP_PYTHON (default /usr/bin/python3), OUT (JSON dir; default a
#        temp dir; lines are appended, so runs of other seeds or samplers add up)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=${SAMPLER_BENCH:-$root/build/bench/samplers/sampler_bench}
python=${GDSWEEP_PYTHON:-/usr/bin/python3}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"

seeds=30
first_seed=0
trials=100
samplers=gp,auto,qmc,tpe,random,cmaes,cmaes_margin,cmaes_ipop,nsga2
optuna_samplers=tpe,cmaes,nsga2,random
problems=""
latency=1
while (($#)); do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --first-seed) first_seed=$2; shift 2 ;;
    --optuna) optuna_samplers=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --samplers) samplers=$2; shift 2 ;;
    --problems) problems=$2; shift 2 ;;
    --no-latency) latency=0; shift ;;
    *) echo "usage: $0 [--seeds N] [--first-seed N] [--samplers LIST] [--optuna LIST]" \
            "[--problems LIST] [--trials N] [--no-latency]" >&2
       exit 2 ;;
  esac
done
[[ -x $bench ]] || { echo "no $bench: build first (ninja -C build sampler_bench)" >&2; exit 1; }
"$python" -c 'import optuna, scipy' 2>/dev/null ||
  { echo "$python needs optuna and scipy (python3-optuna, python3-scipy)" >&2; exit 1; }

echo "quality: gdsweep $samplers and Optuna $optuna_samplers, seeds $first_seed.." \
  "$((first_seed + seeds - 1)) x $trials trials..." >&2
"$bench" quality --samplers "$samplers" --seeds "$seeds" --first-seed "$first_seed" \
  --trials "$trials" --problems "$problems" >> "$out/ours.jsonl" &
ours=$!
"$python" "$here/optuna_side.py" --bench "$bench" --samplers "$optuna_samplers" \
  --seeds "$seeds" --first-seed "$first_seed" --trials "$trials" --problems "$problems" \
  >> "$out/optuna.jsonl"
wait $ours
if ((latency)); then
  echo "latency: gp, 10 parameters..." >&2
  "$bench" latency --sampler gp --sizes 200,1000,3000 --dims 10 --asks 20 > "$out/latency.json"
fi
"$python" "$here/report.py" "$out"
echo "JSON in $out" >&2
