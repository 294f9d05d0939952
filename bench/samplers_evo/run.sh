#!/usr/bin/env bash
# Final regret of gdsweep's cmaes, nsga2, auto, tpe and random against Optuna
# 3.1's TPE, CmaEsSampler, NSGAIISampler and random, measured in the same run:
#   bench/samplers_evo/run.sh [SEEDS] [TRIALS]      (default 30 seeds, 100 trials)
# Prints a Markdown table (bench/samplers_evo/report.py); raw lines in
# build/bench-evo.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds=${1:-30}
trials=${2:-100}
ninja -C build -j2 evo_bench >/dev/null
out=build/bench-evo.jsonl
build/bench/samplers_evo/evo_bench --seeds "$seeds" --trials "$trials" >"$out"
/usr/bin/python3 bench/samplers_evo/optuna_evo.py --seeds "$seeds" --trials "$trials" >>"$out"
/usr/bin/python3 bench/samplers_evo/report.py <"$out"
